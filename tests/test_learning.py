"""Small versions of the real tasks: a few hundred optimizer steps, and each model must learn
what its task is about — beat chance, a memoryless baseline or the untrained model by a wide
margin. The full-size runs are in docs/results.md (commands, not CI).

Every case passes for each of the seeds 0-4 on one thread and on two (``make test-seeds``):
the budgets are set so that the worst of those runs still clears its bound with room to spare,
so a CPU whose float rounding takes another trajectory does not turn the suite red.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from rnnlab.models import ModelConfig, build_model
from rnnlab.tasks import make_task
from rnnlab.train import TrainConfig, evaluate, train
from rnnlab.utils import seed_everything

Metrics = dict[str, float]


@dataclass
class Case:
    task: dict[str, Any]  # task parameters
    model: dict[str, Any]  # ModelConfig fields
    training: dict[str, Any]  # TrainConfig fields
    learned: Callable[[Metrics, Metrics], bool]  # (before, after) -> did it learn?
    claim: str  # what `learned` checks, for the failure message
    needs: tuple[str, ...] = field(default=())  # optional packages


CASES = {
    # Chance is 1/4; at the worst seed the LSTM reached 99.5% (gaps 2-6).
    "cue-word": Case(
        {"gap": (2, 6), "eval_size": 200},
        {"family": "lstm", "hidden_size": 32, "embedding_dim": 16},
        {"steps": 150, "lr": 1e-2},
        lambda before, after: after["accuracy"] > 0.9,
        "accuracy > 0.9 on the answer word (chance 0.25)",
    ),
    # Predicting the mean target scores an MSE of 1/24; the 1997 cell (the paper's) reached
    # 0.001 at the worst of seeds 0-5 (a forget-gate LSTM with 16 units stalled at the mean
    # for 1 seed in 5, and so did every seed with T = 30 in 150 steps).
    "adding": Case(
        {"T": 22, "eval_size": 256},
        {"family": "lstm", "hidden_size": 16, "forget_gate": False},
        {"steps": 400, "lr": 1e-2},
        lambda before, after: after["loss"] < 0.25 / 24,
        "MSE < 1/4 of the predict-the-mean baseline's 1/24",
    ),
    # The last symbol (x or y, chance 1/2) is known only from the first, 21 steps back. The
    # 1997 cell solves it suddenly, after a seed-dependent number of steps: at 500 steps one
    # of seeds 0-9 still sat at chance (seed 6, then seed 3 once the C++ core's rounding
    # changed), so 800; the forget-gate cell (bias 1) solved it for 1 seed in 6, so the 1997
    # cell it is, as in the paper. At a constant lr 1e-2 a solved cell could also lose it again
    # (2026-12-06, one thread: seed 2 at 0.78 after 800 steps; at 1200 steps seed 5 at 0.58),
    # so the lr decays (cosine to 1e-4): seeds 0-23 all at 1.0, at one and at two threads.
    "lag": Case(
        {"variant": "2b", "p": 20, "q": 20, "eval_size": 256},
        {"family": "lstm", "hidden_size": 16, "forget_gate": False},
        {"steps": 800, "lr": 1e-2, "schedule": "cosine", "min_lr": 1e-4},
        lambda before, after: after["accuracy"] > 0.9,
        "accuracy > 0.9 on the final symbol (chance 0.5): the LSTM bridges the lag",
    ),
    # Worst loss ratio over seeds 0-4: 0.39.
    "reber": Case(
        {"eval_size": 64},
        {"family": "lstm", "hidden_size": 12},
        {"steps": 150, "lr": 1e-2},
        lambda before, after: after["loss"] < 0.6 * before["loss"],
        "loss < 0.6 x the untrained model's",
    ),
    # 150 steps teach a GRU the blank structure of the copy task (worst loss ratio 0.37), not
    # the copying itself: that takes ~100,000 sequences (docs/results.md).
    "copy": Case(
        {"T": 10, "eval_size": 128},
        {"family": "gru", "hidden_size": 32},
        {"steps": 150},
        lambda before, after: after["loss"] < 0.6 * before["loss"],
        "loss < 0.6 x the untrained model's",
    ),
    # Chance is 1/10; the worst of seeds 0-4 reached 85%.
    "digits-rows": Case(
        {},
        {"family": "rnn", "hidden_size": 32},
        {"steps": 150, "lr": 3e-3},
        lambda before, after: after["accuracy"] > 0.7,
        "accuracy > 0.7 (chance 0.1)",
        needs=("sklearn",),
    ),
}


@pytest.mark.learning
@pytest.mark.parametrize("name", sorted(CASES))
def test_learning_happens(name: str, seed: int) -> None:
    case = CASES[name]
    for package in case.needs:
        pytest.importorskip(package)
    task = make_task(name, **case.task)
    seed_everything(seed)
    model = build_model(ModelConfig(**case.model), task.spec)
    before = evaluate(model, task, "valid", batch_size=128)
    config = TrainConfig(batch_size=32, eval_every=0, progress=False, seed=seed, **case.training)
    result = train(model, task, config)
    after = evaluate(model, task, "valid", batch_size=128)
    assert case.learned(before, after), (case.claim, before, after, result.stop_reason)


@pytest.mark.learning
def test_window_mlp_cannot_but_lstm_can_bridge_the_gap(seed: int) -> None:
    """The contrast the project exists to show, in miniature: cue 6 words back, window of 3."""
    task = make_task("cue-word", gap=(2, 8), eval_size=300)
    accuracy = {}
    for family in ("mlp", "lstm"):
        seed_everything(seed)
        model = build_model(
            ModelConfig(family=family, hidden_size=64, embedding_dim=32, window=3), task.spec
        )
        config = TrainConfig(steps=250, lr=3e-3, eval_every=250, progress=False, seed=seed)
        train(model, task, config)
        accuracy[family] = evaluate(model, task.at_gap(6), "test", batch_size=300)["accuracy"]
    assert accuracy["lstm"] > 0.95, accuracy
    assert accuracy["mlp"] < task.chance + 0.15, accuracy
