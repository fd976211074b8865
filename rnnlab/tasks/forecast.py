r"""Forecasting: from the last ``window`` steps of a series, the next ``horizon`` values.

Series: statsmodels' ``sunspots``, ``co2``, sktime's ``airline``, or columns of a CSV file
(``series=PATH``): ``column=NAME`` (one column, nothing else read), or ``target=A,B`` with
``inputs=C,D`` (default: every other numeric column; ``none``: no inputs), and ``date=NAME``, a
date/time column that orders the rows (see :mod:`rnnlab.tasks.forecast_data`).

**Examples.** An origin ``o`` is the index of the last observed step. The model reads the
window ``o - window + 1 .. o`` of every column (targets first, then inputs) and outputs, with
``strategy=direct``, the ``horizon`` values ``o + 1 .. o + horizon`` of every target (B, H*K),
step-major; with ``strategy=recursive`` it outputs the next step only (B, K), and a
``horizon``-step forecast feeds its outputs back as inputs (targets only: the future of other
inputs is unknown). An example belongs to the split that holds all its targets; inputs may
reach back into an earlier split (they are the observed past). Splits are in time order: the
held-out tail (``test_size``) is the test split, the ``valid_size`` points before it
validation, the rest training. The test split's origins are a rolling-origin backtest: every
origin whose ``horizon`` targets lie in the tail, one step apart.

**Scaling.** Each column is normalised with the training part's mean and standard deviation;
with ``relative=true`` a target is read relative to the window's last value and predicted as
the change from it, both scaled by the standard deviation :math:`s` of the training part's
``horizon``-step changes (inputs :math:`(x_{e-k} - x_e)/s`, targets :math:`(x_j - x_e)/s`,
forecast :math:`x_e + s\hat y`): a trending series (co2) then needs no extrapolation of its
level. With ``log=true`` the model reads and forecasts the logarithm of the targets (a
positive series whose seasonal swings grow with its level, like airline): ``relative`` then
predicts growth rates. The loss is the MSE of the scaled targets.

**Fitted state is recorded, never re-fitted.** The first build fits the scaling
(``scale_mean``, ``scale_std``), the MASE scale (``mase_scale``) and the columns used
(``target``, ``inputs``) on the training part, and records the file by absolute path
(``series``, ``fitted_on``) and content hash (``sha256``) in the parameters, which every
checkpoint stores. A task rebuilt from them uses the recorded values: on the same file, a
changed hash is refused unless ``allow_changed=true`` (then the recorded scaling is used, and
a log line says so); on another file (``series=new.csv``) the recorded scaling is used. A
series from Python (:class:`rnnlab.Forecaster`) has no file: every checkpoint keeps it as
``series.json`` (checksummed like the weights; ``series`` names it), so evaluating and
forecasting need nothing but the checkpoint.

**Metrics** (original units): ``mase`` (MAE over the in-sample seasonal-naive MAE with
``season``), ``rmse``, ``mae``, ``smape`` (%), over every (origin, step, target) of the split.
``baselines()`` scores last value, seasonal naive, ARIMA and ETS on the test split's origins
(:mod:`rnnlab.tasks.forecast_baselines`; fitted on the training part).
"""

from __future__ import annotations

import copy
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnlab.errors import UserError
from rnnlab.tasks.base import Batch, Split, TaskParams, TaskSpec
from rnnlab.tasks.common import (
    Example,
    ParamTask,
    check_batch_args,
    check_choice,
    check_output,
    check_range,
    collate,
    make_rng,
    parse_params,
    ratio,
)
from rnnlab.tasks.forecast_baselines import (
    arima_forecasts,
    arima_order,
    ets_forecasts,
    forecast_metrics,
    mase_scale,
    seasonal_naive,
)
from rnnlab.tasks.forecast_data import (
    BUILTIN,
    BUILTIN_SEASON,
    SERIES_FILE,
    Series,
    load_builtin,
    load_csv,
    load_csv_columns,
    read_saved_series,
    series_to_json,
    split_names,
)
from rnnlab.utils.hashing import file_sha256

__all__ = ["BUILTIN", "ForecastParams", "ForecastTask", "load_builtin", "load_csv"]

log = logging.getLogger(__name__)
STRATEGIES = ("direct", "recursive")
FITTED = ("scale_mean", "scale_std", "mase_scale")  # tuples of floats, recorded at the first build


