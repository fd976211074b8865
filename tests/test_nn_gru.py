"""rnnlab.nn.GRU / GRUCell: parity of the cell with torch.nn.GRUCell, and Cho et al.'s
reset-before form (reset_after=False) against its equations.
(Layer parity with torch, layer == cell loop and bptt == reference: test_nn_recurrent.py.)"""

from __future__ import annotations

import itertools

import pytest
import torch
from helpers_rnn import assert_cells_agree
from torch import nn

import rnnlab.nn as rn

I, H, B, T = 4, 5, 3, 6
DT = torch.float64


@pytest.mark.parametrize(
    ("bias", "batched", "with_hx"),
    list(itertools.product((True, False), (True, False), (True, False))),
)
def test_grucell_matches_torch(bias, batched, with_hx):
    torch.manual_seed(0)
    theirs = nn.GRUCell(I, H, bias, dtype=DT)
    ours = rn.from_torch(theirs)
    assert isinstance(ours, rn.GRUCell) and ours.reset_after
    assert_cells_agree(theirs, ours, batched, with_hx)


def _cho_step(x, h, w_ih, w_hh, b_ih, b_hh):
    """Cho et al. 2014, written out gate by gate (reset applied to h before W_hn)."""
    W_ir, W_iz, W_in = w_ih.chunk(3)
    W_hr, W_hz, W_hn = w_hh.chunk(3)
    b_ir, b_iz, b_in = b_ih.chunk(3)
    b_hr, b_hz, b_hn = b_hh.chunk(3)
    r = torch.sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
    z = torch.sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
    n = torch.tanh(x @ W_in.T + b_in + (r * h) @ W_hn.T + b_hn)
    return (1 - z) * n + z * h


def test_reset_before_follows_cho_equations():
    torch.manual_seed(0)
    layer = rn.GRU(I, H, reset_after=False, dtype=DT)
    assert "reset_after=False" in repr(layer)
    cell = rn.GRUCell(I, H, reset_after=False, dtype=DT)
    cell.load_state_dict({n.removesuffix("_l0"): p for n, p in layer.state_dict().items()})
    x = torch.randn(T, B, I, dtype=DT)
    out, h_n = layer(x)
    h = torch.zeros(B, H, dtype=DT)
    w = (layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0)
    for t in range(T):
        torch.testing.assert_close(cell(x[t], h), _cho_step(x[t], h, *w), rtol=0, atol=1e-12)
        h = _cho_step(x[t], h, *w)
        torch.testing.assert_close(out[t], h, rtol=0, atol=1e-12)
    torch.testing.assert_close(h_n[0], h, rtol=0, atol=1e-12)
    after = rn.GRU(I, H, dtype=DT)
    after.load_state_dict(layer.state_dict())
    assert not torch.allclose(after(x)[0], out)  # the two forms really differ


def test_grucell_parameters_like_torch():
    ours, theirs = rn.GRUCell(I, H, bias=False), nn.GRUCell(I, H, bias=False)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [
        (n, p.shape) for n, p in theirs.named_parameters()]
    assert ours.bias_ih is None and repr(ours) == repr(theirs)
