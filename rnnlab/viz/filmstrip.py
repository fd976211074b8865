"""A filmstrip: rows of frames side by side — what a video model read, predicted and missed.

    input      ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢      the frames the model read (t-9 .. t)
    truth      ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢      what came next (t+1 .. t+10)
    ConvLSTM   ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢      each model's prediction, sigmoid of its logits
    ...

Every frame is drawn in grey from 0 (black) to 1 (white) on the same scale, so a blurred
prediction looks grey where the model is unsure where the digit went.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure


def filmstrip_figure(rows: Sequence[tuple[str, np.ndarray]], *, first_labels: Sequence[str] = (),
                     other_labels: Sequence[str] = ()) -> Figure:
    """One figure of ``rows``: (label, frames (n, H, W) in [0, 1]). Column titles above the
    first row (``first_labels``) and above the second (``other_labels``, for the rows after)."""
    columns = max(len(frames) for _, frames in rows)
    fig = Figure(figsize=(0.85 * columns + 1.6, 0.95 * len(rows) + 0.5))
    axes = fig.subplots(len(rows), columns, squeeze=False)
    for r, (label, frames) in enumerate(rows):
        for c in range(columns):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if c < len(frames):
                ax.imshow(np.clip(frames[c], 0.0, 1.0), cmap="gray", vmin=0.0, vmax=1.0,
                          interpolation="nearest")
            titles = first_labels if r == 0 else other_labels if r == 1 else ()
            if c < len(titles):
                ax.set_title(titles[c], fontsize=7, pad=2)
        axes[r][0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.subplots_adjust(left=1.4 / (0.85 * columns + 1.6), right=0.99, top=0.9, bottom=0.02,
                        wspace=0.08, hspace=0.35)
    return fig


__all__ = ["filmstrip_figure"]
