"""What single units do over text: cell and hidden values per character, and units that track
something (Karpathy, Johnson & Fei-Fei 2015, "Visualizing and Understanding Recurrent
Networks": a cell that counts the position in the line, one that is on inside quotes, ...).

:func:`unit_activity` runs a character (or word) language model over a passage as one stream,
with its state carried from token to token (and across chunks), and returns per token the
value of every unit: h, c (LSTM) and each gate, for every layer and direction.
:func:`find_interesting_units` picks units automatically: those most correlated with simple
text features (:func:`text_features`), those with the largest variance, the most saturated.
:func:`unit_values` gives (token, value) pairs of one unit, for a report that colours the
passage character by character.

A unit is one entry of a state vector; in a ConvLSTM, whose states are maps, a unit is one
channel and its value at a token is the channel's mean over the pixels.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from rnnlab.errors import UserError
from rnnlab.inspect.rerun import is_traced_layer
from rnnlab.inspect.trace import Key, key_name, per_unit, trace
from rnnlab.nn.families import families, family
from rnnlab.tasks.base import Task
from rnnlab.utils.device import model_device


@dataclass
class UnitActivity:
    """Per token of a passage, the value of every unit; arrays are (N, units), N tokens.

    ``values[(layer, direction)]["h" | "c" | gate name]`` (numpy); the value at token n is the
    one after the model has read token n. ``final_state`` continues the stream.
    """

    tokens: list[str]  # the passage's tokens (characters, or words), as read
    ids: list[int]
    family: str
    gate_names: tuple[str, ...]
    values: dict[Key, dict[str, np.ndarray]]
    final_state: Any

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def state_kinds(self) -> tuple[str, ...]:
        """The states the family keeps: ("c", "h") for the LSTM, ("h",) otherwise."""
        return family(self.family).state_kinds

    def get(self, kind: str = "h", layer: int = 0, direction: int = 0) -> np.ndarray:
        """(N, units) values of one kind ("h", "c" or a gate) of one layer and direction."""
        layers = 1 + max(k for k, _ in self.values)
        key = (layer % layers, direction)
        if key not in self.values:
            raise UserError(f"no layer/direction {key} in this activity")
        if kind not in self.values[key]:
            raise UserError(f"no {kind!r} values in a {self.family}: {sorted(self.values[key])}")
        return self.values[key][kind]

    def to_dict(self) -> dict[str, Any]:
        """Plain data: ``{"tokens", "ids", "family", "layers": {"l0": {"h": [[...]], ...}}}``
        (nested lists, JSON-ready)."""
        return {
            "tokens": self.tokens,
            "ids": self.ids,
            "family": self.family,
            "layers": {
                key_name(key): {kind: v.tolist() for kind, v in kinds.items()}
                for key, kinds in self.values.items()
            },
        }


def _tokenize(
    vocab: Task | Sequence[str] | Mapping[str, int], passage: str | Sequence[str]
) -> tuple[list[str], list[int]]:
    """Tokens and ids of ``passage`` in the vocabulary of a text task or a token list/dict."""
    if isinstance(vocab, Task):
        tokenize = getattr(vocab, "tokenize", None)
        tokens = tokenize(passage) if callable(tokenize) and isinstance(passage, str) else None
        if tokens is None:
            tokens = list(passage)
        if vocab.spec.vocab is None:
            raise UserError(f"task {vocab.name!r} has no vocabulary")
        ids = {t: i for i, t in enumerate(vocab.spec.vocab)}
    else:
        tokens = list(passage)  # a str gives characters; a list of words stays as it is
        ids = dict(vocab) if isinstance(vocab, Mapping) else {t: i for i, t in enumerate(vocab)}
    unknown = sorted({t for t in tokens if t not in ids})
    if unknown:
        shown = ", ".join(repr(t) for t in unknown[:10])
        raise UserError(f"passage has token(s) not in the vocabulary: {shown}")
    if not tokens:
        raise UserError("the passage is empty")
    return tokens, [ids[t] for t in tokens]


def unit_activity(
    model: nn.Module,
    vocab: Task | Sequence[str] | Mapping[str, int],
    passage: str | Sequence[str] | Tensor,
    *,
    state: Any = None,
    chunk_len: int = 0,
) -> UnitActivity:
    """Run a token-level language model over ``passage`` and record every unit per token.

    Args:
        model: an rnnlab recurrent model over tokens (e.g. a LanguageModel).
        vocab: a text task (its tokenizer and vocabulary), or the vocabulary as a list
            (index = id) or a dict token -> id (then a str passage is read as characters).
        passage: the text, a list of tokens, or a 1-D tensor of ids (decoded with the vocab).
        state: the state to start from (e.g. after a warm-up passage); default zeros.
        chunk_len: run in chunks of this many tokens, carrying the state (0 = all at once);
            the values do not change, only the memory a long passage needs.

    Returns:
        :class:`UnitActivity`: tokens, ids, and per (layer, direction) ``{"h", "c", gate}``
        arrays (N, units); a ConvLSTM's units are its channels, each averaged over the
        pixels.
    """
    layers = [m for m in model.modules() if is_traced_layer(m)]
    if len(layers) > 1:
        # The passage runs in chunks that carry the model's state, which for a layer list is
        # a list over its layers, while a trace follows one of them.
        raise UserError(f"unit activity follows one recurrent layer; this model has "
                        f"{len(layers)} (a layer list): trace one with trace(model, x, module=N)")
    if isinstance(passage, Tensor):
        ids = [int(i) for i in passage.reshape(-1)]
        names = (
            list(vocab.spec.vocab or ())
            if isinstance(vocab, Task)
            else ({i: t for t, i in vocab.items()} if isinstance(vocab, Mapping) else list(vocab))
        )
        tokens = [names[i] for i in ids]
    else:
        tokens, ids = _tokenize(vocab, passage)
    device = model_device(model)
    all_ids = torch.tensor(ids, dtype=torch.long, device=device)[None, :]  # (1, N)
    step = chunk_len if chunk_len > 0 else len(ids)
    pieces: dict[Key, dict[str, list[np.ndarray]]] = {}
    family, gate_names = "", ()
    for start in range(0, len(ids), step):
        tr = trace(model, all_ids[:, start : start + step], state=state, grads=False)
        state = tr.final_state
        family, gate_names = tr.family, tr.gate_names
        for key in tr.keys:
            kinds = {"h": tr.hidden[key]} | ({"c": tr.cell[key]} if key in tr.cell else {})
            kinds |= tr.gate_values[key]
            for kind, v in kinds.items():
                row = per_unit(v)[:, 0]  # (T, units)
                pieces.setdefault(key, {}).setdefault(kind, []).append(row.cpu().numpy())
    values = {
        key: {kind: np.concatenate(parts) for kind, parts in kinds.items()}
        for key, kinds in pieces.items()
    }
    return UnitActivity(tokens, ids, family, gate_names, values, state)


# ----------------------------------------------------------------------------- text features


def _position_in_line(tokens: Sequence[str]) -> np.ndarray:
    """Tokens since the last newline: 1 for a line's first token, 0 for the newline itself."""
    out, n = np.zeros(len(tokens)), 0
    for i, t in enumerate(tokens):
        n = 0 if t == "\n" else n + 1
        out[i] = n
    return out


