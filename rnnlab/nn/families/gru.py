"""The GRU family: reset-after (torch/cuDNN) and reset-before (Cho et al. 2014) cells
(:mod:`rnnlab.nn.gru`)."""

from __future__ import annotations

from rnnlab.nn.families.record import Family, Gate, Option
from rnnlab.nn.families.regularisers import regulariser_options
from rnnlab.nn.gru import GRU, GRUCell, gru_shapes

GRU_FAMILY = Family(
    name="gru",
    display_name="GRU",
    card_text="A GRU (Cho et al. 2014) is a lighter gated cousin: an update gate z blends the "
    "old state with a candidate n, and a reset gate r decides how much of the old state the "
    "candidate sees. Three weight blocks instead of the LSTM's four, and no separate cell.",
    options=(Option("reset_after", plain=True, text="reset before"), *regulariser_options()),
    words={"reset-before": ("reset_after", False)},
    layer=GRU,
    cell=GRUCell,
    gates=(Gate("r", "reset gate r"), Gate("z", "update gate z (1 = keep)"),
           Gate("n", "candidate n", squash="tanh")),
    gate_blocks=lambda config: ("r", "z", "n"),
    shapes=lambda config, layer_input: gru_shapes(layer_input, config.hidden_size, True),
    drawing="rnnlab.viz.diagrams.drawings:GRU",
)
