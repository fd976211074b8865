"""Validation during training: the score, the best model so far, early stopping, the target.

:class:`Validation` is called by the loop when an evaluation is due. It scores the model on
``eval_split`` (inside ``preserve_rng()``, so that evaluating never shifts the random numbers
training draws), writes the record, keeps the best-so-far weights (and best/), counts the
evaluations without improvement (patience, and the plateau schedule), and notes when
``stop_when`` is first met. Everything it decides lives in the run's :class:`RunState`, so a
resumed run carries on with the same best, patience and target.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from rnnlab.errors import UserError
from rnnlab.tasks.base import Task
from rnnlab.train.checkpoint import apply_weights, load_checkpoint
from rnnlab.train.config import TrainConfig, parse_stop_when, target_met
from rnnlab.train.distributed import Job
from rnnlab.train.evaluate import evaluate, score_sums
from rnnlab.train.metrics_log import MetricsLog
from rnnlab.train.numerics import metrics_finite, tensors_finite
from rnnlab.train.optim import LRSchedule
from rnnlab.train.progress import TrainProgress
from rnnlab.train.session import RunState
from rnnlab.utils.seed import preserve_rng


class Validation:
    """Scores the model when asked and keeps what follows from the scores.

    ``save_best(metrics)`` writes best/; ``elapsed()`` gives the run's seconds so far for the
    record.
    """

    def __init__(
        self,
        model: nn.Module,
        task: Task,
        config: TrainConfig,
        run: RunState,
        *,
        device: torch.device,
        eval_batches: int,
        schedule: LRSchedule,
        log: MetricsLog,
        bar: TrainProgress,
        elapsed: Callable[[], float],
        save_best: Callable[[dict[str, float]], None],
        job: Job | None = None,
    ) -> None:
        self.model, self.task, self.config, self.run = model, task, config, run
        self.device, self.eval_batches = device, eval_batches
        self.schedule, self.log, self.bar = schedule, log, bar
        self.elapsed, self.save_best = elapsed, save_best
        self.job = job or Job()
        self.target = parse_stop_when(config.stop_when) if config.stop_when else None
        self.best_weights: dict[str, torch.Tensor] | None = None  # in-memory copy of the best

    def due(self, epoch_done: bool) -> bool:
        """Whether the step just taken ends with a scheduled evaluation."""
        every = self.config.eval_every
        return bool(every and self.run.step % every == 0) or (every == 0 and epoch_done)

    def __call__(self, *, scheduled: bool) -> tuple[dict[str, float], str | None]:
        """Evaluate; update best/, patience, plateau and target; return (metrics, stop reason).

        Only scheduled evaluations count toward patience and the plateau schedule, so the
        extra evaluation at the end of a session does not change what a resumed run does.
        """
        run, config = self.run, self.config
        metrics = self._score()
        run.last_eval_step = run.step
        if not metrics:
            return {}, None
        run.last_metrics = metrics
        self._record(metrics)
        improved = self._improves(metrics)
        if improved:
            run.best_value, run.best_step = metrics[config.metric], run.step
            run.best_metrics = dict(metrics)
            self.best_weights = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            self.save_best(metrics)
        if scheduled:
            run.bad_evals = 0 if improved else run.bad_evals + 1
            self.schedule.observe(improved)
        shown = "  ".join(f"{k} {v:.4g}" for k, v in metrics.items())
        self.bar.print(f"step {run.step}  {config.eval_split}  {shown}"
                       f"{'  (best)' if improved else ''}")
        reason = "target" if self._target_first_met(metrics) else None
        if scheduled and config.patience and run.bad_evals >= config.patience:
            reason = reason or "early_stopping"
        return metrics, reason

    def _score(self) -> dict[str, float]:
        with preserve_rng():
            if self.job.active:
                return self._score_shared()
            return evaluate(self.model, self.task, self.config.eval_split, **self._where())

    def _where(self) -> dict[str, Any]:
        config = self.config
        return dict(batch_size=config.batch_size, max_batches=self.eval_batches,
                    seed=config.eval_seed, device=self.device)

    def _score_shared(self) -> dict[str, float]:
        """The same metrics, from the processes of a data-parallel job: rank r scores the
        batches r, r + W, r + 2W, ... and the sums are added up, so every rank takes its
        decisions from the same metrics. A stream (a validation text, whose batches carry
        their state) cannot be split by batches: rank 0 scores all of it, as one process."""
        job, task = self.job, self.task
        sums = score_sums(self.model, task, self.config.eval_split, **self._where(),
                          mine=lambda i: i % job.world == job.rank)
        (streamed,) = job.any(sums is None)
        if streamed:
            return job.from_main(lambda: evaluate(self.model, task, self.config.eval_split,
                                                  **self._where()))
        total = job.add_sums(sums or {})
        return task.summarize(total) if total else {}

    def _record(self, metrics: dict[str, float]) -> None:
        run = self.run
        record = {
            "step": run.step,
            "split": self.config.eval_split,
            **metrics,
            "sequences": run.sequences,
            "tokens": run.tokens,
            "time": round(self.elapsed(), 3),
        }
        self.log.write(record)
        run.history.append(record)

    def _improves(self, metrics: dict[str, float]) -> bool:
        """Whether ``metrics`` beat the best so far by more than ``min_delta``, all finite."""
        config, best = self.config, self.run.best_value
        if config.metric not in metrics:
            raise UserError(
                f"metric {config.metric!r} is not among the validation metrics: "
                f"{', '.join(sorted(metrics))}"
            )
        value = metrics[config.metric]
        better = math.isfinite(value) and (
            best is None
            or (value > best + config.min_delta if config.higher_is_better
                else value < best - config.min_delta)
        )
        # A diverged model is never the best, however its metric reads.
        return better and metrics_finite(metrics) and tensors_finite(
            self.model.state_dict().values())

    def _target_first_met(self, metrics: dict[str, float]) -> bool:
        """Note the first time ``stop_when`` is met (counters included); True then."""
        run = self.run
        if self.target is None or run.target_reached is not None:
            return False
        if not target_met(metrics, self.target):
            return False
        run.target_reached = {
            "stop_when": self.config.stop_when,
            "step": run.step,
            "epoch": run.epoch,
            "sequences": run.sequences,
            "tokens": run.tokens,
            "metrics": dict(metrics),
        }
        return True

    def restore_best(self, out_dir: Path | None) -> bool:
        """Load the best weights back into the model (from best/ when an earlier session found
        them); whether it did."""
        weights = self.best_weights
        if weights is None and out_dir is not None and self.run.best_step is not None:
            weights = load_checkpoint(out_dir / "best", load_state=False).weights
        if weights is None:
            return False
        apply_weights(self.model, weights)
        return True


def already_stopped(config: TrainConfig, run: RunState) -> str | None:
    """A resumed run that had met its target or run out of patience stays stopped
    (unless the new config changed the target or raised the patience)."""
    reached = run.target_reached
    if config.stop_when and reached is not None and reached.get("stop_when") == config.stop_when:
        return "target"
    if config.patience and run.bad_evals >= config.patience:
        return "early_stopping"
    return None

