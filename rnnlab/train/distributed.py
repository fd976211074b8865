"""Data-parallel training over several processes: what the loop does differently under torchrun.

``rnnlab train --nproc N`` (see :mod:`rnnlab.train.launch`) or ``torchrun ... -m rnnlab train``
starts N copies of the same training, each told its ``RANK`` and ``WORLD_SIZE`` by torchrun's
environment variables. :func:`join_job` turns that environment into a :class:`Job`: the process
group (gloo on the CPU, NCCL on CUDA), the device of this rank, and the few collective steps the
loop needs. A single process gets the same :class:`Job` with ``world == 1``, whose methods do
nothing, so the loop reads the same either way.

How the data is split. Every rank draws the SAME global batch from the task, with the same seed,
and keeps a contiguous block of its rows (:meth:`Job.shard`): rank r always keeps the same rows,
so on a text stream it always carries the state of the same streams, and truncated BPTT stays
exactly what one process does. This needs no change to any task; the price is that every rank
generates the whole batch, which is cheap next to the forward and backward passes.

Why the gradient equals one process's. A task's loss is the mean over the items it scores
(steps within the lengths or mask of a many-to-many task; rows of a many-to-one task). With
``n_r`` items on rank r and ``n`` in the global batch, the global mean is
``sum_r (n_r / n) * loss_r``; DDP averages gradients over the W ranks, so each rank back-propagates
``loss_r * W * n_r / n`` (:meth:`Job.loss_weight`). Every rank sees the whole batch, so it knows
every ``n_r`` without communicating.

What only rank 0 does: hold the run folder's lock, prepare it, write run.toml, metrics,
checkpoints, TensorBoard and progress. Validation is shared out by batches and the score sums
added up (a validation stream, whose batches carry their state, is scored by rank 0 alone), so
every rank takes the same decisions: best, patience, plateau, target. A checkpoint holds the
carried stream state of all rows (gathered from the ranks), never anything per rank, so
``--resume`` works with another N.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import Tensor, nn

from rnnlab.errors import UserError
from rnnlab.tasks.base import Batch, Task
from rnnlab.tasks.common import step_mask

logger = logging.getLogger("rnnlab.train")
T = TypeVar("T")

# How long a rank waits for the others at one collective step (e.g. while rank 0 evaluates
# alone) before the job fails, instead of hanging for ever when a rank is stuck.
TIMEOUT = datetime.timedelta(minutes=30)


class PeerError(UserError):
    """Rank 0's error, raised again on the other ranks so that every rank stops the same way;
    the command line prints it once (on rank 0), not once per process."""

    printed_elsewhere = True


def in_torchrun() -> bool:
    """Whether this process is one worker of a torchrun (elastic) job of several processes."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ


def env_rank() -> int:
    """This process's rank from torchrun's environment (0 outside torchrun)."""
    return int(os.environ.get("RANK", "0")) if in_torchrun() else 0


