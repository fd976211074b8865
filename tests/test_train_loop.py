"""The training loop: learning, determinism, truncated BPTT, limits, stopping rules, logs."""

from __future__ import annotations

import json
import math
import os
import signal
from pathlib import Path

import pytest
import torch
from test_train_helpers import (
    ScriptedCarryTask,
    SignTask,
    StreamTask,
    assert_same_weights,
    make_model,
    weights,
)

from rnnlab.errors import UserError
from rnnlab.train import (
    StepInfo,
    TrainConfig,
    evaluate,
    load_checkpoint,
    read_metrics,
    train,
)


def quiet(**kwargs: object) -> TrainConfig:
    """A small CPU config without a progress bar."""
    base: dict[str, object] = dict(
        device="cpu", progress=False, batch_size=16, eval_every=20, log_every=10, tensorboard=False
    )
    base.update(kwargs)
    return TrainConfig(**base)  # type: ignore[arg-type]


@pytest.mark.learning
def test_learning_happens_on_a_toy_task(seed: int) -> None:
    task = SignTask()
    model = make_model(task, seed=seed, hidden=16)
    before = evaluate(model, task, batch_size=32)
    assert math.isclose(before["loss"], math.log(2), abs_tol=0.1)  # untrained: ~chance

    config = quiet(steps=150, lr=1e-2, batch_size=32, eval_every=50, seed=seed)
    result = train(model, task, config)

    after = evaluate(model, task, batch_size=32)
    assert after["loss"] < 0.5 * before["loss"]
    assert after["accuracy"] > 0.9
    assert result.final_metrics == after  # the last evaluation was of the final weights
    assert result.steps == 150 and result.stop_reason == "steps"
    assert result.sequences_seen == 150 * 32
    assert result.tokens_seen == 150 * 32 * 6
    assert result.tokens_per_second > 0 and result.wall_time > 0


def test_same_seed_gives_identical_weights_and_other_seeds_differ() -> None:
    task = SignTask()

    def run(seed: int) -> dict[str, torch.Tensor]:
        model = make_model(task, seed=0, dropout=0.2)  # dropout: the loop's RNG matters too
        train(model, task, quiet(steps=25, seed=seed))
        return weights(model)

    first, second = run(1), run(1)
    assert_same_weights(first, second)
    other = run(2)
    assert any(not torch.equal(first[k], other[k]) for k in first)


def test_state_is_carried_only_when_the_batch_says_so() -> None:
    pattern = (False, True, True, False, True)
    task = ScriptedCarryTask(pattern)
    model = make_model(task, record=True)
    train(model, task, quiet(steps=10, eval_every=0))

    flags = [pattern[i % len(pattern)] for i in range(10)]
    assert len(model.received) == 10
    for i, (flag, got) in enumerate(zip(flags, model.received, strict=True)):
        if not flag:
            assert got is None, f"step {i}: state passed to a batch that starts new streams"
        else:
            previous = model.returned[i - 1]
            assert got is not None and torch.equal(got, previous.detach())
            assert not got.requires_grad  # truncated BPTT: no gradient into the last chunk


def test_evaluation_carries_state_through_a_stream() -> None:
    task = ScriptedCarryTask((False, True, True))
    model = make_model(task)
    seen: list[object] = []
    forward = model.forward

    def spy(x: torch.Tensor, lengths: object = None, state: object = None) -> object:
        seen.append(state)
        return forward(x, lengths, state)

    model.forward = spy  # type: ignore[method-assign]
    evaluate(model, task, batch_size=4)
    assert seen[0] is None and seen[1] is not None and seen[2] is not None


def test_epochs_limit_and_counters_on_a_finite_stream() -> None:
    task = StreamTask(chunk=5, chunks=4)
    model = make_model(task)
    result = train(model, task, quiet(steps=0, epochs=3, batch_size=8, eval_every=0))
    assert result.stop_reason == "epochs"
    assert result.epochs == 3 and result.steps == 12
    assert result.sequences_seen == 12 * 8 and result.tokens_seen == 12 * 8 * 5
    valid = [r for r in result.history if r["split"] == "valid"]
    assert [r["step"] for r in valid] == [4, 8, 12]  # eval_every=0: at the end of each epoch


