"""CPU bfloat16 autocast: every layer runs, in the dtype torch.nn's layer of the family runs in,
with torch.nn's numbers to bfloat16 precision, and trains (float32 gradients)."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.testing import assert_close

import rnnlab.nn as rn

BF16 = {"rtol": 2e-2, "atol": 2e-2}


def run_under_autocast(m: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """(output, [d sum(output) / d each parameter]) with x run under CPU bf16 autocast."""
    m.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = m(x)[0]
    out.float().pow(2).sum().backward()
    return out, [p.grad for p in m.parameters()]


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("backend", ["bptt", "reference", "fused"])
def test_layers_under_bf16_autocast_as_torch(family: str, backend: str) -> None:
    torch.manual_seed(0)
    theirs = getattr(nn, family)(3, 4, num_layers=2, bidirectional=True)
    ours = rn.from_torch(theirs, backend=backend)
    x = torch.randn(5, 2, 3, generator=torch.Generator().manual_seed(1))
    try:
        want, want_grads = run_under_autocast(theirs, x)
    except RuntimeError:  # torch 2.13's oneDNN LSTM refuses float32 input here: give it bf16
        want, want_grads = run_under_autocast(theirs, x.bfloat16())
    got, got_grads = run_under_autocast(ours, x)
    assert got.dtype == want.dtype
    assert_close(got.float(), want.float(), **BF16)
    for g, w in zip(got_grads, want_grads, strict=True):
        assert g.dtype == torch.float32
        # bf16 sums in another order: compare as vectors, to a few bf16 roundings
        assert (g - w).norm() <= 0.03 * w.norm() + 1e-3


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
def test_states_given_in_float32_under_autocast(family: str) -> None:
    m = getattr(rn, family)(3, 4)
    h = torch.zeros(1, 2, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out, _ = m(torch.randn(5, 2, 3), (h, h) if family == "LSTM" else h)
    assert out.shape == (5, 2, 4)


@pytest.mark.parametrize("family", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_under_bf16_autocast_as_torch(family: str) -> None:
    torch.manual_seed(0)
    theirs = getattr(nn, family)(3, 4)
    ours = rn.from_torch(theirs)
    x = torch.randn(2, 3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        want, got = theirs(x), ours(x)
    want, got = (want[0], got[0]) if family == "LSTMCell" else (want, got)
    assert got.dtype == want.dtype
    assert_close(got.float(), want.float(), **BF16)


def test_float64_model_is_left_alone_by_autocast() -> None:
    m = rn.LSTM(3, 4).double()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out, _ = m(torch.randn(5, 2, 3, dtype=torch.float64))
    assert out.dtype == torch.float64
