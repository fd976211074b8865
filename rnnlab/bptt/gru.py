r"""GRU through time, with the backward pass written out by hand.

Gate order r, z, n (row blocks of the (3H, ·) weights, as in :class:`torch.nn.GRU`):

.. math::
    r &= \sigma(a_r), \quad a_r = W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr} \\
    z &= \sigma(a_z), \quad a_z = W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz} \\
    n &= \tanh(a_n), \quad a_n = W_{in} x_t + b_{in} + r \odot \underbrace{(W_{hn} h_{t-1}
         + b_{hn})}_{hn} \qquad \text{(reset\_after=True: torch/cuDNN)} \\
    n &= \tanh(a_n), \quad a_n = W_{in} x_t + b_{in} + W_{hn} \underbrace{(r \odot h_{t-1})}_{rh}
         + b_{hn} \qquad \text{(reset\_after=False: Cho et al. 2014)} \\
    h_t &= (1 - z) \odot n + z \odot h_{t-1}

Regularisers (fixed masks, :mod:`rnnlab.bptt.masks`): the input is :math:`m_x \odot x_t`,
every matmul with :math:`\tilde W_{hh}` reads :math:`m_h \odot h_{t-1}` instead of
:math:`h_{t-1}` (reset before: :math:`rh = r \odot m_h \odot h_{t-1}`) while the
interpolation keeps :math:`z \odot h_{t-1}`, and with zoneout the new state is
:math:`d_t \odot h_{t-1} + (1 - d_t) \odot \tilde h_t`, :math:`\tilde h_t` the line above.

Shapes (time-major, see :mod:`rnnlab.bptt.reference`): x (T, B, I), h0 (B, H),
weight_ih (3H, I), weight_hh (3H, H), bias_ih and bias_hh (3H,) or None;
out (T, B, H), h_T (B, H).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import FunctionCtx

from rnnlab.bptt import gru_cpp
from rnnlab.bptt._common import (
    add_optional,
    differentiable_grads,
    final_state,
    previous_states,
    reference_single_state,
    run_single_state,
    zero_finished_rows,
)
from rnnlab.bptt.masks import NO_MASKS, Masks
from rnnlab.bptt.reference import gru_step


class GRUFunction(torch.autograd.Function):
    r"""Forward and hand-written backward of a GRU layer over a whole sequence.

    ``apply(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, sizes, reset_after, masks)``
    with ``sizes`` a tuple of the running rows per step (see
    :func:`~rnnlab.bptt._common.step_sizes`) and ``masks`` the regulariser masks
    (:class:`~rnnlab.bptt.masks.Masks`; its in-loop ones act here, x and W_hh come masked).

    The loops over time run in C++ (:mod:`rnnlab.bptt.gru_cpp`) where
    :func:`~rnnlab.bptt.gru_cpp.covers` says so (decided in the forward, kept on ``ctx``), in
    Python otherwise (:func:`_forward_loop`, :func:`_backward_loop`); both fill the same
    buffers, and the batched input and weight gradients after the backward loop are one code.

    Forward: :math:`W_{ih} x_t + b_{ih}` for all T steps in one matmul (with reset_after=False
    all of :math:`b_{hh}` folds in there too); each step then does the recurrent matmul
    (reset_after=False: two, as :math:`W_{hn}` multiplies :math:`r \odot h_{t-1}`) and the gate
    math, writing into preallocated buffers.

    Memory: saves the output (T, B, H, returned anyway) and one (T, B, 4H) buffer of
    per-step values, laid out ``[r, z, hn, n]`` (reset_after) or ``[r, z, rh, n]`` (reset
    before), i.e. 4·T·B·H numbers beyond inputs and output. Backward allocates a further
    (T, B, 3H) for the pre-activation gradients (plus (T, B, H) for dhn, and h_{t-1} for all t;
    with recurrent dropout also :math:`m_h \odot h_{t-1}` for all t).

    Backward, with :math:`\delta h_t` the gradient reaching :math:`h_t` (from out[t] and from
    step t + 1, or from h_T for a row's last step):

    .. math::
        da_n &= \delta h_t \odot (1 - z) \odot (1 - n^2) \\
        da_z &= \delta h_t \odot (h_{t-1} - n) \odot z (1 - z) \\
        da_r &= \delta(r) \odot r (1 - r), \qquad
            \delta(r) = da_n \odot hn \ \text{(reset\_after)}
            \ \text{or}\ (da_n W_{hn}) \odot h_{t-1} \\
        \delta h_{t-1} &= \delta h_t \odot z + [da_r, da_z] W_{h[rz]} +
            \begin{cases} (da_n \odot r) W_{hn} & \text{reset\_after} \\
                          (da_n W_{hn}) \odot r & \text{reset before} \end{cases}

    With the masks, :math:`\delta h_t` above is :math:`(1 - d_t) \odot \delta h_t`, the matmul
    terms of :math:`\delta h_{t-1}` are multiplied by :math:`m_h`, and
    :math:`\delta h_{t-1} \mathrel{+}= d_t \odot \delta h_t`;

    and after the loop, with :math:`da = [da_r, da_z, da_n]` over all steps:
    :math:`dx = da\,W_{ih}`, :math:`dW_{ih} = da^\top x`, :math:`db_{ih} = \sum da`;
    :math:`dW_{h[rz]} = [da_r, da_z]^\top h_{prev}`, and :math:`dW_{hn} = dhn^\top h_{prev}`
    (:math:`dhn = da_n \odot r`) or :math:`da_n^\top rh`.

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
        reset_after: bool,
        masks: Masks = NO_MASKS,
    ) -> tuple[Tensor, Tensor]:
        cpp = gru_cpp.covers_call(x, h0, weight_ih, weight_hh, bias_ih, bias_hh,
                                  in_loop_masks=masks.in_loop)
        if cpp:
            out, h_T, gates = gru_cpp.forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh,
                                              reset_after, sizes)
        else:
            if reset_after:
                xw = F.linear(x, weight_ih, bias_ih)  # (T, B, 3H)
            else:  # b_hh sits outside r here, so all of it is a constant of the step
                xw = F.linear(x, weight_ih, add_optional(bias_ih, bias_hh))  # (T, B, 3H)
            out, h_T, gates = _forward_loop(xw, h0, weight_hh, bias_hh, sizes, reset_after,
                                            masks)
        ctx.save_for_backward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, out, gates, *masks)
        ctx.sizes = sizes
        ctx.reset_after = reset_after
        ctx.cpp = cpp
        return out.clone(), h_T

    @staticmethod
    def backward(ctx: Any, dout: Tensor, dh_T: Tensor) -> tuple[Tensor | None, ...]:
        x, h0, weight_ih, weight_hh, bias_ih, bias_hh, out, gates, *kept = ctx.saved_tensors
        masks = Masks(*kept)
        sizes, reset_after = ctx.sizes, ctx.reset_after
        if torch.is_grad_enabled():  # create_graph=True: the gradient must be a graph too
            inputs = (x, h0, weight_ih, weight_hh, bias_ih, bias_hh)
            run = partial(reference_single_state, gru_step, option=reset_after,
                          batch_sizes=sizes, masks=masks)
            grads = differentiable_grads(run, inputs, ctx.needs_input_grad[:6], (dout, dh_T))
            return *grads, None, None, None
        T, B, H = out.shape
        h_prev = previous_states(h0, out)  # (T, B, H)
        h_in = masks.feed(h_prev)  # what the matmuls with W_hh read
        if ctx.cpp:
            da, dhn, dh_next = gru_cpp.backward_loop(dout, dh_T, h0, out, gates, weight_hh,
                                                     reset_after, sizes)
        else:
            da, dhn, dh_next = _backward_loop(dout, dh_T, h_prev, h_in, gates, weight_hh,
                                              sizes, reset_after, masks)
        hn_or_rh = gates[..., 2 * H : 3 * H]

        needs = ctx.needs_input_grad
        da_2d = da.flatten(0, 1)  # (T·B, 3H)
        h_in_2d = h_in.flatten(0, 1)  # (T·B, H)
        # the recurrent matmul's output gradient: [da_r, da_z, dhn] or [da_r, da_z, da_n]
        dgh_n = dhn.flatten(0, 1) if reset_after else da_2d[:, 2 * H :]
        dx = dW_ih = dW_hh = db_ih = db_hh = None
        if needs[0]:
            dx = (da_2d @ weight_ih).view(T, B, -1)  # a = W_ih x + ...
        if needs[2]:
            dW_ih = da_2d.t() @ x.reshape(T * B, -1)
        if needs[3]:
            dW_hh = torch.empty_like(weight_hh)
            torch.mm(da_2d[:, : 2 * H].t(), h_in_2d, out=dW_hh[: 2 * H])
            n_input = h_in_2d if reset_after else hn_or_rh.flatten(0, 1)  # W_hn's h or rh
            torch.mm(dgh_n.t(), n_input, out=dW_hh[2 * H :])
        if needs[4]:
            db_ih = da_2d.sum(0)
        if needs[5]:
            db_hh = torch.cat((da_2d[:, : 2 * H].sum(0), dgh_n.sum(0)))
        dh0 = dh_next if needs[1] else None
        return dx, dh0, dW_ih, dW_hh, db_ih, db_hh, None, None, None


