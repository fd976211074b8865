"""The LSTM cell at gate level, drawn to match ``rnnlab.bptt.reference.lstm_step``.

Layout (layout units, y up)::

    c_{t-1} ━━━━━━━━(×)━━━━━━━━━━(+)━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━▶ c_t     BELT_Y
                     ▲            ▲                     [LN]
                     │      i ─▶ (×) ◀─ g               tanh                MUL_Y
                     │      │           │                 ▼
                   [σ f]  [σ i]       [tanh g]   [σ o] ─▶(×)──[W_hr]──▶ h_t  GATE_Y
                     ▲      ▲           ▲          ▲
    h_{t-1} ━━━━━━━━━●━━━━━━●━━━━━━━━━━━●━━━━━━━━━━┛                        BUS_Y
           ▲ x_t

Only what the configuration enables is drawn: the forget gate and its multiply on the belt
(absent in the 1997 cell, whose belt has only the +), the input gate or, for CIFG, the
``1 - f`` node in its place, the peephole edges (dashed: c_{t-1} into i and f, c_t into o),
the LN boxes (on the input and recurrent projections, and on c before its tanh) and the
projection box W_hr.
"""

from __future__ import annotations

from rnnlab.models.config import ModelConfig
from rnnlab.viz.diagrams.canvas import Canvas, LegendItem, Node
from rnnlab.viz.diagrams.style import (
    BELT,
    BELT_WIDTH,
    FONT,
    FONT_SMALL,
    GATE_KINDS,
    KINDS,
    MUTED,
    PEEPHOLE,
)

BUS_Y, GATE_Y, MUL_Y, BELT_Y = 1.2, 3.0, 5.0, 6.8
BRANCH_Y = 4.25  # height of the CIFG branch and of the peephole into i
GATE_W, GATE_H = 1.1, 0.7
OP_R = 0.28  # radius of the pointwise x and + nodes
STEP = 1.6  # distance between gate columns
ENTRY = 0.6  # how far left of the frame the incoming lines start

GATE_SYMBOL = {"i": r"$\sigma$", "f": r"$\sigma$", "o": r"$\sigma$", "g": "tanh"}


def sigmoid_gates(config: ModelConfig) -> tuple[str, ...]:
    """The sigmoid gates in gate order: i, f, o and the variants' subsets (as in the weights)."""
    if config.coupled:
        return ("f", "o")
    if not config.forget_gate:
        return ("i", "o")
    return ("i", "f", "o")


