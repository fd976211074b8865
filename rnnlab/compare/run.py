"""Running a comparison: every model with every seed, then the report (:func:`compare`)."""

from __future__ import annotations

import copy
import math
import os
import platform
import time
from typing import Any

import torch

from rnnlab.compare.backtests import model_backtest
from rnnlab.compare.command import command_line
from rnnlab.compare.config import CompareConfig, build_task
from rnnlab.compare.families import is_recurrent
from rnnlab.compare.metrics import is_result
from rnnlab.compare.probes import horizon_gaps
from rnnlab.compare.progress import Progress
from rnnlab.compare.report_data import report_data
from rnnlab.compare.results import CompareResult, Run
from rnnlab.compare.specs import ModelSpec, parse_models, windows_of
from rnnlab.inspect import memory_horizon
from rnnlab.models import build_model, fit_budget
from rnnlab.models.config import ModelConfig
from rnnlab.tasks import Task
from rnnlab.train import TrainConfig, evaluate, train
from rnnlab.utils import seed_everything
from rnnlab.viz.report import draw_figures, render_report, write_report


def compare(config: CompareConfig | None = None, *, command: str = "",
            progress: Progress | None = None) -> CompareResult:
    """Train every model of ``config`` with every seed, probe them, write the report."""
    config = config or CompareConfig()
    progress = progress or Progress(enabled=False)
    started = time.perf_counter()
    load_before = _load()
    task = build_task(config)
    specs = _sized_specs(task, config)
    gaps = horizon_gaps(task, windows_of(specs))
    threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        runs = _train_all(specs, task, config, gaps, progress)
        progress.line("probing gradient flow and gates, drawing the report ...")
        data, outcomes = report_data(task, config, specs, runs, gaps)
    finally:
        torch.set_num_threads(threads)
    figures = draw_figures(data)
    wall = time.perf_counter() - started
    data.run_info += [
        ("machine", f"{os.cpu_count()} CPU cores, load {load_before} at the start, "
                    f"{_load()} at the end; {platform.python_implementation()} "
                    f"{platform.python_version()}, torch {torch.__version__}"),
        ("wall time", f"{wall:.0f} s for the whole comparison: training, probes and report "
                      "(after Python start-up)"),
    ]
    data.run_info.append(("command", command or command_line(config)))
    path = write_report(config.output, render_report(data, figures), overwrite=config.overwrite)
    progress.line(f"wrote {path} ({wall:.0f} s)")
    return CompareResult(path, wall, data.reading, data, runs, outcomes)


def _sized_specs(task: Task, config: CompareConfig) -> list[ModelSpec]:
    """The model list, each model given the hidden size that fits the parameter budget
    (unless the spec set one; a layer list is scaled as a whole), each checked to build
    before any training."""
    base = ModelConfig(embedding_dim=config.embedding_dim
                       if task.spec.input_kind == "tokens" else 0)
    specs = parse_models(config.models, base)
    for spec in specs:
        if not spec.fixed_size:
            spec.config = fit_budget(spec.config, task.spec, config.budget)
        build_model(spec.config, task.spec)  # refuse an impossible model before training
    return specs


def _train_all(specs: list[ModelSpec], task: Task, config: CompareConfig, gaps: list[int],
               progress: Progress) -> dict[str, list[Run]]:
    """Every model with every seed, in list order; the runs by model label."""
    runs: dict[str, list[Run]] = {}
    for i, spec in enumerate(specs, 1):
        for seed in range(config.seeds):
            seed_text = f", seed {seed}" if config.seeds > 1 else ""
            progress.line(f"[{i}/{len(specs)}] training {spec.label}{seed_text} ...")
            run = train_one(spec, seed, task, config, gaps, progress)
            runs.setdefault(spec.label, []).append(run)
            shown = ", ".join(f"{k} {v:.3g}" for k, v in run.test.items() if is_result(k))
            progress.line(f"      {run.result.steps} steps in {run.result.wall_time:.1f} s; "
                          f"test {shown}")
    return runs


def train_one(spec: ModelSpec, seed: int, task: Task, config: CompareConfig,
              gaps: list[int], progress: Progress) -> Run:
    """Seed, build, train, test and (where it applies) measure the memory horizon."""
    seed_everything(seed)  # the initial weights are part of the seed
    model = build_model(spec.config, task.spec)
    initial = copy.deepcopy(model) if seed == 0 and is_recurrent(spec.config) else None
    batches = _eval_batches(task, config)
    train_config = TrainConfig(
        lr=config.lr, batch_size=config.batch_size, steps=config.steps, minutes=config.minutes,
        eval_every=config.eval_every, eval_batches=batches, clip_grad_norm=1.0, seed=seed,
        log_every=0, progress=False, tensorboard=False,
    )

    def show(info: Any) -> None:
        if info.metrics:
            shown = ", ".join(f"{k} {v:.3g}" for k, v in info.metrics.items() if is_result(k))
            progress.status(f"{spec.label}: step {info.step}, {shown}")

    result = train(model, task, train_config, callbacks=[show])
    test = evaluate(model, task, "test", batch_size=config.batch_size, max_batches=batches * 4)
    horizon = None
    if gaps:
        horizon = memory_horizon(model, task, gaps, eval_size=min(config.eval_size, 200),
                                 batch_size=100)
    return Run(seed, result, test, horizon, model, initial, model_backtest(model, task))


def _eval_batches(task: Task, config: CompareConfig) -> int:
    """Validation batches per evaluation: all of a generated set (it has eval_size items),
    else enough batches for about ``eval_size`` sequences."""
    if "eval_size" in task.params.to_dict():
        return 0
    return max(1, math.ceil(config.eval_size / config.batch_size))


def _load() -> str:
    """The load averages, for the report's machine line."""
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


__all__ = ["compare", "train_one"]
