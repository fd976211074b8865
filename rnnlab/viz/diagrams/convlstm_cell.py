"""The ConvLSTM cell (Shi et al. 2015): the LSTM cell's picture, its products convolutions.

The gates, the belt and the peepholes are the LSTM's (:mod:`.lstm_cell`, drawn for the plain
forget-gate cell, the only one the family has); a label under the bus says that the gates'
pre-activations are k x k convolutions ``∗`` over the input and the previous maps, and that
every arrow carries a stack of H feature maps rather than a vector.
"""

from __future__ import annotations

import dataclasses

from rnnlab.models.config import ModelConfig
from rnnlab.viz.diagrams import lstm_cell
from rnnlab.viz.diagrams.canvas import Canvas, LegendItem
from rnnlab.viz.diagrams.style import FONT_SMALL, MUTED


def as_lstm(config: ModelConfig) -> ModelConfig:
    """The LSTM config whose cell has the ConvLSTM's gates: forget gate, peepholes or not."""
    return dataclasses.replace(config, family="lstm", forget_gate=True, coupled=False,
                               layer_norm=False, proj_size=0)


def draw_convlstm_cell(canvas: Canvas, config: ModelConfig) -> None:
    """Draw the ConvLSTM cell of ``config`` (one layer) at gate level."""
    lstm_cell.draw_lstm_cell(canvas, as_lstm(config))
    k = config.kernel_size
    canvas.text(2.0, lstm_cell.BUS_Y - 0.42,
                rf"$a = W_x \ast x_t + W_h \ast h_{{t-1}} + b$   ($\ast$: {k}×{k} convolution; "
                rf"x, h, c: stacks of maps)", gid="label-convolutions", ha="left",
                fontsize=FONT_SMALL, color=MUTED)


def legend_items(config: ModelConfig) -> list[LegendItem]:
    return lstm_cell.legend_items(as_lstm(config))
