r"""The convolutional LSTM (Shi et al. 2015) through time, with a hand-written backward.

The math is :func:`rnnlab.bptt.reference.conv_lstm_step`, step by step; ``∗`` is a 2-D
convolution with an odd k x k kernel and 'same' padding k // 2, ``⊙`` the elementwise product
(shapes: x (T, B, C, Hf, Wf), h and c (B, H, Hf, Wf), H hidden channels):

.. math::
    a &= W_{x} * x_t + b_{ih} + W_{h} * h_{t-1} + b_{hh} \qquad (4H \text{ channels: i, f, g, o}) \\
    i &= \sigma(a_i + W_{ci} \odot c_{t-1}) \qquad
    f  = \sigma(a_f + W_{cf} \odot c_{t-1}) \qquad
    g  = \tanh(a_g) \\
    c_t &= f \odot c_{t-1} + i \odot g \\
    o &= \sigma(a_o + W_{co} \odot c_t) \\
    h_t &= o \odot \tanh(c_t)

Peepholes (``weight_peephole``, rows W_ci, W_cf, W_co) are (3, H, 1, 1), one weight per
channel, or (3, H, Hf, Wf), one per channel and pixel as in Shi et al.; any shape that
broadcasts against (H, Hf, Wf) works, and its gradient is summed back to that shape.

As for the vector families (DESIGN, "How a hand-written backward should read"): the input
convolutions of all T steps are one ``conv2d`` over the (T·B) frames before the loop; inside
the loop only the recurrent convolution and the gate math; after the backward loop the
input gradient (one convolution with the adjoint kernel) and the weight gradients (one
``torch.nn.grad.conv2d_weight`` each, over all T·B frames) are single batched ops.
Every sequence of a batch has the same length (video clips; no ``batch_sizes``) and there are
no regulariser masks.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn.grad import conv2d_weight

from rnnlab.bptt import BACKENDS
from rnnlab.bptt._common import (
    check_choice,
    differentiable_grads,
    needs_autograd_path,
    needs_grad,
)
from rnnlab.bptt.reference import ConvLSTMWeights, conv_lstm_step, run_reference
from rnnlab.errors import UserError


def _forward(
    x: Tensor, h0: Tensor, c0: Tensor, w: ConvLSTMWeights
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The forward loop: ``out`` (T, B, H, Hf, Wf) and the buffers the backward reads,
    ``Z`` (T, B, 4H, Hf, Wf) the gates i, f, g, o after their nonlinearities, ``C`` the cell
    states and ``TC`` their tanh (each (T, B, H, Hf, Wf))."""
    T, B, Cin, Hf, Wf = x.shape
    H = h0.shape[1]
    pad = w.weight_hh.shape[-1] // 2
    bias = None if w.bias_ih is None else w.bias_ih + w.bias_hh
    # The input convolutions of all T steps in one op; Z then becomes each step's gates.
    Z = F.conv2d(x.reshape(T * B, Cin, Hf, Wf), w.weight_ih, bias, padding=pad)
    Z = Z.view(T, B, 4 * H, Hf, Wf)
    out, C, TC = (x.new_empty(T, B, H, Hf, Wf) for _ in range(3))
    peep = w.weight_peephole is not None
    p_i, p_f, p_o = w.weight_peephole.unbind(0) if peep else (None, None, None)
    for t in range(T):
        h_prev = out[t - 1] if t else h0
        c_prev = C[t - 1] if t else c0
        z = Z[t]  # (B, 4H, Hf, Wf), holds W_x ∗ x_t + b; becomes the gates in place
        z += F.conv2d(h_prev, w.weight_hh, padding=pad)  # a = W_x ∗ x + b + W_h ∗ h_prev
        i, f, g, o = z.chunk(4, 1)
        if peep:
            i.addcmul_(p_i, c_prev)  # a_i + W_ci ⊙ c_prev
            f.addcmul_(p_f, c_prev)  # a_f + W_cf ⊙ c_prev
        i.sigmoid_()  # i = σ(a_i + W_ci ⊙ c_prev)
        f.sigmoid_()  # f = σ(a_f + W_cf ⊙ c_prev)
        g.tanh_()  # g = tanh(a_g)
        c = torch.mul(f, c_prev, out=C[t]).addcmul_(i, g)  # c = f ⊙ c_prev + i ⊙ g
        if peep:
            o.addcmul_(p_o, c)  # a_o + W_co ⊙ c
        o.sigmoid_()  # o = σ(a_o + W_co ⊙ c)
        torch.mul(o, torch.tanh(c, out=TC[t]), out=out[t])  # h = o ⊙ tanh(c)
    return out, Z, C, TC


