"""How the diagrams draw a family: the :class:`Drawing` a family record names.

A family record (:mod:`rnnlab.nn.families`) holds the dotted name of its Drawing
(``"rnnlab.viz.diagrams.drawings:LSTM"``) rather than the object: nn sits below viz, so it may
not import it. :func:`drawing_of` resolves the name when something is drawn; a new family brings
its Drawing wherever it likes and the views here need no change.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.nn.families import family
from rnnlab.viz.diagrams.canvas import Canvas, LegendItem

Line = tuple[str, str]  # one equation: (mathtext, colour)


def _no_legend(config: ModelConfig) -> list[LegendItem]:
    return []


@dataclass(frozen=True)
class Drawing:
    """The pictures and texts of one family's diagrams."""

    title: Callable[[ModelConfig], str]  # the figure title: family, variant and their papers
    equations: Callable[[ModelConfig], list[Line]]  # the equations panel, in evaluation order
    main_view: str  # what view="auto" draws: "cell", "unrolled" or "feedforward"
    box: str = "op"  # the colours (a style.KINDS name) of its cell boxes in the other views
    cell: Callable[[Canvas, ModelConfig], None] | None = None  # the cell view; None: no cell
    legend: Callable[[ModelConfig], list[LegendItem]] = _no_legend  # the key under the cell


def drawing_of(config: ModelConfig) -> Drawing:
    """The Drawing of ``config``'s family, resolved from the name its record holds."""
    name = family(config.family).drawing
    module, _, attribute = name.partition(":")
    if not module or not attribute:
        raise UserError(f"family {config.family!r} has no drawing")
    drawing = getattr(importlib.import_module(module), attribute)
    if not isinstance(drawing, Drawing):
        raise UserError(f"{name} (the drawing of family {config.family!r}) is not a Drawing")
    return drawing
