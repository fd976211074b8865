r"""LSTM through time with a hand-written backward: one :class:`LSTMFunction` for every variant.

The math is :func:`rnnlab.bptt.reference.lstm_step`, step by step (shapes: x (T, B, I),
h (B, P), c (B, H), P = proj_size or H; G gate blocks of H rows, S = G - 1 sigmoid gates):

.. math::
    a &= W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}
         \quad\text{or, with layer\_norm,}\quad
         \gamma_{ih}\,\mathrm{LN}(W_{ih} x_t) + \gamma_{hh}\,\mathrm{LN}(W_{hh} h_{t-1})
         + b_{ih} + b_{hh} \\
    i &= \sigma(a_i + p_i \odot c_{t-1}) \qquad
    f  = \sigma(a_f + p_f \odot c_{t-1}) \qquad
    g  = \tanh(a_g) \\
    c_t &= f \odot c_{t-1} + i \odot g \\
    o &= \sigma(a_o + p_o \odot c_t) \\
    y_t &= c_t \quad\text{or, with layer\_norm,}\quad \gamma_c\,\mathrm{LN}(c_t) + \beta_c \\
    m_t &= o \odot \tanh(y_t) \\
    h_t &= m_t \quad\text{or, with a projection,}\quad W_{hr} m_t

Gate blocks stacked in the (G*H, ·) weights, as :func:`~rnnlab.bptt.reference.lstm_gate_names`:
``i, f, g, o`` (G = 4); ``i, g, o`` without a forget gate (f ≡ 1, so c_t = c_{t-1} + i ⊙ g);
``f, g, o`` coupled (CIFG, i = 1 - f). In each layout the sigmoid gates that read c_{t-1}
come first, then g, then o — the code relies on that: ``K = G - 2`` gates before g.
Peepholes (``weight_peephole`` (S, H)) have one row per sigmoid gate in that order.

Time-major tensors and ``batch_sizes`` follow :mod:`rnnlab.bptt.reference`: at step t only the
first ``batch_sizes[t]`` rows run; finished rows keep their state and output zeros.

Regularisers (:mod:`rnnlab.bptt.masks`, fixed masks given by the caller): the input and
weight-drop masks act around the kernel (``x̃ = m_x ⊙ x``, ``W̃_hh = M ⊙ W_hh``); inside the
loop the recurrent matmul reads :math:`m_h \odot h_{t-1}`, and zoneout mixes each new state
with the previous one, :math:`c_t = d^c_t \odot c_{t-1} + (1 - d^c_t) \odot \tilde c_t`,
:math:`h_t = d^h_t \odot h_{t-1} + (1 - d^h_t) \odot \tilde h_t`, where
:math:`\tilde c_t, \tilde h_t` are the equations above (the output gate's peephole and
:math:`y_t` read :math:`\tilde c_t`). With a projection, zoneout acts on the projected h.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import torch
from torch import Tensor

from rnnlab.bptt import BACKENDS, lstm_cpp
from rnnlab.bptt._common import (
    check_choice,
    differentiable_grads,
    input_product,
    needs_autograd_path,
    needs_grad,
    step_sizes,
)
from rnnlab.bptt._layer_norm import ln_backward, ln_forward
from rnnlab.bptt.masks import NO_MASKS, Masks, check_masks, masked_inputs
from rnnlab.bptt.reference import LN_EPS, LSTMWeights, lstm_gate_names, lstm_step, run_reference
from rnnlab.errors import UserError

# Buffers the forward keeps for the backward, in this order (None where a variant lacks them).
_Saved = tuple[Tensor, Tensor, Tensor, Tensor | None, Tensor | None, Tensor | None,
               Tensor | None, Tensor | None, Tensor | None, Tensor | None, Tensor | None]


# Speed on the CPU: torch's sigmoid kernel is vectorised there, its tanh is not (about 3x slower
# per element at (B, H) = (64, 256)), so tanh is computed as 2σ(2a) - 1, which is the same
# function, and the backward writes σ' = s - s² and tanh' = 1 - t² as one ``addcmul`` each.
def _tanh(a: Tensor, out: Tensor) -> Tensor:
    """out = tanh(a), as 2σ(2a) - 1; ``out`` may be ``a``."""
    return torch.mul(a, 2, out=out).sigmoid_().mul_(2).sub_(1)


def _dsigmoid(s: Tensor) -> Tensor:
    """σ'(a) = s (1 - s) from s = σ(a)."""
    return torch.addcmul(s, s, s, value=-1)


def _dtanh(t: Tensor, one: Tensor) -> Tensor:
    """tanh'(a) = 1 - t² from t = tanh(a); ``one`` is a 0-dim tensor holding 1."""
    return torch.addcmul(one, t, t, value=-1)


