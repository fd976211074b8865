r"""The convolutional LSTM (Shi et al. 2015): the one-step :class:`ConvLSTMCell` and the
sequence layer :class:`ConvLSTM`, for sequences of images.

The LSTM with 2-D convolutions ``∗`` (odd kernel k, 'same' padding k // 2) in place of the
matrix products, so every state is a stack of H feature maps of the frame's size and each
unit sees a k x k neighbourhood of the input and of the previous state (the step is
:func:`rnnlab.bptt.reference.conv_lstm_step`; gate order i, f, g, o):

.. math::
    a &= W_{x} * x_t + b_{ih} + W_{h} * h_{t-1} + b_{hh} \\
    i &= \sigma(a_i + W_{ci} \odot c_{t-1}) \qquad
    f  = \sigma(a_f + W_{cf} \odot c_{t-1}) \qquad
    g  = \tanh(a_g) \\
    c_t &= f \odot c_{t-1} + i \odot g \qquad
    o = \sigma(a_o + W_{co} \odot c_t) \qquad
    h_t = o \odot \tanh(c_t)

**Peepholes** (``peephole=True``; the ⊙ terms): by default one weight per hidden channel
(``weight_peephole`` (3, H, 1, 1), rows W_ci, W_cf, W_co), so the layer runs on frames of
any size; with ``frame_size=(Hf, Wf)`` one weight per channel *and pixel*
((3, H, Hf, Wf)), Shi et al.'s Hadamard product over the whole map, for that frame size only.

Parameters per layer k (torch.nn's names): ``weight_ih_l{k}`` (4H, C, k, k),
``weight_hh_l{k}`` (4H, H, k, k), ``bias_ih_l{k}``, ``bias_hh_l{k}`` (4H,), and with
peepholes ``weight_peephole_l{k}``. Layer k > 0 reads the H maps of the layer below.
Initialisation: U(-1/sqrt(H k²), 1/sqrt(H k²)) (H k² is the recurrent convolution's fan-in,
as 1/sqrt(H) is for torch's LSTM), then the forget-gate bias block set to ``forget_bias``
(``bias_ih``; ``bias_hh``'s block 0), as :class:`rnnlab.nn.LSTM` does.

``backend``: ``"bptt"`` (hand-written backward, :mod:`rnnlab.bptt.conv_lstm`; ``"auto"``
picks it), ``"reference"`` (the autograd loop over the cell); ``"fused"`` is refused: torch
has no ConvLSTM kernel.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from rnnlab.bptt.conv_lstm import conv_lstm_sequence
from rnnlab.bptt.masks import NO_MASKS, Masks
from rnnlab.bptt.reference import ConvLSTMWeights, conv_lstm_step
from rnnlab.errors import UserError
from rnnlab.nn.backend import FusedKernelError, check_layer_backend, record_kernel
from rnnlab.nn.checks import check_bool, check_positive_int
from rnnlab.nn.lstm import DEFAULT_FORGET_BIAS, check_lstm_options

GATES = ("i", "f", "g", "o")


def check_kernel_size(field: str, value: Any) -> int:
    """An odd positive int: 'same' padding k // 2 keeps the frame's size."""
    k = check_positive_int(field, value)
    if k % 2 == 0:
        raise UserError(f"{field} must be odd (1, 3, 5, ...) for 'same' padding, got {k}")
    return k


def conv_lstm_shapes(
    input_channels: int, hidden_size: int, kernel_size: int, bias: bool, peephole: bool,
    frame_size: tuple[int, int] | None = None,
) -> dict[str, tuple[int, ...]]:
    """Parameter shapes of one ConvLSTM layer; the short names are ConvLSTMWeights fields."""
    H, k = hidden_size, kernel_size
    shapes: dict[str, tuple[int, ...]] = {"weight_ih": (4 * H, input_channels, k, k),
                                          "weight_hh": (4 * H, H, k, k)}
    if bias:
        shapes.update(bias_ih=(4 * H,), bias_hh=(4 * H,))
    if peephole:
        shapes.update(weight_peephole=(3, H, *(frame_size or (1, 1))))
    return shapes


