"""What a comparison compares, and the task it runs on: CompareConfig and build_task."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnnlab.errors import UserError
from rnnlab.tasks import TASKS, Task, make_task
from rnnlab.utils.atomic import check_output

DEFAULT_MODELS = ("mlp", "rnn", "lstm", "gru")
# An encoder-decoder has no window-MLP form; the question there is what attention adds.
SEQ2SEQ_MODELS = ("gru", "gru:attention=luong", "gru:attention=bahdanau")
DEFAULT_TASK_PARAMS: dict[str, dict[str, Any]] = {"cue-word": {"gap": (2, 30)}}


@dataclass
class CompareConfig:
    """What to compare and how long to train; every field has a default."""

    task: str = "cue-word"  # any rnnlab task (see `rnnlab tasks`)
    task_params: dict[str, Any] = field(default_factory=dict)  # e.g. {"path": "book.txt"}
    models: tuple[str, ...] = DEFAULT_MODELS  # family[:option...] ("lstm:peephole") or [layer list]
    budget: int = 20_000  # parameters per model: each gets the hidden size closest to it
    seeds: int = 1  # runs per model with seeds 0..N-1; results are mean ± sd
    steps: int = 700  # optimizer steps per model and seed; 0 = only the time limit
    minutes: float = 0.55  # time limit per model and seed; 0 = only the step limit
    batch_size: int = 32  # sequences per training batch
    lr: float = 0.02  # Adam's learning rate
    embedding_dim: int = 16  # width of the token embedding (token tasks)
    eval_every: int = 50  # steps between validation runs (the learning curves)
    eval_size: int = 256  # validation/test sequences (batches of a text stream: / batch_size)
    output: str = "report.html"  # the report file
    overwrite: bool = False  # replace an existing output file that rnnlab did not write
    threads: int = 1  # torch threads (small models train fastest on one)

    def validate(self) -> None:
        """Raise :class:`~rnnlab.errors.UserError` for a setting the comparison cannot use."""
        if self.task not in TASKS:
            raise UserError(f"unknown task {self.task!r}; choose one of {', '.join(TASKS)}")
        for name in ("budget", "seeds", "batch_size", "eval_every", "eval_size", "threads"):
            if getattr(self, name) < 1:
                raise UserError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.steps < 0 or self.minutes < 0:
            raise UserError("steps and minutes must be zero or positive")
        if self.steps == 0 and self.minutes == 0:
            raise UserError("training has no end: set steps or minutes")
        if not self.models:
            raise UserError("no models to compare")
        # Before minutes of training: an output that may not be replaced is refused now.
        out = check_output(self.output, overwrite=self.overwrite)
        parent = out.parent if str(out.parent) else Path(".")
        if parent.exists() and not os.access(parent, os.W_OK):
            raise UserError(f"cannot write the report into {parent}")


def build_task(config: CompareConfig) -> Task:
    """The task with the comparison's defaults (cue-word gaps 2-30, small eval sets)."""
    config.validate()
    params = {**DEFAULT_TASK_PARAMS.get(config.task, {}), **config.task_params}
    fields = {f.name for f in dataclasses.fields(TASKS[config.task].Params)}
    if "eval_size" in fields and "eval_size" not in params:
        params["eval_size"] = config.eval_size
    return make_task(config.task, **params)


__all__ = [
    "DEFAULT_MODELS", "DEFAULT_TASK_PARAMS", "SEQ2SEQ_MODELS", "CompareConfig", "build_task",
]
