r"""Gradient flow over time: how much of the error signal reaches steps far from the loss.

With the loss at the end of a sequence (the answer of the cue-word task, the output of any
many-to-one task), :math:`\|\partial L / \partial h_t\|` against the distance
:math:`d = t_{loss} - t` shows vanishing (or exploding) gradients directly: for a tanh Elman
net it falls roughly geometrically, by the product of :math:`\|W_{hh}^\top
\mathrm{diag}(\phi')\|` over the steps; the LSTM's cell path multiplies by the forget gate
instead, which stays near 1 when the gate is open (Hochreiter & Schmidhuber 1997; Bengio,
Simard & Frasconi 1994).

Everything is computed from a :class:`~rnnlab.inspect.trace.Trace` (total derivatives through
the unrolled graph) and returned as plain lists, ready to plot on a log axis. For a ConvLSTM,
whose states are maps, the norm of a step is taken over its channels *and* pixels.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from rnnlab.errors import UserError
from rnnlab.inspect.trace import Trace, step_norms, trace
from rnnlab.tasks.base import Batch, Split, Task
from rnnlab.utils.device import model_device


def _by_distance(values: Tensor, end: Tensor) -> tuple[list[float], list[int]]:
    """Mean over rows of ``values`` (T, B) at each distance d = end_b - t, d = 0 .. max(end).

    A row contributes to the distances it has (t = end_b - d >= 0): with rows of different
    lengths the far distances average fewer rows; the counts are returned too.
    """
    D = int(end.max()) + 1
    t = end[None, :] - torch.arange(D, device=end.device)[:, None]  # (D, B) step of distance d
    valid = t >= 0
    picked = values.gather(0, t.clamp(min=0)) * valid  # (D, B)
    rows = valid.sum(1)
    means = picked.sum(1) / rows.clamp(min=1)
    return [float(v) for v in means], [int(n) for n in rows]


def _relative(norms: list[float]) -> list[float]:
    """Each value over the value at distance 0 (the loss); NaN when that is 0."""
    first = norms[0]
    return [v / first if first else float("nan") for v in norms]


def flow_from_trace(
    tr: Trace, *, layer: int = 0, direction: int = 0, loss_step: Tensor | None = None
) -> dict[str, Any]:
    """Gradient norms against the distance from the loss, from a trace.

    ``loss_step`` (B,) is where each row's loss sits; by default its last real step. The
    distance is counted in input order, so for the backward direction of a bidirectional
    layer it is still "steps before the loss", not steps that direction has run.

    Returns ``{"distance": [0, 1, ...], "norm": [...], "relative": [...], "rows": [...],
    "cell_norm", "cell_relative"}``: ``norm[d]`` is the batch mean of the L2 norm (over
    units; a ConvLSTM's over channels and pixels) of dL/dh at distance d, ``relative`` is
    ``norm / norm[0]`` (1 at the loss), ``rows[d]`` how many rows reach distance d; the
    ``cell_*`` entries are the same for dL/dc (LSTM, ConvLSTM), else None. Plus
    ``"family"``, ``"layer"``, ``"direction"``.
    """
    if loss_step is None:
        if tr.lengths is None:
            loss_step = torch.full((tr.mask.shape[1],), tr.steps - 1, dtype=torch.long)
        else:
            loss_step = tr.lengths.long() - 1
    end = loss_step.to(tr.mask.device).long()
    norm, rows = _by_distance(step_norms(tr.dh(layer, direction)), end)
    result: dict[str, Any] = {
        "family": tr.family,
        "layer": layer,
        "direction": direction,
        "distance": list(range(len(norm))),
        "norm": norm,
        "relative": _relative(norm),
        "rows": rows,
        "cell_norm": None,
        "cell_relative": None,
    }
    if "c" in tr.state_kinds:
        cell, _ = _by_distance(step_norms(tr.dc(layer, direction)), end)
        result["cell_norm"] = cell
        result["cell_relative"] = _relative(cell)
    return result


def batch_of(task: Task, split: Split = "valid", batch_size: int = 32, seed: int = 0) -> Batch:
    """The first batch of ``split`` of ``task`` (the same for every model given the seed)."""
    for batch in task.batches(split, batch_size, seed=seed):
        return batch
    raise UserError(f"task {task.name!r} yields no {split} batch")


def loss_at_end(task: Task, batch: Batch) -> Batch:
    """``batch`` with its mask reduced to each sequence's last step (many-to-many tasks).

    The task's own ``loss`` then scores only the last output — the cue-word answer — for tasks
    whose loss honours ``batch.mask`` (cue-word, lag, ...). Many-to-one batches are returned
    as they are: their loss already sits at the end.
    """
    if not task.spec.many_to_many:
        return batch
    B, T = batch.x.shape[:2]
    last = (
        torch.full((B,), T - 1, dtype=torch.long)
        if batch.lengths is None
        else batch.lengths.long() - 1
    )
    mask = torch.zeros(B, T, dtype=torch.bool, device=batch.y.device)
    mask[torch.arange(B), last.to(mask.device)] = True
    return dataclasses.replace(batch, mask=mask)


def gradient_flow(
    model: nn.Module,
    task: Task,
    *,
    batch: Batch | None = None,
    split: Split = "valid",
    batch_size: int = 32,
    seed: int = 0,
    layer: int = 0,
    direction: int = 0,
    module: int | None = None,
    at_end: bool = True,
) -> dict[str, Any]:
    """||dL/dh_t|| against the distance from the loss, for ``model`` on a batch of ``task``.

    Args:
        model: an rnnlab recurrent model built for ``task``'s spec.
        task: gives the batch (unless ``batch`` is given) and the loss ``task.loss``.
        batch: the batch to use; default the first ``split`` batch of ``batch_size`` rows.
        layer, direction: whose states (default the first layer, which is furthest from the
            loss in depth as well as in time).
        module: which recurrent module of a model with several (a layer list; 0 = nearest
            the input), as :func:`~rnnlab.inspect.trace.trace` takes it.
        at_end: many-to-many tasks: score only each sequence's last step
            (:func:`loss_at_end`), so that the loss "sits at the end"; False keeps the task's
            loss over every step (then each step's gradient mixes many distances).

    Returns:
        :func:`flow_from_trace`'s dict, plus ``"loss"`` and ``"model"`` (its ``describe()``
        when it has one).
    """
    if batch is None:
        batch = batch_of(task, split, batch_size, seed)
    if at_end:
        batch = loss_at_end(task, batch)
    device = model_device(model)
    batch = batch.to(device)
    tr = trace(model, batch, task=task, module=module)
    result = flow_from_trace(tr, layer=layer, direction=direction)
    result["loss"] = tr.loss
    describe = getattr(model, "describe", None)
    result["model"] = describe() if callable(describe) else type(model).__name__
    return result


def compare_gradient_flow(
    models: Mapping[str, nn.Module], task: Task, **kwargs: Any
) -> dict[str, dict[str, Any]]:
    """:func:`gradient_flow` for several models on the *same* batch, by name.

    Pass e.g. ``{"RNN (init)": rnn0, "RNN (trained)": rnn1, "LSTM (init)": ..., ...}``; the
    keyword arguments go to :func:`gradient_flow` (``batch``, ``split``, ``batch_size``,
    ``seed``, ``layer``, ``at_end``). Returns ``{name: result}`` in the given order.
    """
    if "batch" not in kwargs or kwargs["batch"] is None:
        kwargs["batch"] = batch_of(
            task, kwargs.pop("split", "valid"), kwargs.pop("batch_size", 32), kwargs.get("seed", 0)
        )
    return {name: gradient_flow(model, task, **kwargs) for name, model in models.items()}


def decay_per_step(result: dict[str, Any], key: str = "relative") -> float:
    """The average factor by which the gradient shrinks per step of distance: the geometric
    mean of ``relative[d] / relative[d-1]`` over every distance, i.e.
    ``relative[-1] ** (1 / D)``. 1 = no decay; NaN if the gradient vanished to exactly 0.
    """
    rel = result[key]
    last = rel[-1]
    if len(rel) < 2 or not last > 0:
        return float("nan")
    return math.exp(math.log(last) / (len(rel) - 1))
