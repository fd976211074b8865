"""Argument and input checks shared by the layers and cells of :mod:`rnnlab.nn`.

Each raises :class:`~rnnlab.errors.UserError` (a ``ValueError``) with the message
``torch.nn`` gives for the same mistake, where it has one, so that code and habits written
for torch carry over.
"""

from __future__ import annotations

import numbers
from typing import Any

from torch import Tensor

from rnnlab.bptt import BACKENDS
from rnnlab.errors import UserError

States = tuple[Tensor, ...]  # (h,) or (h, c)


def check_positive_int(name: str, value: Any) -> None:
    """Raise UserError unless ``value`` is an int > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise UserError(f"{name} must be a positive int, got {value!r}")


def check_dropout(dropout: Any) -> float:
    """Return ``dropout`` as a float, raising UserError unless it is a number in [0, 1]."""
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout <= 1:
        raise UserError(f"dropout must be a number in [0, 1] (a probability), got {dropout!r}")
    return float(dropout)


def check_proj_size(proj_size: Any, hidden_size: int) -> None:
    """Raise UserError unless 0 <= proj_size < hidden_size (0 = no projection)."""
    if isinstance(proj_size, bool) or not isinstance(proj_size, numbers.Integral) or proj_size < 0:
        raise UserError(f"proj_size must be an int >= 0 (0 = no projection), got {proj_size!r}")
    if proj_size >= hidden_size:
        raise UserError(
            f"proj_size has to be smaller than hidden_size, got proj_size={proj_size} "
            f"and hidden_size={hidden_size}"
        )


def check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise UserError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    return backend


def check_dtype(kind: str, x: Tensor, weight: Tensor) -> None:
    if x.dtype != weight.dtype:
        raise UserError(
            f"{kind} input dtype ({x.dtype}) does not match weight dtype ({weight.dtype}). "
            f"Convert input: input.to({weight.dtype}), or convert model: model.to({x.dtype})"
        )


def check_features(x: Tensor, input_size: int) -> None:
    if x.shape[-1] != input_size:
        raise UserError(
            f"input.size(-1) must be equal to input_size. Expected {input_size}, "
            f"got {x.shape[-1]}"
        )


def check_state(state: Tensor, expected: tuple[int, ...], label: str, weight: Tensor) -> None:
    if tuple(state.shape) != expected:
        raise UserError(f"Expected {label} size {expected}, got {list(state.shape)}")
    if state.dtype != weight.dtype:
        raise UserError(
            f"{label} dtype ({state.dtype}) does not match weight dtype ({weight.dtype})"
        )


def as_states(hx: Tensor | tuple[Tensor, ...], n: int, kind: str) -> States:
    """The user's hx as a tuple of n tensors (RNN/GRU pass one tensor, LSTM a pair)."""
    if n == 1:
        if not isinstance(hx, Tensor):
            raise UserError(f"{kind}: hx must be a Tensor, got {type(hx).__name__}")
        return (hx,)
    if not isinstance(hx, tuple | list) or len(hx) != n:
        raise UserError(f"{kind}: hx must be a tuple of {n} tensors (h_0, c_0)")
    return tuple(hx)
