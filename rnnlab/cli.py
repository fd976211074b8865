"""The ``rnnlab`` command (also ``python -m rnnlab``).

Each sub-command is a thin layer over the library: it maps flags onto the config dataclasses,
calls one function, and prints what came back. Bad input of any kind is a
:class:`~rnnlab.errors.UserError`, printed as one line with exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from rnnlab.cli_options import add_dataclass_options, dataclass_from_args, field_help, ranged
from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.train.config import TrainConfig
from rnnlab.train.ranges import MAX_SEED, MAX_WIDTH, MODEL_RANGES, TRAIN_RANGES, count, real

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
DEFAULT_TASK = "cue-word"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (and exit 2), not the whole usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _command(
    sub: argparse._SubParsersAction, name: str, summary: str, example: str
) -> argparse.ArgumentParser:
    return sub.add_parser(
        name,
        help=summary,
        description=f"{summary}\n\nexample:\n{textwrap.indent(example.strip(), '  ')}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    from rnnlab.models import build_model, hidden_size_for_budget
    from rnnlab.tasks import make_task
    from rnnlab.train import read_meta, train
    from rnnlab.train.checkpoint import Checkpoint, find_checkpoint
    from rnnlab.train.schema import check_weights_fit
    from rnnlab.utils import seed_everything

    if args.resume:
        if not args.out_dir:
            raise UserError("--resume needs --out-dir, the run directory to continue")
        meta = read_meta(Path(args.out_dir) / "last")  # validated: see train/schema.py
        _refuse_changes_on_resume(args, meta)
        ckpt = Checkpoint(find_checkpoint(Path(args.out_dir) / "last"), meta, {}, None)
        task = make_task(ckpt.task_name, **ckpt.task_params)
        model_config = ckpt.model_config
        if model_config is None:
            raise UserError(f"{ckpt.path} stores no model config, so it cannot be resumed")
        train_config = dataclass_from_args(TrainConfig, args, ckpt.train_config)
        check_weights_fit(build_model, model_config, task.spec, ckpt.path / "model.safetensors")
        model = build_model(model_config, task.spec)  # train() loads the weights and state
    else:
        task = make_task(args.task or DEFAULT_TASK, **_parse_task_params(args.param))
        model_config = dataclass_from_args(ModelConfig, args)
        if args.steps is None and (args.minutes or args.epochs):
            args.steps = 0  # a time or epoch limit replaces the default step limit
        train_config = dataclass_from_args(TrainConfig, args)
        if args.budget:
            model_config.hidden_size = hidden_size_for_budget(model_config, task.spec, args.budget)
        seed_everything(train_config.seed)  # the initial weights are part of the run's seed
        model = build_model(model_config, task.spec)
    logging.info("model: %s", model.describe())
    print(f"{task.name}: {model.describe()}", flush=True)
    result = train(model, task, train_config, resume=args.resume)
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
    task = make_task(ckpt.task_name, **{**ckpt.task_params, **(overrides or {})})
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


def cmd_evaluate(args: argparse.Namespace) -> int:
    from rnnlab.tasks.common import GeneratedTask
    from rnnlab.train import evaluate

    if args.max_batches < 0:
        raise UserError(f"--max-batches must be 0 (the whole split) or more, "
                        f"got {args.max_batches}")
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
    if args.json:
        print(json.dumps(metrics))
    else:
        for key, value in metrics.items():
            print(f"{key:14s} {value:.6g}")
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

    model, codec = _load_for_prompts(args.checkpoint)
    for token, prob in next_token_distribution(model, codec.encode(args.prompt), args.top_k):
        print(f"{codec.decode([token])!r:20s} {prob:.4f}")
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
    from rnnlab.compare import CompareConfig, Progress, compare

    defaults = CompareConfig()
    steps, minutes = args.steps, args.minutes
    if steps is None and minutes is None:
        steps, minutes = defaults.steps, defaults.minutes
    config = CompareConfig(
        task=args.task,
        task_params=_parse_task_params(args.param),
        models=tuple(m for m in args.models.split(",") if m.strip()),
        budget=args.budget,
        seeds=args.seeds,
        steps=steps or 0,  # one limit given: only that limit
        minutes=minutes or 0.0,
        batch_size=args.batch_size,
        lr=args.lr,
        eval_size=args.eval_size,
        output=args.output,
        overwrite=args.overwrite,
        threads=args.threads or defaults.threads,  # compare trains on one thread by default
    )
    result = compare(config, progress=Progress(enabled=not args.quiet))
    for sentence in result.reading:
        print(f"- {sentence}")
    print(f"report: {result.path.resolve()} ({result.wall_time:.0f} s)")
    return 0


# -- the parser ------------------------------------------------------------------------------


def _add_task_params(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                        help=help_text)


# A model of 10**8 parameters is 400 MB of weights before the optimizer's copies; compare
# trains several: beyond this the search for a hidden size, and training, never end.
MAX_BUDGET = 10**8


def _int(lo: int, hi: int) -> Any:
    return ranged(int, count(lo, hi))


def _float(lo: float, hi: float, *, open_lo: bool = False) -> Any:
    return ranged(float, real(lo, hi, open_lo=open_lo))


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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rnnlab",
        description="Build, train, compare and look inside feed-forward nets, RNNs, LSTMs, GRUs.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.add_argument(
        "--threads", type=_int(0, 1024), default=0,
        help="torch CPU threads (0 = torch's default); 1 is often fastest for small models",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = _command(sub, "tasks", "List the tasks and their parameters.", "rnnlab tasks --verbose")
    p.add_argument("-v", "--verbose", action="store_true", help="show every task's parameters")
    p.set_defaults(handler=cmd_tasks)

    p = _command(
        sub,
        "train",
        "Train a model on a task; checkpoints go to --out-dir.",
        """
        rnnlab train --task cue-word -p gap=2:30 --family lstm --hidden-size 64 \\
            --steps 3000 --stop-when 'accuracy>=0.99' --out-dir runs/cue-lstm
        rnnlab train --task text -p path=../shared/data/tinyshakespeare.txt \\
            --family lstm --hidden-size 512 --embedding-dim 64 --minutes 10 \\
            --out-dir runs/shakespeare
        rnnlab train --resume --out-dir runs/cue-lstm --steps 6000
        """,
    )
    p.add_argument("--task", default=None,
                   help=f"task name (see `rnnlab tasks`; default {DEFAULT_TASK})")
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

    p = _command(
        sub,
        "evaluate",
        "Evaluate a checkpoint on a split of its task.",
        "rnnlab evaluate runs/cue-lstm/best --split test\n"
        "rnnlab evaluate runs/cue-lstm/best --split test -p gap=40 -p eval_size=2000",
    )
    p.add_argument("checkpoint", help="a checkpoint directory, or a run directory (its last/)")
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

    p = _command(
        sub,
        "predict",
        "The most likely next tokens after a prompt, with probabilities.",
        "rnnlab predict runs/cue-lstm/best "
        "--prompt 'Starving, Alice drives to the nearest store to buy'",
    )
    p.add_argument("checkpoint")
    p.add_argument("--prompt", required=True)
    p.add_argument("--top-k", type=_int(1, 10**6), default=5)
    p.set_defaults(handler=cmd_predict)

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

    p = _command(
        sub,
        "draw",
        "Draw a model's architecture (SVG or PNG, by the file name).",
        "rnnlab draw --family lstm --peephole true --equations -o lstm.svg\n"
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

    p = _command(
        sub,
        "compare",
        "Train several architectures at matched parameter counts; write one HTML report.",
        "rnnlab compare                  # MLP, Elman RNN, LSTM, GRU on cue-word, < 3 min\n"
        "rnnlab compare --models lstm,lstm:peephole,lstm:coupled,gru --seeds 3\n"
        "rnnlab compare --task text -p path=../shared/data/tinyshakespeare.txt --minutes 2",
    )
    p.add_argument("--task", default="cue-word", help="task name (see `rnnlab tasks`)")
    _add_task_params(p, "a task parameter, e.g. -p gap=2:30 (repeatable)")
    p.add_argument(
        "--models",
        default="mlp,rnn,lstm,gru",
        help="comma-separated models: mlp, rnn, lstm, gru, with options such as "
        "lstm:peephole, lstm:coupled, gru:reset-before, rnn:relu, mlp:window=8",
    )
    p.add_argument("--budget", type=_int(1, MAX_BUDGET), default=20_000,
                   help="parameters per model")
    p.add_argument("--seeds", type=_int(1, 100), default=1,
                   help="runs per model; results are mean ± sd")
    p.add_argument(
        "--steps", type=_int(0, 10**9), default=None,
        help="optimizer steps per model and seed (default 700)",
    )  # fmt: skip
    p.add_argument(
        "--minutes",
        type=_float(0.0, 1e7),
        default=None,
        help="time limit per model and seed (default 0.55, with the default steps)",
    )
    p.add_argument("--batch-size", type=_int(1, 65536), default=32)
    p.add_argument("--lr", type=_float(0.0, 1e6, open_lo=True), default=0.02,
                   help="Adam's learning rate")
    p.add_argument("--eval-size", type=_int(1, 10**7), default=256,
                   help="validation/test sequences")
    p.add_argument("-o", "--output", default="report.html", help="the report file")
    _add_overwrite(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=cmd_compare)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:  # Ctrl-C during start-up (imports, parsing) or a second one
        print("rnnlab: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
        print(f"rnnlab {args.command}: error: {err}", file=sys.stderr)
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
