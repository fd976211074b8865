"""``rnnlab compare``: train several architectures on one task and write one HTML report.

    result = compare(CompareConfig())          # MLP, Elman RNN, LSTM, GRU on cue-word
    print(result.path, result.wall_time)

It reads top to bottom: build the task; parse the model list (``lstm:peephole``) and give every
model the hidden size that matches the parameter budget; then, per model and seed, seed,
build, train (same data order for all), score on the test set and, where the task has a lag to
vary, measure the memory horizon; then probe the first seed's models (gradient flow before and
after training, gate activations over a test sentence); then turn the numbers into the report
(:mod:`rnnlab.viz.report`), including a plain-language reading written from them
(:mod:`rnnlab.viz.reading`), and write it atomically.

The defaults are tuned so that with no arguments the whole run takes under 3 minutes on two
CPU cores, and the gated nets clearly learn gaps the window MLP cannot bridge.

One idea per module:

    config.py       CompareConfig (what to compare, how long) and build_task
    specs.py        the model mini-language: FLAGS, parse_models, label_for, ModelSpec
    families.py     every question the comparison asks about a family (is_window_mlp, ...)
    progress.py     Progress: phase lines and a live status line
    run.py          compare and train_one: the orchestration
    results.py      Run (one model, one seed) and CompareResult
    metrics.py      which metrics judge, plot and fill the table (choose_metrics, is_result)
    stats.py        mean ± sd over seeds, learning curves, first crossing of a level
    probes.py       the lags to probe, gradient flow and gate heatmaps as report data
    report_data.py  runs -> ReportData and the outcomes the reading is written from
    command.py      the command line that repeats a comparison
"""

from __future__ import annotations

from rnnlab.compare.command import command_line
from rnnlab.compare.config import DEFAULT_MODELS, DEFAULT_TASK_PARAMS, CompareConfig, build_task
from rnnlab.compare.metrics import HIDDEN_METRICS, choose_metrics, is_result
from rnnlab.compare.progress import Progress
from rnnlab.compare.report_data import TARGET
from rnnlab.compare.results import CompareResult, Run
from rnnlab.compare.run import compare, train_one
from rnnlab.compare.specs import FLAGS, ModelSpec, label_for, parse_models
from rnnlab.compare.stats import curve, first_reaching, stat
from rnnlab.viz.report import GatePanel

__all__ = [
    "DEFAULT_MODELS",
    "DEFAULT_TASK_PARAMS",
    "FLAGS",
    "HIDDEN_METRICS",
    "TARGET",
    "CompareConfig",
    "CompareResult",
    "GatePanel",
    "ModelSpec",
    "Progress",
    "Run",
    "build_task",
    "choose_metrics",
    "command_line",
    "compare",
    "curve",
    "first_reaching",
    "is_result",
    "label_for",
    "parse_models",
    "stat",
    "train_one",
]
