"""The hand-written ConvLSTMFunction (backend "bptt") against gradcheck and the autograd
reference loop over the cell, with and without peepholes (per channel and per pixel)."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from rnnlab.bptt.conv_lstm import ConvLSTMFunction, conv_lstm_sequence
from rnnlab.bptt.reference import ConvLSTMWeights
from rnnlab.errors import UserError

B, T, C, HF, WF, H, K = 2, 3, 2, 4, 4, 3, 3  # the sizes of the brief
# peepholes: none, one weight per channel, one per channel and pixel (Shi et al.)
PEEPHOLES = {"none": None, "channel": (3, H, 1, 1), "pixel": (3, H, HF, WF)}


def make_case(peephole: str, bias: bool = True, dtype: torch.dtype = torch.float64,
              kernel: int = K, seed: int = 0) -> list[Tensor | None]:
    """``[x, h0, c0, *ConvLSTMWeights fields]``, every tensor a leaf that requires grad."""
    gen = torch.Generator().manual_seed(seed)

    def rand(*shape: int, scale: float = 1.0) -> Tensor:
        t = torch.randn(*shape, generator=gen, dtype=dtype) * scale
        return t.requires_grad_()

    shape = PEEPHOLES[peephole]
    return [
        rand(T, B, C, HF, WF), rand(B, H, HF, WF), rand(B, H, HF, WF),
        rand(4 * H, C, kernel, kernel, scale=0.3), rand(4 * H, H, kernel, kernel, scale=0.3),
        rand(4 * H, scale=0.3) if bias else None, rand(4 * H, scale=0.3) if bias else None,
        None if shape is None else rand(*shape, scale=0.5),
    ]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("peephole", PEEPHOLES)
def test_gradcheck(peephole: str, bias: bool) -> None:
    """float64 gradcheck for x, h0, c0 and every weight, at the brief's tiny sizes."""
    inputs = make_case(peephole, bias)
    assert torch.autograd.gradcheck(lambda *a: ConvLSTMFunction.apply(*a), tuple(inputs))


def test_gradcheck_kernel_1_and_5() -> None:
    for kernel in (1, 5):
        inputs = make_case("channel", kernel=kernel)
        assert torch.autograd.gradcheck(lambda *a: ConvLSTMFunction.apply(*a), tuple(inputs))


@pytest.mark.parametrize("peephole", PEEPHOLES)
def test_fast_equals_reference(peephole: str) -> None:
    """Outputs, final states and every gradient of the two backends agree (float32)."""
    results = []
    for backend in ("bptt", "reference"):
        x, h0, c0, *w = make_case(peephole, dtype=torch.float32, seed=3)
        out, h, c = conv_lstm_sequence(x, h0, c0, ConvLSTMWeights(*w), backend=backend)
        gen = torch.Generator().manual_seed(1)
        loss = sum((t * torch.randn(t.shape, generator=gen)).sum() for t in (out, h, c))
        leaves = [t for t in (x, h0, c0, *w) if t is not None]
        results.append(((out, h, c), torch.autograd.grad(loss, leaves)))
    (outs_a, grads_a), (outs_b, grads_b) = results
    for a, b in zip((*outs_a, *grads_a), (*outs_b, *grads_b), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_no_grad_forward_equals_function() -> None:
    x, h0, c0, *w = make_case("pixel", dtype=torch.float32)
    with_grad = conv_lstm_sequence(x, h0, c0, ConvLSTMWeights(*w))
    with torch.no_grad():
        without = conv_lstm_sequence(x, h0, c0, ConvLSTMWeights(*w))
    for a, b in zip(with_grad, without, strict=True):
        torch.testing.assert_close(a.detach(), b)


@pytest.mark.slow  # ~30 s: gradgradcheck through the reference loop
def test_double_backward() -> None:
    """create_graph=True: the gradient is itself differentiable (the reference's)."""
    inputs = make_case("channel")
    assert torch.autograd.gradgradcheck(lambda *a: ConvLSTMFunction.apply(*a)[0].sum(),
                                        tuple(inputs))


def test_bad_shapes_are_clear() -> None:
    x, h0, c0, *w = make_case("none")
    weights = ConvLSTMWeights(*w)
    with pytest.raises(UserError, match="time-major"):
        conv_lstm_sequence(x[0], h0, c0, weights)
    with pytest.raises(UserError, match="h0 and c0"):
        conv_lstm_sequence(x, h0[:, :, :2], c0, weights)
    with pytest.raises(UserError, match="odd kernel"):
        conv_lstm_sequence(x, h0, c0, weights._replace(weight_ih=weights.weight_ih[:, :1]))
    with pytest.raises(UserError, match="weight_peephole"):
        conv_lstm_sequence(x, h0, c0, weights._replace(weight_peephole=torch.ones(3, H, 2, 2)))
    with pytest.raises(UserError, match="backend"):
        conv_lstm_sequence(x, h0, c0, weights, backend="fused")
