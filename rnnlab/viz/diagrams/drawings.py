"""The Drawings of the built-in families, named by their records (:mod:`.drawing`)."""

from __future__ import annotations

from rnnlab.viz.diagrams import convlstm_cell, elman_cell, gru_cell, lstm_cell
from rnnlab.viz.diagrams.drawing import Drawing
from rnnlab.viz.diagrams.equations import (
    conv_lstm_equations,
    elman_equations,
    gru_equations,
    lstm_equations,
    mlp_equations,
)
from rnnlab.viz.diagrams.titles import (
    conv_lstm_title,
    elman_title,
    gru_title,
    lstm_title,
    mlp_title,
)

MLP = Drawing(title=mlp_title, equations=mlp_equations, main_view="feedforward")
ELMAN = Drawing(title=elman_title, equations=elman_equations, main_view="unrolled", box="rnn",
                cell=elman_cell.draw_elman_cell, legend=elman_cell.legend_items)
LSTM = Drawing(title=lstm_title, equations=lstm_equations, main_view="cell", box="lstm",
               cell=lstm_cell.draw_lstm_cell, legend=lstm_cell.legend_items)
GRU = Drawing(title=gru_title, equations=gru_equations, main_view="cell", box="gru",
              cell=gru_cell.draw_gru_cell, legend=lambda config: gru_cell.legend_items())
CONVLSTM = Drawing(title=conv_lstm_title, equations=conv_lstm_equations, main_view="cell",
                   box="lstm", cell=convlstm_cell.draw_convlstm_cell,
                   legend=convlstm_cell.legend_items)
