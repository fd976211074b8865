r"""Elman recurrent networks: the one-step :class:`RNNCell` and the sequence layer :class:`RNN`.

.. math::
    h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}), \qquad
    \phi \in \{\tanh, \mathrm{relu}, \sigma\}

(the step is :func:`rnnlab.bptt.reference.elman_step`). Shapes: W_ih (H, I), W_hh (H, H),
b_ih and b_hh (H,). ``nonlinearity="sigmoid"`` is an rnnlab addition (torch has tanh and relu).
"""

from __future__ import annotations

from typing import Any, Unpack

import torch
from torch import Tensor, nn

from rnnlab.bptt import elman as elman_bptt
from rnnlab.bptt import elman_cpp
from rnnlab.bptt.masks import NO_MASKS, Masks
from rnnlab.bptt.reference import ACTIVATIONS, elman_step
from rnnlab.errors import UserError
from rnnlab.nn.cell import RecurrentCell
from rnnlab.nn.checks import States
from rnnlab.nn.recurrent import RecurrentLayer
from rnnlab.nn.regularisers import RegulariserOptions, documented

NONLINEARITIES = tuple(ACTIVATIONS)  # ("tanh", "relu", "sigmoid")


def _check_nonlinearity(nonlinearity: str) -> str:
    if nonlinearity not in NONLINEARITIES:
        raise UserError(  # torch's message, with rnnlab's third choice
            f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh', 'relu' or 'sigmoid'."
        )
    return nonlinearity


def elman_shapes(input_size: int, hidden_size: int, bias: bool) -> dict[str, tuple[int, ...]]:
    """Parameter shapes of one Elman layer/direction, by short name."""
    H = hidden_size
    shapes: dict[str, tuple[int, ...]] = {"weight_ih": (H, input_size), "weight_hh": (H, H)}
    if bias:
        shapes.update(bias_ih=(H,), bias_hh=(H,))
    return shapes


class _ElmanOptions:
    """The option shared by :class:`RNN` and :class:`RNNCell`, and what torch.nn makes of it."""

    nonlinearity: str

    def _family_repr(self) -> dict[str, Any]:
        return {"nonlinearity": self.nonlinearity} if self.nonlinearity != "tanh" else {}

    def _torch_options(self) -> dict[str, Any]:
        return {"nonlinearity": self.nonlinearity}

    @classmethod
    def _options_from_torch(cls, module: nn.Module) -> dict[str, Any]:
        return {"nonlinearity": module.nonlinearity}

    def torch_unsupported(self) -> list[str]:
        return [] if self.nonlinearity in ("tanh", "relu") else [
            f"nonlinearity={self.nonlinearity!r}"]


@documented
class RNN(_ElmanOptions, RecurrentLayer):
    r"""A stack of Elman layers, a drop-in for ``torch.nn.RNN``.

    Each layer and direction computes :math:`h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1}
    + b_{hh})` over time; layer k > 0 reads the (dropped-out, in training) outputs of layer
    k - 1, both directions concatenated.

    Args: as ``torch.nn.RNN`` (``nonlinearity`` may also be ``"sigmoid"``), plus ``backend``:
    ``"auto"`` | ``"fused"`` (torch's kernel) | ``"bptt"`` (hand-written backward,
    :mod:`rnnlab.bptt.elman`) | ``"reference"`` (autograd), see :mod:`rnnlab.nn.backend`;
    ``init`` (``"default"`` or ``"torch"``; for this family both are torch.nn's draw); and the
    regularisers below (:mod:`rnnlab.nn.regularisers`).

    Shapes: input (T, B, I) ((B, T, I) with batch_first; (T, I) unbatched; or packed),
    h_0 (L*D, B, H) -> output (T, B, D*H), h_n (L*D, B, H), D = 2 if bidirectional else 1.
    """

    kind = "RNN"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        backend: str = "auto",
        init: str = "default",
        **regularisers: Unpack[RegulariserOptions],
    ) -> None:
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
            proj_size=0, device=device, dtype=dtype, backend=backend, init=init, **regularisers,
        )
        self.nonlinearity = _check_nonlinearity(nonlinearity)
        self._build()

    def torch_mode(self) -> str | None:
        return {"tanh": "RNN_TANH", "relu": "RNN_RELU"}.get(self.nonlinearity)

    def bptt_runs_cpp(self, data: Tensor) -> bool:
        # the same decision ElmanFunction makes on the tensors (rnnlab.bptt.elman_cpp.covers)
        return elman_cpp.covers(data.device, data.dtype, in_loop_masks=self.masks_in_loop())

    def variant_name(self) -> str:
        return f"nonlinearity={self.nonlinearity!r}"

    def _direction_shapes(self, layer_input_size: int) -> dict[str, tuple[int, ...]]:
        return elman_shapes(layer_input_size, self.hidden_size, self.bias)

    def _state_sizes(self) -> tuple[int, ...]:
        return (self.hidden_size,)

    def _run_direction(
        self, x: Tensor, states: States, params: dict[str, Tensor], batch_sizes: Tensor | None,
        masks: Masks = NO_MASKS,
    ) -> tuple[Tensor, States]:
        out, h = elman_bptt.elman_sequence(
            x, states[0], params["weight_ih"], params["weight_hh"],
            params.get("bias_ih"), params.get("bias_hh"),
            nonlinearity=self.nonlinearity, batch_sizes=batch_sizes,
            backend=self._sequence_backend(), masks=masks,
        )
        return out, (h,)

    def step(
        self, x: Tensor, states: States, params: dict[str, Tensor],
        record: dict[str, Tensor] | None = None,
    ) -> States:
        h = elman_step(x, states[0], params["weight_ih"], params["weight_hh"],
                       params.get("bias_ih"), params.get("bias_hh"), self.nonlinearity)
        return (h,)


class RNNCell(_ElmanOptions, RecurrentCell):
    r"""One Elman step, a drop-in for ``torch.nn.RNNCell``:
    :math:`h' = \phi(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})`.

    Shapes: input (B, I) or (I,), hx (B, H) or (H,) (zeros if omitted) -> h' like hx.
    """

    kind = "RNNCell"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        init: str = "default",
    ) -> None:
        super().__init__(input_size, hidden_size, bias, device, dtype, init)
        self.nonlinearity = _check_nonlinearity(nonlinearity)
        self._build()

    def _param_shapes(self) -> dict[str, tuple[int, ...]]:
        return elman_shapes(self.input_size, self.hidden_size, self.bias)

    def _state_sizes(self) -> tuple[int, ...]:
        return (self.hidden_size,)

    def _step(self, x: Tensor, states: States) -> States:
        h = elman_step(
            x, states[0], self.weight_ih, self.weight_hh,
            self.bias_ih, self.bias_hh, self.nonlinearity,
        )
        return (h,)
