"""Numbers over seeds: mean ± sd, learning curves, the training needed to reach a level."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from rnnlab.compare.results import Run
from rnnlab.viz.charts import Series


def stat(values: Sequence[float]) -> tuple[float, float | None]:
    """Mean and sample sd (None for a single value)."""
    values = [float(v) for v in values]
    sd = statistics.stdev(values) if len(values) > 1 else None
    return statistics.fmean(values), sd


def curve(runs: Sequence[Run], metric: str) -> Series:
    """The validation ``metric`` against training sequences, mean ± sd over the seeds (at
    the evaluation steps every seed reached)."""
    per_seed = [{r["step"]: r for r in run.result.history if r.get("split") != "train"}
                for run in runs]
    steps = sorted(set.intersection(*(set(s) for s in per_seed)))
    steps = [s for s in steps if all(metric in p[s] for p in per_seed)]
    xs = [per_seed[0][s]["sequences"] for s in steps]
    stats = [stat([p[s][metric] for p in per_seed]) for s in steps]
    spread = [sd or 0.0 for _, sd in stats] if len(runs) > 1 else None
    return Series(xs, [m for m, _ in stats], spread)


def first_reaching(runs: Sequence[Run], metric: str, level: float) -> float | None:
    """Mean training sequences until validation ``metric`` first reached ``level`` (None
    unless every seed got there)."""
    found = []
    for run in runs:
        hits = [r["sequences"] for r in run.result.history
                if r.get("split") != "train" and r.get(metric, -math.inf) >= level]
        if not hits:
            return None
        found.append(hits[0])
    return statistics.fmean(found)


__all__ = ["curve", "first_reaching", "stat"]
