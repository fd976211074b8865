"""The LSTM family: the 1997 cell, the forget-gate cell, peepholes, CIFG, layer norm and
projection, in any sensible combination (:mod:`rnnlab.nn.lstm`)."""

from __future__ import annotations

from rnnlab.bptt.reference import lstm_gate_names
from rnnlab.errors import UserError
from rnnlab.nn.families.record import Config, Family, Gate, Option, Shapes
from rnnlab.nn.families.regularisers import regulariser_options
from rnnlab.nn.lstm import (
    DEFAULT_FORGET_BIAS,
    LSTM,
    LSTMCell,
    check_lstm_options,
    lstm_shapes,
)


def check_config(config: Config) -> None:
    """The LSTM options of a model config: the layer's own rules (:func:`check_lstm_options`),
    and torch.nn.LSTM's rule that a projection makes h smaller than the cell (said here with
    the sizes; the layer says it in torch's words)."""
    if config.proj_size >= config.hidden_size:
        raise UserError(
            f"proj_size ({config.proj_size}) must be smaller than hidden_size "
            f"({config.hidden_size})"
        )
    check_lstm_options(config.forget_gate, config.coupled, config.forget_bias)


def gate_blocks(config: Config) -> tuple[str, ...]:
    return lstm_gate_names(config.forget_gate, config.coupled)


def shapes(config: Config, layer_input: int) -> Shapes:
    return lstm_shapes(layer_input, config.hidden_size, config.proj_size, True,
                       gate_blocks(config), config.peephole, config.layer_norm)


LSTM_FAMILY = Family(
    name="lstm",
    display_name="LSTM",
    card_text="An LSTM adds a cell state that is updated by addition, "
    "c\u209c = f \u2299 c\u209c\u208b\u2081 + i \u2299 g, with sigmoid gates deciding what "
    "to write (input i), keep (forget f) and show (output o). While the forget gate stays near "
    "1, information and gradient pass along the cell for many steps.",
    options=(
        Option("forget_gate", plain=True, text="no forget gate"),
        Option("peephole", plain=False, text="peephole"),
        Option("coupled", plain=False, text="CIFG"),
        Option("layer_norm", plain=False, text="layer norm"),
        Option("proj_size", plain=0, text="projection {}"),
        Option("forget_bias", plain=DEFAULT_FORGET_BIAS),  # an initialisation, not a variant
        *regulariser_options(cell=True),
    ),
    words={
        "peephole": ("peephole", True),
        "coupled": ("coupled", True),
        "cifg": ("coupled", True),
        "no-forget": ("forget_gate", False),
        "1997": ("forget_gate", False),
        "layer-norm": ("layer_norm", True),
    },
    layer=LSTM,
    cell=LSTMCell,
    state_kinds=("c", "h"),
    gates=(Gate("i", "input gate i"), Gate("f", "forget gate f (1 = keep)"),
           Gate("g", "candidate g", squash="tanh"), Gate("o", "output gate o")),
    gate_blocks=gate_blocks,
    shapes=shapes,
    check=check_config,
    drawing="rnnlab.viz.diagrams.drawings:LSTM",
)