def _adjoint(weight: Tensor) -> Tensor:
    """The kernel of the adjoint of ``conv2d(·, weight)`` (stride 1, 'same' padding): the
    transposed convolution, as a plain convolution."""
    return weight.transpose(0, 1).flip(-2, -1).contiguous()


def _backward(
    need: dict[str, bool], dout: Tensor, dh_T: Tensor, dc_T: Tensor, x: Tensor, h0: Tensor,
    c0: Tensor, w: ConvLSTMWeights, out: Tensor, Z: Tensor, C: Tensor, TC: Tensor,
) -> tuple[Tensor | None, ...]:
    """Gradients ``dx, dh0, dc0`` and one per field of :class:`ConvLSTMWeights` (None where
    ``need``, the names mapped to ``ctx.needs_input_grad``, says it is not needed)."""
    T, B, Cin, Hf, Wf = x.shape
    H = h0.shape[1]
    pad = w.weight_hh.shape[-1] // 2
    peep = w.weight_peephole is not None
    p_i, p_f, p_o = w.weight_peephole.unbind(0) if peep else (None, None, None)
    dA = torch.empty_like(Z)  # d a, the stacked pre-activations of every step
    dh_next = dh_T.clone(memory_format=torch.contiguous_format)
    dc_next = dc_T.clone(memory_format=torch.contiguous_format)
    # The adjoint of a stride-1 'same' convolution is the convolution with the kernel flipped
    # and its in/out channels swapped (= conv_transpose2d, which runs slower on the CPU).
    W_h_adj = _adjoint(w.weight_hh)  # (H, 4H, k, k)
    for t in range(T - 1, -1, -1):
        i, f, g, o = Z[t].chunk(4, 1)
        da_i, da_f, da_g, da_o = dA[t].chunk(4, 1)
        tc, c_prev = TC[t], C[t - 1] if t else c0
        dh = dout[t] + dh_next  # d h_t: from the output and from step t+1
        torch.mul(dh * tc, o * (1 - o), out=da_o)  # h = o ⊙ tanh(c), o = σ(a_o + W_co ⊙ c)
        dc = dc_next + dh * o * (1 - tc * tc)  # h = o ⊙ tanh(c)
        if peep:
            dc.addcmul_(da_o, p_o)  # o = σ(a_o + W_co ⊙ c)
        torch.mul(dc * g, i * (1 - i), out=da_i)  # c = f ⊙ c_prev + i ⊙ g, i = σ(·)
        torch.mul(dc * c_prev, f * (1 - f), out=da_f)  # c = f ⊙ c_prev + i ⊙ g, f = σ(·)
        torch.mul(dc * i, 1 - g * g, out=da_g)  # c = f ⊙ c_prev + i ⊙ g, g = tanh(a_g)
        dc_next = dc * f  # c = f ⊙ c_prev + i ⊙ g
        if peep:  # i = σ(a_i + W_ci ⊙ c_prev), f = σ(a_f + W_cf ⊙ c_prev)
            dc_next.addcmul_(da_i, p_i).addcmul_(da_f, p_f)
        dh_next = F.conv2d(dA[t], W_h_adj, padding=pad)  # a = ... + W_h ∗ h_prev

    # Everything that does not feed back into the recurrence: one batched op over all steps.
    dw: dict[str, Tensor | None] = dict.fromkeys(ConvLSTMWeights._fields)
    dA2 = dA.view(T * B, 4 * H, Hf, Wf)
    dx = None
    if need["x"]:  # a = W_x ∗ x_t + ...
        dx = F.conv2d(dA2, _adjoint(w.weight_ih), padding=pad).view(T, B, Cin, Hf, Wf)
    if need["weight_ih"]:
        dw["weight_ih"] = conv2d_weight(x.reshape(T * B, Cin, Hf, Wf), w.weight_ih.shape, dA2,
                                        padding=pad)
    if need["weight_hh"]:  # h_{t-1} is h0, then the outputs of steps 0 .. T-2
        h_prevs = torch.cat((h0.unsqueeze(0), out[:-1])).view(T * B, H, Hf, Wf)
        dw["weight_hh"] = conv2d_weight(h_prevs, w.weight_hh.shape, dA2, padding=pad)
    if need["bias_ih"] or need["bias_hh"]:  # a = ... + b_ih + b_hh
        db = dA2.sum((0, 2, 3))
        dw["bias_ih"] = db if need["bias_ih"] else None
        dw["bias_hh"] = db.clone() if need["bias_hh"] else None
    if need["weight_peephole"]:  # i, f = σ(a + W ⊙ c_prev); o = σ(a_o + W_co ⊙ c)
        c_prevs = torch.cat((c0.unsqueeze(0), C[:-1]))
        da_i, da_f, _, da_o = dA.chunk(4, 2)
        shape = w.weight_peephole.shape[1:]
        dw["weight_peephole"] = torch.stack([
            (da_i * c_prevs).sum((0, 1)).sum_to_size(shape),
            (da_f * c_prevs).sum((0, 1)).sum_to_size(shape),
            (da_o * C).sum((0, 1)).sum_to_size(shape),
        ])
    dh0 = dh_next if need["h0"] else None
    dc0 = dc_next if need["c0"] else None
    return dx, dh0, dc0, *dw.values()


