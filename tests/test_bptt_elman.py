"""The hand-written Elman backward (rnnlab.bptt.elman) against gradcheck, the autograd
reference path and torch.nn.RNN."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor
from torch.autograd import gradcheck
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.testing import assert_close

from rnnlab.bptt.elman import ElmanFunction, elman_sequence

NONLINEARITIES = ("tanh", "relu", "sigmoid")
TOL = {torch.float64: {"rtol": 1e-10, "atol": 1e-10}, torch.float32: {"rtol": 1e-5, "atol": 1e-5}}


def batch_sizes_of(lengths: list[int], T: int) -> Tensor:
    """batch_sizes[t] = how many rows (sorted by decreasing length) are still running at t."""
    return torch.tensor([sum(n > t for n in lengths) for t in range(T)])


def make_inputs(
    T: int, B: int, I: int, H: int, *, bias: bool, dtype: torch.dtype, seed: int
) -> list[Tensor]:
    """[x, h0, weight_ih, weight_hh] (+ [bias_ih, bias_hh]), weights scaled as torch.nn.RNN."""
    gen = torch.Generator().manual_seed(seed)
    k = H**-0.5

    def uniform(*shape: int) -> Tensor:
        return (torch.rand(*shape, generator=gen, dtype=dtype) * 2 - 1) * k

    tensors = [
        torch.randn(T, B, I, generator=gen, dtype=dtype),
        torch.randn(B, H, generator=gen, dtype=dtype) * 0.5,
        uniform(H, I),
        uniform(H, H),
    ]
    if bias:
        tensors += [uniform(H), uniform(H)]
    return [t.requires_grad_() for t in tensors]


def split(inputs: list[Tensor]) -> tuple[Tensor, ...]:
    """(x, h0, weight_ih, weight_hh, bias_ih, bias_hh) with None for absent biases."""
    return (*inputs, None, None)[:6]


def smallest_preactivation(inputs: list[Tensor], sizes: list[int]) -> float:
    """min |a_t| over the rows that run, to keep relu away from its kink in gradient tests."""
    x, h, w_ih, w_hh, b_ih, b_hh = split([t.detach() for t in inputs])
    smallest = float("inf")
    for t, rows in enumerate(sizes):
        a = x[t, :rows] @ w_ih.T + h[:rows] @ w_hh.T
        if b_ih is not None:
            a = a + b_ih + b_hh
        smallest = min(smallest, a.abs().min().item())
        h = h.clone()
        h[:rows] = torch.relu(a)
    return smallest


def loss_of(out: Tensor, h_T: Tensor, seed: int = 123) -> Tensor:
    """A loss that weights every output (padding included) and the final state differently."""
    gen = torch.Generator().manual_seed(seed)
    w_out = torch.randn(out.shape, generator=gen, dtype=out.dtype)
    w_h = torch.randn(h_T.shape, generator=gen, dtype=h_T.dtype)
    return (out * w_out).sum() + (h_T * w_h).sum()


# ----------------------------------------------------------------------------- gradcheck


@pytest.mark.parametrize("lengths", [None, [3, 2, 1]], ids=["full", "packed"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_gradcheck(nonlinearity: str, bias: bool, lengths: list[int] | None) -> None:
    T, I, H = 3, 4, 5
    B = 2 if lengths is None else len(lengths)
    inputs = make_inputs(T, B, I, H, bias=bias, dtype=torch.float64, seed=0)
    sizes = [B] * T if lengths is None else batch_sizes_of(lengths, T).tolist()
    if nonlinearity == "relu":  # finite differences of size 1e-6 must not cross the kink
        assert smallest_preactivation(inputs, sizes) > 1e-3

    def run(*tensors: Tensor) -> tuple[Tensor, Tensor]:
        return ElmanFunction.apply(*split(list(tensors)), tuple(sizes), nonlinearity)

    assert gradcheck(run, inputs)


# ----------------------------------------------------------------------------- == reference


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(
    "lengths", [None, [7, 5, 5, 2], [7, 4, 1, 0]], ids=["full", "packed", "empty_row"]
)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_matches_reference(
    nonlinearity: str, bias: bool, lengths: list[int] | None, dtype: torch.dtype
) -> None:
    T, B, I, H = 7, 4, 6, 8
    inputs = make_inputs(T, B, I, H, bias=bias, dtype=dtype, seed=1)
    batch_sizes = None if lengths is None else batch_sizes_of(lengths, T)
    if nonlinearity == "relu":  # rounding must not put the two paths on different sides
        sizes = [B] * T if batch_sizes is None else batch_sizes.tolist()
        assert smallest_preactivation(inputs, sizes) > 1e-4
    results = {}
    for backend in ("bptt", "reference"):
        out, h_T = elman_sequence(
            *split(inputs), nonlinearity=nonlinearity, batch_sizes=batch_sizes, backend=backend
        )
        grads = torch.autograd.grad(loss_of(out, h_T), inputs)
        results[backend] = (out, h_T, *grads)
    for mine, ref in zip(results["bptt"], results["reference"], strict=True):
        assert_close(mine, ref, **TOL[dtype])
    if lengths is not None:  # finished rows emit zeros; h_T is each row's own last state
        out, h_T = results["bptt"][:2]
        for b, n in enumerate(lengths):
            assert torch.all(out[n:, b] == 0)
            assert_close(h_T[b], out[n - 1, b] if n else inputs[1][b], **TOL[dtype])


def test_only_some_inputs_need_grad() -> None:
    T, B, I, H = 5, 3, 4, 6
    x, h0, w_ih, w_hh, b_ih, b_hh = make_inputs(T, B, I, H, bias=True, dtype=torch.float64, seed=2)
    x, h0, b_hh = x.detach(), h0.detach(), b_hh.detach()
    grads = {}
    for backend in ("bptt", "reference"):
        out, h_T = elman_sequence(x, h0, w_ih, w_hh, b_ih, b_hh, backend=backend)
        grads[backend] = torch.autograd.grad(loss_of(out, h_T), [w_ih, w_hh, b_ih])
    for mine, ref in zip(grads["bptt"], grads["reference"], strict=True):
        assert_close(mine, ref, **TOL[torch.float64])


def test_non_contiguous_input() -> None:
    T, B, I, H = 5, 3, 4, 6
    inputs = make_inputs(T, B, I, H, bias=True, dtype=torch.float64, seed=3)
    x_bt = inputs[0].detach().transpose(0, 1).contiguous().requires_grad_()  # (B, T, I)
    mine = elman_sequence(x_bt.transpose(0, 1), *split(inputs)[1:])
    ref = elman_sequence(*split(inputs), backend="reference")
    assert_close(mine, ref, **TOL[torch.float64])
    (dx_bt,) = torch.autograd.grad(loss_of(*mine), [x_bt])
    (dx,) = torch.autograd.grad(loss_of(*ref), [inputs[0]])
    assert_close(dx_bt.transpose(0, 1), dx, **TOL[torch.float64])


# ----------------------------------------------------------------------------- == torch.nn.RNN


@pytest.mark.parametrize("lengths", [None, [7, 5, 5, 2]], ids=["full", "packed"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])  # torch.nn.RNN has no sigmoid
def test_matches_torch_rnn(nonlinearity: str, bias: bool, lengths: list[int] | None) -> None:
    T, B, I, H = 7, 4, 6, 8
    inputs = make_inputs(T, B, I, H, bias=bias, dtype=torch.float64, seed=4)
    x, h0 = inputs[:2]
    rnn = torch.nn.RNN(I, H, nonlinearity=nonlinearity, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(inputs[2])
        rnn.weight_hh_l0.copy_(inputs[3])
        if bias:
            rnn.bias_ih_l0.copy_(inputs[4])
            rnn.bias_hh_l0.copy_(inputs[5])
    params = [rnn.weight_ih_l0, rnn.weight_hh_l0] + (
        [rnn.bias_ih_l0, rnn.bias_hh_l0] if bias else []
    )

    if lengths is None:
        out_t, h_t = rnn(x, h0.unsqueeze(0))
        batch_sizes = None
    else:
        packed = pack_padded_sequence(x, torch.tensor(lengths))
        out_packed, h_t = rnn(packed, h0.unsqueeze(0))
        out_t, _ = pad_packed_sequence(out_packed, total_length=T)
        batch_sizes = packed.batch_sizes
    grads_t = torch.autograd.grad(loss_of(out_t, h_t[0]), [x, h0, *params])

    out, h_T = elman_sequence(*split(inputs), nonlinearity=nonlinearity, batch_sizes=batch_sizes)
    grads = torch.autograd.grad(loss_of(out, h_T), inputs)
    for mine, theirs in zip((out, h_T, *grads), (out_t, h_t[0], *grads_t), strict=True):
        assert_close(mine, theirs, rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------- routing, errors


def test_bptt_backend_runs_the_hand_written_function() -> None:
    inputs = make_inputs(3, 2, 4, 5, bias=True, dtype=torch.float64, seed=5)
    for kwargs in ({}, {"backend": "bptt"}):
        out, h_T = elman_sequence(*split(inputs), **kwargs)
        assert type(out.grad_fn).__name__ == "ElmanFunctionBackward"
        assert type(h_T.grad_fn).__name__ == "ElmanFunctionBackward"
    out, h_T = elman_sequence(*split(inputs), backend="reference")
    assert type(out.grad_fn).__name__ != "ElmanFunctionBackward"


def test_bad_arguments_raise_value_error() -> None:
    inputs = split(make_inputs(3, 2, 4, 5, bias=True, dtype=torch.float64, seed=6))
    with pytest.raises(ValueError, match=r"backend 'cudnn'.*bptt, reference"):
        elman_sequence(*inputs, backend="cudnn")
    with pytest.raises(ValueError, match=r"nonlinearity 'gelu'.*tanh, relu, sigmoid"):
        elman_sequence(*inputs, nonlinearity="gelu")
    with pytest.raises(ValueError, match="non-increasing"):
        elman_sequence(*inputs, batch_sizes=torch.tensor([1, 2, 2]))
    with pytest.raises(ValueError, match="3 steps"):
        elman_sequence(*inputs, batch_sizes=torch.tensor([2, 2]))
    with pytest.raises(ValueError, match="h0"):
        elman_sequence(inputs[0], inputs[1][:1], *inputs[2:])
