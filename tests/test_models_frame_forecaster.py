"""The FC-LSTM encoder-forecaster for next frames (``encoder_forecaster=True``): what it builds,
that its forecaster reads its own predictions, and what it refuses."""

from __future__ import annotations

import pytest
import torch

from rnnlab.errors import UserError
from rnnlab.models import ModelConfig, build_model
from rnnlab.models.frame_forecaster import FrameForecaster
from rnnlab.tasks import make_task

PARAMS = {"canvas": 12, "scale": 1, "frames": 4, "future": 4, "speeds": (1, 2), "eval_size": 4}


def task_and_batch(question: str = "next-frame"):
    task = make_task("moving-digits", question=question, **PARAMS)
    return task, next(iter(task.batches("valid", 3)))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_it_predicts_the_next_frames_with_any_recurrent_family(kind: str) -> None:
    task, b = task_and_batch()
    torch.manual_seed(0)
    model = build_model(ModelConfig(family=kind, hidden_size=6, num_layers=2,
                                    encoder_forecaster=True), task.spec)
    assert isinstance(model, FrameForecaster)
    out, _ = model(b.x)
    assert out.shape == (3, 4, 144)
    task.loss(out, b).backward()
    assert all(p.grad is not None for p in model.parameters())
    assert "encoder and forecaster, 2 layers x 6" in model.describe()


def test_the_forecaster_reads_the_last_frame_then_its_own_predictions() -> None:
    task, b = task_and_batch()
    torch.manual_seed(0)
    model = build_model(ModelConfig(family="lstm", hidden_size=6, encoder_forecaster=True),
                        task.spec).eval()
    seen: list[torch.Tensor] = []
    model.forecaster.register_forward_hook(lambda module, args, out: seen.append(args[0]))
    with torch.no_grad():
        out, _ = model(b.x)
    assert len(seen) == 4 and torch.equal(seen[0][:, 0], b.x[:, -1])
    for t in range(1, 4):
        assert torch.allclose(seen[t][:, 0], torch.sigmoid(out[:, t - 1]))
    # the clip's frames before the last matter only through the encoder's state
    changed = b.x.clone()
    changed[:, 0] = 1.0 - changed[:, 0]
    with torch.no_grad():
        assert not torch.allclose(model(changed)[0], out)


def test_what_it_refuses() -> None:
    task, _ = task_and_batch()
    speed, _ = task_and_batch("speed")
    with pytest.raises(UserError, match="next-frame task"):
        build_model(ModelConfig(family="lstm", hidden_size=4, encoder_forecaster=True),
                    speed.spec)
    with pytest.raises(UserError, match="runs one way"):
        build_model(ModelConfig(family="lstm", hidden_size=4, encoder_forecaster=True,
                                bidirectional=True), task.spec)
    with pytest.raises(UserError, match="needs a recurrent family"):
        build_model(ModelConfig(family="mlp", hidden_size=4, encoder_forecaster=True), task.spec)
    with pytest.raises(UserError, match="do not apply"):
        build_model(ModelConfig(family="gru", hidden_size=4, encoder_forecaster=True,
                                dense_after=(4,)), task.spec)


def test_it_cannot_run_one_step_at_a_time() -> None:
    """Its forecaster runs after the whole clip: stepping it frame by frame would answer
    something else, so StepStreams refuses it in one line."""
    from rnnlab.models import StepStreams

    task, _ = task_and_batch()
    model = build_model(ModelConfig(family="lstm", hidden_size=4, encoder_forecaster=True),
                        task.spec)
    with pytest.raises(UserError, match="reads a whole clip"):
        StepStreams(model)
