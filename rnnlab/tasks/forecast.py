r"""One-series forecasting: from the last ``window`` values, predict the value ``horizon`` ahead.

Series: statsmodels' ``sunspots`` (yearly sunspot activity 1700-2008, 309 values), ``co2``
(weekly Mauna Loa CO2 1958-2001, 2284 values; its 59 missing values filled by linear
interpolation), or a numeric column of a CSV file (``series=PATH``, ``column=NAME``).

Splits are in time order: the held-out tail (``test_size``) is the test split, the
``valid_size`` points before it validation, the rest training. An example with target index j
reads values j - horizon - window + 1 .. j - horizon and belongs to the split that holds j
(inputs may reach back into an earlier split: they are the observed past). Values are
normalised with the training part's mean and standard deviation; the model outputs the
normalised target (MSE loss), and the metrics ``rmse`` and ``mae`` are in original units.

With ``relative=true`` the model sees the window relative to its last value and predicts the
change from it: inputs :math:`(x_{e-k} - x_e)/s`, target :math:`(x_j - x_e)/s`, where
:math:`x_e` is the window's last value and :math:`s` the standard deviation of the training
part's ``horizon``-step changes. The forecast is :math:`x_e + s\,\hat y`. A trending series
(co2) then needs no extrapolation of its level, which a network fitted on normalised training
values cannot do; the last-value baseline is the model that outputs 0.

``baselines()`` scores, on the same test targets: ``last`` (the last input value) and
``arima``, a statsmodels ARIMA fitted on the training part only (order ``arima_order``, or
(2, d, 1) with d = 0 when an ADF test on the training part rejects a unit root at 5 %, else
d = 1; a constant for d = 0, a drift for d = 1; exact MLE), forecasting ``horizon`` steps
ahead from each test origin with the fitted parameters.
"""

from __future__ import annotations

import csv
import math
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

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
    check_output,
    check_range,
    collate,
    make_rng,
    ratio,
)
from rnnlab.tasks.packaged import require

BUILTIN = ("sunspots", "co2")


@dataclass
class ForecastParams(TaskParams):
    series: str = "sunspots"  # sunspots | co2 | path of a CSV file
    column: str = ""  # CSV: the column to forecast (may be empty when the file has one column)
    window: int = 20  # past values the model reads
    horizon: int = 1  # how many steps ahead of the window's last value to predict
    test_size: float = 0.2  # held-out tail: a fraction (< 1) or a number of points (>= 1)
    valid_size: float = 0.1  # points before the tail for validation: fraction or number
    arima_order: tuple[int, ...] = ()  # (p, d, q) of the ARIMA baseline; () = (2, d, 1), d by ADF
    relative: bool = False  # predict the change from the window's last value (trending series)

    def check(self) -> None:
        check_range("forecast", "window", self.window, 1)
        check_range("forecast", "horizon", self.horizon, 1)
        check_range("forecast", "test_size", self.test_size, 0.0)
        check_range("forecast", "valid_size", self.valid_size, 0.0)
        if self.test_size == 0:
            raise UserError("task 'forecast': test_size must be > 0")
        if self.arima_order and (len(self.arima_order) != 3 or min(self.arima_order) < 0):
            raise UserError(
                f"task 'forecast': arima_order = {self.arima_order!r} must be (p, d, q) >= 0"
            )


def load_builtin(name: str) -> np.ndarray:
    datasets = require("statsmodels.api", "forecast").datasets
    if name == "sunspots":
        return datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(dtype=np.float64)
    co2 = datasets.co2.load_pandas().data["co2"].interpolate(limit_direction="both")
    return co2.to_numpy(dtype=np.float64)


