"""Autograd behaviour that torch.nn users rely on: double backward (gradient penalties,
gradgradcheck), in-place changes of the outputs, empty batches and one-step sequences.

Each case runs ``backend="bptt"``, whose hand-written Functions must behave as torch.nn's layers
do (and, where marked, ``"fused"``, torch's own kernel that ``"auto"`` may pick), and compares
with torch.nn wherever torch has the configuration.
"""

from __future__ import annotations

import pytest
import torch
from test_bptt_lstm import COMBOS, GATE_SETS, combo_id, make_case
from torch import nn
from torch.autograd import gradcheck, gradgradcheck
from torch.testing import assert_close

import rnnlab.nn as rn
from rnnlab.bptt.elman import elman_sequence
from rnnlab.bptt.gru import gru_sequence
from rnnlab.bptt.lstm import lstm_sequence
from rnnlab.bptt.reference import LSTMWeights

FAMILIES = ["RNN", "LSTM", "GRU"]
F64 = torch.float64


def single_state_inputs(gates: int, seed: int = 0) -> list[torch.Tensor]:
    """[x (3, 2, 4), h0 (2, 5), weight_ih, weight_hh, bias_ih, bias_hh] in float64."""
    g = torch.Generator().manual_seed(seed)
    T, B, I, H = 3, 2, 4, 5
    shapes = [(T, B, I), (B, H), (gates * H, I), (gates * H, H), (gates * H,), (gates * H,)]
    return [(torch.randn(s, generator=g, dtype=F64) * 0.5).requires_grad_() for s in shapes]


# ----------------------------------------------------------------------------- double backward


@pytest.mark.parametrize(
    "sequence, gates, options",
    [
        (elman_sequence, 1, {"nonlinearity": "tanh"}),
        (elman_sequence, 1, {"nonlinearity": "sigmoid"}),
        (elman_sequence, 1, {"nonlinearity": "relu"}),
        (gru_sequence, 3, {"reset_after": True}),
        (gru_sequence, 3, {"reset_after": False}),
    ],
    ids=["elman-tanh", "elman-sigmoid", "elman-relu", "gru-after", "gru-before"],
)
@pytest.mark.parametrize("packed", [False, True], ids=["full", "packed"])
def test_gradgradcheck_single_state(sequence, gates: int, options: dict, packed: bool) -> None:
    inputs = single_state_inputs(gates)
    batch_sizes = torch.tensor([2, 2, 1]) if packed else None

    def fn(*args: torch.Tensor):
        return sequence(*args, **options, batch_sizes=batch_sizes)

    assert type(fn(*inputs)[0].grad_fn).__name__.endswith("FunctionBackward")
    assert gradgradcheck(fn, inputs, eps=1e-6, atol=1e-6, rtol=1e-4, fast_mode=True)


LSTM_CASES = [(gates, on, on, on, on) for gates in GATE_SETS for on in (False, True)]


@pytest.mark.parametrize("combo", LSTM_CASES, ids=lambda c: f"{c[0]}-{'all' if c[1] else 'bare'}")
@pytest.mark.parametrize("packed", [False, True], ids=["full", "packed"])
def test_gradgradcheck_lstm_every_variant(combo: tuple, packed: bool) -> None:
    """Each gate layout, bare and with peepholes, layer norm, projection and biases."""
    gradgradcheck_lstm(combo, packed)


@pytest.mark.slow  # 48 combinations, ~0.4 s each
@pytest.mark.parametrize("combo", COMBOS, ids=combo_id)
def test_gradgradcheck_lstm_every_combination(combo: tuple) -> None:
    gradgradcheck_lstm(combo, packed=False)


def gradgradcheck_lstm(combo: tuple, packed: bool) -> None:
    inputs, opts = make_case(combo, T=3, B=2, I=3, H=4, P=2, dtype=F64)
    present = [i for i, t in enumerate(inputs) if t is not None]
    leaves = [inputs[i].requires_grad_() for i in present]
    batch_sizes = torch.tensor([2, 2, 1]) if packed else None

    def fn(*args: torch.Tensor):
        full: list = [None] * len(inputs)
        for i, t in zip(present, args, strict=True):
            full[i] = t
        x, h0, c0, *weights = full
        return lstm_sequence(x, h0, c0, LSTMWeights(*weights), **opts, batch_sizes=batch_sizes)

    assert type(fn(*leaves)[0].grad_fn).__name__ == "LSTMFunctionBackward"
    assert gradgradcheck(fn, leaves, eps=1e-6, atol=1e-6, rtol=1e-4, fast_mode=True)