class _ConvLSTMOptions(nn.Module):
    """What the layer and the cell share: options, parameters by short name, the init."""

    kind: ClassVar[str] = "ConvLSTM"
    torch_class: ClassVar[tuple[type, ...]] = ()  # torch.nn has no ConvLSTM: no twin

    def _set_options(
        self, input_size: int, hidden_size: int, kernel_size: int, bias: bool, peephole: bool,
        frame_size: tuple[int, int] | None, forget_bias: float | None,
    ) -> None:
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.kernel_size = check_kernel_size("kernel_size", kernel_size)
        self.bias = check_bool("bias", bias)
        self.peephole = check_bool("peephole", peephole)
        if frame_size is not None:
            frame_size = tuple(check_positive_int("frame_size", n) for n in frame_size)
            if len(frame_size) != 2 or not peephole:
                raise UserError("frame_size=(Hf, Wf) gives the peepholes one weight per pixel: "
                                "it needs peephole=True and two sizes")
        self.frame_size = frame_size
        check_lstm_options(True, False, forget_bias)
        self.forget_bias = None if forget_bias is None else float(forget_bias)

    def _shapes(self, layer_input: int) -> dict[str, tuple[int, ...]]:
        return conv_lstm_shapes(layer_input, self.hidden_size, self.kernel_size, self.bias,
                                self.peephole, self.frame_size)

    def _init(self, params: dict[str, Tensor]) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size * self.kernel_size ** 2)
        with torch.no_grad():
            for p in params.values():
                p.uniform_(-bound, bound)
            if self.forget_bias is not None and "bias_ih" in params:
                f = slice(self.hidden_size, 2 * self.hidden_size)  # i, f, g, o
                params["bias_ih"][f] = self.forget_bias
                params["bias_hh"][f] = 0.0

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}, kernel_size={self.kernel_size}"
        if getattr(self, "num_layers", 1) != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "batch_first", False):
            s += ", batch_first=True"
        if self.peephole:
            s += ", peephole=True" + (f", frame_size={self.frame_size}" if self.frame_size else "")
        if self.forget_bias != DEFAULT_FORGET_BIAS:
            s += f", forget_bias={self.forget_bias!r}"
        if getattr(self, "backend", "auto") != "auto":
            s += f", backend={self.backend!r}"
        return s


class ConvLSTM(_ConvLSTMOptions):
    r"""A stack of ConvLSTM layers over a sequence of images (equations: module docstring).

    Args: ``input_size`` C (input channels), ``hidden_size`` H (hidden channels),
    ``kernel_size`` (odd), ``num_layers``, ``bias``, ``batch_first``, and the keyword
    options ``peephole``, ``frame_size``, ``forget_bias``, ``backend``
    (``"auto"`` = ``"bptt"`` | ``"reference"``).

    Shapes: input (T, B, C, Hf, Wf), or (B, T, C, Hf, Wf) with ``batch_first``;
    ``hx`` = (h_0, c_0), each (L, B, H, Hf, Wf), zeros if omitted ->
    output (T, B, H, Hf, Wf) (batch-first: (B, T, ...)), the last layer's h_t at every step,
    and (h_n, c_n), each (L, B, H, Hf, Wf).

    The hooks a step-by-step re-run reads (:mod:`rnnlab.inspect.rerun`), as
    :class:`~rnnlab.nn.RecurrentLayer` has them: :meth:`step`, :meth:`direction_parameters`,
    :meth:`recorded_gates`, :meth:`initial_states`, :meth:`sample_masks` (none: the layer has
    no regularisers), ``num_directions`` (1), ``num_states`` (2: h, c) and ``feature_dims``
    (3: one row's input at one step is a stack of maps (C, Hf, Wf)).
    """

    num_directions: ClassVar[int] = 1  # no bidirectional form
    num_states: ClassVar[int] = 2  # (h, c)
    feature_dims: ClassVar[int] = 3  # one row's input at one step: (C, Hf, Wf)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        kernel_size: int = 3,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        peephole: bool = False,
        frame_size: tuple[int, int] | None = None,
        forget_bias: float | None = DEFAULT_FORGET_BIAS,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        self._set_options(input_size, hidden_size, kernel_size, bias, peephole, frame_size,
                          forget_bias)
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.batch_first = check_bool("batch_first", batch_first)
        self.backend = check_layer_backend(backend)
        if self.backend == "fused":
            raise FusedKernelError("backend='fused' runs torch's own kernel, and torch has no "
                                   "ConvLSTM; use backend='bptt' (or 'auto', which picks it)")
        self.last_kernel: str | None = None
        self._names: list[dict[str, str]] = []  # per layer: short name -> full name
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.hidden_size
            names = {}
            for short, shape in self._shapes(layer_input).items():
                full = f"{short}_l{layer}"
                self.register_parameter(
                    full, nn.Parameter(torch.empty(shape, device=device, dtype=dtype)))
                names[short] = full
            self._names.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for layer in range(self.num_layers):
            self._init(self.direction_parameters(layer))

    def direction_parameters(self, layer: int, direction: int = 0) -> dict[str, Tensor]:
        """The parameters of ``layer`` by short name (``weight_ih``, ...), as :meth:`step`
        takes them (a ConvLSTM has one direction)."""
        if direction:
            raise UserError("a ConvLSTM has one direction")
        return {short: getattr(self, full) for short, full in self._names[layer].items()}

    def weights(self, layer: int) -> ConvLSTMWeights:
        params = self.direction_parameters(layer)
        return ConvLSTMWeights(**{name: params.get(name) for name in ConvLSTMWeights._fields})

    def step(
        self, x: Tensor, states: tuple[Tensor, Tensor], params: dict[str, Tensor],
        record: dict[str, Tensor] | None = None,
    ) -> tuple[Tensor, Tensor]:
        """One step of one layer through the reference cell: x (B, C, Hf, Wf), (h, c)."""
        w = ConvLSTMWeights(**{name: params.get(name) for name in ConvLSTMWeights._fields})
        return conv_lstm_step(x, states[0], states[1], w, record=record)

    def recorded_gates(self) -> tuple[str, ...]:
        return GATES

    def initial_states(
        self, hx: tuple[Tensor, Tensor] | None, like: Tensor, B: int, batched: bool = True
    ) -> tuple[Tensor, Tensor]:
        """(h_0, c_0), each (L, B, H, Hf, Wf): zeros (dtype and device of ``like``, frames
        (..., Hf, Wf)) or the checked ``hx``. ``batched`` is always True: a ConvLSTM has no
        unbatched form (the argument is there because a re-run passes it to every layer)."""
        shape = (self.num_layers, B, self.hidden_size, *like.shape[-2:])
        if hx is None:
            zeros = like.new_zeros(shape)
            return zeros, zeros
        h0, c0 = hx
        if tuple(h0.shape) != shape or tuple(c0.shape) != shape:
            raise UserError(f"ConvLSTM: h_0 and c_0 must be {shape}, got "
                            f"{tuple(h0.shape)} and {tuple(c0.shape)}")
        return h0, c0

    def sample_masks(self, index: int, x: Tensor, weight_hh: Tensor) -> Masks:
        """No masks: a ConvLSTM has no regularisers (dropout, weight-drop, zoneout)."""
        return NO_MASKS

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """Run every layer over the sequence; returns ``(output, (h_n, c_n))``."""
        if input.dim() != 5:
            layout = "(B, T, C, Hf, Wf)" if self.batch_first else "(T, B, C, Hf, Wf)"
            raise UserError(f"ConvLSTM: expected input of shape {layout}, got "
                            f"{tuple(input.shape)}")
        x = input.transpose(0, 1) if self.batch_first else input  # (T, B, C, Hf, Wf)
        _, B, C, Hf, Wf = x.shape
        if self.input_size != C:
            raise UserError(f"ConvLSTM: input has {C} channels, expected {self.input_size}")
        if self.frame_size is not None and (Hf, Wf) != self.frame_size:
            raise UserError(f"ConvLSTM: frames of {Hf}x{Wf} pixels, but the per-pixel "
                            f"peepholes were made for frame_size={self.frame_size}")
        h0, c0 = self.initial_states(hx, x, B)
        backend = "reference" if self.backend == "reference" else "bptt"
        record_kernel(self, backend)
        hs, cs, layer_input = [], [], x.contiguous()
        for layer in range(self.num_layers):
            layer_input, h, c = conv_lstm_sequence(layer_input, h0[layer], c0[layer],
                                                   self.weights(layer), backend=backend)
            hs.append(h)
            cs.append(c)
        output = layer_input.transpose(0, 1) if self.batch_first else layer_input
        return output, (torch.stack(hs), torch.stack(cs))


