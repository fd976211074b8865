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

Several processes. Under torchrun (``rnnlab train --nproc N`` starts it) the same loop runs in
every process: each trains on its rows of the same global batch through DDP, rank 0 alone
writes, validation is shared out, and whatever one rank decides alone (its clock, Ctrl-C, a
callback's stop) is agreed on by all before it acts; see :mod:`rnnlab.train.distributed`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from rnnlab.errors import UserError
from rnnlab.models.recurrent_stack import state_batch_dim
from rnnlab.tasks.base import Task
from rnnlab.train.config import TrainConfig
from rnnlab.train.distributed import Job, join_job
from rnnlab.train.evaluate import count_tokens
from rnnlab.train.metrics_log import MetricsLog
from rnnlab.train.numerics import FaultWatch
from rnnlab.train.optim import LRSchedule, build_optimizer
from rnnlab.train.progress import TrainProgress
from rnnlab.train.resume import RunCheckpoints, restore_rng, restore_training_state
from rnnlab.train.run_dir import RunLock, prepare_out_dir
from rnnlab.train.run_file import write_run_file
from rnnlab.train.session import (
    GracefulInterrupt,
    RunState,
    TrainData,
    endless_eval_batches,
    resolve_device,
)
from rnnlab.train.step import Stepper
from rnnlab.train.validation import Validation, already_stopped
from rnnlab.utils.seed import seed_everything


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
    fully repeatable run. Called in every process of a torchrun job, it trains data-parallel
    (``config.batch_size`` is then the global batch); ``config.nproc`` > 1 is for the command
    line, which starts the processes.
    """
    out_dir = Path(config.out_dir) if config.out_dir else None
    with join_job(config.device) as (job, device_name):
        if config.nproc > 1 and not job.active:
            raise UserError(
                f"nproc {config.nproc} starts {config.nproc} processes from the command line "
                "(rnnlab train --nproc); from Python, run the script under torchrun, or set "
                "nproc to 1"
            )
        # One training per run folder at a time: a second one is refused, not interleaved.
        # Under torchrun rank 0 holds the lock for the job (it alone writes the folder), and
        # the others hear if it could not.
        with contextlib.ExitStack() as stack:
            if out_dir is not None:
                job.on_main(lambda: stack.enter_context(RunLock(out_dir)))
            return _train(model, task, config, resume=resume, callbacks=callbacks,
                          job=job, device_name=device_name)


def _train(
    model: nn.Module,
    task: Task,
    config: TrainConfig,
    *,
    resume: bool,
    callbacks: Sequence[Callback] | None,
    job: Job,
    device_name: str,
) -> TrainResult:
    """:func:`train`, while (rank 0 of) this job holds the run folder's lock."""
    callbacks = list(callbacks or [])
    out_dir = Path(config.out_dir) if config.out_dir else None
    device = resolve_device(device_name)
    job.check_batch_size(config.batch_size)
    # Only rank 0 writes: the others run the same steps with nowhere to write to.
    write_dir = out_dir if job.main else None

    # -- the run directory: fresh, resumed, or (refused) someone else's finished run ----------
    if resume and out_dir is None:
        raise UserError("cannot resume without out_dir (the run directory holding last/)")
    if out_dir is not None:  # by rank 0; the others hear if it refused
        job.on_main(lambda: prepare_out_dir(out_dir, resume=resume, overwrite=config.overwrite))

    # -- model, optimizer, schedule: new, or exactly as the last checkpoint left them -----------
    seed_everything(config.seed)
    model.to(device)
    optimizer = build_optimizer(model.parameters(), config)
    schedule = LRSchedule(optimizer, config)
    run, carried, saved_rng = RunState(), None, None
    if resume:
        assert out_dir is not None
        run, carried, saved_rng = restore_training_state(
            out_dir, model, optimizer, schedule, config, device)
        # last/ holds the state of every stream of the global batch; this rank carries its own
        carried = job.local_state(carried, state_batch_dim(model))
    eval_batches = endless_eval_batches(task, config)

    # -- data: the epoch and position the run is at (regenerated and skipped on resume) --------
    data = TrainData(task, config.batch_size, config.seed, run.epoch, run.batch_in_epoch)
    if saved_rng is not None:
        restore_rng(saved_rng)
    job.seed_rank(config.seed, run.step)
    if write_dir is not None:  # the complete config, once it is known to start: what reruns it
        write_run_file(write_dir, model, task, config)

    # -- bookkeeping of this session -------------------------------------------------------------
    log = MetricsLog(
        write_dir, tensorboard=config.tensorboard, resume_step=run.step if resume else None
    )
    bar = TrainProgress(config.steps or None, enabled=config.progress and job.main,
                        start=run.step)
    for module in model.modules():  # compile the C++ loops before the clock starts
        prepare = getattr(module, "prepare_kernels", None)
        if callable(prepare):
            prepare()
    clock = _Clock(run.elapsed)
    stepper = Stepper(model, task, optimizer, FaultWatch(run, config.max_bad_steps),
                      clip_grad_norm=config.clip_grad_norm, carried=carried, job=job)
    # What last/ gets as the carried state: every rank's rows (a collective, so every rank
    # takes part in each save, and rank 0 writes).
    batch_dim = state_batch_dim(model)
    carried_now: list[Any] = [None]
    checkpoints = RunCheckpoints(write_dir, model, task, config, run, optimizer=optimizer,
                                 schedule=schedule, carried=lambda: carried_now[0],
                                 elapsed=clock.elapsed)

    def save_last() -> None:
        carried_now[0] = job.full_state(stepper.carried, batch_dim)
        checkpoints.save_last()

    validate = Validation(
        model, task, config, run, device=device, eval_batches=eval_batches,
        schedule=schedule, log=log, bar=bar, elapsed=clock.elapsed,
        save_best=checkpoints.save_best, job=job,
    )  # fmt: skip
    stop_reason: str | None = already_stopped(config, run)
    interrupt = GracefulInterrupt()
    with log, bar, interrupt:
        while True:
            now = job.main_value(clock.elapsed())  # rank 0's clock: the same limit everywhere
            stop_reason = stop_reason or _limit_reached(config, run, data, now)
            if stop_reason is not None:
                break
            batch = data.take().to(device)  # the global batch: the stepper keeps this rank's rows
            lr = schedule.apply(run.step, now)
            outcome = stepper.step(batch, run.step + 1, lr)
            tokens = count_tokens(batch)
            clock.count(tokens)
            _count_step(run, batch.size, tokens, outcome.loss, skipped=outcome.skipped)
            run.epoch, run.batch_in_epoch = data.position()
            if data.epoch_done:
                stepper.carried = None  # a new pass starts new streams
            bar.update(run.step, loss=outcome.loss, tokens_per_second=clock.speed())
            _log_train_loss(log, run, config, lr, clock.elapsed())

            metrics = None
            if validate.due(data.epoch_done):
                metrics, stop_reason = validate(scheduled=True)
            info = StepInfo(
                step=run.step, epoch=run.epoch, loss=outcome.loss, lr=lr,
                grad_norm=outcome.grad_norm, sequences=run.sequences, tokens=run.tokens,
                elapsed=clock.elapsed(), metrics=metrics, model=model, optimizer=optimizer,
            )  # fmt: skip
            asked = any([bool(callback(info)) for callback in callbacks])  # call every one
            # A stop asked for on one rank stops every rank after this same step.
            asked, interrupted = job.any(asked, interrupt.requested)
            if asked:
                stop_reason = stop_reason or "callback"
            if interrupted:
                stop_reason = "interrupted"
            if stop_reason is None and _save_due(config, run.step, evaluated=metrics is not None):
                save_last()

        # -- the end of the session: a last evaluation, then last/ -----------------------------
        if stop_reason != "interrupted" and clock.steps and run.last_eval_step != run.step:
            validate(scheduled=False)  # may update best/ and target_reached, never stops
        if clock.steps:
            save_last()
        if stop_reason == "interrupted":
            saved = f"; saved {out_dir / 'last'}, resume to continue" if out_dir else ""
            bar.print(f"interrupted at step {run.step}{saved}")

    assert stop_reason is not None
    # Ranks other than 0 have the best weights in memory if this session found them; best/
    # on disk is rank 0's (on another machine it may not exist).
    restored = (stop_reason == "early_stopping" and config.restore_best
                and run.best_step is not None and validate.restore_best(write_dir))
    return _result(run, config, out_dir, clock, stop_reason, restored=restored)


class _Clock:
    """The run's time (earlier sessions included: the ``minutes`` budget) and this session's
    steps and throughput."""

    def __init__(self, earlier_sessions: float) -> None:
        self.earlier = earlier_sessions  # seconds
        self.start = time.perf_counter()
        self.steps = self.tokens = 0  # of this session

    def elapsed(self) -> float:
        return self.earlier + time.perf_counter() - self.start

    def count(self, tokens: int) -> None:
        self.steps += 1
        self.tokens += tokens

    def speed(self) -> float:
        """Training input steps per second in this session."""
        return self.tokens / max(time.perf_counter() - self.start, 1e-9)


def _count_step(run: RunState, sequences: int, tokens: int, loss: float, *, skipped: bool) -> None:
    run.step += 1
    run.sequences += sequences
    run.tokens += tokens
    if not skipped:  # a skipped step's loss would make the logged mean inf
        run.loss_sum += loss
        run.loss_count += 1


def _log_train_loss(
    log: MetricsLog, run: RunState, config: TrainConfig, lr: float, elapsed: float
) -> None:
    """Every ``log_every`` steps, the mean training loss since the last such record (none when
    every step since then was skipped: there is nothing to average)."""
    if not (config.log_every and run.step % config.log_every == 0 and run.loss_count):
        return
    record = {
        "step": run.step,
        "split": "train",
        "loss": run.loss_sum / run.loss_count,
        "lr": lr,
        "sequences": run.sequences,
        "tokens": run.tokens,
        "time": round(elapsed, 3),
    }
    log.write(record)
    run.history.append(record)
    run.loss_sum, run.loss_count = 0.0, 0


def _save_due(config: TrainConfig, step: int, *, evaluated: bool) -> bool:
    """last/ is saved every ``save_every`` steps, or (0) after every evaluation."""
    every = config.save_every
    return bool(every and step % every == 0) or (not every and evaluated)


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


def _result(
    run: RunState,
    config: TrainConfig,
    out_dir: Path | None,
    clock: _Clock,
    stop_reason: str,
    *,
    restored: bool,
) -> TrainResult:
    return TrainResult(
        steps=run.step,
        epochs=run.epoch,
        sequences_seen=run.sequences,
        tokens_seen=run.tokens,
        wall_time=clock.elapsed(),
        tokens_per_second=clock.speed(),
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
