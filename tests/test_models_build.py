"""build_model's choices and refusals, tied weights, parameter budgets, the config."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from helpers_rnn import LSTM_AUTO_TRAINING, LSTM_BPTT

from rnnlab.models import (
    ModelConfig,
    build_model,
    count_parameters,
    hidden_size_for_budget,
    model_class,
)
from rnnlab.models.budget import META_ABOVE
from rnnlab.tasks.base import TaskSpec

FAMILIES = ("mlp", "rnn", "lstm", "gru")
LM_SPEC = TaskSpec("tokens", 20, "classes", 20, many_to_many=True)
CLASSIFY = TaskSpec("features", 3, "classes", 2, many_to_many=False, bidirectional_ok=False)
TAGGING = TaskSpec("features", 3, "multilabel", 2, many_to_many=True, bidirectional_ok=True)


@pytest.mark.parametrize("family", ("rnn", "lstm", "gru"))
def test_bidirectional_only_where_the_task_allows_it(family: str) -> None:
    config = ModelConfig(family=family, hidden_size=4, bidirectional=True)
    with pytest.raises(ValueError, match="bidirectional"):
        build_model(config, CLASSIFY)
    with pytest.raises(ValueError, match="bidirectional"):
        model_class(config, LM_SPEC)(config, LM_SPEC)  # the classes refuse it too
    model = build_model(config, TAGGING)
    out, _ = model(torch.randn(2, 5, 3))
    assert out.shape == (2, 5, 2)
    assert model.stack.rnn.bidirectional


def test_window_mlp_has_no_bidirectional_form() -> None:
    with pytest.raises(ValueError, match="bidirectional"):
        build_model(ModelConfig(family="mlp", bidirectional=True), TAGGING)


@pytest.mark.parametrize("family", ("rnn", "lstm", "gru", "mlp"))
def test_tie_weights_shares_the_embedding_parameter(family: str) -> None:
    config = ModelConfig(family=family, hidden_size=6, embedding_dim=6, tie_weights=True)
    model = build_model(config, LM_SPEC)
    assert model.head.weight is model.encoder.embedding.weight
    untied = build_model(dataclasses.replace(config, tie_weights=False), LM_SPEC)
    assert model.num_parameters == untied.num_parameters - 20 * 6  # shared matrix counted once
    out, _ = model(torch.randint(0, 20, (2, 4)))
    out.sum().backward()
    assert model.encoder.embedding.weight.grad is not None
    assert "tied embedding" in model.describe()


def test_tie_weights_through_a_projection_or_a_dense_layer() -> None:
    lstmp = build_model(
        ModelConfig(family="lstm", hidden_size=10, proj_size=4, embedding_dim=4, tie_weights=True),
        LM_SPEC,
    )
    assert lstmp.head.weight is lstmp.encoder.embedding.weight
    dense = build_model(
        ModelConfig(
            family="gru", hidden_size=10, dense_after=(4,), embedding_dim=4, tie_weights=True
        ),
        LM_SPEC,
    )
    assert dense.head.weight is dense.encoder.embedding.weight


def test_tie_weights_refused_with_reasons() -> None:
    with pytest.raises(ValueError, match=r"embedding_dim=8.*proj_size=4"):
        build_model(ModelConfig(hidden_size=8, embedding_dim=4, tie_weights=True), LM_SPEC)
    with pytest.raises(ValueError, match="embedding_dim > 0"):
        build_model(ModelConfig(hidden_size=8, tie_weights=True), LM_SPEC)
    with pytest.raises(ValueError, match="language-model task"):
        build_model(ModelConfig(hidden_size=8, embedding_dim=8, tie_weights=True), CLASSIFY)
    other_vocab = TaskSpec("tokens", 20, "classes", 5, many_to_many=True)
    with pytest.raises(ValueError, match="same vocabulary"):
        build_model(ModelConfig(hidden_size=8, embedding_dim=8, tie_weights=True), other_vocab)


def test_config_validation_and_round_trip() -> None:
    config = ModelConfig(family="gru", dense_after=[8, 4], reset_after=False)
    assert config.dense_after == (8, 4)
    assert ModelConfig.from_dict(config.to_dict()) == config
    assert config.variant == "reset before"
    assert ModelConfig(family="lstm", peephole=True, proj_size=3).variant == (
        "peephole, projection 3"
    )
    bad = [
        {"family": "transformer"},
        {"nonlinearity": "gelu"},
        {"backend": "cuda"},
        {"hidden_size": 0},
        {"num_layers": 0},
        {"dropout": 1.0},
        {"window": 0},
        {"family": "lstm", "hidden_size": 4, "proj_size": 4},
        {"dense_before": (3, 0)},
    ]
    for fields in bad:
        with pytest.raises(ValueError):
            ModelConfig(**fields)
    with pytest.raises(ValueError, match="unknown model config"):
        ModelConfig.from_dict({"hidden": 3})
    assert ModelConfig(family="mlp", num_layers=0).num_layers == 0  # a linear window model


BUDGET = 40_000


@pytest.mark.parametrize(
    "spec, config",
    [
        (LM_SPEC, ModelConfig(num_layers=2, embedding_dim=16)),
        (CLASSIFY, ModelConfig(num_layers=1, dense_after=(16,))),
    ],
    ids=["lm", "classifier"],
)
def test_hidden_size_for_budget_lands_near_it_for_every_family(spec, config) -> None:
    counts = {}
    for family in FAMILIES:
        family_config = dataclasses.replace(config, family=family)
        h = hidden_size_for_budget(family_config, spec, BUDGET)
        model = build_model(dataclasses.replace(family_config, hidden_size=h), spec)
        counts[family] = count_parameters(model)
        assert abs(counts[family] - BUDGET) <= 0.03 * BUDGET, (family, h, counts[family])
        # No size is closer: the neighbours are at least as far from the budget.
        for other in (h - 1, h + 1):
            neighbour = build_model(dataclasses.replace(family_config, hidden_size=other), spec)
            assert abs(count_parameters(neighbour) - BUDGET) >= abs(counts[family] - BUDGET)
    assert max(counts.values()) / min(counts.values()) < 1.06


def test_hidden_size_for_budget_edges() -> None:
    lstmp = ModelConfig(family="lstm", proj_size=8, embedding_dim=4)
    assert hidden_size_for_budget(lstmp, LM_SPEC, 10) == 9  # smallest valid size
    with pytest.raises(ValueError, match="does not change"):
        hidden_size_for_budget(ModelConfig(family="mlp", num_layers=0), LM_SPEC, 1000)
    with pytest.raises(ValueError, match="positive"):
        hidden_size_for_budget(ModelConfig(), LM_SPEC, 0)


def test_hidden_size_for_budget_leaves_the_random_stream_alone() -> None:
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    hidden_size_for_budget(ModelConfig(family="gru"), LM_SPEC, 5_000)
    assert torch.equal(torch.rand(3), expected)


def test_hidden_size_for_budget_large_budgets_build_nothing_real() -> None:
    """Above META_ABOVE the candidates live on the meta device: fast, no memory."""
    config = ModelConfig(family="lstm", num_layers=2, embedding_dim=64)
    budget = 2 * META_ABOVE
    h = hidden_size_for_budget(config, LM_SPEC, budget)
    with torch.device("meta"):
        model = build_model(dataclasses.replace(config, hidden_size=h), LM_SPEC)
    assert abs(count_parameters(model) - budget) <= 0.01 * budget


def test_a_model_runs_the_kernel_its_backend_names() -> None:
    spec = TaskSpec("features", 3, "classes", 2, many_to_many=False)
    x = torch.randn(2, 5, 3)
    kernels = {}
    for backend in ("bptt", "auto", "fused", "reference"):
        torch.manual_seed(0)
        model = build_model(ModelConfig(hidden_size=4, backend=backend), spec)
        out, _ = model(x)
        out.sum().backward()
        kernels[backend] = (model.stack.rnn.last_kernel, out.detach())
    # a plain LSTM on the CPU: auto picks its training kernel; every kernel computes the same
    assert {b: k for b, (k, _) in kernels.items()} == {
        "bptt": LSTM_BPTT, "auto": LSTM_AUTO_TRAINING, "fused": "fused", "reference": "reference"}
    for _, out in kernels.values():
        torch.testing.assert_close(out, kernels["bptt"][1])
    with pytest.raises(ValueError, match="peephole"):  # refused when built, not mid-run
        build_model(ModelConfig(hidden_size=4, backend="fused", peephole=True), spec)
