"""The C++ cores' recurrent products on weights packed once per call (rnnlab/bptt/packed_gemm.h)
against the same loops with plain products (``RNNLAB_NO_PACKED_GEMM=1``).

Packing only changes how MKL walks the weight, so both must agree to float32 rounding:
outputs, final states and every gradient, for the LSTM variants that use each packed product
(W_hh forward and backward, the projection W_hr, layer norm's separate W_hh product), both
GRU forms and the Elman RNN, with full batches (packed) and a packed batch whose shorter steps
fall back to the plain product. Where torch carries MKL, the cores must find it.
"""

from __future__ import annotations

import pytest
import torch
from torch import Tensor
from torch.nn.utils.rnn import pack_padded_sequence

import rnnlab.nn as rn
from rnnlab.bptt import cpp_core

T, B, I, H = 7, 5, 6, 16
LENGTHS = torch.tensor([7, 3, 7, 1, 5])

LAYERS = {
    "lstm": lambda: rn.LSTM(I, H, backend="bptt"),  # not torch's fused kernel
    "peephole": lambda: rn.LSTM(I, H, peephole=True),
    "layer norm": lambda: rn.LSTM(I, H, layer_norm=True, coupled=True),
    "projection": lambda: rn.LSTM(I, H, proj_size=5, forget_gate=False),
    "gru": lambda: rn.GRU(I, H),
    "gru reset before": lambda: rn.GRU(I, H, reset_after=False),
    "elman": lambda: rn.RNN(I, H),
    "elman relu": lambda: rn.RNN(I, H, nonlinearity="relu"),
}


def core_of(name: str) -> str:
    return next((core for core in ("gru", "elman") if name.startswith(core)), "lstm")


def run(layer: torch.nn.Module, x: Tensor, packed: bool) -> list[Tensor]:
    xi = x.clone().requires_grad_()
    inp = pack_padded_sequence(xi, LENGTHS, enforce_sorted=False) if packed else xi
    out, state = layer(inp)
    out = out.data if packed else out
    states = state if isinstance(state, tuple) else (state,)
    loss = out.sin().sum() + sum(s.cos().sum() for s in states)
    grads = torch.autograd.grad(loss, [xi, *layer.parameters()])
    return [out.detach(), *(s.detach() for s in states), *grads]


@pytest.mark.parametrize("packed", [False, True], ids=["full", "packed-batch"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_packed_products_agree_with_plain_ones(monkeypatch, name: str, packed: bool) -> None:
    if cpp_core.core(core_of(name)) is None:
        pytest.skip("the C++ core is off or was not built")
    torch.manual_seed(0)
    layer = LAYERS[name]()
    x = torch.randn(T, B, I)
    with_packing = run(layer, x, packed)
    assert layer.last_kernel == "bptt-cpp"
    monkeypatch.setenv("RNNLAB_NO_PACKED_GEMM", "1")
    plain = run(layer, x, packed)
    for k, (a, b) in enumerate(zip(with_packing, plain, strict=True)):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5, msg=f"output/gradient {k}")


@pytest.mark.parametrize("core", ["lstm", "gru", "elman"])
def test_the_cores_find_mkl_where_torch_has_it(core: str) -> None:
    module = cpp_core.core(core)
    if module is None:
        pytest.skip("the C++ core is off or was not built")
    assert module.packed_gemm() == torch.backends.mkl.is_available()


@pytest.mark.parametrize("name", ["lstm", "gru", "elman"])
def test_one_row_with_an_odd_row_stride(name: str) -> None:
    """B = 1 with h0 a view whose row stride is 0: torch calls it contiguous (a one-row dim's
    stride is never used), BLAS refuses a leading dimension below the row length. The packed
    product must still give the reference's answer."""
    if cpp_core.core(name) is None:
        pytest.skip("the C++ core is off or was not built")
    torch.manual_seed(0)
    layer = LAYERS[name]()
    x = torch.randn(T, 1, I)
    h0 = torch.randn(H).as_strided((1, 1, H), (0, 0, 1))
    state = (h0, torch.zeros(1, 1, H)) if name == "lstm" else h0
    out, _ = layer(x, state)
    assert layer.last_kernel == "bptt-cpp"
    layer.backend = "reference"
    torch.testing.assert_close(out, layer(x, state)[0], rtol=1e-5, atol=1e-5)
