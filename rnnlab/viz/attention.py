"""Pictures of an encoder-decoder: an attention heatmap, and exact match against input length.

Both are written atomically (:func:`rnnlab.utils.atomic.atomic_write`) as PNG or SVG, by the
file name, with rnnlab's mark so that a later run may replace them.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure
from torch import Tensor

from rnnlab.errors import UserError
from rnnlab.utils.atomic import atomic_write, check_output


def _write(fig: Figure, path: str | os.PathLike[str], overwrite: bool) -> str:
    target = check_output(path, overwrite=overwrite)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise UserError(f"{target}: write a .png or .svg file")
    metadata = {"Creator": "rnnlab", "Date": None} if fmt == "svg" else {"Software": "rnnlab"}
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=120, facecolor="white", metadata=metadata)
    atomic_write(target, buffer.getvalue())
    return str(target)


def attention_figure(source: str, output: Sequence[str], weights: Tensor,
                     title: str = "") -> Figure:
    """Rows = output tokens (``output``, <eos> last), columns = source characters; weights
    (T', S) from :func:`rnnlab.models.decoding.translate`."""
    w = weights.detach().float().cpu().numpy()
    fig = Figure(figsize=(max(4.0, 0.28 * len(source) + 1.5), max(2.5, 0.3 * len(output) + 1.2)))
    ax = fig.subplots()
    ax.imshow(w, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(source)), ["␣" if c == " " else c for c in source], fontsize=8)
    ax.set_yticks(range(len(output)), list(output), fontsize=8)
    ax.set_xlabel("source character")
    ax.set_ylabel("output token")
    ax.set_title(title or "attention weights", fontsize=9)
    fig.tight_layout()
    return fig


def attention_heatmap(source: str, output: Sequence[str], weights: Tensor,
                      path: str | os.PathLike[str], *, overwrite: bool = False,
                      title: str = "") -> str:
    """Write :func:`attention_figure` to ``path`` (.png or .svg)."""
    return _write(attention_figure(source, output, weights, title), path, overwrite)


def length_chart(curves: Mapping[str, Mapping[int, float]], path: str | os.PathLike[str], *,
                 overwrite: bool = False, title: str = "", xlabel: str = "") -> str:
    """Exact match (y, %) against input length (x) per model: ``{label: {length: share}}``."""
    fig = Figure(figsize=(6.0, 3.6))
    ax = fig.subplots()
    for label, points in curves.items():
        xs = sorted(points)
        ax.plot(xs, [100 * points[x] for x in xs], marker="o", markersize=3, label=label)
    ax.set_xlabel(xlabel or "input length (characters)")
    ax.set_ylabel("exact match (%)")
    ax.set_ylim(-2, 102)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _write(fig, path, overwrite)
