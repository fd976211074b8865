"""Small helpers shared by the hand-written sequence Functions (Elman, GRU; LSTM may reuse them).

* argument checks that give one clear :class:`~rnnlab.errors.UserError` (a ``ValueError``);
* the ``batch_sizes`` bookkeeping of packed input (see :mod:`rnnlab.bptt.reference`): the
  number of running rows per step as plain ints, zeroing the rows that have finished, and
  gathering each row's final state.

Why the bookkeeping is this simple: ``batch_sizes`` is non-increasing, so the rows running at
step t were also running at step t - 1, and their previous state is just ``out[t - 1, :rows]``.
A row whose last step is t has its final state in ``out[t]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import Tensor

from rnnlab.errors import UserError

BACKENDS = ("bptt", "reference")


def check_choice(what: str, value: str, choices: Sequence[str]) -> None:
    """Raise a UserError naming the valid choices unless ``value`` is one of them."""
    if value not in choices:
        raise UserError(f"unknown {what} {value!r}; choose one of {', '.join(choices)}")


def check_shapes(x: Tensor, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor, gates: int) -> None:
    """Check x (T, B, I), h0 (B, H), weight_ih (gates*H, I) and weight_hh (gates*H, H)."""
    if x.dim() != 3 or x.shape[0] == 0:
        raise UserError(f"x must be (T, B, I) with T >= 1, got shape {tuple(x.shape)}")
    B, I = x.shape[1], x.shape[2]
    if h0.dim() != 2 or h0.shape[0] != B:
        raise UserError(f"h0 must be (B={B}, H), got shape {tuple(h0.shape)}")
    H = h0.shape[1]
    if weight_ih.shape != (gates * H, I) or weight_hh.shape != (gates * H, H):
        raise UserError(
            f"weights must be weight_ih ({gates * H}, {I}) and weight_hh ({gates * H}, {H}), "
            f"got {tuple(weight_ih.shape)} and {tuple(weight_hh.shape)}"
        )


def step_sizes(batch_sizes: Tensor | Sequence[int] | None, T: int, B: int) -> tuple[int, ...]:
    """The number of running rows at each step, as Python ints (B at every step if None).

    Converting once, up front, keeps tensor-to-int syncs out of the per-step loops.
    """
    if batch_sizes is None:
        return (B,) * T
    sizes = tuple(int(n) for n in torch.as_tensor(batch_sizes).reshape(-1).tolist())
    if len(sizes) != T:
        raise UserError(f"batch_sizes has {len(sizes)} entries but x has T={T} steps")
    if any(not 0 <= n <= B for n in sizes):
        raise UserError(f"batch_sizes must lie in [0, B={B}], got {list(sizes)}")
    if any(later > earlier for earlier, later in pairwise(sizes)):
        raise UserError(
            f"batch_sizes must be non-increasing (rows sorted by decreasing length), "
            f"got {list(sizes)}"
        )
    return sizes


def zero_finished_rows(seq: Tensor, sizes: Sequence[int]) -> None:
    """Set ``seq[t, sizes[t]:] = 0`` for every step t, in place; seq is (T, B, ...)."""
    B = seq.shape[1]
    for t, rows in enumerate(sizes):
        if rows < B:
            seq[t, rows:] = 0


def final_state(out: Tensor, h0: Tensor, sizes: Sequence[int]) -> Tensor:
    """Each row's state after its own last step: ``out[len_b - 1, b]``, or ``h0[b]`` if len_b = 0.

    The rows that stop after step t are ``sizes[t + 1] : sizes[t]``. Returns a new (B, H)
    tensor (never a view of ``out``, which autograd would refuse as a second output).
    """
    h_T = h0.clone()
    for t, rows in enumerate(sizes):
        rows_next = sizes[t + 1] if t + 1 < len(sizes) else 0
        if rows_next < rows:
            h_T[rows_next:rows] = out[t, rows_next:rows]
    return h_T


def previous_states(h0: Tensor, out: Tensor) -> Tensor:
    """(T, B, H): h_{t-1} for every step t, i.e. h0 followed by out[:-1].

    Rows that were not running at t - 1 hold zeros, which is harmless: they are not running at
    t either, and their pre-activation gradients are zero.
    """
    return torch.cat((h0.unsqueeze(0), out[:-1]))


def add_optional(a: Tensor | None, b: Tensor | None) -> Tensor | None:
    """a + b where either may be None (an absent bias)."""
    if a is None:
        return b
    if b is None:
        return a
    return a + b
