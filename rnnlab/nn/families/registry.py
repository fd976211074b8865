"""The registry of families: the one table that maps a family's name (or a layer) to its
:class:`~rnnlab.nn.families.record.Family` record."""

from __future__ import annotations

from torch import nn

from rnnlab.errors import UserError
from rnnlab.nn.families.record import Family

_FAMILIES: dict[str, Family] = {}  # by name, in registration order


def register(family: Family) -> Family:
    """Add ``family`` to the registry (a name may be registered once); returns it."""
    if family.name in _FAMILIES:
        raise UserError(f"a model family named {family.name!r} is already registered")
    _FAMILIES[family.name] = family
    return family


def families() -> tuple[Family, ...]:
    """Every registered family, in registration order (mlp, rnn, lstm, gru first)."""
    return tuple(_FAMILIES.values())


def family_names() -> tuple[str, ...]:
    """The names of every registered family: the choices of ``ModelConfig.family``."""
    return tuple(_FAMILIES)


def find_family(name: str) -> Family | None:
    """The family called ``name``, None if there is none."""
    return _FAMILIES.get(name)


def family(name: str) -> Family:
    """The family called ``name``; UserError naming the choices if there is none."""
    found = _FAMILIES.get(name)
    if found is None:
        raise UserError(f"unknown model family {name!r}; choose one of {family_names()}")
    return found


def family_of_layer(module: nn.Module) -> Family | None:
    """The family whose layer or cell class ``module`` is an instance of (None: none)."""
    for candidate in _FAMILIES.values():
        classes = tuple(c for c in (candidate.layer, candidate.cell) if c is not None)
        if classes and isinstance(module, classes):
            return candidate
    return None
