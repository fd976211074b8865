"""Helpers for the tests of the single-state sequence functions (rnnlab.bptt.elman, .gru) and of
the one-step cells of rnnlab.nn against torch.nn.

Imported as ``from helpers_rnn import ...`` (tests/ is on sys.path, as for test_train_helpers).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.testing import assert_close

import rnnlab.nn as rn
from rnnlab.bptt import cpp_core, lstm_cpp

TOL = {torch.float64: {"rtol": 1e-10, "atol": 1e-10}, torch.float32: {"rtol": 1e-5, "atol": 1e-5}}

# What ``last_kernel`` says after an LSTM without layer norm, projection or in-loop regulariser
# ran the hand-written path on the CPU: its loops run in C++ where the core is built
# (rnnlab.bptt.lstm_cpp), in Python under RNNLAB_NO_CPP=1 or without a compiler.
LSTM_BPTT = "bptt-cpp" if cpp_core.core() is not None else "bptt"
# What backend="auto" runs for a plain float32 LSTM in a training step on the CPU: the
# hand-written path where the core multiplies by its own AVX-512 or AVX2 products (faster than
# oneDNN's forward and backward; rnnlab.bptt.lstm_cpp.own_products), else torch's fused kernel.
# In inference it runs the fused kernel everywhere.
LSTM_AUTO_TRAINING = LSTM_BPTT if lstm_cpp.own_products() else "fused"
# The same for a GRU without in-loop regulariser (either reset form; rnnlab.bptt.gru_cpp).
GRU_BPTT = "bptt-cpp" if cpp_core.core("gru") is not None else "bptt"
# The same for an Elman RNN without in-loop regulariser (every nonlinearity; rnnlab.bptt.elman_cpp).
ELMAN_BPTT = "bptt-cpp" if cpp_core.core("elman") is not None else "bptt"

# elman_sequence or gru_sequence: (x, h0, weight_ih, weight_hh, bias_ih, bias_hh, **options)
Sequence = Callable[..., tuple[Tensor, Tensor]]


# ----------------------------------------------------------------------------- inputs, loss


def batch_sizes_of(lengths: list[int], T: int) -> Tensor:
    """batch_sizes[t] = how many rows (sorted by decreasing length) are still running at t."""
    return torch.tensor([sum(n > t for n in lengths) for t in range(T)])


def make_inputs(
    T: int, B: int, I: int, H: int, *, gates: int, bias: bool, dtype: torch.dtype, seed: int
) -> list[Tensor]:
    """[x, h0, weight_ih, weight_hh] (+ [bias_ih, bias_hh]), ``gates`` blocks of H rows per
    weight and bias (Elman 1, GRU 3), scaled as torch.nn.RNN/GRU initialise them."""
    gen = torch.Generator().manual_seed(seed)
    k = H**-0.5

    def uniform(*shape: int) -> Tensor:
        return (torch.rand(*shape, generator=gen, dtype=dtype) * 2 - 1) * k

    tensors = [
        torch.randn(T, B, I, generator=gen, dtype=dtype),
        torch.randn(B, H, generator=gen, dtype=dtype) * 0.5,
        uniform(gates * H, I),
        uniform(gates * H, H),
    ]
    if bias:
        tensors += [uniform(gates * H), uniform(gates * H)]
    return [t.requires_grad_() for t in tensors]


def split(inputs: list[Tensor]) -> tuple[Tensor, ...]:
    """(x, h0, weight_ih, weight_hh, bias_ih, bias_hh) with None for absent biases."""
    return (*inputs, None, None)[:6]


def loss_of(out: Tensor, h_T: Tensor, seed: int = 123) -> Tensor:
    """A loss that weights every output (padding included) and the final state differently."""
    gen = torch.Generator().manual_seed(seed)
    w_out = torch.randn(out.shape, generator=gen, dtype=out.dtype)
    w_h = torch.randn(h_T.shape, generator=gen, dtype=h_T.dtype)
    return (out * w_out).sum() + (h_T * w_h).sum()


# ----------------------------------------------------------------------------- checks


def assert_backends_agree(
    sequence: Sequence, inputs: list[Tensor], lengths: list[int] | None, dtype: torch.dtype,
    wrt: list[Tensor] | None = None, **options: object,
) -> None:
    """backend="bptt" == backend="reference": outputs and the gradients with respect to ``wrt``
    (default: every input); with ``lengths``, finished rows emit zeros and h_T is each row's
    own last state."""
    T = inputs[0].shape[0]
    batch_sizes = None if lengths is None else batch_sizes_of(lengths, T)
    results = {}
    for backend in ("bptt", "reference"):
        out, h_T = sequence(*split(inputs), **options, batch_sizes=batch_sizes, backend=backend)
        grads = torch.autograd.grad(loss_of(out, h_T), inputs if wrt is None else wrt)
        results[backend] = (out, h_T, *grads)
    for mine, ref in zip(results["bptt"], results["reference"], strict=True):
        assert_close(mine, ref, **TOL[dtype])
    if lengths is not None:
        out, h_T = results["bptt"][:2]
        for b, n in enumerate(lengths):
            assert torch.all(out[n:, b] == 0)
            assert_close(h_T[b], out[n - 1, b] if n else inputs[1][b], **TOL[dtype])


def assert_non_contiguous_input_ok(sequence: Sequence, inputs: list[Tensor]) -> None:
    """x stored batch-first (a non-contiguous time-major view) gives the reference's output and
    input gradient (float64 inputs)."""
    x_bt = inputs[0].detach().transpose(0, 1).contiguous().requires_grad_()  # (B, T, I)
    mine = sequence(x_bt.transpose(0, 1), *split(inputs)[1:])
    ref = sequence(*split(inputs), backend="reference")
    assert_close(mine, ref, **TOL[torch.float64])
    (dx_bt,) = torch.autograd.grad(loss_of(*mine), [x_bt])
    (dx,) = torch.autograd.grad(loss_of(*ref), [inputs[0]])
    assert_close(dx_bt.transpose(0, 1), dx, **TOL[torch.float64])


def torch_results(
    layer: nn.RNNBase, inputs: list[Tensor], lengths: list[int] | None
) -> tuple[list[Tensor], Tensor | None]:
    """Run a one-layer torch.nn.RNN/GRU with the weights of ``inputs`` on its x from its h0,
    full or packed by ``lengths``: ([out, h_T, d loss_of / d (x, h0, every weight)],
    the batch_sizes of the packed input or None)."""
    x, h0 = inputs[:2]
    names = ["weight_ih_l0", "weight_hh_l0"] + (["bias_ih_l0", "bias_hh_l0"] if layer.bias else [])
    with torch.no_grad():
        for name, value in zip(names, inputs[2:], strict=True):
            getattr(layer, name).copy_(value)
    params = [getattr(layer, name) for name in names]

    if lengths is None:
        out, h = layer(x, h0.unsqueeze(0))
        batch_sizes = None
    else:
        packed = pack_padded_sequence(x, torch.tensor(lengths))
        out_packed, h = layer(packed, h0.unsqueeze(0))
        out, _ = pad_packed_sequence(out_packed, total_length=x.shape[0])
        batch_sizes = packed.batch_sizes
    grads = torch.autograd.grad(loss_of(out, h[0]), [x, h0, *params])
    return [out, h[0], *grads], batch_sizes


# ----------------------------------------------------------------------------- one-step cells


def cell_outputs_and_grads(cell: nn.Module, batched: bool, with_hx: bool, B: int = 3) -> list:
    """[h', (c'), d loss / d (x, (hx), every parameter)] of one step of ``cell`` (torch's or
    rnnlab's) on float64 inputs drawn from seed 1; the loss weights h' by unit and adds c'^2."""
    I, H = cell.input_size, cell.hidden_size
    lstm = isinstance(cell, nn.LSTMCell | rn.LSTMCell)
    shape = (B,) if batched else ()
    g = torch.Generator().manual_seed(1)
    dt = torch.float64
    x = torch.randn(*shape, I, generator=g, dtype=dt, requires_grad=True)
    hx = [torch.randn(*shape, H, generator=g, dtype=dt, requires_grad=True)
          for _ in range(2 if lstm else 1)] if with_hx else []
    new = cell(x, (tuple(hx) if lstm else hx[0]) if with_hx else None)
    states = list(new) if lstm else [new]
    loss = (states[0] * torch.arange(H, dtype=dt)).sum() + sum((c**2).sum() for c in states[1:])
    leaves = [x, *hx, *cell.parameters()]
    return [*states, *torch.autograd.grad(loss, leaves)]


def assert_cells_agree(theirs: nn.Module, ours: nn.Module, batched: bool, with_hx: bool) -> None:
    """A torch.nn cell and its rnnlab twin (same weights): same step, same gradients."""
    for a, b in zip(cell_outputs_and_grads(theirs, batched, with_hx),
                    cell_outputs_and_grads(ours, batched, with_hx), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
