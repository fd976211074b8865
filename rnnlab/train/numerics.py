"""Numerical faults of a training step: caught before they reach the weights or a checkpoint.

A step whose loss or gradient is not finite (inf, NaN) is skipped: the optimizer never sees
it, so one bad batch cannot turn every weight into NaN. After ``max_bad_steps`` such steps in a
row training stops with an error that names the step and what to change. A loss that is still
finite but has grown a millionfold over the run's first loss is warned about once: the run is
diverging even though nothing is infinite yet (Adam at lr 1e6 sits at 1e11 for ever).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

import torch
from torch import nn

from rnnlab.errors import UserError

logger = logging.getLogger("rnnlab.train")

DIVERGENCE_FACTOR = 1e6  # a loss this many times the first one is called diverging


def gradients_finite(params: Iterable[nn.Parameter]) -> bool:
    """Whether every gradient entry is finite (parameters without a gradient are fine)."""
    # Every step runs this: two reductions per gradient and no copy of it (abs() would make
    # one). amax/amin propagate NaN, +inf shows in the max and -inf in the min.
    peaks = [r for p in params if p.grad is not None
             for r in (p.grad.detach().amax(), p.grad.detach().amin())]
    return not peaks or bool(torch.isfinite(torch.stack(peaks)).all())


def tensors_finite(tensors: Iterable[torch.Tensor]) -> bool:
    """Whether every floating-point tensor holds only finite values."""
    return all(bool(torch.isfinite(t).all()) for t in tensors if t.is_floating_point())


def metrics_finite(metrics: Mapping[str, Any]) -> bool:
    return all(math.isfinite(v) for v in metrics.values() if isinstance(v, int | float))


class FaultWatch:
    """Counts bad steps in a row and remembers the first loss; its state lives in RunState."""

    def __init__(self, run: Any, max_bad_steps: int) -> None:
        self.run = run  # RunState: bad_steps, initial_loss, divergence_warned
        self.max_bad_steps = max_bad_steps

    def fault(self, loss_value: float, params: Iterable[nn.Parameter]) -> str | None:
        """What is wrong with this step (after backward, before the optimizer), or None."""
        if not math.isfinite(loss_value):
            return f"the training loss became {loss_value}"
        if not gradients_finite(params):
            return f"the gradient became non-finite (loss {loss_value:.4g})"
        return None

    def bad_step(self, step: int, fault: str, lr: float) -> str:
        """Record a skipped step; raise :class:`UserError` when too many came in a row."""
        run = self.run
        if run.bad_steps == 0:
            run.first_bad = f"{fault} at step {step}"
        run.bad_steps += 1
        if run.bad_steps >= self.max_bad_steps:
            raise UserError(
                f"{run.first_bad}; {run.bad_steps} steps in a row were not finite (skipped, "
                f"up to step {step}), so training stopped: try a lower lr (it is {lr:g}) or "
                "clip_grad_norm (e.g. 1.0); last/ holds the last finite checkpoint"
            )
        return f"step {step}: {fault}; the step was skipped (lr {lr:g})"

    def good_step(self, step: int, loss_value: float) -> str | None:
        """Record a finite step; a warning when the loss has grown a millionfold."""
        run = self.run
        run.bad_steps = 0
        if run.initial_loss is None:
            run.initial_loss = abs(loss_value)
            return None
        threshold = DIVERGENCE_FACTOR * max(run.initial_loss, 1e-12)
        if not run.divergence_warned and abs(loss_value) > threshold:
            run.divergence_warned = True
            return (
                f"step {step}: the training loss {loss_value:.4g} is over "
                f"{DIVERGENCE_FACTOR:g} times the first one ({run.initial_loss:.4g}); the run "
                "is diverging: try a lower lr or clip_grad_norm"
            )
        return None
