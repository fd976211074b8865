"""Charts for the comparison report: learning curves, memory horizon, gradient flow.

Every function takes plain data (:class:`Series` of numbers, keyed by the model's label) and
returns a :class:`matplotlib.figure.Figure` built without pyplot, so nothing touches global
state and charts can be made from any thread. :func:`to_svg` and :func:`to_png` turn a figure
into SVG text or PNG bytes for embedding.

One model keeps one colour in every chart: pick the colours once with :func:`model_colors`
and pass the same mapping to each chart.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, PercentFormatter

# Okabe & Ito's colour-blind-safe palette; the four families get fixed colours, variants the
# rest in order.
FAMILY_COLORS = {"mlp": "#7a7a7a", "rnn": "#d55e00", "lstm": "#0072b2", "gru": "#009e73"}
SPARE_COLORS = ("#cc79a7", "#e69f00", "#56b4e9", "#000000", "#8c564b", "#bcbd22", "#17becf")
INK = "#222222"
MUTED = "#6b6b6b"
GRID = "#e6e6e6"
WIDTH = 9.0  # inches; the report shows charts at up to ~900 px


@dataclass
class Series:
    """One line: x and y values, and optionally a spread (e.g. sd over seeds) around y."""

    x: Sequence[float]
    y: Sequence[float]
    spread: Sequence[float] | None = None


def model_colors(models: Sequence[tuple[str, str]]) -> dict[str, str]:
    """A colour per model from ``(label, family)`` pairs: the first model of each family gets
    the family's colour, any further one (a variant) the next spare colour."""
    colors: dict[str, str] = {}
    used: set[str] = set()
    spare = iter(SPARE_COLORS)
    for label, family in models:
        color = FAMILY_COLORS.get(family)
        if color is None or color in used:
            color = next(spare, "#444444")
        colors[label] = color
        used.add(color)
    return colors


def _style(ax: Axes) -> None:
    """Light grid, no top/right frame, quiet ticks."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#9a9a9a")
    ax.grid(True, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(colors=MUTED, labelcolor=INK, labelsize=9)
    ax.xaxis.label.set_color(INK)
    ax.yaxis.label.set_color(INK)


def _new_figure(panels: int, height: float = 3.4) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(WIDTH, height), layout="constrained", facecolor="white")
    axes = fig.subplots(1, panels, squeeze=False)[0]
    for ax in axes:
        _style(ax)
    return fig, list(axes)


def _legend(fig: Figure, labels: Sequence[str], colors: Mapping[str, str],
            extra: Sequence[Line2D] = ()) -> None:
    """One legend for the whole figure, above the panels, in the models' order."""
    handles = [Line2D([], [], color=colors.get(label, INK), linewidth=2.2, marker="o",
                      markersize=4, label=label) for label in labels]
    handles += list(extra)
    fig.legend(handles=handles, loc="outside upper center", ncol=min(len(handles), 5),
               frameon=False, fontsize=9.5, handlelength=2.2)


def _line(ax: Axes, series: Series, color: str, *, marker: str | None = None,
          linestyle: str = "-") -> None:
    ax.plot(series.x, series.y, color=color, linewidth=2.0, marker=marker, markersize=4,
            linestyle=linestyle)
    if series.spread is not None and any(s > 0 for s in series.spread):
        low = [y - s for y, s in zip(series.y, series.spread, strict=True)]
        high = [y + s for y, s in zip(series.y, series.spread, strict=True)]
        ax.fill_between(series.x, low, high, color=color, alpha=0.15, linewidth=0)


def _is_fraction(name: str) -> bool:
    return "accuracy" in name.lower() or name.lower() in ("solved", "sequence_accuracy")


def curves_chart(
    panels: Mapping[str, Mapping[str, Series]],
    colors: Mapping[str, str],
    *,
    xlabel: str = "training sequences",
    chance: float | None = None,
) -> Figure:
    """Learning curves: one panel per metric (``{"validation accuracy": {label: Series}}``),
    each model a line (with its spread over seeds as a band). Panels whose name mentions
    accuracy get a 0-100 % axis and, when given, the ``chance`` line."""
    fig, axes = _new_figure(len(panels))
    labels: list[str] = []
    for ax, (name, lines) in zip(axes, panels.items(), strict=True):
        for label, series in lines.items():
            _line(ax, series, colors.get(label, INK))
            if label not in labels:
                labels.append(label)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(name)
        ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
        if _is_fraction(name):
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            ax.set_ylim(-0.02, 1.02)
            if chance is not None:
                _chance_line(ax, chance)
    _legend(fig, labels, colors)
    return fig