def gradient_penalty_grads(m: nn.Module, w: torch.Tensor) -> list[torch.Tensor]:
    """WGAN-GP style: loss + (|d loss / d x| - 1)^2, the gradient built with create_graph."""
    x = torch.ones(5, 2, 3, dtype=F64, requires_grad=True)
    loss = (m(x)[0] * w).sum()
    (g,) = torch.autograd.grad(loss, x, create_graph=True)
    total = loss + (g.norm() - 1) ** 2
    return list(torch.autograd.grad(total, list(m.parameters())))


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("backend", ["bptt", "fused"])
def test_gradient_penalty_matches_torch(family: str, backend: str) -> None:
    """The issue's example: weight gradients of a gradient penalty equal torch.nn's."""
    torch.manual_seed(0)
    theirs = getattr(nn, family)(3, 4).double()
    ours = rn.from_torch(theirs, backend=backend)
    w = torch.randn(5, 2, 4, dtype=F64)
    for a, b in zip(gradient_penalty_grads(theirs, w), gradient_penalty_grads(ours, w),
                    strict=True):
        assert_close(b, a, rtol=1e-9, atol=1e-10)


def test_second_derivative_with_respect_to_a_weight_is_not_none() -> None:
    """autograd.grad of a gradient w.r.t. a weight: a tensor equal to torch's, not None."""
    torch.manual_seed(0)
    theirs = nn.LSTM(3, 4).double()
    ours = rn.from_torch(theirs, backend="bptt")
    results = []
    for m in (theirs, ours):
        x = torch.randn(4, 2, 3, dtype=F64, generator=torch.Generator().manual_seed(1),
                        requires_grad=True)
        (g,) = torch.autograd.grad(m(x)[0].pow(2).sum(), x, create_graph=True)
        (gg,) = torch.autograd.grad(g.sum(), m.weight_hh_l0, allow_unused=True)
        results.append(gg)
    assert results[1] is not None
    assert_close(results[1], results[0], rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("family", FAMILIES)
def test_first_order_backward_still_runs_the_hand_written_backward(
    family: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without create_graph the fast path computes the gradient: the re-run is never called."""
    import rnnlab.bptt.elman
    import rnnlab.bptt.gru
    import rnnlab.bptt.lstm

    def no_rerun(*args: object, **kwargs: object) -> None:
        raise AssertionError("the reference re-run ran for a first-order backward")

    for module in (rnnlab.bptt.elman, rnnlab.bptt.gru, rnnlab.bptt.lstm):
        monkeypatch.setattr(module, "differentiable_grads", no_rerun)
    m = getattr(rn, family)(2, 3, backend="bptt").double()
    x = torch.randn(3, 2, 2, dtype=F64, requires_grad=True)
    out = m(x)[0]
    assert type(out.grad_fn).__name__.endswith("FunctionBackward")
    out.sum().backward()
    assert gradcheck(lambda x: m(x)[0], [x], eps=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------- in-place outputs


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("backend", ["bptt", "reference", "fused"])
def test_in_place_change_of_the_output_keeps_backward_right(family: str, backend: str) -> None:
    """``out += x`` (a residual connection) works, with torch.nn's gradients."""
    torch.manual_seed(0)
    theirs = getattr(nn, family)(3, 3).double()
    ours = rn.from_torch(theirs, backend=backend)
    grads = []
    for m in (theirs, ours):
        x = torch.randn(4, 2, 3, dtype=F64, generator=torch.Generator().manual_seed(2),
                        requires_grad=True)
        out, h = m(x)
        out += x
        out.mul_(2)
        h_n = h[0] if family == "LSTM" else h
        h_n += 1
        (out.pow(2).sum() + h_n.pow(2).sum()).backward()
        grads.append([x.grad, *(p.grad for p in m.parameters())])
    for a, b in zip(*grads, strict=True):
        assert_close(b, a, rtol=1e-9, atol=1e-10)


# ----------------------------------------------------------------------------- sizes


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("shape", [(5, 0, 3), (1, 2, 3), (1, 1, 3)], ids=["B=0", "T=1", "T=B=1"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_empty_batch_and_one_step_as_torch(family: str, shape: tuple, bidirectional: bool) -> None:
    torch.manual_seed(0)
    theirs = getattr(nn, family)(3, 4, num_layers=2, bidirectional=bidirectional).double()
    ours = rn.from_torch(theirs, backend="bptt")
    results = []
    for m in (theirs, ours):
        x = torch.randn(*shape, dtype=F64, generator=torch.Generator().manual_seed(3),
                        requires_grad=True)
        out, h = m(x)
        states = list(h) if family == "LSTM" else [h]
        loss = out.sum() + sum(s.sum() for s in states)
        loss.backward()
        results.append([out, *states, x.grad, *(p.grad for p in m.parameters())])
    for a, b in zip(*results, strict=True):
        assert b.shape == a.shape
        assert_close(b, a, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("family", FAMILIES)
def test_empty_batch_with_hidden_state_and_batch_first(family: str) -> None:
    m = getattr(rn, family)(3, 4, batch_first=True)
    states = (torch.zeros(1, 0, 4), torch.zeros(1, 0, 4)) if family == "LSTM" else torch.zeros(
        1, 0, 4)
    out, h = m(torch.zeros(0, 5, 3), states)
    assert out.shape == (0, 5, 4)
    assert (h[0] if family == "LSTM" else h).shape == (1, 0, 4)
