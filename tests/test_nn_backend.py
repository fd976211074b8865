"""backend="auto" | "fused" | "bptt" | "reference": the same numbers whichever kernel runs, and
the layer says which one did (``last_kernel`` and a debug log line).

"fused" is torch's own kernel (torch._VF) with the layer's parameters; it is held against the
hand-written BPTT and the autograd reference on every configuration both support: 1 and 2
layers, bidirectional, batch_first, proj_size, packed (unsorted) and unbatched input, given
initial states, dropout in eval mode, float64 and float32; outputs, final states and the
gradients of input, states and every parameter.
"""

from __future__ import annotations

import itertools
import logging
import re

import pytest
import torch
from helpers_rnn import ELMAN_BPTT, GRU_BPTT, LSTM_AUTO_TRAINING, LSTM_BPTT
from torch.nn.utils.rnn import pack_padded_sequence

import rnnlab.nn as rn
from rnnlab.inspect import trace

T, B, I, H = 5, 3, 4, 6
TOL = {torch.float64: {"rtol": 1e-10, "atol": 1e-10}, torch.float32: {"rtol": 1e-5, "atol": 1e-5}}

CONFIGS = [
    (family, extra, layers, bidir, batch_first, layout)
    for family, extra in (("LSTM", {}), ("LSTM", {"proj_size": 2}), ("GRU", {}),
                          ("RNN", {"nonlinearity": "tanh"}), ("RNN", {"nonlinearity": "relu"}))
    for layers, bidir, batch_first, layout in itertools.product(
        (1, 2), (False, True), (False, True), ("padded", "packed", "unbatched")
    )
    if not (layout != "padded" and batch_first)  # batch_first changes nothing for those
]


def _run(layer: rn.RecurrentLayer, x: torch.Tensor, hx: list[torch.Tensor], layout: str,
         ) -> list[torch.Tensor]:
    """The layer's output and final states as flat tensors, for each input layout."""
    state = hx[0] if len(hx) == 1 else tuple(hx)
    if layout == "packed":
        lengths = torch.tensor([3, T, 1])  # unsorted: the layer sorts and unsorts
        out, fin = layer(pack_padded_sequence(x, lengths, enforce_sorted=False), state)
        out = out.data
    elif layout == "unbatched":
        out, fin = layer(x[:, 0], tuple(s[:, 0] for s in state) if len(hx) > 1 else state[:, 0])
    else:
        out, fin = layer(x.transpose(0, 1) if layer.batch_first else x, state)
    return [out, *(fin if isinstance(fin, tuple) else (fin,))]


def _results(backend: str, family: str, extra: dict, layers: int, bidir: bool,
             batch_first: bool, layout: str, dtype: torch.dtype) -> tuple[list, list, str]:
    torch.manual_seed(3)
    layer = getattr(rn, family)(I, H, layers, bidirectional=bidir, batch_first=batch_first,
                                dropout=0.4 if layers > 1 else 0.0, dtype=dtype,
                                backend=backend, **extra).eval()  # dropout off in eval
    g = torch.Generator().manual_seed(5)
    x = torch.randn(T, B, I, generator=g, dtype=dtype).requires_grad_()
    D = 2 if bidir else 1
    sizes = [extra.get("proj_size") or H, H] if family == "LSTM" else [H]
    hx = [torch.randn(layers * D, B, s, generator=g, dtype=dtype).requires_grad_()
          for s in sizes]
    outs = _run(layer, x, hx, layout)
    weights = [torch.randn(t.shape, generator=g, dtype=dtype) for t in outs]
    loss = sum((t * w).sum() for t, w in zip(outs, weights, strict=True))
    grads = torch.autograd.grad(loss, [x, *hx, *layer.parameters()], allow_unused=True)
    grads = [torch.zeros(()) if gr is None else gr for gr in grads]
    return outs, grads, layer.last_kernel


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(("family", "extra", "layers", "bidir", "batch_first", "layout"),
                         CONFIGS)
def test_fused_bptt_and_reference_agree(family, extra, layers, bidir, batch_first, layout,
                                        dtype) -> None:
    runs = {b: _results(b, family, extra, layers, bidir, batch_first, layout, dtype)
            for b in ("fused", "bptt", "reference")}
    # the hand-written loops in C++, if built: the LSTM (projection too), the GRU, the RNN
    hand = {"LSTM": LSTM_BPTT, "GRU": GRU_BPTT, "RNN": ELMAN_BPTT}[family]
    assert {b: r[2] for b, r in runs.items()} == {b: hand if b == "bptt" else b for b in runs}
    want_outs, want_grads, _ = runs["reference"]
    for backend in ("fused", "bptt"):
        outs, grads, _ = runs[backend]
        for k, (a, b) in enumerate(zip(outs, want_outs, strict=True)):
            torch.testing.assert_close(a, b, **TOL[dtype], msg=f"{backend} output {k}")
        for k, (a, b) in enumerate(zip(grads, want_grads, strict=True)):
            torch.testing.assert_close(a, b, **TOL[dtype], msg=f"{backend} gradient {k}")


def test_fused_equals_torch_nn_exactly_where_it_is_torchs_kernel() -> None:
    """The fused kernel is torch.nn's: the same numbers to the last bit."""
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(I, H, 2, bidirectional=True, proj_size=3)
    ours = rn.from_torch(theirs, backend="fused")
    x = torch.randn(T, B, I)
    want, got = theirs(x), ours(x)
    assert torch.equal(got[0], want[0])
    assert all(torch.equal(a, b) for a, b in zip(got[1], want[1], strict=True))


