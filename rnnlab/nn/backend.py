"""Which kernel a recurrent layer runs: ``backend="auto" | "fused" | "bptt" | "reference"``.

* ``"fused"``: torch's own kernel (``torch._VF.lstm`` / ``gru`` / ``rnn_tanh`` / ``rnn_relu``,
  through :func:`rnnlab.nn.torch_kernel.run_torch_kernel`): oneDNN on the CPU, cuDNN on CUDA.
  Only for a configuration torch computes exactly (:meth:`RecurrentLayer.torch_mode` is not
  None, and no regulariser of :mod:`rnnlab.nn.regularisers` is set, as torch's kernel has
  none); any other is a :class:`FusedKernelError` naming the option that rules it out.
* ``"bptt"``: rnnlab's hand-written forward and backward through time (:mod:`rnnlab.bptt`);
  it hands over to the autograd reference loop by itself where it must (an empty batch,
  torch.func transforms, compiling; see ``rnnlab.bptt._common.needs_autograd_path``).
  For every LSTM cell (layer norm and projection included), the GRU (either reset form) and
  the Elman RNN (every nonlinearity), without in-loop regularisers, on the CPU, its loops run
  in compiled C++ (:mod:`rnnlab.bptt.lstm_cpp`, :mod:`rnnlab.bptt.gru_cpp`,
  :mod:`rnnlab.bptt.elman_cpp`); ``last_kernel`` then says ``"bptt-cpp"``, and ``"bptt"``
  where the Python loops ran.
* ``"reference"``: the plain autograd loop over the reference cells.
* ``"auto"`` (the default): ``"fused"`` where it is allowed and is the faster of the two,
  else ``"bptt"``. Allowed: the configuration is torch's, no regulariser changes what the
  layer computes in its mode (dropout and weight-drop do not in evaluation), no torch.func
  transform, compile
  or export is active (they keep the behaviour documented in docs/torch-compat.md:
  vmap works, export guards the length) and autocast is off (torch's CPU kernel refuses
  some autocast mixes; the hand-written path makes torch's dtype choice itself). Faster:
  on CUDA always (cuDNN); on the CPU for the LSTM without projection only (oneDNN fuses
  the whole layer), and there not in a float32 training step on a CPU with AVX-512 or AVX2, where
  the C++ core's own products (rnnlab/bptt/panel_gemm.h) make the hand-written forward and
  backward the faster pair; torch's CPU GRU, RNN and projected LSTM run unfused cell ops that
  the hand-written path matches or beats (docs/benchmarks.md, ``## Speed of the layers``).

Traces of gates (:mod:`rnnlab.inspect`) do not depend on the choice: they re-run the layer on
the reference cells from a forward hook, whatever kernel the forward itself ran.
The kernel that ran is ``layer.last_kernel`` after each call, and a ``logging.debug`` line of
logger ``rnnlab.nn.backend`` says so whenever it changes.
"""

from __future__ import annotations

import logging

import torch
from torch import Tensor

from rnnlab.bptt._common import needs_grad
from rnnlab.errors import UserError
from rnnlab.nn.layer_view import LayerView

LAYER_BACKENDS = ("auto", "fused", "bptt", "reference")
KERNELS = ("fused", "bptt", "bptt-cpp", "reference")  # what ``last_kernel`` may say

log = logging.getLogger(__name__)

_DESCRIPTION = {
    "fused": "torch's fused kernel (torch._VF)",
    "bptt": "rnnlab's hand-written BPTT (rnnlab.bptt)",
    "bptt-cpp": ("rnnlab's hand-written BPTT with its loops in C++ (rnnlab.bptt.lstm_cpp, "
                 "rnnlab.bptt.gru_cpp, rnnlab.bptt.elman_cpp)"),
    "reference": "the autograd reference loop (rnnlab.bptt.reference)",
}


class FusedKernelError(UserError):
    """``backend="fused"`` on a configuration torch's kernel does not compute."""


def check_layer_backend(backend: str) -> str:
    if backend not in LAYER_BACKENDS:
        raise UserError(f"unknown backend {backend!r}; choose one of {LAYER_BACKENDS}")
    return backend


def fused_mode(layer: LayerView) -> str:
    """torch's kernel name for ``layer``, or a FusedKernelError naming what rules it out."""
    mode = layer.torch_mode()
    regularised = layer.regularisers_in_effect()
    if mode is None or regularised:
        lacks = layer.variant_name() if mode is None else " or ".join(regularised)
        raise FusedKernelError(
            f"backend='fused' runs torch's own kernel, which has no {lacks}; "
            f"{layer!r} needs backend='bptt' (or 'auto', which picks it)"
        )
    return mode


def _special_mode_active() -> bool:
    """A torch.func transform, compile or export, under which "auto" keeps the hand-written
    path's documented behaviour."""
    return torch._C._are_functorch_transforms_active() or torch.compiler.is_compiling()


def choose_kernel(layer: LayerView, data: Tensor, autocast_on: bool) -> str:
    """The kernel ``layer`` runs on input ``data`` (padded or packed): one of :data:`KERNELS`."""
    backend = layer.backend
    if backend == "fused":
        fused_mode(layer)
        return "fused"
    if backend == "auto":
        usable = not autocast_on and not _special_mode_active() and data.numel() > 0
        torchs = layer.torch_mode() is not None and not layer.regularisers_in_effect()
        if usable and torchs:
            training = needs_grad(data, *layer.parameters())  # autograd records this call
            if data.device.type != "cpu" or layer.fused_on_cpu(data, training):
                return "fused"
    if backend == "reference":
        return "reference"
    # "bptt", or "auto" without the fused kernel: the Functions fall back by themselves
    # where they must; say so rather than claim a kernel that did not run.
    if data.numel() == 0 or _special_mode_active() or torch.jit.is_tracing():
        return "reference"
    return "bptt-cpp" if not autocast_on and layer.bptt_runs_cpp(data) else "bptt"


def record_kernel(layer: LayerView, kernel: str) -> None:
    """Set ``layer.last_kernel``; log a debug line when it changes (not while compiling: a
    log call inside a compiled region would break the graph)."""
    changed = kernel != getattr(layer, "last_kernel", None)  # a layer pickled before it existed
    if changed and not torch.compiler.is_compiling():
        log.debug("%s: %s ran %s", type(layer).__name__, layer.extra_repr(),
                  _DESCRIPTION[kernel])
    layer.last_kernel = kernel
