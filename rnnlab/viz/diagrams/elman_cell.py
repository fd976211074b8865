"""The Elman cell at operation level: h_t = φ(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).

Layout::

    h_{t-1} ──▶[W_hh]──▶(+)──▶[φ]──┬──▶ h_t
                         ▲         │
                       [W_ih]      └─▶ (to step t + 1)
                         ▲
                        x_t

Nothing carries information from step to step except h itself, and every step passes it
through W_hh and the squashing φ: this is the path along which gradients vanish or explode.
"""

from __future__ import annotations

from rnnlab.models.config import ModelConfig
from rnnlab.viz.diagrams.canvas import Canvas, LegendItem
from rnnlab.viz.diagrams.style import FONT, FONT_SMALL, MUTED

ROW_Y = 3.0
OP_R = 0.28


def draw_elman_cell(canvas: Canvas, config: ModelConfig) -> None:
    """Draw one Elman step with its two matrix products, the sum and the nonlinearity."""
    canvas.frame(0.0, 0.3, 6.6, 4.3, gid="cell-frame")
    w_hh = canvas.box(1.4, ROW_Y, 1.1, 0.7, "$W_{hh}$", gid="matmul-hh", kind="matmul")
    total = canvas.circle(3.1, ROW_Y, OP_R, "+", gid="sum")
    w_ih = canvas.box(3.1, 1.5, 1.1, 0.7, "$W_{ih}$", gid="matmul-ih", kind="matmul")
    phi = canvas.box(4.8, ROW_Y, 1.1, 0.7, config.nonlinearity, gid="activation",
                     kind="activation", fontsize=FONT)
    canvas.arrow([(-0.6, ROW_Y), w_hh.left()], gid="edge-h-prev")
    canvas.text(-0.72, ROW_Y, "$h_{t-1}$", gid="label-h-prev", ha="right")
    canvas.arrow([w_hh.right(), total.left()], gid="edge-whh-sum")
    canvas.arrow([(3.1, -0.4), w_ih.bottom()], gid="edge-x")
    canvas.text(3.1, -0.5, "$x_t$", gid="label-x", va="top")
    canvas.arrow([w_ih.top(), total.bottom()], gid="edge-wih-sum")
    canvas.text(3.1 + OP_R + 0.08, ROW_Y + OP_R + 0.05, "$+\\,b$", gid="label-bias",
                ha="left", va="bottom", fontsize=FONT_SMALL, color=MUTED)
    canvas.arrow([total.right(), phi.left()], gid="edge-sum-activation")
    canvas.arrow([phi.right(), (7.2, ROW_Y)], gid="edge-h-out")
    canvas.text(7.32, ROW_Y, "$h_t$", gid="label-h", ha="left")


def legend_items(config: ModelConfig) -> list[LegendItem]:
    """The key under the cell."""
    return [
        LegendItem("matrix product", kind="matmul"),
        LegendItem(f"nonlinearity φ = {config.nonlinearity}", kind="activation"),
    ]
