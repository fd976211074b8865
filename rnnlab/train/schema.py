"""Checks of a checkpoint's config.json, field by field, before anything is built or allocated.

A checkpoint may come from anyone. Its config.json is read with a size limit and a nesting
limit (a JSON nesting bomb is a RecursionError deep inside ``json``), every field rnnlab uses
is checked for its type and, for numbers, its range (:mod:`rnnlab.train.ranges`), the files it
lists must be the checkpoint's own file names (never ``../../etc/hostname``), and the weights
file's header — shapes only, no tensor data — must match the model the config describes, which
is first built on PyTorch's "meta" device, where a model has shapes but no memory.
"""

from __future__ import annotations

import json
import struct
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

import torch

from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.tasks.base import TaskSpec
from rnnlab.train.ranges import MODEL_RANGES, check_fields, check_layer_ranges

MAX_CONFIG_BYTES = 64 * 2**20  # a real config.json is a few KB (a text vocabulary: a few MB)
MAX_DEPTH = 32  # a real config.json nests 4 levels deep
MAX_HEADER_BYTES = 100 * 2**20  # safetensors' own limit on its JSON header
MAX_VOCAB = 10**7


def read_json(path: Path, what: str) -> Any:
    """A JSON file, refused when too large or too deeply nested (UserError, one line)."""
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise UserError(f"corrupt checkpoint: {path} is {size:,} bytes, far more than "
                            f"a {what} holds")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"corrupt checkpoint: cannot read {path} ({e})") from None
    if _max_depth(text) > MAX_DEPTH:
        raise UserError(f"corrupt checkpoint: {path} nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise UserError(f"corrupt checkpoint: cannot read {path} ({type(e).__name__}: "
                        f"{str(e).splitlines()[0] if str(e) else ''})") from None


def _max_depth(text: str) -> int:
    """How deeply ``[`` and ``{`` nest in JSON text, brackets inside strings not counted."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def check_meta(meta: dict[str, Any], where: Path, allowed_files: tuple[str, ...]) -> None:
    """Raise :class:`UserError` for the first field of config.json that rnnlab cannot trust."""
    files = meta.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        raise UserError(f"corrupt checkpoint: {where} has no valid list of files")
    for name in files:
        if name not in allowed_files:  # confines every path to the checkpoint's own folder
            raise UserError(f"corrupt checkpoint: {where} lists a file {name!r}; a checkpoint "
                            f"holds only {', '.join(allowed_files)}")
    model = meta.get("model")
    if model is not None:
        check_model_dict(model, where)
    task = meta.get("task", {})
    if not isinstance(task, dict):
        raise UserError(f"corrupt checkpoint: {where}: 'task' must be an object, got {task!r:.60}")
    if not isinstance(task.get("name", ""), str):
        raise UserError(f"corrupt checkpoint: {where}: the task name must be text")
    if not isinstance(task.get("params", {}), dict):
        raise UserError(f"corrupt checkpoint: {where}: the task params must be an object")
    kept = task.get("files", {})
    if not isinstance(kept, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v in files for k, v in kept.items()
    ):
        raise UserError(f"corrupt checkpoint: {where}: the task's files must map its "
                        "parameters to files the checkpoint lists")
    spec = task.get("spec")
    if spec is not None:
        check_spec_dict(spec, where)
    for key in ("step", "epoch", "sequences", "tokens"):
        value = meta.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
            raise UserError(f"corrupt checkpoint: {where}: {key} must be a whole number >= 0")
    for key in ("metrics", "best_metrics"):
        value = meta.get(key, {})
        if not isinstance(value, dict) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()
        ):
            raise UserError(f"corrupt checkpoint: {where}: {key} must map names to numbers")
    train = meta.get("train")
    if train is not None and not isinstance(train, dict):
        raise UserError(f"corrupt checkpoint: {where}: 'train' must be an object")


def check_model_dict(model: Any, where: Path) -> None:
    """Types and ranges of the model config (ModelConfig itself checks combinations)."""
    if not isinstance(model, dict):
        raise UserError(f"corrupt checkpoint: {where}: 'model' must be an object")
    known = {f.name: f for f in fields(ModelConfig)}
    unknown = sorted(set(model) - set(known))
    if unknown:
        raise UserError(f"incompatible model config in {where}: unknown field(s) "
                        f"{', '.join(map(str, unknown))[:200]}")
    defaults = ModelConfig()
    hints = typing.get_type_hints(ModelConfig)
    for name, value in model.items():
        default = getattr(defaults, name)
        if isinstance(default, tuple):  # tuple[int, ...] widths or tuple[str, ...] layers
            item = typing.get_args(hints[name])[0]
            ok = isinstance(value, list | tuple) and all(
                isinstance(v, item) and not isinstance(v, bool) for v in value)
        elif isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif isinstance(default, float):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            ok = isinstance(value, type(default))
        if not ok:
            raise UserError(f"incompatible model config in {where}: {name} must be "
                            f"{type(default).__name__}, got {value!r:.60}")
    check_fields(model, MODEL_RANGES, "model")
    check_layer_ranges(model.get("layers", ()))


def check_spec_dict(spec: Any, where: Path) -> None:
    if not isinstance(spec, dict):
        raise UserError(f"corrupt checkpoint: {where}: the task spec must be an object")
    known = {f.name for f in fields(TaskSpec)}
    unknown = sorted(set(spec) - known)
    missing = sorted({"input_kind", "input_size", "output_kind", "output_size",
                      "many_to_many"} - set(spec))
    if unknown or missing:
        raise UserError(f"corrupt checkpoint: {where}: task spec with "
                        f"{'unknown' if unknown else 'missing'} field(s) "
                        f"{', '.join(map(str, unknown or missing))[:200]}")
    for name in ("input_size", "output_size"):
        value = spec[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VOCAB:
            raise UserError(f"corrupt checkpoint: {where}: task spec {name} must be a whole "
                            f"number in [1, {MAX_VOCAB}], got {value!r:.60}")
    for name in ("many_to_many", "bidirectional_ok"):
        if not isinstance(spec.get(name, False), bool):
            raise UserError(f"corrupt checkpoint: {where}: task spec {name} must be true/false")
    if spec["input_kind"] not in ("tokens", "features") or spec["output_kind"] not in (
        "classes", "multilabel", "regression"
    ):
        raise UserError(f"corrupt checkpoint: {where}: unknown input or output kind in the spec")
    vocab = spec.get("vocab")
    if vocab is not None and not (
        isinstance(vocab, list) and len(vocab) <= MAX_VOCAB and all(isinstance(v, str)
                                                                    for v in vocab)
    ):
        raise UserError(f"corrupt checkpoint: {where}: the vocabulary must be a list of text")


def safetensors_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """The tensor shapes in a safetensors file's header, without reading any tensor."""
    try:
        with open(path, "rb") as f:
            raw = f.read(8)
            if len(raw) != 8:
                raise ValueError("shorter than its header")
            (length,) = struct.unpack("<Q", raw)
            if length > MAX_HEADER_BYTES:
                raise ValueError(f"a header of {length:,} bytes")
            header = json.loads(f.read(length))
        shapes = {}
        for key, entry in header.items():
            if key == "__metadata__":
                continue
            shape = entry["shape"]
            if not (isinstance(shape, list) and all(isinstance(n, int) and n >= 0
                                                    for n in shape)):
                raise ValueError(f"a bad shape for {key}")
            shapes[str(key)] = tuple(shape)
        return shapes
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
        raise UserError(f"corrupt checkpoint: cannot read the header of {path} ({e})") from None


def check_weights_fit(build: Any, config: ModelConfig, spec: TaskSpec | None,
                      weights_path: Path) -> None:
    """Build the model on the meta device (no memory) and compare its parameter shapes with
    the weights file's header: a checkpoint that claims a big model but holds small weights is
    refused before gigabytes are allocated."""
    try:
        with torch.device("meta"):
            model = build(config, spec)
    except UserError:
        raise
    except Exception:  # a model that cannot be built on meta: the real build checks it
        return
    shapes = safetensors_shapes(weights_path)
    for name, tensor in model.state_dict().items():
        if name in shapes and tuple(tensor.shape) != shapes[name]:
            raise UserError(
                f"checkpoint weights do not fit this model: {name} is "
                f"{list(shapes[name])} in {weights_path.name}, the config makes "
                f"{list(tensor.shape)}")
