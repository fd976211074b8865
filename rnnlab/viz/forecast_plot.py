"""The picture of a forecast: the history, the forecast and, where it is known, the truth.

Built without pyplot (a :class:`~matplotlib.figure.Figure` of its own); one panel per target.
The x axis is the dates when the data has them, else the step index.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from rnnlab.errors import UserError
from rnnlab.utils.atomic import atomic_write, check_output
from rnnlab.viz.charts import INK, MUTED

HISTORY_SHOWN = 240  # at most this many past steps are drawn before the forecast
FORMATS = (".png", ".svg", ".pdf")


def _axis(dates: Sequence[str], start: int) -> np.ndarray | list:
    if dates and all(dates):
        return np.array(dates, dtype="datetime64[ns]")
    return np.arange(start, start + len(dates))


def forecast_figure(columns: Sequence[str], history: np.ndarray, history_dates: Sequence[str],
                    values: np.ndarray, dates: Sequence[str], truth: np.ndarray | None = None,
                    title: str = "") -> Figure:
    """history (T, K), values (steps, K), truth (<= steps, K) or None."""
    K = len(columns)
    fig = Figure(figsize=(8, 2.6 * K + 0.6), layout="constrained")
    shown = min(len(history), HISTORY_SHOWN)
    n = len(history)
    past_dates = list(history_dates[-shown:]) if history_dates else [""] * shown
    x_past = _axis(past_dates, n - shown)
    x_future = _axis(list(dates), n)
    for k, name in enumerate(columns):
        ax = fig.add_subplot(K, 1, k + 1)
        ax.plot(x_past, history[-shown:, k], color=MUTED, lw=1.2, label="history")
        if truth is not None and len(truth):
            ax.plot(x_future[: len(truth)], truth[:, k], color=INK, lw=1.4, label="truth")
        ax.plot(x_future, values[:, k], color="#0072b2", lw=1.8, marker="o", ms=2.5,
                label="forecast")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        if k == 0:
            ax.legend(loc="upper left", frameon=False)
            if title:
                ax.set_title(title, loc="left", fontsize=10)
    return fig


def write_forecast_plot(path: str | Path, fig: Figure, *, overwrite: bool = False) -> Path:
    """Save ``fig`` (PNG, SVG or PDF by the name) atomically, with rnnlab's mark."""
    path = check_output(path, overwrite=overwrite)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UserError(f"the plot must end in one of {', '.join(FORMATS)}, got {path.name!r}")
    fmt = suffix[1:]
    metadata = {"Software": "rnnlab"} if fmt == "png" else {"Creator": "rnnlab"}
    return atomic_write(path, lambda handle: fig.savefig(handle, format=fmt, dpi=144,
                                                         facecolor="white", metadata=metadata))
