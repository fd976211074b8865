"""The recurrent regularisers as options of a family (:mod:`rnnlab.nn.regularisers`).

Every recurrent family (rnn, lstm, gru) reads the same ones, so each record adds them in one
line: ``options=(..., *regulariser_options())``, the LSTM with ``cell=True`` (zoneout on c
too). Each Option names its ``ModelConfig`` field, which is also the layer's keyword, its
variant text when on ("zoneout 0.1") and its range check, the layer's own, so a config says a
bad value before a layer is built.
"""

from __future__ import annotations

from rnnlab.nn.checks import check_bool
from rnnlab.nn.families.record import Config, Option
from rnnlab.nn.regularisers import check_probability


def _probability(field: str, text: str) -> Option:
    return Option(field, plain=0.0, text=text + " {:g}", check=check_probability)


RECURRENT_DROPOUT = _probability("recurrent_dropout", "recurrent dropout")
WEIGHT_DROP = _probability("weight_drop", "weight drop")
ZONEOUT = _probability("zoneout", "zoneout")
ZONEOUT_CELL = _probability("zoneout_cell", "cell zoneout")


def _learned_h(config: Config) -> int:
    """learn_init's parameters per layer and direction: initial_h (H,)."""
    return config.hidden_size if config.learn_init else 0


def _learned_cell(config: Config) -> int:
    """With a cell state: initial_h (P,), P = proj_size or H, and initial_c (H,)."""
    return (config.proj_size or config.hidden_size) + config.hidden_size if config.learn_init else 0


def regulariser_options(cell: bool = False) -> tuple[Option, ...]:
    """The regulariser Options of a family, in variant-text order; ``cell``: the family has
    a cell state c (the LSTM), which gets its own zoneout and a learned c_0."""
    learned = Option("learn_init", plain=False, text="learned h0, c0" if cell else "learned h0",
                     check=check_bool, parameters=_learned_cell if cell else _learned_h)
    zoneout = (ZONEOUT, ZONEOUT_CELL) if cell else (ZONEOUT,)
    return (RECURRENT_DROPOUT, WEIGHT_DROP, *zoneout, learned)
