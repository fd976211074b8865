"""Small versions of the real tasks: a few hundred optimizer steps, and the loss must fall well
below the untrained model's. The full-size runs are in docs/results.md (commands, not CI)."""

from __future__ import annotations

import pytest

from rnnlab.models import ModelConfig, build_model
from rnnlab.tasks import make_task
from rnnlab.train import TrainConfig, evaluate, train
from rnnlab.utils import seed_everything

CASES = {
    # name: (task params, model config, train config)
    "cue-word": (
        {"gap": (2, 6), "eval_size": 200},
        {"family": "lstm", "hidden_size": 32, "embedding_dim": 16},
        {"steps": 150, "lr": 1e-2},
    ),
    "adding": ({"T": 30, "eval_size": 256}, {"family": "lstm", "hidden_size": 16}, {"steps": 150}),
    "lag": (
        {"variant": "2b", "p": 20, "q": 20, "eval_size": 256},
        {"family": "lstm", "hidden_size": 16},
        {"steps": 500, "lr": 1e-2},
    ),
    "reber": ({"eval_size": 64}, {"family": "lstm", "hidden_size": 12}, {"steps": 150, "lr": 1e-2}),
    "copy": ({"T": 10, "eval_size": 128}, {"family": "gru", "hidden_size": 32}, {"steps": 150}),
    "digits-rows": ({}, {"family": "rnn", "hidden_size": 32}, {"steps": 150, "lr": 3e-3}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_learning_happens(name: str) -> None:
    if name.startswith("digits"):
        pytest.importorskip("sklearn")
    params, model_fields, train_fields = CASES[name]
    task = make_task(name, **params)
    seed_everything(0)
    model = build_model(ModelConfig(**model_fields), task.spec)
    before = evaluate(model, task, "valid", batch_size=128)["loss"]
    config = TrainConfig(batch_size=32, eval_every=0, progress=False, **train_fields)
    if "epochs" not in train_fields and not name.startswith("digits"):
        config.eval_every = train_fields["steps"]
    result = train(model, task, config)
    metrics = evaluate(model, task, "valid", batch_size=128)
    if name == "lag":  # the loss averages the unpredictable middle; the last symbol is the test
        assert metrics["accuracy"] > 0.9, (metrics, result.stop_reason)
    else:
        assert metrics["loss"] < 0.6 * before, (name, before, metrics, result.stop_reason)


def test_window_mlp_cannot_but_lstm_can_bridge_the_gap() -> None:
    """The contrast the project exists to show, in miniature: cue 6 words back, window of 3."""
    task = make_task("cue-word", gap=(2, 8), eval_size=300)
    accuracy = {}
    for family in ("mlp", "lstm"):
        seed_everything(0)
        model = build_model(
            ModelConfig(family=family, hidden_size=64, embedding_dim=32, window=3), task.spec
        )
        train(model, task, TrainConfig(steps=250, lr=3e-3, eval_every=250, progress=False))
        accuracy[family] = evaluate(model, task.at_gap(6), "test", batch_size=300)["accuracy"]
    assert accuracy["lstm"] > 0.95
    assert accuracy["mlp"] < task.chance + 0.15
