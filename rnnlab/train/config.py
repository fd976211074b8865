"""The training configuration: one dataclass, stored in every checkpoint next to the model's.

Every field has a default, so ``TrainConfig()`` trains something sensible, and the command
line maps its flags onto these fields one to one. Invalid values raise :class:`UserError` when
the config is made, not halfway through a run.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from rnnlab.errors import UserError
from rnnlab.train.ranges import TRAIN_RANGES, check_fields

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
SCHEDULES = ("none", "cosine", "step", "plateau")
METRIC_MODES = ("auto", "min", "max")
SPLITS = ("train", "valid", "test")

# Metrics where smaller is better; anything else (accuracy, f1, ...) is taken as larger-is-better
# when metric_mode is "auto".
_SMALLER_IS_BETTER = (
    "loss",
    "perplexity",
    "ppl",
    "bpc",
    "bits",
    "error",
    "mse",
    "mae",
    "rmse",
    "nll",
)

_STOP_WHEN = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(>=|<=|>|<)\s*([-+]?[\d.]+(?:[eE][-+]?\d+)?)\s*$")


@dataclass
class TrainConfig:
    """How to train: optimizer, schedule, limits, evaluation, checkpoints, logging.

    Every field has a default; invalid values raise :class:`~rnnlab.errors.UserError` when the
    config is made. ``rnnlab train`` has one option per field (``--clip-grad-norm``), and a
    run's ``run.toml`` holds them under ``[train]``. The fields:

    optimizer: adam | adamw | sgd | rmsprop
    lr: peak learning rate (reached after warmup)
    momentum: sgd and rmsprop momentum
    weight_decay: L2 penalty (decoupled from the gradient for adamw)
    clip_grad_norm: rescale gradients whose global L2 norm exceeds this; 0 = off
    max_bad_steps: steps in a row with a non-finite loss or gradient before stopping
    schedule: none | cosine | step | plateau
    warmup_steps: linear warmup from lr/warmup_steps to lr, before any schedule
    min_lr: floor of cosine decay and of plateau reductions
    decay_steps: cosine: steps from start to min_lr; 0 = `steps`, else the `minutes`
    step_size: step: multiply the lr by gamma every step_size steps
    gamma: step and plateau: the factor the lr is multiplied by
    plateau_patience: plateau: evaluations without improvement before the lr drops
    batch_size: sequences per training batch
    steps: optimizer steps; 0 = no limit (the CLI default with --minutes/--epochs)
    epochs: passes over a finite training set; 0 = no epoch limit
    minutes: wall-clock budget, counting earlier sessions of a resumed run; 0 = none
    eval_every: steps between validation runs; 0 = at the end of each epoch only
    eval_batches: validation batches per evaluation; 0 = the whole split
    eval_split: the split evaluated during training
    eval_seed: seed of the validation batches, fixed so that runs compare on one set
    metric: validation metric that picks best/, drives early stopping and plateau
    metric_mode: min | max | auto (min for loss-like names, else max)
    min_delta: an evaluation improves only if it beats the best by more than this
    patience: early stopping: evaluations without improvement before stopping; 0 = off
    restore_best: after early stopping, load the best validation weights back
    stop_when: stop once validation meets this, e.g. "accuracy>=0.99"; "" = never
    seed: seeds python, numpy and torch, and the order of the training data
    device: auto (CUDA when available) | cpu | cuda | cuda:N
    nproc: data-parallel processes on this machine, started via torchrun; 1 = no others
    out_dir: run directory: last/, best/, metrics.jsonl, run.toml; "" = write nothing
    save_every: steps between last/ checkpoints; 0 = at every evaluation
    overwrite: start afresh in an out_dir that already holds a run
    log_every: steps between training-loss lines in metrics.jsonl
    tensorboard: also write TensorBoard scalars when tensorboard is installed
    progress: show a progress bar (only on a terminal)
    """

    # -- optimizer ----------------------------------------------------------------------------
    optimizer: str = "adam"  # adam | adamw | sgd | rmsprop
    lr: float = 1e-3  # peak learning rate (reached after warmup)
    momentum: float = 0.0  # sgd and rmsprop momentum
    weight_decay: float = 0.0  # L2 penalty (decoupled from the gradient for adamw)
    clip_grad_norm: float = 0.0  # rescale gradients whose global L2 norm exceeds this; 0 = off
    max_bad_steps: int = 5  # steps in a row with a non-finite loss or gradient before stopping
    # -- learning-rate schedule -----------------------------------------------------------------
    schedule: str = "none"  # none | cosine | step | plateau
    warmup_steps: int = 0  # linear warmup from lr/warmup_steps to lr, before any schedule
    min_lr: float = 0.0  # floor of cosine decay and of plateau reductions
    decay_steps: int = 0  # cosine: steps from start to min_lr; 0 = `steps`, else the `minutes`
    step_size: int = 1000  # step: multiply the lr by gamma every step_size steps
    gamma: float = 0.1  # step and plateau: the factor the lr is multiplied by
    plateau_patience: int = 2  # plateau: evaluations without improvement before the lr drops
    # -- how long -------------------------------------------------------------------------------
    batch_size: int = 32  # sequences per training batch
    steps: int = 1000  # optimizer steps; 0 = no limit (the CLI default with --minutes/--epochs)
    epochs: int = 0  # passes over a finite training set; 0 = no epoch limit
    minutes: float = 0.0  # wall-clock budget, counting earlier sessions of a resumed run; 0 = none
    # -- evaluation, early stopping, targets ----------------------------------------------------
    eval_every: int = 100  # steps between validation runs; 0 = at the end of each epoch only
    eval_batches: int = 0  # validation batches per evaluation; 0 = the whole split
    eval_split: str = "valid"  # the split evaluated during training
    eval_seed: int = 0  # seed of the validation batches, fixed so that runs compare on one set
    metric: str = "loss"  # validation metric that picks best/, drives early stopping and plateau
    metric_mode: str = "auto"  # min | max | auto (min for loss-like names, else max)
    min_delta: float = 0.0  # an evaluation improves only if it beats the best by more than this
    patience: int = 0  # early stopping: evaluations without improvement before stopping; 0 = off
    restore_best: bool = True  # after early stopping, load the best validation weights back
    stop_when: str = ""  # stop once validation meets this, e.g. "accuracy>=0.99"; "" = never
    # -- reproducibility and hardware -----------------------------------------------------------
    seed: int = 0  # seeds python, numpy and torch, and the order of the training data
    device: str = "auto"  # auto (CUDA when available) | cpu | cuda | cuda:N
    nproc: int = 1  # data-parallel processes on this machine, started via torchrun; 1 = no others
    # -- output ---------------------------------------------------------------------------------
    out_dir: str = ""  # run directory: last/, best/, metrics.jsonl, run.toml; "" = write nothing
    save_every: int = 0  # steps between last/ checkpoints; 0 = at every evaluation
    overwrite: bool = False  # start afresh in an out_dir that already holds a run
    log_every: int = 50  # steps between training-loss lines in metrics.jsonl
    tensorboard: bool = True  # also write TensorBoard scalars when tensorboard is installed
    progress: bool = True  # show a progress bar (only on a terminal)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`UserError` naming the first invalid field."""
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("schedule", self.schedule, SCHEDULES)
        _choice("metric_mode", self.metric_mode, METRIC_MODES)
        _choice("eval_split", self.eval_split, SPLITS)
        for name in ("optimizer", "schedule", "metric_mode", "eval_split", "metric", "stop_when",
                     "device", "out_dir"):
            if not isinstance(getattr(self, name), str):
                raise UserError(f"{name} must be text, got {getattr(self, name)!r}")
        for name in ("restore_best", "overwrite", "tensorboard", "progress"):
            if not isinstance(getattr(self, name), bool):
                raise UserError(f"{name} must be true or false, got {getattr(self, name)!r}")
        _positive("lr", self.lr)
        _positive("batch_size", self.batch_size)
        _positive("gamma", self.gamma)
        _positive("step_size", self.step_size)
        _positive("plateau_patience", self.plateau_patience)
        for name in (
            "momentum",
            "weight_decay",
            "clip_grad_norm",
            "min_lr",
            "minutes",
            "min_delta",
        ):
            _non_negative(name, getattr(self, name))
        for name in (
            "warmup_steps",
            "decay_steps",
            "steps",
            "epochs",
            "eval_every",
            "eval_batches",
            "patience",
            "save_every",
            "log_every",
            "seed",
            "eval_seed",
        ):
            _count(name, getattr(self, name))
        _positive("max_bad_steps", self.max_bad_steps)
        _positive("nproc", self.nproc)
        for name in ("batch_size", "step_size", "plateau_patience", "max_bad_steps", "nproc"):
            _count(name, getattr(self, name))
        check_fields(asdict(self), TRAIN_RANGES)  # upper bounds: no hang, no float32 overflow
        if self.steps == 0 and self.epochs == 0 and self.minutes == 0 and not self.stop_when:
            raise UserError("training has no end: set steps, epochs, minutes or stop_when")
        if self.schedule == "cosine" and not (self.decay_steps or self.steps or self.minutes):
            raise UserError("the cosine schedule needs a length: set steps, decay_steps or "
                            "minutes")
        if self.device != "auto" and not re.fullmatch(r"cpu|cuda(:\d+)?", self.device):
            raise UserError(f"unknown device {self.device!r}; use auto, cpu, cuda or cuda:N")
        if self.stop_when:
            parse_stop_when(self.stop_when)

    @property
    def higher_is_better(self) -> bool:
        """Whether a larger value of ``metric`` is an improvement."""
        if self.metric_mode != "auto":
            return self.metric_mode == "max"
        name = self.metric.lower()
        return not any(word in name for word in _SMALLER_IS_BETTER)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """The inverse of :meth:`to_dict`; unknown fields are an error, not silently dropped."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UserError(f"unknown training config field(s): {', '.join(unknown)}")
        return cls(**data)


def parse_stop_when(text: str) -> tuple[str, str, float]:
    """Split ``"accuracy>=0.99"`` into ``("accuracy", ">=", 0.99)``."""
    match = _STOP_WHEN.match(text)
    if match is None:
        raise UserError(f"cannot read stop_when {text!r}; write it like 'accuracy>=0.99'")
    name, op, value = match.groups()
    try:
        number = float(value)
    except ValueError:
        raise UserError(f"cannot read stop_when {text!r}: {value!r} is not a number") from None
    return name, op, number


def target_met(metrics: dict[str, float], target: tuple[str, str, float]) -> bool:
    """Whether ``metrics`` satisfy a parsed ``stop_when`` target."""
    name, op, value = target
    if name not in metrics:
        raise UserError(
            f"stop_when names {name!r}, but validation gives only: {', '.join(sorted(metrics))}"
        )
    x = metrics[name]
    return {">=": x >= value, "<=": x <= value, ">": x > value, "<": x < value}[op]


def _choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise UserError(f"unknown {name} {value!r}; choose one of: {', '.join(choices)}")


def _positive(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise UserError(f"{name} must be a positive number, got {value!r}")


def _count(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UserError(f"{name} must be a whole number >= 0, got {value!r}")


def _non_negative(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise UserError(f"{name} must be zero or positive, got {value!r}")
