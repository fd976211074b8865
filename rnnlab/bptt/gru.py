"""GRU through time. PLACEHOLDER: the hand-written Function is being written."""

from __future__ import annotations

from functools import partial

from torch import Tensor

from rnnlab.bptt.reference import gru_step, run_reference


def gru_sequence(
    x: Tensor,
    h0: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    *,
    reset_after: bool = True,
    batch_sizes: Tensor | None = None,
    backend: str = "bptt",
) -> tuple[Tensor, Tensor]:
    """Run a GRU layer over x (T, B, I) from h0 (B, H); returns (out (T, B, H), h_T)."""
    step = partial(
        gru_step, weight_ih=weight_ih, weight_hh=weight_hh, bias_ih=bias_ih,
        bias_hh=bias_hh, reset_after=reset_after,
    )
    out, (h,) = run_reference(step, x, (h0,), batch_sizes)
    return out, h
