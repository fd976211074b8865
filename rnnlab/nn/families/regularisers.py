"""The recurrent regularisers as options of a family, from the table
:data:`rnnlab.nn.regularisers.REGULARISERS`.

Every recurrent family (rnn, lstm, gru) reads them, so each record adds them in one line:
``options=(..., *regulariser_options())``, the LSTM with ``cell=True`` (the regularisers of a
cell state too). Each Option names its ``ModelConfig`` field, which is also the layer's
keyword, its variant text when on ("zoneout 0.1") and its check, the layer's own, so a config
says a bad value before a layer is built.
"""

from __future__ import annotations

from rnnlab.nn.families.record import Config, Option
from rnnlab.nn.regularisers import Regulariser, for_family


def _state_sizes(config: Config, cell: bool) -> tuple[int, ...]:
    """The widths of one layer's states: (H,), or with a cell state (P, H), P = proj_size or
    H."""
    H = config.hidden_size
    return ((config.proj_size or H), H) if cell else (H,)


def _option(regulariser: Regulariser, cell: bool) -> Option:
    parameters = None
    if regulariser.parameters is not None:
        count = regulariser.parameters

        def parameters(config: Config) -> int:
            on = getattr(config, regulariser.name)
            return count(_state_sizes(config, cell)) if on else 0

    return Option(regulariser.name, plain=regulariser.default, text=regulariser.text_for(cell),
                  check=regulariser.check, parameters=parameters)


def regulariser_options(cell: bool = False) -> tuple[Option, ...]:
    """The regulariser Options of a family, in variant-text order; ``cell``: the family has
    a cell state c (the LSTM), which gets its own zoneout and a learned c_0."""
    return tuple(_option(r, cell) for r in for_family(cell))
