"""Map configuration dataclasses onto command-line options, and back.

Each dataclass field becomes ``--field-name`` with the field's default, its type, and as help the
one-line comment written beside the field in the dataclass's source, so the configs stay the
single place where an option is described. A boolean field is a flag, ``--name`` /
``--no-name``, that also takes a value (``--name false``), as it did before it was a flag.
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
from rnnlab.utils.booleans import bool_from_text

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
    value = bool_from_text(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return value


class BoolFlag(argparse.BooleanOptionalAction):
    """``--name`` (true) and ``--no-name`` (false), like argparse's BooleanOptionalAction, and
    ``--name VALUE`` with VALUE one of true/false, yes/no, on/off, 1/0."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, default=kwargs.get("default"),
                         required=kwargs.get("required", False), help=kwargs.get("help"))
        self.nargs, self.type, self.metavar = "?", _parse_bool, "BOOL"

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        negative = option_string is not None and option_string.startswith("--no-")
        if negative and values is not None:
            raise argparse.ArgumentError(self, f"{option_string} takes no value")
        setattr(namespace, self.dest, not negative if values is None else values)

    def invocation(self) -> str:
        """How ``--help`` shows it: ``--name [BOOL], --no-name``."""
        return ", ".join(o if o.startswith("--no-") else f"{o} [BOOL]" for o in self.option_strings)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's help, with :class:`BoolFlag` shown as ``--name [BOOL], --no-name``."""

    def _format_action_invocation(self, action: argparse.Action) -> str:
        if isinstance(action, BoolFlag):
            return action.invocation()
        return super()._format_action_invocation(action)


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
    short: dict[str, str] | None = None,
    parsers: dict[str, tuple[Any, str]] | None = None,
) -> None:
    """Add ``--<prefix><field>`` for every field of the dataclass ``cls`` (None = keep default).

    A field with an entry in ``ranges`` is checked as it is parsed: a value outside is a usage
    error (one line, exit 2) before anything runs. ``short`` adds a short form (``{"output":
    "-o"}``); ``parsers`` gives a field its own ``(type, metavar)`` instead of the one its
    annotation implies (e.g. a tuple written as one comma-separated word).
    """
    ranges, short, parsers = ranges or {}, short or {}, parsers or {}
    hints = typing.get_type_hints(cls)
    helps = field_help(cls)
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        annotation = hints[f.name]
        base = _base_type(annotation)
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        flags = [*([short[f.name]] if f.name in short else []),
                 "--" + prefix + f.name.replace("_", "-")]
        shown = ",".join(default) if f.name in parsers and isinstance(default, tuple) else default
        text = f"{helps.get(f.name, '')} (default: {shown!r})"
        kwargs: dict[str, Any] = {"dest": prefix.replace("-", "_") + f.name, "default": None}
        parse = ranged(base, ranges[f.name]) if f.name in ranges else base
        if f.name in parsers:
            kwargs.update(type=parsers[f.name][0], metavar=parsers[f.name][1])
        elif base is bool:
            kwargs.update(action=BoolFlag)
        elif typing.get_origin(_strip_none(annotation)) is tuple:
            kwargs.update(type=parse, nargs="*", metavar=base.__name__.upper())
        else:
            kwargs.update(type=parse if base in (int, float, str) else str)
        parser.add_argument(*flags, help=text, **kwargs)


def dataclass_from_args(
    cls: type,
    args: argparse.Namespace,
    base: Any = None,
    *,
    prefix: str = "",
    skip: tuple[str, ...] = (),
) -> Any:
    """Build ``cls`` from ``base`` (an instance, or a dict of some of its fields, or None for
    the defaults) overridden by the options the user gave; fields in ``skip`` have no option."""
    if base is None or isinstance(base, dict):
        values = dict(base or {})
    else:
        values = dataclasses.asdict(base)
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        given = getattr(args, prefix.replace("-", "_") + f.name, None)
        if given is not None:
            values[f.name] = tuple(given) if isinstance(given, list) else given
    try:
        return cls(**values)
    except (TypeError, ValueError) as err:
        raise UserError(str(err)) from None