def _input_part(
    x: Tensor, w: LSTMWeights, bias: Tensor | None,
) -> tuple[Tensor, Tensor | None, Tensor | None, Tensor | None]:
    r"""The input part of a for all T steps at once, before either loop (Python's or C++'s):
    ``Z`` (T, B, G*H) = W_ih x_t + b, or with layer norm γ_ih LN(W_ih x_t) + b, together with
    ``Ax`` (T·B, G*H) = W_ih x_t and ``Mx``, ``Rx`` (T·B, 1) the mean and reciprocal
    deviation of each of its rows (None without layer norm), which is what the backward needs
    for :math:`d(W_{ih} x_t)` and :math:`d\gamma_{ih}`. ``bias``: b = b_ih + b_hh
    (:func:`_bias`), or None where the layer has none or the loop adds it itself (the C++
    loop, in its pass over each row)."""
    T, B, _ = x.shape
    GH = w.weight_ih.shape[0]
    x2 = x.reshape(T * B, -1)
    Ax = Mx = Rx = None
    if w.weight_ln_ih is not None:
        # torch's layer-norm kernel with γ_ih and b as its affine terms: Z in one pass over
        # the T·B rows, where normalising, copying and an addcmul took three
        Ax = input_product(x2, w.weight_ih)
        Z, Mx, Rx = torch.native_layer_norm(Ax, (GH,), w.weight_ln_ih, bias, LN_EPS)
    else:
        Z = input_product(x2, w.weight_ih, bias)
    return Z.view(T, B, GH), Ax, Mx, Rx


def _bias(w: LSTMWeights) -> Tensor | None:
    """b = b_ih + b_hh, or None without biases."""
    return w.bias_ih + w.bias_hh if w.bias_ih is not None else None


