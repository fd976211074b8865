"""The task registry, parameters, determinism: what every task promises."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from rnnlab.errors import UserError
from rnnlab.tasks import TASKS, Task, TaskParams, make_task

GENERATED = {
    "cue-word": {"gap": (2, 6), "eval_size": 50},
    "reber": {"eval_size": 40},
    "lag": {"variant": "2c", "p": 10, "q": 10, "eval_size": 50},
    "adding": {"T": 30, "eval_size": 50},
    "temporal-order": {"variant": "6b", "eval_size": 50},
    "copy": {"T": 10, "eval_size": 50},
}


def same_batches(a, b) -> bool:
    return all(
        torch.equal(x.x, y.x)
        and torch.equal(x.y, y.y)
        and (x.lengths is None) == (y.lengths is None)
        and (x.lengths is None or torch.equal(x.lengths, y.lengths))
        for x, y in zip(a, b, strict=True)
    )


def take(task: Task, split: str, batch_size: int, seed: int, n: int) -> list:
    batches = []
    for batch in task.batches(split, batch_size, seed):
        batches.append(batch)
        if len(batches) == n:
            break
    return batches


def test_registry_names_descriptions_and_params():
    assert set(TASKS) == {
        "cue-word", "reber", "lag", "adding", "temporal-order", "copy", "text",
        "digits-rows", "digits-pixels", "japanese-vowels", "forecast",
        "spoken-digits", "moving-digits", "arrays", "dates", "numbers", "parallel",
    }
    for name, cls in TASKS.items():
        assert cls.name == name
        assert cls.description and "\n" not in cls.description and len(cls.description) < 100
        assert issubclass(cls.Params, TaskParams) and cls.Params is not TaskParams
        for f in dataclasses.fields(cls.Params):  # every field has a default
            assert f.default is not dataclasses.MISSING, (name, f.name)


def test_unknown_task_lists_choices():
    with pytest.raises(UserError, match=r"unknown task 'nope'.*adding.*copy"):
        make_task("nope")


def test_unknown_parameter_lists_valid_ones():
    with pytest.raises(UserError, match=r"unknown parameter.*colour.*valid: T, eval_size"):
        make_task("adding", colour="red")


@pytest.mark.parametrize(
    ("name", "params", "pattern"),
    [
        ("adding", {"T": "ten"}, "parameter T = 'ten' is not a valid int"),
        ("adding", {"T": 5}, r"T = 5 must be in \[22, 100000\]"),
        ("lag", {"variant": "2d"}, "variant = '2d' is not one of 2a, 2b, 2c"),
        ("temporal-order", {"variant": "6c"}, "not one of 6a, 6b"),
        ("cue-word", {"gap": (9, 3)}, "gap"),
        ("cue-word", {"gap": 1}, r"gap = 1 must be in \[2, 100000\]"),
        ("cue-word", {"n_answers": 9}, "n_answers"),
        ("copy", {"T": 2.5}, "not a valid int"),
        ("reber", {"train_size": True}, "not a valid int"),
        ("text", {}, "path=FILE"),
        ("forecast", {"window": 0}, "window"),
        ("forecast", {"arima_order": (1, 2)}, "arima_order"),
    ],
)
def test_invalid_values_raise_user_error(name, params, pattern):
    with pytest.raises(UserError, match=pattern):
        make_task(name, **params)


def test_string_values_are_coerced_like_command_line_flags():
    task = make_task("lag", variant="2c", p="12", q="3", eval_size="10")
    assert (task.params.p, task.params.q, task.params.eval_size) == (12, 3, 10)
    assert make_task("cue-word", gap="4,9").params.gap == (4, 9)
    assert make_task("cue-word", gap="7").params.gap == 7


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_params_round_trip_through_json_rebuilds_the_same_task(name):
    task = make_task(name, **GENERATED[name])
    stored = json.loads(json.dumps({"name": task.name, "params": task.params.to_dict()}))
    again = make_task(stored["name"], **stored["params"])
    assert again.params == task.params
    assert again.spec == task.spec
    assert same_batches(take(task, "train", 4, 3, 2), take(again, "train", 4, 3, 2))


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_tasks_are_deterministic_and_seeded(name):
    task = make_task(name, **GENERATED[name])
    assert same_batches(take(task, "train", 5, 7, 3), take(task, "train", 5, 7, 3))
    assert not same_batches(take(task, "train", 5, 7, 3), take(task, "train", 5, 8, 3))
    # train, valid and test draw from different streams
    assert not same_batches(take(task, "valid", 5, 7, 1), take(task, "test", 5, 7, 1))
    assert not same_batches(take(task, "train", 5, 7, 1), take(task, "valid", 5, 7, 1))
    # the fixed eval set is the same whatever the batch size, and has eval_size sequences
    small = list(task.batches("test", 7, 1))
    large = list(task.batches("test", 50, 1))
    assert sum(b.size for b in small) == sum(b.size for b in large) == task.params.eval_size
    first = small[0]
    T = first.x.shape[1]
    assert torch.equal(first.x, large[0].x[:7, :T])
    # the train iterator never ends
    assert len(take(task, "train", 2, 0, 30)) == 30


def test_bad_split_batch_size_and_seed():
    task = make_task("copy", T=5)
    with pytest.raises(UserError, match="unknown split 'dev'"):
        task.batches("dev", 4)
    with pytest.raises(UserError, match="batch size"):
        task.batches("train", 0)
    with pytest.raises(UserError, match="seed"):
        task.batches("train", 2, seed=-1)


def test_batches_move_to_a_device_with_extras():
    batch = next(make_task("cue-word", gap=(2, 5)).batches("train", 3))
    moved = batch.to("cpu")
    assert torch.equal(moved.extra["gap"], batch.extra["gap"])
