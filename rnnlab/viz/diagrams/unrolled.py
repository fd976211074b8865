"""A recurrent net rolled (one cell with a self-loop) and unrolled over T steps.

The rolled picture is what the code holds: one cell and its weights. The unrolled picture is
what backpropagation through time differentiates: T copies of that same cell, step t reading
x_t and the state the previous copy wrote. For an LSTM the state is the pair (h, c) and two
lines run between the copies; the c line is drawn in the belt colour of the cell diagram.
"""

from __future__ import annotations

from rnnlab.models.config import ModelConfig
from rnnlab.nn.families import family
from rnnlab.viz.diagrams.canvas import Canvas, Region
from rnnlab.viz.diagrams.drawing import drawing_of
from rnnlab.viz.diagrams.style import BELT, FONT, FONT_SMALL, FONT_TITLE, INK, MUTED

CELL_W, CELL_H = 1.7, 1.1
PITCH = 2.9  # distance between the centres of neighbouring copies
IO = 1.15  # length of the input and output arrows


def cell_name(config: ModelConfig) -> str:
    """The text inside a cell box: the layer's name, and the nonlinearity of a family that has
    a choice of one (Elman)."""
    kind = family(config.family)
    name = kind.layer.kind
    return f"{name}\n{config.nonlinearity}" if kind.reads("nonlinearity") else name


def _has_cell(config: ModelConfig) -> bool:
    """Whether the state passed between the copies includes a cell c (the LSTM's)."""
    return "c" in family(config.family).state_kinds


def draw_rolled(canvas: Canvas, config: ModelConfig) -> None:
    """One cell, x_t in, h_t out, and the recurrent self-loop carrying the state to t + 1."""
    cell = canvas.box(0.0, 0.0, CELL_W, CELL_H, cell_name(config), gid="rolled-cell",
                      kind=drawing_of(config).box, fontsize=FONT)
    canvas.arrow([(0.0, -CELL_H / 2 - IO), cell.bottom()], gid="rolled-x")
    canvas.text(0.0, -CELL_H / 2 - IO - 0.1, "$x_t$", gid="label-rolled-x", va="top")
    top = CELL_H / 2 + IO
    canvas.arrow([cell.top(), (0.0, top)], gid="rolled-h")
    canvas.text(0.0, top + 0.1, "$h_t$", gid="label-rolled-h", va="bottom")
    # the loop leaves the output line, goes round the right side and re-enters the cell
    branch, side = CELL_H / 2 + 0.55, CELL_W / 2 + 0.75
    canvas.dot(0.0, branch, gid="rolled-loop-dot")
    canvas.arrow([(0.0, branch), (side, branch), (side, 0.0), cell.right()], gid="rolled-loop")
    state = "$h_{t-1},\\ c_{t-1}$" if _has_cell(config) else "$h_{t-1}$"
    canvas.text(side + 0.12, -0.02, state, gid="label-rolled-loop", ha="left",
                fontsize=FONT_SMALL, color=MUTED)


def draw_unrolled(canvas: Canvas, config: ModelConfig, steps: int) -> None:
    """``steps`` copies of the cell, left to right, with the state passed between them."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    lanes = [("h", 0.22, INK), ("c", -0.22, BELT)] if _has_cell(config) else [("h", 0.0, INK)]
    for k in range(steps):
        x = k * PITCH
        cell = canvas.box(x, 0.0, CELL_W, CELL_H, cell_name(config), gid=f"cell-copy-{k}",
                          kind=drawing_of(config).box, fontsize=FONT)
        canvas.arrow([(x, -CELL_H / 2 - IO), cell.bottom()], gid=f"unrolled-x-{k}")
        canvas.text(x, -CELL_H / 2 - IO - 0.1, f"$x_{{{k + 1}}}$", gid=f"label-x-{k}", va="top")
        canvas.arrow([cell.top(), (x, CELL_H / 2 + IO)], gid=f"unrolled-h-{k}")
        canvas.text(x, CELL_H / 2 + IO + 0.1, f"$h_{{{k + 1}}}$", gid=f"label-h-{k}",
                    va="bottom")
        for name, dy, colour in lanes:
            start = x - PITCH + CELL_W / 2 if k else x - CELL_W / 2 - 1.05
            canvas.arrow([(start, dy), (x - CELL_W / 2, dy)], gid=f"state-{name}-{k}",
                         color=colour, lw=2.2 if name == "c" else 1.4)
            label_y = dy + 0.12 if dy >= 0 else dy - 0.12
            mid = (start + x - CELL_W / 2) / 2
            label = f"${name}_{{{k}}}$"
            canvas.text(mid if k else start - 0.1, label_y if k else dy, label,
                        gid=f"label-state-{name}-{k}", ha="center" if k else "right",
                        va=("bottom" if dy >= 0 else "top") if k else "center",
                        fontsize=FONT_SMALL, color=colour if name == "c" else MUTED)


def draw_rolled_and_unrolled(canvas: Canvas, config: ModelConfig, steps: int) -> list[Region]:
    """The rolled cell, an equals sign, and the unrolled chain, as three placed regions."""
    with canvas.region() as rolled:
        draw_rolled(canvas, config)
    with canvas.region() as equals:
        canvas.text(0.0, 0.0, "=", gid="unrolled-equals", fontsize=FONT_TITLE * 1.8)
    with canvas.region() as chain:
        draw_unrolled(canvas, config, steps)
    canvas.row([rolled, equals, chain], gap=0.9)
    with canvas.region(rolled):
        b = rolled.local
        canvas.text((b.x0 + b.x1) / 2, b.y0 - 0.35, "rolled", gid="caption-rolled",
                    va="top", fontsize=FONT, color=MUTED)
    with canvas.region(chain):
        b = chain.local
        canvas.text((b.x0 + b.x1) / 2, b.y0 - 0.35,
                    f"unrolled over T = {steps} steps (the same weights in every copy)",
                    gid="caption-unrolled", va="top", fontsize=FONT, color=MUTED)
    return [rolled, equals, chain]