def _reference(
    x: Tensor, h0: Tensor, c0: Tensor, *weights: Tensor | None
) -> tuple[Tensor, Tensor, Tensor]:
    """The autograd reference loop over :func:`conv_lstm_step`: ``(out, h_T, c_T)``."""
    step = partial(conv_lstm_step, w=ConvLSTMWeights(*weights))
    out, (h, c) = run_reference(step, x, (h0, c0))
    return out, h, c


class ConvLSTMFunction(torch.autograd.Function):
    """Forward and hand-written backward through time of one ConvLSTM layer.

    ``apply(x, h0, c0, *weights)``, ``weights`` the fields of :class:`ConvLSTMWeights`.

    Memory kept for the backward, beyond the inputs, weights and the returned ``out``
    (T·B·H·Hf·Wf = one "map stack" M): the gate activations 4M, the cell states M and their
    tanh M, i.e. 6M; the backward allocates d a (4M) and, for dW_h, the previous states (M).
    The output handed out is a copy of the saved one (M more), so that the caller may change
    it in place. Double backward (``create_graph=True``) returns the reference loop's
    gradients (:func:`~rnnlab.bptt._common.differentiable_grads`).
    """

    @staticmethod
    def forward(ctx: Any, x: Tensor, h0: Tensor, c0: Tensor, *weights: Tensor | None) -> Any:
        w = ConvLSTMWeights(*weights)
        out, Z, C, TC = _forward(x, h0, c0, w)
        ctx.save_for_backward(x, h0, c0, *w, out, Z, C, TC)
        return out.clone(), out[-1].clone(), C[-1].clone()

    @staticmethod
    def backward(ctx: Any, dout: Tensor, dh_T: Tensor, dc_T: Tensor) -> tuple[Tensor | None, ...]:
        x, h0, c0, *rest = ctx.saved_tensors
        nw = len(ConvLSTMWeights._fields)
        w, (out, Z, C, TC) = ConvLSTMWeights(*rest[:nw]), rest[nw:]
        if torch.is_grad_enabled():  # create_graph=True: the gradient must be a graph too
            return differentiable_grads(_reference, (x, h0, c0, *w), ctx.needs_input_grad,
                                        (dout, dh_T, dc_T))
        need = dict(zip(("x", "h0", "c0", *ConvLSTMWeights._fields), ctx.needs_input_grad,
                        strict=True))
        return _backward(need, dout, dh_T, dc_T, x, h0, c0, w, out, Z, C, TC)


