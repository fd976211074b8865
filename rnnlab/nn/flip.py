"""The length-aware time flip that every backward direction uses (layers and trace re-runs).

A backward direction reads each sequence from its own last step to its first. In a padded
batch (T, B, ·) the sequences end at different steps, so a plain ``x.flip(0)`` would start
the shorter ones on padding; :func:`flip_sequences` reverses each row within its own length
instead, and leaves the padding where it is. The map is its own inverse, so the same call
brings the backward direction's outputs back to input order.
"""

from __future__ import annotations

import torch
from torch import Tensor


def reversal_index(lengths: Tensor, steps: int) -> Tensor:
    """(T, B) index: step t of row b -> step L_b - 1 - t of that row; padding maps to itself."""
    t = torch.arange(steps, device=lengths.device)[:, None]
    return torch.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)


def flip_sequences(x: Tensor, index: Tensor | None) -> Tensor:
    """Reverse (T, B, F) in time: each row within its own length given the
    :func:`reversal_index`, or the whole time axis when ``index`` is None (no padding)."""
    if index is None:
        return x.flip(0)
    return x.gather(0, index[:, :, None].expand(-1, -1, x.shape[-1]))