def _inside(tokens: Sequence[str], opens: str, closes: str) -> np.ndarray:
    """1 from an opening token up to (not including) its closing one; nesting counts once.

    With ``opens == closes`` (quotes) each occurrence toggles.
    """
    out, depth = np.zeros(len(tokens)), 0
    for i, t in enumerate(tokens):
        if opens == closes and t == opens:
            depth = 0 if depth else 1
        elif t == opens:
            depth += 1
        elif t == closes:
            depth = max(depth - 1, 0)
        out[i] = float(depth > 0)
    return out


def text_features(tokens: Sequence[str]) -> dict[str, np.ndarray]:
    """Simple per-token features of a passage, each (N,) float: what a unit might track.

    ``position_in_line`` (tokens since the newline), ``inside_quotes`` (between a pair of
    ``"``, the opening one included), ``inside_parentheses`` (from ``(`` to before ``)``),
    ``is_space``, ``is_newline``, ``is_punctuation``, ``is_upper``, ``is_digit``,
    ``position_in_word`` (letters since the last non-letter).
    """

    def each(test: Callable[[str], bool]) -> np.ndarray:
        return np.array([float(test(t)) for t in tokens])

    in_word, n = np.zeros(len(tokens)), 0
    for i, t in enumerate(tokens):
        n = n + 1 if t.isalpha() else 0
        in_word[i] = n
    return {
        "position_in_line": _position_in_line(tokens),
        "inside_quotes": _inside(tokens, '"', '"'),
        "inside_parentheses": _inside(tokens, "(", ")"),
        "is_space": each(lambda t: t == " "),
        "is_newline": each(lambda t: t == "\n"),
        "is_punctuation": each(lambda t: len(t) == 1 and t in string.punctuation),
        "is_upper": each(lambda t: t[:1].isupper()),
        "is_digit": each(lambda t: t.isdigit()),
        "position_in_word": in_word,
    }


