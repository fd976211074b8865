"""Checkpoints: a directory that is enough to rebuild, evaluate or resume a model.

Layout of a checkpoint directory (a run keeps two, ``last/`` and ``best/``)::

    model.safetensors   the weights (tied tensors stored once)
    config.json         format marker and version, rnnlab/torch versions, model config,
                        task name, params and spec, training config, counters, metrics,
                        and a sha256 of each other file
    state.json          (last/ only) optimizer, schedule, RNG states, data position,
    state.safetensors   carried stream state, early-stopping bookkeeping, history: the
                        numbers in JSON, the tensors in safetensors (no pickle; state_io.py)
    text.txt            (a text task with keep_text) the training text, so that evaluating
                        needs no file but the checkpoint
    series.json         (a forecast of a series from Python) the series, for the same reason

A file a task keeps (``task.checkpoint_files()``: {name: (parameter, source)}) is copied in
and checksummed like the weights; config.json records the parameter as the file's name
(``task.files`` maps parameter -> name), and :attr:`Checkpoint.task_params` gives it back as
the path of that file inside the checkpoint, wherever the checkpoint has been moved.

Writes are atomic: everything goes to a fresh temporary directory beside the target, is
fsynced, and only then renamed into place. A directory cannot be renamed over a non-empty
one, so the old checkpoint is first renamed aside (``.last.old``) and removed after the swap;
if anything fails in between, the old one is renamed back. If the process dies in the instant
between the two renames, the next save or load puts ``.last.old`` back. A crash therefore
never leaves a half-written checkpoint where a good one was.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_model
from torch import nn

from rnnlab.errors import UserError
from rnnlab.models.build import build_model as default_build_model
from rnnlab.models.config import ModelConfig
from rnnlab.tasks.base import TaskSpec
from rnnlab.tasks.forecast_data import SERIES_FILE
from rnnlab.tasks.text import TEXT_FILE
from rnnlab.train.config import TrainConfig
from rnnlab.train.schema import check_meta, check_weights_fit, read_json
from rnnlab.train.state_io import STATE_JSON, STATE_TENSORS, save_state
from rnnlab.train.state_io import load_state as load_state_files
from rnnlab.utils.atomic import fsync_dir
from rnnlab.utils.hashing import file_sha256

FORMAT = "rnnlab-checkpoint"
FORMAT_VERSION = 1
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
STATE_FILE = "state.pt"  # the pickled state of rnnlab before issue 10: no longer read
TASK_FILES = (TEXT_FILE, SERIES_FILE)  # the files a task may keep in its checkpoints
# Every file a checkpoint folder may hold: removing a checkpoint removes these and nothing else,
# and config.json may list no other (so no path in it can point outside the folder).
CHECKPOINT_FILES = (WEIGHTS_FILE, CONFIG_FILE, STATE_JSON, STATE_TENSORS, STATE_FILE,
                    *TASK_FILES)


@dataclass
class Checkpoint:
    """What :func:`load_checkpoint` read: the metadata, the weights and the training state."""

    path: Path  # the checkpoint directory
    meta: dict[str, Any]  # config.json
    weights: dict[str, torch.Tensor]  # model state dict (tied tensors appear once)
    state: dict[str, Any] | None  # state.pt, or None (best/ checkpoints, or load_state=False)

    @property
    def model_config(self) -> ModelConfig | None:
        """The model's config, or None if the model that was saved had none."""
        data = self.meta.get("model")
        if data is None:
            return None
        try:
            return ModelConfig.from_dict(data)
        except (TypeError, ValueError) as e:
            raise UserError(
                f"incompatible model config in {self.path / CONFIG_FILE}: {e}"
            ) from None

    @property
    def train_config(self) -> TrainConfig:
        try:
            return TrainConfig.from_dict(self.meta["train"])
        except (KeyError, TypeError, ValueError) as e:
            raise UserError(
                f"incompatible training config in {self.path / CONFIG_FILE}: {e}"
            ) from None

    @property
    def task_name(self) -> str:
        return str(self.meta.get("task", {}).get("name", ""))

    @property
    def task_params(self) -> dict[str, Any]:
        """The task's parameters; one that names a file the checkpoint keeps (its text) is
        the absolute path of that file here."""
        task = self.meta.get("task", {})
        params = dict(task.get("params", {}))
        for param, name in (task.get("files") or {}).items():
            params[param] = os.path.abspath(self.path / name)
        return params

    @property
    def task_spec(self) -> TaskSpec | None:
        data = self.meta.get("task", {}).get("spec")
        if data is None:
            return None
        data = dict(data)
        for key in ("vocab", "target_vocab", "frame_shape"):
            if data.get(key) is not None:
                data[key] = tuple(data[key])  # JSON turned the tuple into a list
        return TaskSpec(**data)

    @property
    def step(self) -> int:
        return int(self.meta.get("step", 0))

    @property
    def metrics(self) -> dict[str, float]:
        """The validation metrics at the time of the save (best/: the best ones)."""
        return dict(self.meta.get("metrics", {}))


