"""Every question ``rnnlab compare`` asks about a model's family, in one place.

The comparison treats the families differently in a few ways only: the window MLP has a
window (its label and the horizon chart show it) and no recurrence (no gradient flow over
time, no untrained copy to probe); gated families get a gate heatmap; the LSTM's cell state is
the state worth showing. Each of those is one predicate here, and no other module of the
package compares family names, so pointing them at a family registry is one edit.
"""

from __future__ import annotations

from rnnlab.models.config import FAMILY_NAMES, ModelConfig


def display_name(config: ModelConfig) -> str:
    """The family as the report names it: "window MLP", "Elman RNN", "LSTM", "GRU"."""
    return FAMILY_NAMES[config.family]


def is_window_mlp(config: ModelConfig) -> bool:
    """A feed-forward model over a fixed window of the last ``config.window`` inputs."""
    return config.family == "mlp"


def is_recurrent(config: ModelConfig) -> bool:
    """A model with a state carried over time: gradient flow over time can be measured."""
    return config.family != "mlp"


def has_gates(config: ModelConfig) -> bool:
    """A gated recurrent model, whose gate activations are worth a heatmap."""
    return config.family in ("lstm", "gru")


def has_cell_state(family: str) -> bool:
    """Whether a trace of ``family`` (the name a trace records) holds a cell state c."""
    return family == "lstm"


__all__ = ["display_name", "has_cell_state", "has_gates", "is_recurrent", "is_window_mlp"]
