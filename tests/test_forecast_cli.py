"""Forecasting from the command line: multivariate CSVs with dates, a horizon, recursive
forecasts, `rnnlab forecast` past the end, the backtest table, and bad input in one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers_cli import one_line_error

from rnnlab.cli import main
from rnnlab.tasks import make_task

pytest.importorskip("statsmodels")
pytest.importorskip("pandas")


def write_weather(path: Path, n: int = 120, shuffle: bool = False, drop: int = -1) -> Path:
    """Daily rows: date, temp (target), load (target), wind (input), a text column."""
    rng = np.random.default_rng(0)
    days = np.arange(n)
    dates = np.datetime64("2024-01-01") + days
    temp = 10 + 5 * np.sin(2 * np.pi * days / 7) + rng.normal(0, 0.5, n)
    wind = rng.normal(3, 1, n)
    load = 50 + 2 * temp + wind + rng.normal(0, 0.5, n)
    rows = [f"{d},{float(t)!r},{float(w)!r},{float(ld)!r},x{i}"
            for i, (d, t, w, ld) in enumerate(zip(dates, temp, wind, load, strict=True))
            if i != drop]
    if shuffle:
        rows = [rows[i] for i in np.random.default_rng(1).permutation(len(rows))]
    path.write_text("when,temp,wind,load,note\n" + "\n".join(rows) + "\n")
    return path


def train(out: Path, *params: str, steps: int = 5) -> None:
    argv = ["train", "--task", "forecast", "--family", "gru", "--hidden-size", "6",
            "--steps", str(steps), "--out-dir", str(out), "--progress", "false"]
    for p in params:
        argv += ["-p", p]
    assert main(argv) == 0


def test_multivariate_csv_with_dates_direct_horizon(tmp_path: Path) -> None:
    csv = write_weather(tmp_path / "weather.csv", shuffle=True)
    task = make_task("forecast", series=str(csv), target="temp,load", date="when", window=7,
                     horizon=3, season=7)
    assert task.data.columns == ("temp", "load", "wind")  # targets first; text column left out
    assert task.spec.input_size == 3 and task.spec.output_size == 6
    assert task.data.freq == "D" and str(task.data.dates[0].date()) == "2024-01-01"
    assert np.all(np.diff(task.data.dates.to_numpy()) > np.timedelta64(0))  # put in date order
    assert task.params.inputs == "wind" and task.params.target == "temp,load"
    batch = next(task.batches("test", 4))
    assert batch.x.shape == (4, 7, 3) and batch.y.shape == (4, 6)
    # the outputs are step-major: y[:, h*K + k] is target k, h + 1 steps ahead
    o = int(batch.extra["origin"][0])
    assert np.allclose(task.to_units(batch.y[:1].numpy(), np.array([o]))[0],
                       task.values[o + 1 : o + 4, :2], rtol=1e-5)


def test_gaps_are_reported_in_one_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    csv = write_weather(tmp_path / "gappy.csv", drop=50)
    with caplog.at_level("WARNING"):
        make_task("forecast", series=str(csv), target="temp", inputs="none", date="when")
    (record,) = [r for r in caplog.records if "gap" in r.getMessage()]
    assert "1 gap(s)" in record.getMessage() and "2024-02-19" in record.getMessage()


def test_forecast_past_the_end_writes_a_dated_csv_and_a_plot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = write_weather(tmp_path / "weather.csv")
    train(tmp_path / "run", f"series={csv}", "target=temp", "inputs=none", "date=when",
          "window=7", "horizon=4")
    capsys.readouterr()
    out, png = tmp_path / "forecast.csv", tmp_path / "forecast.png"
    assert main(["forecast", str(tmp_path / "run"), "--horizon", "10", "-o", str(out),
                 "--plot", str(png)]) == 0  # 10 > 4: rolled forward (inputs are the targets)
    lines = out.read_text().splitlines()
    assert lines[0] == "step,date,temp" and len(lines) == 11
    assert lines[1].startswith("1,2024-04-30,") and lines[10].startswith("10,2024-05-09,")
    assert all(np.isfinite(float(line.split(",")[2])) for line in lines[1:])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # from a holdout the truth is written beside the forecast
    assert main(["forecast", str(tmp_path / "run"), "--holdout", "4", "-o", str(out),
                 "--overwrite"]) == 0  # a CSV carries no mark: replacing it is asked for
    lines = out.read_text().splitlines()
    assert lines[0] == "step,date,temp,temp_truth" and len(lines) == 5
    truth = make_task("forecast", series=str(csv), target="temp", inputs="none",
                      date="when").values[-4:, 0]
    assert [float(line.split(",")[3]) for line in lines[1:]] == pytest.approx(truth.tolist())


def test_recursive_strategy_and_the_backtest_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = write_weather(tmp_path / "weather.csv")
    train(tmp_path / "run", f"series={csv}", "target=temp", "inputs=none", "window=7",
          "horizon=5", "strategy=recursive", "season=7")
    task = make_task("forecast", series=str(csv), target="temp", inputs="none", window=7,
                     horizon=5, strategy="recursive")
    assert task.spec.output_size == 1  # one step, fed back
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "run"), "--split", "test"]) == 0
    out = capsys.readouterr().out
    assert "5-step forecasts (recursive)" in out and "season-7 naive" in out
    for row in ("network", "last value", "seasonal naive", "ARIMA", "ETS"):
        assert row in out
    assert main(["evaluate", str(tmp_path / "run"), "--split", "test", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert {"mase", "smape", "baseline_seasonal_mase", "baseline_ets_rmse"} <= set(metrics)


def test_more_steps_than_the_horizon_need_inputs_that_are_targets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = write_weather(tmp_path / "weather.csv")
    train(tmp_path / "run", f"series={csv}", "target=temp", "window=7", "horizon=3")
    one_line_error(capsys, ["forecast", str(tmp_path / "run"), "--horizon", "6"],
                   "at most 3 steps", "input column")


@pytest.mark.parametrize(
    ("rows", "params", "words"),
    [
        ("when,temp\n2024-01-01,1\n", ["target=price"], ["no column 'price'", "temp"]),
        ("when,temp\n2024-01-01,1\nyesterday,2\n", ["target=temp", "date=when"],
         ["unparseable date 'yesterday' in line 3", "when"]),
        ("when,temp\n2024-01-01,1\n2024-01-01,2\n", ["target=temp", "date=when"],
         ["appears twice"]),
        ("temp\n" + "1\n" * 30, ["horizon=12"], ["horizon 12 is longer than the test span"]),
        ("temp\n1\nnan\n3\n", [], ["missing value in line 3", "temp"]),
        ("temp\n" + "1\n" * 40, ["strategy=sideways"], ["strategy", "direct, recursive"]),
        ("a,b\n" + "1,2\n" * 60, ["target=a", "strategy=recursive"], ["inputs=none"]),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: str,
                               params: list[str], words: list[str]) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text(rows)
    argv = ["train", "--task", "forecast", "-p", f"series={csv}", "--steps", "1",
            "--out-dir", str(tmp_path / "run"), "--progress", "false"]
    for p in params:
        argv += ["-p", p]
    one_line_error(capsys, argv, *words)
    assert not (tmp_path / "run" / "last").exists()  # nothing half-written
