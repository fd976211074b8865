"""Drawing primitives shared by every diagram: boxes, circles, arrows, labels and regions.

A :class:`Canvas` draws in *layout units* (one unit is :data:`~.style.SCALE` inches), so the
views place things on a simple grid and never think about inches or pixels. Every primitive
takes a ``gid``, which matplotlib writes as the ``id`` of the element in an SVG file; the
canvas refuses a gid it has already seen, so every semantic element is identifiable.

Drawing happens inside *regions*. A region is a group of elements with its own offset, so a
view draws at its own origin and the composer (:mod:`.render`) moves whole views next to each
other afterwards (:meth:`Canvas.row`) — the tiny layout helper. Text is
measured the moment it is placed, so every region knows its exact extent, labels included.
:meth:`Canvas.finish` sizes the figure to fit everything at the fixed scale.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyBboxPatch, Polygon
from matplotlib.text import Text
from matplotlib.transforms import Affine2D, Transform

from rnnlab.viz.diagrams.style import (
    FONT,
    FONT_SMALL,
    FONT_SYMBOL,
    FRAME_EDGE,
    FRAME_FILL,
    INK,
    KINDS,
    LAYOUT_DPI,
    LINE_WIDTH,
    SCALE,
)

Point = tuple[float, float]

HEAD_LENGTH = 0.2  # arrow heads, in layout units
HEAD_WIDTH = 0.15


@dataclass
class Bounds:
    """An axis-aligned rectangle in layout units; empty until something is included."""

    x0: float = math.inf
    y0: float = math.inf
    x1: float = -math.inf
    y1: float = -math.inf

    @property
    def empty(self) -> bool:
        return self.x0 > self.x1

    @property
    def width(self) -> float:
        return 0.0 if self.empty else self.x1 - self.x0

    @property
    def height(self) -> float:
        return 0.0 if self.empty else self.y1 - self.y0

    def include(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.x0, self.y0 = min(self.x0, x0), min(self.y0, y0)
        self.x1, self.y1 = max(self.x1, x1), max(self.y1, y1)

    def union(self, other: Bounds) -> None:
        if not other.empty:
            self.include(other.x0, other.y0, other.x1, other.y1)

    def shifted(self, dx: float, dy: float) -> Bounds:
        return Bounds(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy)


@dataclass(frozen=True)
class Node:
    """A drawn box or circle: its centre, half sizes, and the points where arrows meet it."""

    gid: str
    x: float
    y: float
    hw: float  # half width (the radius of a circle)
    hh: float  # half height
    round: bool = False

    def _edge(self, offset: float) -> float:
        if self.round:
            return math.sqrt(max(self.hw**2 - offset**2, 0.0))
        return self.hh

    def top(self, dx: float = 0.0) -> Point:
        return (self.x + dx, self.y + self._edge(dx))

    def bottom(self, dx: float = 0.0) -> Point:
        return (self.x + dx, self.y - self._edge(dx))

    def left(self, dy: float = 0.0) -> Point:
        half = math.sqrt(max(self.hw**2 - dy**2, 0.0)) if self.round else self.hw
        return (self.x - half, self.y + dy)

    def right(self, dy: float = 0.0) -> Point:
        half = math.sqrt(max(self.hw**2 - dy**2, 0.0)) if self.round else self.hw
        return (self.x + half, self.y + dy)


@dataclass(frozen=True)
class LegendItem:
    """One key entry: a box swatch painted as ``kind``, or a line of ``color``."""

    text: str
    kind: str | None = None
    color: str = INK
    lw: float = LINE_WIDTH
    dashed: bool = False


class Region:
    """A group of elements drawn in its own coordinates and moved as one."""

    def __init__(self) -> None:
        self.shift = Affine2D()
        self.local = Bounds()
        self.dx = 0.0
        self.dy = 0.0

    @property
    def bounds(self) -> Bounds:
        """The extent of everything drawn in the region, where the region now is."""
        return self.local.shifted(self.dx, self.dy)

    def move_by(self, dx: float, dy: float) -> None:
        self.dx += dx
        self.dy += dy
        self.shift.translate(dx, dy)


@functools.lru_cache(maxsize=4096)
def _measure(s: str, fontsize: float, weight: str) -> Point:
    """Text extents, cached: parsing mathtext is by far the slowest part of a diagram."""
    figure = Figure(dpi=LAYOUT_DPI)
    renderer = FigureCanvasAgg(figure).get_renderer()
    probe = Text(0, 0, s, fontsize=fontsize, fontweight=weight)
    probe.set_figure(figure)
    extent = probe.get_window_extent(renderer)
    per_unit = LAYOUT_DPI * SCALE
    return extent.width / per_unit, extent.height / per_unit


def union(regions: Sequence[Region]) -> Bounds:
    """The extent of several regions together."""
    out = Bounds()
    for region in regions:
        out.union(region.bounds)
    return out


class Canvas:
    """A white matplotlib figure drawn in layout units; see the module docstring."""

    def __init__(self) -> None:
        self.figure = Figure(figsize=(4, 3), dpi=LAYOUT_DPI, facecolor="white")
        FigureCanvasAgg(self.figure)
        self.ax = self.figure.add_axes((0, 0, 1, 1))
        self.ax.set_axis_off()
        self._regions: list[Region] = []
        self._gids: set[str] = set()
        self._current = Region()
        self._regions.append(self._current)

    # ----------------------------------------------------------------- regions and layout

    @contextmanager
    def region(self, existing: Region | None = None) -> Iterator[Region]:
        """Draw the body of the ``with`` block into a new region (or more into ``existing``)."""
        previous = self._current
        if existing is None:
            existing = Region()
            self._regions.append(existing)
        self._current = existing
        try:
            yield self._current
        finally:
            self._current = previous

    @property
    def bounds(self) -> Bounds:
        """The extent of everything drawn so far."""
        total = Bounds()
        for region in self._regions:
            total.union(region.bounds)
        return total

    @property
    def current_bounds(self) -> Bounds:
        """The extent of what the current region holds, in its own coordinates."""
        return self._current.local

    @staticmethod
    def row(regions: Sequence[Region], gap: float = 1.0) -> None:
        """Place regions left to right, ``gap`` units apart, their vertical centres aligned."""
        x = 0.0
        for region in regions:
            b = region.bounds
            region.move_by(x - b.x0, -(b.y0 + b.y1) / 2)
            x += b.width + gap

    # ----------------------------------------------------------------- bookkeeping

    def _claim(self, gid: str) -> str:
        if gid in self._gids:
            raise ValueError(f"diagram element id {gid!r} used twice")
        self._gids.add(gid)
        return gid

    def _transform(self) -> Transform:
        return self._current.shift + self.ax.transData

    def _include(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self._current.local.include(x0, y0, x1, y1)

    @staticmethod
    def measure(s: str, fontsize: float = FONT, weight: str = "normal") -> Point:
        """Width and height of a text in layout units."""
        return _measure(s, fontsize, weight)

    # ----------------------------------------------------------------- primitives

    def text(
        self,
        x: float,
        y: float,
        s: str,
        *,
        gid: str,
        ha: str = "center",
        va: str = "center",
        fontsize: float = FONT,
        color: str = INK,
        weight: str = "normal",
        zorder: float = 5,
    ) -> Bounds:
        """A label; returns its extent (layout units). ``va`` is top, center or bottom."""
        w, h = self.measure(s, fontsize, weight)
        x0 = {"left": x, "center": x - w / 2, "right": x - w}[ha]
        y0 = {"bottom": y, "center": y - h / 2, "top": y - h}[va]
        self.ax.text(
            x, y, s, ha=ha, va=va, fontsize=fontsize, color=color, fontweight=weight,
            transform=self._transform(), zorder=zorder, gid=self._claim(gid),
        )
        self._include(x0, y0, x0 + w, y0 + h)
        return Bounds(x0, y0, x0 + w, y0 + h)

    def box(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        label: str = "",
        *,
        gid: str,
        kind: str = "op",
        fontsize: float = FONT_SYMBOL,
        rounding: float = 0.12,
        lw: float = LINE_WIDTH,
        dashed: bool = False,
        zorder: float = 3,
    ) -> Node:
        """A rounded box centred at (x, y) with an optional centred label ``<gid>-label``."""
        paint = KINDS[kind]
        patch = FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h,
            boxstyle=f"round,pad=0,rounding_size={rounding}",
            facecolor=paint.fill, edgecolor=paint.edge, linewidth=lw,
            linestyle="--" if dashed else "-", transform=self._transform(), zorder=zorder,
        )
        patch.set_gid(self._claim(gid))
        self.ax.add_patch(patch)
        self._include(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        if label:
            self.text(x, y, label, gid=f"{gid}-label", fontsize=fontsize, zorder=zorder + 1)
        return Node(gid, x, y, w / 2, h / 2)

    def circle(
        self,
        x: float,
        y: float,
        r: float,
        label: str = "",
        *,
        gid: str,
        kind: str = "op",
        fontsize: float = FONT_SYMBOL,
        lw: float = LINE_WIDTH,
        zorder: float = 3,
    ) -> Node:
        """A circle centred at (x, y), e.g. a pointwise x or + node, or a unit of a layer."""
        paint = KINDS[kind]
        patch = Circle(
            (x, y), r, facecolor=paint.fill, edgecolor=paint.edge, linewidth=lw,
            transform=self._transform(), zorder=zorder,
        )
        patch.set_gid(self._claim(gid))
        self.ax.add_patch(patch)
        self._include(x - r, y - r, x + r, y + r)
        if label:
            self.text(x, y, label, gid=f"{gid}-label", fontsize=fontsize, zorder=zorder + 1)
        return Node(gid, x, y, r, r, round=True)

    def frame(self, x0: float, y0: float, x1: float, y1: float, *, gid: str) -> None:
        """A pale rounded background panel (the outline of a cell), behind everything."""
        patch = FancyBboxPatch(
            (x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,rounding_size=0.35",
            facecolor=FRAME_FILL, edgecolor=FRAME_EDGE, linewidth=1.2,
            transform=self._transform(), zorder=0,
        )
        patch.set_gid(self._claim(gid))
        self.ax.add_patch(patch)
        self._include(x0, y0, x1, y1)

    def arrow(
        self,
        points: Sequence[Point],
        *,
        gid: str,
        color: str = INK,
        lw: float = LINE_WIDTH,
        dashed: bool = False,
        head: bool = True,
        zorder: float = 2,
    ) -> None:
        """A polyline through ``points`` with a solid head at the last point (``<gid>-head``)."""
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        if head:
            (ax_, ay), (bx, by) = points[-2], points[-1]
            length = math.hypot(bx - ax_, by - ay)
            ux, uy = (bx - ax_) / length, (by - ay) / length
            back = HEAD_LENGTH * 0.8  # stop the shaft inside the head so it never pokes out
            xs[-1], ys[-1] = bx - ux * back, by - uy * back
            base = (bx - ux * HEAD_LENGTH, by - uy * HEAD_LENGTH)
            wing = (-uy * HEAD_WIDTH / 2, ux * HEAD_WIDTH / 2)
            tip = Polygon(
                [(bx, by), (base[0] + wing[0], base[1] + wing[1]),
                 (base[0] - wing[0], base[1] - wing[1])],
                closed=True, facecolor=color, edgecolor=color, linewidth=0.5,
                transform=self._transform(), zorder=zorder,
            )
            tip.set_gid(self._claim(f"{gid}-head"))
            self.ax.add_patch(tip)
        line = Line2D(
            xs, ys, color=color, linewidth=lw, linestyle=(0, (4, 2.5)) if dashed else "-",
            solid_joinstyle="round", solid_capstyle="butt", dash_capstyle="butt",
            transform=self._transform(), zorder=zorder,
        )
        line.set_gid(self._claim(gid))
        self.ax.add_line(line)
        self._include(min(p[0] for p in points), min(p[1] for p in points),
                      max(p[0] for p in points), max(p[1] for p in points))

    def line(self, points: Sequence[Point], *, gid: str, **style: object) -> None:
        """A polyline without a head (same options as :meth:`arrow`)."""
        self.arrow(points, gid=gid, head=False, **style)  # type: ignore[arg-type]

    def dot(self, x: float, y: float, *, gid: str, color: str = INK, r: float = 0.06) -> None:
        """A small filled junction dot where a line branches."""
        patch = Circle(
            (x, y), r, facecolor=color, edgecolor=color, transform=self._transform(), zorder=4
        )
        patch.set_gid(self._claim(gid))
        self.ax.add_patch(patch)
        self._include(x - r, y - r, x + r, y + r)

    def segments(
        self,
        segments: Sequence[tuple[Point, Point]],
        *,
        gid: str,
        color: str = INK,
        lw: float = 0.6,
        alpha: float = 1.0,
        zorder: float = 1,
    ) -> None:
        """Many plain straight lines as one element (e.g. the weights between two layers)."""
        if not segments:
            return
        lines = LineCollection(
            [list(seg) for seg in segments], colors=color, linewidths=lw, alpha=alpha,
            transform=self._transform(), zorder=zorder,
        )
        lines.set_gid(self._claim(gid))
        self.ax.add_collection(lines, autolim=False)
        xs = [p[0] for seg in segments for p in seg]
        ys = [p[1] for seg in segments for p in seg]
        self._include(min(xs), min(ys), max(xs), max(ys))

    def ellipsis(
        self, x: float, y: float, *, gid: str, vertical: bool = True, spacing: float = 0.16
    ) -> None:
        """Three small dots standing for elements not drawn."""
        for k in (-1, 0, 1):
            dx, dy = (0.0, spacing * k) if vertical else (spacing * k, 0.0)
            self.dot(x + dx, y + dy, gid=f"{gid}-{k + 1}", color=INK, r=0.035)

    def legend(self, x: float, y: float, items: Sequence[LegendItem], *, gid: str) -> None:
        """A one-row key of swatches and names whose top-left corner is at (x, y)."""
        cx = x
        for n, item in enumerate(items):
            sy = y - 0.2
            if item.kind is not None:
                paint = KINDS[item.kind]
                patch = FancyBboxPatch(
                    (cx, sy - 0.13), 0.42, 0.26, boxstyle="round,pad=0,rounding_size=0.05",
                    facecolor=paint.fill, edgecolor=paint.edge, linewidth=1.2,
                    transform=self._transform(), zorder=3,
                )
                patch.set_gid(self._claim(f"{gid}-{n}-swatch"))
                self.ax.add_patch(patch)
                self._include(cx, sy - 0.13, cx + 0.42, sy + 0.13)
            else:
                self.line([(cx, sy), (cx + 0.42, sy)], gid=f"{gid}-{n}-swatch",
                          color=item.color, lw=item.lw, dashed=item.dashed)
            box = self.text(cx + 0.55, sy, item.text, gid=f"{gid}-{n}", ha="left",
                            fontsize=FONT_SMALL)
            cx = box.x1 + 0.45

    # ----------------------------------------------------------------- the figure

    def finish(self, margin: float = 0.35) -> Figure:
        """Fit the axes to everything drawn, at the fixed scale, and return the figure."""
        b = self.bounds
        x0, y0, x1, y1 = b.x0 - margin, b.y0 - margin, b.x1 + margin, b.y1 + margin
        self.ax.set_xlim(x0, x1)
        self.ax.set_ylim(y0, y1)
        self.figure.set_size_inches((x1 - x0) * SCALE, (y1 - y0) * SCALE)
        return self.figure
