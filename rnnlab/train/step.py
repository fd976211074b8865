"""One optimizer step: forward -> loss -> backward -> check -> clip -> step.

:class:`Stepper` holds what a step changes besides the weights: the recurrent state carried
from one batch to the next (truncated BPTT on a stream) and the watch over non-finite steps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from rnnlab.models import detach_state
from rnnlab.tasks.base import Batch, Task
from rnnlab.train.distributed import Job
from rnnlab.train.numerics import FaultWatch

logger = logging.getLogger("rnnlab.train")


@dataclass
class StepOutcome:
    """What one step did."""

    loss: float  # the batch's training loss
    grad_norm: float | None  # global gradient norm before clipping (None: clipping is off)
    skipped: bool  # the loss or a gradient was not finite: the weights were left alone


class Stepper:
    """Takes optimizer steps on ``model``; ``carried`` is the detached final state of the
    previous batch (None: the next batch starts fresh).

    In a data-parallel ``job`` each step trains on this rank's rows of the global batch,
    through DDP (one forward and one backward per batch, i.e. per truncated chunk of a
    stream), with the loss weighted so that the averaged gradient is the global batch's;
    ``carried`` is then the state of this rank's rows.
    """

    def __init__(
        self,
        model: nn.Module,
        task: Task,
        optimizer: torch.optim.Optimizer,
        watch: FaultWatch,
        *,
        clip_grad_norm: float,
        carried: Any = None,
        job: Job | None = None,
    ) -> None:
        self.model, self.task, self.optimizer, self.watch = model, task, optimizer, watch
        self.clip_grad_norm = clip_grad_norm
        self.carried = carried
        self.job = job or Job()
        self.forward = self.job.wrap(model)  # what the step calls: the model, or DDP around it

    def step(self, batch: Batch, step: int, lr: float) -> StepOutcome:
        """Train on ``batch`` as step number ``step`` (counting from 1) at learning rate ``lr``;
        ``batch`` is the global batch (in a job, every rank gets the same one)."""
        model, optimizer, job = self.model, self.optimizer, self.job
        model.train()
        weight = job.loss_weight(self.task, batch)
        batch = job.shard(batch)
        # Truncated BPTT: a batch that continues the previous one starts from its final
        # state, detached, so gradients flow back only through this chunk.
        state_in = self.carried if batch.carry_state else None
        output, state_out = self.forward(batch.x, lengths=batch.lengths, state=state_in,
                                         **batch.model_inputs)
        loss = self.task.loss(output, batch)
        optimizer.zero_grad(set_to_none=True)
        (loss * weight if job.active else loss).backward()  # DDP averages the gradients here
        # The global batch's loss, the same on every rank, so that every rank takes the same
        # decision on a non-finite step (the gradients are already the same everywhere).
        loss_value = job.sum(float(loss.item()) * weight / job.world)
        grad_norm = None
        # Checked before the optimizer step: a non-finite loss or gradient never reaches
        # the weights; the step is skipped, and too many in a row stop the run.
        fault = self.watch.fault(loss_value, model.parameters())
        if fault is None:
            if self.clip_grad_norm > 0:
                grad_norm = float(
                    torch.nn.utils.clip_grad_norm_(model.parameters(), self.clip_grad_norm)
                )
            optimizer.step()
            self.carried = detach_state(state_out)
            warning = self.watch.good_step(step, loss_value)
        else:
            optimizer.zero_grad(set_to_none=True)
            self.carried = None  # a non-finite state must not seed the next batch
            warning = self.watch.bad_step(step, fault, lr)
        if warning:
            logger.warning("%s", warning)
        return StepOutcome(loss_value, grad_norm, skipped=fault is not None)