@dataclass
class ForecastParams(TaskParams):
    series: str = "sunspots"  # sunspots | co2 | airline | CSV file | series.json | "" = Python
    column: str = ""  # CSV: the one column to forecast, no other inputs (target=NAME inputs=none)
    target: str = ""  # CSV: the column(s) to forecast, comma-separated ("" = column, or the only)
    inputs: str = ""  # CSV: input columns besides the targets; "" = all other numeric, none = none
    date: str = ""  # CSV: the date/time column (orders the rows; gaps are reported)
    window: int = 20  # past steps the model reads
    horizon: int = 1  # steps forecast from each origin (1 .. horizon ahead)
    strategy: str = "direct"  # direct (all horizon steps at once) | recursive (one step, fed back)
    test_size: float = 0.2  # held-out tail: a fraction (< 1) or a number of points (>= 1)
    valid_size: float = 0.1  # points before the tail for validation: fraction or number
    season: int = 0  # seasonal period (naive, MASE, ETS, ARIMA); 0 = airline 12, co2 52, else 1
    arima_order: tuple[int, ...] = ()  # (p, d, q) of the ARIMA baseline; () = (2, d, 1), d by ADF
    relative: bool = False  # predict the change from the window's last value (trending series)
    log: bool = False  # model the targets' logarithm (swings that grow with the level: airline)
    allow_changed: bool = False  # use a data file that changed since its scaling was recorded
    scale_mean: tuple[float, ...] = ()  # fitted: each column's mean (targets, then inputs)
    scale_std: tuple[float, ...] = ()  # fitted: each column's standard deviation
    mase_scale: tuple[float, ...] = ()  # fitted: each target's in-sample seasonal-naive MAE
    fitted_on: str = ""  # fitted: the absolute path of the file they were fitted on
    sha256: str = ""  # fitted: that file's content hash

    def check(self) -> None:
        check_range("forecast", "window", self.window, 1)
        check_range("forecast", "horizon", self.horizon, 1)
        check_range("forecast", "test_size", self.test_size, 0.0)
        check_range("forecast", "valid_size", self.valid_size, 0.0)
        check_range("forecast", "season", self.season, 0)
        check_choice("forecast", "strategy", self.strategy, STRATEGIES)
        if self.test_size == 0:
            raise UserError("task 'forecast': test_size must be > 0")
        if self.arima_order and (len(self.arima_order) != 3 or min(self.arima_order) < 0):
            raise UserError(
                f"task 'forecast': arima_order = {self.arima_order!r} must be (p, d, q) >= 0"
            )
        if len(set(map(len, (self.scale_mean, self.scale_std)))) != 1 or (
                any(s <= 0 for s in (*self.scale_std, *self.mase_scale))):
            raise UserError("task 'forecast': the recorded scaling (scale_mean, scale_std, "
                            "mase_scale) is inconsistent; the checkpoint was edited")


def _floats(name: str, value: Any) -> tuple[float, ...]:
    values = value if isinstance(value, list | tuple) else split_names(str(value))
    try:
        out = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise UserError(f"task 'forecast': parameter {name} = {value!r} is not a list of "
                        "numbers") from None
    if not all(np.isfinite(out)):
        raise UserError(f"task 'forecast': parameter {name} = {value!r} is not finite")
    return out


def _count(size: float, n: int) -> int:
    return int(size) if size >= 1 else round(n * size)


