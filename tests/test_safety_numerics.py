"""Numerical faults: a non-finite step is skipped before the optimizer sees it, too many in a row
stop the run with advice, a diverged model never becomes last/ or best/, a millionfold loss
is warned about."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from test_train_helpers import SignTask, make_model, weights

from rnnlab.cli import main
from rnnlab.errors import UserError
from rnnlab.tasks.base import Batch, Split
from rnnlab.train import TrainConfig, load_checkpoint, save_checkpoint, train
from rnnlab.train.numerics import FaultWatch, gradients_finite
from rnnlab.train.session import RunState


def quiet(**kwargs: object) -> TrainConfig:
    base: dict[str, object] = dict(device="cpu", progress=False, batch_size=8, eval_every=2,
                                   log_every=1, tensorboard=False, steps=6)
    base.update(kwargs)
    return TrainConfig(**base)  # type: ignore[arg-type]


class PoisonedTask(SignTask):
    """SignTask whose training batches number ``bad`` (0-based) hold a NaN."""

    def __init__(self, bad: set[int]) -> None:
        super().__init__()
        self.bad = bad

    def batches(self, split: Split, batch_size: int, seed: int = 0) -> Iterator[Batch]:
        for i, batch in enumerate(super().batches(split, batch_size, seed)):
            if split == "train" and i in self.bad:
                batch.x[0, 0, 0] = float("nan")
            yield batch


class GrowingLossTask(SignTask):
    """SignTask whose training loss is multiplied by 1e7 from the third step on."""

    calls = 0

    def loss(self, output: torch.Tensor, batch: Batch) -> torch.Tensor:
        self.calls += 1
        return super().loss(output, batch) * (1e7 if self.calls > 2 else 1.0)


def test_one_non_finite_step_is_skipped_and_training_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    task = PoisonedTask(bad={2})
    with caplog.at_level(logging.WARNING, logger="rnnlab.train"):
        result = train(make_model(task), task, quiet(out_dir=str(tmp_path)))
    assert result.steps == 6 and result.stop_reason == "steps"
    assert "step 3: the training loss became nan; the step was skipped" in caplog.text
    ckpt = load_checkpoint(tmp_path / "last")
    assert all(bool(torch.isfinite(t).all()) for t in ckpt.weights.values())


def test_a_skipped_step_leaves_the_weights_untouched() -> None:
    task = PoisonedTask(bad={0})
    model = make_model(task)
    before = weights(model)
    train(model, task, quiet(steps=1))
    after = weights(model)
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_too_many_bad_steps_in_a_row_stop_with_advice() -> None:
    task = PoisonedTask(bad=set(range(100)))
    with pytest.raises(UserError, match=r"at step 1; 3 steps in a row .* step 3.*lower lr"):
        train(make_model(task), task, quiet(max_bad_steps=3))


def test_a_diverged_model_is_never_saved(tmp_path: Path) -> None:
    task = SignTask()
    model = make_model(task)
    with torch.no_grad():
        next(model.parameters()).fill_(float("inf"))
    with pytest.raises(UserError, match="weights are not finite"):
        save_checkpoint(tmp_path / "last", model, {"metrics": {}})
    assert not (tmp_path / "last").exists()
    with pytest.raises(UserError, match="metrics are not finite"):
        save_checkpoint(tmp_path / "best", make_model(task), {"metrics": {"loss": math.inf}})
    assert not (tmp_path / "best").exists()


@pytest.mark.slow
def test_the_issue_s_sgd_run_keeps_a_finite_last_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "X"
    code = main(["train", "--task", "adding", "-p", "T=22", "--hidden-size", "8", "--batch-size",
                 "8", "--optimizer", "sgd", "--lr", "1e6", "--eval-every", "1", "--steps", "30",
                 "--progress", "false", "--out-dir", str(run_dir)])
    err = capsys.readouterr().err
    assert code == 2 and "lower lr" in err and "Traceback" not in err
    for kind in ("last", "best"):
        if (run_dir / kind).exists():
            ckpt = load_checkpoint(run_dir / kind, load_state=False)
            assert all(math.isfinite(v) for v in ckpt.metrics.values())
            assert all(bool(torch.isfinite(t).all()) for t in ckpt.weights.values())


def test_a_model_that_blows_up_mid_run_does_not_replace_last(tmp_path: Path) -> None:
    task = SignTask()

    def blow_up(info: object) -> None:
        if getattr(info, "step", 0) == 3:
            with torch.no_grad():
                for p in info.model.parameters():  # type: ignore[attr-defined]
                    p.fill_(float("inf"))

    with pytest.raises(UserError, match="steps in a row"):
        train(make_model(task), task, quiet(out_dir=str(tmp_path), steps=20, eval_every=1),
              callbacks=[blow_up])
    for kind in ("last", "best"):
        ckpt = load_checkpoint(tmp_path / kind, load_state=False)
        assert ckpt.step <= 3  # saved before the blow-up (best: evaluated before the callback)
        assert all(bool(torch.isfinite(t).all()) for t in ckpt.weights.values())


def test_a_millionfold_loss_is_warned_about_once(caplog: pytest.LogCaptureFixture) -> None:
    task = GrowingLossTask()
    with caplog.at_level(logging.WARNING, logger="rnnlab.train"):
        train(make_model(task), task, quiet(steps=5))
    assert caplog.text.count("the run is diverging") == 1


def test_fault_watch_and_gradient_check() -> None:
    run = RunState()
    watch = FaultWatch(run, max_bad_steps=2)
    assert watch.good_step(1, 0.5) is None and run.initial_loss == 0.5
    assert watch.good_step(2, 1e5) is None
    assert "diverging" in (watch.good_step(3, 1e6) or "")
    assert "skipped" in watch.bad_step(4, "the training loss became inf", 0.1)
    watch.good_step(5, 1.0)  # a good step resets the count
    watch.bad_step(6, "x", 0.1)
    with pytest.raises(UserError, match="x at step 6; 2 steps in a row"):
        watch.bad_step(7, "y", 0.1)
    p = torch.nn.Parameter(torch.ones(3))
    p.grad = torch.tensor([1.0, float("nan"), 2.0])
    assert not gradients_finite([p])
    p.grad = torch.tensor([1.0, 3e38, 2.0])
    assert gradients_finite([p])
