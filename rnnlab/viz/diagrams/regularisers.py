"""The recurrent regularisers in the diagrams: the title names them, the equations panel adds
their equations below the cell's.

Both come from the table :data:`rnnlab.nn.regularisers.REGULARISERS` (each record's variant
text, equations and paper), only for what is on and only for a family that reads it (its
record's options, :mod:`rnnlab.nn.families.regularisers`), so every family's diagram gets them
without a change to its own drawing.
"""

from __future__ import annotations

from rnnlab.models.config import ModelConfig
from rnnlab.nn.families import family
from rnnlab.nn.regularisers import REGULARISERS, TRAINING_ONLY_NOTE, Regulariser
from rnnlab.viz.diagrams.drawing import Line
from rnnlab.viz.diagrams.style import BELT, INK, MUTED

COLOURS = {"main": INK, "cell": BELT, "note": MUTED}  # an equation's role -> its ink


def _on(config: ModelConfig) -> list[Regulariser]:
    kind = family(config.family)
    return [r for r in REGULARISERS if kind.reads(r.name) and getattr(config, r.name)]


def regularisers_on(config: ModelConfig) -> list[str]:
    """The regulariser fields that are on and that ``config``'s family reads, in order."""
    return [r.name for r in _on(config)]


def title_part(config: ModelConfig) -> str:
    """The regularisers for the title, in the words of the variant text:
    ``"zoneout 0.1 + learned h0"``; empty when none is on (their papers are in the equations
    panel)."""
    options = {o.field: o for o in family(config.family).options}
    texts = (options[name].variant_text(getattr(config, name)) for name in regularisers_on(config))
    return " + ".join(t for t in texts if t)


def regulariser_equations(config: ModelConfig) -> list[Line]:
    """The equations of the regularisers that are on, to follow the cell's equations."""
    cell = "c" in family(config.family).state_kinds
    on = _on(config)
    lines: list[Line] = [
        (text, COLOURS[role]) for r in on
        for text, role in r.diagram_equations(getattr(config, r.name), cell)]
    if any(not r.in_inference for r in on):
        lines.append((TRAINING_ONLY_NOTE, MUTED))
    return lines
