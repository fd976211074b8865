"""Memory horizon: accuracy against the lag a model has to bridge.

For each gap, the probe builds the task's test set at that gap (any task with an adjustable
lag, :class:`~rnnlab.tasks.lagged.AdjustableLag`: the cue-word task's ``gap``, the words
between cue and answer; the ``q`` of Experiment 2c of Hochreiter & Schmidhuber 1997, the
minimal number of distractors between the first symbol and the trigger), evaluates the
model with the task's own ``score``/``summarize`` and returns accuracy per gap with the chance
level. A model that cannot carry the cue across the gap is at chance there: a window MLP of
window k beyond gap k - 1 by construction, an Elman net where its gradients stopped reaching
during training, an LSTM much later.

Returned as plain data, ready to plot as accuracy-vs-gap curves with a chance line.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from rnnlab.errors import UserError
from rnnlab.tasks.base import Split, Task
from rnnlab.tasks.lagged import has_adjustable_lag
from rnnlab.utils.device import model_device

TaskAtGap = Callable[[int], Task]


def task_at_gap(task: Task, gap: int, eval_size: int | None = None) -> Task:
    """The same task with its lag set to ``gap`` (and ``eval_size`` test items, if given).

    Any task with an adjustable lag (:class:`~rnnlab.tasks.lagged.AdjustableLag`): cue-word's
    ``gap`` (words strictly between cue and answer), lag 2c's ``q`` (the answer depends on a
    symbol q + 1 or more steps back). Other tasks have no lag that leaves the model's input
    and output sizes unchanged: pass a factory ``gap -> Task`` instead.
    """
    if not has_adjustable_lag(task):
        raise UserError(
            f"task {task.name!r} has no lag to vary here (cue-word's gap, lag 2c's q); "
            "pass a function gap -> task instead"
        )
    overrides = {}
    if eval_size is not None:
        if "eval_size" not in task.params.to_dict():
            raise UserError(f"task {task.name!r} has no eval_size to set")
        overrides["eval_size"] = int(eval_size)
    return task.at_lag(gap, **overrides)


def chance_level(task: Task, metrics: dict[str, float] | None = None) -> float | None:
    """The accuracy of a model that ignores the cue: the task's own ``chance`` if it states one
    (as property or metric), else 1/K for a many-to-one classification over K classes."""
    chance = getattr(task, "chance", None)
    if chance is None and metrics is not None:
        chance = metrics.get("chance")
    if chance is None and task.spec.output_kind == "classes" and not task.spec.many_to_many:
        chance = 1.0 / task.spec.output_size
    return None if chance is None else float(chance)


@torch.no_grad()
def evaluate_split(
    model: nn.Module, task: Task, *, split: Split = "test", batch_size: int = 100, seed: int = 0
) -> dict[str, float]:
    """Sum ``task.score`` over every batch of ``split`` and ``task.summarize`` the sums.

    The model runs in eval mode and is put back; the summed ``count`` (items scored, when
    the task reports it) is added to the metrics as ``"count"``.
    """
    device = model_device(model)
    was_training = model.training
    model.eval()
    sums: dict[str, float] = {}
    state: Any = None
    try:
        for batch in task.batches(split, batch_size, seed=seed):
            batch = batch.to(device)
            output, state = model(
                batch.x, lengths=batch.lengths, state=state if batch.carry_state else None
            )
            for name, value in task.score(output, batch).items():
                sums[name] = sums.get(name, 0.0) + float(value)
    finally:
        model.train(was_training)
    if not sums:
        raise UserError(f"task {task.name!r} yields no {split} batch")
    metrics = dict(task.summarize(sums))
    if "count" in sums:
        metrics["count"] = sums["count"]
    return metrics


def _check_spec(model: nn.Module, task: Task) -> None:
    spec = getattr(model, "spec", None)
    if spec is None:
        return
    for name in ("input_kind", "input_size", "output_kind", "output_size", "many_to_many"):
        if getattr(spec, name) != getattr(task.spec, name):
            raise UserError(
                f"the task at this gap has {name}={getattr(task.spec, name)!r} but the model "
                f"was built for {getattr(spec, name)!r}"
            )


def memory_horizon(
    model: nn.Module,
    task: Task | TaskAtGap,
    gaps: Iterable[int],
    *,
    eval_size: int | None = None,
    split: Split = "test",
    batch_size: int = 100,
    seed: int = 0,
    metric: str = "accuracy",
    threshold: float | None = None,
) -> dict[str, Any]:
    """Accuracy (or ``metric``) of ``model`` against the gap it has to bridge.

    Args:
        model: a model built for the task (the tasks at every gap share its spec).
        task: a task with a variable lag (see :func:`task_at_gap`) or a function
            ``gap -> Task``.
        gaps: the gaps to test.
        eval_size: test items per gap (default: the task's own ``eval_size``).
        threshold: the level a gap's metric must reach to count as remembered; default
            halfway between chance and 1.

    Returns:
        ``{"gaps": [...], "accuracy": {gap: value}, "metrics": {gap: all metrics},
        "count": {gap: items}, "stderr": {gap: binomial standard error}, "chance": float |
        None, "threshold": float, "horizon": int | None, "metric": name}``. ``horizon`` is the
        largest tested gap up to which every tested gap reaches the threshold (None if the
        smallest does not). ``stderr`` is sqrt(p (1 - p) / n), the tolerance to judge a
        value against chance with.
    """
    gaps = sorted(int(g) for g in gaps)
    if not gaps:
        raise UserError("memory_horizon needs at least one gap")
    if callable(task) and not isinstance(task, Task):
        factory: TaskAtGap = task
    else:
        base = task

        def factory(gap: int) -> Task:
            return task_at_gap(base, gap, eval_size)

    values: dict[int, float] = {}
    metrics: dict[int, dict[str, float]] = {}
    counts: dict[int, float | None] = {}
    stderr: dict[int, float] = {}
    chance: float | None = None
    for gap in gaps:
        at_gap = factory(gap)
        _check_spec(model, at_gap)
        m = evaluate_split(model, at_gap, split=split, batch_size=batch_size, seed=seed)
        if metric not in m:
            raise UserError(f"task {at_gap.name!r} reports no {metric!r}; it has {sorted(m)}")
        metrics[gap] = m
        values[gap] = float(m[metric])
        n = m.get("count")
        counts[gap] = n
        p = values[gap]
        stderr[gap] = math.sqrt(p * (1 - p) / n) if n and 0 <= p <= 1 else float("nan")
        if chance is None:
            chance = chance_level(at_gap, m)
    if threshold is None:
        threshold = 0.5 if chance is None else chance + (1.0 - chance) / 2
    return {
        "gaps": gaps,
        "metric": metric,
        "accuracy": values,
        "metrics": metrics,
        "count": counts,
        "stderr": stderr,
        "chance": chance,
        "threshold": threshold,
        "horizon": _horizon(gaps, values, threshold),
    }


def _horizon(gaps: list[int], values: dict[int, float], threshold: float) -> int | None:
    """The largest gap up to which every tested gap reaches ``threshold`` (None if the
    smallest does not)."""
    horizon = None
    for gap in gaps:
        if values[gap] < threshold:
            break
        horizon = gap
    return horizon
