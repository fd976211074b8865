"""The range of every numeric setting: checked when the command line is parsed, and when a
checkpoint's config.json is read, before anything is built or allocated.

The bounds are generous for real use and tight enough that no value inside them can hang a
run, exhaust memory while building a model (a hidden size of 10**9), or overflow float32 (a
learning rate of 1e39 is inf once it meets a tensor). Each bound says why in its comment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig

MAX_WIDTH = 8192  # units of a layer: an LSTM layer of 8192 is 2 GB of float32 weights
MAX_STEPS = 10**12  # any count of steps: far more than a run can take, still exact in float64
MAX_SEED = 2**63 - 1  # torch takes seeds below 2**64; epochs add to the seed (session.py)
MAX_RATE = 1e6  # learning rates, decay: above this nothing trains, and float32 overflows
# A model of 10**8 parameters is 400 MB of weights before the optimizer's copies; compare
# trains several: beyond this the search for a hidden size, and training, never end.
MAX_BUDGET = 10**8


@dataclass(frozen=True)
class Range:
    """A closed interval [lo, hi] (or (lo, hi] with ``open_lo``) for ints or floats."""

    lo: float
    hi: float
    open_lo: bool = False
    integer: bool = False

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.integer and not isinstance(value, int):
            return False
        if not math.isfinite(value):
            return False
        low_ok = value > self.lo if self.open_lo else value >= self.lo
        return low_ok and value <= self.hi

    def describe(self) -> str:
        kind = "a whole number" if self.integer else "a number"
        left = "(" if self.open_lo else "["
        return f"{kind} in {left}{_num(self.lo)}, {_num(self.hi)}]"

    def check(self, name: str, value: Any) -> None:
        """Raise :class:`UserError` naming ``name`` when ``value`` is outside the range."""
        if not self.contains(value):
            raise UserError(f"{name} must be {self.describe()}, got {value!r}")


def count(lo: int, hi: int) -> Range:
    return Range(lo, hi, integer=True)


def real(lo: float, hi: float, *, open_lo: bool = False) -> Range:
    return Range(lo, hi, open_lo=open_lo)


MODEL_RANGES: dict[str, Range] = {
    "hidden_size": count(1, MAX_WIDTH),
    "num_layers": count(1, 64),  # deeper stacks of recurrent layers do not train anyway
    "dropout": real(0.0, 0.99),
    "proj_size": count(0, MAX_WIDTH),
    "forget_bias": real(-100.0, 100.0),  # sigmoid(100) is 1 in float32 already
    "embedding_dim": count(0, MAX_WIDTH),
    "dense_before": count(1, MAX_WIDTH),  # each width of the tuple
    "dense_after": count(1, MAX_WIDTH),
    "window": count(1, 4096),
}

TRAIN_RANGES: dict[str, Range] = {
    "lr": real(0.0, MAX_RATE, open_lo=True),
    "momentum": real(0.0, 1.0),
    "weight_decay": real(0.0, MAX_RATE),
    "clip_grad_norm": real(0.0, 1e30),
    "max_bad_steps": count(1, 10**6),
    "warmup_steps": count(0, MAX_STEPS),
    "min_lr": real(0.0, MAX_RATE),
    "decay_steps": count(0, MAX_STEPS),
    "step_size": count(1, MAX_STEPS),
    "gamma": real(0.0, 1e3, open_lo=True),
    "plateau_patience": count(1, 10**9),
    "batch_size": count(1, 65536),  # a batch of 1e9 sequences is allocated at once
    "steps": count(0, MAX_STEPS),
    "epochs": count(0, 10**9),
    "minutes": real(0.0, 1e7),  # 19 years
    "eval_every": count(0, MAX_STEPS),
    "eval_batches": count(0, 10**9),
    "eval_seed": count(0, MAX_SEED),
    "min_delta": real(0.0, 1e30),
    "patience": count(0, 10**9),
    "seed": count(0, MAX_SEED),
    "save_every": count(0, MAX_STEPS),
    "log_every": count(0, MAX_STEPS),
    "nproc": count(1, 1024),  # processes on one machine, each with its own copy of the model
}

COMPARE_RANGES: dict[str, Range] = {  # rnnlab.compare.CompareConfig
    "budget": count(1, MAX_BUDGET),
    "seeds": count(1, 100),  # each seed trains every model again
    "steps": count(0, 10**9),
    "minutes": real(0.0, 1e7),
    "batch_size": count(1, 65536),
    "lr": real(0.0, MAX_RATE, open_lo=True),
    "embedding_dim": count(0, MAX_WIDTH),
    "eval_every": count(1, MAX_STEPS),
    "eval_size": count(1, 10**7),  # the whole validation/test set is generated at once
}


def check_fields(values: dict[str, Any], ranges: dict[str, Range], what: str = "") -> None:
    """Check every field of ``values`` that has a range (tuples element by element); ``what``
    prefixes the field names in the message (e.g. "model")."""
    prefix = f"{what} " if what else ""
    for name, rng in ranges.items():
        if name not in values:
            continue
        value = values[name]
        items = value if isinstance(value, list | tuple) else [value]
        if isinstance(value, list | tuple) and len(value) > 64:
            raise UserError(f"{prefix}{name} has {len(value)} entries; at most 64 are allowed")
        for item in items:
            rng.check(f"{prefix}{name}", item)


MAX_LAYERS = 64  # entries of a layer list, as of any other list


def check_layer_ranges(layers: Sequence[str]) -> None:
    """The ranges of :data:`MODEL_RANGES` for every layer of a layer list (its width is
    checked as ``hidden_size``), before any layer is built."""
    if len(layers) > MAX_LAYERS:
        raise UserError(f"layers has {len(layers)} entries; at most {MAX_LAYERS} are allowed")
    for spec in ModelConfig(layers=tuple(layers)).layer_specs:
        check_fields({"hidden_size": spec.size, **dict(spec.options)}, MODEL_RANGES,
                     f"layer {str(spec)!r}")


def _num(value: float) -> str:
    if isinstance(value, int):
        return f"{value:_}" if abs(value) >= 10**6 else str(value)
    return f"{value:g}"
