"""The hidden size that gives a model a parameter budget (counting: :mod:`rnnlab.models.count`).

Comparing a feed-forward net, an Elman RNN, an LSTM and a GRU is only fair at (about) the same
number of parameters: an LSTM layer has 4 weight blocks for the Elman net's one, so at equal
hidden size it has ~4x the parameters. :func:`hidden_size_for_budget` finds, for each family,
the hidden size that lands closest to a common budget.
"""

from __future__ import annotations

import dataclasses
import logging
import math

import torch

from rnnlab.errors import UserError
from rnnlab.models.build import build_model
from rnnlab.models.config import ModelConfig
from rnnlab.models.count import count_parameters
from rnnlab.tasks.base import TaskSpec

log = logging.getLogger(__name__)


# Above this many parameters the candidate models are built on the meta device (shapes, no
# storage). Below it real CPU builds are cheaper: the first meta build in a process pays a
# few seconds of one-off set-up inside torch (its reference implementations of initialisers).
META_ABOVE = 10_000_000


def with_size(config: ModelConfig, size: int) -> ModelConfig:
    """``config`` at another size: its hidden size, or for a layer list every layer scaled
    so that the widest recurrent layer has ``size`` units (the proportions are kept)."""
    if not config.layers:
        return dataclasses.replace(config, hidden_size=size)
    ratio = size / _widest(config)
    return dataclasses.replace(config, layers=tuple(str(s.scaled(ratio))
                                                    for s in config.layer_specs))


def _widest(config: ModelConfig) -> int:
    return max(s.size for s in config.layer_specs if s.recurrent)


def _smallest_size(config: ModelConfig) -> int:
    """The smallest valid size: a projection must stay below its layer's width."""
    if not config.layers:
        return config.min_hidden_size
    widest = _widest(config)
    projected = [s.size for s in config.layer_specs if s.option("proj_size")]
    # A projected layer needs width >= 2 after scaling by size / widest.
    return max([1] + [math.ceil(1.5 * widest / w) for w in projected])


def fit_budget(config: ModelConfig, spec: TaskSpec, budget: int) -> ModelConfig:
    """``config`` at the size whose model has the parameter count closest to ``budget``
    (see :func:`hidden_size_for_budget`); a layer list is scaled as a whole."""
    return with_size(config, hidden_size_for_budget(config, spec, budget))


def _count_for_hidden(config: ModelConfig, spec: TaskSpec, hidden_size: int, on_meta: bool) -> int:
    """Parameters of the model ``config`` with ``hidden_size``."""
    candidate = with_size(config, hidden_size)
    if on_meta:
        try:
            with torch.device("meta"):
                return count_parameters(build_model(candidate, spec))
        except (NotImplementedError, RuntimeError):
            pass  # an initialiser the meta device cannot run: count a real model instead
    # Initialisers draw from the global generator: keep the caller's random stream untouched,
    # so that choosing a size does not change the model a seed gives afterwards.
    with torch.random.fork_rng(devices=[]):
        return count_parameters(build_model(candidate, spec))


def hidden_size_for_budget(
    config: ModelConfig, spec: TaskSpec, budget: int, *, max_hidden: int = 1 << 16
) -> int:
    """The hidden size whose model (``config`` with that size) has the parameter count closest
    to ``budget``; every other field of ``config`` is kept. For a layer list, the width of
    its widest recurrent layer, the others scaled with it (:func:`with_size`).

    The count grows with the hidden size, so an exponential search for an upper bound and a
    bisection find the smallest size reaching the budget in O(log budget) builds; that size
    or the one below is the closest. Below the smallest possible model the smallest valid size
    is returned (with a logged warning).
    """
    if budget < 1:
        raise UserError(f"the parameter budget must be positive, got {budget}")
    low = _smallest_size(config)
    counts: dict[int, int] = {}
    # The exponential search overshoots the budget by at most ~4x (counts grow at most
    # quadratically in the hidden size), which bounds the largest real build.
    on_meta = budget > META_ABOVE

    def count(h: int) -> int:
        if h not in counts:
            counts[h] = _count_for_hidden(config, spec, h, on_meta)
        return counts[h]

    if count(low) == count(low + 1):
        raise UserError(
            "hidden_size does not change this model's parameter count "
            f"(family {config.family!r}, num_layers={config.num_layers}): no size fits a budget"
        )
    if count(low) >= budget:
        if count(low) > budget:
            log.warning("budget %d is below the smallest model (%d parameters)", budget, count(low))
        return low
    high = max(2 * low, 2)
    while count(high) < budget:
        if high >= max_hidden:
            raise UserError(f"budget {budget} needs a hidden size above {max_hidden}")
        high = min(2 * high, max_hidden)
    # Invariant: count(low) < budget <= count(high).
    while high - low > 1:
        mid = (low + high) // 2
        if count(mid) < budget:
            low = mid
        else:
            high = mid
    return low if budget - count(low) <= count(high) - budget else high
