"""The ``rnnlab`` command (also ``python -m rnnlab``).

Each sub-command is a thin layer over the library: it maps flags onto the config dataclasses,
calls one function, and prints what came back. Bad input of any kind is a
:class:`~rnnlab.errors.UserError`, printed as one line with exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import json
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

import rnnlab
from rnnlab.cli_options import (
    HelpFormatter,
    add_dataclass_options,
    dataclass_from_args,
    field_help,
    ranged,
)
from rnnlab.cli_translate import add_translate
from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.train.config import TrainConfig
from rnnlab.train.ranges import (
    COMPARE_RANGES,
    MAX_BUDGET,
    MAX_SEED,
    MAX_WIDTH,
    MODEL_RANGES,
    TRAIN_RANGES,
    check_layer_ranges,
    count,
    real,
)
from rnnlab.train.run_file import RunFile, read_run_file

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
DEFAULT_TASK = "cue-word"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (and exit 2), not the whole usage block.

    ``populate(parser)``, if given, adds the options when the parser is first used (to parse
    or to show help), so that what it imports is loaded only by the command that needs it.
    """

    def __init__(
        self, *args: Any, populate: Callable[[argparse.ArgumentParser], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._populate = populate

    def _ensure_options(self) -> None:
        if self._populate is not None:
            populate, self._populate = self._populate, None
            populate(self)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self._ensure_options()
        return super().parse_known_args(args, namespace)

    def format_help(self) -> str:
        self._ensure_options()
        return super().format_help()

    def format_usage(self) -> str:
        self._ensure_options()
        return super().format_usage()

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _command(
    sub: argparse._SubParsersAction,
    name: str,
    summary: str,
    example: str,
    populate: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.ArgumentParser:
    return sub.add_parser(
        name,
        help=summary,
        description=f"{summary}\n\nexample:\n{textwrap.indent(example.strip(), '  ')}",
        formatter_class=HelpFormatter,
        populate=populate,
    )


def _parse_task_params(pairs: Sequence[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UserError(f"task parameter {pair!r} must look like name=value")
        params[key.strip().replace("-", "_")] = value.strip()
    return params


# -- commands --------------------------------------------------------------------------------


def cmd_tasks(args: argparse.Namespace) -> int:
    from rnnlab.tasks import TASKS

    for name, cls in TASKS.items():
        print(f"{name:18s} {cls.description}")
        if args.verbose:
            helps = field_help(cls.Params)
            for f in dataclasses.fields(cls.Params):
                default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
                print(f"{'':20s}{f.name}={default!r}  {helps.get(f.name, '')}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from rnnlab.train import train
    from rnnlab.train.distributed import env_rank, in_torchrun

    task, model, train_config = _resumed_run(args) if args.resume else _new_run(args)
    if train_config.nproc > 1 and not in_torchrun():
        # Checked and built once here, so that bad input is one message, not one per process;
        # then the same command runs in each of the processes torchrun's agent starts.
        from rnnlab.train.distributed import Job
        from rnnlab.train.launch import launch_local

        Job(world=train_config.nproc).check_batch_size(train_config.batch_size)
        return launch_local(args.argv, train_config.nproc, out_dir=train_config.out_dir)
    speak = env_rank() == 0  # under torchrun rank 0 speaks for the job
    logging.info("model: %s", model.describe())
    if speak:
        print(f"{task.name}: {model.describe()}", flush=True)
    result = train(model, task, train_config, resume=args.resume)
    if not speak:
        return EXIT_INTERRUPTED if result.interrupted else 0
    shown = ", ".join(f"{k} {v:.4g}" for k, v in result.final_metrics.items())
    print(
        f"stopped ({result.stop_reason}) after {result.steps} steps, "
        f"{result.sequences_seen:,} sequences, {result.wall_time:.1f} s: {shown}"
    )
    if result.target_reached:  # possibly in an earlier session, under another --stop-when
        print(
            f"target {result.target_reached['stop_when']} reached after "
            f"{result.target_reached['sequences']:,} training sequences"
        )
    if result.best_checkpoint:
        print(f"best checkpoint: {result.best_checkpoint}")
    return EXIT_INTERRUPTED if result.interrupted else 0


def _new_run(args: argparse.Namespace) -> tuple[Any, Any, TrainConfig]:
    """Task, model (seeded, freshly built) and training config of a new run: the --config
    file's settings, with the flags given on top."""
    from rnnlab.models import build_model, fit_budget
    from rnnlab.tasks import make_task
    from rnnlab.utils import seed_everything

    file = read_run_file(args.config) if args.config else RunFile("")
    if args.data or args.kind:
        _data_task_args(args)
    task_name = args.task or file.task_name or DEFAULT_TASK
    # The file's task parameters belong to the file's task: another --task starts from its own.
    params = file.task_params if task_name == (file.task_name or DEFAULT_TASK) else {}
    task = make_task(task_name, **{**params, **_parse_task_params(args.param)})
    model_config = dataclass_from_args(ModelConfig, args, file.model)
    check_layer_ranges(model_config.layers)
    train_values = dict(file.train)
    limits = [args.minutes, args.epochs, train_values.get("minutes"), train_values.get("epochs")]
    if args.steps is None and "steps" not in train_values and any(limits):
        train_values["steps"] = 0  # a time or epoch limit replaces the default step limit
    train_config = dataclass_from_args(TrainConfig, args, train_values)
    if args.budget:
        model_config = fit_budget(model_config, task.spec, args.budget)
    seed_everything(train_config.seed)  # the initial weights are part of the run's seed
    return task, build_model(model_config, task.spec), train_config


def _data_task_args(args: argparse.Namespace) -> None:
    """``--data FILE`` and ``--kind K``: the task ``arrays`` with ``-p data=FILE -p kind=K``
    (classify, regress), ``forecast`` with ``-p series=FILE`` or ``text`` with ``-p path=FILE``
    (lm); without ``--kind`` a ``.txt`` file or a folder is a language model (a folder: its
    ``.txt`` files as one text), other files ``arrays``."""
    from rnnlab.tasks.arrays import ArrayTask

    if not args.data:
        raise UserError("--kind needs --data FILE, the data to train on")
    data = Path(args.data)
    kind = args.kind or ("lm" if data.suffix.lower() == ".txt" or data.is_dir() else "")
    task, param = {"forecast": ("forecast", "series"), "lm": ("text", "path")}.get(
        kind, (ArrayTask.name, "data"))
    if args.task not in (None, task):
        raise UserError(f"--data trains the task {task!r} on your file; leave out "
                        f"--task {args.task}")
    if kind == "forecast" and data.suffix.lower() not in (".csv", ".parquet"):
        raise UserError(f"--kind forecast reads a CSV or Parquet file (one row per time step), "
                        f"not {args.data}")
    if data.is_dir() and kind != "lm":
        raise UserError(f"--data {args.data} is a folder: give one file (an .npz, CSV or "
                        "Parquet table), or --kind lm for a folder of .txt files")
    forecasting = sorted({"date", "horizon", "window", "strategy", "season"}
                         & set(_parse_task_params(args.param)))
    if task == ArrayTask.name and forecasting:
        raise UserError(f"-p {', '.join(forecasting)}: parameters of a forecast; add --kind "
                        "forecast (else --data trains a classifier or regressor of sequences)")
    args.task = task
    given = [f"kind={kind}"] if task == ArrayTask.name and kind else []
    args.param = [f"{param}={args.data}", *given, *args.param]


def _resumed_run(args: argparse.Namespace) -> tuple[Any, Any, TrainConfig]:
    """Task, model and training config of the run in --out-dir, as its last/ holds them (the
    training limits may change; train() loads the weights and state)."""
    from rnnlab.models import build_model
    from rnnlab.tasks import make_task
    from rnnlab.train import read_meta
    from rnnlab.train.checkpoint import Checkpoint, find_checkpoint
    from rnnlab.train.schema import check_weights_fit

    if not args.out_dir:
        raise UserError("--resume needs --out-dir, the run directory to continue")
    if args.config:
        raise UserError("--resume continues the run in --out-dir with its own config; "
                        "--config starts a new run (leave one of them out)")
    if args.data or args.kind:
        raise UserError("--resume trains on the run's own data file (its path and hash are in "
                        "the checkpoint); leave out --data and --kind")
    meta = read_meta(Path(args.out_dir) / "last")  # validated: see train/schema.py
    _refuse_changes_on_resume(args, meta)
    ckpt = Checkpoint(find_checkpoint(Path(args.out_dir) / "last"), meta, {}, None)
    task = make_task(ckpt.task_name, **ckpt.task_params)
    model_config = ckpt.model_config
    if model_config is None:
        raise UserError(f"{ckpt.path} stores no model config, so it cannot be resumed")
    train_config = dataclass_from_args(TrainConfig, args, ckpt.train_config)
    check_weights_fit(build_model, model_config, task.spec, ckpt.path / "model.safetensors")
    return task, build_model(model_config, task.spec), train_config


def _refuse_changes_on_resume(args: argparse.Namespace, meta: dict[str, Any]) -> None:
    """A resumed run keeps its task and model: a flag that would change them is refused by
    name, never silently ignored. (Training settings may change: train() says which.)"""
    saved_task = meta.get("task", {})
    if args.task is not None and args.task != saved_task.get("name"):
        raise UserError(f"--resume cannot change --task (the run trains {saved_task.get('name')!r},"
                        f" not {args.task!r}); start a new run in another --out-dir")
    saved_params = {k: str(v) for k, v in saved_task.get("params", {}).items()}
    for key, value in _parse_task_params(args.param).items():
        if saved_params.get(key) != value:
            raise UserError(f"--resume cannot change the task parameter {key} (the run has "
                            f"{saved_params.get(key)!r}); start a new run in another --out-dir")
    if args.budget:
        raise UserError("--resume cannot change --budget: the model's size is the run's")
    saved_model = meta.get("model") or {}
    for f in dataclasses.fields(ModelConfig):
        given = getattr(args, f.name, None)
        if given is None:
            continue
        given = tuple(given) if isinstance(given, list) else given
        saved = saved_model.get(f.name)
        saved = tuple(saved) if isinstance(saved, list) else saved
        if given != saved:
            flag = "--" + f.name.replace("_", "-")
            raise UserError(f"--resume cannot change {flag} (the run's model has {saved!r}, "
                            f"not {given!r}); start a new run in another --out-dir")


def _load(checkpoint: str, overrides: dict[str, str] | None = None) -> tuple[Any, Any]:
    """The model (eval mode) and task stored in a checkpoint; ``overrides`` change task
    parameters (a longer gap, a bigger test set) as long as the model still fits the task."""
    from rnnlab.tasks import make_task
    from rnnlab.train import load_checkpoint, rebuild_model

    ckpt = load_checkpoint(checkpoint, load_state=False)
    params = {**ckpt.task_params, **(overrides or {})}
    task = _saved_series_task(ckpt, params) or _saved_text_task(ckpt, params) or make_task(
        ckpt.task_name, **params)
    if ckpt.task_spec is not None and ckpt.task_spec != task.spec:
        if overrides:
            raise UserError(
                f"with {', '.join(f'{k}={v}' for k, v in overrides.items())} the task "
                f"{ckpt.task_name!r} no longer fits the checkpoint's model (its inputs, "
                "outputs or vocabulary change)"
            )
        raise UserError(
            f"the task {ckpt.task_name!r} no longer matches the checkpoint "
            "(its data or vocabulary changed since training)"
        )
    return rebuild_model(ckpt), task


def _saved_series_task(ckpt: Any, params: dict[str, Any]) -> Any:
    """The forecast task of a checkpoint that rnnlab.Forecaster saved with its series from
    Python (no file to read), or None for any other checkpoint."""
    from rnnlab.tasks.forecast import ForecastTask
    from rnnlab.tasks.forecast_data import series_from_json

    saved = ckpt.meta.get("estimator")
    if ckpt.task_name != ForecastTask.name or params.get("series") or not isinstance(saved, dict):
        return None
    series = series_from_json(saved.get("series"), ckpt.path)
    return None if series is None else ForecastTask(data=series, **params)


def _saved_text_task(ckpt: Any, params: dict[str, Any]) -> Any:
    """The text task of a language model's checkpoint, which reads a text that changed since
    training (``allow_changed``) in the training vocabulary; None for any other checkpoint."""
    from rnnlab.tasks.text import TextTask

    spec = ckpt.task_spec
    if ckpt.task_name != TextTask.name or spec is None or not spec.vocab:
        return None
    return TextTask(vocab=spec.vocab, **params)


def _load_for_data(checkpoint: str, data: str, overrides: dict[str, str], *,
                   need_y: bool = True) -> tuple[Any, Any]:
    """The model of an ``arrays`` checkpoint and its fitted task (scaling, classes, the table's
    columns: from the checkpoint alone) holding the arrays of the file ``data`` in every split;
    a language model's with the text file ``data`` (in the training vocabulary, from the
    checkpoint) in every split; a forecaster's with ``data`` as its series."""
    from rnnlab.tasks.array_data import read_data_file
    from rnnlab.tasks.arrays import ArrayTask
    from rnnlab.tasks.text import TextScoring
    from rnnlab.train import load_checkpoint, rebuild_model

    ckpt = load_checkpoint(checkpoint, load_state=False)
    other = {"forecast": "series", "text": "path"}.get(ckpt.task_name)
    if other and not need_y:
        raise UserError(f"{ckpt.path} is a model of the task {ckpt.task_name!r}: "
                        + ("rnnlab forecast RUN -p series=FILE.csv forecasts from a file"
                           if ckpt.task_name == "forecast" else
                           "rnnlab predict RUN --prompt TEXT predicts the next token"))
    if ckpt.task_name == TextScoring.name and ckpt.task_spec is not None and ckpt.task_spec.vocab:
        if overrides:  # the training vocabulary and seq_len are the model's
            raise UserError("-p changes nothing of scoring a language model on another text "
                            "file; leave it out with --data")
        return rebuild_model(ckpt), TextScoring(ckpt.task_spec.vocab, ckpt.task_params,
                                                path=data)
    if other:
        return _load(checkpoint, {**overrides, other: data})
    if ckpt.task_name != ArrayTask.name:
        raise UserError(f"--data scores models trained on your own data (task "
                        f"{ArrayTask.name!r}, forecast, text); {ckpt.path} is a model of "
                        f"{ckpt.task_name!r}")
    if overrides:
        raise UserError("-p changes nothing of a fitted 'arrays' task; leave it out with --data")
    task = ArrayTask(read=False, **ckpt.task_params)
    arrays = read_data_file(data, task.layout(), need_y=need_y)
    if not need_y:
        return rebuild_model(ckpt), (task, arrays)
    return rebuild_model(ckpt), task.scoring(arrays)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from rnnlab.tasks.common import GeneratedTask
    from rnnlab.tasks.text import TextScoring
    from rnnlab.train import evaluate

    if args.max_batches < 0:
        raise UserError(f"--max-batches must be 0 (the whole split) or more, "
                        f"got {args.max_batches}")
    if args.data:
        model, task = _load_for_data(args.checkpoint, args.data, _parse_task_params(args.param))
    else:
        model, task = _load(args.checkpoint, _parse_task_params(args.param))
    max_batches = args.max_batches
    if args.split == "train" and isinstance(task, GeneratedTask) and not max_batches:
        # A generated task's training stream never ends: score as many fresh training
        # sequences as its validation set holds.
        max_batches = -(-task.eval_size() // args.batch_size)
        print(f"the train split of {task.name} is endless: scoring "
              f"{max_batches * args.batch_size:,} training sequences (--max-batches sets how "
              "many batches)", file=sys.stderr)
    metrics = evaluate(model, task, args.split, batch_size=args.batch_size,
                       max_batches=max_batches)
    if isinstance(task, TextScoring):  # a language model on another text file
        metrics.update(task.counts())
        print(f"{args.data}: the whole file is the evaluation set (--split does not apply), "
              f"read in the training vocabulary: {int(metrics['tokens']):,} "
              f"{task.params.level} tokens, {int(metrics['unknown_tokens']):,} of them "
              f"({metrics['unknown_share']:.2%}) unknown, scored as <unk>", file=sys.stderr)
    backtest = _forecast_backtest(model, task, args.split)
    if args.json:
        print(json.dumps({**metrics, **{f"baseline_{name}_{key}": value
                                        for name, m in backtest.items() if name != "model"
                                        for key, value in m.items()}}))
    else:
        for key, value in metrics.items():
            print(f"{key:14s} {value:.6g}")
        _print_backtest(task, backtest)
    return 0


def _forecast_backtest(model: Any, task: Any, split: str) -> dict[str, dict[str, float]]:
    """A forecast task's test split: the model's rolling-origin backtest beside the baselines."""
    if getattr(task, "name", "") != "forecast" or split != "test":
        return {}
    from rnnlab.train.backtest import backtest

    return backtest(model, task)


def _print_backtest(task: Any, results: dict[str, dict[str, float]]) -> None:
    if not results:
        return
    p = task.params
    print(f"\nbacktest: {len(task.backtest_origins)} rolling origins, {p.horizon}-step "
          f"forecasts ({p.strategy}), MASE scaled by the season-{p.season} naive error")
    names = list(next(iter(results.values())))
    print(f"{'':14s}" + "".join(f"{n:>10s}" for n in names))
    labels = {"model": "network", "last": "last value", "seasonal": "seasonal naive",
              "arima": "ARIMA", "ets": "ETS"}
    for name, m in results.items():
        print(f"{labels.get(name, name):14s}" + "".join(f"{m[n]:10.4g}" for n in names))


def cmd_forecast(args: argparse.Namespace) -> int:
    from rnnlab.train.backtest import forecast_future
    from rnnlab.utils.atomic import atomic_write, check_output

    model, task = _load(args.checkpoint, _parse_task_params(args.param))
    if getattr(task, "name", "") != "forecast":
        raise UserError(f"{args.checkpoint} is a model of the task {task.name!r}, not a "
                        "forecaster (rnnlab train --task forecast)")
    steps = args.horizon or task.params.horizon
    out = check_output(args.output, overwrite=args.overwrite) if args.output else None
    result = forecast_future(model, task, steps, holdout=args.holdout)
    header = ["step"] + (["date"] if any(result.dates) else []) + list(result.columns)
    if result.truth is not None:
        header += [f"{c}_truth" for c in result.columns]
    lines = [",".join(header)]
    for i in range(steps):
        row = [str(i + 1)] + ([result.dates[i]] if any(result.dates) else [])
        row += [repr(float(v)) for v in result.values[i]]
        if result.truth is not None:
            row += ([repr(float(v)) for v in result.truth[i]] if i < len(result.truth)
                    else [""] * len(result.columns))
        lines.append(",".join(row))
    text = "\n".join(lines) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        atomic_write(out, text)
        print(f"wrote {out.resolve()} ({steps} steps)")
    if args.plot:
        from rnnlab.viz.forecast_plot import forecast_figure, write_forecast_plot

        where = f"{args.holdout} steps before the end" if args.holdout else "the end"
        fig = forecast_figure(result.columns, result.history, result.history_dates,
                              result.values, result.dates, result.truth,
                              title=f"{model.describe()}: {steps} steps from {where}")
        path = write_forecast_plot(args.plot, fig, overwrite=args.overwrite)
        print(f"wrote {Path(path).resolve()}")
    return 0


def _load_for_prompts(checkpoint: str) -> tuple[Any, Any]:
    """The model and its prompt codec, from the checkpoint alone (no training data needed)."""
    from rnnlab.tasks import prompt_codec
    from rnnlab.train import load_checkpoint, rebuild_model

    ckpt = load_checkpoint(checkpoint, load_state=False)
    codec = prompt_codec(ckpt.task_name, ckpt.task_params, ckpt.task_spec)
    return rebuild_model(ckpt), codec


def cmd_predict(args: argparse.Namespace) -> int:
    from rnnlab.models.sampling import next_token_distribution

    if (args.prompt is None) == (args.data is None):
        raise UserError("give --prompt (a language model) or --data FILE (a model of your "
                        "own arrays), one of them")
    if args.data is not None:
        return _predict_data(args)
    model, codec = _load_for_prompts(args.checkpoint)
    for token, prob in next_token_distribution(model, codec.encode(args.prompt), args.top_k):
        print(f"{codec.decode([token])!r:20s} {prob:.4f}")
    return 0


def _predict_data(args: argparse.Namespace) -> int:
    """Predictions for the sequences of a data file, one CSV row per sequence (per step)."""
    import csv
    import io

    import numpy as np

    from rnnlab.train.predict import predict_items
    from rnnlab.utils.atomic import atomic_write, check_output

    if not args.output:
        raise UserError("--data needs -o FILE.csv, where the predictions go")
    check_output(args.output, overwrite=args.overwrite)  # refused before any work is done
    model, (task, arrays) = _load_for_data(args.checkpoint, args.data, {}, need_y=False)
    items = predict_items(model, task, task.input_batches(arrays["X"], arrays.get("lengths")))
    p = task.params
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    step = ["step"] if p.per_step else []
    if task.is_classifier:
        writer.writerow(["sequence", *step, "prediction", *(f"p_{c}" for c in p.classes)])
    else:
        names = [f"y_{k}" for k in range(p.targets)] if p.targets else ["prediction"]
        writer.writerow(["sequence", *step, *names])
    ids = arrays.get("ids")  # a long table's sequence ids, else the sequences' numbers
    for i, item in enumerate(items):
        rows = item if p.per_step else [item]
        name = ids[i] if ids is not None else i
        for t, values in enumerate(rows):
            where = [name, t] if p.per_step else [name]
            if task.is_classifier:
                writer.writerow([*where, p.classes[int(values.argmax())],
                                 *(f"{v:.6g}" for v in values)])
            else:
                writer.writerow([*where, *(f"{v:.8g}" for v in np.atleast_1d(values))])
    atomic_write(args.output, out.getvalue())
    print(f"wrote {len(items)} predictions to {Path(args.output).resolve()}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    model, codec = _load_for_prompts(args.checkpoint)
    ids = codec.encode(args.prompt)
    # Printed as it is sampled: a long --length shows text at once, and Ctrl-C keeps it.
    tokens = sample_stream(model, ids, args.length, temperature=args.temperature,
                           top_k=args.top_k, seed=args.seed)
    write_stream(codec, ids.tolist(), tokens, sys.stdout)
    sys.stdout.write("\n")
    return 0


def sample_stream(
    model: Any, prompt: Any, length: int, *, temperature: float, top_k: int, seed: int
) -> Iterator[int]:
    """The tokens :func:`rnnlab.models.sampling.generate` returns, one at a time as drawn
    (the same calls in the same order, so the same tokens for the same seed)."""
    import torch

    from rnnlab.models.sampling import next_token_logits, sample_next

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        logits, state = next_token_logits(model, prompt)
        for _ in range(length):
            token = sample_next(logits, temperature, top_k, generator)
            yield token
            logits, state = next_token_logits(model, torch.tensor([token]), state)


def write_stream(codec: Any, prompt: list[int], tokens: Iterable[int], out: TextIO,
                 chunk: int = 16) -> None:
    """Write ``codec.decode(prompt + tokens)`` piece by piece, flushing each piece.

    A piece is decoded with the two tokens before it as context (word-level text drops the
    spaces around newlines, so a token's text depends on its neighbours); should a codec's
    text not grow by appending, the rest is written at the end, decoded whole.
    """
    shown = list(prompt)
    out.write(codec.decode(shown))
    out.flush()
    pending: list[int] = []
    held = False  # the codec did not decode by appending: keep everything for the end
    for token in tokens:
        pending.append(token)
        if len(pending) >= chunk and not held:
            held = not _write_piece(codec, shown, pending, out)
            if not held:
                shown += pending
                pending = []
    if held or (pending and not _write_piece(codec, shown, pending, out)):
        out.write(codec.decode(shown + pending)[len(codec.decode(shown)):])
    out.flush()


def _write_piece(codec: Any, shown: list[int], piece: list[int], out: TextIO) -> bool:
    context = shown[-2:]
    before = codec.decode(context) if context else ""
    after = codec.decode(context + piece)
    if not after.startswith(before):
        return False
    out.write(after[len(before):])
    out.flush()
    return True


def cmd_draw(args: argparse.Namespace) -> int:
    from rnnlab.viz.diagrams import draw

    input_size = output_size = None
    if args.checkpoint:
        from rnnlab.train import load_checkpoint

        ckpt = load_checkpoint(args.checkpoint, load_state=False)
        config = dataclass_from_args(ModelConfig, args, ckpt.model_config)
        if ckpt.task_spec is not None:
            input_size, output_size = ckpt.task_spec.input_size, ckpt.task_spec.output_size
    else:
        config = dataclass_from_args(ModelConfig, args)
    input_size = args.input_size or input_size
    output_size = args.output_size or output_size
    seq2seq = args.checkpoint and ckpt.task_spec is not None and ckpt.task_spec.seq2seq
    if seq2seq or config.attention != "none" or config.decoder_layers:
        from rnnlab.viz.seq2seq_diagram import draw_seq2seq

        if args.view not in ("auto", "unrolled"):
            raise UserError(f"an encoder-decoder is drawn unrolled only, not --view {args.view}")
        print(draw_seq2seq(config, args.output, steps=args.steps, overwrite=args.overwrite))
        return 0
    path = draw(
        config,
        args.output,
        view=args.view,
        steps=args.steps,
        equations=args.equations,
        input_size=input_size,
        output_size=output_size,
        overwrite=args.overwrite,
    )
    print(path)
    return 0


def cmd_heatmap(args: argparse.Namespace) -> int:
    from rnnlab.inspect.unit_activity import unit_activity
    from rnnlab.utils.atomic import check_output
    from rnnlab.viz.report import write_report
    from rnnlab.viz.unit_page import UnitChoice, auto_units, unit_page

    if (args.text is None) == (args.file is None):
        raise UserError("give the passage with --text or with --file (one of them)")
    check_output(args.output, overwrite=args.overwrite)  # refused before any work is done
    passage = args.text if args.text is not None else _read_passage(args.file, args.max_tokens)
    if not passage:
        raise UserError("the passage is empty")
    model, codec = _load_for_prompts(args.checkpoint)
    vocab = getattr(codec, "vocab", None) or getattr(getattr(codec, "spec", None), "vocab", None)
    if vocab is None:
        raise UserError("heatmap needs a checkpoint of a token model (text or cue-word)")
    ids = codec.encode(passage)[: args.max_tokens]
    activity = unit_activity(model, list(vocab), ids, chunk_len=512)
    if args.unit == "auto":
        choices = auto_units(activity, args.count)
    else:
        try:
            numbers = [int(u) for u in args.unit.split(",")]
        except ValueError:
            raise UserError(f"--unit must be 'auto' or unit numbers like 37,80; got "
                            f"{args.unit!r}") from None
        kind = args.kind or activity.state_kinds[0]  # c for an LSTM, else h
        choices = [UnitChoice(u, kind, args.layer) for u in numbers]
    title = f"Units of {model.describe()}"
    path = write_report(args.output, unit_page(activity, choices, title=title,
                                                 words=getattr(codec, "level", "word") != "char"),
                        overwrite=args.overwrite)
    for c in choices:
        print(f"layer {c.layer} {c.kind} unit {c.unit}: {c.why}")
    print(f"wrote {Path(path).resolve()}")
    return 0


def _read_passage(path: str, max_tokens: int) -> str:
    """The start of a UTF-8 text file: enough characters for ``max_tokens`` words.

    Only that start is read (at most 4 bytes a character), however large the file: a passage
    from a 1 GB corpus costs kilobytes, not gigabytes.
    """
    import codecs
    import os

    chars = max(max_tokens, 1) * 40
    if not os.path.isfile(path):
        raise UserError(f"text file not found: {path}" if not os.path.exists(path)
                        else f"not a file: {path}")
    with open(path, "rb") as f:
        data = f.read(chars * 4)
    if not data:
        raise UserError(f"text file is empty: {path}")
    if b"\x00" in data:
        raise UserError(f"{path} looks binary (it contains NUL bytes), not text")
    try:  # final=False: a character cut at the end of the read is dropped, not an error
        text = codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError as e:
        raise UserError(f"{path} is not UTF-8 text (bad byte at offset {e.start})") from None
    return text[:chars]


def cmd_compare(args: argparse.Namespace) -> int:
    from rnnlab.compare import Progress, compare

    result = compare(compare_config(args), progress=Progress(enabled=not args.quiet))
    for sentence in result.reading:
        print(f"- {sentence}")
    print(f"report: {result.path.resolve()} ({result.wall_time:.0f} s)")
    return 0


def compare_config(args: argparse.Namespace) -> Any:
    """The :class:`~rnnlab.compare.CompareConfig` that ``rnnlab compare``'s flags ask for."""
    from rnnlab.compare import CompareConfig

    values: dict[str, Any] = {
        "task_params": _parse_task_params(args.param),
        "threads": args.threads or CompareConfig().threads,  # compare trains on one thread
    }
    if args.steps is not None and args.minutes is None:  # one limit given: only that limit
        values["minutes"] = 0.0
    elif args.minutes is not None and args.steps is None:
        values["steps"] = 0
    return dataclass_from_args(CompareConfig, args, values, skip=tuple(COMPARE_OPTIONS_ELSEWHERE))


# -- the parser ------------------------------------------------------------------------------


def _add_task_params(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                        help=help_text)


def _int(lo: int, hi: int) -> Any:
    return ranged(int, count(lo, hi))


def _temperature(text: str) -> float:
    """0 (arg-max), or 1e-3 .. 1e3: below that logits / T overflows float32 (1e-45 gives inf)."""
    value = float(text)
    if value == 0 or real(1e-3, 1e3).contains(value):
        return value
    raise argparse.ArgumentTypeError(f"must be 0 or a number in [0.001, 1000], got {text!r}")


def _add_overwrite(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing output file that rnnlab did not write "
                        "(files rnnlab wrote are replaced without it)")


def _version() -> str:
    """rnnlab's installed version; else ``rnnlab.__version__``, if the source defines one."""
    try:
        return importlib.metadata.version("rnnlab")
    except importlib.metadata.PackageNotFoundError:  # a source tree that is not installed
        return str(getattr(rnnlab, "__version__", "unknown"))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rnnlab",
        description="Build, train, compare and look inside feed-forward nets, RNNs, LSTMs, GRUs.",
    )
    parser.add_argument("--version", action="version", version=f"rnnlab {_version()}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.add_argument(
        "--threads", type=_int(0, 1024), default=0,
        help="torch CPU threads (0 = torch's default); 1 is often fastest for small models",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add in (_add_tasks, _add_train, _add_evaluate, _add_forecast, _add_predict,
                _add_generate, _add_draw, _add_heatmap, _add_compare):
        add(sub)
    add_translate(sub, _command, _int)
    return parser


def _add_tasks(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "tasks", "List the tasks and their parameters.", "rnnlab tasks --verbose")
    p.add_argument("-v", "--verbose", action="store_true", help="show every task's parameters")
    p.set_defaults(handler=cmd_tasks)


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub,
        "train",
        "Train a model on a task; checkpoints go to --out-dir, the run's config to its run.toml.",
        """
        rnnlab train --task cue-word -p gap=2:30 --family lstm --hidden-size 64 \\
            --steps 3000 --stop-when 'accuracy>=0.99' --out-dir runs/cue-lstm
        rnnlab train --task text -p path=../shared/data/tinyshakespeare.txt \\
            --family lstm --hidden-size 512 --embedding-dim 64 --minutes 10 \\
            --out-dir runs/shakespeare
        rnnlab train --data mine.npz --family gru --epochs 30 --out-dir runs/mine
        rnnlab train --data visits.csv -p id=patient -p time=hour -p target=outcome \\
            --family gru --out-dir runs/visits
        rnnlab train --task cue-word --batch-size 64 --nproc 2 --out-dir runs/cue-2p
        rnnlab train --resume --out-dir runs/cue-lstm --steps 6000
        rnnlab train --config runs/cue-lstm/run.toml --seed 1 --out-dir runs/cue-lstm-seed1
        """,
    )
    p.add_argument("--config", metavar="FILE",
                   help="read the task, model and training settings from this TOML file "
                   "([task], [task.params], [model], [train]; a run's run.toml reruns it); "
                   "flags given as well override it")
    p.add_argument("--task", default=None,
                   help=f"task name (see `rnnlab tasks`; default {DEFAULT_TASK})")
    p.add_argument("--data", metavar="FILE", default=None,
                   help="train on your own data: an .npz with X (N, T, F) or (N, T) and y "
                   "(optionally lengths, X_valid/y_valid, X_test/y_test), a CSV or Parquet "
                   "table (-p target=COL, long format -p id=COL [-p time=COL]), or a text file; "
                   "see docs/your-data.md")
    p.add_argument("--kind", choices=("classify", "regress", "forecast", "lm"), default=None,
                   help="with --data: classify or regress (the task 'arrays'; default: from "
                   "y's type), forecast (a CSV series: the task 'forecast') or lm (a text "
                   "file: the task 'text'; the default for .txt)")
    _add_task_params(p, "a task parameter, e.g. -p gap=2:30 (repeatable)")
    p.add_argument(
        "--budget",
        type=_int(0, MAX_BUDGET),
        default=0,
        help="pick --hidden-size so the model has about this many parameters",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out-dir exactly where it stopped",
    )
    add_dataclass_options(p.add_argument_group("model"), ModelConfig, ranges=MODEL_RANGES)
    add_dataclass_options(p.add_argument_group("training"), TrainConfig, ranges=TRAIN_RANGES)
    p.set_defaults(handler=cmd_train)


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub,
        "evaluate",
        "Evaluate a checkpoint on a split of its task.",
        "rnnlab evaluate runs/cue-lstm/best --split test\n"
        "rnnlab evaluate runs/cue-lstm/best --split test -p gap=40 -p eval_size=2000\n"
        "rnnlab evaluate runs/mine/best --data new.npz\n"
        "rnnlab evaluate runs/lm/best --data other.txt",
    )
    p.add_argument("checkpoint", help="a checkpoint directory, or a run directory (its last/)")
    p.add_argument("--data", metavar="FILE", default=None,
                   help="a model of your own data: score the X and y of this .npz or table "
                   "(scaled as in training, from the checkpoint); a language model: all of "
                   "this text file, in the training vocabulary; a forecaster: this series")
    p.add_argument("--split", default="valid", choices=("train", "valid", "test"))
    _add_task_params(p, "change a task parameter for this evaluation, e.g. -p gap=40 (repeatable)")
    p.add_argument("--batch-size", type=_int(1, 65536), default=64)
    p.add_argument(
        "--max-batches",
        type=_int(0, 10**9),
        default=0,
        help="score at most this many batches (0 = the whole split; the endless train split "
        "of a generated task defaults to the size of its validation set)",
    )
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.set_defaults(handler=cmd_evaluate)


def _add_forecast(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub,
        "forecast",
        "Forecast past the end of a forecaster's data; a CSV (one row per step) and a plot.",
        "rnnlab forecast runs/airline/best --horizon 24 -o forecast.csv --plot forecast.png\n"
        "rnnlab forecast runs/airline/best --holdout 12 --plot check.png   # beside the truth\n"
        "rnnlab forecast runs/load/best -p series=new.csv -o next.csv      # a newer file",
    )
    p.add_argument("checkpoint", help="a checkpoint of a forecast task")
    p.add_argument("--horizon", type=_int(0, 100_000), default=0,
                   help="steps to forecast (0 = the model's horizon; more are rolled forward "
                   "when the model reads only its targets)")
    p.add_argument("--holdout", type=_int(0, 10**9), default=0,
                   help="forecast from this many steps before the end, so the held-out "
                   "values are shown (and written) as the truth")
    p.add_argument("-o", "--output", help="the CSV file (default: print the CSV)")
    p.add_argument("--plot", help="a picture of history, forecast and truth (.png, .svg, .pdf)")
    _add_task_params(p, "change a task parameter, e.g. -p series=new.csv (repeatable)")
    _add_overwrite(p)
    p.set_defaults(handler=cmd_forecast)


def _add_predict(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub,
        "predict",
        "The most likely next tokens after a prompt, or predictions for the sequences of a file.",
        "rnnlab predict runs/cue-lstm/best "
        "--prompt 'Starving, Alice drives to the nearest store to buy'\n"
        "rnnlab predict runs/mine/best --data new.npz -o predictions.csv",
    )
    p.add_argument("checkpoint")
    p.add_argument("--prompt", default=None, help="a language model: the text to continue")
    p.add_argument("--data", metavar="FILE", default=None,
                   help="a model of your own data: predict for the X (and lengths) of this "
                   ".npz, or the sequences of this table")
    p.add_argument("-o", "--output", default=None, help="with --data: the CSV file to write")
    _add_overwrite(p)
    p.add_argument("--top-k", type=_int(1, 10**6), default=5)
    p.set_defaults(handler=cmd_predict)


def _add_generate(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub,
        "generate",
        "Sample a continuation of a prompt from a language model.",
        "rnnlab generate runs/shakespeare/best --prompt 'ROMEO:' --length 300 --temperature 0.8",
    )
    p.add_argument("checkpoint")
    p.add_argument("--prompt", required=True)
    p.add_argument("--length", type=_int(0, 10**8), default=200, help="tokens to generate")
    p.add_argument("--temperature", type=_temperature, default=1.0,
                   help="0 = always the most likely; else from 0.001 to 1000")
    p.add_argument("--top-k", type=_int(0, 10**6), default=0,
                   help="sample among the k most likely; 0 = all")
    p.add_argument("--seed", type=_int(0, MAX_SEED), default=0)
    p.set_defaults(handler=cmd_generate)


def _add_draw(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub,
        "draw",
        "Draw a model's architecture (SVG or PNG, by the file name).",
        "rnnlab draw --family lstm --peephole --equations -o lstm.svg\n"
        "rnnlab draw runs/cue-lstm/best --view stack -o stack.png",
    )
    p.add_argument("checkpoint", nargs="?", help="draw this checkpoint's model (optional)")
    p.add_argument("-o", "--output", required=True, help="output file, .svg or .png")
    _add_overwrite(p)
    p.add_argument("--view", default="auto", help="auto | cell | unrolled | stack | feedforward")
    p.add_argument("--steps", type=_int(1, 64), default=4, help="time steps in the unrolled view")
    p.add_argument("--equations", action="store_true", help="show the cell's equations beside it")
    p.add_argument("--input-size", type=_int(0, MAX_WIDTH), default=0)
    p.add_argument("--output-size", type=_int(0, MAX_WIDTH), default=0)
    add_dataclass_options(p.add_argument_group("model"), ModelConfig, ranges=MODEL_RANGES)
    p.set_defaults(handler=cmd_draw)


def _add_heatmap(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub,
        "heatmap",
        "Colour a passage by single units (cells, hidden units) and their gates; HTML.",
        "rnnlab heatmap runs/shakespeare/best --file play.txt --unit auto -o units.html\n"
        "rnnlab heatmap runs/shakespeare/best --text 'ROMEO:\\nBut soft!' --unit 37,80 --kind c",
    )
    p.add_argument("checkpoint", help="a checkpoint of a language model (text task)")
    p.add_argument("--text", help="the passage")
    p.add_argument("--file", help="a UTF-8 text file whose start is the passage")
    p.add_argument("--max-tokens", type=_int(1, 10**6), default=2000,
                   help="tokens of the passage shown")
    p.add_argument("--unit", default="auto",
                   help="'auto' (units that track something, found automatically) or numbers")
    p.add_argument("--count", type=_int(1, 64), default=3,
                   help="with --unit auto: how many units")
    p.add_argument("--kind", choices=("c", "h"), default=None,
                   help="cell state c (LSTM, the default there) or hidden state h")
    p.add_argument("--layer", type=_int(0, 63), default=0)
    p.add_argument("-o", "--output", default="units.html", help="the HTML file")
    _add_overwrite(p)
    p.set_defaults(handler=cmd_heatmap)


# Fields of CompareConfig whose option is not generated from the field, and where it is.
COMPARE_OPTIONS_ELSEWHERE = {
    "task_params": "-p/--param NAME=VALUE (repeatable)",
    "threads": "rnnlab --threads N (before the command; compare's default is 1)",
}


def _add_compare(sub: argparse._SubParsersAction) -> None:
    # The options come from CompareConfig, whose import loads the report's plotting: they are
    # added when the compare parser is first used, so that other commands start fast.
    p = _command(
        sub,
        "compare",
        "Train several architectures at matched parameter counts; write one HTML report.",
        "rnnlab compare                  # MLP, Elman RNN, LSTM, GRU on cue-word, < 3 min\n"
        "rnnlab compare --models lstm,lstm:peephole,lstm:coupled,gru --seeds 3\n"
        "rnnlab compare --models 'lstm, [lstm:32:peephole, gru:16, dense:8]'\n"
        "rnnlab compare --task text -p path=../shared/data/tinyshakespeare.txt --minutes 2",
        populate=_compare_options,
    )
    p.set_defaults(handler=cmd_compare)


def _compare_options(p: argparse.ArgumentParser) -> None:
    from rnnlab.compare import CompareConfig
    from rnnlab.compare.specs import split_models

    _add_task_params(p, "a task parameter, e.g. -p gap=2:30 (repeatable)")
    add_dataclass_options(
        p, CompareConfig, skip=tuple(COMPARE_OPTIONS_ELSEWHERE), ranges=COMPARE_RANGES,
        short={"output": "-o"}, parsers={"models": (split_models, "MODEL,MODEL,...")},
    )  # fmt: skip
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")


def _rank_tag() -> str:
    """`` (rank N)`` in a process of a torchrun job other than rank 0, else nothing."""
    rank = os.environ.get("RANK", "0")
    return f" (rank {rank})" if int(os.environ.get("WORLD_SIZE", "1")) > 1 and rank != "0" else ""


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:  # Ctrl-C during start-up (imports, parsing) or a second one
        print("rnnlab: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # what --nproc runs again
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s"
    )
    if args.threads < 0:
        parser.error(f"--threads must be >= 0, got {args.threads}")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return args.handler(args)
    except UserError as err:
        if not getattr(err, "printed_elsewhere", False):  # rank 0 of a job said it already
            print(f"rnnlab {args.command}{_rank_tag()}: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as err:  # a file the user named could not be read or written
        where = f": {err.filename}" if err.filename else ""
        print(f"rnnlab {args.command}: error: {err.strerror or err}{where}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError:  # a size the ranges allow but this machine has not
        print(f"rnnlab {args.command}: error: out of memory; use smaller sizes (hidden size, "
              "batch size, budget)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"rnnlab {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
