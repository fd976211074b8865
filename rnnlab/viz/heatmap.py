"""Text coloured token by token: gate activations and single units over a passage, as HTML.

Each token (a character or a word) becomes a ``<span>`` whose background shows a value; the
exact value is in its ``title`` (shown on hover). Two scales:

* ``"gate"`` for sigmoid gates, values in [0, 1]: white (0, closed) to blue (1, open);
* ``"signed"`` for values in [-1, 1] (tanh candidates, h, tanh(c)): red (-1), white (0),
  blue (+1).

Tokens are escaped with :func:`html.escape`; a newline shows as a visible mark. The HTML uses
the classes ``heat-rows``, ``heat-row``, ``heat-label``, ``heat-text``,
``tok`` and ``heat-key``; :data:`CSS` styles them.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

RGB = tuple[int, int, int]
WHITE: RGB = (255, 255, 255)
BLUE: RGB = (33, 102, 172)  # ColorBrewer RdBu ends
RED: RGB = (178, 24, 43)
MISSING = "#dddddd"  # a value that is NaN
SCALES = {"gate": (0.0, 1.0), "signed": (-1.0, 1.0)}

CSS = """
.heat-rows { overflow-x: auto; padding: 4px 0 8px; }
.heat-row { display: flex; align-items: baseline; gap: 12px; margin: 3px 0; }
.heat-label { flex: 0 0 185px; font-size: 13px; color: #555; text-align: right; }
.heat-text { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 13px; white-space: pre; line-height: 1.9; }
.heat-text.wrap { white-space: pre-wrap; word-break: break-all; }
.tok { padding: 2px 0; border-radius: 2px; }
.heat-text.words .tok { padding: 2px 4px; }
.heat-key { display: inline-flex; align-items: center; gap: 6px; font-size: 12px;
  color: #555; margin-right: 18px; }
.heat-key .bar { display: inline-block; width: 120px; height: 10px; border-radius: 2px;
  border: 1px solid #ccc; }
"""


@dataclass
class HeatRow:
    """One line of a heatmap: a label, one value per token, and the colour scale."""

    label: str
    values: Sequence[float]
    scale: str = "gate"  # "gate" ([0, 1]) or "signed" ([-1, 1])


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def color_for(value: float, scale: str = "gate") -> str:
    """The background colour (``#rrggbb``) of ``value`` on ``scale``; outside values are
    clipped to the scale's ends and NaN is light grey."""
    if scale not in SCALES:
        raise ValueError(f"unknown colour scale {scale!r}; choose one of {', '.join(SCALES)}")
    if value is None or not math.isfinite(value):
        return MISSING
    lo, hi = SCALES[scale]
    v = min(max(float(value), lo), hi)
    if scale == "gate":
        return _hex(_mix(WHITE, BLUE, (v - lo) / (hi - lo)))
    return _hex(_mix(WHITE, BLUE, v) if v >= 0 else _mix(WHITE, RED, -v))


def text_color(background: str) -> str:
    """Dark text on a light background, white on a dark one (relative luminance)."""
    r, g, b = (int(background[i : i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#ffffff" if luminance < 0.45 else "#1a1a1a"


def _shown(token: str) -> str:
    """How a token is printed: a newline becomes a visible mark (rows stay one line each)."""
    if token == "\n":
        return "\u21b5"
    if token == "\t":
        return "\u2192   "
    return token


def token_spans(tokens: Sequence[str], values: Sequence[float], scale: str = "gate",
                name: str = "", separator: str = "", line_breaks: bool = False) -> str:
    """The tokens as coloured ``<span class="tok">`` elements joined by ``separator``.

    ``name`` prefixes the hover text (``"f = 0.93"``). ``line_breaks``: a newline token also
    breaks the line (for a passage shown as prose, in an element with ``white-space: pre*``).
    """
    if len(tokens) != len(values):
        raise ValueError(f"{len(tokens)} tokens but {len(values)} values")
    parts = []
    for token, value in zip(tokens, values, strict=True):
        bg = color_for(value, scale)
        shown = f"{value:+.2f}" if scale == "signed" else f"{value:.2f}"
        hover = f"{name} = {shown}" if name else shown
        style = f"background:{bg};color:{text_color(bg)}"
        parts.append(
            f'<span class="tok" style="{style}" title="{html.escape(hover)}">'
            f"{html.escape(_shown(token))}</span>" + ("\n" if line_breaks and token == "\n" else "")
        )
    return html.escape(separator).join(parts)


def heatmap_rows(tokens: Sequence[str], rows: Sequence[HeatRow], *, words: bool = False,
                 wrap: bool = False) -> str:
    """Several rows over the same tokens, one under another with aligned tokens.

    ``words``: the tokens are words (separated by spaces, padded); else characters, shown as
    they are. ``wrap``: let long passages wrap (rows then no longer line up).
    """
    kind = "words" if words else "chars"
    classes = f"heat-text {kind}" + (" wrap" if wrap else "")
    out = ['<div class="heat-rows">']
    for row in rows:
        spans = token_spans(tokens, row.values, row.scale, row.label, " " if words else "")
        out.append(
            f'<div class="heat-row"><span class="heat-label">{html.escape(row.label)}</span>'
            f'<span class="{classes}">{spans}</span></div>'
        )
    out.append("</div>")
    return "\n".join(out)


def scale_key(scale: str = "gate", label: str = "") -> str:
    """A small colour bar explaining ``scale``, e.g. ``0 (closed) ... 1 (open)``."""
    lo, hi = SCALES.get(scale, (0.0, 1.0))
    stops = [color_for(lo + (hi - lo) * k / 4, scale) for k in range(5)]
    gradient = f"linear-gradient(to right, {', '.join(stops)})"
    ends = ("0 closed", "1 open") if scale == "gate" else ("\u22121", "+1")
    text = f"{html.escape(label)} " if label else ""
    return (
        f'<span class="heat-key">{text}{html.escape(ends[0])}'
        f'<span class="bar" style="background:{gradient}"></span>{html.escape(ends[1])}</span>'
    )
