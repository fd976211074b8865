"""rnnlab.nn.convert: from_torch / to_torch round trips, and the configurations torch lacks."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import rnnlab.nn as rn

DT = torch.float64


TORCH_MODULES = [
    lambda: nn.LSTM(4, 5, 2, bias=False, batch_first=True, dropout=0.25, bidirectional=True,
                    proj_size=3, dtype=DT),
    lambda: nn.GRU(4, 5, 3, batch_first=True, dtype=DT),
    lambda: nn.RNN(4, 5, 2, nonlinearity="relu", bidirectional=True, dtype=DT),
    lambda: nn.LSTMCell(4, 5, dtype=DT),
    lambda: nn.GRUCell(4, 5, bias=False, dtype=DT),
    lambda: nn.RNNCell(4, 5, nonlinearity="relu", dtype=DT),
]
CONFIG = ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
          "bidirectional", "proj_size", "nonlinearity")


def _run(module, x):
    out = module(x)
    return out[0] if isinstance(module, nn.RNNBase | rn.RecurrentLayer) else out


@pytest.mark.parametrize("make", TORCH_MODULES)
def test_torch_to_rnnlab_to_torch_round_trip(make):
    torch.manual_seed(0)
    theirs = make().eval()
    ours = rn.from_torch(theirs, backend="reference")
    assert not ours.training
    assert getattr(ours, "backend", "reference") == "reference"
    back = ours.to_torch()
    assert type(back) is type(theirs) and not back.training
    for key in (k for k in CONFIG if hasattr(theirs, k)):
        assert getattr(back, key) == getattr(ours, key) == getattr(theirs, key), key
    sd, sd_back = theirs.state_dict(), back.state_dict()
    assert sd.keys() == sd_back.keys() == ours.state_dict().keys()
    assert all(torch.equal(sd[k], sd_back[k]) for k in sd)
    x = torch.randn(6, 4, dtype=DT)  # unbatched sequence, or a batch of 6 for cells
    torch.testing.assert_close(_run(ours, x), _run(theirs, x), rtol=0, atol=1e-10)


@pytest.mark.parametrize("make", [
    lambda: rn.LSTM(4, 5, 2, proj_size=2, bidirectional=True, dtype=DT),
    lambda: rn.GRU(4, 5, batch_first=True, bias=False),
    lambda: rn.RNN(4, 5, nonlinearity="relu", dropout=0.5, num_layers=2),
    lambda: rn.LSTMCell(4, 5),
])
def test_rnnlab_to_torch_keeps_weights_and_outputs(make):
    ours = make().eval()
    theirs = rn.to_torch(ours)
    for (n1, a), (n2, b) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert n1 == n2 and torch.equal(a, b)
    dtype = next(ours.parameters()).dtype
    x = torch.randn(3, 4, dtype=dtype)
    torch.testing.assert_close(_run(ours, x), _run(theirs, x))


@pytest.mark.parametrize(("make", "option"), [
    (lambda: rn.LSTM(4, 5, peephole=True), "peephole"),
    (lambda: rn.LSTM(4, 5, forget_gate=False), "forget_gate=False"),
    (lambda: rn.LSTM(4, 5, coupled=True), "coupled"),
    (lambda: rn.LSTM(4, 5, layer_norm=True), "layer_norm"),
    (lambda: rn.LSTMCell(4, 5, peephole=True), "peephole"),
    (lambda: rn.LSTMCell(4, 5, proj_size=2), "proj_size"),
    (lambda: rn.GRU(4, 5, reset_after=False), "reset_after=False"),
    (lambda: rn.GRUCell(4, 5, reset_after=False), "reset_after=False"),
    (lambda: rn.RNN(4, 5, nonlinearity="sigmoid"), "nonlinearity='sigmoid'"),
    (lambda: rn.RNNCell(4, 5, nonlinearity="sigmoid"), "nonlinearity='sigmoid'"),
])
def test_to_torch_raises_naming_the_option(make, option):
    module = make()
    with pytest.raises(ValueError, match=option):
        rn.to_torch(module)
    with pytest.raises(ValueError, match=option):
        module.to_torch()


def test_to_torch_names_every_missing_option():
    with pytest.raises(ValueError, match=r"peephole=True.*layer_norm=True"):
        rn.LSTM(4, 5, peephole=True, layer_norm=True).to_torch()


def test_from_torch_rejects_other_modules():
    with pytest.raises(ValueError, match="Linear"):
        rn.from_torch(nn.Linear(3, 4))
    with pytest.raises(ValueError, match="MLP"):
        rn.to_torch(rn.MLP(3, [], 4))