def load_csv(path: str, column: str) -> np.ndarray:
    """One numeric column; UserError naming the line/column of a missing or bad value."""
    if not os.path.isfile(path):
        raise UserError(f"series {path!r} is neither {' nor '.join(BUILTIN)} nor a CSV file")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text") from None
    except csv.Error as e:  # e.g. a field over csv's 131,072-character limit
        raise UserError(f"{path} is not a CSV file rnnlab can read ({e})") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise UserError(f"CSV file {path} is empty (it needs a header row and values)")
    header = [h.strip() for h in rows[0]]
    if not column:
        if len(header) != 1:
            raise UserError(f"{path} has columns {', '.join(header)}: choose one with column=NAME")
        column = header[0]
    if column not in header:
        raise UserError(f"{path} has no column {column!r}; columns: {', '.join(header)}")
    c = header.index(column)
    values = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank line
        cell = row[c].strip() if c < len(row) else ""
        if cell == "" or cell.lower() in ("na", "nan", "null", "none"):
            raise UserError(f"{path}: missing value in line {line}, column {column!r}")
        try:
            value = float(cell)
        except ValueError:
            raise UserError(
                f"{path}: non-numeric value {cell!r} in line {line}, column {column!r}"
            ) from None
        if not math.isfinite(value):
            raise UserError(f"{path}: non-finite value {cell!r} in line {line}, column {column!r}")
        values.append(value)
    if not values:
        raise UserError(f"{path}: column {column!r} has no values")
    return np.array(values, dtype=np.float64)


def _count(size: float, n: int) -> int:
    return int(size) if size >= 1 else round(n * size)


