"""What the tasks share: parameter parsing, seeded generators, padding, masked losses.

Two kinds of task build on :class:`ParamTask`:

- generated tasks (:class:`GeneratedTask`) draw each sequence from a known distribution with
  ``sample(rng)``; "train" yields fresh batches forever, "valid"/"test" a fixed seeded set of
  ``params.eval_size`` sequences that does not depend on the batch size;
- dataset tasks hold arrays and yield one shuffled epoch for "train".
"""

from __future__ import annotations

import dataclasses
import math
import os
import typing
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnlab.errors import UserError
from rnnlab.tasks.base import Batch, Split, Task, TaskParams
from rnnlab.utils.booleans import bool_from_text

SPLITS: tuple[Split, ...] = ("train", "valid", "test")
EVAL_CHUNK = 64  # eval sets are drawn in chunks of this many sequences, each with its own seed


# -- parameters ------------------------------------------------------------------------------


def _coerce(value: Any, default: Any, where: str) -> Any:
    """Convert ``value`` (perhaps a command-line string or a JSON list) to ``default``'s type."""

    def bad() -> UserError:
        kind = type(default).__name__
        return UserError(f"{where} = {value!r} is not a valid {kind}")

    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        word = bool_from_text(value) if isinstance(value, str) else None
        if word is None:
            raise bad()
        return word
    if isinstance(default, int | float):
        if isinstance(value, bool) or not isinstance(value, int | float | str | np.number):
            raise bad()
        try:
            number = float(value)
            out = int(value) if isinstance(value, int | np.integer) else number
            if isinstance(default, int) and not isinstance(out, int):
                if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
                    out = int(value)
                elif number.is_integer():
                    out = int(number)
                else:
                    raise bad()
        except (ValueError, OverflowError):
            raise bad() from None
        if not math.isfinite(number):
            raise bad()
        return out if isinstance(default, int) else float(out)
    if isinstance(default, str):
        if isinstance(value, str | os.PathLike):
            return os.fspath(value)
        raise bad()
    if isinstance(default, tuple):
        # tuples hold ints unless the default says otherwise; a bare int is kept (e.g. gap=5)
        if isinstance(value, int | np.integer) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, str):
            text = value.strip().strip("()[]")
            value = [v for v in text.replace("-", ",").replace(":", ",").split(",") if v.strip()]
            if len(value) == 1:
                return _coerce(value[0], 0, where)
        if isinstance(value, list | tuple):
            element = default[0] if default else 0
            return tuple(_coerce(v, element, where) for v in value)
        raise bad()
    return value


def parse_params(cls: type[TaskParams], task: str, given: dict[str, Any]) -> TaskParams:
    """Build ``cls`` from keyword values, coercing types; UserError names what is wrong."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(given) - set(fields))
    if unknown:
        raise UserError(
            f"unknown parameter(s) {', '.join(unknown)} for task {task!r}; "
            f"valid: {', '.join(fields) or '(none)'}"
        )
    values = {}
    hints = typing.get_type_hints(cls)
    for name, value in given.items():
        f = fields[name]
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        if default == () and typing.get_origin(hints[name]) is tuple:
            default = (typing.get_args(hints[name])[0](),)  # the element type: () says none
        values[name] = _coerce(value, default, f"task {task!r}: parameter {name}")
    params = cls(**values)
    params.check()
    return params


# Upper bounds of the generated tasks' parameters: inside them nothing hangs or exhausts memory
# while a task is built or its fixed valid/test sets are generated (all at once).
MAX_LENGTH = 100_000  # steps of a sequence, or a lag: a batch of 32 such sequences fits easily
MAX_EVAL = 1_000_000  # sequences of a fixed valid/test set (or of a finite train set)
MAX_SEED = 2**63 - 1  # numpy and torch take seeds below 2**64


def check_range(task: str, name: str, value: float, lo: float, hi: float | None = None) -> None:
    """UserError unless lo <= value (<= hi)."""
    if value < lo or (hi is not None and value > hi):
        bounds = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise UserError(f"task {task!r}: parameter {name} = {value!r} must be {bounds}")


def check_choice(task: str, name: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise UserError(
            f"task {task!r}: parameter {name} = {value!r} is not one of {', '.join(choices)}"
        )


# -- seeds, splits -----------------------------------------------------------------------------


def make_rng(seed: int, split: str, index: int = 0) -> np.random.Generator:
    """A generator for (seed, split, index): splits and chunks never share a stream."""
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise UserError(f"seed must be a non-negative integer, not {seed!r}")
    return np.random.default_rng([int(seed), SPLITS.index(split), int(index)])


def check_batch_args(split: str, batch_size: int) -> None:
    if split not in SPLITS:
        raise UserError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise UserError(f"batch size must be a positive integer, not {batch_size!r}")


# -- tasks -------------------------------------------------------------------------------------


class ParamTask(Task):
    """A task built from keyword parameters: ``Task(**params)`` == ``make_task(name, **params)``."""

    def __init__(self, **params: Any) -> None:
        self.params = parse_params(self.Params, self.name, params)
        self.setup()

    @abstractmethod
    def setup(self) -> None:
        """Derive the spec and everything else from ``self.params``."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.to_dict().items())
        return f"{type(self).__name__}({args})"


