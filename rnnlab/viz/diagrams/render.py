"""Pick the views of a configuration, compose them into one figure, and save it.

``figure`` returns the matplotlib Figure (for embedding in a report), ``draw`` writes SVG or
PNG by the path's extension, ``svg_text`` returns the SVG markup. Views:

* ``feedforward`` — the window MLP as layers of units (family ``mlp`` only);
* ``unrolled`` — the cell rolled (self-loop) and unrolled over ``steps`` (recurrent families);
* ``cell`` — the cell at gate level (LSTM, GRU) or operation level (Elman);
* ``stack`` — layers, directions, dense blocks, sizes and parameter counts;
* ``auto`` — the family's main view (its Drawing's: mlp: feedforward; rnn: unrolled; lstm,
  gru: cell); with the stack beside it when the model has more than one layer, two
  directions or dense layers; a layer list (``ModelConfig.layers``) is its stack.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.nn.families import family
from rnnlab.utils.atomic import atomic_write, check_output
from rnnlab.viz.diagrams.canvas import Canvas, LegendItem, Region, union
from rnnlab.viz.diagrams.drawing import drawing_of
from rnnlab.viz.diagrams.equations import draw_equations
from rnnlab.viz.diagrams.feedforward import draw_feedforward
from rnnlab.viz.diagrams.parameters import is_stacked
from rnnlab.viz.diagrams.stack import draw_stack
from rnnlab.viz.diagrams.style import FONT, FONT_TITLE, MUTED
from rnnlab.viz.diagrams.titles import describe, summary
from rnnlab.viz.diagrams.unrolled import draw_rolled_and_unrolled

VIEWS = ("auto", "cell", "unrolled", "stack", "feedforward")
FORMATS = (".svg", ".png", ".pdf")
HEADINGS = {  # above each view when a figure holds two
    "stack": "The model, input at the bottom",
    "cell": "Inside every {name} box: one time step",
    "unrolled": "One layer over time",
}


def as_config(config: ModelConfig | Mapping[str, Any]) -> ModelConfig:
    """A ModelConfig, or a dict of its fields (as stored in a checkpoint)."""
    if isinstance(config, ModelConfig):
        config.validate()  # again: a config may have been changed after it was made
        return config
    if isinstance(config, Mapping):
        return ModelConfig.from_dict(dict(config))
    raise TypeError(f"expected a ModelConfig or a dict of its fields, got {type(config).__name__}")


def resolve_view(config: ModelConfig, view: str) -> list[str]:
    """The views to draw, left to right; a clear UserError for an unknown or unfit view."""
    if view not in VIEWS:
        raise UserError(f"unknown diagram view {view!r}; choose one of {', '.join(VIEWS)}")
    if not family(config.family).recurrent:
        if view not in ("auto", "feedforward"):
            raise UserError(
                f"view {view!r} needs a recurrent model; a window MLP (family 'mlp') is drawn "
                "with view 'feedforward' (or 'auto')"
            )
        return ["feedforward"]
    if config.layers:  # several cells, each with its own family: the stack shows them all
        if view not in ("auto", "stack"):
            raise UserError(f"view {view!r} draws one cell; a layer list is drawn with view "
                            "'stack' (or 'auto'); draw a single layer by its own config")
        return ["stack"]
    if view == "feedforward":
        raise UserError(
            f"view 'feedforward' draws the window MLP; for family {config.family!r} choose "
            "one of auto, cell, unrolled, stack"
        )
    if view != "auto":
        return [view]
    main = drawing_of(config).main_view
    return ["stack", main] if is_stacked(config) else [main]


def _draw_view(
    canvas: Canvas, config: ModelConfig, view: str, steps: int,
    input_size: int | None, output_size: int | None,
) -> list[Region]:
    """Draw one view into new region(s) at its own origin; returns them for placing."""
    if view == "unrolled":
        return draw_rolled_and_unrolled(canvas, config, steps)
    with canvas.region() as region:
        if view == "feedforward":
            draw_feedforward(canvas, config, input_size, output_size)
        elif view == "stack":
            draw_stack(canvas, config, input_size, output_size)
        else:
            draw_cell = drawing_of(config).cell
            if draw_cell is None:
                raise UserError(f"family {config.family!r} has no cell view")
            draw_cell(canvas, config)
    return [region]


def figure(
    config: ModelConfig | Mapping[str, Any],
    *,
    view: str = "auto",
    steps: int = 4,
    equations: bool = False,
    input_size: int | None = None,
    output_size: int | None = None,
) -> Figure:
    """The diagram of ``config`` as a matplotlib Figure (white background, not via pyplot)."""
    config = as_config(config)
    views = resolve_view(config, view)
    if steps < 1:
        raise UserError(f"steps must be at least 1, got {steps}")
    canvas = Canvas()
    groups: list[list[Region]] = []
    for name in views:
        group = _draw_view(canvas, config, name, steps, input_size, output_size)
        if len(views) > 1:
            _heading(canvas, group[0], HEADINGS[name].format(name=config.family.upper()), name)
        groups.append(group)
    if equations:
        with canvas.region() as panel:
            draw_equations(canvas, config)
        groups.append([panel])
    _arrange(canvas, groups)
    if "cell" in views:  # the key goes under the cell it explains
        cell = union(groups[views.index("cell")])
        canvas.legend(cell.x0, cell.y0 - 0.45, legend_items(config), gid="legend")
    b = canvas.bounds
    canvas.text(b.x0, b.y1 + 1.0, describe(config), gid="title", ha="left", va="bottom",
                fontsize=FONT_TITLE, weight="bold")
    canvas.text(b.x0, b.y1 + 0.85, summary(config, input_size, output_size), gid="subtitle",
                ha="left", va="top", fontsize=FONT, color=MUTED)
    return canvas.finish()


def _heading(canvas: Canvas, region: Region, text: str, view: str) -> None:
    """A bold heading above a view that shares the figure with another."""
    with canvas.region(region):
        b = region.local
        canvas.text(b.x0, b.y1 + 0.45, text, gid=f"heading-{view}", ha="left", va="bottom",
                    weight="bold", fontsize=FONT)


def legend_items(config: ModelConfig) -> list[LegendItem]:
    """The key of the cell view of ``config``."""
    return drawing_of(config).legend(config)


def _arrange(canvas: Canvas, groups: list[list[Region]], gap: float = 1.3) -> None:
    """Place the groups left to right, vertically centred; each keeps its inner layout."""
    x = 0.0
    for group in groups:
        b = union(group)
        for region in group:
            region.move_by(x - b.x0, -(b.y0 + b.y1) / 2)
        x += b.width + gap


def draw(
    config: ModelConfig | Mapping[str, Any],
    path: str | Path,
    *,
    view: str = "auto",
    steps: int = 4,
    equations: bool = False,
    input_size: int | None = None,
    output_size: int | None = None,
    dpi: int = 150,
    overwrite: bool = False,
) -> Path:
    """Write the diagram of ``config`` to ``path``: SVG, PNG or PDF by its extension.

    An existing file at ``path`` is replaced only if rnnlab drew it, or with ``overwrite``
    (see :func:`rnnlab.utils.atomic.check_output`).
    """
    path = check_output(path, overwrite=overwrite)
    if path.suffix.lower() not in FORMATS:
        raise UserError(f"diagram file must end in one of {', '.join(FORMATS)}, got {path.name!r}")
    fig = figure(config, view=view, steps=steps, equations=equations,
                 input_size=input_size, output_size=output_size)
    # Into a temporary file first: a failed save never leaves half a picture in place.
    return atomic_write(path, lambda handle: _save(fig, handle, path.suffix.lower()[1:], dpi))


def svg_text(config: ModelConfig | Mapping[str, Any], **options: Any) -> str:
    """The SVG markup of the diagram (same options as :func:`figure`)."""
    buffer = io.BytesIO()
    _save(figure(config, **options), buffer, "svg", 150)
    return buffer.getvalue().decode("utf-8")


def _save(fig: Figure, handle: Any, fmt: str, dpi: int) -> None:
    """Save reproducibly: no date in the metadata, fixed ids for clip paths."""
    # The creator "rnnlab" is also the mark that lets a later draw replace this file.
    metadata = {"Date": None, "Creator": "rnnlab"} if fmt in ("svg", "pdf") else {
        "Software": "rnnlab"}
    if fmt == "pdf":
        metadata["CreationDate"] = metadata.pop("Date")
    with matplotlib.rc_context({"svg.hashsalt": "rnnlab"}):
        fig.savefig(handle, format=fmt, dpi=dpi, facecolor="white", metadata=metadata)
