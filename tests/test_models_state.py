"""Carried state: streams split into batches give the outputs of the whole stream; the window
MLP sees exactly its window and nothing else."""

from __future__ import annotations

import pytest
import torch

from rnnlab.models import ModelConfig, build_model, detach_state
from rnnlab.tasks.base import TaskSpec

LM_SPEC = TaskSpec("tokens", 9, "classes", 9, many_to_many=True)
FEATURE_STREAM = TaskSpec("features", 3, "regression", 2, many_to_many=True)
B, T = 2, 10


def run_in_pieces(model, x: torch.Tensor, cuts: list[int]) -> torch.Tensor:
    """Outputs of ``x`` fed in consecutive pieces, each starting from the last one's state."""
    outs, state, start = [], None, 0
    for end in [*cuts, x.shape[1]]:
        out, state = model(x[:, start:end], state=state)
        state = detach_state(state)
        outs.append(out)
        start = end
    return torch.cat(outs, dim=1)


@pytest.mark.parametrize(
    "family, options",
    [
        ("rnn", {}),
        ("rnn", {"nonlinearity": "sigmoid"}),
        ("lstm", {}),
        ("lstm", {"proj_size": 3, "peephole": True}),
        ("gru", {}),
        ("gru", {"reset_after": False}),
        ("lstm", {"backend": "reference", "coupled": True, "layer_norm": True}),
    ],
)
def test_language_model_state_carries_across_batches(family: str, options: dict) -> None:
    torch.manual_seed(0)
    config = ModelConfig(family=family, hidden_size=5, num_layers=2, embedding_dim=4, **options)
    model = build_model(config, LM_SPEC).eval()
    x = torch.randint(0, 9, (B, T))
    whole, _ = model(x)
    torch.testing.assert_close(run_in_pieces(model, x, [4]), whole, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(run_in_pieces(model, x, [1, 3, 7]), whole, rtol=1e-5, atol=1e-6)
    # And without the state the second half really is different: the test can fail.
    second, _ = model(x[:, 4:])
    assert not torch.allclose(second, whole[:, 4:], atol=1e-4)


def test_detach_state_keeps_values_and_cuts_the_graph() -> None:
    h = torch.randn(2, 3, requires_grad=True) * 2
    state = detach_state((h, [h, h]))
    assert isinstance(state, tuple) and isinstance(state[1], list)
    assert torch.equal(state[0], h) and not state[0].requires_grad
    assert not state[1][1].requires_grad
    assert detach_state(None) is None


@pytest.mark.parametrize("window", [1, 2, 4])
@pytest.mark.parametrize(
    "spec, embedding_dim",
    [(LM_SPEC, 0), (LM_SPEC, 3), (FEATURE_STREAM, 0)],
    ids=["one-hot", "embedding", "features"],
)
def test_window_mlp_carries_its_window_across_batches(spec, embedding_dim, window) -> None:
    torch.manual_seed(0)
    config = ModelConfig(
        family="mlp",
        hidden_size=6,
        num_layers=2,
        window=window,
        embedding_dim=embedding_dim,
        dense_before=(4,),
    )
    model = build_model(config, spec).eval()
    x = (
        torch.randint(0, 9, (B, T))
        if spec.input_kind == "tokens"
        else torch.randn(B, T, spec.input_size)
    )
    whole, state = model(x)
    torch.testing.assert_close(run_in_pieces(model, x, [3]), whole)
    torch.testing.assert_close(run_in_pieces(model, x, [1, 2, 6]), whole)
    # The state is the last window-1 raw inputs.
    assert torch.equal(state, x[:, T - (window - 1) :])
    if window > 1:
        second, _ = model(x[:, 3:])
        assert not torch.allclose(second, whole[:, 3:])


def changed_steps(model, x: torch.Tensor, step: int, lengths=None) -> torch.Tensor:
    """Which outputs move when input ``step`` of every row changes."""
    y = x.clone()
    if x.dtype == torch.long:
        y[:, step] = (x[:, step] + 1) % 9
    else:
        y[:, step] += 1.0
    a, _ = model(x, lengths=lengths)
    b, _ = model(y, lengths=lengths)
    return ~torch.isclose(a, b, rtol=0, atol=1e-7)


@pytest.mark.parametrize("embedding_dim", [0, 3])
def test_window_mlp_sees_exactly_its_window_of_tokens(embedding_dim: int) -> None:
    torch.manual_seed(0)
    k = 3
    config = ModelConfig(family="mlp", hidden_size=8, window=k, embedding_dim=embedding_dim)
    model = build_model(config, LM_SPEC).eval()
    x = torch.randint(0, 9, (B, T))
    t0 = 4
    moved = changed_steps(model, x, t0).any(dim=-1)  # (B, T): did output step t change?
    for t in range(T):
        inside = t0 <= t < t0 + k  # x[t0] is among the k most recent inputs of step t
        assert bool(moved[:, t].all()) if inside else not bool(moved[:, t].any()), t


def test_window_mlp_many_to_one_reads_the_last_valid_window() -> None:
    torch.manual_seed(0)
    k = 3
    spec = TaskSpec("features", 2, "classes", 4, many_to_many=False)
    model = build_model(ModelConfig(family="mlp", hidden_size=8, window=k), spec).eval()
    x = torch.randn(1, T, 2)
    lengths = torch.tensor([7])
    out, state = model(x, lengths=lengths)
    assert out.shape == (1, 4)
    torch.testing.assert_close(state, x[:, 7 - (k - 1) : 7])
    for step in range(T):
        inside = 7 - k <= step < 7  # the last k valid steps
        assert bool(changed_steps(model, x, step, lengths).any()) == inside, step
    # A window longer than the sequence is zero-padded at the start.
    short, _ = model(x[:, :2])
    padded, _ = model(torch.cat([torch.zeros(1, k - 2, 2), x[:, :2]], dim=1))
    torch.testing.assert_close(short, padded)
