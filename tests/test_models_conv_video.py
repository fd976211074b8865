"""The convlstm family end to end: its record, its ModelConfig options, the video model that
build_model picks through the record, the per-frame CNN encoder (any stack, and the per-frame
baseline) and the drawing."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from rnnlab.errors import UserError
from rnnlab.models import ModelConfig, build_model
from rnnlab.models.conv_video import ConvLSTMVideoModel
from rnnlab.models.window_mlp import WindowMLP
from rnnlab.nn import ConvLSTM
from rnnlab.nn.families import family
from rnnlab.tasks import make_task
from rnnlab.tasks.base import TaskSpec
from rnnlab.viz.diagrams import svg_text
from rnnlab.viz.diagrams.parameters import count_layer_parameters

PARAMS = {"canvas": 12, "scale": 1, "frames": 4, "future": 4, "speeds": (1, 2), "eval_size": 4}


def batch(question: str):
    task = make_task("moving-digits", question=question, **PARAMS)
    return task, next(iter(task.batches("valid", 3)))


@pytest.mark.parametrize("question", ["speed", "next-frame"])
@pytest.mark.parametrize("peephole", [False, True])
def test_the_video_model_serves_both_questions(question: str, peephole: bool) -> None:
    task, b = batch(question)
    assert task.spec.frame_shape == (1, 12, 12)
    config = ModelConfig(family="convlstm", hidden_size=4, kernel_size=3, peephole=peephole,
                         num_layers=2)
    model = build_model(config, task.spec)
    assert isinstance(model, ConvLSTMVideoModel) and isinstance(model.rnn, ConvLSTM)
    out, (h, c) = model(b.x)
    assert out.shape == ((3, 4, 144) if question == "next-frame" else (3, 2))
    assert h.shape == c.shape == (2, 3, 4, 12, 12)
    task.loss(out, b).backward()
    assert all(p.grad is not None for p in model.parameters())
    assert model.describe().startswith("ConvLSTM" + (" (peephole)" if peephole else ""))
    role = "frame predictor" if question == "next-frame" else "classifier"
    assert f" {role}: " in model.describe()


def test_the_record_counts_the_layer_parameters() -> None:
    config = ModelConfig(family="convlstm", hidden_size=5, kernel_size=5, peephole=True)
    layer = ConvLSTM(3, 5, 5, peephole=True)
    assert count_layer_parameters(config, 3) == sum(p.numel() for p in layer.parameters())
    assert family("convlstm").layer_kwargs(config) == {"kernel_size": 5, "peephole": True,
                                                       "forget_bias": 1.0}
    assert config.variant == "kernel 5, peephole"


@pytest.mark.parametrize("question", ["speed", "next-frame"])
def test_patches_become_channels_and_come_back_as_pixels(question: str) -> None:
    task, b = batch(question)
    config = ModelConfig(family="convlstm", hidden_size=4, kernel_size=3, patch_size=2)
    assert config.variant == "2x2 patches"
    model = build_model(config, task.spec)
    seen: list[torch.Tensor] = []
    model.rnn.register_forward_hook(lambda module, args, out: seen.append(args[0]))
    out, (h, c) = model(b.x)
    assert h.shape == c.shape == (1, 3, 4, 6, 6)  # 12x12 frames as 6x6 grids of 2x2 patches
    assert model.rnn.weight_ih_l0.shape[1] == 4  # the encoder reads the patches only
    assert out.shape == ((3, 4, 144) if question == "next-frame" else (3, 2))
    # the stack reads each frame's 2x2 patches as 4 channels, and pixel_shuffle undoes it
    frames = b.x.view(3, 4, 1, 12, 12)
    patches = seen[0]  # (B, T, 4, 6, 6)
    back = torch.nn.functional.pixel_shuffle(patches.flatten(0, 1), 2).view(3, 4, 1, 12, 12)
    assert torch.equal(back, frames)
    assert torch.equal(patches[:, :, :, 0, 0], frames[:, :, 0, :2, :2].flatten(-2))
    task.loss(out, b).backward()
    assert "2x2 patches" in model.layers_text()


def test_the_frame_head_kernel() -> None:
    """head_kernel_size k: a k x k 'same' convolution of the forecaster's maps gives each frame;
    the frames keep their shape and the head sees neighbouring patches."""
    task, b = batch("next-frame")
    config = ModelConfig(family="convlstm", hidden_size=4, num_layers=2, patch_size=2,
                         head_kernel_size=3)
    assert config.variant == "2x2 patches, head 3x3"
    model = build_model(config, task.spec)
    assert model.head.weight.shape == (4, 8, 3, 3)  # C·p² patches from L·H maps
    out, _ = model(b.x)
    assert out.shape == (3, 4, 144)
    task.loss(out, b).backward()
    assert model.head.weight.grad is not None and model.head.weight.grad.abs().sum() > 0
    with pytest.raises(UserError, match="head_kernel_size must be odd"):
        ModelConfig(family="convlstm", head_kernel_size=2)


def test_patches_must_tile_the_frame() -> None:
    task, _ = batch("next-frame")
    with pytest.raises(UserError, match="does not divide the 12x12 frames"):
        build_model(ModelConfig(family="convlstm", hidden_size=4, patch_size=5), task.spec)
    with pytest.raises(UserError, match="patch_size"):
        ModelConfig(family="convlstm", patch_size=0)


def test_config_checks() -> None:
    with pytest.raises(UserError, match="kernel_size must be odd"):
        ModelConfig(family="convlstm", kernel_size=4)
    ModelConfig(family="lstm", kernel_size=4)  # another family ignores it
    with pytest.raises(UserError, match="unknown frame_encoder"):
        ModelConfig(frame_encoder="rnn")
    with pytest.raises(UserError, match=r"not a kind|unknown"):
        ModelConfig(layers=("convlstm:8",))


def test_the_video_model_refuses_what_it_cannot_do() -> None:
    task, _ = batch("speed")
    flat = TaskSpec("features", 16, "classes", 2, False)
    with pytest.raises(UserError, match="reads images"):
        build_model(ModelConfig(family="convlstm", hidden_size=4), flat)
    for field in ({"bidirectional": True}, {"frame_encoder": "cnn"}, {"dense_after": (4,)}):
        with pytest.raises(UserError):
            build_model(ModelConfig(family="convlstm", hidden_size=4, **field), task.spec)
    with pytest.raises(UserError, match="fused"):
        build_model(ModelConfig(family="convlstm", hidden_size=4, backend="fused"), task.spec)


@pytest.mark.parametrize("question", ["speed", "next-frame"])
def test_the_frame_cnn_feeds_any_stack_and_the_window_mlp(question: str) -> None:
    task, b = batch(question)
    for name in ("lstm", "gru", "mlp"):
        config = ModelConfig(family=name, hidden_size=8, frame_encoder="cnn", window=1)
        model = build_model(config, task.spec)
        assert model.encoder.frames is not None and model.encoder.output_size == 8
        out, _ = model(b.x)
        assert out.shape[0] == 3
        task.loss(out, b).backward()
        assert model.encoder.frames.convs[0].weight.grad is not None
        assert "frame CNN 8" in model.describe()
    assert isinstance(model, WindowMLP)


def test_the_per_frame_cnn_sees_one_frame() -> None:
    """window=1: the speed prediction depends on the last frame only."""
    task, b = batch("speed")
    torch.manual_seed(0)
    model = build_model(ModelConfig(family="mlp", hidden_size=8, frame_encoder="cnn",
                                    window=1), task.spec)
    changed = b.x.clone()
    changed[:, :-1] = torch.rand_like(changed[:, :-1])
    torch.testing.assert_close(model(b.x)[0], model(changed)[0])


def test_the_frame_cnn_needs_frames() -> None:
    with pytest.raises(UserError, match="needs a video task"):
        build_model(ModelConfig(family="lstm", hidden_size=4, frame_encoder="cnn"),
                    TaskSpec("features", 16, "classes", 2, False))


def test_draw_the_convlstm() -> None:
    config = ModelConfig(family="convlstm", hidden_size=8, kernel_size=5, peephole=True)
    svg = svg_text(config, equations=True)
    assert "ConvLSTM" in svg and "label-convolutions" in svg
    assert "ConvLSTM" in svg_text(dataclasses.replace(config, peephole=False))
