"""Argument and input checks shared by the layers and cells of :mod:`rnnlab.nn`.

For a condition torch.nn checks, each raises the exception type torch raises (ValueError,
or :class:`~rnnlab.nn.errors.UserRuntimeError` / :class:`~rnnlab.nn.errors.UserTypeError`
where torch raises RuntimeError / TypeError) with torch's message, taken from
``torch/nn/modules/rnn.py`` and torch's RNN cell kernels (torch 2.13), so that code and
habits written for torch carry over. Every one is a :class:`~rnnlab.errors.UserError`, which
the command line prints as one line. Where torch fails by accident deep in a kernel (a state
of the wrong dtype: "mat1 and mat2 must have the same dtype"), the type is torch's and the
message says what is wrong; where torch checks nothing (``bidirectional="False"``, an
``input_size`` of 0 for a cell) the check here is stricter.
"""

from __future__ import annotations

import numbers
from typing import Any

import torch
from torch import Tensor

from rnnlab.errors import UserError
from rnnlab.nn.errors import UserRuntimeError, UserTypeError

States = tuple[Tensor, ...]  # (h,) or (h, c)


def autocast_enabled(device_type: str) -> bool:
    """Whether autocast is on for ``device_type``.

    torch >= 2.4 takes the device type; torch 2.3 (the oldest this package allows) had one
    function for CPU and one for CUDA, and raises TypeError when given an argument.
    """
    try:
        return torch.is_autocast_enabled(device_type)
    except TypeError:
        if device_type == "cpu":
            return torch.is_autocast_cpu_enabled()
        return device_type == "cuda" and torch.is_autocast_enabled()


def autocast_dtype(device_type: str) -> torch.dtype:
    """The autocast dtype of ``device_type`` (see :func:`autocast_enabled` for the versions)."""
    if hasattr(torch, "get_autocast_dtype"):
        return torch.get_autocast_dtype(device_type)
    return torch.get_autocast_cpu_dtype() if device_type == "cpu" else (
        torch.get_autocast_gpu_dtype())