def _lstm_forward(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    w: LSTMWeights,
    mode: str,
    sizes: tuple[int, ...] | None,
    keep: bool,
    masks: Masks = NO_MASKS,
) -> tuple[Tensor, Tensor, Tensor, _Saved]:
    """The forward loop. ``keep=False`` overwrites per-step buffers (nothing will need them).
    ``masks``: its in-loop ones act here, through their hooks (x and W_hh come masked).

    Returns ``out, h_T, c_T`` and the buffers, time-major:
    ``Z`` (T, B, G*H) gate activations (i, f, g, o after their nonlinearities),
    ``C`` (T, B, H) cell states, ``TC`` (T, B, H) tanh(y_t), and with layer norm
    ``Ax`` (T·B, G*H) = W_ih x_t with ``Mx``, ``Rx`` (T·B, 1) its rows' means and reciprocal
    standard deviations (:func:`_input_part`), ``AhHat`` (T, B, G*H) the normalised
    W_hh h_{t-1}, ``CHat`` (T, B, H) the normalised cells and ``Rh, Rc`` (T, B, 1) their
    reciprocal standard deviations; with a mixed update of c (zoneout), ``CTilde`` (T, B, H)
    the cells' candidates c̃_t (C holds the states c_t).
    """
    T, B, _ = x.shape
    H, P, G = c0.shape[-1], h0.shape[-1], len(mode)
    K = G - 2
    peep, proj = w.weight_peephole is not None, w.weight_hr is not None
    ln_gates, ln_cell = w.weight_ln_ih is not None, w.weight_ln_c is not None
    mix_h, mix_c = masks.mixes("h"), masks.mixes("c")
    ns = sizes if sizes is not None else (B,) * T
    # Packed input: rows past their length must output 0, and every buffer must stay finite
    # there, because the backward's batched reductions multiply them by zero gradients.
    new = partial(torch.zeros if sizes is not None else torch.empty, dtype=x.dtype,
                  device=x.device)
    S = T if keep else 1  # time slots of the buffers that only the backward reads
    blocks = [K * H, H, H]  # columns of a: the gates that read c_{t-1}, g, o

    Z, Ax, Mx, Rx = _input_part(x, w, _bias(w))  # Z then becomes each step's gates, in place

    out = new(T, B, P)
    C = new(T if keep else 2, B, H)  # without keep: two slots, c_{t-1} and c_t
    TC = new(S, B, H)
    AhHat = new(S, B, G * H) if ln_gates else None
    Rh = new(S, B, 1) if ln_gates else None
    CHat = new(S, B, H) if ln_cell else None
    Rc = new(S, B, 1) if ln_cell else None
    CTilde = new(S, B, H) if mix_c else None
    W_hh_t = w.weight_hh.t()
    W_hr_t = w.weight_hr.t() if proj else None
    p_pre = w.weight_peephole[:K] if peep else None  # (K, H)
    p_o = w.weight_peephole[K] if peep else None  # (H,)
    h_T, c_T = h0.clone(), c0.clone()
    # per-step views made once, outside the loop
    outs, zs, cs, tcs = out.unbind(0), Z.unbind(0), C.unbind(0), TC.unbind(0)
    ahs = AhHat.unbind(0) if ln_gates else None
    chats = CHat.unbind(0) if ln_cell else None
    ctildes = CTilde.unbind(0) if mix_c else None

    for t in range(T):
        n = ns[t]
        s = t if keep else 0
        ct = t if keep else t % 2  # t % 2 - 1 is then the other slot, as -1 wraps around
        h_prev = outs[t - 1][:n] if t else h0[:n]
        c_prev = cs[ct - 1][:n] if t else c0[:n]
        z = zs[t][:n]  # (n, G*H), holds the input part of a; becomes the gates in place
        h_in = masks.feed(h_prev, n)  # as the product reads it (recurrent dropout: m_h ⊙ h_prev)
        if ln_gates:
            ah = torch.mm(h_in, W_hh_t, out=ahs[s][:n])
            ah_hat, rstd = ln_forward(ah, LN_EPS, out=ah)
            Rh[s, :n] = rstd
            z.addcmul_(ah_hat, w.weight_ln_hh)  # a = γ_ih LN(W_ih x) + b + γ_hh LN(W_hh h_prev)
        else:
            z.addmm_(h_in, W_hh_t)  # a = W_ih x + b + W_hh h_prev
        sig, g, o = z.split_with_sizes(blocks, 1)  # a of (i, f | i | f), g, o
        if peep:
            sig.unflatten(1, (K, H)).addcmul_(c_prev.unsqueeze(1), p_pre)
        g.mul_(2)  # g = tanh(a_g) = 2σ(2 a_g) - 1, made by the sigmoid below and the line after
        # One sigmoid over every gate that is ready: (i, f), g, and o unless it peeps at c_t.
        (z[:, : (K + 1) * H] if peep else z).sigmoid_()  # i = σ(a_i + p_i c_prev), f = ...
        g.mul_(2).sub_(1)  # g = tanh(a_g)
        c = ctildes[s][:n] if mix_c else cs[ct][:n]  # c_t, or c̃_t with a mixed update of c
        if mode == "ifgo":
            i, f = sig.chunk(2, 1)
            torch.mul(f, c_prev, out=c).addcmul_(i, g)  # c = f c_prev + i g
        elif mode == "igo":
            torch.addcmul(c_prev, sig, g, out=c)  # c = c_prev + i g
        else:
            torch.addcmul(g, sig, c_prev - g, out=c)  # c = f c_prev + (1 - f) g
        if peep:
            o.addcmul_(c, p_o)
            o.sigmoid_()  # o = σ(a_o + p_o c); without peepholes, o = σ(a_o) above
        tc = tcs[s][:n]
        if ln_cell:
            c_hat, rstd = ln_forward(c, LN_EPS, out=chats[s][:n])
            Rc[s, :n] = rstd
            if w.bias_ln_c is not None:
                torch.addcmul(w.bias_ln_c, c_hat, w.weight_ln_c, out=tc)  # y = γ_c LN(c) + β_c
            else:
                torch.mul(c_hat, w.weight_ln_c, out=tc)  # y = γ_c LN(c)
            _tanh(tc, out=tc)  # tanh(y)
        else:
            _tanh(c, out=tc)  # tanh(y), y = c
        if proj:
            torch.mm(o * tc, W_hr_t, out=outs[t][:n])  # h = W_hr (o tanh(y))
        else:
            torch.mul(o, tc, out=outs[t][:n])  # h = o tanh(y)
        if mix_h:
            masks.mix_("h", t, outs[t][:n], h_prev, n)  # h_t = d^h h_{t-1} + (1 - d^h) h̃_t
        if mix_c:
            c = masks.mix("c", t, c, c_prev, n, out=cs[ct][:n])  # c_t = d^c c_{t-1} + (1-d^c) c̃_t
        n_next = ns[t + 1] if t + 1 < T else 0
        if n_next < n:  # rows n_next .. n-1 have just taken their last step
            h_T[n_next:n] = outs[t][n_next:n]
            c_T[n_next:n] = c[n_next:]

    return out, h_T, c_T, (Z, C, TC, Ax, Mx, Rx, AhHat, Rh, CHat, Rc, CTilde)


