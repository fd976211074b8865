r"""Elman RNN through time, with the backward pass written out by hand.

.. math::
    a_t &= W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh} \\
    h_t &= \phi(a_t), \qquad \phi \in \{\tanh, \mathrm{relu}, \sigma\}

Regularisers (fixed masks, :mod:`rnnlab.bptt.masks`): :math:`a_t = W_{ih} (m_x \odot x_t)
+ b_{ih} + \tilde W_{hh} (m_h \odot h_{t-1}) + b_{hh}`, and with zoneout
:math:`h_t = d_t \odot h_{t-1} + (1 - d_t) \odot \phi(a_t)`.

Shapes (time-major, see :mod:`rnnlab.bptt.reference`): x (T, B, I), h0 (B, H),
weight_ih (H, I), weight_hh (H, H), bias_ih and bias_hh (H,) or None; out (T, B, H), h_T (B, H).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import FunctionCtx

from rnnlab.bptt import elman_cpp
from rnnlab.bptt._common import (
    add_optional,
    check_choice,
    differentiable_grads,
    final_state,
    previous_states,
    reference_single_state,
    run_single_state,
    zero_finished_rows,
)
from rnnlab.bptt.masks import NO_MASKS, Masks
from rnnlab.bptt.reference import ACTIVATIONS, elman_step

_ACTIVATE_INPLACE: dict[str, Callable[[Tensor], Tensor]] = {
    "tanh": Tensor.tanh_,
    "relu": Tensor.relu_,
    "sigmoid": Tensor.sigmoid_,
}


def _derivative_from_output(h: Tensor, nonlinearity: str) -> Tensor:
    """φ'(a) written in terms of h = φ(a), so that backward needs only the saved outputs."""
    if nonlinearity == "tanh":
        return 1 - h * h
    if nonlinearity == "sigmoid":
        return h * (1 - h)
    return (h > 0).to(h.dtype)  # relu


