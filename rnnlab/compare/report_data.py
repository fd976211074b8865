"""From runs to what the report shows: model cards, results rows, curves, the memory horizon,
the probes, the outcomes the plain-language reading is written from, notes and settings."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from rnnlab.compare.backtests import add_backtest
from rnnlab.compare.config import CompareConfig
from rnnlab.compare.families import family_key, is_window_mlp
from rnnlab.compare.filmstrip import add_filmstrip
from rnnlab.compare.metrics import choose_metrics
from rnnlab.compare.probes import add_probes
from rnnlab.compare.results import Run
from rnnlab.compare.seq2seq_probes import add_seq2seq_probes, length_sentence
from rnnlab.compare.specs import ModelSpec, windows_of
from rnnlab.compare.stats import curve, first_reaching, stat
from rnnlab.tasks import Task
from rnnlab.tasks.lagged import has_adjustable_lag
from rnnlab.train import TrainConfig, TrainResult
from rnnlab.viz import reading as reading_mod
from rnnlab.viz.charts import Series, model_colors
from rnnlab.viz.report import ModelCard, ReportData, ResultRow

TARGET = 0.99  # the validation accuracy whose first crossing is reported


def report_data(task: Task, config: CompareConfig, specs: list[ModelSpec],
                runs: dict[str, list[Run]], gaps: list[int]
                ) -> tuple[ReportData, list[reading_mod.Outcome]]:
    """Everything the report shows, from the runs; and the outcomes the reading is made of."""
    first = runs[specs[0].label][0]
    main, curve_metrics, table_metrics = choose_metrics(task, first.test)
    higher = TrainConfig(metric=main).higher_is_better
    chance = getattr(task, "chance", None)
    spec_by = {s.label: s for s in specs}
    data = ReportData(
        title=" vs ".join(s.label for s in specs) + f" on {task.name}",
        intro=f"{task.description}. Each model has about {config.budget:,} parameters and "
              f"trains on the same sequences in the same order.",
        colors=model_colors([(s.label, family_key(s.config)) for s in specs]), chance=chance,
        metric_names=table_metrics, seeds=config.seeds,
    )
    _add_models(data, task, spec_by, runs, table_metrics)
    for metric in curve_metrics:
        data.curves[f"validation {metric.replace('_', ' ')}"] = {
            label: curve(model_runs, metric) for label, model_runs in runs.items()}
    outcomes = [_outcome(label, spec_by[label], model_runs, main, higher, gaps)
                for label, model_runs in runs.items()]
    _add_horizon(data, task, specs, outcomes, gaps)
    if task.spec.seq2seq:  # no one recurrent stack to probe: length and attention instead
        add_seq2seq_probes(task, specs, runs, data, config.eval_size)
    else:
        add_probes(task, specs, runs, data, outcomes)
    target = f"{reading_mod.percent(TARGET)} {main}" if main == "accuracy" else ""
    unit = task.lag_unit if has_adjustable_lag(task) else "steps"
    data.reading = reading_mod.read_outcomes(outcomes, chance=chance, target=target, unit=unit)
    add_backtest(data, task, runs)
    add_filmstrip(task, specs, runs, data)
    if data.length:
        data.reading.append(length_sentence(data.length))
    data.run_info = settings(task, config)
    data.notes = [*notes(runs, config), *data.notes]  # the probes may have added their own
    return data, outcomes


def _add_models(data: ReportData, task: Task, spec_by: dict[str, ModelSpec],
                runs: dict[str, list[Run]], table_metrics: Sequence[str]) -> None:
    """A model card (with its diagram) and a results row per model."""
    for label, model_runs in runs.items():
        spec, model = spec_by[label], model_runs[0].model
        data.models.append(ModelCard(
            label, family_key(spec.config), model.num_parameters, model.describe(),
            _diagram(spec, task),
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


def _diagram(spec: ModelSpec, task: Task) -> str:
    """The model's diagram as SVG text: the unrolled encoder-decoder for a seq2seq task."""
    if task.spec.seq2seq:
        from rnnlab.viz.charts import to_svg
        from rnnlab.viz.seq2seq_diagram import seq2seq_figure

        return to_svg(seq2seq_figure(spec.config))
    from rnnlab.viz.diagrams import svg_text  # matplotlib-heavy: only when a report is made

    return svg_text(spec.config, input_size=task.spec.input_size,
                    output_size=task.spec.output_size)


def _add_horizon(data: ReportData, task: Task, specs: Sequence[ModelSpec],
                 outcomes: Sequence[reading_mod.Outcome], gaps: list[int]) -> None:
    """The accuracy-vs-lag chart, where the task has a lag that was probed."""
    if not gaps or not has_adjustable_lag(task):
        return
    data.horizon = {o.label: Series(gaps, [o.horizon[g] for g in gaps]) for o in outcomes}
    windows = windows_of(specs)
    data.horizon_window = windows[0] if windows else None
    data.horizon_xlabel = task.lag_axis


def _outcome(label: str, spec: ModelSpec, runs: list[Run], main: str, higher: bool,
             gaps: list[int]) -> reading_mod.Outcome:
    """The numbers the reading says about one model, over its seeds."""
    horizon, margin = {}, {}
    if gaps and all(r.horizon for r in runs):
        for g in gaps:
            horizon[g] = statistics.fmean(r.horizon["accuracy"][g] for r in runs if r.horizon)
            margin[g] = 2 * (runs[0].horizon or {})["stderr"][g]
    return reading_mod.Outcome(
        label=label, family=family_key(spec.config), parameters=runs[0].model.num_parameters,
        score=stat([r.test.get(main, math.nan) for r in runs])[0], metric=main,
        higher_is_better=higher, horizon=horizon, horizon_margin=margin,
        window=spec.config.window if is_window_mlp(spec.config) else None,
        reached=first_reaching(runs, main, TARGET) if main == "accuracy" else None,
        sequences=stat([r.result.sequences_seen for r in runs])[0],
        tokens_per_second=stat([r.result.tokens_per_second for r in runs])[0],
    )


def _stop_text(result: TrainResult) -> str:
    return {"steps": "step limit", "time": "time limit"}.get(result.stop_reason,
                                                            result.stop_reason)


def notes(runs: dict[str, list[Run]], config: CompareConfig) -> list[str]:
    """Caveats the numbers need: models cut short by the time limit."""
    cut = [f"the {label} (after {statistics.fmean(r.result.steps for r in rs):,.0f} steps)"
           for label, rs in runs.items() if any(r.result.stop_reason == "time" for r in rs)]
    if not cut:
        return []
    return [f"The time limit of {config.minutes:g} minutes per model stopped "
            f"{reading_mod.join(cut)} before the step limit: on a busy machine the models "
            "are compared at equal training time rather than equal training data."]


def settings(task: Task, config: CompareConfig) -> list[tuple[str, str]]:
    """The run information rows that say how the comparison was set up."""
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


__all__ = ["TARGET", "notes", "report_data", "settings"]
