"""Architectures as data: a model's body written as a list of layers.

There is no single "LSTM network", only cells stacked in many configurations. A layer list
says which, one layer per item, in the order the data flows::

    dense:32, lstm:128:peephole, gru:64:bidirectional, dense:32

Each item is ``kind:size`` followed by options separated by ``:``:

* ``kind`` is ``dense`` (a per-step Linear and activation) or a recurrent family
  (``rnn``, ``lstm``, ``gru``); ``size`` is its width (units, or the hidden size H);
* an option is a named variant of the family (the words of the compare mini-language:
  ``peephole``, ``cifg``, ``1997``, ``reset-before``, ``relu``...), ``bidirectional``, or
  ``field=value`` for any :class:`~rnnlab.models.config.ModelConfig` field the family reads
  (``proj_size=32``, ``forget_bias=3``, ``nonlinearity=relu``).

A layer is exactly what it says: options are not inherited from the rest of the config. The
text is kept in a canonical form (``lstm:128:bidirectional=true:peephole=true``) so that two
spellings of the same layer compare equal, and a config survives a checkpoint's JSON unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rnnlab.errors import UserError
from rnnlab.nn.families import families
from rnnlab.utils.booleans import bool_from_text

DENSE = "dense"
DENSE_OPTIONS = ("nonlinearity",)
# Fields every recurrent layer reads, whatever its family.
LAYER_OPTIONS = ("bidirectional",)


@dataclass(frozen=True)
class LayerSpec:
    """One layer of a layer list: its kind, its width and the config fields it sets."""

    kind: str  # "dense" or a recurrent family name
    size: int  # units of a dense layer, hidden size H of a recurrent one
    options: tuple[tuple[str, Any], ...] = ()  # (field, value), sorted by field

    @property
    def recurrent(self) -> bool:
        return self.kind != DENSE

    def option(self, name: str, default: Any = None) -> Any:
        return dict(self.options).get(name, default)

    def scaled(self, ratio: float) -> LayerSpec:
        """The same layer with its width (and projection) times ``ratio``, each at least 1
        and a projection below the width (what the parameter-budget search varies)."""
        size = max(1, round(self.size * ratio))
        options = dict(self.options)
        if options.get("proj_size"):
            options["proj_size"] = max(1, min(round(options["proj_size"] * ratio), size - 1))
        return LayerSpec(self.kind, size, tuple(sorted(options.items())))

    def __str__(self) -> str:
        parts = [self.kind, str(self.size)]
        parts += [f"{k}={_value_text(v)}" for k, v in self.options]
        return ":".join(parts)


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def coerce_option(key: str, value: str, default: Any) -> Any:
    """``value`` (text) as the type of the field's ``default``; UserError if it is not one."""
    try:
        if isinstance(default, bool):
            word = bool_from_text(value)
            if word is None:
                raise ValueError(value)
            return word
        if isinstance(default, int | float | str):
            return type(default)(value)
    except ValueError:
        raise UserError(f"model option {key}={value!r} is not a valid "
                        f"{type(default).__name__}") from None
    raise UserError(f"model option {key!r} cannot be set in a model list")


def split_items(text: str) -> list[str]:
    """``"dense:32, lstm:64"`` -> ``["dense:32", "lstm:64"]``."""
    return [item.strip() for item in str(text).split(",") if item.strip()]


def parse_layer(
    text: str,
    words: Mapping[str, Mapping[str, Mapping[str, Any]]],
    reads: Mapping[str, Sequence[str]],
    defaults: Mapping[str, Any],
) -> LayerSpec:
    """One item (``"lstm:128:peephole"``) -> a :class:`LayerSpec`.

    ``words[kind]`` maps a variant word to the fields it sets, ``reads[kind]`` names the
    config fields a kind reads, ``defaults`` holds every field's default (for its type).
    """
    kind, *rest = [p.strip() for p in text.split(":")]
    if kind != DENSE and kind not in reads:
        raise UserError(f"unknown layer {text!r}; a layer is dense or one of "
                        f"{', '.join(reads)}, e.g. lstm:128:peephole or dense:32")
    if not rest or not rest[0].isdigit() or int(rest[0]) < 1:
        raise UserError(f"layer {text!r} needs a positive size after its kind, e.g. {kind}:64")
    size, options = int(rest[0]), rest[1:]
    allowed = DENSE_OPTIONS if kind == DENSE else (*reads[kind], *LAYER_OPTIONS)
    kind_words = dict(words.get(kind, {}))
    if kind == DENSE:
        kind_words.update({a: {"nonlinearity": a} for a in ("tanh", "relu", "sigmoid")})
    else:
        kind_words["bidirectional"] = {"bidirectional": True}
    values: dict[str, Any] = {}
    for option in filter(None, options):
        key, sep, value = option.partition("=")
        key = key.strip().replace("-", "_")
        if sep and key in allowed:
            values[key] = coerce_option(key, value.strip(), defaults[key])
        elif not sep and option in kind_words:
            values.update(kind_words[option])
        else:
            known = ", ".join([*kind_words, *(f"{f}=" for f in allowed)])
            raise UserError(f"unknown option {option!r} in layer {text!r} (options of "
                            f"{kind} layers: {known})")
    # Fields set to their default say nothing: dropping them makes equal layers equal.
    kept = sorted((k, v) for k, v in values.items() if v != defaults[k])
    return LayerSpec(kind, size, tuple(kept))


def parse_layers(items: str | Iterable[Any], defaults: Mapping[str, Any]) -> tuple[LayerSpec, ...]:
    """A layer list parsed with the words and options of the registered families
    (:mod:`rnnlab.nn.families`): one comma-separated text, or texts (each may hold several
    comma-separated items, as ``--layers "dense:32, lstm:64"`` gives them) or LayerSpecs."""
    recurrent = [f for f in families() if f.recurrent and not f.model]  # vector layers
    words = {f.name: {w: {name: value} for w, (name, value) in f.words.items()}
             for f in recurrent}
    reads = {f.name: [o.field for o in f.options] for f in recurrent}
    specs: list[LayerSpec] = []
    for item in [items] if isinstance(items, str) else items:
        if isinstance(item, LayerSpec):
            specs.append(item)
        else:
            specs += [parse_layer(text, words, reads, defaults) for text in split_items(item)]
    return tuple(specs)
