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
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import platform
import shlex
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import torch
from torch import nn

from rnnlab.compare_probes import gate_panel, gradient_series, horizon_gaps
from rnnlab.errors import UserError
from rnnlab.inspect import memory_horizon
from rnnlab.models import build_model, hidden_size_for_budget
from rnnlab.models.config import FAMILY_NAMES, ModelConfig
from rnnlab.tasks import TASKS, Task, make_task
from rnnlab.train import TrainConfig, TrainResult, evaluate, train
from rnnlab.utils import seed_everything
from rnnlab.utils.atomic import check_output
from rnnlab.viz import reading as reading_mod
from rnnlab.viz.charts import Series, model_colors
from rnnlab.viz.report import (
    GatePanel,
    ModelCard,
    ReportData,
    ResultRow,
    draw_figures,
    render_report,
    write_report,
)

DEFAULT_MODELS = ("mlp", "rnn", "lstm", "gru")
DEFAULT_TASK_PARAMS: dict[str, dict[str, Any]] = {"cue-word": {"gap": (2, 30)}}
TARGET = 0.99  # the validation accuracy whose first crossing is reported
HIDDEN_METRICS = ("chance", "baseline", "count")  # constants, not results


def is_result(metric: str) -> bool:
    """Whether a metric is a model's result, not a constant of the task (``chance``,
    ``baseline`` or one of several baselines, ``baseline_mse``)."""
    return metric not in HIDDEN_METRICS and not metric.startswith("baseline_")

# Options of a model spec ("lstm:peephole") and the config fields they set.
FLAGS: dict[str, dict[str, dict[str, Any]]] = {
    "mlp": {a: {"nonlinearity": a} for a in ("tanh", "relu", "sigmoid")},
    "rnn": {a: {"nonlinearity": a} for a in ("tanh", "relu", "sigmoid")},
    "lstm": {
        "peephole": {"peephole": True},
        "coupled": {"coupled": True},
        "cifg": {"coupled": True},
        "no-forget": {"forget_gate": False},
        "1997": {"forget_gate": False},
        "layer-norm": {"layer_norm": True},
    },
    "gru": {"reset-before": {"reset_after": False}},
}


@dataclass
class CompareConfig:
    """What to compare and how long to train; every field has a default."""

    task: str = "cue-word"  # any rnnlab task (see `rnnlab tasks`)
    task_params: dict[str, Any] = field(default_factory=dict)  # e.g. {"path": "book.txt"}
    models: tuple[str, ...] = DEFAULT_MODELS  # family[:option...], e.g. "lstm:peephole"
    budget: int = 20_000  # parameters per model: each gets the hidden size closest to it
    seeds: int = 1  # runs per model with seeds 0..N-1; results are mean ± sd
    steps: int = 700  # optimizer steps per model and seed; 0 = only the time limit
    minutes: float = 0.55  # time limit per model and seed; 0 = only the step limit
    batch_size: int = 32  # sequences per training batch
    lr: float = 0.02  # Adam's learning rate
    embedding_dim: int = 16  # width of the token embedding (token tasks)
    eval_every: int = 50  # steps between validation runs (the learning curves)
    eval_size: int = 256  # validation/test sequences (batches of a text stream: / batch_size)
    output: str = "report.html"  # the report file
    overwrite: bool = False  # replace an existing output file that rnnlab did not write
    threads: int = 1  # torch threads (small models train fastest on one)

    def validate(self) -> None:
        if self.task not in TASKS:
            raise UserError(f"unknown task {self.task!r}; choose one of {', '.join(TASKS)}")
        for name in ("budget", "seeds", "batch_size", "eval_every", "eval_size", "threads"):
            if getattr(self, name) < 1:
                raise UserError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.steps < 0 or self.minutes < 0:
            raise UserError("steps and minutes must be zero or positive")
        if self.steps == 0 and self.minutes == 0:
            raise UserError("training has no end: set steps or minutes")
        if not self.models:
            raise UserError("no models to compare")
        # Before minutes of training: an output that may not be replaced is refused now.
        out = check_output(self.output, overwrite=self.overwrite)
        parent = out.parent if str(out.parent) else Path(".")
        if parent.exists() and not os.access(parent, os.W_OK):
            raise UserError(f"cannot write the report into {parent}")


