"""The base of every one-step cell of :mod:`rnnlab.nn` (``RNNCell``, ``LSTMCell``, ``GRUCell``).

:class:`RecurrentCell` plays the part of ``torch.nn.RNNCellBase``: it checks the arguments, the
input and the state (with torch's messages), accepts batched (B, I) and unbatched (I,) input,
and runs one step of the family's reference step function (:mod:`rnnlab.bptt.reference`).
A family supplies only

* ``_param_shapes()``: its parameters by torch's names (``weight_ih``, ``weight_hh``, ...);
* ``_state_sizes()``: the width of each state (RNN/GRU: ``(H,)``; LSTM: ``(P, H)``);
* ``_step(x, states)``: one step on batched input, returning the new states;
* optionally ``_init_params(params)``: initialisation beyond torch's uniform one;
* ``torch_class``, its twin in torch.nn, with ``_torch_options()`` / ``_options_from_torch()``
  and ``torch_unsupported()`` as for the layers (:class:`~rnnlab.nn.RecurrentLayer`).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from rnnlab.nn.checks import (
    States,
    as_states,
    check_bool,
    check_cell_input,
    check_cell_state,
    check_init,
    check_positive_int,
)
from rnnlab.nn.torch_twin import check_convertible, twin


class RecurrentCell(nn.Module):
    """Base of the one-step cells :class:`~rnnlab.nn.RNNCell`, ``LSTMCell``, ``GRUCell``.

    Shapes (as ``torch.nn.*Cell``): input (B, I) or (I,); states (B, ·) or (·,).
    A subclass sets its options, then calls ``self._build()``.
    """

    kind: ClassVar[str] = "RNNCell"
    torch_class: ClassVar[type[nn.Module]] = nn.RNNCell  # the torch.nn twin
    num_states: ClassVar[int] = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        init: str = "default",
    ) -> None:
        super().__init__()
        self.init = check_init(init)
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.bias = check_bool("bias", bias)
        self._factory = {"device": device, "dtype": dtype}

    def _param_shapes(self) -> dict[str, tuple[int, ...]]:
        raise NotImplementedError

    def _state_sizes(self) -> tuple[int, ...]:
        raise NotImplementedError

    def _step(self, x: Tensor, states: States) -> States:
        raise NotImplementedError

    def _init_params(self, params: dict[str, Tensor]) -> None:
        """Initialisation beyond torch's uniform one (none by default)."""

    def _torch_options(self) -> dict[str, Any]:
        """The family's arguments of its torch.nn twin (RNNCell: nonlinearity)."""
        return {}

    @classmethod
    def _options_from_torch(cls, module: nn.Module) -> dict[str, Any]:
        """The family's arguments read back from a torch.nn twin."""
        return {}

    def torch_unsupported(self) -> list[str]:
        """The options of this cell that torch.nn has no equivalent for (none by default)."""
        return []

    def _build(self) -> None:
        for name, shape in self._param_shapes().items():
            self.register_parameter(name, nn.Parameter(torch.empty(shape, **self._factory)))
        if not self.bias:  # as torch's cells: the attributes exist and are None
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's init, U(-1/sqrt(H), 1/sqrt(H)) for every parameter, then the family's.

        Drawn in torch.nn's order (weight_ih, weight_hh, bias_ih, bias_hh), so with
        ``init="torch"`` and the same seed a cell starts from exactly torch.nn's weights.
        """
        bound = 1.0 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound)
            self._init_params(dict(self.named_parameters()))

    def to_torch(self) -> nn.Module:
        """The ``torch.nn`` equivalent with the same weights; UserError naming every option
        torch.nn cannot express."""
        check_convertible(self.kind, self.torch_unsupported())
        return twin(self.torch_class, self, self.input_size, self.hidden_size, bias=self.bias,
                    **self._torch_options())

    @classmethod
    def from_torch(cls, module: nn.Module) -> RecurrentCell:
        """The equivalent of the torch.nn cell ``module`` (a ``torch_class``), weights copied
        and training mode kept."""
        return twin(cls, module, module.input_size, module.hidden_size, bias=module.bias,
                    **cls._options_from_torch(module))

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        for key, value in self._family_repr().items():
            s += f", {key}={value!r}"
        if self.init != "default":
            s += f", init={self.init!r}"
        return s

    def _family_repr(self) -> dict[str, Any]:
        return {}

    def forward(
        self, input: Tensor, hx: Tensor | tuple[Tensor, ...] | None = None
    ) -> Tensor | tuple[Tensor, ...]:
        """One step; returns h' (LSTMCell: ``(h', c')``)."""
        check_cell_input(self.kind, input, self.input_size, self.weight_ih)
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        sizes = self._state_sizes()
        if hx is None:
            states = tuple(x.new_zeros(x.shape[0], size) for size in sizes)
        else:
            states = as_states(hx, self.num_states, self.kind)
            for index, (s, size) in enumerate(zip(states, sizes, strict=True)):
                check_cell_state(self.kind, s, index, self.num_states, input, size,
                                 self.weight_ih)
            if not batched:
                states = tuple(s.unsqueeze(0) for s in states)
        new = self._step(x, states)
        if not batched:
            new = tuple(s.squeeze(0) for s in new)
        return new[0] if self.num_states == 1 else new
