"""The adjustable-lag protocol: the tasks that have a lag say so, probe the right lags,
rebuild themselves at one lag with the same spec, and (cue-word) give a passage whose cues
are known."""

from __future__ import annotations

import pytest

from rnnlab.tasks import AdjustableLag, has_adjustable_lag, make_task
from rnnlab.tasks.cue_word import ANSWERS, CUES, PASSAGE_GAP, VOCAB


@pytest.mark.parametrize(("name", "params", "lagged"), [
    ("cue-word", {}, True),
    ("lag", {"variant": "2c", "p": 4, "q": 8}, True),
    ("lag", {"variant": "2a", "p": 10}, False),
    ("lag", {"variant": "2b", "p": 10}, False),
    ("adding", {"T": 30}, False),
    ("copy", {}, False),
    ("reber", {}, False),
    ("temporal-order", {}, False),
])
def test_which_tasks_have_a_lag(name: str, params: dict, lagged: bool) -> None:
    assert has_adjustable_lag(make_task(name, **params)) is lagged


def test_names_and_units() -> None:
    cue = make_task("cue-word")
    lag = make_task("lag", variant="2c", p=4, q=8)
    assert isinstance(cue, AdjustableLag) and isinstance(lag, AdjustableLag)
    assert (cue.lag_name, cue.lag_unit) == ("gap", "words")
    assert (lag.lag_name, lag.lag_unit) == ("q", "steps")
    assert cue.lag_axis == "gap: words between the cue and the answer"
    assert lag.lag_axis == "lag to bridge (steps)"


def test_cue_word_lag_range_and_lags_to_probe() -> None:
    task = make_task("cue-word", gap=(2, 30))
    assert task.lag_range == (2, 30)
    assert make_task("cue-word", gap=7).lag_range == (7, 7)
    # every gap up to 6, then six spread evenly from 8 to the longest
    assert task.lags_to_probe() == [2, 3, 4, 5, 6, 8, 12, 17, 21, 26, 30]
    # a window MLP of window 10: the gaps around its edge are added
    assert task.lags_to_probe([10]) == [2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 17, 21, 26, 30]
    # edges outside the trained range are not probed
    assert make_task("cue-word", gap=(2, 8)).lags_to_probe([20]) == [2, 3, 4, 5, 6, 8]


def test_lag_2c_lag_range_and_lags_to_probe() -> None:
    assert make_task("lag", variant="2c", p=4, q=100).lag_range == (100, 100)
    assert make_task("lag", variant="2c", p=4, q=100).lags_to_probe([5]) == [25, 50, 100]
    assert make_task("lag", variant="2c", p=4, q=3).lags_to_probe() == [1, 3]


def test_at_lag_keeps_the_spec_and_sets_the_lag() -> None:
    cue = make_task("cue-word", gap=(2, 20), eval_size=16)
    at = cue.at_lag(9)
    assert at.params.gap == 9 and at.spec == cue.spec
    assert set(next(iter(at.batches("test", 16))).extra["gap"].tolist()) == {9}
    assert cue.at_lag(9, eval_size=5).params.eval_size == 5

    lag = make_task("lag", variant="2c", p=4, q=2, eval_size=16)
    at = lag.at_lag(9)
    assert at.params.q == 9 and at.params.p == 4 and at.spec == lag.spec
    assert next(iter(at.batches("test", 16))).x.shape[1] >= 9 + 3  # b, x|y, q distractors, e


@pytest.mark.parametrize(("gap", "shown"), [((2, 30), PASSAGE_GAP), ((2, 8), 8), ((20, 30), 20)])
def test_cue_word_probe_passage(gap: tuple[int, int], shown: int) -> None:
    task = make_task("cue-word", gap=gap, eval_size=64)
    batch = task.probe_passage(16)
    assert batch is not None and batch.size == 16
    assert set(batch.extra["gap"].tolist()) == {shown}
    cues = batch.extra["cue"]
    assert cues.tolist() == batch.x[:, 0].tolist()
    # the cue decides the answer, the last target of each sentence
    for row, cue in enumerate(cues.tolist()):
        answer = ANSWERS[CUES.index(VOCAB[cue])]
        assert VOCAB[int(batch.y[row, -1])] == answer  # one gap: every sentence is as long


def test_lag_2c_has_no_passage_of_its_own() -> None:
    assert make_task("lag", variant="2c", p=4, q=8).probe_passage(16) is None
