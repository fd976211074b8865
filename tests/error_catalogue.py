"""The catalogue of rnnlab's errors, docs/errors.md, made from the code itself.

Every ``UserError`` (and every range message of the command line) is found in the source by
its message text, placeholders shown as ``{}``; each module's section says what causes its
errors and how to fix them. ``python tests/error_catalogue.py`` rewrites docs/errors.md;
tests/test_errors_doc.py fails when the file and the code disagree.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "errors.md"
RAISERS = ("UserError", "UserRuntimeError", "UserTypeError", "ArgumentTypeError")  # nn/errors.py

# module -> what makes its errors happen, and what to do about them
NOTES: dict[str, str] = {
    "rnnlab/cli.py": "A flag or combination of flags the command cannot use (a resumed run "
    "that would change its task or model, an out-of-range value, a missing passage). Fix the "
    "flag as the message says; `rnnlab COMMAND --help` lists every flag with an example.",
    "rnnlab/cli_options.py": "A value given to a flag has the wrong type or lies outside the "
    "flag's range (see rnnlab/train/ranges.py for the ranges and why). Give a value inside it.",
    "rnnlab/compare/config.py": "A comparison that cannot run: an unknown task, no models, a "
    "budget, seed count or size below 1, no limit, a report that cannot be written. Change "
    "the named option.",
    "rnnlab/compare/specs.py": "A model list that is not in the mini-language: an unknown "
    "family or variant, a field=value of the wrong type, a model listed twice. Write models "
    "as family[:option...], e.g. lstm:peephole or mlp:window=8.",
    "rnnlab/models/layer_spec.py": "A layer of a --layers list that is not kind:size[:option"
    "...]: an unknown kind, a missing or non-positive size, an option the kind does not take "
    "(the message lists those it does), a value of the wrong type. Write layers like "
    "dense:32, lstm:128:peephole, gru:64:bidirectional.",
    "rnnlab/models/config.py": "A model config rnnlab cannot build: an unknown family, "
    "nonlinearity or backend, a size below its minimum, a rule between a family's options "
    "(coupled gates need the forget gate; a projection must be smaller than the cell), or a "
    "layer list beside the uniform-stack options it replaces. Change the named field.",
    "rnnlab/tasks/array_data.py": "Arrays or an .npz file that cannot be your sequences and "
    "targets: a missing file, a .npy or a file that is not an .npz, pickled object arrays, a "
    "missing X or y, X of the wrong rank, empty or with NaN/inf, sequences with different "
    "numbers of features, lengths that do not fit, y not one target per sequence (or step). "
    "Give X as (N, T, F), (N, T) or a list of (T, F) arrays and y with one target each; save "
    "files with numpy.savez(FILE.npz, X=X, y=y).",
    "rnnlab/tasks/arrays.py": "The arrays task cannot use its data: labels a classifier cannot "
    "take (real numbers, a single class), labels or feature counts the model was not fitted on, "
    "a data file changed since fitting (-p allow_changed=true uses it anyway), no data at all "
    "(give --data FILE.npz), or fitted params that do not fit together (an edited checkpoint).",
    "rnnlab/estimators/base.py": "An estimator's hyper-parameters that cannot be used together "
    "(a layer list beside family/hidden_size), a validation_data that is not (X, y[, lengths]), "
    "a checkpoint of another task or kind given to load, or a 2-D X whose number of columns "
    "differs from the one it was fitted on. Change the named argument.",
    "rnnlab/models/conv_video.py": "The ConvLSTM's video model cannot serve this task or "
    "config: the task's inputs are not frames (no frame_shape), or an option of the vector "
    "models (bidirectional, frame_encoder, dense layers, a layer list) was set, or clips of "
    "unequal length. Use a video task (moving-digits) and drop the named option.",
    "rnnlab/models/frames.py": "The per-frame CNN (frame_encoder=cnn) got frames too small to "
    "pool twice. Use frames of at least 4x4 pixels.",
    "rnnlab/nn/conv_lstm.py": "A ConvLSTM or ConvLSTMCell given a bad argument (an even "
    "kernel, frame_size without peepholes) or an input that is not (B, T, C, H, W) with the "
    "layer's channels (and, with per-pixel peepholes, its frame size). Fix the named value.",
    "rnnlab/bptt/conv_lstm.py": "conv_lstm_sequence called directly with tensors of the wrong "
    "shapes: x (T, B, C, Hf, Wf), h0 and c0 (B, H, Hf, Wf), weights (4H, C, k, k) and "
    "(4H, H, k, k) with an odd k. Pass the shapes the message names.",
    "rnnlab/train/checkpoint.py": "A checkpoint that is missing, damaged (a file does not match "
    "its checksum: copied half-way or edited), from an incompatible rnnlab, or a model whose "
    "weights are not finite. Copy the checkpoint again, use the rnnlab version that wrote it, "
    "or train again with a lower learning rate.",
    "rnnlab/train/schema.py": "A checkpoint's config.json that is not what rnnlab writes: too "
    "large, nested too deep, a field of the wrong type or out of range, a file outside the "
    "checkpoint, weights that do not fit the model the config describes. Such a checkpoint "
    "was edited or crafted: do not use it; train again or ask its author for an intact copy.",
    "rnnlab/train/state_io.py": "The training state of last/ (state.json, state.safetensors) "
    "is damaged or crafted. Resume from an intact copy, or start the run afresh.",
    "rnnlab/train/config.py": "A training setting out of its range or of the wrong type, or "
    "a run with no end. Change the named setting.",
    "rnnlab/train/ranges.py": "A number outside the range rnnlab accepts for it (the range is "
    "in the message). Give a value inside it.",
    "rnnlab/train/loop.py": "Training cannot start: there is no out_dir to resume from (give "
    "--out-dir, the run folder holding last/), or nproc > 1 was set in Python, where rnnlab "
    "cannot start the processes itself (run the script under torchrun, or set nproc to 1).",
    "rnnlab/train/distributed.py": "A data-parallel job (--nproc, torchrun) cannot go on: the "
    "global batch does not split evenly over the processes (use a batch size that is a "
    "multiple of their number), more processes on a machine than it has GPUs, or a process "
    "lost contact with the others because one died or hung. The run's last/ is intact: rnnlab "
    "train --resume --out-dir DIR continues it, with any number of processes.",
    "rnnlab/train/launch.py": "One of the processes rnnlab train --nproc started was killed "
    "(by a signal: out of memory, kill, a scheduler) or crashed, so the agent stopped the "
    "others. Find why it died (dmesg for the OOM killer), then continue with --resume.",
    "rnnlab/train/resume.py": "The last/ checkpoint of the run cannot be resumed: it holds no "
    "training state, or its saved RNG state does not restore (the checkpoint is damaged). "
    "Resume from an intact copy, or start the run afresh.",
    "rnnlab/train/run_file.py": "A --config file rnnlab cannot use: missing, not a file, too "
    "large, binary or not UTF-8, not valid TOML, a table or key rnnlab does not know (often a "
    "typo: the message names it), or a value of the wrong type. A run file has the tables "
    "[task] (name, and [task.params]), [model] and [train], their keys the option names with _ "
    "for - (see `rnnlab train --help`); a run's own run.toml is always valid.",
    "rnnlab/tasks/forecast.py": "A forecast that cannot be set up: a horizon longer than the "
    "test span, too short a series, a recursive strategy with inputs besides the targets, or a "
    "checkpoint whose data file changed since training (it records the file's sha256; "
    "-p allow_changed=true uses the changed file with the recorded scaling, -p series=FILE "
    "another file) or whose recorded scaling was edited. Change the named parameter.",
    "rnnlab/tasks/forecast_data.py": "A data file of a forecast that rnnlab cannot read: "
    "missing, not UTF-8 CSV, no such column, a missing, non-numeric or non-finite value (the "
    "message names the line and column), an unparseable or repeated date. Fix the file or "
    "name other columns with -p target=, -p inputs=, -p date=.",
    "rnnlab/train/backtest.py": "A forecast past the end that the model cannot make: more "
    "steps than its horizon while it reads inputs whose future is unknown, or a --holdout "
    "that leaves too little history. Ask for fewer steps or a smaller holdout.",
    "rnnlab/viz/forecast_plot.py": "A --plot file name rnnlab cannot write: give a .png, .svg "
    "or .pdf file.",
    "rnnlab/train/validation.py": "The validation metric named by --metric is not one the task "
    "reports (the message lists those it does). Pick one of them.",
    "rnnlab/train/numerics.py": "The loss or the gradient was inf or NaN for several steps in "
    "a row (each was skipped). Lower --lr, or set --clip-grad-norm (e.g. 1.0).",
    "rnnlab/train/optim.py": "An unknown optimizer, or a model with nothing to train.",
    "rnnlab/train/run_dir.py": "The run folder cannot be used: another training holds it, it "
    "already holds a run (resume it, or pass --overwrite), or it holds last/, best/, "
    "metrics.jsonl or run.toml that rnnlab did not write (pick another --out-dir), or there "
    "is nothing to resume.",
    "rnnlab/train/session.py": "Resuming cannot continue: the task's data changed, the "
    "optimizer state does not fit, CUDA is not there. Resume with the same task and rnnlab.",
    "rnnlab/cli_translate.py": "`rnnlab translate` was given a checkpoint that is not a "
    "sequence-to-sequence model, no input, an attention map for a model without attention, or "
    "a length penalty out of range. Train on dates, numbers or parallel (with --attention for "
    "maps) and give the text or --file.",
    "rnnlab/models/seq2seq.py": "An encoder-decoder cannot be built: the window MLP (no "
    "recurrent layer), a task that is not sequence to sequence, tied weights, or a state "
    "passed to it. Use a recurrent family on dates, numbers or parallel.",
    "rnnlab/models/build.py": "attention or decoder_layers given for a task that is not "
    "sequence to sequence. Drop them, or train on dates, numbers or parallel.",
    "rnnlab/tasks/translation.py": "A translation task needs a package of the translate extra "
    "(pip install 'rnnlab[translate]'), or the input to translate is empty.",
    "rnnlab/tasks/dates.py": "A dates parameter out of range: more than 100 years (two-digit "
    "years would be ambiguous), an unknown babel locale, a split fraction so small that no "
    "day falls in it. Change the named parameter.",
    "rnnlab/tasks/numbers.py": "A numbers parameter out of range, a language num2words does "
    "not know, or a split fraction so small that no number falls in it.",
    "rnnlab/tasks/parallel.py": "A parallel file rnnlab cannot read as pairs: a line without "
    "exactly one tab, an empty side, a side longer than max_len (raise it with -p max_len=N), "
    "or too few pairs for three splits. The message names the file and the line.",
    "rnnlab/viz/attention.py": "An attention map or chart must be a .png or .svg file.",
    "rnnlab/utils/atomic.py": "An output file that rnnlab will not replace: it exists and "
    "rnnlab did not write it (pass --overwrite), or it is a folder, link, FIFO or device "
    "(name a regular file), or the name is empty.",
}
GENERIC = ("The input named in the message (a task parameter, a model option, a file, a "
           "checkpoint) is not what this part of rnnlab accepts; change it as the message says.")


def _skeleton(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def messages_in_code() -> dict[str, list[str]]:
    """Module path -> the message templates of the user errors it raises (sorted, unique)."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted((ROOT / "rnnlab").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            text = _skeleton(node.args[0]) if name in RAISERS else None
            if text:
                found[path.relative_to(ROOT).as_posix()].add(" ".join(text.split()))
    return {k: sorted(v) for k, v in sorted(found.items())}


