"""The GRU cell at gate level, drawn to match ``rnnlab.bptt.reference.gru_step``.

Layout (layout units, y up)::

    h_{t-1} ━━━━━━━━━━━━━━━━━━(×)━━━━━━━━━━━━━━━━━━━━━━━━━━━━━(+)━━━━━━▶ h_t   STATE_Y
              ┃                ▲                                ▲
              ┃                ●───▶[1 - z]────────────────────▶(×)           MIX_Y
              ┃                │                                 ▲
              ┃              [σ z]    [σ r] ─▶(×)─────────────▶[tanh n]       GATE_Y
              ┃                ▲        ▲      ▲ [W_hn]          ▲
              ┗━━━━━━━━━━━━●━━━●━━━━━━━━●━━━━━━●━━━━━━━━━━━━━━━━━┛            BUS_Y
                           ▲ x_t

The reset gate multiplies the recurrent term of the candidate. With ``reset_after`` (the
torch/cuDNN form) the product W_hn h_{t-1} + b_hn is formed first and r scales it: the bus
feeds the W_hn box, whose output enters the reset multiply. Reset before (Cho et al. 2014)
scales h_{t-1} first: the bus feeds the reset multiply, whose output enters W_hn. The state
line carries h: ``h_t = z ⊙ h_{t-1} + (1 - z) ⊙ n``.
"""

from __future__ import annotations

from rnnlab.models.config import ModelConfig
from rnnlab.viz.diagrams.canvas import Canvas, LegendItem, Node
from rnnlab.viz.diagrams.style import FONT, FONT_SMALL, GATE_KINDS, KINDS, MUTED

BUS_Y, GATE_Y, MIX_Y, STATE_Y = 1.0, 3.0, 5.0, 6.8
GATE_W, GATE_H = 1.1, 0.7
OP_R = 0.28
ENTRY = 0.6
STATE_COLOUR = "#2b2b2b"
STATE_WIDTH = 3.2

LANE_X, JUNCTION_X = 0.6, 1.3  # h_{t-1} down to the bus; x_t joins the bus
Z_X, R_X, RESET_X, N_X = 2.6, 4.2, 5.8, 8.6
WHN_BELOW = (RESET_X, 1.9)  # W_hn under the reset multiply (reset_after)
WHN_BESIDE = (7.15, GATE_Y)  # W_hn between the reset multiply and n (reset before)


def draw_gru_cell(canvas: Canvas, config: ModelConfig) -> None:
    """Draw the GRU cell of ``config`` (one layer, one direction) at gate level."""
    right = N_X + 1.1
    canvas.frame(0.0, 0.25, right, STATE_Y + 0.7, gid="cell-frame")

    # ---------------------------------------------------------------- the state line
    canvas.arrow([(-ENTRY, STATE_Y), (right + ENTRY, STATE_Y)], gid="hidden-state",
                 color=STATE_COLOUR, lw=STATE_WIDTH, zorder=1.5)
    canvas.text(-ENTRY - 0.12, STATE_Y, "$h_{t-1}$", gid="label-h-prev", ha="right")
    canvas.text(right + ENTRY + 0.15, STATE_Y, "$h_t$", gid="label-h", ha="left")
    keep = canvas.circle(Z_X, STATE_Y, OP_R, "×", gid="state-mul-z")
    add = canvas.circle(N_X, STATE_Y, OP_R, "+", gid="state-add")

    # ---------------------------------------------------------------- the bus [h_{t-1}, x_t]
    canvas.dot(LANE_X, STATE_Y, gid="tap-h-prev", r=0.08)
    canvas.arrow([(LANE_X, STATE_Y), (LANE_X, BUS_Y), (N_X, BUS_Y), (N_X, GATE_Y - GATE_H / 2)],
                 gid="bus")
    canvas.arrow([(JUNCTION_X, -0.5), (JUNCTION_X, BUS_Y - 0.07)], gid="edge-x-bus")
    canvas.dot(JUNCTION_X, BUS_Y, gid="bus-dot-x")
    canvas.text(JUNCTION_X, -0.6, "$x_t$", gid="label-x", va="top")

    z = _gate(canvas, "z", Z_X)
    r = _gate(canvas, "r", R_X)
    n = _gate(canvas, "n", N_X)
    canvas.text(N_X - 0.12, BUS_Y + 0.3, "$x_t$", gid="label-bus-n", ha="right",
                fontsize=FONT_SMALL, color=MUTED)
    for gate in (z, r):
        canvas.dot(gate.x, BUS_Y, gid=f"bus-dot-{gate.gid[-1]}")
        canvas.arrow([(gate.x, BUS_Y), gate.bottom()], gid=f"edge-bus-{gate.gid[-1]}")

    # ---------------------------------------------------------------- the candidate's reset
    _draw_reset(canvas, config.reset_after, r, n)

    # ---------------------------------------------------------------- mixing: z and 1 - z
    canvas.arrow([z.top(), keep.bottom()], gid="edge-z-mul")
    flip = canvas.box(RESET_X, MIX_Y, 1.0, 0.52, "$1-z$", gid="update-one-minus-z",
                      kind="update_gate", fontsize=FONT)
    canvas.dot(Z_X, MIX_Y, gid="update-branch")
    canvas.arrow([(Z_X, MIX_Y), flip.left()], gid="edge-z-one-minus")
    mix = canvas.circle(N_X, MIX_Y, OP_R, "×", gid="mix-mul-n")
    canvas.arrow([flip.right(), mix.left()], gid="edge-one-minus-mul")
    canvas.arrow([n.top(), mix.bottom()], gid="edge-n-mul")
    canvas.arrow([mix.top(), add.bottom()], gid="edge-mul-add")


