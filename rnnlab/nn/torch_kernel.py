"""Run a layer through torch's own RNN kernel while it is being traced (torch.jit.trace, and
so the TorchScript ONNX exporter), and whenever ``backend="fused"`` (or ``"auto"``) picks
torch's kernel (:mod:`rnnlab.nn.backend`).

Why: a trace records the ops that ran. rnnlab's layers loop over time in Python, so a trace
would hold T copies of one step, fixed at the length it was traced with: exported to ONNX it
is wrong (or fails) for every other length. torch.nn's layers call one op (``aten::lstm``,
``aten::gru``, ``aten::rnn_tanh``, ``aten::rnn_relu``) that the tracer keeps as one node and
the ONNX exporter turns into ONNX's LSTM / GRU / RNN operator, which takes any length and
batch. Where the configuration is exactly one torch has (:meth:`torch_mode`), the layer calls
that same op with its own parameters in torch's flat order, so a trace or an export of it is
what torch.nn's would be. The variants torch has no kernel for (peepholes, layer norm, the
1997 and coupled cells, the reset-before GRU, the sigmoid Elman), and the regularisers that
change what the layer computes (zoneout and learned initial states always; recurrent dropout
and weight-drop in training), cannot be traced correctly and raise :class:`TraceError`;
``torch.export`` and ``torch.compile`` handle them instead (they run the autograd reference
loop, specialised and guarded on the length).
"""

from __future__ import annotations

import torch
from torch import _VF, Tensor

from rnnlab.errors import UserError
from rnnlab.nn import regularisers
from rnnlab.nn.layer_view import LayerView

States = tuple[Tensor, ...]

_KERNELS = {
    "LSTM": _VF.lstm,
    "GRU": _VF.gru,
    "RNN_TANH": _VF.rnn_tanh,
    "RNN_RELU": _VF.rnn_relu,
}


class TraceError(UserError, RuntimeError):
    """A layer variant that torch has no single kernel for is being traced."""


def is_tracing() -> bool:
    """True inside torch.jit.trace, which the TorchScript ONNX exporter runs too."""
    return torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()


def check_traceable(layer: LayerView) -> str:
    """The torch mode of ``layer``, or a TraceError saying why it cannot be traced."""
    mode = layer.torch_mode()
    if mode is None:
        raise TraceError(
            f"{layer!r} has no torch.nn equivalent, so torch.jit.trace (and torch.onnx.export "
            "with dynamo=False) would record its time loop at the traced length only and "
            "give wrong results for other lengths. Use torch.export.export or torch.compile "
            "(they specialise on the length and check it), or a configuration torch.nn has "
            "(see docs/torch-compat.md)."
        )
    regularised = layer.regularisers_in_effect()
    if regularised:
        raise TraceError(
            f"torch.jit.trace (and torch.onnx.export with dynamo=False) records torch's own RNN "
            f"kernel, which has no {' or '.join(regularised)}, so the trace would compute "
            "something else. Use torch.export.export or torch.compile, or (for "
            f"{' and '.join(regularisers.training_only())}) trace the layer in eval mode."
        )
    return mode


def run_torch_kernel(
    layer: LayerView,
    mode: str,
    x: Tensor,
    states: States,
    batch_sizes: Tensor | None,
    weights: list[Tensor] | None = None,
) -> tuple[Tensor, States]:
    """torch.nn's forward core, as ``torch.nn.LSTM.forward`` calls it: time-major x (T, B, I)
    -> (output (T, B, D*P), final states); or, with ``batch_sizes``, x the packed data (N, I)
    -> (packed output data (N, D*P), final states). ``weights``: the layer's parameters in
    torch's flat order (default), or stand-ins for them (e.g. cast under autocast)."""
    kernel = _KERNELS[mode]
    flat = weights if weights is not None else [
        getattr(layer, name) for name in layer._flat_weights_names
    ]
    hx: Tensor | States = states if mode == "LSTM" else states[0]
    args = (layer.bias, layer.num_layers, layer.dropout, layer.training, layer.bidirectional)
    if batch_sizes is not None:
        result = kernel(x, batch_sizes, hx, flat, *args)
    else:  # batch_first=False: x is time-major here
        result = kernel(x.contiguous(), hx, flat, *args, False)
    return result[0], tuple(result[1:])
