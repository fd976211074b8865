"""Upper bounds: a task parameter or a model option far too large is refused at once, with
one line, instead of hanging while the task or the model is built."""

from __future__ import annotations

import pytest

from rnnlab.compare import parse_models
from rnnlab.errors import UserError
from rnnlab.tasks import make_task
from rnnlab.tasks.common import MAX_EVAL, MAX_LENGTH


@pytest.mark.parametrize("name, params", [
    ("adding", {"T": 10**9}), ("copy", {"T": 10**9}), ("lag", {"q": 10**9}),
    ("lag", {"p": 10**9}), ("cue-word", {"gap": (2, 10**9)}), ("cue-word", {"gap": 10**9}),
    ("adding", {"eval_size": 10**12}), ("reber", {"train_size": 10**12}),
    ("temporal-order", {"eval_size": 10**12}), ("reber", {"data_seed": 2**64}),
])
def test_huge_task_parameters_are_refused(name: str, params: dict) -> None:
    with pytest.raises(UserError, match="must be in"):
        make_task(name, **params)


def test_the_bounds_admit_real_use() -> None:
    make_task("adding", T=min(1000, MAX_LENGTH))
    make_task("cue-word", gap=(2, 60), eval_size=min(1000, MAX_EVAL))


@pytest.mark.parametrize("text, words", [
    ("mlp:window=100000", ["window must be", "4096"]),
    ("lstm:hidden_size=10000000", ["hidden_size must be"]),
    ("[lstm:100000, gru:4]", ["layer 'lstm:100000'"]),
])
def test_huge_model_options_in_a_model_list_are_refused(text: str, words: list[str]) -> None:
    with pytest.raises(UserError) as caught:
        parse_models([text])
    for word in words:
        assert word in str(caught.value)
