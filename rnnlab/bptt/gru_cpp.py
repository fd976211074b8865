r"""The GRU loops of :mod:`rnnlab.bptt.gru` in compiled C++ (``gru_core.cpp``), and the one
place that decides when they run.

:func:`covers` is that place: the C++ loops run for CPU tensors of float32 or float64, both
forms of the candidate (``reset_after`` True, torch/cuDNN's
:math:`n = \tanh(x_n + r \odot (W_{hn} h + b_{hn}))`, and False, Cho et al.'s
:math:`n = \tanh(x_n + W_{hn} (r \odot h) + b_{hn})`), with or without biases and packed
``batch_sizes``, outside autocast, and only where the core was built
(:mod:`rnnlab.bptt.cpp_core`, ``core("gru")``). The in-loop regulariser masks (recurrent
dropout on h, zoneout) keep the Python loop, as does every other device: the Python path is
the device-agnostic one. Input dropout and weight-drop act around the kernel, so they do not
matter here.

:func:`forward` and :func:`backward_loop` return exactly the buffers of the Python loops
(the loop of :meth:`GRUFunction.forward <rnnlab.bptt.gru.GRUFunction.forward>`: ``out``,
``h_T`` and ``gates`` (T, B, 4H) laid out ``[r, z, hn, n]`` or ``[r, z, rh, n]``; the loop of
its backward: ``da`` (T, B, 3H), ``dhn`` (T, B, H, reset_after only) and ``dh0``), so
:class:`~rnnlab.bptt.gru.GRUFunction` saves the same tensors and forms the batched input and
weight gradients with the same code.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from rnnlab.bptt import cpp_core
from rnnlab.bptt._common import add_optional


def covers(device: torch.device, dtype: torch.dtype | None, *, in_loop_masks: bool) -> bool:
    """True where the C++ loops run (:func:`rnnlab.bptt.cpp_core.runs`, see the module
    docstring). ``dtype`` None: the tensors do not share one dtype (the Python path then says
    what is wrong)."""
    return cpp_core.runs("gru", device, dtype, in_loop_masks)


def covers_call(x: Tensor, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor,
                bias_ih: Tensor | None, bias_hh: Tensor | None, in_loop_masks: bool) -> bool:
    """:func:`covers` for the tensors of one ``gru_sequence`` call."""
    tensors = [t for t in (x, h0, weight_ih, weight_hh, bias_ih, bias_hh) if t is not None]
    return cpp_core.runs_on("gru", tensors, in_loop_masks)


def _sizes_arg(sizes: Sequence[int], B: int) -> list[int]:
    """The core's ``sizes``: the per-step batch sizes when packed, else empty (B every step),
    so that the full case skips the zero-filling the packed one needs."""
    return list(sizes) if sizes and sizes[-1] < B else []


def forward(x: Tensor, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor,
            bias_ih: Tensor | None, bias_hh: Tensor | None, reset_after: bool,
            sizes: Sequence[int], keep: bool = True) -> tuple[Tensor, Tensor, Tensor]:
    r"""The forward loop in C++: ``out`` (T, B, H), ``h_T`` (B, H), ``gates`` (T, B, 4H).

    The input projection :math:`W_{ih} x_t` of every step is one product here, before the
    loop; the biases are added inside the loop's element-wise passes (with reset before, all
    of :math:`b_{hh}` goes with :math:`b_{ih}`, since it sits outside r). Finished rows of a
    packed batch output zeros. ``keep=False`` (no backward will run): ``gates`` is one slot
    (1, B, 4H) that every step overwrites, the inference mode."""
    T, B, _ = x.shape
    xw = torch.mm(x.reshape(T * B, -1), weight_ih.t()).view(T, B, -1)  # no bias: see above
    bias_x = bias_ih if reset_after else add_optional(bias_ih, bias_hh)
    out, h_T, gates = cpp_core.core("gru").gru_forward(
        xw, h0.contiguous(), weight_hh, bias_x, bias_hh if reset_after else None,
        reset_after, _sizes_arg(sizes, B), keep)
    return out, h_T, gates


def backward_loop(dout: Tensor, dh_T: Tensor, h0: Tensor, out: Tensor, gates: Tensor,
                  weight_hh: Tensor, reset_after: bool, sizes: Sequence[int]
                  ) -> tuple[Tensor, Tensor | None, Tensor]:
    r"""The backward loop in C++: ``da`` (T, B, 3H) = :math:`[da_r, da_z, da_n]`, ``dhn``
    (T, B, H) = :math:`da_n \odot r` (None with reset before) and ``dh0`` (B, H)."""
    da, dhn, dh0 = cpp_core.core("gru").gru_backward(
        dout, dh_T, h0.contiguous(), out, gates, weight_hh, reset_after,
        _sizes_arg(sizes, gates.shape[1]))
    return da, dhn if reset_after else None, dh0
