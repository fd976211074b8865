"""The model mini-language of ``rnnlab compare --models``: ``lstm:peephole``, ``mlp:window=8``.

A spec is a family, then options separated by ``:`` or ``+``: a named variant (a word of
:data:`FLAGS`) or ``field=value`` for any :class:`~rnnlab.models.config.ModelConfig` field.
Each spec becomes a :class:`ModelSpec`: the text, the config it sets and the label the report
uses ("LSTM (peephole)"), made unique across the list.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rnnlab.compare.families import display_name, is_window_mlp
from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.models.layer_spec import coerce_option
from rnnlab.models.layer_stack import layers_title
from rnnlab.nn.families import families
from rnnlab.train.ranges import MODEL_RANGES, check_fields, check_layer_ranges

# The words of the mini-language: per family, each variant name and the config fields it sets
# (the families' own words, from their records).
FLAGS: dict[str, dict[str, dict[str, Any]]] = {
    f.name: {word: {name: value} for word, (name, value) in f.words.items()} for f in families()
}


@dataclass
class ModelSpec:
    """One entry of the model list: what was asked for, its config and its report label."""

    text: str  # as given, e.g. "lstm:peephole"
    config: ModelConfig
    label: str  # e.g. "LSTM (peephole)"
    fixed_size: bool = False  # hidden_size was given: do not fit it to the budget


def layers_label(config: ModelConfig) -> str:
    """How the report names a layer list: its layers without sizes, which the parameter
    budget sets ("LSTM (peephole) → GRU → dense")."""
    return layers_title(config, sizes=False)


def label_for(config: ModelConfig, extra: Sequence[str] = ()) -> str:
    """How the report names a model: "LSTM (peephole)", "window MLP (5 steps)"; ``extra``
    parts go last ("LSTM (peephole, forget_bias=5)")."""
    parts = [config.variant] if config.variant else []
    if is_window_mlp(config):  # "window 5, relu" -> "5 steps, relu"
        parts = [config.variant.replace(f"window {config.window}", f"{config.window} steps")]
    if config.num_layers > 1:
        parts.append(f"{config.num_layers} layers")
    parts += extra
    return display_name(config) + (f" ({', '.join(parts)})" if parts else "")


def parse_models(texts: Sequence[str], base: ModelConfig | None = None) -> list[ModelSpec]:
    """``["mlp", "lstm:peephole", "gru:reset-before", "mlp:window=8"]`` -> model specs.

    Options are applied to ``base`` (default: a default :class:`ModelConfig`). A spec listed
    twice is a UserError; two specs with the same label get their text added to it.
    """
    base = base or ModelConfig()
    specs = [_parse_one(text.strip(), base) for text in texts]
    texts_seen = Counter(s.text for s in specs)
    labels_seen = Counter(s.label for s in specs)
    for spec in specs:
        if texts_seen[spec.text] > 1:
            raise UserError(f"model {spec.text!r} is listed twice")
        if labels_seen[spec.label] > 1:
            spec.label = f"{spec.label} [{spec.text}]"
    return specs


def windows_of(specs: Sequence[ModelSpec]) -> list[int]:
    """The windows of the window MLPs among ``specs``, in list order."""
    return [s.config.window for s in specs if is_window_mlp(s.config)]


def split_models(text: str) -> tuple[str, ...]:
    """``"lstm, [lstm:32:peephole, gru:16], gru"`` -> the three model texts: commas separate
    models, except inside brackets, which hold a layer list."""
    models, depth, start = [], 0, 0
    for i, char in enumerate(text + ","):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth < 0 or (i == len(text) and depth):
            raise UserError(f"unbalanced brackets in the model list {text!r}")
        if char == "," and depth == 0:
            models.append(text[start:i].strip())
            start = i + 1
    return tuple(m for m in models if m)


def model_text(spec_text: str) -> str:
    """A model text as :func:`split_models` reads it back (a layer list in brackets)."""
    return f"[{spec_text}]" if "," in spec_text and not spec_text.startswith("[") else spec_text


def _parse_one(text: str, base: ModelConfig) -> ModelSpec:
    if text.startswith("[") or "," in text:  # a layer list: "[lstm:32:peephole, gru:16]"
        config = dataclasses.replace(base, layers=text.strip("[] "))
        check_layer_ranges(config.layers)
        return ModelSpec(text, config, layers_label(config))
    defaults = _defaults(base)
    family, *options = [p.strip() for p in text.replace("+", ":").split(":")]
    if family not in FLAGS:
        raise UserError(f"unknown model {text!r}; a model is one of {', '.join(FLAGS)}, "
                        "with options like lstm:peephole or mlp:window=8")
    values: dict[str, Any] = {"family": family}
    for option in filter(None, options):
        key, sep, value = option.partition("=")
        key = key.strip().replace("-", "_") if sep else key
        if sep and key in defaults and key != "family":
            values[key] = coerce_option(key, value.strip(), defaults[key])
            # The ranges of the command line's model options: mlp:window=100000 never ends.
            check_fields({key: values[key]}, MODEL_RANGES, f"model {text!r}:")
        elif not sep and option in FLAGS[family]:
            values.update(FLAGS[family][option])
        else:
            known = ", ".join(FLAGS[family]) or "none"
            raise UserError(f"unknown option {option!r} in model {text!r} (variants of "
                            f"{family}: {known}; or field=value)")
    config = dataclasses.replace(base, **values)
    return ModelSpec(text, config, label_for(config, _unshown(config, values, defaults)),
                     "hidden_size" in values)


def _defaults(base: ModelConfig) -> dict[str, Any]:
    return {f.name: getattr(base, f.name) for f in dataclasses.fields(ModelConfig)}


def _unshown(config: ModelConfig, values: dict[str, Any], defaults: dict[str, Any]
             ) -> list[str]:
    """The options given that the label does not show already (``forget_bias=5``): setting
    one back to its default leaves the label as it is."""
    shown = label_for(config)
    return [f"{k}={values[k]:g}" if isinstance(values[k], float) else f"{k}={values[k]}"
            for k in values if k != "family"
            and label_for(dataclasses.replace(config, **{k: defaults[k]})) == shown]


__all__ = [
    "FLAGS", "ModelSpec", "label_for", "layers_label", "model_text", "parse_models",
    "split_models", "windows_of",
]