# -- saving -------------------------------------------------------------------------------------


def save_checkpoint(
    directory: str | os.PathLike[str],
    model: nn.Module,
    meta: dict[str, Any],
    state: dict[str, Any] | None = None,
    *,
    files: dict[str, str | os.PathLike[str] | bytes] | None = None,
) -> Path:
    """Atomically write ``model``'s weights, ``meta`` (-> config.json), ``state`` (-> state
    files) and ``files`` ({name in :data:`TASK_FILES`: source path or bytes}, the files the
    task keeps: :func:`kept_files`).

    ``meta`` should hold what rebuilding needs (see :func:`checkpoint_meta`); the format
    marker, version and file checksums are added here. Returns the checkpoint directory.
    """
    directory = Path(directory)
    _refuse_non_finite(model, meta, directory)
    parent = directory.parent
    parent.mkdir(parents=True, exist_ok=True)
    recover(directory)
    old = _aside(directory)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; a checkpoint is an ordinary directory
    moved_old = False
    try:
        # safetensors refuses tensors that share memory; save_model stores tied weights once.
        save_model(model, str(tmp / WEIGHTS_FILE), metadata={"format": FORMAT})
        _fsync_file(tmp / WEIGHTS_FILE)
        digests = {WEIGHTS_FILE: file_sha256(tmp / WEIGHTS_FILE)}
        if state is not None:  # safetensors + JSON: reading a checkpoint never unpickles
            for name in save_state(tmp, state):
                _fsync_file(tmp / name)
                digests[name] = file_sha256(tmp / name)
        kept = set(meta.get("task", {}).get("files", {}).values())
        if kept != set(files or {}) or not kept <= set(TASK_FILES):
            raise ValueError(f"the task keeps {sorted(kept)}, the files given are "
                             f"{sorted(files or {})}; pass files=kept_files(task)")
        for name, source in (files or {}).items():
            if isinstance(source, bytes):
                (tmp / name).write_bytes(source)
            else:
                shutil.copyfile(source, tmp / name)
            _fsync_file(tmp / name)
            digests[name] = file_sha256(tmp / name)
        full_meta = {"format": FORMAT, "format_version": FORMAT_VERSION, **meta,
                     "files": digests}
        # config.json last: a directory with a config.json has every file it lists.
        with open(tmp / CONFIG_FILE, "w", encoding="utf-8") as f:
            json.dump(full_meta, f, indent=2, default=_json_default)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        fsync_dir(tmp)
        if directory.exists():
            os.replace(directory, old)
            moved_old = True
        os.replace(tmp, directory)
        fsync_dir(parent)
    except BaseException:  # KeyboardInterrupt too: never leave the new checkpoint half-made
        shutil.rmtree(tmp, ignore_errors=True)
        if moved_old and not directory.exists():
            os.replace(old, directory)
        raise
    if moved_old:
        remove_checkpoint(old, keep_into=directory)
    return directory


def _refuse_non_finite(model: nn.Module, meta: dict[str, Any], directory: Path) -> None:
    """A checkpoint of a diverged model is worse than none: it replaces a good one and can
    never be resumed. Refuse to write one."""
    bad = [k for k, t in model.state_dict().items()
           if t.is_floating_point() and not bool(torch.isfinite(t).all())]
    if bad:
        raise UserError(f"refusing to save {directory}: the weights are not finite "
                        f"({', '.join(bad[:3])})")
    for key in ("metrics", "best_metrics"):
        values = meta.get(key) or {}
        if any(isinstance(v, float) and not math.isfinite(v) for v in values.values()):
            raise UserError(f"refusing to save {directory}: its {key} are not finite ({values})")


def remove_checkpoint(
    directory: str | os.PathLike[str], *, keep_into: str | os.PathLike[str] | None = None
) -> None:
    """Delete a checkpoint folder's own files, then the folder if nothing else is left in it.

    A file rnnlab did not put there (a user's notes in ``best/``) is kept: moved into
    ``keep_into`` (the checkpoint that replaces this one) when given, else left in its folder.
    """
    directory = Path(directory)
    if directory.is_symlink() or not directory.is_dir():
        return
    if keep_into is not None:
        for entry in directory.iterdir():
            dest = Path(keep_into) / entry.name
            if entry.name not in CHECKPOINT_FILES and not dest.exists():
                os.replace(entry, dest)
    for name in CHECKPOINT_FILES:
        file = directory / name
        if file.is_file() or file.is_symlink():
            file.unlink()
    with contextlib.suppress(OSError):  # not empty: the rest is not ours to delete
        directory.rmdir()


