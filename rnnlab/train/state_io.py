"""The training state of last/ without pickle: tensors in safetensors, everything else in JSON.

The state (optimizer, schedule, RNG states, run counters, carried stream state) is a tree of
dicts, lists, tuples, numbers, strings, None and tensors. :func:`flatten` turns it into a JSON
tree where each tensor is replaced by ``{"__tensor__": key}`` (its data goes to
``state.safetensors`` under that key), a tuple by ``{"__tuple__": [...]}``, and a dict with
non-text keys (torch optimizers index their state by int) by ``{"__items__": [[k, v], ...]}``.
:func:`unflatten` reverses it. Neither format can run code when read, unlike ``torch.load``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from rnnlab.errors import UserError
from rnnlab.train.schema import read_json

STATE_JSON = "state.json"
STATE_TENSORS = "state.safetensors"
_TENSOR, _TUPLE, _ITEMS = "__tensor__", "__tuple__", "__items__"


def flatten(value: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """``value`` as JSON-ready data; its tensors are added to ``tensors``."""
    if isinstance(value, torch.Tensor):
        key = f"t{len(tensors)}"
        tensors[key] = value.detach().cpu().contiguous()
        return {_TENSOR: key}
    if isinstance(value, tuple):
        return {_TUPLE: [flatten(v, tensors) for v in value]}
    if isinstance(value, list):
        return [flatten(v, tensors) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and not ({_TENSOR, _TUPLE, _ITEMS} & set(value)):
            return {k: flatten(v, tensors) for k, v in value.items()}
        return {_ITEMS: [[flatten(k, tensors), flatten(v, tensors)] for k, v in value.items()]}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in the training state")


def unflatten(value: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """The inverse of :func:`flatten`; a reference to a missing tensor is a UserError."""
    if isinstance(value, list):
        return [unflatten(v, tensors) for v in value]
    if isinstance(value, dict):
        if set(value) == {_TENSOR}:
            key = value[_TENSOR]
            if not isinstance(key, str) or key not in tensors:
                raise UserError(f"corrupt checkpoint: the training state names a tensor "
                                f"{key!r:.40} that {STATE_TENSORS} does not hold")
            return tensors[key]
        if set(value) == {_TUPLE} and isinstance(value[_TUPLE], list):
            return tuple(unflatten(v, tensors) for v in value[_TUPLE])
        if set(value) == {_ITEMS} and isinstance(value[_ITEMS], list):
            items = value[_ITEMS]
            if not all(isinstance(p, list) and len(p) == 2 for p in items):
                raise UserError("corrupt checkpoint: a malformed mapping in the training state")
            pairs = [(unflatten(k, tensors), unflatten(v, tensors)) for k, v in items]
            if not all(isinstance(k, int | str | float | bool) or k is None for k, _ in pairs):
                raise UserError("corrupt checkpoint: a malformed key in the training state")
            return dict(pairs)
        return {k: unflatten(v, tensors) for k, v in value.items()}
    return value


def save_state(directory: Path, state: dict[str, Any]) -> list[str]:
    """Write ``state`` into ``directory`` (a fresh temporary checkpoint folder, so plain
    writes are fine: the folder is renamed into place only when complete). Returns the names."""
    tensors: dict[str, torch.Tensor] = {}
    tree = flatten(state, tensors)
    save_file(tensors, str(directory / STATE_TENSORS), metadata={"format": "rnnlab-state"})
    with open(directory / STATE_JSON, "w", encoding="utf-8") as f:
        json.dump(tree, f)
        f.write("\n")
    return [STATE_TENSORS, STATE_JSON]


def load_state(directory: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read the state :func:`save_state` wrote; anything malformed is a UserError."""
    tree = read_json(directory / STATE_JSON, "training state")
    try:
        tensors = load_file(directory / STATE_TENSORS, device=str(map_location))
    except Exception as e:  # safetensors raises its own error types
        raise UserError(f"corrupt checkpoint: cannot read {directory / STATE_TENSORS} "
                        f"({type(e).__name__})") from None
    state = unflatten(tree, tensors)
    if not isinstance(state, dict):
        raise UserError(f"corrupt checkpoint: {directory / STATE_JSON} is not an object")
    return state


MAX_REPLAY = 10**7  # batches a resume regenerates and skips; beyond this "resuming" hangs


def check_state(state: dict[str, Any], where: Path) -> None:
    """Field-by-field checks of a loaded training state, before any of it is applied."""

    def bad(what: str) -> UserError:
        return UserError(f"corrupt checkpoint: the training state in {where} has {what}")

    for key in ("optimizer", "schedule", "rng", "run"):
        if not isinstance(state.get(key), dict):
            raise bad(f"no valid {key!r} entry")
    optimizer = state["optimizer"]
    groups = optimizer.get("param_groups")
    if not isinstance(optimizer.get("state"), dict) or not isinstance(groups, list) or not groups:
        raise bad("an optimizer state without parameter groups")
    if not all(isinstance(g, dict) and isinstance(g.get("params"), list) for g in groups):
        raise bad("malformed optimizer parameter groups")
    schedule = state["schedule"]
    scale, evals = schedule.get("plateau_scale"), schedule.get("bad_evals")
    if not isinstance(scale, int | float) or not 0 < scale <= 1e6 or not isinstance(evals, int):
        raise bad("a malformed schedule state")
    run = state["run"]
    for key in ("step", "epoch", "batch_in_epoch", "sequences", "tokens", "bad_evals",
                "loss_count", "bad_steps"):
        value = run.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
            raise bad(f"a run counter {key} that is not a whole number >= 0")
    if run.get("batch_in_epoch", 0) > min(run.get("step", 0), MAX_REPLAY):
        raise bad(f"batch_in_epoch {run['batch_in_epoch']} (more than the steps taken, or "
                  f"more than the {MAX_REPLAY:,} batches a resume replays)")
    if not isinstance(run.get("history", []), list):
        raise bad("a history that is not a list")
    rng = state["rng"]
    torch_state = rng.get("torch")
    expected = torch.get_rng_state()
    if not (isinstance(torch_state, torch.Tensor) and torch_state.dtype == expected.dtype
            and torch_state.shape == expected.shape):
        raise bad("a torch RNG state of the wrong type or size")
    npy = rng.get("numpy")
    if not (isinstance(npy, dict) and isinstance(npy.get("keys"), list) and len(npy["keys"]) == 624
            and all(isinstance(k, int) and 0 <= k < 2**32 for k in npy["keys"])
            and isinstance(npy.get("pos"), int) and 0 <= npy["pos"] <= 624
            and npy.get("name") == "MT19937"):
        raise bad("a malformed NumPy RNG state")
    python = rng.get("python")
    if not (isinstance(python, tuple) and len(python) == 3 and isinstance(python[1], tuple)
            and len(python[1]) == 625 and all(isinstance(k, int) and 0 <= k < 2**32
                                              for k in python[1])):
        raise bad("a malformed Python RNG state")