class ConvLSTMCell(_ConvLSTMOptions):
    r"""One ConvLSTM step (equations: module docstring).

    Shapes: input (B, C, Hf, Wf), hx = (h, c) each (B, H, Hf, Wf) (zeros if omitted) ->
    (h', c') of the same shape. Parameters ``weight_ih``, ``weight_hh``, ``bias_ih``,
    ``bias_hh`` (and ``weight_peephole``), as a ConvLSTM layer's ``*_l0``.
    """

    kind = "ConvLSTMCell"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        kernel_size: int = 3,
        bias: bool = True,
        *,
        peephole: bool = False,
        frame_size: tuple[int, int] | None = None,
        forget_bias: float | None = DEFAULT_FORGET_BIAS,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self._set_options(input_size, hidden_size, kernel_size, bias, peephole, frame_size,
                          forget_bias)
        for name, shape in self._shapes(self.input_size).items():
            self.register_parameter(
                name, nn.Parameter(torch.empty(shape, device=device, dtype=dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self._init(dict(self.named_parameters()))

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        if input.dim() != 4 or input.shape[1] != self.input_size:
            raise UserError(f"ConvLSTMCell: expected input (B, {self.input_size}, Hf, Wf), "
                            f"got {tuple(input.shape)}")
        B, _, Hf, Wf = input.shape
        if hx is None:
            zeros = input.new_zeros(B, self.hidden_size, Hf, Wf)
            hx = (zeros, zeros)
        params = dict(self.named_parameters())
        w = ConvLSTMWeights(**{name: params.get(name) for name in ConvLSTMWeights._fields})
        return conv_lstm_step(input, hx[0], hx[1], w)
