"""Crafted checkpoints (issue 10, item 4): every field is checked before anything is built or
allocated, the training state is read without pickle, paths stay inside the checkpoint."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from helpers_cli import one_line_error

from rnnlab.cli import main
from rnnlab.train.state_io import flatten, unflatten

TINY = ["--task", "adding", "-p", "T=22", "-p", "eval_size=16", "--hidden-size", "4",
        "--batch-size", "4", "--progress", "false", "--eval-every", "1"]


@pytest.fixture(scope="module")
def good_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ckpt") / "run"
    assert main(["train", *TINY, "--steps", "2", "--out-dir", str(out)]) == 0
    return out


@pytest.fixture
def run(good_run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(good_run, copy)
    return copy


def edit_meta(ckpt: Path, change: Callable[[dict[str, Any]], None]) -> None:
    meta = json.loads((ckpt / "config.json").read_text())
    change(meta)
    (ckpt / "config.json").write_text(json.dumps(meta))


def edit_state(ckpt: Path, change: Callable[[Any], Any]) -> None:
    """Change state.json and fix its checksum, so only the validation can catch it."""
    path = ckpt / "state.json"
    state = change(json.loads(path.read_text()))
    path.write_text(json.dumps(state))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    edit_meta(ckpt, lambda m: m["files"].__setitem__("state.json", digest))


def _set(*keys: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(meta: dict[str, Any]) -> None:
        target = meta
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return change


@pytest.mark.parametrize("change, words", [
    (_set("model", "hidden_size", value=10**9), ["hidden_size"]),
    (_set("model", "num_layers", value=None), ["num_layers"]),
    (_set("model", "dense_before", value=["x"]), ["dense_before"]),
    (_set("model", "bogus", value=1), ["unknown field", "bogus"]),
    (_set("model", value="lstm"), ["'model' must be an object"]),
    (_set("task", value="adding"), ["'task' must be an object"]),
    (_set("task", "spec", "colour", value="red"), ["unknown", "colour"]),
    (_set("task", "spec", "input_size", value=-3), ["input_size"]),
    (_set("task", "params", value=[1, 2]), ["params"]),
    (_set("files", "../../../../etc/hostname", value="0" * 64), ["lists a file", "hostname"]),
    (_set("files", value="everything"), ["files"]),
    (_set("metrics", value={"loss": "low"}), ["metrics"]),
    (_set("step", value=-1), ["step"]),
])  # fmt: skip
def test_a_crafted_config_is_one_line_error(
    run: Path, capsys: pytest.CaptureFixture[str], change: Any, words: list[str]
) -> None:
    edit_meta(run / "best", change)
    one_line_error(capsys, ["evaluate", str(run / "best")], *words)
    edit_meta(run / "last", change)
    one_line_error(capsys, ["train", "--resume", "--out-dir", str(run), "--steps", "3"], *words)


def test_a_json_nesting_bomb_is_refused(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (run / "best" / "config.json").write_text("[" * 200_000 + "]" * 200_000)
    one_line_error(capsys, ["evaluate", str(run / "best")], "nests deeper")


def test_a_small_checkpoint_claiming_a_big_model_is_refused_before_building_it(
    run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_meta(run / "best", _set("model", "hidden_size", value=8000))  # 8000: inside the range
    start = time.perf_counter()
    one_line_error(capsys, ["evaluate", str(run / "best")], "do not fit")
    assert time.perf_counter() - start < 3.0  # no 1 GB model was built to find out


def test_the_training_state_is_not_a_pickle(good_run: Path) -> None:
    names = {p.name for p in (good_run / "last").iterdir()}
    assert {"state.json", "state.safetensors"} <= names and "state.pt" not in names
    assert b"\x80" not in (good_run / "last" / "state.json").read_bytes()[:2]  # no pickle header


def test_an_old_pickled_state_is_refused(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    last = run / "last"
    torch.save({"x": 1}, last / "state.pt")
    digest = hashlib.sha256((last / "state.pt").read_bytes()).hexdigest()

    def legacy(meta: dict[str, Any]) -> None:
        meta["files"] = {"model.safetensors": meta["files"]["model.safetensors"],
                         "state.pt": digest}

    edit_meta(last, legacy)
    one_line_error(capsys, ["train", "--resume", "--out-dir", str(run), "--steps", "3"], "pickle")


def _empty_groups(s: dict[str, Any]) -> dict[str, Any]:
    s["optimizer"]["param_groups"] = []
    return s


def _garbage_rng(s: dict[str, Any]) -> dict[str, Any]:
    s["rng"]["numpy"]["keys"] = [1, 2, 3]
    return s


def _replay_forever(s: dict[str, Any]) -> dict[str, Any]:
    s["run"]["batch_in_epoch"] = 10**12
    return s


def _python_rng(s: dict[str, Any]) -> dict[str, Any]:
    s["rng"]["python"] = "seven"
    return s


def _tensor_ref(s: dict[str, Any]) -> dict[str, Any]:
    s["rng"]["torch"] = {"__tensor__": "nope"}
    return s


@pytest.mark.parametrize("change, words", [
    (lambda s: {}, ["optimizer"]),
    (lambda s: [1, 2], ["not an object"]),
    (_empty_groups, ["parameter groups"]),
    (_garbage_rng, ["NumPy RNG"]),
    (_python_rng, ["Python RNG"]),
    (_replay_forever, ["batch_in_epoch"]),
    (_tensor_ref, ["does not hold"]),
])  # fmt: skip
def test_a_crafted_training_state_is_one_line_error(
    run: Path, capsys: pytest.CaptureFixture[str], change: Any, words: list[str]
) -> None:
    edit_state(run / "last", change)
    start = time.perf_counter()
    one_line_error(capsys, ["train", "--resume", "--out-dir", str(run), "--steps", "3"], *words)
    assert time.perf_counter() - start < 10


def test_state_round_trip_keeps_types() -> None:
    opt = torch.optim.Adam([torch.nn.Parameter(torch.ones(3))], betas=(0.8, 0.9))
    opt.param_groups[0]["params"][0].grad = torch.ones(3)
    opt.step()
    state = {"optimizer": opt.state_dict(), "python": (3, (1, 2), None), "carried": None,
             "nested": [(torch.zeros(2), torch.ones(1))], "inf": float("inf")}
    tensors: dict[str, torch.Tensor] = {}
    back = unflatten(json.loads(json.dumps(flatten(state, tensors))), tensors)
    assert back["python"] == (3, (1, 2), None) and back["carried"] is None
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.8, 0.9)
    assert set(back["optimizer"]["state"]) == {0}  # int keys survive
    assert torch.equal(back["optimizer"]["state"][0]["exp_avg"], opt.state[
        opt.param_groups[0]["params"][0]]["exp_avg"])
    assert isinstance(back["nested"][0], tuple) and back["inf"] == float("inf")