def _broadcasts(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Whether ``shape`` broadcasts to exactly ``target``."""
    try:
        return torch.broadcast_shapes(shape, target) == target
    except RuntimeError:
        return False


def _check(x: Tensor, h0: Tensor, c0: Tensor, w: ConvLSTMWeights) -> None:
    """Shapes with clear messages."""
    if x.dim() != 5 or x.shape[0] == 0:
        raise UserError(f"x must be time-major (T, B, C, Hf, Wf) with T >= 1, got "
                        f"{tuple(x.shape)}")
    _, B, Cin, Hf, Wf = x.shape
    H = h0.shape[1] if h0.dim() == 4 else -1
    if h0.shape != (B, H, Hf, Wf) or c0.shape != h0.shape:
        raise UserError(f"h0 and c0 must be (B, H, Hf, Wf) with B={B}, Hf={Hf}, Wf={Wf}, got "
                        f"{tuple(h0.shape)} and {tuple(c0.shape)}")
    k = w.weight_hh.shape[-1]
    if (w.weight_ih.shape != (4 * H, Cin, k, k) or w.weight_hh.shape != (4 * H, H, k, k)
            or k % 2 == 0):
        raise UserError(f"4 gates of H={H} channels with an odd kernel k need weight_ih "
                        f"(4H, {Cin}, k, k) and weight_hh (4H, H, k, k), got "
                        f"{tuple(w.weight_ih.shape)} and {tuple(w.weight_hh.shape)}")
    if (w.bias_ih is None) != (w.bias_hh is None):
        raise UserError("bias_ih and bias_hh go together: give both or neither")
    p = w.weight_peephole
    if p is not None and (p.dim() != 4 or p.shape[0] != 3 or not _broadcasts(p.shape[1:],
                                                                          (H, Hf, Wf))):
        raise UserError(f"weight_peephole must be (3, H, 1, 1) or (3, H, Hf, Wf) = "
                        f"(3, {H}, {Hf}, {Wf}), got {tuple(p.shape)}")


def conv_lstm_sequence(
    x: Tensor, h0: Tensor, c0: Tensor, w: ConvLSTMWeights, *, backend: str = "bptt"
) -> tuple[Tensor, Tensor, Tensor]:
    """Run a ConvLSTM layer over x (T, B, C, Hf, Wf); returns (out (T, B, H, Hf, Wf),
    h_T, c_T (B, H, Hf, Wf)).

    ``backend="bptt"`` uses :class:`ConvLSTMFunction` (hand-written backward), ``"reference"``
    the autograd loop over :func:`~rnnlab.bptt.reference.conv_lstm_step` (also taken wherever
    :func:`~rnnlab.bptt._common.needs_autograd_path` says so). Without a need for gradients
    the same forward runs and nothing is kept.
    """
    check_choice("backend", backend, BACKENDS)
    _check(x, h0, c0, w)
    if backend == "reference" or needs_autograd_path(x):
        return _reference(x, h0, c0, *w)
    tensors = (x, h0, c0, *w)
    if needs_grad(*tensors):
        return ConvLSTMFunction.apply(x, h0, c0, *w)
    out, _, C, _ = _forward(x, h0, c0, w)
    return out, out[-1].clone(), C[-1].clone()
