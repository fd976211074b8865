"""moving-digits: generated bouncing digits; speed classification and next-frame prediction."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from rnnlab.cli import main
from rnnlab.errors import UserError
from rnnlab.models import ModelConfig, build_model
from rnnlab.tasks import make_task
from rnnlab.tasks.moving_digits import digit_pools, fold, frame_sums
from rnnlab.train import TrainConfig, evaluate, train
from rnnlab.utils import seed_everything

pytest.importorskip("sklearn")


def test_shapes_and_values():
    task = make_task("moving-digits", eval_size=40)
    assert task.spec.input_size == 32 * 32 and task.spec.output_size == 4
    assert not task.spec.many_to_many and task.labels == ("speed 1", "speed 2", "speed 3",
                                                          "speed 4")
    batch = next(task.batches("test", 16))
    assert batch.x.shape == (16, 10, 1024) and batch.x.dtype == torch.float32
    assert batch.y.shape == (16,) and batch.y.dtype == torch.int64 and batch.lengths is None
    assert batch.x.min() >= 0 and batch.x.max() <= 1 and batch.x.max() > 0.9
    assert task.chance == 0.25

    frames = make_task("moving-digits", question="next-frame", canvas=40, frames=10, future=7)
    batch = next(frames.batches("train", 4))
    assert batch.x.shape == (4, 10, 1600) and batch.y.shape == (4, 7, 1600)
    assert frames.spec.many_to_many and frames.spec.output_kind == "multilabel"
    assert frames.spec.output_size == 1600 and frames.chance is None  # no accuracy here


def test_batches_are_deterministic_and_eval_sets_fixed():
    task = make_task("moving-digits", eval_size=70, digits=2)
    a, b = next(task.batches("train", 8, seed=3)), next(task.batches("train", 8, seed=3))
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.x, next(task.batches("train", 8, seed=4)).x)
    small = torch.cat([batch.x for batch in task.batches("test", 16)])
    large = torch.cat([batch.x for batch in task.batches("test", 64)])
    assert small.shape[0] == 70 and torch.equal(small, large)  # independent of the batch size
    valid = torch.cat([batch.x for batch in task.batches("valid", 64)])
    assert not torch.equal(valid, large)


def test_next_frame_target_continues_the_input_video():
    """x and y are the two halves of one video: drawn together, x first."""
    task = make_task("moving-digits", question="next-frame", frames=4, future=3)
    example = task.sample(np.random.default_rng(5), "train")
    video, _ = task.video(np.random.default_rng(5), "train")
    flat = video.reshape(7, -1)
    assert np.array_equal(example.x, flat[:4]) and np.array_equal(example.y, flat[4:])


def test_fold_is_bouncing():
    u = np.array([0.0, 3.0, 10.0, 13.0, 20.0, 23.0, -3.0])
    assert fold(u, 10.0).tolist() == [0.0, 3.0, 10.0, 7.0, 0.0, 3.0, 3.0]


def test_digits_stay_whole_inside_the_canvas_and_bounce():
    task = make_task("moving-digits", canvas=24, scale=1, speeds=(3, 8), frames=20)
    rng = np.random.default_rng(0)
    for _ in range(300):
        corners = task.trajectory(rng, 8.0, 20)
        assert corners.min() >= 0 and corners.max() <= 24 - 8  # the whole digit is inside
        steps = np.abs(np.diff(corners, axis=0))
        assert steps.max() <= 8 + 1  # never more than the speed (+ rounding) per axis
    # one digit: every frame holds the whole digit image (nothing cropped at a wall)
    pool_sums = {round(float(s), 3) for s in digit_pools(1)["train"].sum(axis=(1, 2))}
    for _ in range(50):
        video, _ = task.video(rng, "train")
        sums = video.sum(axis=(1, 2))
        assert np.allclose(sums, sums[0], atol=1e-4) and round(float(sums[0]), 3) in pool_sums


def test_test_digits_are_unseen_images():
    pools = digit_pools(2)
    seen = {img.tobytes() for img in pools["train"]}
    assert len(pools["train"]) + len(pools["valid"]) + len(pools["test"]) == 1797
    assert not any(img.tobytes() in seen for img in pools["test"])


def ks(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic of integer samples."""
    grid = np.arange(min(a.min(), b.min()), max(a.max(), b.max()) + 1)
    cdf = lambda s: np.searchsorted(np.sort(s), grid, side="right") / len(s)  # noqa: E731
    return float(np.abs(cdf(a) - cdf(b)).max())


def test_a_single_frame_carries_no_speed_but_two_frames_do():
    """Where a digit is in any one frame has the same distribution at every speed; how far it
    moves between two frames does not. The same statistic flags a label that would leak (the
    direction of motion at the start), so the check has the power to fail."""
    task = make_task("moving-digits", speeds=(1, 7), frames=10)
    n, bound = 3000, 1.63 * math.sqrt(2 / 3000)  # the KS critical value at 1 %
    rng = np.random.default_rng(0)
    runs = {s: np.stack([task.trajectory(rng, float(s), 10) for _ in range(n)]) for s in (1, 7)}
    for t in (0, 4, 9):
        for axis in (0, 1):
            assert ks(runs[1][:, t, axis], runs[7][:, t, axis]) < bound, (t, axis)
    moved = {s: np.abs(r[:, 1] - r[:, 0]).sum(-1) for s, r in runs.items()}
    assert moved[7].mean() > 3 * moved[1].mean()  # two frames show the speed
    # a leaky label: moving down at the start; frame 4 (half a crossing later) gives it away
    fast = runs[7]
    down = fast[:, 1, 0] > fast[:, 0, 0]
    up = fast[:, 1, 0] < fast[:, 0, 0]
    assert ks(fast[down, 4, 0], fast[up, 4, 0]) > 3 * bound  # measured: 0.17, 4 x the bound