def _lstm_backward(
    need: dict[str, bool],
    dout: Tensor,
    dh_T: Tensor,
    dc_T: Tensor,
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    w: LSTMWeights,
    out: Tensor,
    saved: _Saved,
    mode: str,
    sizes: tuple[int, ...] | None,
    masks: Masks = NO_MASKS,
) -> tuple[Tensor | None, ...]:
    """Gradients ``dx, dh0, dc0`` and one per field of :class:`LSTMWeights` (None if not needed).

    ``need`` maps those names to ``ctx.needs_input_grad``; ``masks`` are the forward's.
    """
    Z, C, TC, _, _, _, AhHat, Rh, CHat, Rc, _ = saved
    T, B, _ = x.shape
    H, P, G = c0.shape[-1], h0.shape[-1], len(mode)
    K = G - 2
    peep, proj = w.weight_peephole is not None, w.weight_hr is not None
    ln_gates, ln_cell = w.weight_ln_ih is not None, w.weight_ln_c is not None
    ns = sizes if sizes is not None else (B,) * T
    # Rows past their length must hold zero gradients for the batched reductions below.
    new = partial(torch.zeros if sizes is not None else torch.empty, dtype=x.dtype,
                  device=x.device)
    blocks = [K * H, H, H]  # columns of a: the gates that read c_{t-1}, g, o

    dA = new(T, B, G * H)  # d a, the stacked pre-activations
    dAh = new(T, B, G * H) if ln_gates else dA  # d (W_hh h_{t-1})
    dH = new(T, B, P) if proj else None  # d h_t, kept for dW_hr
    dY = new(T, B, H) if ln_cell else None  # d y_t, kept for γ_c and β_c
    dh_next = dh_T.clone(memory_format=torch.contiguous_format)
    dc_next = dc_T.clone(memory_format=torch.contiguous_format)
    p_pre = w.weight_peephole[:K] if peep else None  # (K, H)
    p_o = w.weight_peephole[K] if peep else None  # (H,)
    zs, cs, tcs, douts, das = Z.unbind(0), C.unbind(0), TC.unbind(0), dout.unbind(0), dA.unbind(0)
    one = torch.ones((), dtype=x.dtype, device=x.device)  # for tanh' = 1 - t²

    for t in range(T - 1, -1, -1):
        n = ns[t]
        sig, g, o = zs[t][:n].split_with_sizes(blocks, 1)  # gates (i, f | i | f), g, o
        da_sig, da_g, da_o = das[t][:n].split_with_sizes(blocks, 1)
        tc = tcs[t][:n]
        c_prev = cs[t - 1][:n] if t else c0[:n]
        dh = torch.add(douts[t][:n], dh_next[:n], out=dH[t, :n] if proj else None)  # d h_t
        dh_keep = masks.unmix_("h", t, dh, n)  # h_t = d^h h_{t-1} + (1 - d^h) h̃_t: d h̃_t
        dm = dh @ w.weight_hr if proj else dh  # h̃ = W_hr m, or h̃ = m
        torch.mul(dm * tc, _dsigmoid(o), out=da_o)  # m = o tanh(y), o = σ(a_o + p_o c)
        dy = (dm * o).mul_(_dtanh(tc, one))  # m = o tanh(y)
        dc = dc_next[:n]  # d c_t, so far from step t+1; turned into d c_{t-1} in place below
        # c_t = d^c c_{t-1} + (1 - d^c) c̃_t: d c̃_t; the lines below read c for c̃
        dc_keep = masks.unmix_("c", t, dc, n)
        if ln_cell:
            dY[t, :n] = dy
            dc += ln_backward(dy, CHat[t, :n], Rc[t, :n], w.weight_ln_c)  # y = γ_c LN(c) + β_c
        else:
            dc += dy  # y = c
        if peep:
            dc.addcmul_(da_o, p_o)  # o = σ(a_o + p_o c)
        if mode == "ifgo":
            i, f = sig.chunk(2, 1)
            da_i, da_f = da_sig.chunk(2, 1)
            torch.mul(dc * g, _dsigmoid(i), out=da_i)  # c = f c_prev + i g, i = σ(·)
            torch.mul(dc * c_prev, _dsigmoid(f), out=da_f)  # c = f c_prev + i g, f = σ(·)
            torch.mul(dc * i, _dtanh(g, one), out=da_g)  # c = f c_prev + i g, g = tanh(a_g)
            dc.mul_(f)  # c = f c_prev + i g
        elif mode == "igo":
            i, da_i = sig, da_sig
            torch.mul(dc * g, _dsigmoid(i), out=da_i)  # c = c_prev + i g, i = σ(·)
            torch.mul(dc * i, _dtanh(g, one), out=da_g)  # c = c_prev + i g, g = tanh(a_g)
            # c = c_prev + i g: d c_prev = d c, already in place
        else:
            f, da_f = sig, da_sig
            # c = f c_prev + (1 - f) g, f = σ(·), g = tanh(a_g)
            torch.mul(dc * (c_prev - g), _dsigmoid(f), out=da_f)
            torch.mul(dc - dc * f, _dtanh(g, one), out=da_g)
            dc.mul_(f)  # c = f c_prev + (1-f) g
        if peep:  # i = σ(a_i + p_i c_prev), f = σ(a_f + p_f c_prev)
            dc += (da_sig.unflatten(1, (K, H)) * p_pre).sum(1)
        if dc_keep is not None:
            dc += dc_keep  # c_t = d^c c_{t-1} + ...
        if ln_gates:  # a = ... + γ_hh LN(W_hh h_prev)
            dAh[t, :n] = ln_backward(das[t][:n], AhHat[t, :n], Rh[t, :n], w.weight_ln_hh)
        torch.mm(dAh[t, :n], w.weight_hh, out=dh_next[:n])  # a = ... + W_hh h_prev
        masks.feed_(dh_next[:n], n)  # a = ... + W_hh (m_h h_prev)
        if dh_keep is not None:
            dh_next[:n] += dh_keep  # h_t = d^h h_{t-1} + ...

    dx, dw = _batched_grads(need, dA, dAh, dH, dY, x, h0, c0, w, out, saved, K, masks)
    dh0 = dh_next if need["h0"] else None
    dc0 = dc_next if need["c0"] else None
    return dx, dh0, dc0, *dw.values()


