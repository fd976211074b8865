"""The command that repeats a comparison, as the report's run information shows it."""

from __future__ import annotations

import shlex
from typing import Any

from rnnlab.compare.config import CompareConfig
from rnnlab.compare.specs import model_text


def command_line(config: CompareConfig) -> str:
    """The ``rnnlab compare`` command that repeats this comparison."""
    params = [f"-p {shlex.quote(f'{k}={_param_text(v)}')}" for k, v in config.task_params.items()]
    models = ",".join(model_text(m) for m in config.models)
    parts = [
        "rnnlab", *(["--threads", str(config.threads)] if config.threads != 1 else []),
        "compare", "--task", config.task, *params, "--models", shlex.quote(models),
        "--budget", str(config.budget), "--seeds", str(config.seeds),
        "--steps", str(config.steps), "--minutes", f"{config.minutes:g}",
        "--batch-size", str(config.batch_size), "--lr", f"{config.lr:g}",
        "--embedding-dim", str(config.embedding_dim), "--eval-every", str(config.eval_every),
        "--eval-size", str(config.eval_size), "--output", shlex.quote(config.output),
    ]
    return " ".join(parts)


def _param_text(value: Any) -> str:
    """A task parameter as ``-p`` takes it: a range (2, 30) as ``2:30``."""
    if isinstance(value, tuple | list):
        return ":".join(str(v) for v in value)
    return str(value)


__all__ = ["command_line"]