def test_frame_baseline_and_metrics_on_a_hand_made_case():
    last = torch.tensor([[0.0, 1.0, 0.5]])  # (B=1, F=3)
    target = torch.tensor([[[0.0, 1.0, 0.5], [1.0, 0.0, 0.5]]])  # (1, future=2, 3)
    logits = torch.zeros(1, 2, 3)  # sigmoid 0.5 everywhere
    sums = frame_sums(logits, target, last)
    assert sums["frames"] == 2
    assert sums["baseline_se_sum"] == pytest.approx(2.0)  # frame 1 exact, frame 2 two misses
    hit, miss = -math.log(0.99), -math.log(0.01)  # copied pixels clipped to [0.01, 0.99]
    half = math.log(2)  # BCE(0.5, 0.5)
    assert sums["baseline_bce_sum"] == pytest.approx(2 * hit + 2 * miss + 2 * half, rel=1e-5)
    assert sums["se_sum"] == pytest.approx(4 * 0.25)  # (0.5 - 0/1)^2 four times
    assert sums["bce_sum"] == pytest.approx(6 * math.log(2), rel=1e-6)
    task = make_task("moving-digits", question="next-frame")
    metrics = task.summarize({**sums, "frames": 2.0})
    assert metrics["baseline_mse"] == pytest.approx(1.0)
    assert metrics["mse"] == pytest.approx(0.5)
    assert metrics["bce"] == pytest.approx(3 * math.log(2), rel=1e-6)
    assert metrics["loss"] == pytest.approx(6 * math.log(2) / (2 * 1024), rel=1e-6)


def test_scores_and_losses_on_real_batches():
    task = make_task("moving-digits", question="next-frame", eval_size=8)
    batch = next(task.batches("test", 8))
    # logits that reproduce the copy-the-last-frame prediction score its MSE
    copied = batch.x[:, -1:].expand_as(batch.y).clamp(1e-6, 1 - 1e-6)
    metrics = task.summarize(task.score(torch.logit(copied), batch))
    assert metrics["mse"] == pytest.approx(metrics["baseline_mse"], rel=1e-4)
    assert metrics["baseline_mse"] > 0
    with pytest.raises(ValueError, match="expects an output of shape"):
        task.loss(torch.zeros(8, 5, 1024), batch)
    speed = make_task("moving-digits", eval_size=8)
    batch = next(speed.batches("test", 8))
    right = torch.nn.functional.one_hot(batch.y, 4).float() * 10
    assert speed.summarize(speed.score(right, batch))["accuracy"] == 1.0
    assert speed.loss(right, batch) < 0.01


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"canvas": 16}, "canvas = 16 is too small for digits of 16 pixels"),
        ({"canvas": 19, "scale": 2}, "canvas = 19 is too small"),
        ({"speeds": (1, 9)}, "speeds = \\(1, 9\\): 9 pixels per frame would skip"),
        ({"speeds": "1"}, "at least two speeds"),
        ({"speeds": (2, 2)}, "distinct positive"),
        ({"speeds": (0, 2)}, "distinct positive"),
        ({"frames": 1}, "frames = 1"),
        ({"future": 0}, "future = 0"),
        ({"digits": 3}, "digits = 3"),
        ({"scale": 5}, "scale = 5"),
        ({"question": "direction"}, "question = 'direction' is not one of speed, next-frame"),
        ({"eval_size": 0}, "eval_size"),
    ],
)
def test_bad_parameters(params, message):
    with pytest.raises(UserError, match=message):
        make_task("moving-digits", **params)


def test_one_speed_is_fine_for_next_frame():
    assert make_task("moving-digits", question="next-frame", speeds=3).params.speeds == (3,)


def test_cli_refuses_digits_that_leave_the_canvas(capsys):
    code = main(["train", "--task", "moving-digits", "-p", "canvas=20", "-p", "speeds=1,4",
                 "--steps", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "speeds" in err and "skip across" in err


@pytest.mark.learning
def test_an_lstm_on_flattened_frames_reads_the_speed(seed: int) -> None:
    """Two speeds (chance 1/2), 16x16 canvas: 60 steps of a 16-unit FC-LSTM reached 0.88-0.93
    on valid over seeds 0-4."""
    task = make_task("moving-digits", canvas=16, scale=1, speeds=(1, 4), frames=5,
                     eval_size=256)
    seed_everything(seed)
    model = build_model(ModelConfig(family="lstm", hidden_size=16), task.spec)
    config = TrainConfig(steps=60, batch_size=32, lr=1e-2, eval_every=0, progress=False,
                         seed=seed)
    train(model, task, config)
    assert evaluate(model, task, "valid", batch_size=256)["accuracy"] > 0.75


def test_params_round_trip_through_json():
    task = make_task("moving-digits", question="next-frame", speeds="2,3", digits=2)
    stored = json.loads(json.dumps(task.params.to_dict()))
    again = make_task("moving-digits", **stored)
    assert again.params == task.params and again.spec == task.spec
    a, b = next(task.batches("train", 3, seed=1)), next(again.batches("train", 3, seed=1))
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
