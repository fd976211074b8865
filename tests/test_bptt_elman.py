"""The hand-written Elman backward (rnnlab.bptt.elman) against gradcheck, the autograd
reference path and torch.nn.RNN."""

from __future__ import annotations

import pytest
import torch
from helpers_rnn import (
    assert_backends_agree,
    assert_non_contiguous_input_ok,
    batch_sizes_of,
    loss_of,
    make_inputs,
    split,
    torch_results,
)
from torch import Tensor
from torch.autograd import gradcheck
from torch.testing import assert_close

from rnnlab.bptt.elman import ElmanFunction, elman_sequence

NONLINEARITIES = ("tanh", "relu", "sigmoid")


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


# ----------------------------------------------------------------------------- gradcheck


@pytest.mark.parametrize("lengths", [None, [3, 2, 1]], ids=["full", "packed"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_gradcheck(nonlinearity: str, bias: bool, lengths: list[int] | None) -> None:
    T, I, H = 3, 4, 5
    B = 2 if lengths is None else len(lengths)
    inputs = make_inputs(T, B, I, H, gates=1, bias=bias, dtype=torch.float64, seed=0)
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
    inputs = make_inputs(T, B, I, H, gates=1, bias=bias, dtype=dtype, seed=1)
    if nonlinearity == "relu":  # rounding must not put the two paths on different sides
        sizes = [B] * T if lengths is None else batch_sizes_of(lengths, T).tolist()
        assert smallest_preactivation(inputs, sizes) > 1e-4
    assert_backends_agree(elman_sequence, inputs, lengths, dtype, nonlinearity=nonlinearity)


def test_only_some_inputs_need_grad() -> None:
    T, B, I, H = 5, 3, 4, 6
    x, h0, w_ih, w_hh, b_ih, b_hh = make_inputs(
        T, B, I, H, gates=1, bias=True, dtype=torch.float64, seed=2
    )
    inputs = [x.detach(), h0.detach(), w_ih, w_hh, b_ih, b_hh.detach()]
    assert_backends_agree(elman_sequence, inputs, None, torch.float64, wrt=[w_ih, w_hh, b_ih])


def test_non_contiguous_input() -> None:
    T, B, I, H = 5, 3, 4, 6
    inputs = make_inputs(T, B, I, H, gates=1, bias=True, dtype=torch.float64, seed=3)
    assert_non_contiguous_input_ok(elman_sequence, inputs)


# ----------------------------------------------------------------------------- == torch.nn.RNN


@pytest.mark.parametrize("lengths", [None, [7, 5, 5, 2]], ids=["full", "packed"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])  # torch.nn.RNN has no sigmoid
def test_matches_torch_rnn(nonlinearity: str, bias: bool, lengths: list[int] | None) -> None:
    T, B, I, H = 7, 4, 6, 8
    inputs = make_inputs(T, B, I, H, gates=1, bias=bias, dtype=torch.float64, seed=4)
    rnn = torch.nn.RNN(I, H, nonlinearity=nonlinearity, bias=bias, dtype=torch.float64)
    expected, batch_sizes = torch_results(rnn, inputs, lengths)

    out, h_T = elman_sequence(*split(inputs), nonlinearity=nonlinearity, batch_sizes=batch_sizes)
    grads = torch.autograd.grad(loss_of(out, h_T), inputs)
    for mine, theirs in zip((out, h_T, *grads), expected, strict=True):
        assert_close(mine, theirs, rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------- routing, errors


def test_bptt_backend_runs_the_hand_written_function() -> None:
    inputs = make_inputs(3, 2, 4, 5, gates=1, bias=True, dtype=torch.float64, seed=5)
    for kwargs in ({}, {"backend": "bptt"}):
        out, h_T = elman_sequence(*split(inputs), **kwargs)
        assert type(out.grad_fn).__name__ == "ElmanFunctionBackward"
        assert type(h_T.grad_fn).__name__ == "ElmanFunctionBackward"
    out, h_T = elman_sequence(*split(inputs), backend="reference")
    assert type(out.grad_fn).__name__ != "ElmanFunctionBackward"


def test_bad_arguments_raise_value_error() -> None:
    inputs = split(make_inputs(3, 2, 4, 5, gates=1, bias=True, dtype=torch.float64, seed=6))
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
