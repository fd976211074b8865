"""rnnlab.nn.LSTM / LSTMCell: parity of the cell with torch.nn.LSTMCell, the parameters of
every variant, the forget-bias and layer-norm initialisation, cell shapes and errors.
(Layer parity with torch, layer == cell loop and bptt == reference: test_nn_recurrent.py.)"""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from helpers_rnn import assert_cells_agree
from torch import nn

import rnnlab.nn as rn

I, H, B = 4, 5, 3
DT = torch.float64


@pytest.mark.parametrize(
    ("bias", "batched", "with_hx"),
    list(itertools.product((True, False), (True, False), (True, False))),
)
def test_lstmcell_matches_torch(bias, batched, with_hx):
    torch.manual_seed(0)
    theirs = nn.LSTMCell(I, H, bias, dtype=DT)
    ours = rn.from_torch(theirs)
    assert isinstance(ours, rn.LSTMCell)
    assert_cells_agree(theirs, ours, batched, with_hx)


VARIANTS = [
    {"forget_gate": fg, "coupled": cp, "peephole": ph, "layer_norm": ln, "proj_size": ps}
    for (fg, cp), ph, ln, ps in itertools.product(
        ((True, False), (False, False), (True, True)), (False, True), (False, True), (0, 2)
    )
]


@pytest.mark.parametrize("options", VARIANTS)
def test_variant_parameters_named_and_shaped(options):
    G = 4 if options["forget_gate"] and not options["coupled"] else 3
    P = options["proj_size"] or H
    layer = rn.LSTM(I, H, 2, bidirectional=True, **options)
    params = dict(layer.named_parameters())
    for k, suffix in itertools.product((0, 1), ("", "_reverse")):
        s = f"_l{k}{suffix}"
        want = {"weight_ih": (G * H, I if k == 0 else 2 * P), "weight_hh": (G * H, P),
                "bias_ih": (G * H,), "bias_hh": (G * H,)}
        if options["proj_size"]:
            want["weight_hr"] = (P, H)
        if options["peephole"]:
            want["weight_peephole"] = (G - 1, H)
        if options["layer_norm"]:
            want |= {"weight_ln_ih": (G * H,), "weight_ln_hh": (G * H,), "weight_ln_c": (H,),
                     "bias_ln_c": (H,)}
        for name, shape in want.items():
            assert params.pop(name + s).shape == shape, name + s
    assert not params  # nothing else
    cell = rn.LSTMCell(I, H, **options)
    assert dict(cell.named_parameters()).keys() == set(want)


@pytest.mark.parametrize("options", VARIANTS)
def test_forget_bias_sum_and_layer_norm_init(options):
    layer = rn.LSTM(I, H, 2, bidirectional=True, forget_bias=2.5, **options)
    cell = rn.LSTMCell(I, H, forget_bias=2.5, **options)
    gates = ("f", "g", "o") if options["coupled"] else (
        ("i", "f", "g", "o") if options["forget_gate"] else ("i", "g", "o"))
    bound = 1 / math.sqrt(H)
    suffixes = [f"_l{k}{r}" for k in (0, 1) for r in ("", "_reverse")]
    for module, sfx in [(layer, s) for s in suffixes] + [(cell, "")]:
        p = {n.removesuffix(sfx): t for n, t in module.named_parameters() if n.endswith(sfx)}
        total = (p["bias_ih"] + p["bias_hh"]).view(len(gates), H)
        for k, gate in enumerate(gates):
            if gate == "f":
                assert torch.all(total[k] == 2.5)
                assert torch.all(p["bias_hh"].view(len(gates), H)[k] == 0)
            else:
                assert total[k].abs().max() <= 2 * bound
        if options["layer_norm"]:
            for name in ("weight_ln_ih", "weight_ln_hh", "weight_ln_c"):
                assert torch.all(p[name] == 1)
            assert torch.all(p["bias_ln_c"] == 0)
        for name in ("weight_ih", "weight_hh", "weight_hr", "weight_peephole"):
            if name in p:
                assert p[name].abs().max() <= bound


def test_forget_bias_default_is_one_and_none_keeps_torch_init():
    layer = rn.LSTM(I, 16)
    total = layer.bias_ih_l0 + layer.bias_hh_l0
    assert torch.all(total[16:32] == 1.0)
    torch.manual_seed(0)
    plain = rn.LSTM(I, 16, forget_bias=None)
    torch.manual_seed(0)
    theirs = nn.LSTM(I, 16)
    for (n1, a), (n2, b) in zip(plain.named_parameters(), theirs.named_parameters(), strict=True):
        assert n1 == n2 and torch.equal(a, b)
    layer.bias_ih_l0.data.zero_()
    layer.reset_parameters()  # re-applies the forget bias
    assert torch.all((layer.bias_ih_l0 + layer.bias_hh_l0)[16:32] == 1.0)


def test_lstmcell_projection_shapes_and_unbatched():
    cell = rn.LSTMCell(I, H, proj_size=2, peephole=True, dtype=DT)
    h, c = cell(torch.randn(B, I, dtype=DT))
    assert h.shape == (B, 2) and c.shape == (B, H)
    h1, c1 = cell(torch.randn(I, dtype=DT), (torch.zeros(2, dtype=DT), torch.zeros(H, dtype=DT)))
    assert h1.shape == (2,) and c1.shape == (H,)
    assert "proj_size=2" in repr(cell) and "peephole=True" in repr(cell)


def test_lstmcell_errors_name_expected_and_received():
    cell = rn.LSTMCell(I, H, proj_size=2, dtype=DT)
    with pytest.raises(ValueError, match="Expected input to be 1D or 2D, got 3D"):
        cell(torch.zeros(1, B, I, dtype=DT))
    with pytest.raises(RuntimeError, match="inconsistent input_size: got 6 expected 4"):
        cell(torch.zeros(B, 6, dtype=DT))
    with pytest.raises(RuntimeError, match="inconsistent hidden_size: got 5, expected 2"):
        cell(torch.zeros(B, I, dtype=DT), (torch.zeros(B, H, dtype=DT),) * 2)
    with pytest.raises(RuntimeError, match="does not match"):
        cell(torch.zeros(B, I))
