"""One HTML page of single units over a passage, as in Karpathy, Johnson & Fei-Fei (2015).

For each chosen unit the whole passage is printed with every character (or word) coloured by
the unit's value after reading it — red -1, white 0, blue +1 (a cell value through tanh, as the
cell output sees it) — and, under it, the same unit's gates over the first stretch of the
passage, one aligned row per gate (white 0, closed, to blue 1, open). Units are chosen by
number, or found automatically (:func:`rnnlab.inspect.find_interesting_units`: the strongest
correlations with simple text features — position in the line, inside quotes, ... — then the
largest variance). All text from the passage is escaped; the page has no scripts and needs no
network.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rnnlab.errors import UserError
from rnnlab.inspect.unit_activity import UnitActivity, find_interesting_units
from rnnlab.utils.atomic import HTML_MARK
from rnnlab.viz import heatmap

GATE_ROWS = 120  # tokens shown in the aligned gate rows (the coloured passage has them all)
KIND_NAMES = {"c": "cell", "h": "hidden unit"}
PAGE_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
  max-width: 1100px; margin: 24px auto; padding: 0 20px; line-height: 1.5; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 18px; margin: 28px 0 4px; }
.lead, .why { color: #57606a; font-size: 14px; }
.passage { word-break: normal; overflow-wrap: anywhere; }
"""


@dataclass
class UnitChoice:
    """A unit to show: where it is, and why it was picked."""

    unit: int
    kind: str = "c"  # "c" (cell, LSTM) or "h"
    layer: int = 0
    direction: int = 0
    why: str = "chosen by number"


def auto_units(activity: UnitActivity, count: int = 3) -> list[UnitChoice]:
    """Up to ``count`` units worth looking at: one per text feature a unit tracks (strongest
    correlation first), then the units of largest variance; never the same unit twice."""
    kinds = activity.state_kinds
    chosen: list[UnitChoice] = []
    seen_units: set[tuple[int, int, str, int]] = set()
    seen_features: set[str] = set()
    for entry in find_interesting_units(activity, kinds=kinds):
        where = (entry["layer"], entry["direction"], entry["kind"], entry["unit"])
        if where in seen_units or (entry["feature"] and entry["feature"] in seen_features):
            continue
        if entry["measure"] == "correlation":
            why = f"correlation {entry['score']:+.2f} with {entry['feature'].replace('_', ' ')}"
        elif entry["measure"] == "variance":
            why = f"the largest variance over the passage ({entry['score']:.3g})"
        else:
            continue  # saturated units are rarely the telling ones
        seen_units.add(where)
        if entry["feature"]:
            seen_features.add(entry["feature"])
        chosen.append(UnitChoice(entry["unit"], entry["kind"], entry["layer"],
                                 entry["direction"], why))
        if len(chosen) == count:
            break
    return chosen


def _check(activity: UnitActivity, choice: UnitChoice) -> np.ndarray:
    key = (choice.layer, choice.direction)
    if key not in activity.values:
        layers = sorted({k[0] for k in activity.values})
        raise UserError(f"the model has no layer {choice.layer} direction {choice.direction} "
                        f"(layers: {', '.join(map(str, layers))})")
    kinds = activity.values[key]
    if choice.kind not in kinds:
        raise UserError(f"a {activity.family.upper()} has no {choice.kind!r} units; "
                        f"choose one of {', '.join(k for k in ('c', 'h') if k in kinds)}")
    values = kinds[choice.kind]
    units = values.shape[1]
    if not 0 <= choice.unit < units:
        raise UserError(f"unit {choice.unit} does not exist: layer {choice.layer} has "
                        f"{units} {KIND_NAMES[choice.kind]}s (0 to {units - 1})")
    return np.tanh(values[:, choice.unit]) if choice.kind == "c" else values[:, choice.unit]


def _unit_section(activity: UnitActivity, choice: UnitChoice, words: bool) -> str:
    values = _check(activity, choice)
    name = (f"{KIND_NAMES[choice.kind]} {choice.unit}, layer {choice.layer}"
            + (", backward" if choice.direction else ""))
    shown = "tanh(c)" if choice.kind == "c" else "h"
    passage = heatmap.token_spans(activity.tokens, values.tolist(), "signed", shown,
                                  " " if words else "", line_breaks=True)
    n = min(GATE_ROWS, len(activity.tokens))
    gates = activity.values[(choice.layer, choice.direction)]
    rows = [heatmap.HeatRow(f"gate {g}", gates[g][:n, choice.unit].tolist(),
                            "signed" if g in ("g", "n") else "gate")
            for g in activity.gate_names]
    rows.append(heatmap.HeatRow(shown, values[:n].tolist(), "signed"))
    return (
        f"<h2>{html.escape(name)}</h2>"
        f'<p class="why">Why this unit: {html.escape(choice.why)}.</p>'
        f'<div class="heat-text {"words" if words else "chars"} wrap passage">{passage}</div>'
        f'<p class="why">Its gates over the first {n} tokens, aligned with its value:</p>'
        + heatmap.heatmap_rows(activity.tokens[:n], rows, words=words)
    )


def unit_page(activity: UnitActivity, choices: Sequence[UnitChoice], *, title: str,
              words: bool = False) -> str:
    """The page: a title, the colour keys, and one section per unit."""
    if not choices:
        raise UserError("no unit to show: name one with --unit")
    sections = "\n".join(_unit_section(activity, c, words) for c in choices)
    keys = heatmap.scale_key("signed", "values:") + heatmap.scale_key("gate", "gates:")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"{HTML_MARK}"
        f"<title>{html.escape(title)}</title>"
        f"<style>{PAGE_CSS}{heatmap.CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="lead">{len(activity.tokens):,} tokens read as one stream, the state '
        "carried from token to token; each token is coloured by the value after reading it. "
        "Hover over a token for the exact value.</p>"
        f"<p>{keys}</p>{sections}"
        '<p class="why">Made by rnnlab. This file is self-contained: it needs no network.</p>'
        "</body></html>\n"
    )