def test_time_budget_stops_training() -> None:
    task = SignTask()
    model = make_model(task)
    result = train(model, task, quiet(steps=0, minutes=0.5 / 60, eval_every=0))
    assert result.stop_reason == "time"
    assert result.steps > 0
    assert 0.5 <= result.wall_time < 5.0


def test_gradient_clipping_bounds_the_norm() -> None:
    task = SignTask()
    model = make_model(task)
    clip = 0.05
    before_clip: list[float] = []
    after_clip: list[float] = []

    def check(info: StepInfo) -> None:
        assert info.grad_norm is not None
        before_clip.append(info.grad_norm)
        # The gradients the optimizer just used are still in .grad.
        grads = [p.grad for p in info.model.parameters() if p.grad is not None]
        after_clip.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))

    train(model, task, quiet(steps=10, lr=1e-3, clip_grad_norm=clip), callbacks=[check])
    assert max(before_clip) > clip  # clipping had something to do
    assert all(norm <= clip * (1 + 1e-5) for norm in after_clip)


def test_early_stopping_stops_and_restores_the_best_weights(tmp_path: Path) -> None:
    task = SignTask(invert_valid=True)  # learning the training task ruins validation
    model = make_model(task)
    snapshots: dict[int, dict[str, torch.Tensor]] = {}

    def snapshot(info: StepInfo) -> None:
        if info.metrics is not None:
            snapshots[info.step] = weights(info.model)

    config = quiet(steps=2000, lr=1e-2, eval_every=10, patience=3, out_dir=str(tmp_path))
    result = train(model, task, config, callbacks=[snapshot])

    assert result.stop_reason == "early_stopping"
    assert result.steps < 2000
    valid = [r for r in result.history if r["split"] == "valid"]
    best = min(valid, key=lambda r: r["loss"])
    assert result.best_step == best["step"] and result.steps == best["step"] + 3 * 10
    assert result.restored_best
    assert_same_weights(weights(model), snapshots[best["step"]])
    assert_same_weights(load_checkpoint(tmp_path / "best").weights, snapshots[best["step"]])
    # last/ keeps the true last state (for resuming), not the restored one
    assert load_checkpoint(tmp_path / "last").step == result.steps


@pytest.mark.learning
def test_stop_when_reports_how_many_sequences_were_needed(seed: int) -> None:
    task = SignTask()
    model = make_model(task, seed=seed, hidden=16)
    config = quiet(steps=1000, lr=1e-2, eval_every=10, stop_when="accuracy>=0.85", seed=seed)
    result = train(model, task, config)
    assert result.stop_reason == "target"
    reached = result.target_reached
    assert reached is not None and reached["metrics"]["accuracy"] >= 0.85
    assert reached["step"] == result.steps < 1000
    assert reached["sequences"] == reached["step"] * 16


def test_callback_can_stop_training() -> None:
    task = SignTask()
    result = train(make_model(task), task, quiet(steps=100), callbacks=[lambda i: i.step == 7])
    assert result.stop_reason == "callback" and result.steps == 7


def test_ctrl_c_finishes_the_step_saves_and_returns(tmp_path: Path) -> None:
    task = SignTask()
    model = make_model(task)

    def press_ctrl_c(info: StepInfo) -> None:
        if info.step == 5:
            os.kill(os.getpid(), signal.SIGINT)

    handler_before = signal.getsignal(signal.SIGINT)
    result = train(model, task, quiet(steps=100, out_dir=str(tmp_path)), callbacks=[press_ctrl_c])
    assert result.interrupted and result.stop_reason == "interrupted"
    assert result.steps == 5
    assert load_checkpoint(tmp_path / "last").step == 5
    assert signal.getsignal(signal.SIGINT) is handler_before  # the handler is put back

    resumed = train(
        make_model(task, seed=9), task, quiet(steps=10, out_dir=str(tmp_path)), resume=True
    )
    assert resumed.steps == 10 and not resumed.interrupted