def _lstm_forward_cpp(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    w: LSTMWeights,
    mode: str,
    sizes: tuple[int, ...] | None,
    keep: bool,
) -> tuple[Tensor, Tensor, Tensor, _Saved]:
    """:func:`_lstm_forward` with its loop in C++ (no in-loop masks:
    :func:`rnnlab.bptt.lstm_cpp.covers`): the same input part before it, the same buffers."""
    # without layer norm of W_ih x, b joins each row in the loop's pass (with it, the layer
    # norm takes b as its shift at no extra cost)
    bias = _bias(w)
    in_pass = bias if w.weight_ln_ih is None else None
    Z, Ax, Mx, Rx = _input_part(x, w, None if in_pass is not None else bias)
    out, h_T, c_T, Z, C, TC, AhHat, Rh, CHat, Rc = lstm_cpp.forward_loop(
        Z, h0, c0, w, in_pass, mode, sizes, keep)
    return out, h_T, c_T, (Z, C, TC, Ax, Mx, Rx, AhHat, Rh, CHat, Rc, None)


def _lstm_backward_cpp(
    need: dict[str, bool],
    dout: Tensor,
    dh_T: Tensor,
    dc_T: Tensor,
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    w: LSTMWeights,
    out: Tensor,
    saved: _Saved,
    mode: str,
    sizes: tuple[int, ...] | None,
) -> tuple[Tensor | None, ...]:
    """:func:`_lstm_backward` with its loop in C++ (no in-loop masks:
    :func:`rnnlab.bptt.lstm_cpp.covers`); the same batched gradients after it."""
    dA, dAh, dH, dY, dh_next, dc_next, *gains = lstm_cpp.backward_loop(
        dout, dh_T, dc_T, c0, w, saved, mode, sizes)
    summed = dict(zip(("weight_ln_hh", "weight_ln_c", "bias_ln_c"), gains, strict=True))
    dx, dw = _batched_grads(need, dA, dAh, dH, dY, x, h0, c0, w, out, saved, len(mode) - 2,
                            NO_MASKS, summed)
    dh0 = dh_next if need["h0"] else None
    dc0 = dc_next if need["c0"] else None
    return dx, dh0, dc0, *dw.values()