class ElmanFunction(torch.autograd.Function):
    r"""Forward and hand-written backward of an Elman layer over a whole sequence.

    ``apply(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, sizes, nonlinearity, masks)``
    with ``sizes`` a tuple of the running rows per step (see
    :func:`~rnnlab.bptt._common.step_sizes`) and ``masks`` the regulariser masks
    (:class:`~rnnlab.bptt.masks.Masks`; its in-loop ones act here, x and W_hh come masked).

    The loops over time run in C++ (:mod:`rnnlab.bptt.elman_cpp`) where
    :func:`~rnnlab.bptt.elman_cpp.covers` says so (decided in the forward, kept on ``ctx``),
    in Python otherwise (:func:`_forward_loop`, :func:`_backward_loop`); both fill the same
    buffers, and the batched input and weight gradients after the backward loop are one code.

    Forward: :math:`W_{ih} x_t + b_{ih} + b_{hh}` for all T steps in one matmul, written into
    the output buffer; each step then adds :math:`W_{hh} h_{t-1}` and applies :math:`\phi` in
    place (the C++ loop adds the biases there, in its element-wise pass, instead). Memory:
    saves the inputs and the states h_t (T, B, H), because :math:`\phi'(a_t)` can be written
    from :math:`h_t` — no other activations are kept. The output handed out is a copy of those
    states (T·B·H more), so that the caller may change it in place (``out += x`` in a residual
    stack) without touching what the backward reads. With zoneout the candidates
    :math:`\tilde h_t = \phi(a_t)` are kept too (T·B·H more). Where no gradient can be asked
    for and the C++ loop covers the call, :func:`elman_sequence` runs it without this Function
    (:func:`_infer`): no copy, nothing kept.

    Backward, with :math:`\delta h_t` the gradient reaching :math:`h_t` (from out[t] and from
    step t + 1, or from h_T for a row's last step):

    .. math::
        da_t = \delta h_t \odot \phi'(a_t), \qquad
        \delta h_{t-1} \mathrel{+}= da_t W_{hh}, \\
        \text{masks:}\ da_t = (1 - d_t) \odot \delta h_t \odot \phi'(a_t), \quad
        \delta h_{t-1} \mathrel{+}= m_h \odot (da_t W_{hh}) + d_t \odot \delta h_t, \\
        dx_t = da_t W_{ih}, \quad dW_{ih} = \sum_t da_t^\top x_t, \quad
        dW_{hh} = \sum_t da_t^\top h_{t-1}, \quad db_{ih} = db_{hh} = \sum_t da_t

    Double backward: when the backward runs with grad mode on (``create_graph=True``), it
    returns the gradients of the reference loop instead (see
    :func:`~rnnlab.bptt._common.differentiable_grads`), which are themselves differentiable.
    """

    @staticmethod
    def forward(
        ctx: FunctionCtx,
        x: Tensor,
        h0: Tensor,
        weight_ih: Tensor,
        weight_hh: Tensor,
        bias_ih: Tensor | None,
        bias_hh: Tensor | None,
        sizes: Sequence[int],
        nonlinearity: str,
        masks: Masks = NO_MASKS,
    ) -> tuple[Tensor, Tensor]:
        cpp = elman_cpp.covers_call(x, h0, weight_ih, weight_hh, bias_ih, bias_hh,
                                    in_loop_masks=masks.in_loop)
        if cpp:
            out, h_T = elman_cpp.forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh,
                                         nonlinearity, sizes)
            cand = None
        else:
            out, h_T, cand = _forward_loop(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, sizes,
                                           nonlinearity, masks)
        ctx.save_for_backward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, out, cand, *masks)
        ctx.sizes = sizes
        ctx.nonlinearity = nonlinearity
        ctx.cpp = cpp
        return out.clone(), h_T

    @staticmethod
    def backward(ctx: Any, dout: Tensor, dh_T: Tensor) -> tuple[Tensor | None, ...]:
        x, h0, weight_ih, weight_hh, bias_ih, bias_hh, out, cand, *kept = ctx.saved_tensors
        masks = Masks(*kept)
        sizes = ctx.sizes
        if torch.is_grad_enabled():  # create_graph=True: the gradient must be a graph too
            inputs = (x, h0, weight_ih, weight_hh, bias_ih, bias_hh)
            run = partial(reference_single_state, elman_step, option=ctx.nonlinearity,
                          batch_sizes=sizes, masks=masks)
            grads = differentiable_grads(run, inputs, ctx.needs_input_grad[:6], (dout, dh_T))
            return *grads, None, None, None
        T, B = out.shape[0], out.shape[1]
        if ctx.cpp:
            da, dh_next = elman_cpp.backward_loop(dout, dh_T, out, weight_hh, ctx.nonlinearity,
                                                  sizes)
        else:
            da, dh_next = _backward_loop(dout, dh_T, out, cand, weight_hh, sizes,
                                         ctx.nonlinearity, masks)

        needs = ctx.needs_input_grad
        da_2d = da.flatten(0, 1)  # (T·B, H)
        dx = dW_ih = dW_hh = db = None
        if needs[0]:
            dx = (da_2d @ weight_ih).view(T, B, -1)  # a_t = W_ih x_t + ...
        if needs[2]:
            dW_ih = da_2d.t() @ x.reshape(T * B, -1)
        if needs[3]:  # a_t = ... + W_hh (m_h h_{t-1})
            h_in = masks.feed(previous_states(h0, out))
            dW_hh = da_2d.t() @ h_in.flatten(0, 1)
        if needs[4] or needs[5]:
            db = da_2d.sum(0)
        dh0 = dh_next if needs[1] else None
        db_ih = db if needs[4] else None
        # A separate tensor: two parameters must not share one .grad storage.
        db_hh = (db.clone() if needs[4] else db) if needs[5] else None
        return dx, dh0, dW_ih, dW_hh, db_ih, db_hh, None, None, None


def _forward_loop(
    x: Tensor, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor | None,
    bias_hh: Tensor | None, sizes: Sequence[int], nonlinearity: str, masks: Masks,
) -> tuple[Tensor, Tensor, Tensor | None]:
    r"""The forward loop of :class:`ElmanFunction` in Python: ``out`` (T, B, H), ``h_T`` (B, H)
    and, with zoneout, the candidates :math:`\tilde h_t` (T, B, H) the backward reads (else
    None)."""
    activate = _ACTIVATE_INPLACE[nonlinearity]
    # Becomes h_t (with zoneout: h̃_t) in place, step by step; no separate buffer for the
    # input projection.
    cand = F.linear(x, weight_ih, add_optional(bias_ih, bias_hh))  # (T, B, H)
    mixes = masks.mixes("h")
    out = torch.empty_like(cand) if mixes else cand
    w_hh_t = weight_hh.t()
    h_prev = h0
    for t, rows in enumerate(sizes):
        h = cand[t, :rows]
        h_in = masks.feed(h_prev[:rows], rows)  # m_h ⊙ h_{t-1} (recurrent dropout), or h_{t-1}
        h.addmm_(h_in, w_hh_t)  # a_t = (W_ih x_t + b) + W_hh h_in
        activate(h)  # h_t = φ(a_t)
        if mixes:  # h_t = d_t h_{t-1} + (1 - d_t) h̃_t
            masks.mix("h", t, h, h_prev[:rows], rows, out=out[t, :rows])
        h_prev = out[t]
    zero_finished_rows(out, sizes)
    h_T = final_state(out, h0, sizes)
    return out, h_T, cand if mixes else None


