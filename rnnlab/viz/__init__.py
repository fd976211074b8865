"""rnnlab.viz: diagrams drawn from a model config or checkpoint, charts, heatmaps, the report.

``rnnlab.viz.draw(config_or_checkpoint, "out.svg")`` is :func:`rnnlab.viz.diagrams.draw`;
it is imported on first use, since drawing loads matplotlib.
"""

from __future__ import annotations

from typing import Any

__all__ = ["draw", "svg_text"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from rnnlab.viz import diagrams

        return getattr(diagrams, name)
    raise AttributeError(f"module 'rnnlab.viz' has no attribute {name!r}")
