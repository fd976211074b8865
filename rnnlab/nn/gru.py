r"""Gated recurrent units: the one-step :class:`GRUCell` and the sequence layer :class:`GRU`.

Gate order r, z, n (rows of the (3H, ·) weights), as ``torch.nn.GRU``:

.. math::
    r &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
    z &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
    n &= \tanh(W_{in} x_t + b_{in} + r \odot (W_{hn} h_{t-1} + b_{hn}))
         \quad\text{(reset\_after=True: torch/cuDNN)} \\
    n &= \tanh(W_{in} x_t + b_{in} + W_{hn} (r \odot h_{t-1}) + b_{hn})
         \quad\text{(reset\_after=False: Cho et al. 2014)} \\
    h_t &= (1 - z) \odot n + z \odot h_{t-1}

(the step is :func:`rnnlab.bptt.reference.gru_step`). Shapes: W_ih (3H, I), W_hh (3H, H),
b_ih and b_hh (3H,).
"""

from __future__ import annotations

from typing import Any, ClassVar, Unpack

import torch
from torch import Tensor, nn

from rnnlab.bptt import gru as gru_bptt
from rnnlab.bptt import gru_cpp
from rnnlab.bptt.masks import NO_MASKS, Masks
from rnnlab.bptt.reference import gru_step
from rnnlab.nn.cell import RecurrentCell
from rnnlab.nn.checks import States
from rnnlab.nn.recurrent import RecurrentLayer
from rnnlab.nn.regularisers import RegulariserOptions, documented


def gru_shapes(input_size: int, hidden_size: int, bias: bool) -> dict[str, tuple[int, ...]]:
    """Parameter shapes of one GRU layer/direction, by short name."""
    G = 3 * hidden_size
    shapes: dict[str, tuple[int, ...]] = {
        "weight_ih": (G, input_size),
        "weight_hh": (G, hidden_size),
    }
    if bias:
        shapes.update(bias_ih=(G,), bias_hh=(G,))
    return shapes


class _GRUOptions:
    """The option shared by :class:`GRU` and :class:`GRUCell`, and what torch.nn makes of it."""

    reset_after: bool

    def _family_repr(self) -> dict[str, Any]:
        return {} if self.reset_after else {"reset_after": False}

    def torch_unsupported(self) -> list[str]:
        return [] if self.reset_after else ["reset_after=False (Cho et al.'s reset-before GRU)"]


@documented
class GRU(_GRUOptions, RecurrentLayer):
    r"""A stack of GRU layers, a drop-in for ``torch.nn.GRU``.

    Args: as ``torch.nn.GRU``, plus ``reset_after`` (True: torch's form, the reset gate
    scales :math:`W_{hn} h + b_{hn}`; False: Cho et al.'s, it scales h before
    :math:`W_{hn}`), ``backend`` (``"auto"`` | ``"fused"`` | ``"bptt"`` | ``"reference"``, see
    :mod:`rnnlab.nn.backend`),
    ``init`` (``"default"`` or ``"torch"``; for this family both are torch.nn's draw) and the
    regularisers below (:mod:`rnnlab.nn.regularisers`). Recurrent dropout masks h_{t-1}
    wherever it enters a matmul with W_hh; the interpolation :math:`z \odot h_{t-1}` reads h
    unmasked.

    Shapes: input (T, B, I) ((B, T, I) with batch_first; (T, I) unbatched; or packed),
    h_0 (L*D, B, H) -> output (T, B, D*H), h_n (L*D, B, H), D = 2 if bidirectional else 1.
    """

    kind = "GRU"
    torch_class: ClassVar[type[nn.Module]] = nn.GRU
    cpu_autocast_lowers = False  # torch's CPU autocast runs gru in float32

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        reset_after: bool = True,
        backend: str = "auto",
        init: str = "default",
        **regularisers: Unpack[RegulariserOptions],
    ) -> None:
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
            proj_size=0, device=device, dtype=dtype, backend=backend, init=init, **regularisers,
        )
        self.reset_after = bool(reset_after)
        self._build()

    def torch_mode(self) -> str | None:
        return "GRU" if self.reset_after else None

    def bptt_runs_cpp(self, data: Tensor) -> bool:
        # the same decision GRUFunction makes on the tensors (rnnlab.bptt.gru_cpp.covers)
        return gru_cpp.covers(data.device, data.dtype, in_loop_masks=self.masks_in_loop())

    def variant_name(self) -> str:
        return "reset_after=False"

    def _direction_shapes(self, layer_input_size: int) -> dict[str, tuple[int, ...]]:
        return gru_shapes(layer_input_size, self.hidden_size, self.bias)

    def _state_sizes(self) -> tuple[int, ...]:
        return (self.hidden_size,)

    def _run_direction(
        self, x: Tensor, states: States, params: dict[str, Tensor], batch_sizes: Tensor | None,
        masks: Masks = NO_MASKS,
    ) -> tuple[Tensor, States]:
        out, h = gru_bptt.gru_sequence(
            x, states[0], params["weight_ih"], params["weight_hh"],
            params.get("bias_ih"), params.get("bias_hh"),
            reset_after=self.reset_after, batch_sizes=batch_sizes, backend=self._sequence_backend(),
            masks=masks,
        )
        return out, (h,)

    def step(
        self, x: Tensor, states: States, params: dict[str, Tensor],
        record: dict[str, Tensor] | None = None,
    ) -> States:
        h = gru_step(x, states[0], params["weight_ih"], params["weight_hh"],
                     params.get("bias_ih"), params.get("bias_hh"), self.reset_after, record)
        return (h,)

    def recorded_gates(self) -> tuple[str, ...]:
        return ("r", "z", "n")


class GRUCell(_GRUOptions, RecurrentCell):
    r"""One GRU step (equations in the module docstring), a drop-in for ``torch.nn.GRUCell``.

    Shapes: input (B, I) or (I,), hx (B, H) or (H,) (zeros if omitted) -> h' like hx.
    """

    kind = "GRUCell"
    torch_class: ClassVar[type[nn.Module]] = nn.GRUCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        reset_after: bool = True,
        init: str = "default",
    ) -> None:
        super().__init__(input_size, hidden_size, bias, device, dtype, init)
        self.reset_after = bool(reset_after)
        self._build()

    def _param_shapes(self) -> dict[str, tuple[int, ...]]:
        return gru_shapes(self.input_size, self.hidden_size, self.bias)

    def _state_sizes(self) -> tuple[int, ...]:
        return (self.hidden_size,)

    def _step(self, x: Tensor, states: States) -> States:
        h = gru_step(
            x, states[0], self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
            self.reset_after,
        )
        return (h,)
