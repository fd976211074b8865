"""Counting a model's parameters: below every model file, so that all of them can use it."""

from __future__ import annotations

from torch import nn


def count_parameters(model: nn.Module) -> int:
    """Number of parameter elements; a Parameter shared by two layers (tied) counts once."""
    # Module.parameters() yields each Parameter object once, however many modules hold it.
    return sum(p.numel() for p in model.parameters())
