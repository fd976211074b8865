"""The hand-written GRU backward (rnnlab.bptt.gru) against gradcheck, the autograd reference
path and torch.nn.GRU."""

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

from rnnlab.bptt.gru import GRUFunction, gru_sequence

RESET = pytest.mark.parametrize("reset_after", [True, False], ids=["after", "before"])
BIAS = pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])


# ----------------------------------------------------------------------------- gradcheck


@pytest.mark.parametrize("lengths", [None, [3, 2, 1]], ids=["full", "packed"])
@BIAS
@RESET
def test_gradcheck(reset_after: bool, bias: bool, lengths: list[int] | None) -> None:
    T, I, H = 3, 4, 5
    B = 2 if lengths is None else len(lengths)
    inputs = make_inputs(T, B, I, H, gates=3, bias=bias, dtype=torch.float64, seed=0)
    sizes = (B,) * T if lengths is None else tuple(batch_sizes_of(lengths, T).tolist())

    def run(*tensors: Tensor) -> tuple[Tensor, Tensor]:
        return GRUFunction.apply(*split(list(tensors)), sizes, reset_after)

    assert gradcheck(run, inputs)


# ----------------------------------------------------------------------------- == reference


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(
    "lengths", [None, [7, 5, 5, 2], [7, 4, 1, 0]], ids=["full", "packed", "empty_row"]
)
@BIAS
@RESET
def test_matches_reference(
    reset_after: bool, bias: bool, lengths: list[int] | None, dtype: torch.dtype
) -> None:
    T, B, I, H = 7, 4, 6, 8
    inputs = make_inputs(T, B, I, H, gates=3, bias=bias, dtype=dtype, seed=1)
    assert_backends_agree(gru_sequence, inputs, lengths, dtype, reset_after=reset_after)


def test_reset_before_differs_from_reset_after() -> None:
    """The two forms are different functions (guards against one silently running the other)."""
    inputs = split(make_inputs(5, 3, 4, 6, gates=3, bias=True, dtype=torch.float64, seed=2))
    out_after, _ = gru_sequence(*inputs, reset_after=True)
    out_before, _ = gru_sequence(*inputs, reset_after=False)
    assert (out_after - out_before).abs().max() > 1e-3


@RESET
def test_only_some_inputs_need_grad(reset_after: bool) -> None:
    T, B, I, H = 5, 3, 4, 6
    x, h0, w_ih, w_hh, b_ih, b_hh = make_inputs(
        T, B, I, H, gates=3, bias=True, dtype=torch.float64, seed=3
    )
    inputs = [x.detach(), h0, w_ih.detach(), w_hh, b_ih.detach(), b_hh]
    assert_backends_agree(
        gru_sequence, inputs, None, torch.float64, wrt=[h0, w_hh, b_hh], reset_after=reset_after
    )


def test_non_contiguous_input() -> None:
    T, B, I, H = 5, 3, 4, 6
    inputs = make_inputs(T, B, I, H, gates=3, bias=True, dtype=torch.float64, seed=4)
    assert_non_contiguous_input_ok(gru_sequence, inputs)


# ----------------------------------------------------------------------------- == torch.nn.GRU


@pytest.mark.parametrize("lengths", [None, [7, 5, 5, 2]], ids=["full", "packed"])
@BIAS
def test_matches_torch_gru(bias: bool, lengths: list[int] | None) -> None:
    T, B, I, H = 7, 4, 6, 8
    inputs = make_inputs(T, B, I, H, gates=3, bias=bias, dtype=torch.float64, seed=5)
    gru = torch.nn.GRU(I, H, bias=bias, dtype=torch.float64)
    expected, batch_sizes = torch_results(gru, inputs, lengths)

    out, h_T = gru_sequence(*split(inputs), reset_after=True, batch_sizes=batch_sizes)
    grads = torch.autograd.grad(loss_of(out, h_T), inputs)
    for mine, theirs in zip((out, h_T, *grads), expected, strict=True):
        assert_close(mine, theirs, rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------- routing, errors


@RESET
def test_bptt_backend_runs_the_hand_written_function(reset_after: bool) -> None:
    inputs = split(make_inputs(3, 2, 4, 5, gates=3, bias=True, dtype=torch.float64, seed=6))
    for kwargs in ({}, {"backend": "bptt"}):
        out, h_T = gru_sequence(*inputs, reset_after=reset_after, **kwargs)
        assert type(out.grad_fn).__name__ == "GRUFunctionBackward"
        assert type(h_T.grad_fn).__name__ == "GRUFunctionBackward"
    out, h_T = gru_sequence(*inputs, reset_after=reset_after, backend="reference")
    assert type(out.grad_fn).__name__ != "GRUFunctionBackward"


def test_bad_arguments_raise_value_error() -> None:
    inputs = split(make_inputs(3, 2, 4, 5, gates=3, bias=True, dtype=torch.float64, seed=7))
    with pytest.raises(ValueError, match=r"backend 'cudnn'.*bptt, reference"):
        gru_sequence(*inputs, backend="cudnn")
    with pytest.raises(ValueError, match="non-increasing"):
        gru_sequence(*inputs, batch_sizes=torch.tensor([1, 2, 2]))
    with pytest.raises(ValueError, match="weights"):
        gru_sequence(inputs[0], inputs[1], inputs[2][:5], *inputs[3:])
