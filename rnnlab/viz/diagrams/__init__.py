"""Diagrams of rnnlab models: cells at gate level, unrolled nets, stacks, feed-forward layers.

>>> from rnnlab.models.config import ModelConfig
>>> from rnnlab.viz.diagrams import draw
>>> draw(ModelConfig(family="lstm", peephole=True), "lstm.svg", equations=True)  # doctest: +SKIP

``figure(config, ...)`` returns the matplotlib Figure (for an HTML report), ``svg_text`` the SVG
markup; ``draw`` writes .svg, .png or .pdf by the path's extension. ``config`` may also be the
dict of a ModelConfig's fields, as stored in a checkpoint.

Every drawn element carries an id (``gate-f``, ``peephole-i``, ``belt-add``, ``cell-copy-3``,
``layer-2-backward``, ...), which SVG output keeps as ``id=`` attributes.
``python -m rnnlab.viz.diagrams DIR`` draws the gallery of every variant into DIR.
"""

from rnnlab.viz.diagrams.blocks import Block, count_parameters_by_block
from rnnlab.viz.diagrams.parameters import count_recurrent_parameters
from rnnlab.viz.diagrams.render import VIEWS, draw, figure, resolve_view, svg_text

__all__ = [
    "VIEWS",
    "Block",
    "count_parameters_by_block",
    "count_recurrent_parameters",
    "draw",
    "figure",
    "resolve_view",
    "svg_text",
]
