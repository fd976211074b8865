"""``rnnlab.Forecaster``: the forecast task with scikit-learn's conventions.

Hyper-parameters round-trip (get_params/set_params/clone), a fitted forecaster pickles and
saves with its series, a checkpoint of ``rnnlab train --task forecast`` loads as one and
forecasts what ``rnnlab forecast`` writes, and bad series are one line.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("pandas")

from sklearn.base import clone

import rnnlab
from rnnlab import Forecaster
from rnnlab.cli import main
from rnnlab.errors import UserError

pd = pytest.importorskip("pandas")

SMALL = {"horizon": 4, "window": 12, "hidden_size": 8, "steps": 30, "lr": 0.01,
         "family": "gru"}


def wave(n=150, seed=0, start="2020-01-01"):
    """A noisy daily sine of period 10 around 50, as a pandas Series with dates."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 50 + 10 * np.sin(2 * np.pi * t / 10) + rng.normal(0, 1, n)
    return pd.Series(values, index=pd.date_range(start, periods=n, freq="D"), name="load")


def test_exported_and_params_round_trip():
    assert rnnlab.Forecaster is Forecaster
    f = Forecaster(horizon=12, window=24, log=True, family="gru")
    params = f.get_params()
    assert (params["horizon"], params["window"], params["log"]) == (12, 24, True)
    copy = clone(f)
    assert copy.get_params() == params and copy is not f
    assert f.set_params(hidden_size=7, season=12).get_params()["season"] == 12


def test_pandas_in_dated_forecasts_out_and_arrays_in_arrays_out():
    y = wave()
    f = Forecaster(**SMALL).fit(y)
    forecast = f.predict()
    assert isinstance(forecast, pd.Series) and forecast.name == "load" and len(forecast) == 4
    assert str(forecast.index[0].date()) == "2020-05-30"  # the day after the last
    assert len(f.predict(10)) == 10  # targets only: rolled forward past the horizon
    newer = f.predict(y=wave(60, seed=1, start="2021-01-01"))
    assert str(newer.index[0].date()) == "2021-03-02"
    plain = Forecaster(**SMALL).fit(y.to_numpy())
    assert isinstance(plain.predict(), np.ndarray) and plain.predict().shape == (4,)
    assert np.allclose(plain.predict(), forecast.to_numpy())  # the same model: dates aside


def test_several_targets_and_inputs():
    y = wave()
    targets = pd.DataFrame({"load": y, "double": 2 * y + 1})
    inputs = pd.DataFrame({"temp": np.cos(np.arange(150) / 3)}, index=y.index)
    f = Forecaster(**SMALL).fit(targets, inputs)
    assert f.columns_ == ("load", "double", "temp") and f.n_targets_ == 2
    forecast = f.predict()
    assert list(forecast.columns) == ["load", "double"] and forecast.shape == (4, 2)
    with pytest.raises(UserError, match="ask for at most 4 steps"):
        f.predict(8)  # the future of temp is unknown


def test_score_backtest_pickle_save_load(tmp_path):
    y = wave()
    f = Forecaster(**SMALL, season=10).fit(y[:-4])
    score = f.score(y[-4:])
    truth, forecast = y[-4:].to_numpy(), f.predict().to_numpy()
    assert score == pytest.approx(-np.abs(truth - forecast).mean() / f.task_.params.mase_scale[0])
    results = f.backtest()
    assert set(results) == {"model", "last", "seasonal", "arima", "ets"}
    assert set(results["model"]) == {"mase", "rmse", "mae", "smape"}
    again = pickle.loads(pickle.dumps(f))
    assert np.array_equal(again.predict(), f.predict())
    loaded = Forecaster.load(f.save(tmp_path / "f"))
    assert loaded.predict().equals(f.predict()) and loaded.get_params() == f.get_params()
    # the command line works from the checkpoint alone: the series is in it
    assert main(["forecast", str(tmp_path / "f"), "-o", str(tmp_path / "f.csv")]) == 0
    written = pd.read_csv(tmp_path / "f.csv")
    assert np.allclose(written["load"], f.predict().to_numpy())
    assert list(written["date"]) == [str(d.date()) for d in f.predict().index]
    assert main(["evaluate", str(tmp_path / "f"), "--split", "test"]) == 0


def test_a_command_line_forecaster_loads_and_agrees_with_rnnlab_forecast(tmp_path):
    y = wave()
    frame = pd.DataFrame({"date": y.index.strftime("%Y-%m-%d"), "load": y.to_numpy()})
    frame.to_csv(tmp_path / "s.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "s.csv"), "--kind", "forecast", "-p",
                 "target=load", "-p", "date=date", "-p", "horizon=4", "-p", "window=12",
                 "--family", "gru", "--hidden-size", "8", "--steps", "20", "--out-dir",
                 str(run), "--no-progress"]) == 0
    assert main(["forecast", str(run), "-o", str(tmp_path / "f.csv")]) == 0
    written = pd.read_csv(tmp_path / "f.csv")
    f = Forecaster.load(run)
    assert (f.horizon, f.window, f.hidden_size) == (4, 12, 8)
    forecast = f.predict()
    assert np.allclose(forecast.to_numpy(), written["load"].to_numpy())
    assert list(written["date"]) == [str(d.date()) for d in forecast.index]


def test_bad_series_are_one_clear_line():
    y = wave()
    fitted = Forecaster(**SMALL).fit(y)
    doubled = pd.concat([y, y[-1:]])
    cases = [
        (lambda: Forecaster(**SMALL).fit(y.where(y > 45)), ["NaN or inf", "step"]),
        (lambda: Forecaster(**SMALL).fit(y, np.zeros(10)), ["X has 10 steps, y has 150"]),
        (lambda: Forecaster(**SMALL).fit(doubled), ["twice"]),
        (lambda: Forecaster(**SMALL, valid_size=0).fit(y[:20]), ["too short"]),
        (lambda: Forecaster(**SMALL).fit(np.zeros((150, 2, 2))), ["shape (150, 2, 2)"]),
        (lambda: Forecaster(**{**SMALL, "horizon": 60}).fit(y), ["horizon 60 is longer"]),
        (lambda: fitted.predict(0), ["horizon must be a whole number >= 1"]),
        (lambda: fitted.predict(y=y.rename("other")), ["columns other", "fitted on load"]),
        (lambda: fitted.predict(y=y[:5]), ["fewer than the model's window of 12"]),
        (lambda: Forecaster.load("/nonexistent/run"), []),
    ]
    for run, words in cases:
        with pytest.raises(ValueError) as info:
            run()
        assert isinstance(info.value, UserError) and "\n" not in str(info.value), info.value
        for word in words:
            assert word in str(info.value)


@pytest.mark.learning
def test_a_forecaster_learns_a_seasonal_series(seed):
    y = wave(400, seed=seed)
    f = Forecaster(horizon=5, window=20, season=10, family="gru", hidden_size=16, steps=300,
                   lr=0.01, seed=seed).fit(y)
    results = f.backtest(baselines=False)
    # noise of std 1 on a wave of amplitude 10: last value is far off (MASE 8.0-9.3 for seeds
    # 0-4), ARIMA and ETS reach 0.65-0.79; this model reached 0.72-0.89 when it was written
    assert results["model"]["mase"] < 1.5, results