# ----------------------------------------------------------------------------- constructor


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` unless it is not a bool (torch: ``bias should be of type bool``)."""
    if not isinstance(value, bool):
        raise UserTypeError(f"{name} should be of type bool, got: {type(value).__name__}")
    return value


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int > 0; TypeError for a non-int, ValueError for <= 0 (torch's)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise UserTypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise UserError(f"{name} must be greater than zero")
    return int(value)


def check_dropout(dropout: Any) -> float:
    """Return ``dropout`` as a float, raising ValueError unless it is a number in [0, 1]."""
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout <= 1:
        raise UserError(
            "dropout should be a number in range [0, 1] representing the probability of an "
            "element being zeroed"
        )
    return float(dropout)


def dropout_warning(dropout: float, num_layers: int) -> str:
    """torch's warning for dropout with a single layer, where it does nothing."""
    return (
        "dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
        f"expects num_layers greater than 1, but got dropout={dropout} and "
        f"num_layers={num_layers}"
    )


def check_proj_size(proj_size: Any, hidden_size: int) -> int:
    """Return ``proj_size`` unless it is not an int in [0, hidden_size) (0 = no projection)."""
    if isinstance(proj_size, bool) or not isinstance(proj_size, numbers.Integral):
        raise UserTypeError(f"proj_size should be of type int, got: {type(proj_size).__name__}")
    if proj_size < 0:
        raise UserError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise UserError("proj_size has to be smaller than hidden_size")
    return int(proj_size)


INITS = ("default", "torch")  # rnnlab's initialisation | exactly torch.nn's draw


def check_init(init: str) -> str:
    if init not in INITS:
        raise UserError(f"unknown init {init!r}; choose one of {INITS}")
    return init


# ----------------------------------------------------------------------------- sequence layers


def check_dtype(kind: str, x: Tensor, weight: Tensor) -> None:
    """ValueError for an input whose dtype is not the weights' (not under autocast, as torch).

    torch's message says "RNN" for every family (RNNBase.check_input); so does this one.
    """
    if x.dtype != weight.dtype and not autocast_enabled(x.device.type):
        raise UserError(
            f"RNN input dtype ({x.dtype}) does not match weight dtype ({weight.dtype}). "
            f"Convert input: input.to({weight.dtype}), or convert model: model.to({x.dtype})"
        )


def check_input_dim(kind: str, x: Tensor) -> None:
    """ValueError unless the (unpacked) input is 2-D or 3-D, in torch's words per family."""
    if x.dim() not in (2, 3):
        tensor = " tensor" if kind == "RNN" else ""  # torch's RNN says "4D tensor", the rest "4D"
        raise UserError(f"{kind}: Expected input to be 2D or 3D, got {x.dim()}D{tensor} instead")


def check_packed_dim(data: Tensor) -> None:
    if data.dim() != 2:
        raise UserRuntimeError(f"input must have 2 dimensions, got {data.dim()}")


def check_features(x: Tensor, input_size: int) -> None:
    if x.shape[-1] != input_size:
        raise UserRuntimeError(
            f"input.size(-1) must be equal to input_size. Expected {input_size}, "
            f"got {x.shape[-1]}"
        )


def check_steps(x: Tensor) -> None:
    """RuntimeError for a sequence of no steps, as torch's kernels raise."""
    if x.shape[0] == 0:
        raise UserRuntimeError("Expected sequence length to be larger than 0 in RNN")


def check_state_dims(states: States, batched: bool) -> None:
    """RuntimeError unless every state is 3-D (batched input) or 2-D (unbatched), as torch."""
    want = 3 if batched else 2
    if all(s.dim() == want for s in states):
        return
    what = "batched 3-D" if batched else "unbatched 2-D"
    if len(states) == 1:
        raise UserRuntimeError(
            f"For {what} input, hx should also be {want}-D but got {states[0].dim()}-D tensor"
        )
    dims = ", ".join(f"{s.dim()}-D" for s in states)
    raise UserRuntimeError(
        f"For {what} input, hx and cx should also be {want}-D but got ({dims}) tensors"
    )


def check_state(state: Tensor, expected: tuple[int, ...], label: str, weight: Tensor) -> None:
    """RuntimeError for a state of the wrong shape (torch's message) or dtype."""
    if tuple(state.shape) != expected:
        raise UserRuntimeError(f"Expected {label} size {expected}, got {list(state.shape)}")
    if state.dtype != weight.dtype and not autocast_enabled(state.device.type):
        raise UserRuntimeError(
            f"{label} dtype ({state.dtype}) does not match weight dtype ({weight.dtype})"
        )


def as_states(hx: Tensor | tuple[Tensor, ...], n: int, kind: str) -> States:
    """The user's hx as a tuple of n tensors (RNN/GRU pass one tensor, LSTM a pair)."""
    if n == 1:
        if not isinstance(hx, Tensor):
            raise UserTypeError(f"{kind}: hx must be a Tensor, got {type(hx).__name__}")
        return (hx,)
    if not isinstance(hx, tuple | list) or len(hx) != n:
        raise UserTypeError(f"{kind}: hx must be a tuple of {n} tensors (h_0, c_0)")
    return tuple(hx)


# ----------------------------------------------------------------------------- one-step cells


def check_cell_input(kind: str, x: Tensor, input_size: int, weight: Tensor) -> None:
    """A cell's input: 1-D or 2-D (ValueError), its width and dtype (RuntimeError), as torch."""
    if x.dim() not in (1, 2):
        raise UserError(f"{kind}: Expected input to be 1D or 2D, got {x.dim()}D instead")
    if x.shape[-1] != input_size:
        raise UserRuntimeError(
            f"input has inconsistent input_size: got {x.shape[-1]} expected {input_size}"
        )
    if x.dtype != weight.dtype and not autocast_enabled(x.device.type):
        raise UserRuntimeError(
            f"{kind} input dtype ({x.dtype}) does not match weight dtype ({weight.dtype})"
        )


def check_cell_state(
    kind: str, state: Tensor, index: int, n: int, x: Tensor, size: int, weight: Tensor
) -> None:
    """A cell's state ``index`` of ``n``: its dimensions, batch, width and dtype, as torch."""
    label = "hidden" if n == 1 else f"hx[{index}]"
    if state.dim() not in (1, 2):
        raise UserError(f"{kind}: Expected {label} to be 1D or 2D, got {state.dim()}D instead")
    if state.dim() != x.dim():
        raise UserRuntimeError(
            f"{kind}: Expected {label} to be {x.dim()}D like the input, got {state.dim()}D "
            "instead"
        )
    if x.dim() == 2 and state.shape[0] != x.shape[0]:
        raise UserRuntimeError(
            f"Input batch size {x.shape[0]} doesn't match hidden{index} batch size "
            f"{state.shape[0]}"
        )
    if state.shape[-1] != size:
        raise UserRuntimeError(
            f"hidden{index} has inconsistent hidden_size: got {state.shape[-1]}, expected {size}"
        )
    if state.dtype != weight.dtype and not autocast_enabled(state.device.type):
        raise UserRuntimeError(
            f"{label} dtype ({state.dtype}) does not match weight dtype ({weight.dtype})"
        )