def _chance_line(ax: Axes, chance: float) -> None:
    ax.axhline(chance, color=MUTED, linestyle="--", linewidth=1.2)
    ax.annotate(f"chance {chance:.0%}", xy=(1.0, chance), xycoords=("axes fraction", "data"),
                xytext=(-4, 4), textcoords="offset points", ha="right", va="bottom",
                fontsize=8.5, color=MUTED)


def horizon_chart(
    lines: Mapping[str, Series],
    colors: Mapping[str, str],
    *,
    chance: float | None = None,
    window: int | None = None,
    xlabel: str = "gap: words between the cue and the answer",
    ylabel: str = "test accuracy",
) -> Figure:
    """Accuracy against the gap to bridge, one line per model, with the chance level and,
    when ``window`` is given, the last gap the window MLP can still see (gap = window - 1)."""
    fig, (ax,) = _new_figure(1, height=3.8)
    gaps = sorted({g for s in lines.values() for g in s.x})
    if window is not None and gaps:
        edge = window - 0.5  # the cue is inside the window up to gap = window - 1
        ax.axvspan(edge, max(gaps[-1], edge) + 0.5, color="#f3f3f3", zorder=0, linewidth=0)
        ax.axvline(edge, color=FAMILY_COLORS["mlp"], linestyle=":", linewidth=1.5)
        ax.annotate(f"cue outside the MLP's {window}-word window \u2192", xy=(edge, 0.02),
                    xytext=(5, 0), textcoords="offset points", fontsize=8.5, color=MUTED,
                    va="bottom")
    for label, series in lines.items():
        _line(ax, series, colors.get(label, INK), marker="o")
    if chance is not None:
        _chance_line(ax, chance)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if ylabel.endswith("accuracy"):
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylim(-0.02, 1.04)
    ax.xaxis.set_major_locator(MaxNLocator(10, integer=True))
    if gaps:
        ax.set_xlim(gaps[0] - 0.5, gaps[-1] + 0.5)
    _legend(fig, list(lines), colors)
    return fig


def gradient_chart(
    panels: Mapping[str, Mapping[str, Series]],
    colors: Mapping[str, str],
    *,
    xlabel: str = "steps back from the loss",
    ylabel: str = "\u2016\u2202L/\u2202h\u209c\u2016 \u00f7 its value at the loss",
) -> Figure:
    """Gradient norm against the distance from the loss on a log axis, one panel per moment
    (``{"at initialisation": {...}, "after training": {...}}``), panels sharing the y axis."""
    fig, axes = _new_figure(len(panels), height=4.2)
    positive = [v for lines in panels.values() for s in lines.values() for v in s.y
                if v > 0 and math.isfinite(v)]
    low = max(min(positive), 1e-30) if positive else 1e-6
    labels: list[str] = []
    for i, (ax, (name, lines)) in enumerate(zip(axes, panels.items(), strict=True)):
        for label, series in lines.items():
            ys = [v if v > 0 and math.isfinite(v) else math.nan for v in series.y]
            _line(ax, Series(series.x, ys), colors.get(label, INK))
            if label not in labels:
                labels.append(label)
        ax.set_yscale("log")
        ax.set_ylim(low / 3, 3.0)
        ax.set_title(name, fontsize=10.5, color=INK, loc="left")
        ax.set_xlabel(xlabel)
        if i == 0:
            ax.set_ylabel(ylabel)
        ax.xaxis.set_major_locator(MaxNLocator(8, integer=True))
    _legend(fig, labels, colors)
    return fig


def to_svg(fig: Figure) -> str:
    """The figure as SVG markup (text drawn as paths: no fonts needed to show it)."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "rnnlab", "svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", facecolor="white", metadata={"Date": None})
    return buffer.getvalue()


def to_png(fig: Figure, dpi: int = 144) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white",
                metadata={"Software": "rnnlab"})
    return buffer.getvalue()
