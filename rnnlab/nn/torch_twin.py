"""Build the ``torch.nn`` twin of an rnnlab layer or cell (or the other way round), weights
included.

Parameter names are the same on both sides (``weight_ih_l0``, ..., ``weight_hr_l0_reverse``;
``weight_ih``, ... for cells), so a copy is a ``load_state_dict``. The layers and cells call
:func:`twin` from their ``to_torch`` / ``from_torch``; each family says only which torch class
is its twin and which of its options differ (see :class:`~rnnlab.nn.RecurrentLayer`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from torch import nn

from rnnlab.errors import UserError

M = TypeVar("M", bound=nn.Module)


def twin(make: Callable[..., M], source: nn.Module, *args: Any, **kwargs: Any) -> M:
    """``make(*args, **kwargs)`` on the device and dtype of ``source``, holding its weights
    and in its training mode.

    The warning about dropout with a single layer is silenced: whoever built ``source`` was
    already warned.
    """
    p = next(source.parameters())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        module = make(*args, device=p.device, dtype=p.dtype, **kwargs)
    module.load_state_dict(source.state_dict())
    return module.train(source.training)


def check_convertible(kind: str, unsupported: list[str]) -> None:
    """Raise UserError (a ValueError) naming every option torch.nn cannot express."""
    if unsupported:
        raise UserError(
            f"{kind} has no torch.nn equivalent with {', '.join(unsupported)}; "
            "only the configurations torch supports can be converted"
        )
