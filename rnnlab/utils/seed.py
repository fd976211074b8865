"""Seeding, saving and restoring every random number generator a run touches.

A run is repeatable when Python's ``random``, NumPy's global generator and torch's (CPU and,
when used, CUDA) generators all start from the same state. A resumed run is identical to an
uninterrupted one only if those states are saved in the checkpoint and put back, which is
what :func:`get_rng_state` / :func:`set_rng_state` are for. The state they produce holds only
ints, floats, strings, lists, tuples and tensors, so ``torch.load(weights_only=True)`` reads it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and all CUDA devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)  # NumPy only takes seeds in [0, 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device


def get_rng_state() -> dict[str, Any]:
    """The state of every generator, as plain data that a checkpoint can hold."""
    name, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        # NumPy's state holds an ndarray, which torch's safe loader refuses: store plain ints.
        "numpy": {
            "name": str(name),
            "keys": [int(k) for k in keys],
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian),
        },
        "torch": torch.get_rng_state(),
    }
    # Only touch CUDA when it is already in use: querying it would initialise it for nothing.
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Put back generator states taken by :func:`get_rng_state`."""
    random.setstate(_as_tuples(state["python"]))
    npy = state["numpy"]
    np.random.set_state(
        (
            npy["name"],
            np.asarray(npy["keys"], dtype=np.uint32),
            npy["pos"],
            npy["has_gauss"],
            npy["cached_gaussian"],
        )
    )
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@contextmanager
def preserve_rng() -> Iterator[None]:
    """Run a block without disturbing any generator (e.g. an evaluation in the middle of training).

    Whatever the block draws, the generators afterwards are where they were before it, so how
    often a run evaluates does not change what it trains on.
    """
    saved = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(saved)


def _as_tuples(value: Any) -> Any:
    """``random.setstate`` insists on tuples; a round trip through JSON would give lists."""
    if isinstance(value, list | tuple):
        return tuple(_as_tuples(v) for v in value)
    return value