@pytest.mark.parametrize(("make", "option", "kernel"), [
    (lambda b: rn.LSTM(I, H, peephole=True, backend=b), "peephole=True", LSTM_BPTT),
    (lambda b: rn.LSTM(I, H, layer_norm=True, backend=b), "layer_norm=True", LSTM_BPTT),
    (lambda b: rn.LSTM(I, H, coupled=True, backend=b), "coupled=True", LSTM_BPTT),
    (lambda b: rn.LSTM(I, H, forget_gate=False, backend=b), "forget_gate=False", LSTM_BPTT),
    (lambda b: rn.GRU(I, H, reset_after=False, backend=b), "reset_after=False", GRU_BPTT),
    (lambda b: rn.RNN(I, H, nonlinearity="sigmoid", backend=b), "nonlinearity='sigmoid'",
     ELMAN_BPTT),
])
def test_fused_refuses_a_variant_naming_the_option_and_auto_runs_bptt(make, option,
                                                                      kernel) -> None:
    x = torch.randn(T, B, I)
    with pytest.raises(rn.FusedKernelError, match="backend='fused'.*" + re.escape(option)):
        make("fused")(x)
    layer = make("auto")
    layer(x.requires_grad_())
    assert layer.last_kernel == kernel


def test_auto_picks_the_fused_lstm_on_the_cpu_and_bptt_for_gru_and_rnn() -> None:
    """On the CPU torch's LSTM is one oneDNN kernel (faster in inference; in training too but
    where the C++ core runs its own AVX-512 or AVX2 products); its GRU, RNN and projected LSTM are
    unfused cell loops, slower than the hand-written path (docs/benchmarks.md)."""
    x = torch.randn(T, B, I, requires_grad=True)
    expected = [(rn.LSTM(I, H), LSTM_AUTO_TRAINING, "fused"),
                (rn.LSTM(I, H, proj_size=2), LSTM_BPTT, LSTM_BPTT),
                (rn.GRU(I, H), GRU_BPTT, GRU_BPTT),
                (rn.RNN(I, H, nonlinearity="relu"), ELMAN_BPTT, ELMAN_BPTT)]
    for layer, training, inference in expected:
        assert layer.backend == "auto" and layer.last_kernel is None
        layer(x)
        assert layer.last_kernel == training, layer
        with torch.no_grad():
            layer(x)
        assert layer.last_kernel == inference, layer
    double = rn.LSTM(I, H, dtype=torch.float64)  # the own products are float32's
    double(x.detach().double())
    assert double.last_kernel == "fused"


def test_auto_trains_the_plain_lstm_fused_without_the_own_products(monkeypatch) -> None:
    monkeypatch.setenv("RNNLAB_NO_PANEL_GEMM", "1")
    layer = rn.LSTM(I, H)
    layer(torch.randn(T, B, I))
    assert layer.last_kernel == "fused"


def test_auto_keeps_the_hand_written_path_under_autocast_vmap_and_an_empty_batch() -> None:
    layer = rn.LSTM(I, H)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        layer(torch.randn(T, B, I))
    assert layer.last_kernel == "bptt"
    torch.func.vmap(lambda x: layer(x)[0], in_dims=1)(torch.randn(T, B, I))
    assert layer.last_kernel == "reference"  # the Functions hand torch.func to the reference
    layer(torch.randn(T, 0, I))
    assert layer.last_kernel == "reference"


def test_a_debug_line_says_which_kernel_ran(caplog) -> None:
    layer = rn.LSTM(I, H, peephole=True)
    x = torch.randn(T, B, I)
    with caplog.at_level(logging.DEBUG, logger="rnnlab.nn.backend"):
        layer(x)
        layer(x)  # the same kernel again: no second line
        rn.LSTM(I, H, backend="reference")(x)
    lines = [r.getMessage() for r in caplog.records if r.name == "rnnlab.nn.backend"]
    assert len(lines) == 2
    assert "peephole=True" in lines[0] and "hand-written BPTT" in lines[0]
    assert "autograd reference" in lines[1]


def test_unknown_backend_lists_the_choices() -> None:
    with pytest.raises(ValueError, match=re.escape("('auto', 'fused', 'bptt', 'reference')")):
        rn.LSTM(I, H, backend="cudnn")


@pytest.mark.parametrize("backend", ["auto", "fused"])
def test_traces_see_every_gate_whichever_kernel_the_layer_runs(backend) -> None:
    """rnnlab.inspect re-runs the layer on the reference cells; the forward's own kernel
    (torch's fused one, or with auto the one a training step runs) does not hide the gates."""
    torch.manual_seed(0)
    layer = rn.LSTM(I, H, 2, bidirectional=True, backend=backend)
    x = torch.randn(T, B, I)
    tr = trace(layer, x)
    assert layer.last_kernel == ("fused" if backend == "fused" else LSTM_AUTO_TRAINING)
    assert tr.rerun_error < 1e-5
    assert tr.gate_names == ("i", "f", "g", "o")
    for layer_k, direction in itertools.product((0, 1), (0, 1)):
        gates = tr.gates(layer=layer_k, direction=direction)
        for name in ("i", "f", "g", "o"):
            assert gates[name].shape == (T, B, H)
            assert torch.all((gates[name] >= -1) & (gates[name] <= 1))