def render(messages: dict[str, list[str]]) -> str:
    lines = [
        "# Errors rnnlab reports",
        "",
        "Bad input never gives a traceback: the command line prints one line, "
        "`rnnlab COMMAND: error: MESSAGE`, and exits with code 2 (130 after Ctrl-C or SIGTERM, "
        "with last/ saved). Library callers get `rnnlab.errors.UserError`, a `ValueError`.",
        "",
        "Below, every message by the module that raises it; `{}` stands for the part that "
        "names your value. Each section says what causes its errors and how to fix them. "
        "This file is generated from the code (`python tests/error_catalogue.py`), and "
        "tests/test_errors_doc.py fails when the two disagree.",
        "",
    ]
    for module, texts in messages.items():
        lines += [f"## {module}", "", f"Cause and fix: {NOTES.get(module, GENERIC)}", ""]
        lines += [f"- `{t.replace('`', chr(39))}`" for t in texts]
        lines.append("")
    return "\n".join(lines)


def messages_in_doc(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    module = None
    for line in text.splitlines():
        if line.startswith("## "):
            module = line[3:].strip()
            found[module] = []
        elif line.startswith("- `") and line.endswith("`") and module is not None:
            found[module].append(line[3:-1])
    return found


if __name__ == "__main__":
    DOC.write_text(render(messages_in_code()), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")
