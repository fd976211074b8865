"""compare on a forecast task: each network's backtest beside the classical baselines."""

from __future__ import annotations

import pytest

from rnnlab.compare import CompareConfig, compare
from rnnlab.compare.config import build_task
from rnnlab.train.backtest import backtest

pytest.importorskip("statsmodels")
AIRLINE = {"series": "airline", "horizon": 12, "window": 24, "log": True}


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "forecast.html"
    config = CompareConfig(task="forecast", models=("mlp", "gru"), budget=2000, steps=20,
                           minutes=0, eval_every=10, seeds=2, output=str(out),
                           task_params=AIRLINE)
    return compare(config)


def test_networks_and_baselines_share_the_table(result):
    task = build_task(CompareConfig(task="forecast", task_params=AIRLINE))
    rows = {r.label: r for r in result.data.backtest}
    assert [r.baseline for r in result.data.backtest] == [False] * 2 + [True] * 4
    assert {"last value", "seasonal naive", "ARIMA", "ETS"} <= set(rows)
    for label, runs in result.runs.items():
        per_seed = [backtest(r.model, task, baselines=False)["model"]["mase"]
                    for r in runs]
        mean, sd = rows[label].metrics["mase"]
        assert mean == pytest.approx(sum(per_seed) / len(per_seed), rel=1e-6) and sd is not None
        assert set(rows[label].metrics) == {"mase", "rmse", "mae", "smape"}


def test_the_report_shows_the_section_and_the_reading_says_it(result):
    html = result.path.read_text(encoding="utf-8")
    assert 'id="backtest"' in html and "seasonal naive" in html and "12-step forecasts" in html
    assert any(s.startswith("On the rolling-origin backtest the best network") and "MASE" in s
               for s in result.reading)


def test_other_tasks_have_no_backtest(tmp_path):
    out = compare(CompareConfig(task="adding", task_params={"T": 22}, models=("gru",),
                                budget=300, steps=5, minutes=0, eval_every=5, eval_size=32,
                                output=str(tmp_path / "r.html")))
    assert out.data.backtest == [] and 'id="backtest"' not in out.path.read_text()
