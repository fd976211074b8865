"""Every question ``rnnlab compare`` asks about a model's family, in one place.

The comparison treats the families differently in a few ways only: the window MLP has a
window (its label and the horizon chart show it) and no recurrence (no gradient flow over
time, no untrained copy to probe); gated families get a gate heatmap; the LSTM's cell state is
the state worth showing. Each of those is one predicate here, answered by the family's record
(:mod:`rnnlab.nn.families`), and no module of the package compares family names.
"""

from __future__ import annotations

from rnnlab.models.config import ModelConfig
from rnnlab.nn.families import family


def display_name(config: ModelConfig) -> str:
    """The family as the report names it: "window MLP", "Elman RNN", "LSTM", "GRU"."""
    return family(config.family).display_name


LAYER_LIST = "layers"  # what a layer list is filed under where a family name is asked for


def family_key(config: ModelConfig) -> str:
    """The family a report files a model under (its colour, its card's text): the family's
    name, or ``"layers"`` for a layer list, which mixes families."""
    return LAYER_LIST if config.layers else config.family


def is_window_mlp(config: ModelConfig) -> bool:
    """A feed-forward model over a fixed window of the last ``config.window`` inputs."""
    return not is_recurrent(config)


def is_recurrent(config: ModelConfig) -> bool:
    """A model with a state carried over time: gradient flow over time can be measured
    (:mod:`rnnlab.inspect` re-runs every recurrent family step by step, the ConvLSTM's maps
    too)."""
    return family(config.family).recurrent


def has_gates(config: ModelConfig) -> bool:
    """A gated recurrent model, whose gate activations are worth a heatmap."""
    return gated_module(config) is not None


def gated_module(config: ModelConfig) -> int | None:
    """Which recurrent module a gate heatmap traces: 0 for a uniform gated stack; for a
    layer list, the position (among its recurrent layers) of the first gated one; None if
    there is none."""
    if not config.layers:
        return 0 if family(config.family).gates else None
    recurrent = [s for s in config.layer_specs if s.recurrent]
    return next((i for i, s in enumerate(recurrent) if family(s.kind).gates), None)


def has_cell_state(name: str) -> bool:
    """Whether a trace of family ``name`` (the name a trace records) holds a cell state c."""
    return "c" in family(name).state_kinds


__all__ = [
    "LAYER_LIST", "display_name", "family_key", "gated_module", "has_cell_state", "has_gates",
    "is_recurrent", "is_window_mlp",
]
