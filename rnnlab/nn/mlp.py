r"""The feed-forward network: :class:`MLP`, any number of hidden layers of any widths.

.. math::
    h_0 = x, \qquad h_k = \mathrm{dropout}(\phi(W_k h_{k-1} + b_k)) \;(k = 1..K), \qquad
    y = W_{K+1} h_K + b_{K+1}

with :math:`\phi` one of tanh, relu, sigmoid, gelu. Applies to the last dimension:
(..., in_features) -> (..., out_features). ``hidden_sizes=()`` gives a single linear layer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from rnnlab.errors import UserError
from rnnlab.nn.checks import check_dropout, check_positive_int

MLP_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
}


class MLP(nn.Sequential):
    """Linear -> activation -> dropout for each hidden width, then a last Linear.

    Args:
        in_features: width of the input's last dimension.
        hidden_sizes: widths of the hidden layers, in order (a sequence of ints; may be empty).
        out_features: width of the output's last dimension.
        activation: ``"tanh"`` | ``"relu"`` | ``"sigmoid"`` | ``"gelu"``.
        dropout: probability of zeroing a hidden unit (training mode only).
        bias, device, dtype: as ``torch.nn.Linear``.
    """

    def __init__(
        self,
        in_features: int,
        hidden_sizes: Sequence[int],
        out_features: int,
        activation: str = "tanh",
        dropout: float = 0.0,
        *,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_positive_int("in_features", in_features)
        check_positive_int("out_features", out_features)
        if isinstance(hidden_sizes, int | str) or not isinstance(hidden_sizes, Sequence):
            raise UserError(
                f"hidden_sizes must be a sequence of ints (e.g. [64, 64], or [] for a linear "
                f"model), got {hidden_sizes!r}"
            )
        for k, width in enumerate(hidden_sizes):
            check_positive_int(f"hidden_sizes[{k}]", width)
        if activation not in MLP_ACTIVATIONS:
            raise UserError(
                f"unknown activation {activation!r}; choose one of {tuple(MLP_ACTIVATIONS)}"
            )
        p = check_dropout(dropout)
        factory = {"device": device, "dtype": dtype}
        layers: list[nn.Module] = []
        width_in = in_features
        for width in hidden_sizes:
            layers.append(nn.Linear(width_in, width, bias=bias, **factory))
            layers.append(MLP_ACTIVATIONS[activation]())
            if p > 0:
                layers.append(nn.Dropout(p))
            width_in = width
        layers.append(nn.Linear(width_in, out_features, bias=bias, **factory))
        super().__init__(*layers)
        self.in_features = int(in_features)
        self.hidden_sizes = tuple(int(w) for w in hidden_sizes)
        self.out_features = int(out_features)
        self.activation = activation
        self.dropout = p
