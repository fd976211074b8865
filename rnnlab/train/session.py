"""The parts of a training session that the loop leans on but that would crowd it.

Where the data is (:class:`TrainData`), the state a checkpoint carries (:class:`RunState`),
Ctrl-C and SIGTERM (:class:`GracefulInterrupt`), the device. The run folder is
:mod:`rnnlab.train.run_dir`.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass, field, fields
from types import FrameType, TracebackType
from typing import Any

import torch

from rnnlab.errors import UserError
from rnnlab.tasks.base import Batch, Task
from rnnlab.train.config import TrainConfig

logger = logging.getLogger("rnnlab.train")


@dataclass
class RunState:
    """The counters and bookkeeping a checkpoint carries across sessions."""

    step: int = 0
    epoch: int = 0  # epochs completed
    batch_in_epoch: int = 0  # batches consumed in the current epoch
    sequences: int = 0
    tokens: int = 0
    elapsed: float = 0.0  # seconds spent in earlier sessions (updated when saving)
    loss_sum: float = 0.0  # training loss summed since the last "train" record
    loss_count: int = 0
    best_value: float | None = None
    best_step: int | None = None
    best_metrics: dict[str, float] = field(default_factory=dict)
    bad_evals: int = 0  # scheduled evaluations in a row without improvement
    last_metrics: dict[str, float] = field(default_factory=dict)
    last_eval_step: int | None = None
    target_reached: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    bad_steps: int = 0  # non-finite steps in a row, skipped (see rnnlab.train.numerics)
    first_bad: str = ""  # what went wrong at the first of them, for the error message
    initial_loss: float | None = None  # the run's first finite training loss
    divergence_warned: bool = False  # the loss grew a millionfold and the user was told

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunState:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA when available, else the CPU; an unavailable CUDA is a UserError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"device {name!r} asked for, but CUDA is not available here")
    return torch.device(name)


def epoch_seed(seed: int, epoch: int) -> int:
    """The data seed of epoch ``epoch``: the run's seed for the first, distinct ones after."""
    return seed + 1_000_003 * epoch


class TrainData:
    """The training batches, epoch after epoch, and a position a checkpoint can restore.

    It reads one batch ahead, so that right after a step it knows whether that step ended the
    epoch (for end-of-epoch evaluation and the epoch limit). Batches must come from the task's
    own seeded generator (the Task contract), so skipping them on resume reproduces them.
    """

    def __init__(self, task: Task, batch_size: int, seed: int, epoch: int, consumed: int) -> None:
        self.task, self.batch_size, self.seed = task, batch_size, seed
        self.epoch = epoch  # the epoch being read
        self._start()
        for _ in range(consumed):  # resume: regenerate and skip what was already trained on
            if self.epoch_done:
                raise UserError(
                    "the task's training data is shorter than when the checkpoint "
                    "was saved; was the task changed?"
                )
            self.take()

    def _start(self) -> None:
        batches = self.task.batches(
            "train", self.batch_size, seed=epoch_seed(self.seed, self.epoch)
        )
        self._iter = iter(batches)
        self._next: Batch | None = next(self._iter, None)
        self.consumed = 0
        if self._next is None:
            raise UserError(
                f"task {self.task.name or type(self.task).__name__!r} yielded no training batches"
            )

    @property
    def epoch_done(self) -> bool:
        """The current epoch has no batches left."""
        return self._next is None

    def take(self) -> Batch:
        if self._next is None:
            self.epoch += 1
            self._start()
        assert self._next is not None
        batch = self._next
        self.consumed += 1
        self._next = next(self._iter, None)
        return batch

    @property
    def epochs_completed(self) -> int:
        return self.epoch + (1 if self.epoch_done else 0)

    def position(self) -> tuple[int, int]:
        """(epochs completed, batches consumed in the current epoch)."""
        return (self.epoch + 1, 0) if self.epoch_done else (self.epoch, self.consumed)


# Fields a resumed run may change without changing what it computes: limits and output.
_FREE_ON_RESUME = {
    "steps", "epochs", "minutes", "stop_when", "patience", "restore_best", "out_dir",
    "save_every", "overwrite", "log_every", "tensorboard", "progress", "device",
    "nproc",  # the global batch is the same whatever the number of processes sharing it
}  # fmt: skip


def warn_on_changed_config(saved: dict[str, Any], config: TrainConfig) -> None:
    """A resumed run with another batch size, lr, seed, ... is no longer the same run: say so."""
    current = config.to_dict()
    changed = sorted(
        k for k in current if k not in _FREE_ON_RESUME and k in saved and saved[k] != current[k]
    )
    if changed:
        logger.warning(
            "resuming with changed settings (%s): the run will differ from an uninterrupted one",
            ", ".join(f"{k} {saved[k]!r} -> {current[k]!r}" for k in changed),
        )



# SIGTERM is what `kill`, systemd, Slurm and Docker send before they kill: treat it as Ctrl-C,
# so a run stopped by a scheduler saves last/ too.
SIGNALS = (signal.SIGINT, signal.SIGTERM)
ECHO_SECONDS = 2.0  # see GracefulInterrupt._handle


class GracefulInterrupt:
    """Ctrl-C (or SIGTERM) once: finish the current step, save last/, return. Twice: stop at once.

    Signal handlers can only be installed from the main thread; elsewhere Ctrl-C behaves as
    usual (a KeyboardInterrupt).
    """

    def __init__(self) -> None:
        self.requested = False
        self._first, self._when = 0, 0.0  # the first signal, and when it came
        self._previous: dict[int, Any] = {}
        self._installed = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            # Ctrl-C in a terminal reaches a torchrun worker twice: the SIGINT itself, and the
            # SIGTERM the agent sends its workers on its own SIGINT. A different signal hard on
            # the heels of the first is that same request, not a second one.
            echo = signum != self._first and time.monotonic() - self._when < ECHO_SECONDS
            if not echo:
                raise KeyboardInterrupt
            return
        self.requested = True
        self._first, self._when = signum, time.monotonic()
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        logger.warning("interrupt (%s): finishing this step and saving last/ "
                       "(Ctrl-C again to abort)", name)

    def __enter__(self) -> GracefulInterrupt:
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
            self._installed = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._installed:
            for signum, previous in self._previous.items():
                signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
            self._installed = False


def restore_optimizer(
    optimizer: torch.optim.Optimizer, state: Any, saved_name: Any, name: str
) -> None:
    """Load the saved optimizer state, unless the run now uses another optimizer: then it
    starts fresh (Adam's moments mean nothing to SGD), and the user is told."""
    if saved_name != name:
        logger.warning("resuming with optimizer %s instead of %s: its state starts fresh",
                       name, saved_name)
        return
    try:
        optimizer.load_state_dict(state)
    except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as e:
        raise UserError(f"cannot restore the optimizer state of the checkpoint "
                        f"({type(e).__name__}: {e}); was it written by another rnnlab?") from None


def endless_eval_batches(task: Task, config: TrainConfig) -> int:
    """How many batches an evaluation reads: ``eval_batches``, except on the endless train
    split of a generated task, where "the whole split" would never end: then as many
    sequences as its validation set holds."""
    from rnnlab.tasks.common import GeneratedTask

    if config.eval_split == "train" and not config.eval_batches and isinstance(task, GeneratedTask):
        batches = -(-task.eval_size() // config.batch_size)
        logger.warning("the train split of %s is endless: each evaluation scores %d batches "
                       "(eval_batches sets how many)", task.name, batches)
        return batches
    return config.eval_batches