@dataclass
class Job:
    """Where this process stands in a data-parallel job; ``world == 1`` is a single process."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    local_world: int = 1  # processes of the job on this machine

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        """Rank 0: the process that writes."""
        return self.rank == 0

    # -- the data -------------------------------------------------------------------------------

    def rows(self, batch_size: int) -> tuple[int, int]:
        """The block [lo, hi) of a global batch's rows this rank trains on."""
        share = batch_size // self.world
        return self.rank * share, (self.rank + 1) * share

    def check_batch_size(self, batch_size: int) -> None:
        """Equal shares keep every rank's step the same length and the sum of shares whole."""
        if batch_size % self.world:
            error = UserError(
                f"batch_size {batch_size} does not split evenly over {self.world} processes; "
                f"use a multiple of {self.world} (it is the global batch, shared by all)"
            )
            # every rank finds this: rank 0 says it for all of them
            raise error if self.main else PeerError(str(error))

    def shard(self, batch: Batch) -> Batch:
        """This rank's rows of a global batch (the whole batch in a single process)."""
        if not self.active:
            return batch
        lo, hi = self.rows(batch.size)

        def rows(t: Tensor | None) -> Tensor | None:
            return None if t is None else t[lo:hi]

        return Batch(
            batch.x[lo:hi], batch.y[lo:hi], rows(batch.lengths), rows(batch.mask),
            batch.carry_state, {k: v[lo:hi] for k, v in batch.extra.items()},
            {k: v[lo:hi] for k, v in batch.model_inputs.items()},
        )  # fmt: skip

    def loss_weight(self, task: Task, batch: Batch) -> float:
        """The factor on this rank's mean loss that makes DDP's averaged gradient the gradient
        of the global batch's mean loss: ``W * n_r / n`` (see the module docstring)."""
        if not self.active:
            return 1.0
        items = _scored_items(task, batch)  # (B,): items each row contributes to the mean
        lo, hi = self.rows(batch.size)
        total = float(items.sum())
        return self.world * float(items[lo:hi].sum()) / total if total else 1.0

    # -- agreeing across ranks ------------------------------------------------------------------

    def sum(self, value: float) -> float:
        """The sum of ``value`` over the ranks."""
        if not self.active:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=self._device())
        dist.all_reduce(t)
        return float(t.item())

    def any(self, *flags: bool) -> tuple[bool, ...]:
        """Each flag, true if it is true on any rank (a stop asked for on one rank — Ctrl-C,
        a callback — stops all of them after the same step)."""
        if not self.active:
            return flags
        t = torch.tensor([int(f) for f in flags], dtype=torch.int64, device=self._device())
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return tuple(bool(v) for v in t.tolist())

    def add_sums(self, sums: dict[str, float]) -> dict[str, float]:
        """Score sums added up over the ranks (a rank that scored no batch has none)."""
        if not self.active:
            return sums
        parts: list[Any] = [None] * self.world
        dist.all_gather_object(parts, sums)
        total: dict[str, float] = {}
        for part in parts:  # in rank order: the same total on every rank
            for key, value in part.items():
                total[key] = total.get(key, 0.0) + value
        return total

    def main_value(self, value: float) -> float:
        """Rank 0's ``value`` on every rank: the run's clock, which drives the time limit and a
        schedule measured in minutes, must read the same everywhere."""
        if not self.active:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=self._device())
        dist.broadcast(t, src=0)
        return float(t.item())

    def on_main(self, fn: Callable[[], T]) -> T | None:
        """Run ``fn`` on rank 0 only; its UserError is raised on every rank (the others would
        otherwise wait for rank 0 at the next collective until the timeout)."""
        if not self.active:
            return fn()
        value, error = None, None
        if self.main:
            try:
                value = fn()
            except UserError as err:
                error = str(err)
        box = [error]
        dist.broadcast_object_list(box, src=0)
        if box[0] is not None:
            if self.main:
                raise UserError(box[0])
            raise PeerError(box[0])
        return value

    def from_main(self, fn: Callable[[], T]) -> T:
        """``fn()`` computed on rank 0 and sent to every rank (evaluation: one process scores,
        all take the same decisions from the score)."""
        if not self.active:
            return fn()
        with self._cores_of_this_machine():
            box = [self.on_main(fn)]
        dist.broadcast_object_list(box, src=0)
        return box[0]  # type: ignore[return-value]

    @contextlib.contextmanager
    def _cores_of_this_machine(self) -> Iterator[None]:
        """While rank 0 works alone, the other ranks of its machine wait without using their
        cores (gloo blocks, it does not spin): rank 0 borrows their threads meanwhile."""
        before = torch.get_num_threads()
        if self.main and self.local_world > 1:
            torch.set_num_threads(before * self.local_world)
        try:
            yield
        finally:
            torch.set_num_threads(before)

    # -- the carried stream state ---------------------------------------------------------------

    def full_state(self, state: Any, batch_dim: int) -> Any:
        """The carried state of every row of the global batch, gathered from the ranks (what a
        checkpoint holds, whatever N resumes it)."""
        if not self.active:
            return state
        if isinstance(state, Tensor):
            parts = [torch.empty_like(state) for _ in range(self.world)]
            dist.all_gather(parts, state.contiguous())
            return torch.cat(parts, dim=batch_dim)
        if isinstance(state, tuple | list):
            return type(state)(self.full_state(s, batch_dim) for s in state)
        if isinstance(state, dict):
            return {k: self.full_state(v, batch_dim) for k, v in state.items()}
        return state

    def local_state(self, state: Any, batch_dim: int) -> Any:
        """This rank's rows of a carried state saved for the global batch."""
        if not self.active:
            return state
        if isinstance(state, Tensor):
            lo, hi = self.rows(state.shape[batch_dim])
            return state.narrow(batch_dim, lo, hi - lo).contiguous()
        if isinstance(state, tuple | list):
            return type(state)(self.local_state(s, batch_dim) for s in state)
        if isinstance(state, dict):
            return {k: self.local_state(v, batch_dim) for k, v in state.items()}
        return state

    # -- the model ------------------------------------------------------------------------------

    def wrap(self, model: nn.Module) -> nn.Module:
        """The module a training step calls: ``model`` itself, or DDP around it.

        DDP broadcasts rank 0's weights at construction, then averages gradients during each
        backward. The hand-written BPTT Functions take every weight as an explicit input, so
        DDP's gradient hooks fire for them as for torch's layers. DDP must be told if some
        parameter can sit out a step (it then searches the graph every step, and warns at the
        first): any module of the model can say so with ``ddp_find_unused_parameters = True``
        (rnnlab's layers say it with a learned initial state, unused while a stream carries
        its state; a model of one's own can set it).
        """
        if not self.active:
            return model
        from torch.nn.parallel import DistributedDataParallel

        device_ids = [self.local_rank] if self._device().type == "cuda" else None
        unused = any(getattr(m, "ddp_find_unused_parameters", False) is True
                     for m in model.modules())
        return DistributedDataParallel(model, device_ids=device_ids,
                                       find_unused_parameters=unused)

    def seed_rank(self, seed: int, step: int) -> None:
        """Give each rank its own torch random numbers (dropout masks) after the run's RNG
        is set: rank 0 keeps the run's stream, so one process and rank 0 draw alike."""
        if self.active and not self.main:
            torch.manual_seed((seed * 1_000_003 + step * 8191 + self.rank) % 2**63)

    def _device(self) -> torch.device:
        if dist.get_backend() == "nccl":
            return torch.device("cuda", torch.cuda.current_device())
        return torch.device("cpu")


