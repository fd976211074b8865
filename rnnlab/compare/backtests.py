"""Forecast comparisons: each network's rolling-origin backtest beside the classical baselines.

On a forecast task, every trained model is also scored the way forecasters are judged — its
``horizon``-step forecasts from every rolling origin of the test split, by MASE, RMSE, MAE and
sMAPE (:func:`rnnlab.train.backtest.backtest`) — and the report puts those rows next to the
task's baselines on the same origins: the last value, the seasonal naive forecast, ARIMA and
ETS (``rnnlab/tasks/forecast_baselines.py``). MASE < 1 beats the seasonal naive forecast's
in-sample error.
"""

from __future__ import annotations

import math

from torch import nn

from rnnlab.compare.results import Run
from rnnlab.compare.stats import stat
from rnnlab.tasks import Task
from rnnlab.tasks.forecast import ForecastTask
from rnnlab.viz.report import BacktestRow, ReportData

BASELINE_NAMES = {"last": "last value", "seasonal": "seasonal naive", "arima": "ARIMA",
                  "ets": "ETS"}


def model_backtest(model: nn.Module, task: Task) -> dict[str, float] | None:
    """The model's backtest metrics on a forecast task; None for any other task."""
    if not isinstance(task, ForecastTask):
        return None
    from rnnlab.train.backtest import backtest

    return backtest(model, task, baselines=False)["model"]


def add_backtest(data: ReportData, task: Task, runs: dict[str, list[Run]]) -> None:
    """The backtest table (networks, then baselines) and a sentence for the reading."""
    if not isinstance(task, ForecastTask) or not all(
        r.backtest for model_runs in runs.values() for r in model_runs
    ):
        return
    names = list(next(iter(runs.values()))[0].backtest or {})
    for label, model_runs in runs.items():
        data.backtest.append(BacktestRow(
            label, {m: stat([(r.backtest or {})[m] for r in model_runs]) for m in names}))
    baselines = task.baselines()
    for key, metrics in baselines.items():
        data.backtest.append(BacktestRow(BASELINE_NAMES.get(key, key),
                                         {m: (metrics[m], None) for m in names}, baseline=True))
    p = task.params
    data.backtest_caption = (
        f"{len(task.backtest_origins)} rolling origins of the test split, {p.horizon}-step "
        f"forecasts ({p.strategy}); MASE is scaled by the season-{p.season} naive forecast's "
        "error on the training part, so below 1 beats it. Baselines are fitted on the same "
        "history at each origin."
    )
    data.reading.append(_sentence(data.backtest))


def _sentence(rows: list[BacktestRow]) -> str:
    """E.g. "On the backtest the GRU's MASE is 0.98: better than seasonal naive (1.45) and
    last value (1.60), worse than ARIMA (0.68)."."""
    nets = [r for r in rows if not r.baseline and not math.isnan(r.metrics["mase"][0])]
    if not nets:
        return "No network produced a finite backtest."
    best = min(nets, key=lambda r: r.metrics["mase"][0])
    mase = best.metrics["mase"][0]
    base = [(r.label, r.metrics["mase"][0]) for r in rows if r.baseline]
    better = [f"{n} ({v:.3g})" for n, v in base if v > mase]
    worse = [f"{n} ({v:.3g})" for n, v in base if v <= mase]
    parts = ([f"better than {', '.join(better)}"] if better else []) + (
        [f"worse than {', '.join(worse)}"] if worse else [])
    return (f"On the rolling-origin backtest the best network, the {best.label}, has a MASE of "
            f"{mase:.3g}" + (f": {'; '.join(parts)}." if parts else "."))


__all__ = ["add_backtest", "model_backtest"]
