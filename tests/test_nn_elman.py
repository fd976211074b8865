"""rnnlab.nn.RNN / RNNCell: parity of the cell with torch.nn.RNNCell, the sigmoid
nonlinearity (an rnnlab addition) against its equation.
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
    ("nonlinearity", "bias", "batched", "with_hx"),
    list(itertools.product(("tanh", "relu"), (True, False), (True, False), (True, False))),
)
def test_rnncell_matches_torch(nonlinearity, bias, batched, with_hx):
    torch.manual_seed(0)
    theirs = nn.RNNCell(I, H, bias, nonlinearity, dtype=DT)
    ours = rn.from_torch(theirs)
    assert isinstance(ours, rn.RNNCell) and ours.nonlinearity == nonlinearity
    assert_cells_agree(theirs, ours, batched, with_hx)


def test_sigmoid_layer_follows_its_equation():
    """h_t = sigmoid(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), over a whole sequence."""
    torch.manual_seed(0)
    layer = rn.RNN(I, H, nonlinearity="sigmoid", dtype=DT)
    assert "nonlinearity='sigmoid'" in repr(layer)
    x = torch.randn(T, B, I, dtype=DT)
    out, h_n = layer(x)
    h = torch.zeros(B, H, dtype=DT)
    for t in range(T):
        h = torch.sigmoid(x[t] @ layer.weight_ih_l0.T + layer.bias_ih_l0
                          + h @ layer.weight_hh_l0.T + layer.bias_hh_l0)
        torch.testing.assert_close(out[t], h, rtol=0, atol=1e-12)
    torch.testing.assert_close(h_n[0], h, rtol=0, atol=1e-12)
    assert torch.all((out > 0) & (out < 1))


def test_rnncell_errors():
    cell = rn.RNNCell(I, H, dtype=DT)
    with pytest.raises(ValueError, match="Expected input to be 1D or 2D, got 3D"):
        cell(torch.zeros(1, B, I, dtype=DT))
    with pytest.raises(RuntimeError, match="inconsistent hidden_size: got 4, expected 5"):
        cell(torch.zeros(B, I, dtype=DT), torch.zeros(B, 4, dtype=DT))
    with pytest.raises(RuntimeError, match="Expected hidden to be 2D"):
        cell(torch.zeros(B, I, dtype=DT), torch.zeros(H, dtype=DT))
    assert cell.bias_ih is not None and rn.RNNCell(I, H, bias=False).bias_hh is None
