"""Last-value and ARIMA baselines of the forecasting task, beside trained checkpoints.

    python -m benchmarks.results.forecast_baselines                      # both series
    python -m benchmarks.results.forecast_baselines --series co2 --runs runs/results/forecast-co2-*

Prints one row per forecaster: test RMSE and MAE in the series' own units, on the same test
targets (``ForecastTask.baselines()`` fits the ARIMA on the training part only).
"""

from __future__ import annotations

import argparse

import torch

from rnnlab.tasks import make_task
from rnnlab.train import evaluate, load_checkpoint, rebuild_model


def rows_for(series: str, runs: list[str]) -> list[tuple[str, float, float]]:
    """(name, rmse, mae) of the baselines of ``series`` and of each checkpoint in ``runs``."""
    task = make_task("forecast", series=series)
    rows = [(name, m["rmse"], m["mae"]) for name, m in task.baselines().items()]
    for run in runs:
        ckpt = load_checkpoint(run, load_state=False)
        if ckpt.task_params.get("series") != series:
            continue
        run_task = make_task(ckpt.task_name, **ckpt.task_params)
        metrics = evaluate(rebuild_model(ckpt), run_task, "test", batch_size=256)
        rows.append((run, metrics["rmse"], metrics["mae"]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", nargs="+", default=["sunspots", "co2"])
    parser.add_argument("--runs", nargs="*", default=[], help="run or checkpoint directories")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for series in args.series:
        print(f"\n{series}: test split, original units\n")
        print("| forecaster | RMSE | MAE |\n|---|---:|---:|")
        for name, rmse, mae in rows_for(series, args.runs):
            print(f"| {name} | {rmse:.4g} | {mae:.4g} |")


if __name__ == "__main__":
    main()