def draw_lstm_cell(canvas: Canvas, config: ModelConfig) -> None:
    """Draw the LSTM cell of ``config`` (one layer, one direction) at gate level."""
    has_f = config.forget_gate
    ln = config.layer_norm
    peep = set(sigmoid_gates(config)) if config.peephole else set()

    # ---------------------------------------------------------------- columns, left to right
    junction = 2.9 if ln else 1.0
    lane = junction + 0.8 if peep & {"i", "f"} else None  # c_{t-1} peephole lane
    x = junction + (1.8 if lane is not None else 1.3)
    col: dict[str, float] = {}
    if has_f:
        col["f"] = x
        x += STEP
    col["i"] = x  # the input gate, or the 1 - f node of CIFG
    col["g"] = x + STEP
    col["o"] = col["g"] + 1.9
    add_x = (col["i"] + col["g"]) / 2
    out_x = col["o"] + 1.7  # tanh(c) and the output multiply
    proj_x = out_x + 1.5 if config.proj_size else None
    right = (proj_x if proj_x is not None else out_x) + 1.0
    bottom = -0.55 if ln else 0.4
    canvas.frame(0.0, bottom, right, BELT_Y + 0.7, gid="cell-frame")

    # ---------------------------------------------------------------- the conveyor belt
    canvas.arrow([(-ENTRY, BELT_Y), (right + ENTRY, BELT_Y)], gid="cell-state",
                 color=BELT, lw=BELT_WIDTH, zorder=1.5)
    canvas.text(-ENTRY - 0.12, BELT_Y, "$c_{t-1}$", gid="label-c-prev", ha="right")
    canvas.text(right + ENTRY + 0.15, BELT_Y, "$c_t$", gid="label-c", ha="left")
    add = canvas.circle(add_x, BELT_Y, OP_R, "+", gid="belt-add")
    forget_mul = None
    if has_f:  # the 1997 cell has no forget gate: nothing multiplies the belt
        forget_mul = canvas.circle(col["f"], BELT_Y, OP_R, "×", gid="belt-forget-mul")

    # ---------------------------------------------------------------- inputs and the bus
    bus_start = _draw_inputs(canvas, config, junction, bottom)
    gates: dict[str, Node] = {}
    for name in ("f", "i", "g", "o"):
        if (name == "f" and not has_f) or (name == "i" and config.coupled):
            continue
        gates[name] = canvas.box(col[name], GATE_Y, GATE_W, GATE_H, GATE_SYMBOL[name],
                                 gid=f"gate-{name}", kind=GATE_KINDS[name])
        _tag(canvas, gates[name], name)
    last = col["o"]
    canvas.arrow([bus_start, (last, BUS_Y), gates["o"].bottom()], gid="bus")
    for name, gate in gates.items():
        if name != "o":
            canvas.dot(gate.x, BUS_Y, gid=f"bus-dot-{name}")
            canvas.arrow([(gate.x, BUS_Y), gate.bottom()], gid=f"edge-bus-{name}")

    # ---------------------------------------------------------------- writing to the belt
    input_mul = canvas.circle(add_x, MUL_Y, OP_R, "×", gid="input-mul")
    if forget_mul is not None:
        canvas.arrow([gates["f"].top(), forget_mul.bottom()], gid="edge-f-belt")
    if config.coupled:
        _draw_coupled(canvas, gates["f"], col["i"], input_mul)
    else:
        canvas.arrow([gates["i"].top(), (col["i"], MUL_Y), input_mul.left()], gid="edge-i-mul")
    canvas.arrow([gates["g"].top(), (col["g"], MUL_Y), input_mul.right()], gid="edge-g-mul")
    canvas.arrow([input_mul.top(), add.bottom()], gid="edge-mul-add")

    # ---------------------------------------------------------------- reading the belt: h_t
    out_mul = canvas.circle(out_x, GATE_Y, OP_R, "×", gid="output-mul")
    canvas.dot(out_x, BELT_Y, gid="tap-c-tanh", color=BELT, r=0.09)
    above: tuple[float, float] = (out_x, BELT_Y)
    if ln:
        norm = canvas.box(out_x, 5.8, 0.9, 0.6, "LN", gid="ln-c", kind="layer_norm",
                          fontsize=FONT)
        canvas.arrow([above, norm.top()], gid="edge-c-ln", color=BELT)
        above = norm.bottom()
    squash = canvas.box(out_x, 4.5 if ln else 4.9, 1.0, 0.6, "tanh", gid="tanh-c",
                        kind="activation", fontsize=FONT)
    canvas.arrow([above, squash.top()], gid="edge-c-tanh", color=BELT if not ln else "#222222")
    canvas.arrow([squash.bottom(), out_mul.top()], gid="edge-tanh-mul")
    canvas.arrow([gates["o"].right(), out_mul.left()], gid="edge-o-mul")
    h_end = (right + ENTRY, GATE_Y)
    if proj_x is not None:
        proj = canvas.box(proj_x, GATE_Y, 1.0, 0.7, "$W_{hr}$", gid="projection",
                          kind="projection")
        canvas.text(proj_x, GATE_Y - 0.55, f"{config.hidden_size} → {config.proj_size}",
                    gid="label-projection-size", fontsize=FONT_SMALL, color=MUTED, va="top")
        canvas.arrow([out_mul.right(), proj.left()], gid="edge-mul-projection")
        canvas.arrow([proj.right(), h_end], gid="edge-h-out")
    else:
        canvas.arrow([out_mul.right(), h_end], gid="edge-h-out")
    canvas.text(h_end[0] + 0.15, GATE_Y, "$h_t$", gid="label-h", ha="left")

    # ---------------------------------------------------------------- peepholes
    _draw_peepholes(canvas, peep, gates, lane, (col["g"] + col["o"]) / 2)


def legend_items(config: ModelConfig) -> list[LegendItem]:
    """The key under the cell: the gates present, the belt, and the enabled extras."""
    items = []
    if config.forget_gate:
        items.append(LegendItem("forget gate f", kind="forget_gate"))
    if config.coupled:
        items.append(LegendItem("i = 1 − f (CIFG)", kind="coupled"))
    else:
        items.append(LegendItem("input gate i", kind="input_gate"))
    items += [
        LegendItem("candidate g", kind="candidate"),
        LegendItem("output gate o", kind="output_gate"),
        LegendItem("cell state c", color=BELT, lw=BELT_WIDTH),
    ]
    if config.peephole:
        items.append(LegendItem("peephole", color=PEEPHOLE, dashed=True))
    if config.layer_norm:
        items.append(LegendItem("layer norm", kind="layer_norm"))
    if config.proj_size:
        items.append(LegendItem("projection", kind="projection"))
    return items


