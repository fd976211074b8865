"""Colours, line widths and font sizes shared by every diagram.

One colour per kind of element, the same in every view: a forget gate is red in the LSTM cell,
in the equations beside it and nowhere else; the LSTM cell state (the "conveyor belt") is the
one strong orange line.
"""

from __future__ import annotations

from dataclasses import dataclass

SCALE = 0.5  # inches per layout unit: a gate box (1.0 x 0.7 units) is 0.5 x 0.35 inches
LAYOUT_DPI = 100  # dots per inch used while laying out; saving at another dpi scales uniformly

FONT = 11.0  # ordinary labels (points)
FONT_SMALL = 9.0  # captions, sizes, parameter counts
FONT_SYMBOL = 13.0  # sigma, tanh, x and + inside nodes
FONT_TITLE = 12.5

INK = "#222222"  # text and ordinary arrows
MUTED = "#6b6b6b"  # captions, connections of feed-forward layers
FRAME_FILL = "#f4f5f7"  # the rounded frame around a cell
FRAME_EDGE = "#c5c9d0"

BELT = "#e8710a"  # the LSTM cell state line
BELT_WIDTH = 4.5
LINE_WIDTH = 1.4
PEEPHOLE = "#b23a9a"  # peephole edges (dashed)


@dataclass(frozen=True)
class Kind:
    """How one kind of element is painted: its edge (and label) colour and its pale fill."""

    edge: str
    fill: str


KINDS: dict[str, Kind] = {
    "input_gate": Kind("#2e8b47", "#e3f3e7"),
    "forget_gate": Kind("#c8363f", "#fbe3e4"),
    "output_gate": Kind("#2f64a8", "#e2ebf7"),
    "candidate": Kind("#7b4fb8", "#eee6f8"),
    "reset_gate": Kind("#b7791f", "#fbf0dc"),
    "update_gate": Kind("#15808a", "#dcf1f2"),
    "coupled": Kind("#c8363f", "#ffffff"),
    "layer_norm": Kind("#5a5f66", "#eceef1"),
    "projection": Kind("#37474f", "#dfe6ea"),
    "matmul": Kind("#37474f", "#ffffff"),
    "activation": Kind("#444444", "#fff8d6"),
    "op": Kind("#333333", "#ffffff"),
    "rnn": Kind("#3d7f6e", "#e0f0eb"),
    "lstm": Kind("#e8710a", "#fdebd9"),
    "gru": Kind("#15808a", "#dcf1f2"),
    "dense": Kind("#5a5f66", "#eceef1"),
    "embedding": Kind("#7b4fb8", "#eee6f8"),
    "input": Kind("#444444", "#ffffff"),
    "output": Kind("#2f64a8", "#e2ebf7"),
    "group": Kind("#c5c9d0", "#f4f5f7"),
}

# The colour of each gate letter, used by the cell views and by the equations beside them.
GATE_KINDS: dict[str, str] = {
    "i": "input_gate",
    "f": "forget_gate",
    "g": "candidate",
    "o": "output_gate",
    "r": "reset_gate",
    "z": "update_gate",
    "n": "candidate",
}
