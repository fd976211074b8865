"""The training loop: ``train(model, task, config)``.

It reads top to bottom: set up the run (output directory, seeds, optimizer, schedule, or
everything as the last checkpoint left it), then one loop of steps —

    batch -> forward (carrying the stream state when the batch says so) -> loss -> backward
          -> clip -> optimizer step -> counters -> log -> evaluate -> callbacks -> checkpoint

— until a limit is reached (steps, epochs, minutes), validation stops improving (early
stopping), reaches a target (``stop_when``), a callback asks to stop, or Ctrl-C is pressed.

Exact resume. A checkpoint holds everything the next step depends on: weights, optimizer and
schedule state, every RNG state, the position in the training data (epoch and batches
consumed; the batches are regenerated from the task's seed and skipped), the carried stream
state, and the running counters. Evaluations run inside ``preserve_rng()``, so they never
shift the random numbers training draws. Training N steps, or N/2 steps then resuming for the
rest, gives the same weights, bit for bit, on the CPU.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from rnnlab.errors import UserError
from rnnlab.models import detach_state
from rnnlab.tasks.base import Task
from rnnlab.train.checkpoint import (
    apply_weights,
    checkpoint_meta,
    load_checkpoint,
    save_checkpoint,
)
from rnnlab.train.config import TrainConfig, parse_stop_when, target_met
from rnnlab.train.evaluate import count_tokens, evaluate, state_to
from rnnlab.train.metrics_log import MetricsLog
from rnnlab.train.numerics import FaultWatch, metrics_finite, tensors_finite
from rnnlab.train.optim import LRSchedule, build_optimizer
from rnnlab.train.progress import TrainProgress
from rnnlab.train.run_dir import RunLock, prepare_out_dir
from rnnlab.train.session import (
    GracefulInterrupt,
    RunState,
    TrainData,
    endless_eval_batches,
    resolve_device,
    restore_optimizer,
    warn_on_changed_config,
)
from rnnlab.train.state_io import check_state
from rnnlab.utils.seed import get_rng_state, preserve_rng, seed_everything, set_rng_state

logger = logging.getLogger("rnnlab.train")


@dataclass
class StepInfo:
    """What a callback sees after each optimizer step."""

    step: int  # optimizer steps taken so far (this one included)
    epoch: int  # completed passes over the training data
    loss: float  # this step's training loss
    lr: float  # the learning rate this step used
    grad_norm: float | None  # global gradient norm before clipping (None when clipping is off)
    sequences: int  # training sequences seen so far
    tokens: int  # training input steps seen so far
    elapsed: float  # seconds since the run started (earlier sessions included)
    metrics: dict[str, float] | None  # validation metrics, if this step evaluated
    model: nn.Module
    optimizer: torch.optim.Optimizer


# A callback returns True to stop training after this step (e.g. a custom target).
Callback = Callable[[StepInfo], bool | None]


@dataclass
class TrainResult:
    """How a run went. ``history`` holds every metrics.jsonl record of the run."""

    steps: int  # optimizer steps taken (over all sessions)
    epochs: int  # completed passes over the training data
    sequences_seen: int  # training sequences (batch rows), e.g. for "74,000 sequences"
    tokens_seen: int  # training input steps (sum of lengths)
    wall_time: float  # seconds, over all sessions
    tokens_per_second: float  # training throughput of this session
    stop_reason: str  # steps | epochs | time | early_stopping | target | callback | interrupted
    interrupted: bool  # Ctrl-C: last/ was saved and the result is partial
    metric: str  # the validation metric that picks best/
    final_metrics: dict[str, float]  # validation metrics of the last evaluation
    best_metrics: dict[str, float]  # validation metrics of the best evaluation
    best_step: int | None  # step of the best evaluation
    restored_best: bool  # the model now holds the best weights (early stopping)
    target_reached: dict[str, Any] | None  # step/sequences/tokens when stop_when was first met
    history: list[dict[str, Any]] = field(default_factory=list)
    out_dir: str | None = None
    last_checkpoint: str | None = None
    best_checkpoint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def train(
    model: nn.Module,
    task: Task,
    config: TrainConfig,
    *,
    resume: bool = False,
    callbacks: Sequence[Callback] | None = None,
) -> TrainResult:
    """Train ``model`` on ``task`` as ``config`` says; see the module docstring.

    ``resume=True`` continues the run in ``config.out_dir`` from its ``last/`` checkpoint
    (the config may extend the limits). Data order comes from the task's seeded batches
    (``config.seed``; epoch e > 0 uses ``seed + 1_000_003 * e``). The model's initial weights
    are the caller's: seed before building it (:func:`rnnlab.utils.seed_everything`) for a
    fully repeatable run.
    """
    out_dir = Path(config.out_dir) if config.out_dir else None
    # One training per run folder at a time: a second one is refused, not interleaved.
    with RunLock(out_dir) if out_dir is not None else contextlib.nullcontext():
        return _train(model, task, config, resume=resume, callbacks=callbacks)


def _train(
    model: nn.Module,
    task: Task,
    config: TrainConfig,
    *,
    resume: bool,
    callbacks: Sequence[Callback] | None,
) -> TrainResult:
    """:func:`train`, while holding the run folder's lock."""
    callbacks = list(callbacks or [])
    out_dir = Path(config.out_dir) if config.out_dir else None
    device = resolve_device(config.device)
    target = parse_stop_when(config.stop_when) if config.stop_when else None

    # -- the run directory: fresh, resumed, or (refused) someone else's finished run ----------
    if resume and out_dir is None:
        raise UserError("cannot resume without out_dir (the run directory holding last/)")
    if out_dir is not None:
        prepare_out_dir(out_dir, resume=resume, overwrite=config.overwrite)

    # -- model, optimizer, schedule: new, or exactly as the last checkpoint left them -----------
    seed_everything(config.seed)
    model.to(device)
    optimizer = build_optimizer(model.parameters(), config)
    schedule = LRSchedule(optimizer, config)
    run = RunState()
    carried: Any = None  # the final recurrent state of the previous batch, detached
    saved_rng = None
    if resume:
        assert out_dir is not None
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
        carried = state_to(ckpt.state["carried_state"], device)
        saved_rng = ckpt.state["rng"]

    eval_batches = endless_eval_batches(task, config)

    # -- data: the epoch and position the run is at (regenerated and skipped on resume) --------
    data = TrainData(task, config.batch_size, config.seed, run.epoch, run.batch_in_epoch)
    if saved_rng is not None:
        try:  # after skipping batches, so that skipping cannot disturb it
            set_rng_state(saved_rng)
        except (TypeError, ValueError, RuntimeError, KeyError) as e:
            raise UserError(f"corrupt checkpoint: cannot restore its RNG state ({e})") from None

    # -- bookkeeping of this session -------------------------------------------------------------
    log = MetricsLog(
        out_dir, tensorboard=config.tensorboard, resume_step=run.step if resume else None
    )
    bar = TrainProgress(config.steps or None, enabled=config.progress, start=run.step)
    best_weights: dict[str, torch.Tensor] | None = None  # in-memory copy of the best model
    earlier_sessions = run.elapsed  # seconds
    session_start = time.perf_counter()
    session_steps = session_tokens = 0
    stop_reason: str | None = _already_stopped(config, run)

    def elapsed() -> float:
        """Seconds since the run began, earlier sessions included (the `minutes` budget)."""
        return earlier_sessions + time.perf_counter() - session_start

    def save_last() -> None:
        if out_dir is None:
            return
        if not (tensors_finite(model.state_dict().values()) and metrics_finite(run.last_metrics)):
            # A diverged model must not replace the last good checkpoint (it could never resume).
            logger.warning("not saving last/ at step %d: the weights or validation metrics are "
                           "not finite; last/ keeps the previous checkpoint", run.step)
            return
        run.elapsed = elapsed()
        state = {
            "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(),
            "rng": get_rng_state(),
            "run": asdict(run),
            "carried_state": state_to(carried, "cpu"),
        }
        save_checkpoint(out_dir / "last", model, meta_for("last", run.last_metrics), state)

    def meta_for(kind: str, metrics: dict[str, float]) -> dict[str, Any]:
        return checkpoint_meta(
            model,
            task,
            config,
            kind=kind,
            step=run.step,
            epoch=run.epoch,
            sequences=run.sequences,
            tokens=run.tokens,
            metrics=metrics,
            best_step=run.best_step,
            best_metrics=run.best_metrics,
        )

    def validate(scheduled: bool) -> tuple[dict[str, float], str | None]:
        """Evaluate; update best/, early stopping, plateau and target; maybe ask to stop.

        Only scheduled evaluations count toward patience and the plateau schedule, so the
        extra evaluation at the end of a session does not change what a resumed run does.
        """
        nonlocal best_weights
        with preserve_rng():
            metrics = evaluate(
                model,
                task,
                config.eval_split,
                batch_size=config.batch_size,
                max_batches=eval_batches,
                seed=config.eval_seed,
                device=device,
            )
        run.last_eval_step = run.step
        if not metrics:
            return {}, None
        run.last_metrics = metrics
        record = {
            "step": run.step,
            "split": config.eval_split,
            **metrics,
            "sequences": run.sequences,
            "tokens": run.tokens,
            "time": round(elapsed(), 3),
        }
        log.write(record)
        run.history.append(record)
        if config.metric not in metrics:
            raise UserError(
                f"metric {config.metric!r} is not among the validation metrics: "
                f"{', '.join(sorted(metrics))}"
            )
        value = metrics[config.metric]
        improved = math.isfinite(value) and (
            run.best_value is None
            or (
                value > run.best_value + config.min_delta
                if config.higher_is_better
                else value < run.best_value - config.min_delta
            )
        )
        improved = improved and metrics_finite(metrics) and tensors_finite(
            model.state_dict().values())
        if improved:
            run.best_value, run.best_step, run.best_metrics = value, run.step, dict(metrics)
            best_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
            if out_dir is not None:
                save_checkpoint(out_dir / "best", model, meta_for("best", metrics))
        if scheduled:
            run.bad_evals = 0 if improved else run.bad_evals + 1
            schedule.observe(improved)
        shown = "  ".join(f"{k} {v:.4g}" for k, v in metrics.items())
        bar.print(f"step {run.step}  {config.eval_split}  {shown}{'  (best)' if improved else ''}")
        reason = None
        if target is not None and run.target_reached is None and target_met(metrics, target):
            run.target_reached = {
                "stop_when": config.stop_when,
                "step": run.step,
                "epoch": run.epoch,
                "sequences": run.sequences,
                "tokens": run.tokens,
                "metrics": dict(metrics),
            }
            reason = "target"
        if scheduled and config.patience and run.bad_evals >= config.patience:
            reason = reason or "early_stopping"
        return metrics, reason

    watch = FaultWatch(run, config.max_bad_steps)
    interrupt = GracefulInterrupt()
    with log, bar, interrupt:
        while True:
            stop_reason = stop_reason or _limit_reached(config, run, data, elapsed())
            if stop_reason is not None:
                break

            # -- one optimizer step ---------------------------------------------------------
            batch = data.take().to(device)
            lr = schedule.apply(run.step, elapsed())
            model.train()
            # Truncated BPTT: a batch that continues the previous one starts from its final
            # state, detached, so gradients flow back only through this chunk.
            state_in = carried if batch.carry_state else None
            output, state_out = model(batch.x, lengths=batch.lengths, state=state_in)
            loss = task.loss(output, batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            loss_value = float(loss.item())
            grad_norm = None
            # Checked before the optimizer step: a non-finite loss or gradient never reaches
            # the weights; the step is skipped, and too many in a row stop the run.
            fault = watch.fault(loss_value, model.parameters())
            if fault is None:
                if config.clip_grad_norm > 0:
                    grad_norm = float(
                        torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_grad_norm)
                    )
                optimizer.step()
                carried = detach_state(state_out)
                warning = watch.good_step(run.step + 1, loss_value)
            else:
                optimizer.zero_grad(set_to_none=True)
                carried = None  # a non-finite state must not seed the next batch
                warning = watch.bad_step(run.step + 1, fault, lr)
            if warning:
                logger.warning("%s", warning)

            # -- counters --------------------------------------------------------------------
            run.step += 1
            session_steps += 1
            tokens = count_tokens(batch)
            run.sequences += batch.size
            run.tokens += tokens
            session_tokens += tokens
            run.epoch, run.batch_in_epoch = data.position()
            if data.epoch_done:
                carried = None  # a new pass starts new streams
            if fault is None:  # a skipped step's loss would make the logged mean inf
                run.loss_sum += loss_value
                run.loss_count += 1
            speed = session_tokens / max(time.perf_counter() - session_start, 1e-9)
            bar.update(run.step, loss=loss_value, tokens_per_second=speed)
            # (no record when every step since the last one was skipped: nothing to average)
            if config.log_every and run.step % config.log_every == 0 and run.loss_count:
                record = {
                    "step": run.step,
                    "split": "train",
                    "loss": run.loss_sum / run.loss_count,
                    "lr": lr,
                    "sequences": run.sequences,
                    "tokens": run.tokens,
                    "time": round(elapsed(), 3),
                }
                log.write(record)
                run.history.append(record)
                run.loss_sum, run.loss_count = 0.0, 0

            # -- evaluation, callbacks, checkpoint ------------------------------------------
            metrics = None
            if (config.eval_every and run.step % config.eval_every == 0) or (
                config.eval_every == 0 and data.epoch_done
            ):
                metrics, stop_reason = validate(scheduled=True)
            info = StepInfo(
                step=run.step,
                epoch=run.epoch,
                loss=loss_value,
                lr=lr,
                grad_norm=grad_norm,
                sequences=run.sequences,
                tokens=run.tokens,
                elapsed=elapsed(),
                metrics=metrics,
                model=model,
                optimizer=optimizer,
            )
            for callback in callbacks:
                if callback(info):
                    stop_reason = stop_reason or "callback"
            if interrupt.requested:
                stop_reason = "interrupted"
            every = config.save_every
            if stop_reason is None and (
                (every and run.step % every == 0) or (not every and metrics is not None)
            ):
                save_last()

        # -- the end of the session: a last evaluation, then last/ -----------------------------
        if stop_reason != "interrupted" and session_steps and run.last_eval_step != run.step:
            validate(scheduled=False)  # may update best/ and target_reached, never stops
        if session_steps:
            save_last()
        if stop_reason == "interrupted":
            saved = f"; saved {out_dir / 'last'}, resume to continue" if out_dir else ""
            bar.print(f"interrupted at step {run.step}{saved}")

    restored = False
    if stop_reason == "early_stopping" and config.restore_best and run.best_step is not None:
        if best_weights is None and out_dir is not None:  # best found in an earlier session
            best_weights = load_checkpoint(out_dir / "best", load_state=False).weights
        if best_weights is not None:
            apply_weights(model, best_weights)
            restored = True

    assert stop_reason is not None
    return TrainResult(
        steps=run.step,
        epochs=run.epoch,
        sequences_seen=run.sequences,
        tokens_seen=run.tokens,
        wall_time=elapsed(),
        tokens_per_second=session_tokens / max(time.perf_counter() - session_start, 1e-9),
        stop_reason=stop_reason,
        interrupted=stop_reason == "interrupted",
        metric=config.metric,
        final_metrics=dict(run.last_metrics),
        best_metrics=dict(run.best_metrics),
        best_step=run.best_step,
        restored_best=restored,
        target_reached=run.target_reached,
        history=list(run.history),
        out_dir=str(out_dir) if out_dir is not None else None,
        last_checkpoint=str(out_dir / "last") if out_dir is not None else None,
        best_checkpoint=(
            str(out_dir / "best") if out_dir is not None and run.best_step is not None else None
        ),
    )


def _limit_reached(
    config: TrainConfig, run: RunState, data: TrainData, elapsed: float
) -> str | None:
    if config.steps and run.step >= config.steps:
        return "steps"
    if config.epochs and data.epochs_completed >= config.epochs:
        return "epochs"
    if config.minutes and elapsed >= config.minutes * 60:
        return "time"
    return None


def _already_stopped(config: TrainConfig, run: RunState) -> str | None:
    """A resumed run that had met its target or run out of patience stays stopped
    (unless the new config changed the target or raised the patience)."""
    reached = run.target_reached
    if config.stop_when and reached is not None and reached.get("stop_when") == config.stop_when:
        return "target"
    if config.patience and run.bad_evals >= config.patience:
        return "early_stopping"
    return None
