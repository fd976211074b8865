"""The Elman RNN family: h_t = phi(W x_t + U h_{t-1} + b) (:mod:`rnnlab.nn.elman`)."""

from __future__ import annotations

from rnnlab.nn.elman import NONLINEARITIES, RNN, RNNCell, elman_shapes
from rnnlab.nn.families.record import Family, Option
from rnnlab.nn.families.regularisers import regulariser_options

# The activation, shared with the window MLP; only a non-default one is named ("relu").
NONLINEARITY = Option("nonlinearity", plain="tanh", text="{}")

ELMAN_FAMILY = Family(
    name="rnn",
    display_name="Elman RNN",
    card_text="An Elman recurrent network feeds its hidden state back in: "
    "h\u209c = tanh(W x\u209c + U h\u209c\u208b\u2081 + b). The past can shape the present, "
    "but the error signal that trains it is multiplied by U and tanh\u2032 at every step it "
    "travels back, so it tends to shrink (vanish) or blow up (explode).",
    options=(NONLINEARITY, *regulariser_options()),
    words={name: ("nonlinearity", name) for name in NONLINEARITIES},
    layer=RNN,
    cell=RNNCell,
    shapes=lambda config, layer_input: elman_shapes(layer_input, config.hidden_size, True),
    drawing="rnnlab.viz.diagrams.drawings:ELMAN",
)
