"""Map configuration dataclasses onto command-line options, and back.

Each dataclass field becomes ``--field-name`` with the field's default, its type, and as help the
one-line comment written beside the field in the dataclass's source, so the configs stay the
single place where an option is described.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
import types
import typing
from typing import Any

from rnnlab.errors import UserError
from rnnlab.train.ranges import Range

_FIELD_COMMENT = re.compile(r"^\s+(\w+)\s*:[^#]*#\s*(.+?)\s*$")


def field_help(cls: type) -> dict[str, str]:
    """The trailing comment of each field line in ``cls``'s source, by field name."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    return {m.group(1): m.group(2) for m in map(_FIELD_COMMENT.match, source.splitlines()) if m}


def _strip_none(annotation: Any) -> Any:
    """``X`` for ``X | None``; anything else unchanged."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _base_type(annotation: Any) -> Any:
    """int for ``int``, ``int | None`` and ``tuple[int, ...]`` alike; the element type to parse."""
    annotation = _strip_none(annotation)
    if typing.get_origin(annotation) is tuple:
        return typing.get_args(annotation)[0]
    return annotation


def _parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def ranged(base: type, rng: Range) -> Any:
    """An argparse ``type`` that parses with ``base`` and checks the value is in ``rng``."""

    def parse(text: str) -> Any:
        value = base(text)  # a ValueError becomes argparse's "invalid int value"
        if not rng.contains(value):
            raise argparse.ArgumentTypeError(f"must be {rng.describe()}, got {text!r}")
        return value

    parse.__name__ = base.__name__  # argparse names the type in its messages
    return parse


def add_dataclass_options(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    cls: type,
    *,
    skip: tuple[str, ...] = (),
    prefix: str = "",
    ranges: dict[str, Range] | None = None,
) -> None:
    """Add ``--<prefix><field>`` for every field of the dataclass ``cls`` (None = keep default).

    A field with an entry in ``ranges`` is checked as it is parsed: a value outside is a usage
    error (one line, exit 2) before anything runs.
    """
    ranges = ranges or {}
    hints = typing.get_type_hints(cls)
    helps = field_help(cls)
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        annotation = hints[f.name]
        base = _base_type(annotation)
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        flag = "--" + prefix + f.name.replace("_", "-")
        text = f"{helps.get(f.name, '')} (default: {default!r})"
        kwargs: dict[str, Any] = {"dest": prefix.replace("-", "_") + f.name, "default": None}
        parse = ranged(base, ranges[f.name]) if f.name in ranges else base
        if base is bool:
            kwargs.update(type=_parse_bool, metavar="BOOL")
        elif typing.get_origin(_strip_none(annotation)) is tuple:
            kwargs.update(type=parse, nargs="*", metavar=base.__name__.upper())
        else:
            kwargs.update(type=parse if base in (int, float, str) else str)
        parser.add_argument(flag, help=text, **kwargs)


def dataclass_from_args(
    cls: type, args: argparse.Namespace, base: Any = None, *, prefix: str = ""
) -> Any:
    """Build ``cls`` from ``base`` (or the defaults) overridden by the options the user gave."""
    values = dataclasses.asdict(base) if base is not None else {}
    for f in dataclasses.fields(cls):
        given = getattr(args, prefix.replace("-", "_") + f.name, None)
        if given is not None:
            values[f.name] = tuple(given) if isinstance(given, list) else given
    try:
        return cls(**values)
    except (TypeError, ValueError) as err:
        raise UserError(str(err)) from None
