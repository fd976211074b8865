"""Forecasting: splits, windows, normalisation, CSV errors, baselines on the test tail only."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rnnlab.errors import UserError
from rnnlab.tasks import make_task

pytest.importorskip("statsmodels")


def ar2_series(n=160, seed=0):
    rng = np.random.default_rng(seed)
    v = np.zeros(n)
    for t in range(2, n):
        v[t] = 0.6 * v[t - 1] - 0.3 * v[t - 2] + rng.normal()
    return 50.0 + 5.0 * v


def write_csv(path, values, column="load", extra=True):
    with open(path, "w") as f:
        f.write(f"day,{column}\n" if extra else f"{column}\n")
        for i, v in enumerate(values):
            f.write(f"{i},{float(v)!r}\n" if extra else f"{float(v)!r}\n")
    return str(path)


@pytest.fixture
def series_csv(tmp_path):
    return write_csv(tmp_path / "series.csv", ar2_series())


def test_splits_windows_and_normalisation(series_csv):
    task = make_task("forecast", series=series_csv, column="load", window=6, horizon=2,
                     test_size=0.25, valid_size=20)
    n = 160
    assert (task.n_test, task.n_valid, task.n_train) == (40, 20, 100)
    # an origin o reads o-5..o and forecasts o+1, o+2; it belongs to the split holding both
    assert task.origins["test"].tolist() == list(range(119, 158))
    assert task.origins["valid"].tolist() == list(range(99, 118))
    assert task.origins["train"][0] == 5 and task.origins["train"][-1] == 97
    assert task.spec.input_size == 1 and task.spec.output_size == 2
    z = task.z[: task.n_train]
    assert abs(z.mean()) < 1e-5 and abs(z.std() - 1) < 1e-5
    batch = next(task.batches("test", 8))
    assert batch.x.shape == (8, 6, 1) and batch.y.shape == (8, 2)
    o = int(batch.extra["origin"][0])
    assert o == 119
    assert np.allclose(batch.x[0, :, 0].numpy(), task.z[o - 5 : o + 1, 0])
    assert np.allclose(batch.y[0].numpy(), task.z[o + 1 : o + 3, 0])
    units = task.to_units(batch.y[:1].numpy(), np.array([o]))
    assert np.allclose(units[0, :, 0], task.values[o + 1 : o + 3, 0], rtol=1e-5)
    train_origins = torch.cat([b.extra["origin"] for b in task.batches("train", 16, 1)])
    assert sorted(train_origins.tolist()) == list(range(5, 98))
    assert train_origins.tolist() != sorted(train_origins.tolist())  # one shuffled epoch
    assert n == len(task.values)


def test_relative_mode_predicts_the_change_from_the_last_value(series_csv):
    task = make_task("forecast", series=series_csv, column="load", window=6, horizon=2,
                     relative=True)
    train = task.values[: task.n_train, 0]
    s = float((train[2:] - train[:-2]).std())
    assert task.std[0] == pytest.approx(s)
    batch = next(task.batches("test", 4))
    o = int(batch.extra["origin"][0])
    last = task.values[o, 0]
    window = task.values[o - 5 : o + 1, 0]
    assert np.allclose(batch.x[0, :, 0].numpy(), (window - last) / s, atol=1e-5)
    assert float(batch.x[0, -1, 0]) == 0.0
    assert np.allclose(batch.y[0].numpy() * s, task.values[o + 1 : o + 3, 0] - last, rtol=1e-4)
    # Outputting 0 ("no change") is exactly the last-value baseline.
    sums: dict[str, float] = {}
    for b in task.batches("test", 16):
        for k, v in task.score(torch.zeros_like(b.y), b).items():
            sums[k] = sums.get(k, 0.0) + v
    metrics, last_value = task.summarize(sums), task.baselines()["last"]
    for name in ("rmse", "mae", "mase", "smape"):
        assert metrics[name] == pytest.approx(last_value[name], rel=1e-4)


def test_scores_are_in_original_units(series_csv):
    task = make_task("forecast", series=series_csv, column="load", window=5)
    sums: dict[str, float] = {}
    one_unit = 1.0 / task.std[0]
    for batch in task.batches("test", 7):
        assert task.score(batch.y, batch)["sq_sum"] == pytest.approx(0.0, abs=1e-6)
        for k, v in task.score(batch.y + one_unit, batch).items():
            sums[k] = sums.get(k, 0.0) + v
    metrics = task.summarize(sums)
    assert metrics["rmse"] == pytest.approx(1.0, rel=1e-4)
    assert metrics["mae"] == pytest.approx(1.0, rel=1e-4)
    assert metrics["mase"] == pytest.approx(1.0 / task.params.mase_scale[0], rel=1e-4)
    assert metrics["loss"] == pytest.approx(one_unit**2, rel=1e-4)


def test_baselines_on_the_test_tail_with_arima_fitted_on_training_only(tmp_path):
    values = ar2_series(n=200)
    task = make_task("forecast", series=write_csv(tmp_path / "a.csv", values), column="load",
                     window=4, horizon=2, arima_order=(2, 0, 1), season=3)
    base = task.baselines()
    assert set(base) == {"last", "seasonal", "arima", "ets"}
    origins = task.backtest_origins
    assert origins[0] == 200 - 40 - 1 and origins[-1] == 200 - 2 - 1
    truth = np.stack([values[origins + 1], values[origins + 2]], axis=1)
    last = values[origins][:, None]
    assert base["last"]["rmse"] == pytest.approx(np.sqrt(np.mean((last - truth) ** 2)))
    assert base["last"]["mae"] == pytest.approx(np.mean(np.abs(last - truth)))
    seasonal = np.stack([values[origins - 2], values[origins - 1]], axis=1)  # season 3
    assert base["seasonal"]["mae"] == pytest.approx(np.mean(np.abs(seasonal - truth)))
    train = values[: task.n_train]
    scale = np.mean(np.abs(train[3:] - train[:-3]))
    assert task.params.mase_scale[0] == pytest.approx(scale)
    assert base["seasonal"]["mase"] == pytest.approx(base["seasonal"]["mae"] / scale)
    assert all(math.isfinite(v) for m in base.values() for v in m.values())
    assert base["arima"]["rmse"] < base["last"]["rmse"]  # an AR(2) series: ARIMA does better


def test_arima_forecasts_are_statsmodels_own_from_each_origin(tmp_path):
    from statsmodels.tsa.arima.model import ARIMA

    values = ar2_series(n=200)
    task = make_task("forecast", series=write_csv(tmp_path / "a.csv", values), column="load",
                     window=4, horizon=3, arima_order=(2, 0, 1))
    origins = task.backtest_origins[[0, 17]]
    ours = task.baseline_forecasts(origins)["arima"][:, :, 0]
    fitted = ARIMA(values[: task.n_train], order=(2, 0, 1), trend="c").filter(
        task.arima_params[0])
    for k, o in enumerate(origins):
        ref = fitted.apply(values[: o + 1]).forecast(3)
        assert np.allclose(ours[k], ref, rtol=1e-6)
    # a different test tail leaves the fitted parameters unchanged
    changed = values.copy()
    changed[task.n_train :] += np.random.default_rng(1).normal(0, 5, len(values) - task.n_train)
    other = make_task("forecast", series=write_csv(tmp_path / "b.csv", changed), column="load",
                      window=4, horizon=3, arima_order=(2, 0, 1))
    other.baselines()
    assert np.allclose(other.arima_params[0], task.arima_params[0])


def test_builtin_series_load_offline():
    sunspots = make_task("forecast", series="sunspots")
    assert len(sunspots.values) == 309 and np.isfinite(sunspots.values).all()
    base = sunspots.baselines()  # the automatic order: an ADF test picks d
    assert sunspots.arima_order in ((2, 0, 1), (2, 1, 1))
    assert all(math.isfinite(v) and v > 0 for m in base.values() for v in m.values())
    airline = make_task("forecast", series="airline", horizon=12, test_size=36)
    assert len(airline.values) == 144 and airline.params.season == 12
    assert str(airline.data.dates[0].date()) == "1949-01-01" and airline.data.freq == "MS"
    co2 = make_task("forecast", series="co2", window=52)
    assert len(co2.values) == 2284 and np.isfinite(co2.values).all()  # gaps interpolated
    assert co2.values.min() > 300


@pytest.mark.parametrize(
    ("rows", "column", "pattern"),
    [
        ("day,load\n0,1.5\n1,\n2,3\n", "load", "missing value in line 3, column 'load'"),
        ("day,load\n0,1.5\n1,NA\n", "load", "missing value in line 3"),
        ("day,load\n0,1.5\n1,2.5\n2,abc\n", "load",
         "non-numeric value 'abc' in line 4, column 'load'"),
        ("day,load\n0,1.5\n", "price", "no column 'price'; columns: day, load"),
        ("day,load\n0,1.5\n", "", "columns day, load: choose one with column=NAME"),
        ("", "load", "empty"),
    ],
)
def test_csv_errors_name_the_problem(tmp_path, rows, column, pattern):
    path = tmp_path / "bad.csv"
    path.write_text(rows)
    with pytest.raises(UserError, match=pattern):
        make_task("forecast", series=str(path), column=column)


def test_missing_csv_and_too_short_series(tmp_path):
    with pytest.raises(UserError, match="neither sunspots, co2, airline nor a CSV file"):
        make_task("forecast", series=str(tmp_path / "nope.csv"))
    short = write_csv(tmp_path / "short.csv", ar2_series(n=20), extra=False)
    with pytest.raises(UserError, match="too short"):
        make_task("forecast", series=short, window=15)
    one_column = write_csv(tmp_path / "one.csv", ar2_series(), extra=False)
    single = make_task("forecast", series=one_column, window=3)
    assert len(single.values) == 160  # a one-column file needs no column=


def test_params_round_trip(series_csv):
    import json

    task = make_task("forecast", series=series_csv, column="load", window=7, arima_order=(1, 0, 0))
    again = make_task("forecast", **json.loads(json.dumps(task.params.to_dict())))
    assert again.params == task.params and again.params.arima_order == (1, 0, 0)
    assert np.array_equal(again.z, task.z)


def test_ets_forecasts_are_statsmodels_own_from_each_origin():
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    task = make_task("forecast", series="airline", horizon=12, test_size=36)
    origins = task.backtest_origins[[0, 9, 24]]
    ours = task.baseline_forecasts(origins)["ets"][:, :, 0]
    values = task.values[:, 0]
    options = {"trend": "add", "damped_trend": True, "seasonal": "mul", "seasonal_periods": 12}
    p = ExponentialSmoothing(values[: task.n_train], initialization_method="estimated",
                             **options).fit().params
    for k, o in enumerate(origins):
        ref = ExponentialSmoothing(
            values[: o + 1], initialization_method="known", initial_level=p["initial_level"],
            initial_trend=p["initial_trend"], initial_seasonal=p["initial_seasons"], **options,
        ).fit(optimized=False, smoothing_level=p["smoothing_level"],
              smoothing_trend=p["smoothing_trend"], smoothing_seasonal=p["smoothing_seasonal"],
              damping_trend=p["damping_trend"]).forecast(12)
        assert np.allclose(ours[k], ref, rtol=1e-9)