@dataclass
class ModelSpec:
    """One entry of the model list: what was asked for, its config and its report label."""

    text: str  # as given, e.g. "lstm:peephole"
    config: ModelConfig
    label: str  # e.g. "LSTM (peephole)"
    fixed_size: bool = False  # hidden_size was given: do not fit it to the budget


@dataclass
class Run:
    """One model trained with one seed."""

    seed: int
    result: TrainResult
    test: dict[str, float]
    horizon: dict[str, Any] | None
    model: nn.Module
    initial: nn.Module | None  # the untrained weights (first seed, recurrent models)


@dataclass
class CompareResult:
    path: Path
    wall_time: float  # seconds, the whole comparison
    reading: list[str]
    data: ReportData
    runs: dict[str, list[Run]]
    outcomes: list[reading_mod.Outcome]  # the numbers the reading was written from


# -- the model list ------------------------------------------------------------------------------


def _coerce(key: str, value: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(value)
            return value.lower() in ("true", "1", "yes")
        if isinstance(default, int | float | str):
            return type(default)(value)
    except ValueError:
        raise UserError(f"model option {key}={value!r} is not a valid "
                        f"{type(default).__name__}") from None
    raise UserError(f"model option {key!r} cannot be set in a model list")


def label_for(config: ModelConfig, extra: Sequence[str] = ()) -> str:
    """How the report names a model: "LSTM (peephole)", "window MLP (5 steps)"; ``extra``
    parts go last ("LSTM (peephole, forget_bias=5)")."""
    parts = [config.variant] if config.variant else []
    if config.family == "mlp":  # "window 5, relu" -> "5 steps, relu"
        parts = [config.variant.replace(f"window {config.window}", f"{config.window} steps")]
    if config.num_layers > 1:
        parts.append(f"{config.num_layers} layers")
    parts += extra
    return FAMILY_NAMES[config.family] + (f" ({', '.join(parts)})" if parts else "")


def parse_models(texts: Sequence[str], base: ModelConfig | None = None) -> list[ModelSpec]:
    """``["mlp", "lstm:peephole", "gru:reset-before", "mlp:window=8"]`` -> model specs.

    A spec is a family, then options separated by ``:`` or ``+``: a named variant (see
    :data:`FLAGS`) or ``field=value`` for any :class:`ModelConfig` field.
    """
    base = base or ModelConfig()
    defaults = {f.name: getattr(base, f.name) for f in dataclasses.fields(ModelConfig)}
    specs: list[ModelSpec] = []
    for text in texts:
        text = text.strip()
        family, *options = [p.strip() for p in text.replace("+", ":").split(":")]
        if family not in FLAGS:
            raise UserError(f"unknown model {text!r}; a model is one of {', '.join(FLAGS)}, "
                            "with options like lstm:peephole or mlp:window=8")
        values: dict[str, Any] = {"family": family}
        for option in filter(None, options):
            key, sep, value = option.partition("=")
            key = key.strip().replace("-", "_") if sep else key
            if sep and key in defaults and key != "family":
                values[key] = _coerce(key, value.strip(), defaults[key])
            elif not sep and option in FLAGS[family]:
                values.update(FLAGS[family][option])
            else:
                known = ", ".join(FLAGS[family]) or "none"
                raise UserError(f"unknown option {option!r} in model {text!r} (variants of "
                                f"{family}: {known}; or field=value)")
        config = dataclasses.replace(base, **values)
        # Options the name does not show already (forget_bias=5) are added to it.
        shown = label_for(config)
        hidden = [f"{k}={values[k]:g}" if isinstance(values[k], float) else f"{k}={values[k]}"
                  for k in values if k != "family"
                  and label_for(dataclasses.replace(config, **{k: defaults[k]})) == shown]
        specs.append(ModelSpec(text, config, label_for(config, hidden), "hidden_size" in values))
    texts_seen = Counter(s.text for s in specs)
    labels_seen = Counter(s.label for s in specs)
    for spec in specs:
        if texts_seen[spec.text] > 1:
            raise UserError(f"model {spec.text!r} is listed twice")
        if labels_seen[spec.label] > 1:
            spec.label = f"{spec.label} [{spec.text}]"
    return specs


# -- one model, one seed -------------------------------------------------------------------------


class Progress:
    """One line per phase on a stream (stderr), with the time since the start; on a terminal
    also a live status line while a model trains."""

    def __init__(self, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.live = enabled and self.stream.isatty()
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def line(self, message: str) -> None:
        if self.enabled:
            self.clear()
            print(f"[{self.elapsed():5.0f} s] {message}", file=self.stream, flush=True)

    def status(self, message: str) -> None:
        if self.live:
            self.stream.write(f"\r          {message[:110]}\x1b[K")
            self.stream.flush()

    def clear(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[K")


def build_task(config: CompareConfig) -> Task:
    """The task with the comparison's defaults (cue-word gaps 2-30, small eval sets)."""
    config.validate()
    params = {**DEFAULT_TASK_PARAMS.get(config.task, {}), **config.task_params}
    fields = {f.name for f in dataclasses.fields(TASKS[config.task].Params)}
    if "eval_size" in fields and "eval_size" not in params:
        params["eval_size"] = config.eval_size
    return make_task(config.task, **params)


def _eval_batches(task: Task, config: CompareConfig) -> int:
    """Validation batches per evaluation: all of a generated set (it has eval_size items),
    else enough batches for about ``eval_size`` sequences."""
    if "eval_size" in task.params.to_dict():
        return 0
    return max(1, math.ceil(config.eval_size / config.batch_size))


def train_one(spec: ModelSpec, seed: int, task: Task, config: CompareConfig,
              gaps: list[int], progress: Progress) -> Run:
    """Seed, build, train, test and (where it applies) measure the memory horizon."""
    seed_everything(seed)  # the initial weights are part of the seed
    model = build_model(spec.config, task.spec)
    initial = copy.deepcopy(model) if seed == 0 and spec.config.family != "mlp" else None
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
    return Run(seed, result, test, horizon, model, initial)


# -- numbers over seeds --------------------------------------------------------------------------


def stat(values: Sequence[float]) -> tuple[float, float | None]:
    """Mean and sample sd (None for a single value)."""
    values = [float(v) for v in values]
    sd = statistics.stdev(values) if len(values) > 1 else None
    return statistics.fmean(values), sd


def choose_metrics(task: Task, metrics: dict[str, float]) -> tuple[str, list[str], list[str]]:
    """(main metric, learning-curve metrics, results-table metrics) for a task's metrics."""
    # Language models are judged by their loss (nats per token), classifiers by accuracy.
    main = "accuracy" if "accuracy" in metrics and task.name != "text" else "loss"
    if task.name == "cue-word":
        curves = ["accuracy", "answer_loss"]
    else:
        curves = [main] + (["loss"] if main != "loss" else [])
    table = [main] + [m for m in metrics if m != main and is_result(m)]
    return main, curves, table[:4]


def curve(runs: Sequence[Run], metric: str) -> Series:
    """The validation ``metric`` against training sequences, mean ± sd over the seeds (at
    the evaluation steps every seed reached)."""
    per_seed = [{r["step"]: r for r in run.result.history if r.get("split") != "train"}
                for run in runs]
    steps = sorted(set.intersection(*(set(s) for s in per_seed)))
    steps = [s for s in steps if all(metric in p[s] for p in per_seed)]
    xs = [per_seed[0][s]["sequences"] for s in steps]
    stats = [stat([p[s][metric] for p in per_seed]) for s in steps]
    spread = [sd or 0.0 for _, sd in stats] if len(runs) > 1 else None
    return Series(xs, [m for m, _ in stats], spread)


def first_reaching(runs: Sequence[Run], metric: str, level: float) -> float | None:
    """Mean training sequences until validation ``metric`` first reached ``level`` (None
    unless every seed got there)."""
    found = []
    for run in runs:
        hits = [r["sequences"] for r in run.result.history
                if r.get("split") != "train" and r.get(metric, -math.inf) >= level]
        if not hits:
            return None
        found.append(hits[0])
    return statistics.fmean(found)


# -- the whole comparison ------------------------------------------------------------------------


def compare(config: CompareConfig | None = None, *, command: str = "",
            progress: Progress | None = None) -> CompareResult:
    """Train every model of ``config`` with every seed, probe them, write the report."""
    config = config or CompareConfig()
    progress = progress or Progress(enabled=False)
    started = time.perf_counter()
    load_before = _load()
    task = build_task(config)
    base = ModelConfig(embedding_dim=config.embedding_dim
                       if task.spec.input_kind == "tokens" else 0)
    specs = parse_models(config.models, base)
    for spec in specs:
        if not spec.fixed_size:
            spec.config.hidden_size = hidden_size_for_budget(spec.config, task.spec,
                                                             config.budget)
        build_model(spec.config, task.spec)  # refuse an impossible model before training
    gaps = horizon_gaps(task, [s.config.window for s in specs if s.config.family == "mlp"])
    threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
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
        progress.line("probing gradient flow and gates, drawing the report ...")
        data, outcomes = _report_data(task, config, specs, runs, gaps)
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


def command_line(config: CompareConfig) -> str:
    """The ``rnnlab compare`` command that repeats this comparison."""
    params = [f"-p {shlex.quote(f'{k}={_param_text(v)}')}" for k, v in config.task_params.items()]
    parts = [
        "rnnlab", *(["--threads", str(config.threads)] if config.threads != 1 else []),
        "compare", "--task", config.task, *params, "--models", ",".join(config.models),
        "--budget", str(config.budget), "--seeds", str(config.seeds),
        "--steps", str(config.steps), "--minutes", f"{config.minutes:g}",
        "--batch-size", str(config.batch_size), "--lr", f"{config.lr:g}",
        "--eval-size", str(config.eval_size), "--output", shlex.quote(config.output),
    ]
    return " ".join(parts)


def _param_text(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ":".join(str(v) for v in value)
    return str(value)


def _load() -> str:
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _report_data(task: Task, config: CompareConfig, specs: list[ModelSpec],
                 runs: dict[str, list[Run]], gaps: list[int]
                 ) -> tuple[ReportData, list[reading_mod.Outcome]]:
    """Everything the report shows, from the runs; and the outcomes the reading is made of."""
    from rnnlab.viz.diagrams import svg_text  # matplotlib-heavy: only when a report is made

    first = runs[specs[0].label][0]
    main, curve_metrics, table_metrics = choose_metrics(task, first.test)
    higher = TrainConfig(metric=main).higher_is_better
    chance = getattr(task, "chance", None)
    colors = model_colors([(s.label, s.config.family) for s in specs])
    spec_by = {s.label: s for s in specs}
    data = ReportData(
        title=" vs ".join(s.label for s in specs) + f" on {task.name}",
        intro=f"{task.description}. Each model has about {config.budget:,} parameters and "
              f"trains on the same sequences in the same order.",
        colors=colors, chance=chance, metric_names=table_metrics, seeds=config.seeds,
    )
    for label, model_runs in runs.items():
        spec, model = spec_by[label], model_runs[0].model
        data.models.append(ModelCard(
            label, spec.config.family, model.num_parameters, model.describe(),
            svg_text(spec.config, input_size=task.spec.input_size,
                     output_size=task.spec.output_size),
        ))
        data.results.append(ResultRow(
            label,
            {m: stat([r.test[m] for r in model_runs]) for m in table_metrics
             if all(m in r.test for r in model_runs)},
            model.num_parameters,
            stat([r.result.wall_time for r in model_runs]),
            stat([r.result.tokens_per_second for r in model_runs]),
            stat([r.result.sequences_seen for r in model_runs]),
            ", ".join(sorted({_stop_text(r.result) for r in model_runs})),
        ))
    for metric in curve_metrics:
        data.curves[f"validation {metric.replace('_', ' ')}"] = {
            label: curve(model_runs, metric) for label, model_runs in runs.items()}
    outcomes = [_outcome(label, spec_by[label], model_runs, main, higher, gaps)
                for label, model_runs in runs.items()]
    if gaps:
        data.horizon = {label: Series(gaps, [o.horizon[g] for g in gaps])
                        for label, o in zip(runs, outcomes, strict=True)}
        windows = [s.config.window for s in specs if s.config.family == "mlp"]
        data.horizon_window = windows[0] if windows else None
        if task.name != "cue-word":
            data.horizon_xlabel = "lag to bridge (steps)"
    _probe(task, specs, runs, data, outcomes)
    target = f"{reading_mod.percent(TARGET)} {main}" if main == "accuracy" else ""
    unit = "words" if task.name == "cue-word" else "steps"
    data.reading = reading_mod.read_outcomes(outcomes, chance=chance, target=target, unit=unit)
    data.run_info = _settings(task, config)
    data.notes = _notes(runs, config)
    return data, outcomes


def _notes(runs: dict[str, list[Run]], config: CompareConfig) -> list[str]:
    """Caveats the numbers need: models cut short by the time limit."""
    cut = [f"the {label} (after {statistics.fmean(r.result.steps for r in rs):,.0f} steps)"
           for label, rs in runs.items() if any(r.result.stop_reason == "time" for r in rs)]
    if not cut:
        return []
    return [f"The time limit of {config.minutes:g} minutes per model stopped "
            f"{reading_mod.join(cut)} before the step limit: on a busy machine the models "
            "are compared at equal training time rather than equal training data."]


def _stop_text(result: TrainResult) -> str:
    return {"steps": "step limit", "time": "time limit"}.get(result.stop_reason,
                                                            result.stop_reason)


def _outcome(label: str, spec: ModelSpec, runs: list[Run], main: str, higher: bool,
             gaps: list[int]) -> reading_mod.Outcome:
    horizon, margin = {}, {}
    if gaps and all(r.horizon for r in runs):
        for g in gaps:
            horizon[g] = statistics.fmean(r.horizon["accuracy"][g] for r in runs if r.horizon)
            margin[g] = 2 * (runs[0].horizon or {})["stderr"][g]
    return reading_mod.Outcome(
        label=label, family=spec.config.family, parameters=runs[0].model.num_parameters,
        score=stat([r.test.get(main, math.nan) for r in runs])[0], metric=main,
        higher_is_better=higher, horizon=horizon, horizon_margin=margin,
        window=spec.config.window if spec.config.family == "mlp" else None,
        reached=first_reaching(runs, main, TARGET) if main == "accuracy" else None,
        sequences=stat([r.result.sequences_seen for r in runs])[0],
        tokens_per_second=stat([r.result.tokens_per_second for r in runs])[0],
    )


def _probe(task: Task, specs: list[ModelSpec], runs: dict[str, list[Run]], data: ReportData,
           outcomes: list[reading_mod.Outcome]) -> None:
    """Gradient flow (recurrent models, before and after training) and gate heatmaps (gated
    models), from the first seed's models."""
    recurrent = [(s, runs[s.label][0]) for s in specs if s.config.family != "mlp"]
    if recurrent:
        moments: dict[str, dict[str, Series]] = {"at initialisation": {}, "after training": {}}
        by_label = {o.label: o for o in outcomes}
        for spec, run in recurrent:
            before, after = gradient_series(task, run.initial, run.model)
            moments["at initialisation"][spec.label] = before
            moments["after training"][spec.label] = after
            o = by_label[spec.label]
            o.gradient_distance = int(after.x[-1])
            o.gradient_init, o.gradient_trained = float(before.y[-1]), float(after.y[-1])
        data.gradients = moments
    for spec, run in recurrent:
        if spec.config.family in ("lstm", "gru"):
            panel = gate_panel(task, run.model, spec.label)
            if panel is not None:
                data.gates.append(panel)


def _settings(task: Task, config: CompareConfig) -> list[tuple[str, str]]:
    params = ", ".join(f"{k}={v}" for k, v in task.params.to_dict().items())
    limit = " and ".join(
        ([f"{config.steps:,} steps"] if config.steps else [])
        + ([f"{config.minutes:g} minutes"] if config.minutes else []))
    return [
        ("task", f"{task.name} ({params})"),
        ("models", ", ".join(config.models)),
        ("parameter budget", f"{config.budget:,} per model"),
        ("seeds", ("seed 0" if config.seeds == 1 else f"{config.seeds} (0 to "
                   f"{config.seeds - 1})") + ", the same for every model"),
        ("training", f"Adam, lr {config.lr:g}, batch {config.batch_size}, gradient norm "
                     f"clipped at 1, at most {limit} per model and seed"),
        ("evaluation", f"validation every {config.eval_every} steps; test and memory-horizon "
                       f"sets of up to {config.eval_size} sequences"),
        ("torch threads", str(config.threads)),
    ]


__all__ = [
    "DEFAULT_MODELS",
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
    "label_for",
    "parse_models",
]