def _forward_loop(
    xw: Tensor, h0: Tensor, weight_hh: Tensor, bias_hh: Tensor | None, sizes: Sequence[int],
    reset_after: bool, masks: Masks,
) -> tuple[Tensor, Tensor, Tensor]:
    """The forward loop of :class:`GRUFunction` in Python: ``out`` (T, B, H), ``h_T`` (B, H)
    and ``gates`` (T, B, 4H); ``xw`` (T, B, 3H) is the input projection of every step."""
    T, B, H = xw.shape[0], xw.shape[1], h0.shape[1]
    out = h0.new_empty(T, B, H)
    # [r, z, hn | rh, n] per step, kept for backward. Zeros where rows finish early, so
    # that backward's batched matmuls never meet uninitialised memory (0 * NaN = NaN).
    packed = sizes[-1] < B
    gates = h0.new_zeros(T, B, 4 * H) if packed else h0.new_empty(T, B, 4 * H)
    w_hh_t = weight_hh.t()  # (H, 3H)
    w_hrz_t, w_hn_t = w_hh_t[:, : 2 * H], w_hh_t[:, 2 * H :]
    if reset_after and bias_hh is None:
        bias_hh = h0.new_zeros(3 * H)  # lets every step use one addmm
    mixes = masks.mixes("h")
    h_prev = h0
    for t, rows in enumerate(sizes):
        hp = h_prev[:rows]
        hm = masks.feed(hp, rows)  # m_h ⊙ h_{t-1}, the matmuls' input
        g = gates[t, :rows]  # (rows, 4H)
        xw_t = xw[t, :rows]
        r, z, n = g[:, :H], g[:, H : 2 * H], g[:, 3 * H :]
        if reset_after:
            hn = g[:, 2 * H : 3 * H]
            # [W_hr h, W_hz h, W_hn h] + b_hh in one matmul, straight into the buffer
            torch.addmm(bias_hh, hm, w_hh_t, out=g[:, : 3 * H])
            g[:, : 2 * H].add_(xw_t[:, : 2 * H]).sigmoid_()  # r, z = σ(a_r), σ(a_z)
            torch.addcmul(xw_t[:, 2 * H :], r, hn, out=n).tanh_()  # n = tanh(x_n + r ⊙ hn)
        else:
            rh = g[:, 2 * H : 3 * H]
            torch.addmm(xw_t[:, : 2 * H], hm, w_hrz_t, out=g[:, : 2 * H]).sigmoid_()  # r, z
            torch.mul(r, hm, out=rh)  # rh = r ⊙ h_{t-1}
            torch.addmm(xw_t[:, 2 * H :], rh, w_hn_t, out=n).tanh_()  # n = tanh(x_n + W_hn rh)
        torch.lerp(n, hp, z, out=out[t, :rows])  # h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
        if mixes:
            masks.mix_("h", t, out[t, :rows], hp, rows)  # h_t = d_t h_{t-1} + (1 - d_t) h̃_t
        h_prev = out[t]
    zero_finished_rows(out, sizes)
    h_T = final_state(out, h0, sizes)
    return out, h_T, gates