def _scored_items(task: Task, batch: Batch) -> Tensor:
    """(B,) how many items each row adds to the task's mean loss: its scored steps for a
    many-to-many task (a constant number of values per step, e.g. K regression targets, does
    not change the shares), one for a many-to-one task. Every rnnlab task's loss is such a mean
    (the steps :func:`~rnnlab.tasks.common.step_mask` marks); a task of one's own normalised
    otherwise trains right only with shares of equal weight (equal lengths, no mask)."""
    if task.spec.many_to_many and batch.y.dim() >= 2:
        return step_mask(batch, int(batch.y.shape[1])).sum(1).double().cpu()
    return torch.ones(batch.size, dtype=torch.float64)


def _is_comm_failure(err: BaseException) -> bool:
    """A collective failed because another rank is gone (killed, crashed) or stuck."""
    if isinstance(err, getattr(dist, "DistError", ())):
        return True
    # gloo raises plain RuntimeErrors: "[.../gloo/transport/tcp/pair.cc:553] Connection closed
    # by peer ...", "[.../gloo/...] Timed out waiting ... for recv"
    text = str(err)
    return isinstance(err, RuntimeError) and any(
        word in text for word in ("gloo/", "NCCL", "ProcessGroup", "by peer"))


@contextlib.contextmanager
def join_job(device_name: str) -> Iterator[tuple[Job, str]]:
    """The :class:`Job` of this process and the device name it trains on.

    Under torchrun (``WORLD_SIZE`` > 1) it joins the process group — gloo on the CPU, NCCL on
    CUDA — unless the caller already did, and leaves it at the end; on CUDA each rank takes the
    GPU of its local rank. A failed collective (another rank died) becomes a one-line
    :class:`UserError`. Ranks other than 0 log only errors: one process speaks for the job.
    """
    if not in_torchrun():
        yield Job(), device_name
        return
    world = int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = device_name.startswith("cuda") or (device_name == "auto" and torch.cuda.is_available())
    if cuda and device_name in ("auto", "cuda"):
        device_name = f"cuda:{local_rank}"
    if cuda:
        gpus = torch.cuda.device_count()
        if torch.device(device_name).index is not None and torch.device(device_name).index >= gpus:
            raise UserError(f"process {local_rank} of this machine would use {device_name}, "
                            f"but it has {gpus} GPU(s); start at most {gpus} processes per "
                            "machine, or train on the CPU (--device cpu)")
        torch.cuda.set_device(torch.device(device_name))
    created = not dist.is_initialized()
    if created:
        dist.init_process_group("nccl" if cuda else "gloo", timeout=TIMEOUT)
    job = Job(rank=dist.get_rank(), world=dist.get_world_size(), local_rank=local_rank,
              local_world=int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    if job.world != world:
        logger.warning("WORLD_SIZE says %d processes, the process group has %d", world, job.world)
    quiet = logging.getLogger("rnnlab")
    level = quiet.level
    if not job.main:
        quiet.setLevel(logging.ERROR)
    try:
        yield job, device_name
        if created:
            # every rank reaches the teardown before any leaves it: a rank whose peer had already
            # closed its gloo pairs was seen to die in gloo's threads (SIGABRT, "terminate called
            # without an active exception"), about once in three full test runs
            dist.barrier()
    except Exception as err:
        if not _is_comm_failure(err):
            raise
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        # gloo's "[.../pair.cc:553] Connection closed by peer [addr]:port. This is ...": keep
        # what happened, not where in gloo's source
        first = re.sub(r"^\[[^\]]*\]\s*", "", first).split(". ")[0]
        raise UserError(
            f"rank {job.rank} lost contact with the other training processes ({first[:200]}); "
            "the job stops: last/ keeps the last checkpoint, and --resume continues from it"
        ) from None
    finally:
        quiet.setLevel(level)
        if created and dist.is_initialized():
            with contextlib.suppress(Exception):  # a peer may be gone: leave quietly
                dist.destroy_process_group()