class ForecastTask(ParamTask):
    """Window-to-horizon regression on a series, with classical baselines."""

    name = "forecast"
    description = ("Forecast a series (sunspots, co2, airline or CSV columns with dates) "
                   "some steps ahead")
    Params = ForecastParams
    params: ForecastParams

    def __init__(self, data: Series | None = None, **params: Any) -> None:
        """``data``: a series from Python (what :class:`rnnlab.Forecaster` gives, with
        ``series=""`` and ``target`` naming its first column(s)); else ``series`` is read."""
        self._given = data
        # The fitted tuples hold floats, which parse_params' tuples (of ints) do not.
        fitted = {k: _floats(k, params.pop(k)) for k in FITTED if k in params}
        self.params = parse_params(self.Params, self.name, params)
        for key, value in fitted.items():
            setattr(self.params, key, value)
        self.params.check()
        self.setup()

    # -- data, splits, scaling ------------------------------------------------------------------

    def setup(self) -> None:
        p = self.params
        self.data = self._load()
        self.values = self.data.values  # (n, C): targets, then inputs
        self.K = len(split_names(p.target)) if p.target else 1
        n, C = self.values.shape
        self.n_test, self.n_valid = _count(p.test_size, n), _count(p.valid_size, n)
        self.n_train = n - self.n_test - self.n_valid
        H, self.H_out = p.horizon, (p.horizon if p.strategy == "direct" else 1)
        if self.n_test < H:
            raise UserError(f"horizon {H} is longer than the test span ({self.n_test} of the "
                            f"series' {n} points): raise test_size or lower horizon")
        if 0 < self.n_valid < self.H_out:
            raise UserError(f"valid_size gives {self.n_valid} points, fewer than the horizon "
                            f"{self.H_out}: raise it, or make it 0")
        if p.strategy == "recursive" and C > self.K:
            raise UserError("strategy=recursive feeds the forecasts back as inputs, so it needs "
                            "inputs=none (the future of other inputs is unknown)")
        if self.n_train - (p.window - 1) - self.H_out < 2:
            raise UserError(
                f"series of {n} values is too short for window {p.window}, horizon {H}, "
                f"test {self.n_test} and valid {self.n_valid} points (training needs 2 examples)"
            )
        if p.season == 0:
            p.season = BUILTIN_SEASON.get(p.series, 1)
        self.modelled = self._modelled(self.values)
        if not p.scale_mean:
            self._fit()
        elif len(p.scale_mean) != C or len(p.mase_scale) != self.K:
            raise UserError(f"the recorded scaling is for {len(p.scale_mean)} columns, the data "
                            f"has {C} ({', '.join(self.data.columns)})")
        self.mean, self.std = np.array(p.scale_mean), np.array(p.scale_std)
        self.z = ((self.modelled - self.mean) / self.std).astype(np.float32)
        W = p.window
        self.origins = {
            "train": np.arange(W - 1, self.n_train - self.H_out),
            "valid": np.arange(self.n_train - 1, self.n_train + self.n_valid - self.H_out),
            "test": np.arange(n - self.n_test - 1, n - self.H_out),
        }
        self.spec = TaskSpec("features", C, "regression", self.H_out * self.K, False,
                             bidirectional_ok=True)

    def _modelled(self, values: np.ndarray) -> np.ndarray:
        """What the model reads, unscaled: the values, with ``log`` the targets' logarithm."""
        modelled = values.copy()
        if self.params.log:
            if values[:, : self.K].min() <= 0:
                raise UserError("log=true needs a positive series; a target has values <= 0")
            modelled[:, : self.K] = np.log(values[:, : self.K])
        return modelled

    def on(self, data: Series) -> ForecastTask:
        """This fitted task forecasting from another stretch of its series (the same columns,
        at least ``window`` steps), scaled with the recorded statistics — nothing is re-fitted
        and nothing is split: for :func:`rnnlab.train.backtest.forecast_future` only."""
        C = self.values.shape[1]
        if data.values.ndim != 2 or data.values.shape[1] != C:
            raise UserError(f"the new series has {data.values.shape[-1]} column(s); the model "
                            f"reads {C} ({', '.join(self.data.columns)})")
        if len(data.values) < self.params.window:
            raise UserError(f"the new series has {len(data.values)} steps, fewer than the "
                            f"model's window of {self.params.window}")
        task = copy.copy(self)
        task.data, task.values = data, data.values
        task.modelled = task._modelled(data.values)
        task.z = ((task.modelled - self.mean) / self.std).astype(np.float32)
        return task

    def _load(self) -> Series:
        p = self.params
        if self._given is None and p.series.endswith(".json") and os.path.isfile(p.series):
            self._given = read_saved_series(p.series)  # a checkpoint's series.json
        if self._given is not None or not p.series:
            return self._from_python()
        if p.series in BUILTIN:
            if p.column or p.target or p.date or p.inputs not in ("", "none"):
                raise UserError(f"the packaged series {p.series!r} has one column and its own "
                                "dates: leave column, target, inputs and date out")
            p.inputs = "none"
            return load_builtin(p.series)
        if p.column:
            if p.target and p.target != p.column:
                raise UserError(f"column={p.column} and target={p.target} disagree: give one")
            p.target, p.inputs = p.column, p.inputs or "none"
        path = os.path.abspath(p.series) if os.path.exists(p.series) else p.series
        data = load_csv_columns(path, p.target, p.inputs, p.date)
        K = len(split_names(p.target)) or 1
        p.series = path
        p.target, p.inputs = ",".join(data.columns[:K]), ",".join(data.columns[K:]) or "none"
        digest = file_sha256(path)
        if not p.scale_mean:
            p.fitted_on, p.sha256 = path, digest
        elif path == p.fitted_on and digest != p.sha256:
            if not p.allow_changed:
                raise UserError(f"{path} has changed since the model was trained (sha256 "
                                f"{p.sha256[:12]}... now {digest[:12]}...): "
                                "-p allow_changed=true uses it with the recorded scaling")
            log.warning("%s has changed since training; using the scaling recorded then", path)
        elif path != p.fitted_on:
            log.info("%s: using the scaling recorded from %s", path, p.fitted_on or p.series)
        return data

    def checkpoint_files(self) -> dict[str, tuple[str, bytes]]:
        """The files each checkpoint keeps for this task: a series from Python, which has no
        file of its own, as :data:`SERIES_FILE` (``series`` names it)."""
        if self._given is None:
            return {}
        return {SERIES_FILE: ("series", json.dumps(series_to_json(self._given)).encode())}

    def _from_python(self) -> Series:
        p, data = self.params, self._given
        if data is None:
            raise UserError("this forecaster was fitted on a series from Python, which its "
                            "checkpoint does not hold: give a CSV file of the same columns "
                            f"with -p series=FILE.csv (targets {p.target or '?'}, inputs "
                            f"{p.inputs or 'none'})")
        K = len(split_names(p.target))
        if not 1 <= K <= len(data.columns) or ",".join(data.columns[:K]) != p.target:
            raise UserError(f"target={p.target!r} must name the first column(s) of the series "
                            f"({', '.join(data.columns)})")
        if not np.isfinite(data.values).all():
            raise UserError("the series holds NaN or inf: fill or drop the missing values first")
        p.series, p.inputs = "", ",".join(data.columns[K:]) or "none"
        return data

    def _fit(self) -> None:
        p, K, H = self.params, self.K, self.params.horizon
        train = self.modelled[: self.n_train]
        mean, std = train.mean(0), train.std(0)
        if p.relative:  # the targets: no level to remove, scaled by their horizon-step changes
            mean[:K], std[:K] = 0.0, (train[H:, :K] - train[:-H, :K]).std(0)
        std[std == 0] = 1.0
        p.scale_mean, p.scale_std = tuple(map(float, mean)), tuple(map(float, std))
        p.mase_scale = tuple(mase_scale(self.values[: self.n_train, k], p.season)
                             for k in range(K))

    # -- examples and batches -------------------------------------------------------------------

    def window_at(self, o: int) -> np.ndarray:
        """The scaled inputs (window, C) of origin ``o``."""
        x = self.z[o - self.params.window + 1 : o + 1].copy()
        if self.params.relative:
            x[:, : self.K] -= x[-1, : self.K]
        return x

    def example(self, o: int) -> Example:
        x = self.window_at(o)
        y = self.z[o + 1 : o + 1 + self.H_out, : self.K]
        if self.params.relative:
            y = y - self.z[o, : self.K]
        return Example(x, y.reshape(-1).astype(np.float32))

    def batches(self, split: Split, batch_size: int, seed: int = 0) -> Iterator[Batch]:
        check_batch_args(split, batch_size)
        origins = self.origins[split]
        if split == "train":
            origins = origins[make_rng(seed, split).permutation(len(origins))]
        return self._iterate(origins, batch_size)

    def _iterate(self, origins: np.ndarray, batch_size: int) -> Iterator[Batch]:
        for start in range(0, len(origins), batch_size):
            chosen = origins[start : start + batch_size]
            batch = collate([self.example(int(o)) for o in chosen], tokens=False, per_step=False)
            batch.extra["origin"] = torch.from_numpy(chosen.astype(np.int64))
            yield batch

    def to_units(self, z: np.ndarray, origins: np.ndarray) -> np.ndarray:
        """Model outputs (N, steps*K) as forecasts (N, steps, K) in the series' units."""
        K = self.K
        out = np.asarray(z, dtype=np.float64).reshape(len(origins), -1, K)
        if self.params.relative:  # a change from the window's last value (mean 0)
            out = out + self.z[origins, None, :K]
        return self.from_z(out)

    def from_z(self, z: np.ndarray) -> np.ndarray:
        """Scaled target values (..., K) in the series' units."""
        K = self.K
        out = np.asarray(z, dtype=np.float64) * self.std[:K] + self.mean[:K]
        return np.exp(out) if self.params.log else out

    def truth(self, origins: np.ndarray, steps: int) -> np.ndarray:
        """(N, steps, K): the true target values after each origin."""
        return self.values[origins[:, None] + np.arange(1, steps + 1)[None, :], : self.K]

    # -- loss, scores ---------------------------------------------------------------------------

    def loss(self, output: Tensor, batch: Batch) -> Tensor:
        check_output(output, batch.y.shape, self.name)
        return F.mse_loss(output, batch.y)

    def score(self, output: Tensor, batch: Batch) -> dict[str, float]:
        check_output(output, batch.y.shape, self.name)
        origins = batch.extra["origin"].cpu().numpy()
        with torch.no_grad():
            z_sq = float(((output.float() - batch.y) ** 2).sum())
            pred = self.to_units(output.detach().float().cpu().numpy(), origins)
        truth = self.truth(origins, self.H_out)
        e = pred - truth
        den = np.abs(truth) + np.abs(pred)
        smape = np.where(den > 0, 200.0 * np.abs(e) / np.where(den > 0, den, 1.0), 0.0)
        return {
            "z_sq_sum": z_sq,
            "sq_sum": float((e**2).sum()),
            "abs_sum": float(np.abs(e).sum()),
            "scaled_abs_sum": float((np.abs(e) / np.array(self.params.mase_scale)).sum()),
            "smape_sum": float(smape.sum()),
            "count": float(e.size),
        }

    def summarize(self, sums: dict[str, float]) -> dict[str, float]:
        n = sums["count"]
        return {
            "loss": ratio(sums["z_sq_sum"], n),  # MSE of the scaled targets
            "mase": ratio(sums.get("scaled_abs_sum", float("nan")), n),
            "rmse": float(np.sqrt(ratio(sums["sq_sum"], n))),
            "mae": ratio(sums["abs_sum"], n),
            "smape": ratio(sums.get("smape_sum", float("nan")), n),
        }

    # -- baselines ------------------------------------------------------------------------------

    @property
    def backtest_origins(self) -> np.ndarray:
        """The test split's rolling origins for a ``horizon``-step forecast."""
        return np.arange(len(self.values) - self.n_test - 1, len(self.values) - self.params.horizon)

    @cached_property
    def arima_order(self) -> tuple[int, int, int]:
        """The ARIMA baseline's (p, d, q): ``params.arima_order``, or (2, d, 1), d by ADF."""
        return arima_order(self.values[: self.n_train, 0], self.params.arima_order)

    def baseline_forecasts(self, origins: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """{'last', 'seasonal', 'arima', 'ets'}: forecasts (N, horizon, K) from ``origins``
        (default: the backtest's), each target on its own (inputs unused)."""
        o = self.backtest_origins if origins is None else origins
        H, m, K = self.params.horizon, self.params.season, self.K
        out: dict[str, list[np.ndarray]] = {"last": [], "seasonal": [], "arima": [], "ets": []}
        self.arima_params = []
        for k in range(K):
            v = self.values[:, k]
            out["last"].append(seasonal_naive(v, o, H, 1))
            out["seasonal"].append(seasonal_naive(v, o, H, m))
            order = self.arima_order if k == 0 else arima_order(v[: self.n_train],
                                                                self.params.arima_order)
            arima, fitted = arima_forecasts(v, self.n_train, o, H, order, m)
            out["arima"].append(arima)
            self.arima_params.append(fitted)
            out["ets"].append(ets_forecasts(v, self.n_train, o, H, m))
        return {name: np.stack(f, axis=-1) for name, f in out.items()}

    @cached_property
    def _baselines(self) -> dict[str, dict[str, float]]:
        o = self.backtest_origins
        truth = self.truth(o, self.params.horizon)
        scale = np.array(self.params.mase_scale)
        return {name: forecast_metrics(pred, truth, scale)
                for name, pred in self.baseline_forecasts(o).items()}

    def baselines(self) -> dict[str, dict[str, float]]:
        """{'last' | 'seasonal' | 'arima' | 'ets': {'mase', 'rmse', 'mae', 'smape'}} on the
        backtest's origins, in original units."""
        return {name: dict(m) for name, m in self._baselines.items()}