def _backward_loop(
    dout: Tensor, dh_T: Tensor, h_prev: Tensor, h_in: Tensor, gates: Tensor, weight_hh: Tensor,
    sizes: Sequence[int], reset_after: bool, masks: Masks,
) -> tuple[Tensor, Tensor | None, Tensor]:
    r"""The backward loop of :class:`GRUFunction` in Python: ``da`` (T, B, 3H) =
    :math:`[da_r, da_z, da_n]`, ``dhn`` (T, B, H) = :math:`da_n \odot r` (reset_after; else
    None) and ``dh0`` (B, H). ``h_prev`` (T, B, H) holds :math:`h_{t-1}` for every t and
    ``h_in`` what the matmuls with :math:`W_{hh}` read (:math:`m_h \odot h_{t-1}`), both
    made once by the caller, which needs them again for the weight gradients."""
    T, B, H = h_prev.shape
    r, z, hn_or_rh, n = gates.split(H, dim=-1)  # (T, B, H) each
    w_hrz, w_hn = weight_hh[: 2 * H], weight_hh[2 * H :]

    # Each gate's local derivative for all steps at once; the loop multiplies the incoming
    # gradient into them in place, turning da into the pre-activation gradients.
    da = gates.new_empty(T, B, 3 * H)
    da_r, da_z, da_n = da.split(H, dim=-1)
    torch.mul(1 - z, 1 - n * n, out=da_n)  # ∂h/∂a_n, from h = (1-z) n + z h_prev, n = tanh
    torch.sub(h_prev, n, out=da_z).mul_(z * (1 - z))  # ∂h/∂a_z, the same line, z = σ(a_z)
    # ∂a_n/∂a_r through r = σ(a_r): a_n has r ⊙ hn (reset_after), or r ⊙ h_prev inside W_hn
    torch.mul(hn_or_rh if reset_after else h_in, r * (1 - r), out=da_r)
    zero_finished_rows(da, sizes)  # finished rows emit constant zeros: no gradient
    # dhn = da_n ⊙ r, the gradient of hn = W_hn h_prev + b_hn (reset_after only); rows
    # that finish early are never written, so with packed input they start at zero
    packed = sizes[-1] < B
    dhn = None
    if reset_after:
        dhn = gates.new_zeros(T, B, H) if packed else gates.new_empty(T, B, H)

    # Rows the recurrence has not reached yet hold dL/dh_T: a row's final state is its
    # state after its own last step, so dh_T joins it there.
    dh_next = dh_T.clone(memory_format=torch.contiguous_format)  # (B, H)
    for t in range(T - 1, -1, -1):
        rows = sizes[t]
        dh = dh_next[:rows].add_(dout[t, :rows])  # h_t is out[t] and feeds step t+1
        dh_keep = masks.unmix_("h", t, dh, rows)  # h_t = d_t h_{t-1} + (1 - d_t) h̃_t: dh -> d h̃_t
        r_t, z_t = r[t, :rows], z[t, :rows]
        da_n_t = da_n[t, :rows].mul_(dh)  # h_t = (1 - z) ⊙ n + z ⊙ h_prev, n = tanh(a_n)
        da_z[t, :rows].mul_(dh)  # the same line, z = σ(a_z)
        dh_prev = dh * z_t  # the same line, through z ⊙ h_prev
        if reset_after:
            da_r[t, :rows].mul_(da_n_t)  # a_n = x_n + r ⊙ hn, r = σ(a_r)
            dhn_t = torch.mul(da_n_t, r_t, out=dhn[t, :rows])  # the same line, via hn
            dhm = dhn_t @ w_hn  # hn = W_hn h_prev + b_hn
        else:
            drh = da_n_t @ w_hn  # a_n = x_n + W_hn rh + b_hn
            da_r[t, :rows].mul_(drh)  # rh = r ⊙ h_prev, r = σ(a_r)
            dhm = drh * r_t  # the same line, via h_prev
        dhm.addmm_(da[t, :rows, : 2 * H], w_hrz)  # a_r, a_z = ... + W_h[rz] h_prev
        # the matmuls read m_h ⊙ h_prev
        torch.add(dh_prev, masks.feed_(dhm, rows), out=dh_next[:rows])
        if dh_keep is not None:
            dh_next[:rows] += dh_keep  # h_t = d_t h_{t-1} + ...

    return da, dhn, dh_next