def _batched_grads(
    need: dict[str, bool],
    dA: Tensor,
    dAh: Tensor,
    dH: Tensor | None,
    dY: Tensor | None,
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    w: LSTMWeights,
    out: Tensor,
    saved: _Saved,
    K: int,
    masks: Masks,
    summed: dict[str, Tensor | None] | None = None,
) -> tuple[Tensor | None, dict[str, Tensor | None]]:
    """After the loop (Python's or C++'s): ``dx`` and the weight gradients by name, from
    ``dA`` (T, B, G*H) = d a, ``dAh`` = d (W_hh h_{t-1}) (``dA`` itself without layer norm),
    ``dH`` = d h_t (with a projection) and ``dY`` = d y_t (with LN(c)). ``summed``: the
    layer-norm gains' gradients the C++ loop already summed (by name; None where absent), used
    instead of the batched sums below."""
    summed = summed or {}

    def gain(name: str, batched: Callable[[], Tensor]) -> Tensor:
        kept = summed.get(name)
        return kept if kept is not None else batched()

    Z, C, TC, Ax, Mx, Rx, AhHat, _, CHat, _, CTilde = saved
    T, B, I = x.shape
    H, P = c0.shape[-1], h0.shape[-1]
    G = dA.shape[-1] // H
    sp, so = slice(0, K * H), slice((K + 1) * H, G * H)
    ln_gates = w.weight_ln_ih is not None
    # Everything that does not feed back into the recurrence: one batched op over all steps.
    dw: dict[str, Tensor | None] = dict.fromkeys(LSTMWeights._fields)
    dA2 = dA.view(T * B, G * H)
    dAx = dA2  # d (W_ih x_t)
    if ln_gates:  # a = γ_ih LN(W_ih x) + γ_hh LN(W_hh h_prev) + b
        if need["weight_ln_hh"]:
            dw["weight_ln_hh"] = gain("weight_ln_hh", lambda: (dA * AhHat).sum((0, 1)))
        # torch's layer-norm backward from the saved W_ih x and its row statistics: d(W_ih x)
        # and dγ_ih = Σ_t d a ⊙ LN(W_ih x_t) in one kernel (under no_grad: a graph of the
        # gradient comes from the reference path, see LSTMFunction.backward)
        grad_ax = need["x"] or need["weight_ih"]
        if grad_ax or need["weight_ln_ih"]:
            dAx_ln, dw["weight_ln_ih"], _ = torch.ops.aten.native_layer_norm_backward(
                dA2, Ax, (G * H,), Mx, Rx, w.weight_ln_ih, None,
                [grad_ax, need["weight_ln_ih"], False])
            dAx = dAx_ln if grad_ax else dAx
    dx = torch.mm(dAx, w.weight_ih).view(T, B, I) if need["x"] else None
    if need["weight_ih"]:
        dw["weight_ih"] = torch.mm(dAx.t(), x.reshape(T * B, I))
    if need["bias_ih"] or need["bias_hh"]:
        db = dA2.sum(0)
        dw["bias_ih"] = db if need["bias_ih"] else None
        dw["bias_hh"] = db.clone() if need["bias_hh"] else None
    if need["weight_hh"]:  # h_{t-1} is h0, then the outputs of steps 0 .. T-2
        if not masks.feeds:
            dw["weight_hh"] = torch.addmm(
                dAh[0].t() @ h0, dAh[1:].reshape(-1, G * H).t(), out[:-1].reshape(-1, P)
            )
        else:  # a = ... + W_hh (m_h h_{t-1})
            h_ins = masks.feed_(torch.cat((h0.unsqueeze(0), out[:-1])))
            dw["weight_hh"] = dAh.reshape(-1, G * H).t() @ h_ins.reshape(-1, P)
    if need["weight_hr"]:  # h = W_hr m, m = o tanh(y)
        dw["weight_hr"] = dH.view(T * B, P).t() @ (Z[..., so] * TC).view(T * B, H)
    if need["weight_peephole"]:  # i, f = σ(a + p c_prev); o = σ(a_o + p_o c)
        c_prevs = torch.cat((c0.unsqueeze(0), C[:-1]))
        dp_pre = (dA[..., sp].unflatten(-1, (K, H)) * c_prevs.unsqueeze(2)).sum((0, 1))
        dp_o = (dA[..., so] * (C if CTilde is None else CTilde)).sum((0, 1))  # o sees c̃
        dw["weight_peephole"] = torch.cat((dp_pre, dp_o.unsqueeze(0)))
    if need["weight_ln_c"]:  # y = γ_c LN(c) + β_c
        dw["weight_ln_c"] = gain("weight_ln_c", lambda: (dY * CHat).sum((0, 1)))
    if need["bias_ln_c"]:
        dw["bias_ln_c"] = gain("bias_ln_c", lambda: dY.sum((0, 1)))
    return dx, dw


