"""LSTM through time. PLACEHOLDER: the hand-written Function is being written."""

from __future__ import annotations

from functools import partial

from torch import Tensor

from rnnlab.bptt.reference import LSTMWeights, lstm_step, run_reference


def lstm_sequence(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    w: LSTMWeights,
    *,
    forget_gate: bool = True,
    coupled: bool = False,
    batch_sizes: Tensor | None = None,
    backend: str = "bptt",
) -> tuple[Tensor, Tensor, Tensor]:
    """Run an LSTM layer over x (T, B, I); returns (out (T, B, P), h_T (B, P), c_T (B, H))."""
    step = partial(lstm_step, w=w, forget_gate=forget_gate, coupled=coupled)
    out, (h, c) = run_reference(step, x, (h0, c0), batch_sizes)
    return out, h, c