def gru_sequence(
    x: Tensor,
    h0: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    *,
    reset_after: bool = True,
    batch_sizes: Tensor | None = None,
    backend: str = "bptt",
    masks: Masks = NO_MASKS,
) -> tuple[Tensor, Tensor]:
    r"""Run a GRU layer over x (T, B, I) from h0 (B, H); returns (out (T, B, H), h_T (B, H)).

    Gate order r, z, n; weights (3H, I) and (3H, H), biases (3H,) or None, named and laid out
    as in :class:`torch.nn.GRU`. ``reset_after=True`` is the torch/cuDNN form
    :math:`n = \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn}))`; ``False`` is Cho et
    al. 2014, :math:`n = \tanh(W_{in} x + b_{in} + W_{hn} (r \odot h) + b_{hn})`.

    ``batch_sizes`` (packed input): at step t only the first ``batch_sizes[t]`` rows run;
    finished rows keep their state and emit zeros, and h_T holds each row's own last state.

    ``backend="bptt"`` runs :class:`GRUFunction` (hand-written backward; its loops in C++
    where :func:`rnnlab.bptt.gru_cpp.covers` says so, with or without a need for gradients,
    in Python otherwise);
    ``backend="reference"`` runs the autograd loop of :mod:`rnnlab.bptt.reference`.
    ``masks``: fixed regulariser masks (:mod:`rnnlab.bptt.masks`), the same on every backend.
    """
    return run_single_state(
        GRUFunction, gru_step, x, h0, weight_ih, weight_hh, bias_ih, bias_hh, bool(reset_after),
        gates=3, batch_sizes=batch_sizes, backend=backend, masks=masks, infer=_infer,
    )


def _infer(x: Tensor, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor | None,
           bias_hh: Tensor | None, sizes: Sequence[int], reset_after: bool,
           masks: Masks) -> tuple[Tensor, Tensor] | None:
    """The inference mode: where no gradient will be asked for and the C++ loop covers the
    call, run it with one reusable gate slot instead of the (T, B, 4H) buffer a backward reads,
    and without :class:`GRUFunction`'s bookkeeping. None elsewhere (the Function runs)."""
    if not gru_cpp.covers_call(x, h0, weight_ih, weight_hh, bias_ih, bias_hh,
                               in_loop_masks=masks.in_loop):
        return None
    out, h_T, _ = gru_cpp.forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, reset_after,
                                  sizes, keep=False)
    return out, h_T
