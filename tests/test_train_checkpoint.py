"""Checkpoints: exact resume, atomic writes, clear errors for bad checkpoints, rebuilding."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from test_train_helpers import (
    SignTask,
    StreamTask,
    TinyGRU,
    assert_same_weights,
    make_model,
    weights,
)
from torch import nn

import rnnlab.train.checkpoint as ckpt_module
from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.tasks.base import Task
from rnnlab.train import (
    StepInfo,
    TrainConfig,
    checkpoint_meta,
    load_checkpoint,
    read_metrics,
    rebuild_model,
    save_checkpoint,
    train,
)


def config(out_dir: Path, **kwargs: object) -> TrainConfig:
    base: dict[str, object] = dict(
        device="cpu", progress=False, tensorboard=False, batch_size=8, out_dir=str(out_dir)
    )
    base.update(kwargs)
    return TrainConfig(**base)  # type: ignore[arg-type]


def stop_at(step: int) -> Callable[[StepInfo], bool]:
    return lambda info: info.step == step


def _split_run(task: Task, cfg: dict[str, object], stop: int, tmp: Path) -> tuple[nn.Module, list]:
    """Train until ``stop``, then resume with a *fresh* model object to the end."""
    first = make_model(task, dropout=0.3)
    partial = train(first, task, config(tmp, **cfg), callbacks=[stop_at(stop)])
    assert partial.steps == stop and partial.stop_reason == "callback"
    second = make_model(task, seed=123, dropout=0.3)  # other initial weights: all must be loaded
    result = train(second, task, config(tmp, **cfg), resume=True)
    return second, result.history


@pytest.mark.parametrize(
    ("name", "make_task", "cfg", "stop"),
    [
        # adam + cosine + warmup + clipping + dropout, stopped between evaluations
        (
            "sign",
            SignTask,
            dict(
                steps=40,
                lr=1e-2,
                schedule="cosine",
                warmup_steps=5,
                clip_grad_norm=0.5,
                eval_every=10,
                log_every=5,
            ),
            17,
        ),
        # finite stream over 3 epochs of 5 batches, stopped mid-epoch while carrying state;
        # sgd with momentum and a plateau schedule that halves the lr at every evaluation
        # after the first (min_delta: no evaluation counts as an improvement)
        (
            "stream",
            lambda: StreamTask(chunk=4, chunks=5),
            dict(
                steps=0,
                epochs=3,
                optimizer="sgd",
                momentum=0.9,
                lr=0.5,
                schedule="plateau",
                plateau_patience=1,
                gamma=0.5,
                min_delta=10.0,
                eval_every=3,
                log_every=2,
            ),
            7,
        ),
    ],
)
def test_resume_equals_an_uninterrupted_run(
    tmp_path: Path, name: str, make_task: type[Task], cfg: dict[str, object], stop: int
) -> None:
    task = make_task()
    whole = make_model(task, dropout=0.3)
    whole_result = train(whole, task, config(tmp_path / "whole", **cfg))

    split, split_history = _split_run(task, cfg, stop, tmp_path / "split")

    assert_same_weights(weights(whole), weights(split))

    def comparable(history: list[dict]) -> list[dict]:
        # Times differ; and the split run also evaluated where its first session ended.
        return [
            {k: v for k, v in r.items() if k != "time"}
            for r in history
            if not (r["split"] == "valid" and r["step"] == stop)
        ]

    assert stop % int(cfg["eval_every"]) != 0  # (so the filter above removes only that one)
    assert comparable(split_history) == comparable(whole_result.history)
    # the metrics file was appended to, not restarted, and matches the history
    assert comparable(read_metrics(tmp_path / "split")) == comparable(whole_result.history)
    # the optimizer state matches too, so training on from either would stay identical
    whole_state = load_checkpoint(tmp_path / "whole" / "last").state
    split_state = load_checkpoint(tmp_path / "split" / "last").state
    assert whole_state is not None and split_state is not None
    for a, b in zip(
        whole_state["optimizer"]["state"].values(),
        split_state["optimizer"]["state"].values(),
        strict=True,
    ):
        for key in a:
            assert torch.equal(torch.as_tensor(a[key]), torch.as_tensor(b[key]))


def test_resume_after_ctrl_c_style_stop_keeps_the_carried_stream_state(tmp_path: Path) -> None:
    task = StreamTask(chunk=4, chunks=5)
    model = make_model(task)
    train(model, task, config(tmp_path, steps=7, eval_every=100), callbacks=[stop_at(3)])
    state = load_checkpoint(tmp_path).state
    assert state is not None
    assert state["run"]["batch_in_epoch"] == 3
    carried = state["carried_state"]
    assert isinstance(carried, torch.Tensor) and carried.shape == (1, 8, 12)


# -- atomic writes ------------------------------------------------------------------------------


def _save(path: Path, model: nn.Module, step: int) -> None:
    save_checkpoint(path, model, checkpoint_meta(model, SignTask(), step=step), {"step": step})


@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failed_save_leaves_the_old_checkpoint_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    task = SignTask()
    good = make_model(task, seed=1)
    _save(tmp_path / "last", good, step=1)
    before = {p.name: p.read_bytes() for p in (tmp_path / "last").iterdir()}

    def broken_save(directory: Path, state: object) -> list[str]:
        (directory / "state.json").write_text('{"half a checkpoint')
        raise failure

    monkeypatch.setattr(ckpt_module, "save_state", broken_save)
    with pytest.raises(type(failure)):
        _save(tmp_path / "last", make_model(task, seed=2), step=2)

    after = {p.name: p.read_bytes() for p in (tmp_path / "last").iterdir()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last"]  # no stray temp files
    loaded = load_checkpoint(tmp_path / "last")
    assert loaded.step == 1
    assert_same_weights(loaded.weights, weights(good))


def test_a_failure_during_the_swap_puts_the_old_checkpoint_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = make_model(SignTask())
    _save(tmp_path / "last", model, step=1)
    real_replace = ckpt_module.os.replace
    calls = []

    def replace(src: object, dst: object) -> None:
        calls.append((src, dst))
        if len(calls) == 2:  # the old one is already aside; the new one fails to move in
            raise OSError("simulated crash")
        real_replace(src, dst)

    monkeypatch.setattr(ckpt_module.os, "replace", replace)
    with pytest.raises(OSError, match="simulated"):
        _save(tmp_path / "last", model, step=2)
    monkeypatch.undo()
    assert load_checkpoint(tmp_path / "last").step == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last"]


def test_a_crash_between_the_renames_is_recovered(tmp_path: Path) -> None:
    model = make_model(SignTask())
    _save(tmp_path / "last", model, step=1)
    # what a power cut between the two renames leaves: the old one aside, a finished temp dir
    (tmp_path / "last").rename(tmp_path / ".last.old")
    (tmp_path / ".last.tmp-dead").mkdir()
    assert load_checkpoint(tmp_path / "last").step == 1  # readers find it without moving it
    _save(tmp_path / "last", model, step=2)  # the next save repairs the directory first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last"]
    assert load_checkpoint(tmp_path / "last").step == 2


# -- bad checkpoints ----------------------------------------------------------------------------


def _one_line_error(path: Path, match: str) -> None:
    with pytest.raises(UserError, match=match) as info:
        load_checkpoint(path)
    assert "\n" not in str(info.value)


def test_not_a_checkpoint_is_a_user_error(tmp_path: Path) -> None:
    _one_line_error(tmp_path / "missing", "no checkpoint at")
    (tmp_path / "weights.bin").write_bytes(b"\x00\x01")
    _one_line_error(tmp_path / "weights.bin", "not an rnnlab checkpoint.*is a file")
    (tmp_path / "empty").mkdir()
    _one_line_error(tmp_path / "empty", "not an rnnlab checkpoint: no config.json")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "config.json").write_text('{"model_type": "bert"}')
    _one_line_error(tmp_path / "other", "no rnnlab format marker")


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        (lambda d: (d / "config.json").write_text('{"format": "rnnl'), "cannot read .*config"),
        (lambda d: _edit_meta(d, format_version=99), "format version 99"),
        (lambda d: _truncate(d / "model.safetensors"), "model.safetensors does not match"),
        (lambda d: _truncate(d / "state.json"), "state.json does not match"),
        (lambda d: _truncate(d / "state.safetensors"), "state.safetensors does not match"),
        (lambda d: (d / "model.safetensors").unlink(), "model.safetensors is missing"),
        (
            lambda d: _edit_meta(
                d,
                files={
                    "model.safetensors": _sha(d / "model.safetensors"),
                    "state.json": _sha(_truncate(d / "state.json")),
                    "state.safetensors": _sha(d / "state.safetensors"),
                },
            ),
            "cannot read .*state.json",
        ),
    ],
)
def test_a_corrupt_or_incompatible_checkpoint_is_a_user_error(
    tmp_path: Path, damage: object, match: str
) -> None:
    _save(tmp_path / "ck", make_model(SignTask()), step=1)
    damage(tmp_path / "ck")  # type: ignore[operator]
    _one_line_error(tmp_path / "ck", match)


def _edit_meta(directory: Path, **changes: object) -> None:
    meta = json.loads((directory / "config.json").read_text())
    meta.update(changes)
    (directory / "config.json").write_text(json.dumps(meta))


def _truncate(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- rebuilding ---------------------------------------------------------------------------------


class TiedLM(nn.Module):
    """Embedding and output layer share one matrix (weight tying)."""

    def __init__(self, config: ModelConfig, vocab: int = 5) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(vocab, config.hidden_size)
        self.out = nn.Linear(config.hidden_size, vocab, bias=False)
        self.out.weight = self.embed.weight

    def forward(self, x: torch.Tensor, lengths: object = None, state: object = None) -> tuple:
        return self.out(self.embed(x)), None


def test_rebuild_model_from_a_checkpoint(tmp_path: Path) -> None:
    task = SignTask()
    model = make_model(task)
    train(model, task, config(tmp_path, steps=5, eval_every=5))
    seen = {}

    def build(model_config: ModelConfig, spec: object) -> nn.Module:
        seen["config"], seen["spec"] = model_config, spec
        return TinyGRU(spec, hidden=model_config.hidden_size)  # type: ignore[arg-type]

    rebuilt = rebuild_model(tmp_path, build)
    assert seen["config"] == model.config and seen["spec"] == task.spec
    assert not rebuilt.training
    assert_same_weights(weights(rebuilt), weights(model))
    ck = load_checkpoint(tmp_path / "best")
    assert ck.state is None and ck.task_name == "sign" and ck.train_config.steps == 5
    assert set(ck.metrics) == {"loss", "accuracy"}

    with pytest.raises(UserError, match="do not fit this model"):
        rebuild_model(tmp_path, lambda c, s: TinyGRU(s, hidden=7))  # type: ignore[arg-type]


def test_tied_weights_are_saved_once_and_loaded_back(tmp_path: Path) -> None:
    model = TiedLM(ModelConfig(family="rnn", hidden_size=6))
    save_checkpoint(tmp_path / "ck", model, checkpoint_meta(model))
    rebuilt = rebuild_model(tmp_path / "ck", lambda c, s: TiedLM(c))
    assert rebuilt.out.weight is rebuilt.embed.weight
    assert torch.equal(rebuilt.embed.weight, model.embed.weight)


def test_resuming_with_other_settings_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    task = SignTask()
    train(make_model(task), task, config(tmp_path, steps=4, eval_every=2))
    with caplog.at_level("WARNING", logger="rnnlab.train"):
        train(make_model(task), task, config(tmp_path, steps=8, eval_every=2), resume=True)
    assert "changed settings" not in caplog.text  # more steps: still the same run
    with caplog.at_level("WARNING", logger="rnnlab.train"):
        train(make_model(task), task, config(tmp_path, steps=9, lr=0.1), resume=True)
    assert "changed settings (eval_every 2 -> 100, lr 0.001 -> 0.1)" in caplog.text