def legend_items() -> list[LegendItem]:
    """The key under the cell."""
    return [
        LegendItem("reset gate r", kind="reset_gate"),
        LegendItem("update gate z", kind="update_gate"),
        LegendItem("candidate n", kind="candidate"),
        LegendItem("matrix product", kind="matmul"),
        LegendItem("hidden state h", color=STATE_COLOUR, lw=STATE_WIDTH),
    ]


def _gate(canvas: Canvas, name: str, x: float) -> Node:
    """A gate box on the gate row with its name tagged beside its output."""
    symbol = "tanh" if name == "n" else r"$\sigma$"
    gate = canvas.box(x, GATE_Y, GATE_W, GATE_H, symbol, gid=f"gate-{name}",
                      kind=GATE_KINDS[name])
    colour = KINDS[GATE_KINDS[name]].edge
    if name == "r":  # r leaves to the right: label above that line
        canvas.text(gate.right()[0] + 0.1, GATE_Y + 0.08, "$r_t$", gid="label-gate-r",
                    ha="left", va="bottom", color=colour)
    else:
        canvas.text(x + 0.12, GATE_Y + GATE_H / 2 + 0.32, f"${name}_t$", gid=f"label-gate-{name}",
                    ha="left", color=colour)
    return gate


def _draw_reset(canvas: Canvas, reset_after: bool, r: Node, n: Node) -> None:
    """r ⊙ (W_hn h + b_hn) (reset_after) or W_hn (r ⊙ h) + b_hn (reset before), into n."""
    canvas.dot(RESET_X, BUS_Y, gid="bus-dot-reset")
    canvas.text(RESET_X - 0.12, BUS_Y + 0.3, "$h_{t-1}$", gid="label-bus-reset", ha="right",
                fontsize=FONT_SMALL, color=MUTED)
    reset = canvas.circle(RESET_X, GATE_Y, OP_R, "×", gid="reset-mul")
    canvas.arrow([r.right(), reset.left()], gid="edge-r-reset")
    if reset_after:
        whn = canvas.box(*WHN_BELOW, 0.95, 0.56, "$W_{hn}$", gid="matmul-hn", kind="matmul",
                         fontsize=FONT)
        canvas.arrow([(RESET_X, BUS_Y), whn.bottom()], gid="edge-bus-whn")
        canvas.arrow([whn.top(), reset.bottom()], gid="edge-whn-reset")
        canvas.arrow([reset.right(), n.left()], gid="edge-reset-n")
    else:
        whn = canvas.box(*WHN_BESIDE, 0.95, 0.56, "$W_{hn}$", gid="matmul-hn", kind="matmul",
                         fontsize=FONT)
        canvas.arrow([(RESET_X, BUS_Y), reset.bottom()], gid="edge-bus-reset")
        canvas.arrow([reset.right(), whn.left()], gid="edge-reset-whn")
        canvas.arrow([whn.right(), n.left()], gid="edge-whn-n")
