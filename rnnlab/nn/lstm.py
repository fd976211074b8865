r"""Long short-term memory: the one-step :class:`LSTMCell` and the sequence layer :class:`LSTM`.

Every variant of the family is an option of one cell (the step is
:func:`rnnlab.bptt.reference.lstm_step`, which holds the full equations):

.. math::
    a &= W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh} \qquad (G \text{ blocks of } H) \\
    i &= \sigma(a_i), \; f = \sigma(a_f), \; g = \tanh(a_g), \; o = \sigma(a_o) \\
    c_t &= f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t)

Options and what they add:

* ``forget_gate=False``: the 1997 cell, :math:`f \equiv 1` (blocks i, g, o);
* ``coupled=True``: CIFG, :math:`i = 1 - f` (blocks f, g, o; needs the forget gate);
* ``peephole=True``: :math:`i, f` see :math:`c_{t-1}`, :math:`o` sees :math:`c_t`
  (``weight_peephole`` (S, H), one row per sigmoid gate in gate order, S = G - 1);
* ``layer_norm=True``: :math:`\gamma_{ih} \mathrm{LN}(W_{ih} x) + \gamma_{hh} \mathrm{LN}(W_{hh} h)`
  and :math:`\tanh(\gamma_c \mathrm{LN}(c_t) + \beta_c)` (``weight_ln_ih``, ``weight_ln_hh``
  (G*H,), ``weight_ln_c``, ``bias_ln_c`` (H,));
* ``proj_size=P > 0``: LSTMP, :math:`h_t \leftarrow W_{hr} h_t` (``weight_hr`` (P, H)); then
  ``weight_hh`` is (G*H, P) and h is (·, P) while c stays (·, H).

Shapes: ``weight_ih`` (G*H, I), ``weight_hh`` (G*H, P), ``bias_ih``/``bias_hh`` (G*H,).

Initialisation: torch's U(-1/sqrt(H), 1/sqrt(H)) for every weight, bias and peephole, drawn in
torch.nn's order; layer norm gains 1 and shifts 0; then the forget gate's bias block is set so
that ``bias_ih + bias_hh = forget_bias`` (``bias_ih`` block = forget_bias, ``bias_hh`` block =
0). The default forget_bias=1.0 follows Jozefowicz, Zaremba & Sutskever (2015), "An Empirical
Exploration of Recurrent Network Architectures": the cell starts by remembering, which helps
gradients flow over long lags. ``init="torch"`` (or ``forget_bias=None``) keeps torch's draw
untouched: with the same seed, ``LSTM(..., init="torch")`` starts from exactly the weights of
``torch.nn.LSTM(...)``; a forget_bias other than the default is then an error.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar, Unpack

import torch
from torch import Tensor, nn

from rnnlab.bptt import lstm as lstm_bptt
from rnnlab.bptt import lstm_cpp
from rnnlab.bptt.masks import NO_MASKS, Masks
from rnnlab.bptt.reference import LSTMWeights, lstm_gate_names, lstm_step
from rnnlab.errors import UserError
from rnnlab.nn.cell import RecurrentCell
from rnnlab.nn.checks import States, check_proj_size
from rnnlab.nn.recurrent import RecurrentLayer
from rnnlab.nn.regularisers import CellRegulariserOptions, documented


def check_lstm_options(
    forget_gate: bool, coupled: bool, forget_bias: float | None, init: str = "default"
) -> None:
    """Raise UserError for an invalid combination of LSTM options (the layers, the cells and
    ``ModelConfig.validate``, through the family registry, all ask this function)."""
    if init == "torch" and forget_bias not in (None, DEFAULT_FORGET_BIAS):
        raise UserError(
            f"init='torch' keeps torch's draw of the forget-gate bias, so it cannot be combined "
            f"with forget_bias={forget_bias!r}; use one or the other"
        )
    # coupled needs the forget gate: the rule lives with the gate list it constrains, in
    # bptt (the lowest layer, which direct callers of lstm_sequence reach without nn)
    lstm_gate_names(forget_gate, coupled)
    if forget_bias is not None and (
        isinstance(forget_bias, bool)
        or not isinstance(forget_bias, numbers.Real)
        or not math.isfinite(forget_bias)
    ):
        raise UserError(f"forget_bias must be a finite number or None, got {forget_bias!r}")


DEFAULT_FORGET_BIAS = 1.0


def lstm_shapes(
    input_size: int,
    hidden_size: int,
    proj_size: int,
    bias: bool,
    gates: tuple[str, ...],
    peephole: bool,
    layer_norm: bool,
) -> dict[str, tuple[int, ...]]:
    """Parameter shapes of one LSTM layer/direction; the short names are LSTMWeights fields."""
    H, P, G = hidden_size, proj_size or hidden_size, len(gates) * hidden_size
    shapes: dict[str, tuple[int, ...]] = {"weight_ih": (G, input_size), "weight_hh": (G, P)}
    if bias:
        shapes.update(bias_ih=(G,), bias_hh=(G,))
    if proj_size:
        shapes.update(weight_hr=(P, H))
    if peephole:
        shapes.update(weight_peephole=(len(gates) - 1, H))
    if layer_norm:
        shapes.update(weight_ln_ih=(G,), weight_ln_hh=(G,), weight_ln_c=(H,), bias_ln_c=(H,))
    return shapes


def init_lstm(
    params: dict[str, Tensor], hidden_size: int, gates: tuple[str, ...], forget_bias: float | None
) -> None:
    """After the uniform init: LN gains 1, LN shift 0, forget bias (see the module docstring)."""
    with torch.no_grad():
        for name in ("weight_ln_ih", "weight_ln_hh", "weight_ln_c"):
            if params.get(name) is not None:
                params[name].fill_(1.0)
        if params.get("bias_ln_c") is not None:
            params["bias_ln_c"].zero_()
        if forget_bias is not None and "f" in gates and params.get("bias_ih") is not None:
            k = gates.index("f")
            block = slice(k * hidden_size, (k + 1) * hidden_size)
            params["bias_ih"][block] = forget_bias
            params["bias_hh"][block] = 0.0


def lstm_weights(params: dict[str, Tensor | None]) -> LSTMWeights:
    return LSTMWeights(**{name: params.get(name) for name in LSTMWeights._fields})


class _LSTMOptions:
    """The variant options shared by :class:`LSTM` and :class:`LSTMCell`."""

    forget_gate: bool
    coupled: bool
    peephole: bool
    layer_norm: bool
    forget_bias: float | None

    def _set_options(
        self, forget_gate: bool, peephole: bool, coupled: bool, layer_norm: bool,
        forget_bias: float | None,
    ) -> None:
        check_lstm_options(forget_gate, coupled, forget_bias, self.init)
        self.forget_gate = bool(forget_gate)
        self.peephole = bool(peephole)
        self.coupled = bool(coupled)
        self.layer_norm = bool(layer_norm)
        # init="torch": the forget bias stays as drawn, as forget_bias=None does
        keep_draw = forget_bias is None or self.init == "torch"
        self.forget_bias = None if keep_draw else float(forget_bias)
        self.gates = lstm_gate_names(self.forget_gate, self.coupled)

    def _family_repr(self) -> dict[str, Any]:
        defaults = {"forget_gate": True, "peephole": False, "coupled": False,
                    "layer_norm": False,
                    "forget_bias": None if self.init == "torch" else DEFAULT_FORGET_BIAS}
        return {k: getattr(self, k) for k, v in defaults.items() if getattr(self, k) != v}

    def torch_unsupported(self) -> list[str]:
        bad = [] if self.forget_gate else ["forget_gate=False (the 1997 cell)"]
        return bad + [f"{k}=True" for k in ("peephole", "coupled", "layer_norm")
                      if getattr(self, k)]


@documented
class LSTM(_LSTMOptions, RecurrentLayer):
    r"""A stack of LSTM layers, a drop-in for ``torch.nn.LSTM`` with the variants of the family.

    Args: as ``torch.nn.LSTM`` (``proj_size`` included), plus the keyword options
    ``forget_gate``, ``peephole``, ``coupled``, ``layer_norm``, ``forget_bias`` (see the module
    docstring), ``backend`` (``"auto"`` | ``"fused"`` torch's kernel | ``"bptt"`` hand-written
    backward | ``"reference"`` autograd; see :mod:`rnnlab.nn.backend`) and
    ``init`` (``"default"`` | ``"torch"``: exactly torch.nn's initial weights for the same seed),
    and the regularisers below (:mod:`rnnlab.nn.regularisers`); with ``proj_size`` zoneout on
    h acts on the projected h.

    With the defaults the layer computes exactly what ``torch.nn.LSTM`` computes.

    Shapes: input (T, B, I) ((B, T, I) with batch_first; (T, I) unbatched; or packed),
    (h_0 (L*D, B, P), c_0 (L*D, B, H)) -> output (T, B, D*P), (h_n (L*D, B, P),
    c_n (L*D, B, H)), with P = proj_size or H and D = 2 if bidirectional else 1.
    """

    kind = "LSTM"
    torch_class: ClassVar[type[nn.Module]] = nn.LSTM
    num_states = 2

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        forget_gate: bool = True,
        peephole: bool = False,
        coupled: bool = False,
        layer_norm: bool = False,
        forget_bias: float | None = DEFAULT_FORGET_BIAS,
        backend: str = "auto",
        init: str = "default",
        **regularisers: Unpack[CellRegulariserOptions],
    ) -> None:
        RecurrentLayer.__init__(
            self, input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, proj_size, device=device, dtype=dtype, backend=backend, init=init,
            **regularisers,
        )
        self._set_options(forget_gate, peephole, coupled, layer_norm, forget_bias)
        self._build()

    def torch_mode(self) -> str | None:
        variant = self.peephole or self.coupled or self.layer_norm or not self.forget_gate
        return None if variant else "LSTM"

    def fused_on_cpu(self, data: Tensor, training: bool) -> bool:
        # oneDNN runs the whole layer as one kernel, faster than rnnlab's loop in inference;
        # but it has no projection, and torch's fallback for one is an unfused loop, slower
        # than rnnlab's. In training, where the C++ core multiplies by its own AVX-512 or AVX2
        # panels (float32), rnnlab's forward and backward measured as fast as oneDNN's or
        # faster at every size of the grid (docs/benchmarks.md, "rnnlab's own products on
        # AVX-512" and "... on AVX2").
        if self.proj_size:
            return False
        if not training:
            return True
        own = data.dtype == torch.float32 and lstm_cpp.own_products() and self.bptt_runs_cpp(data)
        return not own

    def bptt_runs_cpp(self, data: Tensor) -> bool:
        # the same decision lstm_sequence makes on the tensors (rnnlab.bptt.lstm_cpp.covers)
        return lstm_cpp.covers(data.device, data.dtype, in_loop_masks=self.masks_in_loop())

    def variant_name(self) -> str:
        options = {"peephole=True": self.peephole, "coupled=True": self.coupled,
                   "layer_norm=True": self.layer_norm, "forget_gate=False": not self.forget_gate}
        return " or ".join(name for name, on in options.items() if on)

    def _direction_shapes(self, layer_input_size: int) -> dict[str, tuple[int, ...]]:
        return lstm_shapes(
            layer_input_size, self.hidden_size, self.proj_size, self.bias, self.gates,
            self.peephole, self.layer_norm,
        )

    def _state_sizes(self) -> tuple[int, ...]:
        return (self.proj_size or self.hidden_size, self.hidden_size)

    def _init_direction(self, params: dict[str, Tensor]) -> None:
        init_lstm(params, self.hidden_size, self.gates, self.forget_bias)

    def _run_direction(
        self, x: Tensor, states: States, params: dict[str, Tensor], batch_sizes: Tensor | None,
        masks: Masks = NO_MASKS,
    ) -> tuple[Tensor, States]:
        out, h, c = lstm_bptt.lstm_sequence(
            x, states[0], states[1], lstm_weights(params), forget_gate=self.forget_gate,
            coupled=self.coupled, batch_sizes=batch_sizes, backend=self._sequence_backend(),
            masks=masks,
        )
        return out, (h, c)

    def step(
        self, x: Tensor, states: States, params: dict[str, Tensor],
        record: dict[str, Tensor] | None = None,
    ) -> States:
        return lstm_step(x, states[0], states[1], lstm_weights(params), self.forget_gate,
                         self.coupled, record=record)

    def recorded_gates(self) -> tuple[str, ...]:
        # the coupled cell records i = 1 - f too: every gate but the missing forget gate
        return lstm_gate_names(self.forget_gate)

    def _torch_options(self) -> dict[str, Any]:
        return {"proj_size": self.proj_size}

    @classmethod
    def _options_from_torch(cls, module: nn.Module) -> dict[str, Any]:
        # the copied forget bias stays as it is (no re-initialisation)
        return {"proj_size": module.proj_size, "forget_bias": None}


class LSTMCell(_LSTMOptions, RecurrentCell):
    r"""One LSTM step with every variant of the family; with the defaults (and proj_size=0) a
    drop-in for ``torch.nn.LSTMCell``. Equations and options: see the module docstring.

    Shapes: input (B, I) or (I,), hx = (h (B, P), c (B, H)) or unbatched (zeros if omitted)
    -> (h', c') of the same shapes; P = proj_size or H.
    """

    kind = "LSTMCell"
    torch_class: ClassVar[type[nn.Module]] = nn.LSTMCell
    num_states = 2

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        *,
        proj_size: int = 0,
        forget_gate: bool = True,
        peephole: bool = False,
        coupled: bool = False,
        layer_norm: bool = False,
        forget_bias: float | None = DEFAULT_FORGET_BIAS,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        init: str = "default",
    ) -> None:
        RecurrentCell.__init__(self, input_size, hidden_size, bias, device, dtype, init)
        check_proj_size(proj_size, hidden_size)
        self.proj_size = int(proj_size)
        self._set_options(forget_gate, peephole, coupled, layer_norm, forget_bias)
        self._build()

    def _param_shapes(self) -> dict[str, tuple[int, ...]]:
        return lstm_shapes(
            self.input_size, self.hidden_size, self.proj_size, self.bias, self.gates,
            self.peephole, self.layer_norm,
        )

    def _state_sizes(self) -> tuple[int, ...]:
        return (self.proj_size or self.hidden_size, self.hidden_size)

    def _init_params(self, params: dict[str, Tensor]) -> None:
        init_lstm(params, self.hidden_size, self.gates, self.forget_bias)

    def _step(self, x: Tensor, states: States) -> States:
        w = lstm_weights(dict(self.named_parameters()))
        return lstm_step(x, states[0], states[1], w, self.forget_gate, self.coupled)

    def _family_repr(self) -> dict[str, Any]:
        extra = {"proj_size": self.proj_size} if self.proj_size else {}
        return extra | super()._family_repr()

    def torch_unsupported(self) -> list[str]:
        projection = [f"proj_size={self.proj_size} (torch.nn.LSTMCell has no projection)"]
        return super().torch_unsupported() + (projection if self.proj_size else [])

    @classmethod
    def _options_from_torch(cls, module: nn.Module) -> dict[str, Any]:
        return {"forget_bias": None}