def _backward_loop(
    dout: Tensor, dh_T: Tensor, out: Tensor, cand: Tensor | None, weight_hh: Tensor,
    sizes: Sequence[int], nonlinearity: str, masks: Masks,
) -> tuple[Tensor, Tensor]:
    """The backward loop of :class:`ElmanFunction` in Python: ``da`` (T, B, H), the
    pre-activation gradients, and ``dh0`` (B, H); ``out`` holds h_t (``cand`` h̃_t with
    zoneout), from which φ'(a_t) is written."""
    T = out.shape[0]
    # φ'(a_t) for all steps at once; the loop multiplies δh_t into it in place -> da_t.
    da = _derivative_from_output(out if cand is None else cand, nonlinearity)
    zero_finished_rows(da, sizes)  # finished rows emit constant zeros: no gradient
    # Rows the recurrence has not reached yet hold dL/dh_T: a row's final state is its
    # state after its own last step, so dh_T joins it there.
    dh_next = dh_T.clone(memory_format=torch.contiguous_format)  # (B, H)
    for t in range(T - 1, -1, -1):
        rows = sizes[t]
        dh = dh_next[:rows].add_(dout[t, :rows])  # h_t is out[t] and feeds step t+1
        dh_keep = masks.unmix_("h", t, dh, rows)  # h_t = d_t h_{t-1} + (1 - d_t) h̃_t: dh -> d h̃_t
        da_t = da[t, :rows].mul_(dh)  # h_t = φ(a_t)
        torch.mm(da_t, weight_hh, out=dh_next[:rows])  # a_t = ... + W_hh h_{t-1}
        masks.feed_(dh_next[:rows], rows)  # a_t = ... + W_hh (m_h h_{t-1})
        if dh_keep is not None:
            dh_next[:rows] += dh_keep  # h_t = d_t h_{t-1} + ...
    return da, dh_next


def elman_sequence(
    x: Tensor,
    h0: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    *,
    nonlinearity: str = "tanh",
    batch_sizes: Tensor | None = None,
    backend: str = "bptt",
    masks: Masks = NO_MASKS,
) -> tuple[Tensor, Tensor]:
    r"""Run an Elman layer over x (T, B, I) from h0 (B, H); returns (out (T, B, H), h_T (B, H)).

    :math:`h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`, with ``nonlinearity``
    one of ``"tanh"``, ``"relu"``, ``"sigmoid"``. Weights are (H, I) and (H, H), biases (H,) or
    None, named and laid out as in :class:`torch.nn.RNN`.

    ``batch_sizes`` (packed input): at step t only the first ``batch_sizes[t]`` rows run;
    finished rows keep their state and emit zeros, and h_T holds each row's own last state.

    ``backend="bptt"`` runs :class:`ElmanFunction` (hand-written backward; its loops in C++
    where :func:`rnnlab.bptt.elman_cpp.covers` says so, with or without a need for gradients,
    in Python otherwise);
    ``backend="reference"`` runs the autograd loop of :mod:`rnnlab.bptt.reference`.
    ``masks``: fixed regulariser masks (:mod:`rnnlab.bptt.masks`), the same on every backend.
    """
    check_choice("nonlinearity", nonlinearity, tuple(ACTIVATIONS))
    return run_single_state(
        ElmanFunction, elman_step, x, h0, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity,
        gates=1, batch_sizes=batch_sizes, backend=backend, masks=masks, infer=_infer,
    )


def _infer(x: Tensor, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor | None,
           bias_hh: Tensor | None, sizes: Sequence[int], nonlinearity: str,
           masks: Masks) -> tuple[Tensor, Tensor] | None:
    """The inference mode: where no gradient will be asked for and the C++ loop covers the
    call, run it without :class:`ElmanFunction`'s bookkeeping and without the copy of the
    output that the Function hands out (it keeps the original for its backward). None
    elsewhere (the Function runs)."""
    if not elman_cpp.covers_call(x, h0, weight_ih, weight_hh, bias_ih, bias_hh,
                                 in_loop_masks=masks.in_loop):
        return None
    return elman_cpp.forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity,
                             sizes)
