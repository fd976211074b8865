"""Run a model over one split of a task and score it.

The task decides what is scored (``task.score`` returns additive sums per batch, e.g. the
summed loss and the number of correct items) and how sums become metrics
(``task.summarize``), so averages are over items, not over batches of unequal size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from rnnlab.tasks.base import Batch, Split, Task
from rnnlab.utils.device import model_device


def evaluate(
    model: nn.Module,
    task: Task,
    split: Split = "valid",
    *,
    batch_size: int = 64,
    max_batches: int = 0,
    seed: int = 0,
    device: str | torch.device | None = None,
) -> dict[str, float]:
    """Metrics of ``model`` on ``split`` (at most ``max_batches`` batches; 0 = all).

    Streams are evaluated as they are trained: a batch flagged ``carry_state`` starts from the
    previous batch's final state. The model is put in eval mode for the pass and then back in
    the mode it was in. Returns ``{}`` when the split yields no batches.
    """
    sums = score_sums(model, task, split, batch_size=batch_size, max_batches=max_batches,
                      seed=seed, device=device)
    return task.summarize(sums) if sums else {}


@torch.no_grad()
def score_sums(
    model: nn.Module,
    task: Task,
    split: Split = "valid",
    *,
    batch_size: int = 64,
    max_batches: int = 0,
    seed: int = 0,
    device: str | torch.device | None = None,
    mine: Callable[[int], bool] | None = None,
) -> dict[str, float] | None:
    """The task's score sums over the batches of :func:`evaluate`, or over those whose index
    ``mine(i)`` picks (a share of the split, for one process of several).

    A share cannot be taken of a stream, whose batches carry their state from one to the
    next: given ``mine``, a split with a ``carry_state`` batch gives None (nothing is scored
    past it).
    """
    device = torch.device(device) if device is not None else model_device(model)
    was_training = model.training
    model.eval()
    sums: dict[str, float] = {}
    state: Any = None
    try:
        for i, batch in enumerate(task.batches(split, batch_size, seed=seed)):
            if max_batches and i >= max_batches:
                break
            if mine is not None and batch.carry_state:
                return None
            if mine is not None and not mine(i):
                continue
            batch = batch.to(device)
            output, state = model(
                batch.x, lengths=batch.lengths, state=state if batch.carry_state else None,
                **batch.model_inputs,
            )
            for key, value in task.score(output, batch).items():
                sums[key] = sums.get(key, 0.0) + float(value)
    finally:
        model.train(was_training)
    return sums


def count_tokens(batch: Batch) -> int:
    """Input steps in a batch: the sum of the lengths, or B*T when all sequences are full."""
    if batch.lengths is not None:
        return int(batch.lengths.sum())
    return int(batch.x.shape[0] * batch.x.shape[1]) if batch.x.dim() > 1 else int(batch.x.shape[0])


def state_to(state: Any, device: str | torch.device) -> Any:
    """Move a recurrent state (tensor or nested tuples/lists of them) to ``device``."""
    if isinstance(state, torch.Tensor):
        return state.to(device)
    if isinstance(state, tuple | list):
        return type(state)(state_to(s, device) for s in state)
    if isinstance(state, dict):
        return {k: state_to(v, device) for k, v in state.items()}
    return state
