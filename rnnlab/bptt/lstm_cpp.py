"""The LSTM loops of :mod:`rnnlab.bptt.lstm` in compiled C++ (``lstm_core.cpp``), and the one
place that decides when they run.

:func:`covers` is that place: the C++ loops run for CPU tensors of float32 or float64, the
gate layouts ``ifgo``, ``igo`` and ``fgo`` (the forget-gate, 1997 and coupled cells), with or
without peepholes, biases, layer norm (of the gate pre-activations and of the cell), a
projection (``weight_hr``) and packed ``batch_sizes``, in every combination, outside
autocast, and only where the core was built (:mod:`rnnlab.bptt.cpp_core`). The in-loop
regulariser masks (recurrent dropout on h, zoneout) keep the Python loop, as does every other
device: the Python path is the device-agnostic one; a CUDA kernel would fill these same two
entry points. Input dropout and weight-drop act around the kernel, so they do not matter here.

:func:`forward_loop` and :func:`backward_loop` return exactly the buffers of the Python loops
(``_lstm_forward`` and the loop of ``_lstm_backward``), so :class:`~rnnlab.bptt.lstm.LSTMFunction`
saves the same tensors and forms the input part of the gates before the loop and the batched
input and weight gradients after it with the same code.
"""

from __future__ import annotations

import os

import torch
from torch import Tensor

from rnnlab.bptt import cpp_core
from rnnlab.bptt.reference import LN_EPS, LSTMWeights

MODES = {"ifgo": 0, "igo": 1, "fgo": 2}


def covers(device: torch.device, dtype: torch.dtype | None, *, in_loop_masks: bool) -> bool:
    """True where the C++ loops run (:func:`rnnlab.bptt.cpp_core.runs`, see the module
    docstring). ``dtype`` None: the tensors do not share one dtype (the Python path then says
    what is wrong)."""
    return cpp_core.runs("lstm", device, dtype, in_loop_masks)


def own_products() -> bool:
    """Whether the core multiplies by the recurrent weights with rnnlab's own panels
    (``panel_gemm.h``: this CPU has AVX-512 or AVX2, neither ``RNNLAB_NO_PANEL_GEMM`` nor
    ``RNNLAB_NO_PACKED_GEMM`` is set) rather than MKL's or plain products; False where the core
    is off or not built. The CPU (asked of torch) and the switches are checked here before the
    core is asked, so that where the answer is no the core is never built just to say it."""
    if torch.backends.cpu.get_cpu_capability() not in ("AVX512", "AVX2"):
        return False
    if os.environ.get("RNNLAB_NO_PANEL_GEMM") or os.environ.get("RNNLAB_NO_PACKED_GEMM"):
        return False
    module = cpp_core.core("lstm")
    return module is not None and module.recurrent_gemm() == "panels"


def covers_call(x: Tensor, h0: Tensor, c0: Tensor, w: LSTMWeights, in_loop_masks: bool) -> bool:
    """:func:`covers` for the tensors of one ``lstm_sequence`` call."""
    tensors = [x, h0, c0, *(t for t in w if t is not None)]
    return cpp_core.runs_on("lstm", tensors, in_loop_masks)


def forward_loop(
    Z: Tensor, h0: Tensor, c0: Tensor, w: LSTMWeights, bias: Tensor | None, mode: str,
    sizes: tuple[int, ...] | None, keep: bool,
) -> tuple[Tensor, ...]:
    """The loop of ``_lstm_forward`` in C++. ``Z`` (T, B, G*H): the input part of a, from
    ``_input_part``; it becomes the gates in place. ``bias`` (G*H): b = b_ih + b_hh where Z
    was formed without it (the loop adds it to each row), else None. Returns ``out, h_T, c_T,
    Z, C, TC, AhHat, Rh, CHat, Rc`` (the last four None without their layer norm; TC None
    when ``keep`` with LN(c) and no projection: the backward loop forms tanh(y_t) anew from
    CHat, T·B·H floats less to keep)."""
    return tuple(cpp_core.core().lstm_forward(
        Z, h0.contiguous(), c0.contiguous(), w.weight_hh, w.weight_peephole, w.weight_hr,
        w.weight_ln_hh, w.weight_ln_c, w.bias_ln_c, bias, LN_EPS, MODES[mode],
        list(sizes or ()), keep))


def backward_loop(
    dout: Tensor, dh_T: Tensor, dc_T: Tensor, c0: Tensor, w: LSTMWeights,
    saved: tuple[Tensor | None, ...], mode: str, sizes: tuple[int, ...] | None,
) -> tuple[Tensor | None, ...]:
    """The loop of ``_lstm_backward`` in C++: ``dA`` (T, B, G*H) = d a, ``dAh`` = d (W_hh
    h_{t-1}) (``dA`` itself without layer norm), ``dH`` = d h_t (with a projection, else
    None), ``dY`` = d y_t (with LN(c), else None), ``dh0``, ``dc0``, and the layer-norm gains'
    gradients the loop sums as it goes (None without them): dγ_hh = Σ_t Σ_b d a ⊙ LN(W_hh
    h_{t-1}), dγ_c = Σ d y ⊙ LN(c_t), dβ_c = Σ d y."""
    Z, C, TC, _, _, _, AhHat, Rh, CHat, Rc, _ = saved
    return tuple(cpp_core.core().lstm_backward(
        dout, dh_T, dc_T, c0.contiguous(), w.weight_hh, w.weight_peephole, w.weight_hr,
        w.weight_ln_hh, w.weight_ln_c, w.bias_ln_c, Z, C, TC, AhHat, Rh, CHat, Rc, MODES[mode],
        list(sizes or ())))
