"""What the helpers of a recurrent layer read from it, as a Protocol.

:mod:`rnnlab.nn.backend` (which kernel runs), :mod:`rnnlab.nn.torch_kernel` (the traced
path) and :mod:`rnnlab.nn.regularisers` (the masks) are used by
:class:`~rnnlab.nn.RecurrentLayer` itself, so they cannot import it, not even for the type
checker, without an import circle; they name this view of it instead, which the layer
satisfies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from torch import Tensor
from torch.nn import Parameter


class LayerView(Protocol):
    """The attributes of a :class:`~rnnlab.nn.RecurrentLayer` its helpers read."""

    training: bool
    backend: str
    last_kernel: str | None
    num_layers: int
    bias: bool
    bidirectional: bool
    dropout: float
    # and each regulariser of rnnlab.nn.regularisers.REGULARISERS the family reads, by name
    _flat_weights_names: list[str]

    def torch_mode(self) -> str | None: ...

    def variant_name(self) -> str: ...

    def fused_on_cpu(self, data: Tensor, training: bool) -> bool: ...

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]: ...

    def bptt_runs_cpp(self, data: Tensor) -> bool: ...

    def extra_repr(self) -> str: ...

    def regularisers_in_effect(self) -> list[str]: ...

    def _state_sizes(self) -> tuple[int, ...]: ...
