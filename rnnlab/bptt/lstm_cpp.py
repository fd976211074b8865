"""The LSTM loops of :mod:`rnnlab.bptt.lstm` in compiled C++ (``lstm_core.cpp``), and the one
place that decides when they run.

:func:`covers` is that place: the C++ loops run for CPU tensors of float32 or float64, the
gate layouts ``ifgo``, ``igo`` and ``fgo`` (the forget-gate, 1997 and coupled cells), with or
without peepholes, biases and packed ``batch_sizes``, outside autocast, and only where the
core was built (:mod:`rnnlab.bptt.cpp_core`). Layer norm, a projection and the in-loop
regulariser masks (recurrent dropout on h, zoneout) keep the Python loop, as does every other
device: the Python path is the device-agnostic one; a CUDA kernel would fill these same two
entry points. Input dropout and weight-drop act around the kernel, so they do not matter here.

:func:`forward` and :func:`backward_loop` return exactly the buffers of the Python loops
(``_lstm_forward`` and the loop of ``_lstm_backward``), so :class:`~rnnlab.bptt.lstm.LSTMFunction`
saves the same tensors and forms the batched input and weight gradients with the same code.
"""

from __future__ import annotations

import torch
from torch import Tensor

from rnnlab.bptt import cpp_core
from rnnlab.bptt.reference import LSTMWeights

MODES = {"ifgo": 0, "igo": 1, "fgo": 2}
DTYPES = (torch.float32, torch.float64)


def covers(device: torch.device, dtype: torch.dtype | None, *, layer_norm: bool,
           projection: bool, in_loop_masks: bool) -> bool:
    """True where the C++ loops run: see the module docstring. ``dtype`` None: the tensors
    do not share one dtype (the Python path then says what is wrong)."""
    if device.type != "cpu" or dtype not in DTYPES or layer_norm or projection or in_loop_masks:
        return False
    if torch.is_autocast_enabled("cpu"):
        return False
    return cpp_core.core() is not None


def covers_call(x: Tensor, h0: Tensor, c0: Tensor, w: LSTMWeights, in_loop_masks: bool) -> bool:
    """:func:`covers` for the tensors of one ``lstm_sequence`` call."""
    tensors = [x, h0, c0, *(t for t in w if t is not None)]
    dtype = x.dtype if all(t.dtype == x.dtype for t in tensors) else None
    on_cpu = all(t.device.type == "cpu" for t in tensors)
    return covers(x.device if on_cpu else torch.device("meta"), dtype,
                  layer_norm=w.weight_ln_ih is not None or w.weight_ln_c is not None,
                  projection=w.weight_hr is not None, in_loop_masks=in_loop_masks)


def forward(
    x: Tensor, h0: Tensor, c0: Tensor, w: LSTMWeights, mode: str,
    sizes: tuple[int, ...] | None, keep: bool,
) -> tuple[Tensor, Tensor, Tensor, tuple[Tensor | None, ...]]:
    """``_lstm_forward`` in C++: ``out, h_T, c_T`` and the saved buffers (Z, C, TC, and None
    for the layer-norm and zoneout buffers this core never needs)."""
    bias = w.bias_ih + w.bias_hh if w.bias_ih is not None else None
    out, h_T, c_T, Z, C, TC = cpp_core.core().lstm_forward(
        x.contiguous(), h0.contiguous(), c0.contiguous(), w.weight_ih, w.weight_hh, bias,
        w.weight_peephole, MODES[mode], list(sizes or ()), keep)
    return out, h_T, c_T, (Z, C, TC, *(None,) * 7)


def backward_loop(
    dout: Tensor, dh_T: Tensor, dc_T: Tensor, c0: Tensor, w: LSTMWeights,
    Z: Tensor, C: Tensor, TC: Tensor, mode: str, sizes: tuple[int, ...] | None,
) -> tuple[Tensor, Tensor, Tensor]:
    """The loop of ``_lstm_backward`` in C++: ``dA`` (T, B, G*H), ``dh0``, ``dc0``."""
    dA, dh0, dc0 = cpp_core.core().lstm_backward(
        dout, dh_T, dc_T, c0.contiguous(), w.weight_hh, w.weight_peephole, Z, C, TC,
        MODES[mode], list(sizes or ()))
    return dA, dh0, dc0