class ForecastTask(ParamTask):
    """Window-to-value regression on one series, with naive and ARIMA baselines."""

    name = "forecast"
    description = "Forecast a series (sunspots, co2 or a CSV column) from a window of past values"
    Params = ForecastParams
    params: ForecastParams

    def setup(self) -> None:
        p = self.params
        series = p.series
        self.values = load_builtin(series) if series in BUILTIN else load_csv(series, p.column)
        n = len(self.values)
        self.n_test, self.n_valid = _count(p.test_size, n), _count(p.valid_size, n)
        self.n_train = n - self.n_test - self.n_valid
        first = p.window - 1 + p.horizon  # the first index that can be a target
        if self.n_test < 1 or self.n_train - first < 2:
            raise UserError(
                f"series of {n} values is too short for window {p.window}, horizon {p.horizon}, "
                f"test {self.n_test} and valid {self.n_valid} points (training needs 2 examples)"
            )
        train = self.values[: self.n_train]
        if p.relative:  # scale by the spread of the changes to predict; no level to remove
            changes = train[p.horizon :] - train[: -p.horizon]
            self.mean, self.std = 0.0, float(changes.std()) or 1.0
        else:
            self.mean, self.std = float(train.mean()), float(train.std()) or 1.0
        self.z = ((self.values - self.mean) / self.std).astype(np.float32)
        self.targets = {
            "train": np.arange(first, self.n_train),
            "valid": np.arange(self.n_train, self.n_train + self.n_valid),
            "test": np.arange(n - self.n_test, n),
        }
        self.spec = TaskSpec("features", 1, "regression", 1, False, bidirectional_ok=True)

    def example(self, j: int) -> Example:
        end = j - self.params.horizon + 1
        x, y = self.z[end - self.params.window : end, None], self.z[j : j + 1]
        if self.params.relative:
            x, y = x - x[-1], y - x[-1, 0]
        return Example(x, y)

    def batches(self, split: Split, batch_size: int, seed: int = 0) -> Iterator[Batch]:
        check_batch_args(split, batch_size)
        targets = self.targets[split]
        if split == "train":
            targets = targets[make_rng(seed, split).permutation(len(targets))]
        return self._iterate(targets, batch_size)

    def _iterate(self, targets: np.ndarray, batch_size: int) -> Iterator[Batch]:
        for start in range(0, len(targets), batch_size):
            chosen = targets[start : start + batch_size]
            batch = collate([self.example(int(j)) for j in chosen], tokens=False, per_step=False)
            batch.extra["target_index"] = torch.from_numpy(chosen.astype(np.int64))
            yield batch

    def denormalize(self, z: Tensor | np.ndarray, last: float = 0.0) -> Tensor | np.ndarray:
        """A model output in the series' units; with ``relative``, ``last`` is the window's
        last value, which the output is a change from."""
        return z * self.std + self.mean + (last if self.params.relative else 0.0)

    # -- loss, scores, baselines ---------------------------------------------------------------

    def loss(self, output: Tensor, batch: Batch) -> Tensor:
        check_output(output, batch.y.shape, self.name)
        return F.mse_loss(output, batch.y)

    def score(self, output: Tensor, batch: Batch) -> dict[str, float]:
        check_output(output, batch.y.shape, self.name)
        with torch.no_grad():
            z_error = output.float() - batch.y
            error = z_error * self.std  # original units
            return {
                "z_sq_sum": float((z_error**2).sum()),
                "sq_sum": float((error**2).sum()),
                "abs_sum": float(error.abs().sum()),
                "count": float(batch.y.numel()),
            }

    def summarize(self, sums: dict[str, float]) -> dict[str, float]:
        return {
            "loss": ratio(sums["z_sq_sum"], sums["count"]),  # MSE of normalised values
            "rmse": math.sqrt(ratio(sums["sq_sum"], sums["count"])),
            "mae": ratio(sums["abs_sum"], sums["count"]),
        }

    @cached_property
    def arima_order(self) -> tuple[int, int, int]:
        """The baseline's (p, d, q): ``params.arima_order``, or (2, d, 1), d by an ADF test."""
        if self.params.arima_order:
            p, d, q = self.params.arima_order
            return p, d, q
        adfuller = require("statsmodels.tsa.stattools", self.name).adfuller
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p_value = adfuller(self.values[: self.n_train], autolag="AIC")[1]
        return (2, 0, 1) if p_value < 0.05 else (2, 1, 1)

    def arima_forecasts(self, targets: np.ndarray) -> np.ndarray:
        """ARIMA forecasts of values[targets], each from origin target - horizon.

        Parameters are fitted on the training part only; the fitted model is then run (not
        refitted) over the whole series, and the h-step forecast from origin t is the state
        prediction a(t+1|t) carried h - 1 more steps through the transition.
        """
        arima = require("statsmodels.tsa.arima.model", self.name)
        order = self.arima_order
        trend = "c" if order[1] == 0 else ("t" if order[1] == 1 else "n")
        model = arima.ARIMA(self.values[: self.n_train], order=order, trend=trend)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter from statsmodels
            try:  # exact MLE via the innovations algorithm: several times faster
                fitted = model.fit(method="innovations_mle")
            except (ValueError, np.linalg.LinAlgError):
                fitted = model.fit()
            applied = fitted.apply(self.values)
        self.arima_params = np.asarray(fitted.params)  # fitted on the training part only
        ssm = applied.model.ssm
        state = applied.filter_results.predicted_state  # (k, n + 1): a(t | t-1)
        T, Z = ssm["transition"], ssm["design"]
        T, Z = (T[:, :, 0] if T.ndim == 3 else T), (Z[:, :, 0] if Z.ndim == 3 else Z)
        c = ssm["state_intercept"].reshape(len(T), -1)
        d = ssm["obs_intercept"].reshape(1, -1)
        h = self.params.horizon
        origins = targets - h
        a = state[:, origins + 1]
        for j in range(1, h):
            a = T @ a + (c[:, origins + j] if c.shape[1] > 1 else c)
        return (Z @ a + (d[:, targets] if d.shape[1] > 1 else d))[0]

    @cached_property
    def _baselines(self) -> dict[str, dict[str, float]]:
        targets = self.targets["test"]
        truth = self.values[targets]
        predictions = {
            "last": self.values[targets - self.params.horizon],
            "arima": self.arima_forecasts(targets),
        }
        return {
            name: {
                "rmse": float(np.sqrt(np.mean((pred - truth) ** 2))),
                "mae": float(np.mean(np.abs(pred - truth))),
            }
            for name, pred in predictions.items()
        }

    def baselines(self) -> dict[str, dict[str, float]]:
        """{'last': {'rmse', 'mae'}, 'arima': {...}} on the test targets, original units."""
        return {name: dict(m) for name, m in self._baselines.items()}