def _tag(canvas: Canvas, gate: Node, name: str) -> None:
    """The gate's name (f_t, i_t, ...) beside the line leaving its top, in the gate's colour."""
    colour = KINDS[GATE_KINDS[name]].edge
    x, y = gate.top()
    if name == "o":  # o leaves to the right: label above that line
        x, y = gate.right()
        canvas.text(x + 0.1, y + 0.08, f"${name}_t$", gid=f"label-gate-{name}", ha="left",
                    va="bottom", color=colour)
        return
    canvas.text(x + 0.12, y + 0.36, f"${name}_t$", gid=f"label-gate-{name}", ha="left",
                color=colour)


def _draw_inputs(canvas: Canvas, config: ModelConfig, junction: float, bottom: float) -> tuple:
    """h_{t-1} from the left and x_t from below; returns where the gate bus starts."""
    canvas.text(-ENTRY - 0.12, BUS_Y, "$h_{t-1}$", gid="label-h-prev", ha="right")
    x_start = (junction, bottom - 0.75)
    canvas.text(junction, x_start[1] - 0.1, "$x_t$", gid="label-x", va="top")
    if not config.layer_norm:
        canvas.arrow([x_start, (junction, BUS_Y - 0.07)], gid="edge-x-bus")
        canvas.dot(junction, BUS_Y, gid="bus-dot-x")
        return (-ENTRY, BUS_Y)
    # a = LN(W_ih x_t) + LN(W_hh h_{t-1}) (gains inside the boxes, biases in the gates)
    total = canvas.circle(junction, BUS_Y, OP_R, "+", gid="ln-sum")
    ln_hh = canvas.box(1.15, BUS_Y, 1.75, 0.62, r"LN($W_{hh}h$)", gid="ln-hh",
                       kind="layer_norm", fontsize=FONT)
    ln_ih = canvas.box(junction, 0.0, 1.75, 0.62, r"LN($W_{ih}x$)", gid="ln-ih",
                       kind="layer_norm", fontsize=FONT)
    canvas.arrow([(-ENTRY, BUS_Y), ln_hh.left()], gid="edge-h-ln")
    canvas.arrow([ln_hh.right(), total.left()], gid="edge-ln-hh-sum")
    canvas.arrow([x_start, ln_ih.bottom()], gid="edge-x-ln")
    canvas.arrow([ln_ih.top(), total.bottom()], gid="edge-ln-ih-sum")
    return total.right()


def _draw_coupled(canvas: Canvas, f: Node, x: float, input_mul: Node) -> None:
    """CIFG: no input gate; i = 1 - f, branched off the forget gate's output."""
    node = canvas.box(x, BRANCH_Y, 0.95, 0.52, "$1-f$", gid="coupled-one-minus-f",
                      kind="coupled", fontsize=FONT)
    canvas.dot(f.x, BRANCH_Y, gid="coupled-branch")
    canvas.arrow([(f.x, BRANCH_Y), node.left()], gid="edge-f-coupled")
    canvas.arrow([node.top(), (x, MUL_Y), input_mul.left()], gid="edge-coupled-mul")


def _draw_peepholes(
    canvas: Canvas, peep: set[str], gates: dict[str, Node], lane: float | None, lane_o: float
) -> None:
    """Dashed edges: c_{t-1} into i and f (left of the forget multiply), c_t into o."""
    style = {"color": PEEPHOLE, "dashed": True, "lw": 1.3}
    if lane is not None:
        canvas.dot(lane, BELT_Y, gid="tap-c-prev", color=PEEPHOLE, r=0.08)
        first = "f" if "f" in peep else "i"
        gate = gates[first]
        canvas.arrow([(lane, BELT_Y), (lane, gate.y), gate.left()], gid=f"peephole-{first}",
                     **style)
        if first == "f" and "i" in peep:
            i = gates["i"]
            entry = i.x - 0.3
            canvas.dot(lane, BRANCH_Y, gid="tap-peephole-i", color=PEEPHOLE, r=0.06)
            canvas.arrow([(lane, BRANCH_Y), (entry, BRANCH_Y), i.top(entry - i.x)],
                         gid="peephole-i", **style)
    if "o" in peep:
        o = gates["o"]
        canvas.dot(lane_o, BELT_Y, gid="tap-c", color=PEEPHOLE, r=0.08)
        canvas.arrow([(lane_o, BELT_Y), (lane_o, o.y), o.left()], gid="peephole-o", **style)
