"""A run's complete config as a TOML file: ``run.toml`` in every run folder, and the file that
``rnnlab train --config FILE`` reads.

The file has one table per config, its keys the config's fields::

    [task]
    name = "cue-word"

    [task.params]
    gap = [2, 30]

    [model]            # rnnlab.models.config.ModelConfig
    family = "lstm"
    hidden_size = 64

    [train]            # rnnlab.train.config.TrainConfig
    steps = 3000
    stop_when = "accuracy>=0.99"

A file written by hand may leave out any key (it keeps its default) or table. Every run writes
all of them (its task parameters, model and training settings as they were used, the hidden size
a ``--budget`` chose included; ``overwrite`` always false), so ``rnnlab train --config
RUN/run.toml --out-dir NEW`` trains the same run again. A key rnnlab does not know, or a value
of the wrong type, is a one-line error naming it.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.tasks.base import Task
from rnnlab.train.checkpoint import kept_params, rnnlab_version, task_params
from rnnlab.train.config import TrainConfig
from rnnlab.train.toml_writer import dumps
from rnnlab.utils.atomic import atomic_write

RUN_FILE = "run.toml"
MAX_BYTES = 1 << 20  # a config is a few hundred bytes; a larger file is not one
SECTIONS: dict[str, type] = {"model": ModelConfig, "train": TrainConfig}


@dataclass
class RunFile:
    """What a run file says; each table holds only the keys the file gives."""

    path: str
    task_name: str | None = None  # None: the file names no task
    task_params: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)  # ModelConfig fields
    train: dict[str, Any] = field(default_factory=dict)  # TrainConfig fields


def run_config(model: nn.Module, task: Task, config: TrainConfig,
               out_dir: Path | None = None) -> dict[str, Any]:
    """The tables of ``run.toml`` for a run of ``model`` on ``task`` with ``config``; a file
    the task keeps in its checkpoints (the text of keep_text: a text given to fit as a string
    has no file of its own; the series.json of a forecast of a series from Python) is named by
    its copy in ``out_dir/last/``, which outlives the run and is exactly what was trained on."""
    params = task_params(task)
    if out_dir is not None:
        for param, name in kept_params(task).items():
            params[param] = str((out_dir / "last" / name).resolve())
    data: dict[str, Any] = {
        "task": {"name": getattr(task, "name", "") or type(task).__name__,
                 "params": params},
    }
    model_config = getattr(model, "config", None)
    if isinstance(model_config, ModelConfig):  # a model rnnlab can rebuild from its config
        data["model"] = model_config.to_dict()
    data["train"] = config.to_dict()
    # Permission to replace the run folder was for that one start, not part of the run: a rerun
    # from this file must not delete the run it was copied from.
    data["train"]["overwrite"] = False
    return data


def write_run_file(out_dir: Path, model: nn.Module, task: Task, config: TrainConfig) -> Path:
    """Write ``out_dir/run.toml`` atomically (a crash leaves the old file or the new one)."""
    header = (f"# The complete config of this run, written by rnnlab {rnnlab_version()}.\n"
              f"# Train it again with: rnnlab train --config {RUN_FILE} --out-dir NEW_DIR\n\n")
    path = out_dir / RUN_FILE
    atomic_write(path, header + dumps(run_config(model, task, config, out_dir)))
    return path


def read_run_file(path: str | Path) -> RunFile:
    """Read and check a run file; UserError (one line) for anything it cannot use."""
    data = _load_toml(Path(path))
    where = str(path)
    unknown = sorted(set(data) - {"task", *SECTIONS})
    if unknown:
        raise UserError(f"{where}: unknown table or key {unknown[0]!r}; "
                        f"a run file has [task], [model] and [train]")
    out = RunFile(where)
    task = _table(data, "task", where)
    extra = sorted(set(task) - {"name", "params"})
    if extra:
        raise UserError(f"{where}: unknown key {extra[0]!r} in [task]; it has name and "
                        "[task.params]")
    if "name" in task:
        if not isinstance(task["name"], str):
            raise UserError(f"{where}: [task] name must be text, got {task['name']!r}")
        out.task_name = task["name"]
    out.task_params = dict(_table(task, "params", where, "task.params"))
    for section, cls in SECTIONS.items():
        setattr(out, section, _fields(_table(data, section, where), cls, section, where))
    return out


def _load_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise UserError(f"config file not found: {path}")
    if not path.is_file():
        raise UserError(f"config file is not a file: {path}")
    with path.open("rb") as f:
        raw = f.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise UserError(f"{path} is over {MAX_BYTES >> 20} MB: not a run config")
    if b"\x00" in raw:
        raise UserError(f"{path} looks binary (it contains NUL bytes), not a TOML config")
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise UserError(f"{path} is not UTF-8 text (bad byte at offset {e.start})") from None
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{path} is not valid TOML: {e}") from None


def _table(data: dict[str, Any], key: str, where: str, name: str | None = None) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise UserError(f"{where}: {name or key} must be a table ([{name or key}]), "
                        f"got {value!r}")
    return value


def _fields(table: dict[str, Any], cls: type, section: str, where: str) -> dict[str, Any]:
    """The keys of ``[section]``, checked against the fields of the dataclass ``cls``."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    out = {}
    for key, value in table.items():
        if key not in names:
            raise UserError(f"{where}: unknown key {key!r} in [{section}] (see `rnnlab train "
                            f"--help` for the {section} options)")
        if not _fits(value, hints[key]):
            raise UserError(f"{where}: [{section}] {key} must be {_describe(hints[key])}, "
                            f"got {value!r}")
        out[key] = float(value) if hints[key] is float else value
    return out


def _fits(value: Any, hint: Any) -> bool:
    """Whether a TOML value can stand for a field annotated ``hint``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, a) for a in args if a is not type(None))
    if origin in (tuple, list):
        element = args[0] if args else Any
        return isinstance(value, list) and all(_fits(v, element) for v in value)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    return True  # a type TOML has no word for: the config's own checks judge it


def _describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args if a is not type(None))
    if origin in (tuple, list):
        return f"a list of {_PLURALS.get(args[0] if args else Any, 'values')}"
    return _WORDS.get(hint, getattr(hint, "__name__", str(hint)))


_WORDS = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
_PLURALS = {bool: "true/false values", int: "whole numbers", float: "numbers", str: "strings"}