def test_metrics_jsonl_is_written_and_parseable(tmp_path: Path) -> None:
    task = SignTask()
    train(make_model(task), task, quiet(steps=40, out_dir=str(tmp_path)))
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert records == read_metrics(tmp_path)
    for record in records:
        assert {"step", "split", "time"} <= record.keys()
    train_steps = [r["step"] for r in records if r["split"] == "train"]
    valid = [r for r in records if r["split"] == "valid"]
    assert train_steps == [10, 20, 30, 40]
    assert [r["step"] for r in valid] == [20, 40]
    assert all({"loss", "accuracy"} <= r.keys() for r in valid)
    assert all("loss" in r and "lr" in r for r in records if r["split"] == "train")


def test_a_finished_run_is_not_overwritten_by_accident(tmp_path: Path) -> None:
    task = SignTask()
    train(make_model(task), task, quiet(steps=5, out_dir=str(tmp_path)))
    with pytest.raises(UserError, match="already holds a run"):
        train(make_model(task), task, quiet(steps=5, out_dir=str(tmp_path)))
    result = train(make_model(task), task, quiet(steps=3, out_dir=str(tmp_path), overwrite=True))
    assert result.steps == 3 and load_checkpoint(tmp_path).step == 3
    with pytest.raises(UserError, match="nothing to resume"):
        train(make_model(task), task, quiet(steps=5, out_dir=str(tmp_path / "new")), resume=True)


def test_a_diverging_loss_is_a_clear_error() -> None:
    task = SignTask()
    model = make_model(task)
    with torch.no_grad():
        model.head.weight.fill_(float("nan"))
    with pytest.raises(UserError, match="loss became nan at step 1"):
        train(model, task, quiet(steps=5))


def test_train_config_round_trip_and_errors() -> None:
    config = TrainConfig(optimizer="sgd", momentum=0.9, schedule="cosine", steps=10)
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    with pytest.raises(UserError, match=r"unknown training config field.*bogus"):
        TrainConfig.from_dict({**config.to_dict(), "bogus": 1})
    with pytest.raises(ValueError, match="optimizer"):  # UserError is a ValueError
        TrainConfig(optimizer="adagrad")
    with pytest.raises(UserError, match="no end"):
        TrainConfig(steps=0)
    with pytest.raises(UserError, match="stop_when"):
        TrainConfig(stop_when="accuracy=1")
    assert TrainConfig(metric="accuracy").higher_is_better
    assert not TrainConfig(metric="loss").higher_is_better
    assert not TrainConfig(metric="accuracy", metric_mode="min").higher_is_better


def test_metrics_after_the_checkpoint_are_dropped_on_resume(tmp_path: Path) -> None:
    task = SignTask()
    train(make_model(task), task, quiet(steps=20, out_dir=str(tmp_path)))
    with open(tmp_path / "metrics.jsonl", "a") as f:  # written after last/, then a crash
        f.write(json.dumps({"step": 25, "split": "train", "loss": 1.0, "time": 1.0}) + "\n")
        f.write('{"step": 26, "spl')  # the line being written when the process died
    assert read_metrics(tmp_path)[-1]["step"] == 25  # a cut-off last line is skipped
    train(make_model(task), task, quiet(steps=30, out_dir=str(tmp_path)), resume=True)
    steps = [r["step"] for r in read_metrics(tmp_path) if r["split"] == "train"]
    assert steps == [10, 20, 30]


def test_progress_bar_only_on_a_terminal() -> None:
    import io

    from rich.console import Console

    from rnnlab.train.progress import TrainProgress

    assert not TrainProgress(10, console=Console(file=io.StringIO())).active
    assert not TrainProgress(10, enabled=False, console=Console(force_terminal=True)).active
    out = io.StringIO()
    with TrainProgress(10, console=Console(file=out, force_terminal=True, width=120)) as bar:
        assert bar.active
        bar.update(5, loss=0.25, tokens_per_second=1234.0)
    assert "0.2500" in out.getvalue() and "1,234 tok/s" in out.getvalue()


def test_tensorboard_is_optional(tmp_path: Path) -> None:
    try:
        import torch.utils.tensorboard  # noqa: F401

        installed = True
    except ImportError:
        installed = False
    task = SignTask()
    train(make_model(task), task, quiet(steps=20, out_dir=str(tmp_path), tensorboard=True))
    assert (tmp_path / "tensorboard").is_dir() == installed
    assert read_metrics(tmp_path)
