r"""The Elman loops of :mod:`rnnlab.bptt.elman` in compiled C++ (``elman_core.cpp``), and the
one place that decides when they run.

:func:`covers` is that place: the C++ loops run for CPU tensors of float32 or float64, every
nonlinearity (tanh, relu, sigmoid), with or without biases and packed ``batch_sizes``,
outside autocast, and only where the core was built (:mod:`rnnlab.bptt.cpp_core`,
``core("elman")``). The in-loop regulariser masks (recurrent dropout on h, zoneout) keep the
Python loop, as does every other device: the Python path is the device-agnostic one. Input
dropout and weight-drop act around the kernel, so they do not matter here.

:func:`forward` and :func:`backward_loop` return exactly the buffers of the Python loops
(the loop of :meth:`ElmanFunction.forward <rnnlab.bptt.elman.ElmanFunction.forward>`:
``out`` (T, B, H), the states :math:`h_t`, and ``h_T``; the loop of its backward: ``da``
(T, B, H), the pre-activation gradients :math:`\delta h_t \odot \phi'(a_t)`, and ``dh0``), so
:class:`~rnnlab.bptt.elman.ElmanFunction` saves the same tensors and forms the batched input
and weight gradients with the same code.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from rnnlab.bptt import cpp_core
from rnnlab.bptt._common import add_optional

NONLINEARITIES = {"tanh": 0, "relu": 1, "sigmoid": 2}  # the core's codes for φ


def covers(device: torch.device, dtype: torch.dtype | None, *, in_loop_masks: bool) -> bool:
    """True where the C++ loops run (:func:`rnnlab.bptt.cpp_core.runs`, see the module
    docstring). ``dtype`` None: the tensors do not share one dtype (the Python path then says
    what is wrong)."""
    return cpp_core.runs("elman", device, dtype, in_loop_masks)


def covers_call(x: Tensor, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor,
                bias_ih: Tensor | None, bias_hh: Tensor | None, in_loop_masks: bool) -> bool:
    """:func:`covers` for the tensors of one ``elman_sequence`` call."""
    tensors = [t for t in (x, h0, weight_ih, weight_hh, bias_ih, bias_hh) if t is not None]
    return cpp_core.runs_on("elman", tensors, in_loop_masks)


def _sizes_arg(sizes: Sequence[int], B: int) -> list[int]:
    """The core's ``sizes``: the per-step batch sizes when packed, else empty (B every step),
    so that the full case skips the zero-filling the packed one needs."""
    return list(sizes) if sizes and sizes[-1] < B else []


def forward(x: Tensor, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor,
            bias_ih: Tensor | None, bias_hh: Tensor | None, nonlinearity: str,
            sizes: Sequence[int]) -> tuple[Tensor, Tensor]:
    r"""The forward loop in C++: ``out`` (T, B, H) and ``h_T`` (B, H).

    The input projection :math:`W_{ih} x_t` of every step is one product here, before the
    loop, into the buffer that becomes ``out``; the loop adds :math:`W_{hh} h_{t-1}` and the
    biases :math:`b_{ih} + b_{hh}` (in its element-wise pass, rather than by a broadcast over
    all T·B rows first) and applies φ in place. Finished rows of a packed batch output zeros.
    The same call serves training and inference: what the backward reads is ``out`` itself."""
    T, B, _ = x.shape
    xw = torch.mm(x.reshape(T * B, -1), weight_ih.t()).view(T, B, -1)  # no bias: see above
    out, h_T = cpp_core.core("elman").elman_forward(
        xw, h0.contiguous(), weight_hh, add_optional(bias_ih, bias_hh),
        NONLINEARITIES[nonlinearity], _sizes_arg(sizes, B))
    return out, h_T


def backward_loop(dout: Tensor, dh_T: Tensor, out: Tensor, weight_hh: Tensor,
                  nonlinearity: str, sizes: Sequence[int]) -> tuple[Tensor, Tensor]:
    r"""The backward loop in C++: ``da`` (T, B, H) = :math:`\delta h_t \odot \phi'(a_t)` (zero
    in the rows a step does not run) and ``dh0`` (B, H); ``out`` is the saved output."""
    da, dh0 = cpp_core.core("elman").elman_backward(
        dout, dh_T, out, weight_hh, NONLINEARITIES[nonlinearity],
        _sizes_arg(sizes, out.shape[1]))
    return da, dh0