def correlations(values: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson correlation of each column of ``values`` (N, U) with ``feature`` (N,).

    A constant unit (or feature) has no correlation: NaN.
    """
    v = values - values.mean(0)
    f = feature - feature.mean()
    denom = np.sqrt((v**2).sum(0) * (f**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (v * f[:, None]).sum(0) / denom
    return np.where(denom > 1e-12, r, np.nan)


def _is_candidate(kind: str) -> bool:
    """Whether ``kind`` names a tanh candidate (LSTM g, GRU n) of some family."""
    return any(g.name == kind and g.squash == "tanh" for f in families() for g in f.gates)


def saturation(values: np.ndarray, kind: str, level: float = 0.9) -> np.ndarray:
    """Per unit, the share of tokens at which it is saturated.

    h and the tanh candidates (g, n) live in (-1, 1): |v| > level. A cell state c is unbounded,
    so it is judged through the tanh the cell output applies: |tanh(c)| > level. Sigmoid gates:
    v < 1 - level or v > level.
    """
    if kind == "c":
        values = np.tanh(values)
    if kind in ("h", "c") or _is_candidate(kind):
        return (np.abs(values) > level).mean(0)
    return ((values < 1 - level) | (values > level)).mean(0)


def _entry(
    at: dict[str, Any], unit: int, measure: str, feature: str | None, score: float
) -> dict[str, Any]:
    return at | {"unit": int(unit), "measure": measure, "feature": feature, "score": float(score)}


def find_interesting_units(
    activity: UnitActivity,
    features: Mapping[str, np.ndarray] | None = None,
    *,
    kinds: Sequence[str] = ("c", "h"),
    top: int = 3,
    min_correlation: float = 0.3,
) -> list[dict[str, Any]]:
    """Units worth looking at, found automatically, best first within each measure.

    For every layer, direction and kind (``"c"`` and ``"h"`` by default; the Elman net and the
    GRU have no c): per feature (default :func:`text_features` of the passage), the ``top``
    units with the largest |Pearson correlation| (at least ``min_correlation``); and the ``top``
    units by variance and by saturation (share of tokens near the ends of the range,
    :func:`saturation`) — per kind, as h, c and the gates live on different scales.

    Returns a list of plain dicts ``{"layer", "direction", "kind", "unit", "measure":
    "correlation" | "variance" | "saturation", "feature": name or None, "score": float}``;
    correlations come first, sorted by |score|, then variance, then saturation.
    """
    if features is None:
        features = text_features(activity.tokens)
    n = len(activity)
    for name, f in features.items():
        if len(f) != n:
            raise UserError(f"feature {name!r} has {len(f)} values for {n} tokens")
    corr: list[dict[str, Any]] = []
    var: list[dict[str, Any]] = []
    sat: list[dict[str, Any]] = []
    for (layer, direction), kinds_of in activity.values.items():
        for kind in kinds:
            if kind not in kinds_of:
                continue
            values = kinds_of[kind]
            at = {"layer": layer, "direction": direction, "kind": kind}
            for name, f in features.items():
                r = correlations(values, np.asarray(f, dtype=float))
                strength = np.where(np.isfinite(r), np.abs(r), -1.0)  # NaN: constant, skip
                corr += [
                    _entry(at, u, "correlation", name, r[u])
                    for u in np.argsort(-strength)[:top]
                    if strength[u] >= min_correlation
                ]
            v = values.var(0)
            var += [_entry(at, u, "variance", None, v[u]) for u in np.argsort(-v)[:top]]
            s = saturation(values, kind)
            sat += [_entry(at, u, "saturation", None, s[u]) for u in np.argsort(-s)[:top]]
    corr.sort(key=lambda e: -abs(e["score"]))
    var.sort(key=lambda e: -e["score"])
    sat.sort(key=lambda e: -e["score"])
    return corr + var + sat


def unit_values(
    activity: UnitActivity,
    unit: int,
    kind: str = "c",
    layer: int = 0,
    direction: int = 0,
    *,
    squash: bool = True,
) -> list[tuple[str, float]]:
    """(token, value) per token of one unit, to colour the passage character by character.

    With ``squash`` a cell value is passed through tanh (into [-1, 1], as the cell output sees
    it), so one colour scale fits every kind.
    """
    values = activity.get(kind, layer, direction)[:, unit]
    if squash and kind == "c":
        values = np.tanh(values)
    return [(t, float(v)) for t, v in zip(activity.tokens, values, strict=True)]
