"""A trained forecaster's forecasts: rolling-origin backtests and forecasts past the end.

:func:`forecast_from` forecasts ``steps`` values of every target from a set of origins of a
:class:`~rnnlab.tasks.forecast.ForecastTask`. A direct model gives its ``horizon`` outputs in
one pass; a recursive model (one output step), or a direct one asked for more steps than its
horizon, is rolled forward: its forecasts are appended to the window as if observed, which
needs a series whose inputs are its targets (the future of other inputs is unknown).

:func:`backtest` scores the model and the task's baselines on the same origins (the test
split's rolling origins) with the same metrics; :func:`forecast_future` forecasts from the
last observed step (or ``holdout`` steps before it, so that the truth can be shown beside).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rnnlab.errors import UserError
from rnnlab.tasks.forecast import ForecastTask
from rnnlab.tasks.forecast_baselines import forecast_metrics
from rnnlab.tasks.forecast_data import date_text, future_dates
from rnnlab.utils.device import model_device


def forecast_from(model: nn.Module, task: ForecastTask, origins: np.ndarray,
                  steps: int) -> np.ndarray:
    """(N, steps, K) forecasts in the series' units from each origin (index of the last
    observed step)."""
    K, W, H_out = task.K, task.params.window, task.H_out
    C = task.values.shape[1]
    if steps > H_out and C > K:
        raise UserError(f"the model forecasts {H_out} step(s) at a time and reads "
                        f"{C - K} input column(s) besides its targets, whose future is unknown: "
                        f"ask for at most {H_out} steps")
    device = model_device(model)
    was_training = model.training
    model.eval()
    z = np.stack([task.z[o - W + 1 : o + 1] for o in origins])  # (N, W, C), not yet relative
    produced: list[np.ndarray] = []
    try:
        with torch.no_grad():
            while sum(p.shape[1] for p in produced) < steps:
                x = z[:, -W:].copy()
                last = x[:, -1:, :K].copy()
                if task.params.relative:
                    x[:, :, :K] -= last
                out, _ = model(torch.from_numpy(x).to(device))
                y = out.float().cpu().numpy().reshape(len(origins), H_out, K)
                if task.params.relative:
                    y = y + last
                produced.append(y)
                if sum(p.shape[1] for p in produced) < steps:  # another pass: then C == K
                    z = np.concatenate([z, y], axis=1)
    finally:
        model.train(was_training)
    return task.from_z(np.concatenate(produced, axis=1)[:, :steps])


def backtest(model: nn.Module, task: ForecastTask,
             baselines: bool = True) -> dict[str, dict[str, float]]:
    """{'model': metrics, and each baseline's}: ``horizon``-step forecasts from every rolling
    origin of the test split, scored by MASE, RMSE, MAE and sMAPE."""
    origins, H = task.backtest_origins, task.params.horizon
    truth = task.truth(origins, H)
    scale = np.array(task.params.mase_scale)
    results = {"model": forecast_metrics(forecast_from(model, task, origins, H), truth, scale)}
    if baselines:
        results.update(task.baselines())
    return results


@dataclass
class Forecast:
    """A forecast past an origin: its steps' dates ("" when the data has none), values
    (steps, K), the truth where it is known (holdout), and the history before it."""

    columns: tuple[str, ...]
    dates: list[str]
    values: np.ndarray
    truth: np.ndarray | None
    history: np.ndarray  # (origin + 1, K)
    history_dates: list[str]


def forecast_future(model: nn.Module, task: ForecastTask, steps: int,
                    holdout: int = 0) -> Forecast:
    """Forecast ``steps`` values after the last step of the data, or after the step
    ``holdout`` before it (the held-out values are then the truth)."""
    n = len(task.values)
    if holdout < 0 or holdout > n - task.params.window:
        raise UserError(f"holdout {holdout} leaves fewer than window={task.params.window} of "
                        f"the series' {n} steps to forecast from")
    o = n - 1 - holdout
    values = forecast_from(model, task, np.array([o]), steps)[0]
    truth = task.values[o + 1 : o + 1 + steps, : task.K] if holdout else None
    data = task.data
    if data.dates is not None:
        history_dates = [date_text(d) for d in data.dates[: o + 1]]
        known = [date_text(d) for d in data.dates[o + 1 : o + 1 + steps]]
        if len(known) < steps:
            cut = type(data)(data.values[: n], data.columns, data.dates, data.freq)
            known += future_dates(cut, steps - len(known))
        dates = known
    else:
        history_dates, dates = [], [""] * steps
    return Forecast(data.columns[: task.K], dates, values, truth, task.values[: o + 1, : task.K],
                    history_dates)
