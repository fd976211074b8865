"""The autograd reference path: one-step cell functions and a plain loop over time.

Everything here is differentiated by torch.autograd. The hand-written backward passes in
``elman.py``, ``lstm.py``, ``gru.py`` and ``conv_lstm.py`` are tested against these functions,
and the one-step cells of :mod:`rnnlab.nn` call them directly, so there is one definition of
each cell's math.

Conventions shared by the whole of :mod:`rnnlab.bptt`:

* time-major tensors: ``x`` is (T, B, I); states are (B, H) (LSTM: ``h`` is (B, P) where
  P = proj_size or H, ``c`` is (B, H));
* ``batch_sizes`` (optional, 1-D int64 of length T, non-increasing, as in ``PackedSequence``)
  says how many leading rows of the batch are still running at step t; rows must be sorted by
  decreasing length. A finished row keeps its state and emits zeros, so the returned final
  state of each row is the state after its own last step, exactly as ``torch.nn`` does for
  packed input;
* biases are optional (``None`` when ``bias=False``);
* ``h_in``, where a step takes it, is :math:`h_{t-1}` as the step's recurrent products read
  it (default ``h_prev``), and ``masks`` of :func:`run_reference` the regulariser masks whose
  hooks make it and mix each new state (see :mod:`rnnlab.bptt.masks`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnlab.bptt.masks import NO_MASKS, STATES, Masks
from rnnlab.errors import UserError

LN_EPS = 1e-5  # epsilon of every layer normalisation in the LSTM family

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
}


# ----------------------------------------------------------------------------- Elman


def elman_step(
    x: Tensor,
    h_prev: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None,
    bias_hh: Tensor | None,
    nonlinearity: str = "tanh",
    *,
    h_in: Tensor | None = None,
) -> Tensor:
    r"""One Elman step: :math:`h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`;
    the product reads ``h_in`` if given (with recurrent dropout :math:`m_h \odot h_{t-1}`)."""
    phi = ACTIVATIONS[nonlinearity]
    h_in = h_prev if h_in is None else h_in
    return phi(F.linear(x, weight_ih, bias_ih) + F.linear(h_in, weight_hh, bias_hh))


# ----------------------------------------------------------------------------- GRU


def gru_step(
    x: Tensor,
    h_prev: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None,
    bias_hh: Tensor | None,
    reset_after: bool = True,
    record: dict[str, Tensor] | None = None,
    *,
    h_in: Tensor | None = None,
) -> Tensor:
    r"""One GRU step, gate order r, z, n (rows of the (3H, ·) weights).

    .. math::
        r &= \sigma(W_{ir} x + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z &= \sigma(W_{iz} x + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n &= \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h_{t-1} + b_{hn}))
             \quad\text{(reset\_after, torch/cuDNN)} \\
        n &= \tanh(W_{in} x + b_{in} + W_{hn} (r \odot h_{t-1}) + b_{hn})
             \quad\text{(reset before, Cho et al. 2014)} \\
        h_t &= (1 - z) \odot n + z \odot h_{t-1}

    ``record``, when given, receives the gate activations ``r``, ``z``, ``n`` (for traces).
    ``h_in``, if given, is what enters every matmul with :math:`W_{hh}` in place of
    :math:`h_{t-1}` (recurrent dropout: :math:`m_h \odot h_{t-1}`, reset before:
    :math:`r \odot m_h \odot h_{t-1}`); the interpolation of :math:`h_t` takes
    :math:`h_{t-1}` itself.
    """
    H = h_prev.shape[-1]
    h_in = h_prev if h_in is None else h_in
    x_r, x_z, x_n = F.linear(x, weight_ih, bias_ih).chunk(3, -1)
    b_rz = None if bias_hh is None else bias_hh[: 2 * H]
    b_n = None if bias_hh is None else bias_hh[2 * H :]
    h_r, h_z = F.linear(h_in, weight_hh[: 2 * H], b_rz).chunk(2, -1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    if reset_after:
        n = torch.tanh(x_n + r * F.linear(h_in, weight_hh[2 * H :], b_n))
    else:
        n = torch.tanh(x_n + F.linear(r * h_in, weight_hh[2 * H :], b_n))
    if record is not None:
        record.update(r=r, z=z, n=n)
    return (1 - z) * n + z * h_prev


# ----------------------------------------------------------------------------- LSTM


class LSTMWeights(NamedTuple):
    """The parameters of one LSTM layer in one direction; optional ones are ``None``.

    G is the number of gate blocks: 4 (i, f, g, o), or 3 for the 1997 cell (i, g, o) and for
    the coupled cell (f, g, o). S = G - 1 is the number of sigmoid gates.
    """

    weight_ih: Tensor  # (G*H, I)
    weight_hh: Tensor  # (G*H, P)
    bias_ih: Tensor | None = None  # (G*H,)
    bias_hh: Tensor | None = None  # (G*H,)
    weight_hr: Tensor | None = None  # (P, H), projection (LSTMP)
    weight_peephole: Tensor | None = None  # (S, H): one row per sigmoid gate, in gate order
    weight_ln_ih: Tensor | None = None  # (G*H,) gain of LN(W_ih x)
    weight_ln_hh: Tensor | None = None  # (G*H,) gain of LN(W_hh h)
    weight_ln_c: Tensor | None = None  # (H,) gain of LN(c)
    bias_ln_c: Tensor | None = None  # (H,) shift of LN(c)


def lstm_gate_names(forget_gate: bool = True, coupled: bool = False) -> tuple[str, ...]:
    """The gate blocks stacked in the weights, in order: ('i','f','g','o') and its variants."""
    if coupled and not forget_gate:  # the one place of this rule (nn, models, viz ask here)
        raise UserError(
            "coupled=True derives the input gate from the forget gate (i = 1 - f), "
            "so it needs forget_gate=True"
        )
    if coupled:
        return ("f", "g", "o")
    if not forget_gate:
        return ("i", "g", "o")
    return ("i", "f", "g", "o")


def lstm_step(
    x: Tensor,
    h_prev: Tensor,
    c_prev: Tensor,
    w: LSTMWeights,
    forget_gate: bool = True,
    coupled: bool = False,
    record: dict[str, Tensor] | None = None,
    *,
    h_in: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    r"""One LSTM step; every variant of the family is an option of this one function.

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
        h_t &= o \odot \tanh(c_t)
             \quad\text{or, with layer\_norm,}\quad
             o \odot \tanh(\gamma_c\,\mathrm{LN}(c_t) + \beta_c) \\
        h_t &\leftarrow W_{hr} h_t \quad\text{(with a projection)}

    The peephole terms :math:`p \odot c` are present only with ``weight_peephole``. Without a
    forget gate (Hochreiter & Schmidhuber 1997) :math:`f \equiv 1`; with coupled gates (CIFG)
    :math:`i = 1 - f`. LN normalises over the last dimension without its own affine terms; the
    gains are the ``weight_ln_*`` tensors.

    ``record``, when given, receives the gate activations present (``i``, ``f``, ``g``, ``o``;
    with coupled gates ``i`` is 1 - f) for traces. ``h_in``, if given, is what the recurrent
    matmul reads in place of :math:`h_{t-1}` (recurrent dropout: :math:`m_h \odot h_{t-1}`).
    """
    names = lstm_gate_names(forget_gate, coupled)
    h_in = h_prev if h_in is None else h_in
    a_x = F.linear(x, w.weight_ih)  # (B, G*H)
    a_h = F.linear(h_in, w.weight_hh)  # (B, G*H)
    if w.weight_ln_ih is not None:
        a_x = F.layer_norm(a_x, a_x.shape[-1:], eps=LN_EPS) * w.weight_ln_ih
        a_h = F.layer_norm(a_h, a_h.shape[-1:], eps=LN_EPS) * w.weight_ln_hh
    a = a_x + a_h
    if w.bias_ih is not None:
        a = a + w.bias_ih + w.bias_hh
    pre = dict(zip(names, a.chunk(len(names), -1), strict=True))
    peep = {}
    if w.weight_peephole is not None:
        sigmoid_names = [n for n in names if n != "g"]
        peep = dict(zip(sigmoid_names, w.weight_peephole.unbind(0), strict=True))

    def sigmoid_gate(name: str, c_seen: Tensor) -> Tensor:
        if name in peep:
            return torch.sigmoid(pre[name] + peep[name] * c_seen)
        return torch.sigmoid(pre[name])

    g = torch.tanh(pre["g"])
    if coupled:
        f = sigmoid_gate("f", c_prev)
        i = 1 - f
        c = f * c_prev + i * g
    elif forget_gate:
        i = sigmoid_gate("i", c_prev)
        f = sigmoid_gate("f", c_prev)
        c = f * c_prev + i * g
    else:
        i = sigmoid_gate("i", c_prev)
        c = c_prev + i * g
    o = sigmoid_gate("o", c)
    if record is not None:
        record.update(i=i, g=g, o=o)
        if forget_gate:
            record["f"] = f
    if w.weight_ln_c is not None:
        h = o * torch.tanh(F.layer_norm(c, c.shape[-1:], w.weight_ln_c, w.bias_ln_c, LN_EPS))
    else:
        h = o * torch.tanh(c)
    if w.weight_hr is not None:
        h = F.linear(h, w.weight_hr)
    return h, c


# ----------------------------------------------------------------------------- ConvLSTM


class ConvLSTMWeights(NamedTuple):
    """The parameters of one ConvLSTM layer (Shi et al. 2015); optional ones are ``None``.

    Gate blocks i, f, g, o of H channels stacked along the output channels; k the odd kernel.
    """

    weight_ih: Tensor  # (4H, C, k, k): W_x* of every gate
    weight_hh: Tensor  # (4H, H, k, k): W_h* of every gate
    bias_ih: Tensor | None = None  # (4H,)
    bias_hh: Tensor | None = None  # (4H,)
    # (3, H, 1, 1) one weight per channel, or (3, H, Hf, Wf) one per channel and pixel (Shi's
    # Hadamard over the whole map): rows W_ci, W_cf, W_co
    weight_peephole: Tensor | None = None


def conv_lstm_step(
    x: Tensor,
    h_prev: Tensor,
    c_prev: Tensor,
    w: ConvLSTMWeights,
    record: dict[str, Tensor] | None = None,
) -> tuple[Tensor, Tensor]:
    r"""One ConvLSTM step (Shi et al. 2015): the LSTM with convolutions ``∗`` ('same'
    padding) in place of the matrix products; x (B, C, Hf, Wf), h and c (B, H, Hf, Wf).

    .. math::
        a &= W_{x} * x_t + b_{ih} + W_{h} * h_{t-1} + b_{hh} \\
        i &= \sigma(a_i + W_{ci} \odot c_{t-1}) \qquad
        f  = \sigma(a_f + W_{cf} \odot c_{t-1}) \qquad
        g  = \tanh(a_g) \\
        c_t &= f \odot c_{t-1} + i \odot g \\
        o &= \sigma(a_o + W_{co} \odot c_t) \\
        h_t &= o \odot \tanh(c_t)

    The peephole terms are present only with ``weight_peephole``. ``record``, when given,
    receives ``i``, ``f``, ``g``, ``o``.
    """
    pad = w.weight_hh.shape[-1] // 2
    a = F.conv2d(x, w.weight_ih, w.bias_ih, padding=pad) + F.conv2d(
        h_prev, w.weight_hh, w.bias_hh, padding=pad
    )  # (B, 4H, Hf, Wf)
    a_i, a_f, a_g, a_o = a.chunk(4, 1)
    if w.weight_peephole is not None:
        p_i, p_f, p_o = w.weight_peephole.unbind(0)
        a_i, a_f = a_i + p_i * c_prev, a_f + p_f * c_prev
    i = torch.sigmoid(a_i)
    f = torch.sigmoid(a_f)
    g = torch.tanh(a_g)
    c = f * c_prev + i * g
    o = torch.sigmoid(a_o if w.weight_peephole is None else a_o + p_o * c)
    if record is not None:
        record.update(i=i, f=f, g=g, o=o)
    h = o * torch.tanh(c)
    return h, c


# ----------------------------------------------------------------------------- the loop


def run_reference(
    step: Callable[..., Tensor | tuple[Tensor, ...]],
    x: Tensor,
    states: Sequence[Tensor],
    batch_sizes: Tensor | Sequence[int] | None = None,
    *,
    masks: Masks = NO_MASKS,
) -> tuple[Tensor, tuple[Tensor, ...]]:
    r"""Run ``step(x_t, *states) -> new states`` over time; the first state is the output.

    Rows past their length (``batch_sizes``, a tensor or ints) keep their state and emit zeros.
    ``masks``' in-loop hooks act at each step: where the state is masked as the recurrent
    products read it, the step is called as ``step(..., h_in=masks.feed(h_{t-1}))``; then
    each new state is mixed with the previous one where its update mixes
    (:meth:`~rnnlab.bptt.masks.Masks.mix`: zoneout,
    :math:`s_t = d_t \odot s_{t-1} + (1 - d_t) \odot \tilde s_t`).
    Returns ``(out (T, B, ·), final states)``.
    """
    T, B = x.shape[0], x.shape[1]
    states = tuple(states)
    outs = []
    for t in range(T):
        n = B if batch_sizes is None else int(batch_sizes[t])
        prev = tuple(s[:n] for s in states)
        extra = {"h_in": masks.feed(prev[0], n)} if masks.feeds else {}
        new = step(x[t, :n], *prev, **extra)
        new = (new,) if isinstance(new, Tensor) else tuple(new)
        new = tuple(masks.mix(state, t, s, p, n)  # s_t = d_t s_{t-1} + (1 - d_t) s̃_t
                    for state, s, p in zip(STATES[: len(new)], new, prev, strict=True))
        if n < B:
            states = tuple(torch.cat([ns, s[n:]]) for ns, s in zip(new, states, strict=True))
            outs.append(F.pad(new[0], (0, 0, 0, B - n)))
        else:
            states = new
            outs.append(new[0])
    return torch.stack(outs), states