class LSTMFunction(torch.autograd.Function):
    """Forward and hand-written backward through time of one LSTM layer, every variant.

    ``apply(cpp, mode, sizes, masks, x, h0, c0, *weights)``: ``cpp`` runs the loops in
    C++ (:mod:`rnnlab.bptt.lstm_cpp`, where :func:`~rnnlab.bptt.lstm_cpp.covers` says so; the
    same buffers, the same batched gradients after the loop), ``mode`` is the gate layout
    joined (``"ifgo"``, ``"igo"`` or ``"fgo"``), ``sizes`` the batch sizes as a tuple of ints
    or None, ``masks`` the fixed regulariser masks (:class:`~rnnlab.bptt.masks.Masks`; its
    in-loop ones act in the loops, x and W_hh come masked), ``weights`` the fields of
    :class:`LSTMWeights` in order (W_hh already weight-dropped, if at all).

    Memory kept for the backward, beyond the inputs, weights and the returned ``out`` (T·B·P):
    gate activations T·B·G·H, cell states T·B·H and tanh(y_t) T·B·H, i.e. T·B·(G+2)·H; with
    layer norm also the projections W_ih x_t and the normalised W_hh h_{t-1} 2·T·B·G·H, the
    normalised cells T·B·H and 4·T·B row statistics (the C++ loops keep no tanh(y_t) with
    LN(c) and no projection: their backward forms it anew from the normalised cells, one tanh
    per element for T·B·H floats less). The backward allocates d a (T·B·G·H), plus
    T·B·G·H with layer norm, T·B·P with a projection and T·B·H with LN(c), for the batched
    weight gradients after the loop (the C++ loop sums the layer-norm gains' gradients itself,
    in B·G·H and B·H per-row sums, rather than in passes over those buffers). The output
    handed out is a copy of the saved one (T·B·P more), so that the caller may change it in
    place (``out += x``) without touching what the backward reads. Zoneout on c keeps the
    candidates c̃_t as well (T·B·H); with recurrent dropout the backward forms m_h ⊙ h_{t-1}
    for all t (T·B·P).

    Double backward: when the backward runs with grad mode on (``create_graph=True``), it
    returns the gradients of the reference loop instead (see
    :func:`~rnnlab.bptt._common.differentiable_grads`), which are themselves differentiable.
    """

    @staticmethod
    def forward(
        ctx: Any,
        cpp: bool,
        mode: str,
        sizes: tuple[int, ...] | None,
        masks: Masks,
        x: Tensor,
        h0: Tensor,
        c0: Tensor,
        *weights: Tensor | None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        w = LSTMWeights(*weights)
        if cpp:
            out, h_T, c_T, saved = _lstm_forward_cpp(x, h0, c0, w, mode, sizes, keep=True)
        else:
            out, h_T, c_T, saved = _lstm_forward(x, h0, c0, w, mode, sizes, keep=True,
                                                 masks=masks)
        ctx.cpp, ctx.mode, ctx.sizes = cpp, mode, sizes
        ctx.save_for_backward(*masks, x, h0, c0, *w, out, *saved)
        return out.clone(), h_T, c_T

    @staticmethod
    def backward(
        ctx: Any, dout: Tensor, dh_T: Tensor, dc_T: Tensor
    ) -> tuple[Tensor | None, ...]:
        kept = ctx.saved_tensors
        nm = len(Masks._fields)
        masks, (x, h0, c0, *rest) = Masks(*kept[:nm]), kept[nm:]
        nw = len(LSTMWeights._fields)
        w, out, saved = LSTMWeights(*rest[:nw]), rest[nw], tuple(rest[nw + 1 :])
        skip = (None,) * 4  # cpp, mode, sizes and the masks have no gradient
        if torch.is_grad_enabled():  # create_graph=True: the gradient must be a graph too
            run = partial(_lstm_reference, mode=ctx.mode, sizes=ctx.sizes, masks=masks)
            grads = differentiable_grads(run, (x, h0, c0, *w), ctx.needs_input_grad[4:],
                                         (dout, dh_T, dc_T))
            return *skip, *grads
        need = dict(zip(("x", "h0", "c0", *LSTMWeights._fields), ctx.needs_input_grad[4:],
                        strict=True))
        if ctx.cpp:
            return *skip, *_lstm_backward_cpp(need, dout, dh_T, dc_T, x, h0, c0, w, out, saved,
                                              ctx.mode, ctx.sizes)
        grads = _lstm_backward(need, dout, dh_T, dc_T, x, h0, c0, w, out, saved, ctx.mode,
                               ctx.sizes, masks)
        return *skip, *grads


def _lstm_reference(
    x: Tensor, h0: Tensor, c0: Tensor, *weights: Tensor | None, mode: str,
    sizes: tuple[int, ...] | None, masks: Masks = NO_MASKS,
) -> tuple[Tensor, Tensor, Tensor]:
    """The autograd reference loop of the layer ``mode`` names: ``(out, h_T, c_T)``; of
    ``masks`` only the in-loop ones act here (:meth:`~rnnlab.bptt.masks.Masks.in_loop`)."""
    step = partial(lstm_step, w=LSTMWeights(*weights), forget_gate="f" in mode,
                   coupled=mode == "fgo")
    out, (h, c) = run_reference(step, x, (h0, c0), sizes, masks=masks)
    return out, h, c


def _check(
    x: Tensor, h0: Tensor, c0: Tensor, w: LSTMWeights, G: int, batch_sizes: Tensor | None
) -> tuple[int, ...] | None:
    """Shape and option checks with clear messages; returns the batch sizes as ints or None."""
    if x.dim() != 3 or x.shape[0] == 0:
        raise UserError(f"x must be time-major (T, B, I) with T >= 1, got {tuple(x.shape)}")
    T, B, I = x.shape
    H, P = c0.shape[-1], h0.shape[-1]
    if h0.shape != (B, P) or c0.shape != (B, H):
        raise UserError(f"h0 must be (B, P) and c0 (B, H) with B={B}, got "
                        f"{tuple(h0.shape)} and {tuple(c0.shape)}")
    if w.weight_ih.shape != (G * H, I) or w.weight_hh.shape != (G * H, P):
        raise UserError(f"{G} gates of H={H} need weight_ih ({G * H}, {I}) and weight_hh "
                        f"({G * H}, {P}), got {tuple(w.weight_ih.shape)} and "
                        f"{tuple(w.weight_hh.shape)}")
    if (w.bias_ih is None) != (w.bias_hh is None):
        raise UserError("bias_ih and bias_hh go together: give both or neither")
    if (w.weight_ln_ih is None) != (w.weight_ln_hh is None):
        raise UserError("weight_ln_ih and weight_ln_hh go together: give both or neither")
    if w.bias_ln_c is not None and w.weight_ln_c is None:
        raise UserError("bias_ln_c needs weight_ln_c")
    if w.weight_hr is None and P != H:
        raise UserError(f"h0 has P={P} columns but H={H} and there is no weight_hr")
    if w.weight_hr is not None and w.weight_hr.shape != (P, H):
        raise UserError(f"weight_hr must be (P={P}, H={H}), got {tuple(w.weight_hr.shape)}")
    if batch_sizes is None:
        return None
    sizes = step_sizes(batch_sizes, T, B)
    return None if all(n == B for n in sizes) else sizes


def lstm_sequence(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    w: LSTMWeights,
    *,
    forget_gate: bool = True,
    coupled: bool = False,
    batch_sizes: Tensor | None = None,
    backend: str = "bptt",
    masks: Masks = NO_MASKS,
) -> tuple[Tensor, Tensor, Tensor]:
    """Run an LSTM layer over x (T, B, I); returns (out (T, B, P), h_T (B, P), c_T (B, H)).

    ``backend="bptt"`` uses :class:`LSTMFunction` (hand-written backward; its loops in C++
    where :func:`rnnlab.bptt.lstm_cpp.covers` says so, in Python otherwise), ``"reference"``
    the autograd loop over :func:`~rnnlab.bptt.reference.lstm_step`. The variant follows
    from ``forget_gate``, ``coupled`` and which fields of ``w`` are set. Without a need for
    gradients (``torch.no_grad`` or no input requiring grad) nothing is kept for a backward:
    beyond ``out``, only the projected inputs (T·B·G·H) and one or two steps of the buffers.
    Rows of x past their length (``batch_sizes``) are never used but must be finite.
    ``masks``: fixed regulariser masks (:mod:`rnnlab.bptt.masks`), the same on every backend.
    """
    check_choice("backend", backend, BACKENDS)
    names = lstm_gate_names(forget_gate, coupled)
    sizes = _check(x, h0, c0, w, len(names), batch_sizes)
    check_masks(masks, x, w.weight_hh, h0.shape[-1], c0.shape[-1])
    x, weight_hh = masked_inputs(x, w.weight_hh, masks)  # x̃ = m_x x, W̃_hh = M W_hh
    w = w._replace(weight_hh=weight_hh)
    mode = "".join(names)
    if backend == "reference" or needs_autograd_path(x):
        return _lstm_reference(x, h0, c0, *w, mode=mode, sizes=sizes, masks=masks)
    tensors = (x, h0, c0, *w)
    cpp = lstm_cpp.covers_call(x, h0, c0, w, masks.in_loop)
    if needs_grad(*tensors):
        return LSTMFunction.apply(cpp, mode, sizes, masks, x, h0, c0, *w)
    if cpp:
        out, h, c, _ = _lstm_forward_cpp(x, h0, c0, w, mode, sizes, keep=False)
    else:
        out, h, c, _ = _lstm_forward(x, h0, c0, w, mode, sizes, keep=False, masks=masks)
    return out, h, c