def recover(directory: str | os.PathLike[str]) -> None:
    """Finish or undo a save that a crash cut short, and remove its temporary directories.

    Only the process that writes the checkpoint should call this (saving does).
    """
    directory = Path(directory)
    old = _aside(directory)
    if old.exists():
        if directory.exists():  # the swap finished; only the clean-up was missed
            remove_checkpoint(old, keep_into=directory)
        else:  # died between the two renames: the old checkpoint is the good one
            os.replace(old, directory)
    if directory.parent.is_dir():
        for tmp in directory.parent.glob(f".{directory.name}.tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True)


def checkpoint_meta(
    model: nn.Module,
    task: Any = None,
    train_config: TrainConfig | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The config.json contents that make a checkpoint self-describing.

    ``task`` is an :class:`rnnlab.tasks.base.Task` (its name, params and spec are stored);
    ``extra`` adds counters and metrics (step, epoch, metrics, ...).
    """
    config = getattr(model, "config", None)
    meta: dict[str, Any] = {
        "rnnlab_version": rnnlab_version(),
        "torch_version": torch.__version__,
        "model_class": f"{type(model).__module__}.{type(model).__qualname__}",
        "model": config.to_dict() if hasattr(config, "to_dict") else None,
    }
    if task is not None:
        spec = getattr(task, "spec", None)
        params = task_params(task)
        kept = kept_params(task)
        params.update(kept)  # the file's name; task_params gives back its path
        meta["task"] = {
            "name": getattr(task, "name", "") or type(task).__name__,
            "params": params,
            "spec": _dataclass_dict(spec),
            **({"files": kept} if kept else {}),
        }
    if train_config is not None:
        meta["train"] = train_config.to_dict()
    meta.update(extra)
    return meta


def kept_files(task: Any) -> dict[str, Any]:
    """{name: source} of the files ``task`` keeps in its checkpoints (its text, for a text
    task with keep_text; its series, for a forecast of a series from Python), for
    :func:`save_checkpoint`'s ``files``."""
    return {name: source for name, (_, source) in _task_files(task).items()}


def kept_params(task: Any) -> dict[str, str]:
    """{parameter: file name} of the task parameters that name a file its checkpoints keep."""
    return {param: name for name, (param, _) in _task_files(task).items()}


def _task_files(task: Any) -> dict[str, tuple[str, Any]]:
    get = getattr(task, "checkpoint_files", None)
    return dict(get()) if callable(get) else {}


def task_params(task: Any) -> dict[str, Any]:
    """A task's constructor parameters, however the task exposes them (best effort)."""
    for attr in ("params", "config"):
        value = getattr(task, attr, None)
        if hasattr(value, "to_dict"):  # rnnlab.tasks.base.TaskParams
            value = value.to_dict()
        elif callable(value):
            value = value()
        if isinstance(value, dict):
            return dict(value)
        as_dict = _dataclass_dict(value)
        if as_dict is not None:
            return as_dict
    return _dataclass_dict(task) or {}


# -- loading ------------------------------------------------------------------------------------


def find_checkpoint(path: str | os.PathLike[str]) -> Path:
    """The checkpoint directory for ``path``: a checkpoint itself, its config.json, or a run
    directory (then its ``last/``). Raises :class:`UserError` if there is none."""
    path = Path(path)
    if path.is_file():
        if path.name == CONFIG_FILE:
            return path.parent
        raise UserError(
            f"not an rnnlab checkpoint: {path} is a file; a checkpoint is a directory "
            f"holding {CONFIG_FILE} and {WEIGHTS_FILE}"
        )
    # Reading never renames or deletes anything (a run may be saving right now); if a crash
    # cut a save short between its two renames, read the old checkpoint where it was put aside.
    for candidate in (path, _aside(path), path / "last", _aside(path / "last")):
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    if not path.exists():
        raise UserError(f"no checkpoint at {path}: no such file or directory")
    raise UserError(f"not an rnnlab checkpoint: no {CONFIG_FILE} in {path}")


def read_meta(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checked config.json of the checkpoint at ``path`` (no weights are read)."""
    directory = find_checkpoint(path)
    config_path = directory / CONFIG_FILE
    meta = read_json(config_path, "checkpoint config")  # size and nesting limits
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise UserError(f"not an rnnlab checkpoint: {config_path} has no rnnlab format marker")
    version = meta.get("format_version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise UserError(
            f"incompatible checkpoint {directory}: format version {version!r}, "
            f"this rnnlab reads version {FORMAT_VERSION} (use a matching rnnlab version)"
        )
    check_meta(meta, config_path, CHECKPOINT_FILES)  # every field, before anything is built
    return meta


def load_checkpoint(
    path: str | os.PathLike[str],
    *,
    map_location: str | torch.device = "cpu",
    load_state: bool = True,
) -> Checkpoint:
    """Read and check a checkpoint (a checkpoint directory, or a run directory -> its last/).

    Every problem — not a checkpoint, a missing, truncated or altered file, a format from an
    incompatible rnnlab — is a :class:`UserError` with a one-line message.
    """
    directory = find_checkpoint(path)
    meta = read_meta(directory)
    files = meta.get("files")
    if not isinstance(files, dict) or WEIGHTS_FILE not in files:
        raise UserError(f"corrupt checkpoint: {directory / CONFIG_FILE} lists no weights file")
    for name, digest in files.items():
        file = directory / name
        if not file.is_file():
            raise UserError(f"corrupt checkpoint: {file} is missing")
        if file_sha256(file) != digest:
            raise UserError(f"corrupt checkpoint: {file} does not match its checksum (truncated?)")
    try:
        weights = load_file(directory / WEIGHTS_FILE, device=str(map_location))
    except Exception as e:  # safetensors raises its own error types
        raise UserError(
            f"corrupt checkpoint: cannot read {directory / WEIGHTS_FILE} ({_one_line(e)})"
        ) from None
    state = None
    if load_state and STATE_JSON in files:
        state = load_state_files(directory, map_location)  # the loop checks its fields
    elif load_state and STATE_FILE in files:
        raise UserError(
            f"{directory} holds its training state as a pickle (state.pt, from an older rnnlab), "
            "which rnnlab no longer reads: evaluate or draw it, or train afresh"
        )
    return Checkpoint(directory, meta, weights, state)


def apply_weights(model: nn.Module, weights: dict[str, torch.Tensor]) -> None:
    """Copy checkpoint weights into ``model``; a mismatch is a :class:`UserError`.

    Tied parameters (e.g. an output layer sharing the embedding) are stored once; a key that
    is missing from ``weights`` is fine when it shares memory with one that is present.
    """
    try:
        missing, unexpected = model.load_state_dict(weights, strict=False)
    except RuntimeError as e:  # shape mismatches
        raise UserError(f"checkpoint weights do not fit this model: {_one_line(e)}") from None
    own = model.state_dict()
    loaded = {_storage(own[k]) for k in weights if k in own}
    missing = [k for k in missing if _storage(own[k]) not in loaded]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:5])}")
        if unexpected:
            parts.append(f"unexpected {', '.join(unexpected[:5])}")
        raise UserError(f"checkpoint weights do not fit this model: {'; '.join(parts)}")


def rebuild_model(
    path: str | os.PathLike[str] | Checkpoint,
    build_model: Callable[[ModelConfig, TaskSpec | None], nn.Module] | None = None,
    *,
    device: str | torch.device = "cpu",
) -> nn.Module:
    """Rebuild a model from a checkpoint, with its weights, in eval mode.

    ``build_model(model_config, task_spec)`` makes an untrained model of the right shape;
    by default :func:`rnnlab.models.build_model` (pass your own for models of your own).
    """
    ckpt = path if isinstance(path, Checkpoint) else load_checkpoint(path, load_state=False)
    config = ckpt.model_config
    if config is None:
        raise UserError(f"checkpoint {ckpt.path} stores no model config, so it cannot be rebuilt")
    if build_model is None:
        if ckpt.task_spec is None:  # rnnlab's models are shaped by the task's spec
            raise UserError(f"checkpoint {ckpt.path} stores no task spec, so its model cannot "
                            "be rebuilt")
        build_model = default_build_model
    check_weights_fit(build_model, config, ckpt.task_spec, ckpt.path / WEIGHTS_FILE)
    model = build_model(config, ckpt.task_spec)
    apply_weights(model, ckpt.weights)
    return model.to(device).eval()


def rnnlab_version() -> str:
    try:
        from importlib.metadata import version

        return version("rnnlab")
    except Exception:  # running from a source tree that is not installed
        return "unknown"


# -- helpers ------------------------------------------------------------------------------------


def _aside(directory: Path) -> Path:
    return directory.parent / f".{directory.name}.old"



def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())



def _storage(t: torch.Tensor) -> int:
    return t.untyped_storage().data_ptr()


def _dataclass_dict(value: Any) -> dict[str, Any] | None:
    from dataclasses import asdict, is_dataclass

    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return None


def _json_default(value: Any) -> Any:
    """JSON for the odd value in task params or metrics: tuples, paths, numpy/torch scalars."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
