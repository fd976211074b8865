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


def is_window_mlp(config: ModelConfig) -> bool:
    """A feed-forward model over a fixed window of the last ``config.window`` inputs."""
    return not is_recurrent(config)


def is_recurrent(config: ModelConfig) -> bool:
    """A model with a state carried over time: gradient flow over time can be measured."""
    return family(config.family).recurrent


def has_gates(config: ModelConfig) -> bool:
    """A gated recurrent model, whose gate activations are worth a heatmap."""
    return bool(family(config.family).gates)


def has_cell_state(name: str) -> bool:
    """Whether a trace of family ``name`` (the name a trace records) holds a cell state c."""
    return "c" in family(name).state_kinds


__all__ = ["display_name", "has_cell_state", "has_gates", "is_recurrent", "is_window_mlp"]