@dataclass
class Example:
    """One sequence: x (T,) ids or (T, F) features; y (T,) / (T, K) per step, or () / (K,)."""

    x: np.ndarray
    y: np.ndarray


class GeneratedTask(ParamTask):
    """A task whose sequences are drawn by ``sample(rng)``; see the module docstring."""

    def eval_size(self) -> int:
        return int(self.params.eval_size)  # type: ignore[attr-defined]

    @abstractmethod
    def sample(self, rng: np.random.Generator, split: Split) -> Example:
        """Draw one sequence."""

    def batches(self, split: Split, batch_size: int, seed: int = 0) -> Iterator[Batch]:
        check_batch_args(split, batch_size)
        make_rng(seed, split)  # validate the seed now, not at the first next()
        if split == "train":
            return self._train_batches(batch_size, seed)
        return self._eval_batches(split, batch_size, seed)

    def _train_batches(self, batch_size: int, seed: int) -> Iterator[Batch]:
        index = 0
        while True:
            rng = make_rng(seed, "train", index)
            yield self.collate([self.sample(rng, "train") for _ in range(batch_size)])
            index += 1

    def eval_examples(self, split: Split, seed: int) -> Iterator[Example]:
        """The fixed valid/test set, one sequence at a time."""
        total, chunk = self.eval_size(), 0
        while chunk * EVAL_CHUNK < total:
            rng = make_rng(seed, split, chunk)
            for _ in range(min(EVAL_CHUNK, total - chunk * EVAL_CHUNK)):
                yield self.sample(rng, split)
            chunk += 1

    def _eval_batches(self, split: Split, batch_size: int, seed: int) -> Iterator[Batch]:
        pending: list[Example] = []
        for example in self.eval_examples(split, seed):
            pending.append(example)
            if len(pending) == batch_size:
                yield self.collate(pending)
                pending = []
        if pending:
            yield self.collate(pending)

    def collate(self, examples: list[Example]) -> Batch:
        return collate(examples, self.spec.input_kind == "tokens", self.spec.many_to_many)


def collate(examples: list[Example], tokens: bool, per_step: bool) -> Batch:
    """Stack sequences, zero-padded to the longest; lengths only when they differ."""
    lengths = [len(e.x) for e in examples]
    T, B = max(lengths), len(examples)
    x0, y0 = examples[0].x, examples[0].y
    x = np.zeros((B, T, *x0.shape[1:]), dtype=np.int64 if tokens else np.float32)
    if per_step:
        y = np.zeros((B, T, *y0.shape[1:]), dtype=y0.dtype)
    else:
        y = np.stack([e.y for e in examples])
    for b, e in enumerate(examples):
        x[b, : lengths[b]] = e.x
        if per_step:
            y[b, : lengths[b]] = e.y
    y_t = torch.from_numpy(y)
    y_t = y_t.long() if np.issubdtype(y.dtype, np.integer) else y_t.float()
    same = all(n == T for n in lengths)
    return Batch(
        torch.from_numpy(x),
        y_t,
        lengths=None if same else torch.tensor(lengths, dtype=torch.int64),
    )


# -- masks and losses --------------------------------------------------------------------------


def step_mask(batch: Batch, T: int | None = None) -> Tensor:
    """(B, T) bool: the scored steps (batch.mask, else every step within each length)."""
    if batch.mask is not None:
        return batch.mask.bool()
    B = batch.size
    T = int(batch.x.shape[1]) if T is None else T
    device = batch.y.device
    if batch.lengths is None:
        return torch.ones(B, T, dtype=torch.bool, device=device)
    steps = torch.arange(T, device=device)
    return steps[None, :] < batch.lengths.to(device)[:, None]


def last_step(batch: Batch) -> Tensor:
    """(B,) index of each sequence's last step."""
    if batch.lengths is None:
        return torch.full((batch.size,), int(batch.x.shape[1]) - 1, dtype=torch.long)
    return batch.lengths.long() - 1


def check_output(output: Tensor, shape: Sequence[int], task: str) -> None:
    if tuple(output.shape) != tuple(shape):
        raise ValueError(f"task {task!r} expects an output of shape {tuple(shape)}, "
                         f"got {tuple(output.shape)}")


def token_ce(output: Tensor, batch: Batch) -> tuple[Tensor, Tensor]:
    """Per-step cross-entropy (B, T) of (B, T, K) logits against (B, T) classes, and the mask."""
    B, T = batch.y.shape
    check_output(output, (B, T, output.shape[-1]), "many-to-many")
    ce = F.cross_entropy(output.reshape(B * T, -1), batch.y.reshape(-1), reduction="none")
    return ce.view(B, T), step_mask(batch, T)


def ratio(num: float, den: float) -> float:
    return num / den if den else float("nan")


def classification_sums(output: Tensor, target: Tensor) -> dict[str, float]:
    """Sums for many-to-one classification: loss_sum, correct, count."""
    with torch.no_grad():
        ce = F.cross_entropy(output.float(), target, reduction="sum")
        correct = (output.argmax(-1) == target).sum()
    return {"loss_sum": float(ce), "correct": float(correct), "count": float(len(target))}
