"""Optimizers and learning-rate schedules.

The schedule is a small class of our own rather than a chain of ``torch.optim.lr_scheduler``
objects: warmup, decay and plateau reductions multiply into one factor, the learning rate of
step ``s`` is a pure function of ``s`` and one saved number (the plateau scale), and so a
resumed run sets exactly the learning rates an uninterrupted one would.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from rnnlab.errors import UserError
from rnnlab.train.config import OPTIMIZERS, TrainConfig


def build_optimizer(params: Iterable[nn.Parameter], config: TrainConfig) -> torch.optim.Optimizer:
    """The optimizer named by ``config.optimizer``, at ``config.lr``.

    ``adam`` adds ``weight_decay`` to the gradient (L2, as in ``torch.optim.Adam``); ``adamw``
    decays the weights directly (Loshchilov & Hutter 2019). ``momentum`` applies to sgd and
    rmsprop only.
    """
    params = [p for p in params if p.requires_grad]
    if not params:
        raise UserError("the model has no trainable parameters")
    name, lr, wd = config.optimizer, config.lr, config.weight_decay
    fused = fused_applies(params)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd, fused=fused)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd, fused=fused)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=config.momentum, weight_decay=wd,
                               fused=fused)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=config.momentum, weight_decay=wd)
    raise UserError(f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}")


def fused_applies(params: list[nn.Parameter]) -> bool | None:
    """True where torch's fused optimizer kernels take every parameter (dense floating-point
    tensors on the CPU or CUDA), else None (torch's default loop).

    Why: on the CPU torch's default is its loop over the parameters, about ten small ops each;
    for the 2 x 256 character LSTM (eleven tensors, 0.9 M numbers) one Adam step took 3.0 ms
    (7.5 ms in a first, colder run) against 0.9 ms fused, one thread (2026-12-06), against a
    whole training step of ~140 ms. The fused kernels compute the same update (to float
    rounding)."""
    ok = all(p.is_floating_point() and not p.is_sparse and p.device.type in ("cpu", "cuda")
             for p in params)
    return True if ok else None


class LRSchedule:
    """Sets the learning rate before each optimizer step.

    lr(s) = max(min_lr, lr * warmup(s) * decay(s) * plateau_scale), except that warmup may go
    below min_lr, where, for the 0-based step ``s``:

    - warmup(s) = (s + 1) / warmup_steps while s < warmup_steps, else 1;
    - decay(s): none and plateau: 1; step: gamma ** (s // step_size);
      cosine: from 1 at the end of warmup to min_lr/lr at ``decay_steps`` (or ``steps``),
      along half a cosine, then flat; with neither, the cosine runs over the ``minutes``
      budget by the run's clock (progress = elapsed / budget), so a time-limited run ends
      annealed on any machine — at the price of bit-for-bit repeatability, which the clock
      does not have;
    - plateau_scale: 1, multiplied by gamma each time ``plateau_patience`` evaluations in a row
      fail to improve the validation metric (schedule "plateau" only).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, config: TrainConfig) -> None:
        self.optimizer = optimizer
        self.config = config
        self.total = config.decay_steps or config.steps  # cosine length
        self.plateau_scale = 1.0
        self.bad_evals = 0  # evaluations in a row without improvement (plateau only)

    def lr_at(self, step: int, elapsed: float = 0.0) -> float:
        """The learning rate for 0-based optimizer step ``step``, ``elapsed`` seconds into the
        run (used only by a cosine that follows the time budget)."""
        c = self.config
        warmup = (step + 1) / c.warmup_steps if step < c.warmup_steps else 1.0
        if c.schedule == "step":
            decay = c.gamma ** (step // c.step_size)
        elif c.schedule == "cosine":
            if self.total:
                span = max(1, self.total - c.warmup_steps)
                progress = min(1.0, max(0.0, (step - c.warmup_steps) / span))
            else:  # by the clock: the whole minutes budget
                progress = min(1.0, elapsed / (c.minutes * 60)) if step >= c.warmup_steps else 0.0
            floor = c.min_lr / c.lr
            decay = floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))
        else:
            decay = 1.0
        lr = c.lr * decay * self.plateau_scale
        if c.schedule != "none":
            lr = max(c.min_lr, lr)  # decay never goes below the floor ...
        return lr * warmup  # ... but warmup starts from below it on purpose

    def apply(self, step: int, elapsed: float = 0.0) -> float:
        """Set every parameter group's learning rate for step ``step``; return it."""
        lr = self.lr_at(step, elapsed)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        return lr

    def observe(self, improved: bool) -> None:
        """Tell the schedule the outcome of an evaluation (only "plateau" listens)."""
        if self.config.schedule != "plateau":
            return
        self.bad_evals = 0 if improved else self.bad_evals + 1
        if self.bad_evals >= self.config.plateau_patience:
            self.plateau_scale *= self.config.gamma
            self.bad_evals = 0

    def state_dict(self) -> dict[str, Any]:
        return {"plateau_scale": self.plateau_scale, "bad_evals": self.bad_evals}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.plateau_scale = float(state["plateau_scale"])
        self.bad_evals = int(state["bad_evals"])
