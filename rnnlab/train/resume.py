"""The run's checkpoints: last/ and best/ saved as it goes, last/ restored when it resumes.

last/ holds everything the next step depends on — weights, optimizer and schedule state,
every RNG state, the run's counters (:class:`RunState`, which include the position in the
training data) and the carried stream state — so that a resumed run continues bit for bit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import nn

from rnnlab.errors import UserError
from rnnlab.train.checkpoint import (
    apply_weights,
    checkpoint_meta,
    kept_files,
    load_checkpoint,
    save_checkpoint,
)
from rnnlab.train.config import TrainConfig
from rnnlab.train.evaluate import state_to
from rnnlab.train.numerics import metrics_finite, tensors_finite
from rnnlab.train.optim import LRSchedule
from rnnlab.train.session import RunState, restore_optimizer, warn_on_changed_config
from rnnlab.train.state_io import check_state
from rnnlab.utils.seed import get_rng_state, set_rng_state

logger = logging.getLogger("rnnlab.train")


def restore_training_state(
    out_dir: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule: LRSchedule,
    config: TrainConfig,
    device: torch.device,
) -> tuple[RunState, Any, Any]:
    """Load ``out_dir/last`` into the model, optimizer and schedule.

    Returns the run's counters, the carried stream state (on ``device``) and the saved RNG
    state, which the caller restores with :func:`restore_rng` once the data is in place.
    """
    ckpt = load_checkpoint(out_dir / "last", map_location=device)
    if ckpt.state is None:
        raise UserError(f"{ckpt.path} has no training state to resume from")
    check_state(ckpt.state, ckpt.path)  # field by field, before any of it is applied
    saved_train = ckpt.meta.get("train", {})
    warn_on_changed_config(saved_train, config)
    apply_weights(model, ckpt.weights)
    restore_optimizer(optimizer, ckpt.state["optimizer"], saved_train.get("optimizer"),
                      config.optimizer)
    schedule.load_state_dict(ckpt.state["schedule"])
    run = RunState.from_dict(ckpt.state["run"])
    return run, state_to(ckpt.state["carried_state"], device), ckpt.state["rng"]


def restore_rng(saved: Any) -> None:
    """Put back every RNG state a checkpoint saved (after skipping the batches already
    trained on, so that skipping cannot disturb it)."""
    try:
        set_rng_state(saved)
    except (TypeError, ValueError, RuntimeError, KeyError) as e:
        raise UserError(f"corrupt checkpoint: cannot restore its RNG state ({e})") from None


class RunCheckpoints:
    """Saves last/ and best/ of one run into ``out_dir`` (None: a run that writes nothing).

    ``carried`` and ``elapsed`` are asked for at each save: the stream state the next step
    starts from, and the seconds of the run so far.
    """

    def __init__(
        self,
        out_dir: Path | None,
        model: nn.Module,
        task: Any,
        config: TrainConfig,
        run: RunState,
        *,
        optimizer: torch.optim.Optimizer,
        schedule: LRSchedule,
        carried: Callable[[], Any],
        elapsed: Callable[[], float],
    ) -> None:
        self.out_dir, self.model, self.task, self.config, self.run = (
            out_dir, model, task, config, run)
        self.optimizer, self.schedule = optimizer, schedule
        self.carried, self.elapsed = carried, elapsed

    def meta(self, kind: str, metrics: dict[str, float]) -> dict[str, Any]:
        """config.json of a checkpoint of this run at its current step."""
        run = self.run
        return checkpoint_meta(
            self.model, self.task, self.config, kind=kind, step=run.step, epoch=run.epoch,
            sequences=run.sequences, tokens=run.tokens, metrics=metrics,
            best_step=run.best_step, best_metrics=run.best_metrics,
        )  # fmt: skip

    def save_last(self) -> None:
        if self.out_dir is not None:
            save_last(self.out_dir, self.model, self.meta("last", self.run.last_metrics),
                      optimizer=self.optimizer, schedule=self.schedule, run=self.run,
                      carried=self.carried(), elapsed=self.elapsed(),
                      files=kept_files(self.task))

    def save_best(self, metrics: dict[str, float]) -> None:
        if self.out_dir is not None:
            save_checkpoint(self.out_dir / "best", self.model, self.meta("best", metrics),
                            files=kept_files(self.task))


def save_last(
    out_dir: Path,
    model: nn.Module,
    meta: dict[str, Any],
    *,
    optimizer: torch.optim.Optimizer,
    schedule: LRSchedule,
    run: RunState,
    carried: Any,
    elapsed: float,
    files: dict[str, Any] | None = None,
) -> bool:
    """Save last/ (weights, training state and the ``files`` the task keeps); whether it did.

    A diverged model must not replace the last good checkpoint (it could never resume): with
    non-finite weights or validation metrics, last/ keeps the previous checkpoint.
    """
    if not (tensors_finite(model.state_dict().values()) and metrics_finite(run.last_metrics)):
        logger.warning("not saving last/ at step %d: the weights or validation metrics are "
                       "not finite; last/ keeps the previous checkpoint", run.step)
        return False
    run.elapsed = elapsed  # seconds of the run so far, for the time budget of the next session
    state = {
        "optimizer": optimizer.state_dict(),
        "schedule": schedule.state_dict(),
        "rng": get_rng_state(),
        "run": asdict(run),
        "carried_state": state_to(carried, "cpu"),
    }
    save_checkpoint(out_dir / "last", model, meta, state, files=files)
    return True
