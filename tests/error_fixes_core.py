"""Per-message cause and fix for docs/errors.md, rnnlab/{bptt,compare,inspect,models,nn,viz}:
module -> {message template -> text}.

Keys are the templates exactly as tests/error_catalogue.py finds them (`{}` for each
placeholder, whitespace collapsed). Each text says in one or two sentences what led to the
message and what to do instead. See tests/error_catalogue.py.
"""

from __future__ import annotations

FIXES: dict[str, dict[str, str]] = {
    "rnnlab/bptt/_common.py": {
        "batch_sizes has {} entries but x has T={} steps":
            "elman_sequence, gru_sequence or lstm_sequence got a batch_sizes whose length is not "
            "the number of steps of x (its first dimension). Pass one count per step, e.g. the "
            "batch_sizes of torch.nn.utils.rnn.pack_padded_sequence, or None when no row is "
            "padded.",
        "batch_sizes must be non-increasing (rows sorted by decreasing length), got {}":
            "A kernel got batch_sizes that grow at some step, which happens when the rows of x "
            "are not sorted longest first. Sort the rows by decreasing length before making "
            "batch_sizes, or let pack_padded_sequence(..., enforce_sorted=False) sort them.",
        "batch_sizes must lie in [0, B={}], got {}":
            "A count in batch_sizes is negative or larger than the batch (the second dimension of "
            "x). Give each step the number of rows still running, between 0 and B.",
        "h0 must be (B={}, H), got shape {}":
            "elman_sequence or gru_sequence got an h0 that is not 2-D or has another number of "
            "rows than x has sequences. Pass h0 of shape (B, H), e.g. torch.zeros(B, H); drop the "
            "layer dimension that torch.nn.RNN's h0 has.",
        "unknown {} {}; choose one of {}":
            "A kernel was called with backend= other than 'bptt' or 'reference', or "
            "elman_sequence with a nonlinearity= other than tanh, relu or sigmoid. Pass one of "
            "the listed names, e.g. backend='bptt'; 'auto' and 'fused' are options of the "
            "rnnlab.nn layers, not of the kernels.",
        "weights must be weight_ih ({}, {}) and weight_hh ({}, {}), got {} and {}":
            "elman_sequence or gru_sequence got weights whose rows are not one block of H per "
            "gate (1 for the Elman net, 3 for the GRU) or whose columns do not match x's features "
            "and h0's width. Pass weight_ih of shape (G*H, I) and weight_hh (G*H, H), as "
            "torch.nn.RNN and torch.nn.GRU store them.",
        "x must be (T, B, I) with T >= 1, got shape {}":
            "elman_sequence or gru_sequence got an x that is not 3-D or has no steps. Pass x "
            "time-major, e.g. x.transpose(0, 1) of a batch-first (B, T, I) tensor, with at least "
            "one step.",
    },
    "rnnlab/bptt/conv_lstm.py": {
        "4 gates of H={} channels with an odd kernel k need weight_ih (4H, {}, k, k) and "
        "weight_hh (4H, H, k, k), got {} and {}":
            "conv_lstm_sequence got weights that do not have 4*H output channels, do not take x's "
            "channels and h0's H channels, or have an even kernel. Pass square weights with an "
            "odd k (3 or 5), weight_ih (4H, C, k, k) and weight_hh (4H, H, k, k).",
        "bias_ih and bias_hh go together: give both or neither":
            "conv_lstm_sequence got ConvLSTMWeights with only one of bias_ih and bias_hh set. Set "
            "both, each of shape (4H,), or leave both None.",
        "h0 and c0 must be (B, H, Hf, Wf) with B={}, Hf={}, Wf={}, got {} and {}":
            "conv_lstm_sequence got an h0 or c0 that is not 4-D, differs from the other, or does "
            "not match x's batch and frame height and width. Pass both as torch.zeros(B, H, Hf, "
            "Wf) with the Hf and Wf of x.",
        "weight_peephole must be (3, H, 1, 1) or (3, H, Hf, Wf) = (3, {}, {}, {}), got {}":
            "conv_lstm_sequence got a weight_peephole that is not one row per sigmoid gate (3) of "
            "H channels, per channel or per pixel of the frame. Pass shape (3, H, 1, 1), or (3, "
            "H, Hf, Wf) for per-pixel peepholes, or None for none.",
        "x must be time-major (T, B, C, Hf, Wf) with T >= 1, got {}":
            "conv_lstm_sequence got an x that is not 5-D or has no steps. Pass clips time-major "
            "with at least one frame, e.g. x.transpose(0, 1) of a batch-first (B, T, C, Hf, Wf) "
            "tensor.",
    },
    "rnnlab/bptt/lstm.py": {
        "bias_ih and bias_hh go together: give both or neither":
            "lstm_sequence got LSTMWeights with only one of bias_ih and bias_hh set. Set both, "
            "each of shape (G*H,), or leave both None.",
        "bias_ln_c needs weight_ln_c":
            "lstm_sequence got LSTMWeights with the cell's layer-norm shift bias_ln_c but not its "
            "gain weight_ln_c. Give weight_ln_c of shape (H,) too (e.g. torch.ones(H)), or drop "
            "bias_ln_c.",
        "h0 has P={} columns but H={} and there is no weight_hr":
            "lstm_sequence got an h0 narrower or wider than c0, which only a projected LSTM "
            "(LSTMP) has, but LSTMWeights has no weight_hr. Give h0 as wide as c0, or set "
            "weight_hr of shape (P, H).",
        "h0 must be (B, P) and c0 (B, H) with B={}, got {} and {}":
            "lstm_sequence got an h0 or c0 that is not 2-D or has another number of rows than x "
            "has sequences. Pass h0 (B, P) and c0 (B, H), e.g. torch.zeros(B, H) for both without "
            "a projection; drop the layer dimension torch.nn.LSTM's states have.",
        "weight_hr must be (P={}, H={}), got {}":
            "lstm_sequence got a projection weight_hr whose shape does not map the cell's H units "
            "to h0's P columns. Pass weight_hr of shape (P, H), as torch.nn.LSTM's weight_hr_l0 "
            "with proj_size=P.",
        "weight_ln_ih and weight_ln_hh go together: give both or neither":
            "lstm_sequence got LSTMWeights with only one of the layer-norm gains weight_ln_ih and "
            "weight_ln_hh. Set both, each of shape (G*H,), for a layer-normalised LSTM, or "
            "neither.",
        "x must be time-major (T, B, I) with T >= 1, got {}":
            "lstm_sequence got an x that is not 3-D or has no steps. Pass x time-major, e.g. "
            "x.transpose(0, 1) of a batch-first (B, T, I) tensor, with at least one step.",
        "{} gates of H={} need weight_ih ({}, {}) and weight_hh ({}, {}), got {} and {}":
            "lstm_sequence got weights whose rows are not one block of H per gate of the chosen "
            "variant, or whose columns do not match x's features and h0's width. Check "
            "forget_gate and coupled (4 gates by default, 3 with forget_gate=False or "
            "coupled=True) and pass weight_ih (G*H, I) and weight_hh (G*H, P).",
    },
    "rnnlab/bptt/masks.py": {
        "mask {} does not apply to a layer without a cell state":
            "elman_sequence or gru_sequence got Masks with zoneout_c set, but only the LSTM has a "
            "cell state to zone out. Leave zoneout_c None for these layers, or use lstm_sequence.",
        "mask {} must have shape {}, got {}":
            "A kernel got a regulariser mask of another shape than its layer needs. Make x (B, "
            "I), h (B, P), weight_hh the shape of weight_hh, zoneout_h (T, B, P) and zoneout_c "
            "(T, B, H), with the B and T of this call's x.",
    },
    "rnnlab/bptt/reference.py": {
        "coupled=True derives the input gate from the forget gate (i = 1 - f), so it needs "
        "forget_gate=True":
            "An LSTM was asked for coupled gates and no forget gate at once (--coupled with "
            "--no-forget-gate, or coupled=True with forget_gate=False). Drop one: keep --coupled "
            "alone for the CIFG cell, or --no-forget-gate alone for the 1997 cell.",
    },
    "rnnlab/compare/config.py": {
        "cannot write the report into {}":
            "The folder of the report file (-o/--output, default report.html in the current "
            "folder) exists but this user may not write in it. Give -o a path in a folder you can "
            "write, e.g. -o ~/reports/compare.html.",
        "no models to compare":
            "The model list is empty: --models '' (or only commas), or CompareConfig(models=()). "
            "List at least one model, e.g. --models lstm,gru, or leave --models out for mlp, rnn, "
            "lstm and gru.",
        "steps and minutes must be zero or positive":
            "CompareConfig was built with a negative steps or minutes (the command line refuses "
            "these before they get here). Give 0 to turn that limit off, or a positive number.",
        "training has no end: set steps or minutes":
            "Both limits are 0: for example `rnnlab compare --steps 0` alone, which also turns "
            "the time limit off, or CompareConfig(steps=0, minutes=0). Give a step count or a "
            "time, e.g. --steps 700 or --minutes 1.",
        "unknown task {}; choose one of {}":
            "`rnnlab compare --task` (CompareConfig task) names a task rnnlab does not have, "
            "often a typo. Use one of the listed names, e.g. --task cue-word; `rnnlab tasks` "
            "lists them.",
        "{} must be at least 1, got {}":
            "CompareConfig was built with budget, seeds, batch_size, eval_every, eval_size or "
            "threads below 1 (on the command line these flags are checked as they are parsed). "
            "Give at least 1, e.g. seeds=1.",
    },
    "rnnlab/compare/specs.py": {
        "model {} is listed twice":
            "--models names the same model text twice, e.g. --models lstm,gru,lstm. Give each "
            "model once; use --seeds N to run one model several times.",
        "unbalanced brackets in the model list {}":
            "A layer list in --models has a [ without its ] or a ] without its [, e.g. --models "
            "'lstm, [lstm:32, gru:16'. Close every bracket: --models 'lstm, [lstm:32, gru:16]'.",
        "unknown model {}; a model is one of {}, with options like lstm:peephole or mlp:window=8":
            "A model of --models starts with a word that is not a family, e.g. 'elman' or 'LSTM' "
            "(names are lower case). Start each with a listed family, e.g. rnn:relu or "
            "gru:reset-before; a layer list goes in brackets, [lstm:32, gru:16].",
        "unknown option {} in model {} (variants of {}: {}; or field=value)":
            "An option after the family in --models is neither a variant of that family nor a "
            "ModelConfig field=value, e.g. lstm:peepholes or gru:peephole. Use a listed variant "
            "(lstm:peephole) or a field with a value (lstm:hidden_size=64).",
    },
    "rnnlab/inspect/gradient_flow.py": {
        "task {} yields no {} batch":
            "gradient_flow or compare_gradient_flow (split='valid' by default) or `rnnlab "
            "compare` (which reads the test split) got a task with no sequence in that split, "
            "e.g. `rnnlab compare --task arrays -p data=FILE.npz` on a file without X_test "
            "(test_fraction is 0 by default). Give that split data (X_test and y_test in the "
            "file, or -p test_fraction=0.2), or pass batch= yourself.",
    },
    "rnnlab/inspect/memory_horizon.py": {
        "memory_horizon needs at least one gap":
            "memory_horizon was called with an empty gaps. Pass the gaps to test, e.g. "
            "gaps=range(2, 31, 4).",
        "task {} has no eval_size to set":
            "memory_horizon or task_at_gap got eval_size= for a task whose parameters have no "
            "eval_size. Leave eval_size out (the task's own test set is used), or pass a function "
            "gap -> task that sizes the set itself.",
        "task {} has no lag to vary here (cue-word's gap, lag 2c's q); pass a function gap -> "
        "task instead":
            "memory_horizon or task_at_gap got a task with no adjustable lag; only cue-word (gap) "
            "and lag with variant 2c (q) have one. Use one of those, or pass task= as a function "
            "that builds the task at a given gap with the model's input and output sizes.",
        "task {} reports no {}; it has {}":
            "memory_horizon was given a metric= that the task's evaluation does not report (the "
            "default is accuracy). Pass one of the listed names, e.g. metric='accuracy' for a "
            "classification task.",
        "task {} yields no {} batch":
            "memory_horizon or evaluate_split found no sequence in the split it reads "
            "(split='test' by default): the task (or the one your gap -> task function builds) "
            "holds none there. Pick a split= that has items, such as 'valid', or give the task a "
            "test set.",
        "the task at this gap has {}={} but the model was built for {}":
            "The function gap -> task given to memory_horizon builds, at this gap, a task with "
            "other input or output sizes or kinds than the model's. Make every gap's task keep "
            "the model's vocabulary and outputs, e.g. vary only the lag parameter.",
    },
    "rnnlab/inspect/rerun.py": {
        "cannot re-run a layer with {} step by step in training mode (the mask on h_{t-1} acts "
        "inside the cell's matmul); re-run it in eval mode, as trace does":
            "rnnlab.inspect.rerun.rerun_layer was called on a layer with recurrent dropout while "
            "the layer was in training mode. Call layer.eval() first, or use "
            "rnnlab.inspect.trace, which runs the model in eval mode itself.",
        "cannot trace a {}: not an rnnlab RNN, LSTM, GRU or ConvLSTM":
            "rerun_layer got a layer that is not the sequence layer of a registered family (a "
            "torch.nn layer, a one-step cell, a subclass of your own, say). Re-run an "
            "rnnlab.nn.RNN, LSTM, GRU or ConvLSTM, or register your family with layer= set to "
            "that class.",
    },
    "rnnlab/inspect/saturation.py": {
        "gate_saturation needs low <= high, got low={}, high={}":
            "gate_saturation was called with a low threshold above the high one, e.g. low=0.9, "
            "high=0.1. Pass low <= high, e.g. low=0.1, high=0.9 (the defaults).",
        "no gate(s) {} in a {} trace {}":
            "gate_saturation got gates= with names the traced family does not record, e.g. "
            "gates=['f'] for a GRU. Pass names from the listed ones (a GRU has r and z), or leave "
            "gates out for all the sigmoid gates.",
    },
    "rnnlab/inspect/trace.py": {
        "a {} has no cell state; only the LSTM and ConvLSTM do":
            "Trace.c() or Trace.dc() was called on a trace of an Elman net or a GRU. Use "
            "Trace.h() and Trace.dh() for these; trace an LSTM or a ConvLSTM for the cell state.",
        "direction {} out of range: the trace has {}":
            "A Trace method (h, c, gates, dh, dc) got direction= past the layer's directions. "
            "Pass 0, or 1 for the backward direction of a bidirectional layer.",
        "layer {} out of range: the trace has {}":
            "A Trace method (h, c, gates, dh, dc) got layer= past the traced stack's layers. Pass "
            "a layer in 0..num_layers-1, or a negative index such as -1 for the last.",
        "the recurrent layer ran more than once in one forward pass":
            "trace got a model whose forward calls the traced recurrent layer more than once (a "
            "custom forward that loops over it, say). Trace the layer itself, trace(layer, x), or "
            "a model that runs it once per forward.",
        "this trace was made with grads=False: it holds no gradients":
            "Trace.dh() or Trace.dc() was called on a trace made with grads=False, which keeps no "
            "gradients. Trace again with grads=True (the default).",
        "trace(target=...) needs a loss_fn(output, target)":
            "trace got target= but no loss_fn, so it has no loss to differentiate. Pass loss_fn "
            "too, e.g. loss_fn=torch.nn.functional.cross_entropy, or give task= and a Batch "
            "instead.",
        "trace(task=...) needs x to be a Batch of that task":
            "trace got task= with x a plain tensor; the task scores a Batch, which holds the "
            "targets. Pass a Batch, e.g. next(iter(task.batches('valid', 32))), or drop task= and "
            "give target= and loss_fn=.",
        "{} has no rnnlab RNN/LSTM/GRU/ConvLSTM layer: nothing to trace (a feed-forward model "
        "keeps no state over time)":
            "trace (or a probe, or `rnnlab heatmap`) got a model without a recurrent layer, e.g. "
            "the window MLP (family mlp), or one built on torch.nn layers. Trace a model of "
            "family rnn, lstm, gru or convlstm.",
        "{} has {} recurrent layer(s); module must be in 0..{}, got {}":
            "trace got a module= past the model's recurrent layers. Pass one in the range the "
            "message gives, 0 being the layer nearest the input.",
        "{} has {} recurrent layers; choose one with module=N (0 = nearest the input)":
            "trace got a model with several recurrent layers (a layer list, or a next-frame "
            "ConvLSTM's encoder and forecaster) and no module=. Pass module=0 for the first, "
            "module=1 for the next, and so on.",
        "{} never called its recurrent layer":
            "trace ran the model's forward, but it did not call the recurrent layer found in it "
            "(a custom forward that skips it). Trace a model whose forward runs the layer, or "
            "trace the layer itself.",
    },
    "rnnlab/inspect/unit_activity.py": {
        "feature {} has {} values for {} tokens":
            "find_interesting_units got features= with an array whose length is not the passage's "
            "number of tokens. Give one value per token for each feature, or leave features out "
            "for text_features of the passage.",
        "no layer/direction {} in this activity":
            "UnitActivity.get() got a direction= the recorded layer does not have (1 for a "
            "one-way layer). Pass direction=0, or 1 only for a bidirectional model.",
        "no {} values in a {}: {}":
            "UnitActivity.get() got a kind= the family does not record, e.g. kind='c' for an "
            "Elman net or a GRU. Pass one of the listed kinds, e.g. kind='h'.",
        "passage has token(s) not in the vocabulary: {}":
            "unit_activity got a passage with characters or words the model's vocabulary lacks. "
            "Use only tokens of the training text, or pass the passage as a tensor of ids.",
        "task {} has no vocabulary":
            "unit_activity got a task whose inputs are not tokens (e.g. a regression or video "
            "task). Pass a token task such as text or cue-word, or the vocabulary as a list or "
            "dict.",
        "the passage is empty":
            "unit_activity got an empty passage (\"\" or []). Give at least one token.",
        "unit activity follows one recurrent layer; this model has {} (a layer list): trace one "
        "with trace(model, x, module=N)":
            "unit_activity (and `rnnlab heatmap`) got a model built with --layers holding more "
            "than one recurrent layer. Use a model with one recurrent layer (a uniform "
            "--num-layers stack counts as one), or trace one layer with trace(model, x, module=N).",
    },
    "rnnlab/models/budget.py": {
        "budget {} needs a hidden size above {}":
            "--budget (or compare's budget) asks for more parameters than this model reaches at "
            "the largest hidden size searched (65536). Give a smaller --budget, or a model with "
            "more layers, e.g. --num-layers 4.",
        "hidden_size does not change this model's parameter count (family {}, num_layers={}): no "
        "size fits a budget":
            "A budget was given for a model whose size does not depend on hidden_size, e.g. "
            "family mlp with num_layers=0 (a linear model of the window). Drop the budget, or "
            "give the model hidden layers, e.g. num_layers=1.",
        "the parameter budget must be positive, got {}":
            "fit_budget or hidden_size_for_budget was called with a budget of 0 or less. Pass the "
            "number of parameters wanted, e.g. 20000; on the command line --budget 0 means no "
            "budget.",
    },
    "rnnlab/models/build.py": {
        "attention and decoder_layers are for sequence-to-sequence tasks (dates, numbers, "
        "parallel)":
            "--attention or --decoder-layers was given for a task with a single output sequence "
            "or label, e.g. `rnnlab train --task cue-word --attention luong`. Drop them, or train "
            "on --task dates, numbers or parallel.",
    },
    "rnnlab/models/classifier.py": {
        "tie_weights is for language models, not classifiers":
            "A Classifier was built directly with tie_weights=True in its ModelConfig "
            "(build_model refuses such a task earlier). Set tie_weights=False, or build a "
            "LanguageModel for a token task with an output per step.",
    },
    "rnnlab/models/config.py": {
        "a layer list needs at least one recurrent layer (rnn, lstm or gru); the feed-forward "
        "model over a window is family mlp":
            "--layers holds only dense layers, e.g. --layers dense:32,dense:16. Add a recurrent "
            "layer (--layers dense:32,lstm:64), or use --family mlp for a feed-forward model.",
        "decoder_layers: the decoder emits one token after another, so its layers cannot be "
        "bidirectional":
            "--decoder-layers has a bidirectional layer, e.g. gru:64:bidirectional. Drop "
            "bidirectional there; the encoder (--layers or --bidirectional) may read both ways.",
        "decoder_layers: {}":
            "A layer of --decoder-layers is not valid on its own; the rest of the message says "
            "why, as for --layers. Write it as kind:size[:option...], e.g. --decoder-layers "
            "gru:128.",
        "dropout must be in [0, 1), got {}":
            "ModelConfig got a dropout below 0 or of 1 or more (from Python, an estimator or a "
            "run file). Give a probability below 1, e.g. dropout=0.2, or 0 for none.",
        "embedding_dim must be >= 0 (0 = one-hot), got {}":
            "ModelConfig got a negative embedding_dim. Give the embedding width, e.g. "
            "embedding_dim=32, or 0 for one-hot token input.",
        "hidden_size must be at least 1, got {}":
            "ModelConfig got a hidden_size of 0 or less (from Python, an estimator or a run "
            "file). Give the units per layer, e.g. hidden_size=128.",
        "layer {}: {}":
            "One recurrent layer of --layers has an option value its family refuses (the rest of "
            "the message names it), e.g. lstm:64:proj_size=64 or gru:32:zoneout=1. Fix that "
            "layer's option, e.g. lstm:64:proj_size=32.",
        "max_output_len must be >= 0 (0 = the task's longest target), got {}":
            "ModelConfig got a negative max_output_len. Give the longest output to decode, e.g. "
            "max_output_len=40, or 0 for the task's longest target.",
        "num_layers must be at least {} for family {}, got {}":
            "ModelConfig got num_layers=0 (or less) for a recurrent family, which needs at least "
            "one recurrent layer; only family mlp may have 0 hidden layers. Give num_layers=1 or "
            "more.",
        "proj_size must be >= 0 (0 = none), got {}":
            "ModelConfig got a negative proj_size. Give a projection width below hidden_size, "
            "e.g. proj_size=64 with hidden_size=128, or 0 for none.",
        "unknown attention {}; choose one of {}":
            "--attention (ModelConfig attention) names no attention rnnlab has, e.g. 'additive'. "
            "Give bahdanau (additive), luong (multiplicative) or none.",
        "unknown backend {}; choose one of {}":
            "--backend (ModelConfig backend) names no backend, e.g. 'cuda' or 'torch'. Give auto "
            "(the default), bptt, fused or reference.",
        "unknown frame_encoder {}; choose one of {} ('' = none)":
            "--frame-encoder names no frame encoder, e.g. 'conv'. Give cnn for a small CNN per "
            "frame of a video task, or '' for none.",
        "unknown model config field(s): {}":
            "ModelConfig.from_dict (or rnnlab.viz.draw given a dict) got a key that is not a "
            "ModelConfig field, often a typo such as hidden=128. Rename or remove the key; "
            "`rnnlab train --help` lists the fields as options (with - for _).",
        "unknown nonlinearity {}; choose one of {}":
            "--nonlinearity (ModelConfig nonlinearity) names no activation, e.g. 'gelu' or 'ReLU' "
            "(names are lower case). Give tanh, relu or sigmoid.",
        "window must be at least 1, got {}":
            "ModelConfig got a window below 1 for the window MLP. Give the number of recent steps "
            "it sees, e.g. window=5 (the default).",
        "{} cannot be set with a layer list: give each layer its own size and options "
        "(lstm:64:peephole)":
            "--layers was given together with options of the uniform stack (e.g. --hidden-size, "
            "--num-layers, --peephole), which the layer list replaces. Drop those flags and write "
            "them per layer: --layers lstm:64:peephole,gru:32.",
        "{} widths must be positive, got {}":
            "ModelConfig got dense_before or dense_after with a width of 0 or less (from Python, "
            "an estimator or a run file; the flags are checked as they are parsed). Give positive "
            "widths, e.g. dense_before=(32, 64), or () for none.",
    },
    "rnnlab/models/frame_forecaster.py": {
        "encoder_forecaster needs a recurrent family, not {}":
            "--encoder-forecaster true was given with --family mlp, which keeps no state to "
            "hand from the encoder to the forecaster. Use --family lstm (or rnn, gru).",
        "encoder_forecaster predicts the next frames of a video: use it on a next-frame task "
        "(moving-digits -p question=next-frame)":
            "--encoder-forecaster true on a task that does not predict frames (a speed "
            "question, a text). Drop the flag, or use -p question=next-frame.",
        "encoder_forecaster runs one way: its forecaster reads its own predictions, one at a "
        "time":
            "--encoder-forecaster true with --bidirectional true: a forecaster that reads what "
            "it predicted cannot look ahead. Drop --bidirectional.",
        "encoder_forecaster stacks --family layers of --hidden-size: layers, dense_before, "
        "dense_after and frame_encoder do not apply":
            "--encoder-forecaster true with --layers, --dense-before, --dense-after or "
            "--frame-encoder. Describe the stack with --family, --num-layers and --hidden-size.",
    },
    "rnnlab/models/conv_video.py": {
        "family {} convolves the frames itself: frame_encoder, dense_before, dense_after and "
        "layers do not apply":
            "--family convlstm was combined with --frame-encoder, --dense-before or "
            "--dense-after. Drop them; set the ConvLSTM's size with --hidden-size, --num-layers "
            "and --kernel-size.",
        "family {} has no bidirectional form":
            "--family convlstm was given --bidirectional. Drop --bidirectional; the ConvLSTM "
            "reads clips forwards only.",
        "family {} reads images: this task's inputs are feature vectors, not frames (its spec has "
        "no frame_shape)":
            "--family convlstm was used on a task whose inputs are not video frames, e.g. --task "
            "cue-word. Use it on a video task such as --task moving-digits, or pick another "
            "family (lstm, gru).",
        "frame_shape {} does not hold the {} input features":
            "The task's TaskSpec gives a frame_shape (C, H, W) whose product is not its "
            "input_size (a task of your own, or an edited spec). Make input_size equal C*H*W.",
        "patch_size {} does not divide the {}x{} frames: choose a divisor of both sides":
            "--patch-size p cuts each frame into p x p patches, so p must divide the frame's "
            "height and width, e.g. --patch-size 3 on 16x16 frames. Use 1, 2, 4 or 8 there "
            "(see the task's canvas).",
        "the ConvLSTM predicts frames of its input's shape: the task wants {} outputs per step, "
        "not {}":
            "A next-frame task (an output per step) has an output_size other than its input_size, "
            "so its frames cannot be predicted in the input's shape. Make the task's output the "
            "next frame, of the same size as its input.",
    },
    "rnnlab/models/forecaster.py": {
        "a Forecaster reads feature vectors and predicts real values; use LanguageModel or "
        "Classifier for this task":
            "A Forecaster was built directly for a task with token inputs or class outputs. Use "
            "rnnlab.models.build_model(config, task.spec), which picks the model class for the "
            "task.",
        "tie_weights is for language models, not forecasters":
            "A Forecaster was built directly with tie_weights=True in its ModelConfig. Set "
            "tie_weights=False; tying needs token inputs and outputs.",
    },
    "rnnlab/models/frames.py": {
        "the frame CNN pools twice by 2: frames of {}x{} pixels are too small (at least 4x4)":
            "--frame-encoder cnn was used on a video task whose frames are smaller than 4x4 "
            "pixels. Use larger frames (e.g. moving-digits' default -p canvas=32), or drop "
            "--frame-encoder.",
    },
    "rnnlab/models/language_model.py": {
        "a LanguageModel reads tokens and gives an output per step; use Classifier or Forecaster "
        "for this task":
            "A LanguageModel was built directly for a task that is not tokens in, a token per "
            "step out. Use rnnlab.models.build_model(config, task.spec), which picks the model "
            "class for the task.",
        "tie_weights needs embedding_dim > 0 (one-hot input has no matrix)":
            "A LanguageModel was built directly with tie_weights=True and embedding_dim=0. Give "
            "an embedding width too, e.g. embedding_dim=128.",
        "tie_weights: the output layer reads {} features per step but the embedding has {}; they "
        "must be equal. Set embedding_dim={}, or make the last layer before the head {} wide: "
        "hidden_size={} (both directions count), proj_size={} for an LSTM, or a last dense_after "
        "width of {}":
            "--tie-weights was given with an --embedding-dim other than the width the head reads, "
            "e.g. --embedding-dim 32 --hidden-size 128. Make the two equal, e.g. --embedding-dim "
            "128 --hidden-size 128.",
    },
    "rnnlab/models/layer_spec.py": {
        "layer {} needs a positive size after its kind, e.g. {}:64":
            "A layer of --layers (or of a bracketed model in --models) has no size, or a size of "
            "0, right after its kind, e.g. lstm:peephole or dense:0. Put the size second: "
            "lstm:64:peephole.",
        "model option {} cannot be set in a model list":
            "A --models entry sets a field that is not a single number, word or bool, e.g. "
            "lstm:dense_after=16. Write such a model as a layer list in brackets, e.g. [lstm:64, "
            "dense:16], or set the field on the command line of `rnnlab train`.",
        "model option {}={} is not a valid {}":
            "A field=value in --models or --layers has a value of the wrong type, e.g. "
            "mlp:window=eight or lstm:64:peephole=maybe. Give a number for number fields and "
            "true/false (yes/no, on/off, 1/0) for switches.",
        "unknown layer {}; a layer is dense or one of {}, e.g. lstm:128:peephole or dense:32":
            "A layer of --layers starts with a kind that does not exist, e.g. elman:64 or LSTM:64 "
            "(kinds are lower case). Start it with dense or one of the listed kinds, e.g. rnn:64 "
            "for an Elman layer.",
        "unknown option {} in layer {} (options of {} layers: {})":
            "A layer of --layers has an option its kind does not take, e.g. gru:64:peephole or "
            "dense:32:bidirectional. Use one of the options the message lists for that kind, e.g. "
            "lstm:64:peephole.",
    },
    "rnnlab/models/layer_stack.py": {
        "this layer list has {} recurrent layer(s): state must be a list of {} per-layer states "
        "(as the model returned it)":
            "A model built from --layers was called with state= that is not a list with one entry "
            "per recurrent layer, e.g. an (h, c) tuple. Pass back the state the model returned "
            "from its previous call, or None to start afresh.",
    },
    "rnnlab/models/recurrent_stack.py": {
        "expected frames flattened to (B, T, {}), got {}":
            "A video model (the ConvLSTM's, or the encoder-forecaster) was called from Python "
            "with x that is not (B, T, C*H*W) at the task's frame size, e.g. unflattened (B, T, "
            "C, H, W) frames. Pass x.flatten(2), as the task's batches give it.",
        "the {} reads clips of equal length (lengths = T)":
            "A video model got lengths with a clip shorter than T. Give clips of one length and "
            "pass lengths=None (or all equal to T).",
        "bidirectional=True is not allowed for this task: its outputs must not depend on future "
        "steps (TaskSpec.bidirectional_ok is False)":
            "--bidirectional (or a bidirectional layer in --layers) was given for a task that "
            "predicts as it reads, e.g. text or cue-word, where reading the future would be "
            "cheating. Drop it for such tasks; tasks that label a whole sequence (e.g. "
            "spoken-digits) allow it.",
        "expected features of shape (B, T, {}), got {}":
            "A model of a feature task was called with x that is not 3-D with the task's number "
            "of features, e.g. one sequence (T, F) without the batch dimension. Pass x of shape "
            "(B, T, F), e.g. x[None] for one sequence.",
        "expected token ids of shape (B, T), got {}":
            "A model of a token task was called with x that is not 2-D, e.g. one sequence of ids "
            "(T,) or one-hot vectors. Pass int64 ids of shape (B, T), e.g. ids[None] for one "
            "sequence.",
        "family 'mlp' is the window MLP (rnnlab.models.WindowMLP)":
            "A recurrent model class (LanguageModel, Classifier, Forecaster) was built directly "
            "with family='mlp'. Build it with rnnlab.models.build_model, which makes a WindowMLP "
            "for that family, or pick rnn, lstm or gru.",
        "frame_encoder={} needs a video task (frames of images); this task's inputs are not images":
            "--frame-encoder cnn was given for a task whose inputs are not frames, e.g. --task "
            "cue-word. Drop --frame-encoder, or train on a video task such as moving-digits.",
        "lengths must have shape (B,) = ({},), got {}":
            "A model was called with lengths that are not one number per sequence of x, e.g. a "
            "(B, 1) tensor or the lengths of another batch. Pass a 1-D tensor with one length per "
            "row of x.",
        "lengths must lie in 1..T = 1..{}":
            "A model was called with a length of 0 or one longer than x's T (its second "
            "dimension). Drop empty sequences, and pad x to the longest length.",
        "the window MLP reads only past steps; it has no bidirectional form":
            "--family mlp was given --bidirectional. Drop --bidirectional, or use a recurrent "
            "family (rnn, lstm, gru) for a bidirectional model.",
        "tie_weights needs a language-model task: token inputs and, at every step, a class over "
        "the same vocabulary":
            "--tie-weights was given for a task that is not a language model (its outputs are not "
            "the input tokens at every step, e.g. temporal-order or adding). Drop --tie-weights, "
            "or train on a task such as text or cue-word.",
        "tie_weights needs an embedding matrix to share: set embedding_dim > 0 (one-hot input has "
        "none)":
            "--tie-weights was given without --embedding-dim (0, one-hot input, by default). Give "
            "an embedding width equal to the hidden size, e.g. --tie-weights --embedding-dim 128 "
            "--hidden-size 128.",
    },
    "rnnlab/models/sampling.py": {
        "length must be >= 0, got {}":
            "rnnlab.models.sampling.generate was called with a negative length (the command "
            "line's --length is checked as it is parsed). Pass the number of tokens to add, e.g. "
            "length=200, or 0 for none.",
        "temperature must be >= 0, got {}":
            "generate was called with a negative temperature. Pass 1.0 to sample as trained, a "
            "smaller value such as 0.5 for safer text, or 0 for always the most likely token.",
        "the prompt is empty: give at least one token":
            "`rnnlab generate` (or `predict --prompt`) got a prompt with no tokens, e.g. --prompt "
            "'' or, for cue-word, one without letters; or generate got an empty tensor. Give at "
            "least one character or word of the training text.",
        "this model does not predict tokens (its task is not a language task)":
            "generate or next_token_logits got a model whose task does not read tokens and "
            "predict one per step, e.g. a classifier or a forecaster. Use a model trained on a "
            "token task such as text or cue-word.",
    },
    "rnnlab/models/seq2seq.py": {
        "a Seq2Seq model needs a sequence-to-sequence task":
            "Seq2Seq was built directly for a task that is not sequence to sequence. Use "
            "rnnlab.models.build_model(config, task.spec), which builds a Seq2Seq only for dates, "
            "numbers or parallel.",
        "an encoder-decoder starts every batch afresh: it takes no state":
            "An encoder-decoder model was called with state= set, e.g. the state returned by a "
            "previous call. Call it with state=None (the default); each source is encoded from "
            "scratch.",
        "the window MLP has no encoder-decoder form; use a recurrent family":
            "--family mlp was given for a sequence-to-sequence task, e.g. `rnnlab train --task "
            "dates --family mlp`. Use a recurrent family, e.g. --family gru.",
        "tie_weights is for language models, not encoder-decoders":
            "--tie-weights was given for a sequence-to-sequence task (dates, numbers, parallel). "
            "Drop --tie-weights; the decoder's output layer stays its own.",
    },
    "rnnlab/models/stack_parts.py": {
        "family {} has no recurrent layer":
            "A model was built for a family registered without a layer class (layer=None), so "
            "there is no recurrent layer to stack. Register the family with layer= set to its "
            "rnnlab.nn.RecurrentLayer subclass, or use rnn, lstm or gru.",
    },
    "rnnlab/models/streaming.py": {
        "step() takes one feature vector per stream: shape ({}, {}), got {}":
            "StepStreams.step got x that is not one feature vector per stream, e.g. a whole "
            "sequence (streams, T, F), or a vector (F,) without the stream dimension. Pass x of "
            "shape (streams, F), one step at a time, e.g. x[None] for one stream.",
        "step() takes one token id per stream: shape ({},) ints, got {} {}":
            "StepStreams.step on a token model got x that is not one integer id per stream, e.g. "
            "floats, a one-hot vector or a (streams, T) sequence. Pass x of shape (streams,) "
            "ints, e.g. torch.tensor([id]) for one stream.",
        "stream must be in 0..{}, got {}":
            "StepStreams.reset got a stream number outside the streams it runs, or a value that "
            "is not an int. Pass an int in the range the message gives, or None to reset every "
            "stream.",
        "streams must be a positive integer, got {}":
            "StepStreams was made with streams= that is 0, negative or not an int (e.g. 2.0 or "
            "True). Pass the number of streams as an int, e.g. StepStreams(model, streams=4).",
        "this model cannot run one step at a time: {}":
            "StepStreams got a model that needs the whole sequence first (the message says why: "
            "bidirectional layers, an encoder-decoder, the next-frame video model) or something "
            "that is not an rnnlab model. Train a one-way model (without --bidirectional) for "
            "online use.",
        "token ids must lie in 0..{}":
            "StepStreams.step got a token id that is negative or past the vocabulary. Encode "
            "tokens with the task's own vocabulary, e.g. task.encode(text) of a text or cue-word "
            "task, so that ids lie in the range the message gives.",
    },
    "rnnlab/models/window_mlp.py": {
        "WindowMLP is family 'mlp', not {}":
            "WindowMLP was built directly with a recurrent family in its ModelConfig. Build it "
            "with family='mlp', or use rnnlab.models.build_model, which picks the model class for "
            "the family.",
        "the window MLP's state is its last k-1 = {} inputs per row, shape ({}, {}, ...); got {}":
            "A window MLP was called with state= that is not the tensor it returned, e.g. the (h, "
            "c) state of a recurrent model or a state of another batch size. Pass back the state "
            "it returned for the same rows, or None to start afresh.",
    },
    "rnnlab/nn/backend.py": {
        "unknown backend {}; choose one of {}":
            "An rnnlab.nn layer (RNN, LSTM, GRU, ConvLSTM) or from_torch was given a backend= "
            "that does not exist, e.g. 'cuda' or 'torch'. Pass 'auto', 'fused' (torch's kernel), "
            "'bptt' (rnnlab's hand-written BPTT) or 'reference'.",
    },
    "rnnlab/nn/checks.py": {
        "Expected sequence length to be larger than 0 in RNN":
            "An rnnlab.nn RNN, LSTM or GRU got an input with no time steps (T = 0), e.g. an empty "
            "slice x[:, :0]. Give at least one step; skip empty sequences before the call.",
        "Expected {} size {}, got {}":
            "The h_0 (or c_0) given to an rnnlab.nn RNN, LSTM or GRU is not (num_layers * "
            "num_directions, B, H), e.g. a (B, H) state or one of another batch. Pass the shape "
            "the message gives, e.g. torch.zeros(num_layers, B, H), or hx=None for zeros.",
        "For {} input, hx and cx should also be {}-D but got ({}) tensors":
            "An rnnlab.nn LSTM got (h_0, c_0) whose number of dimensions does not match the "
            "input's: 3-D states for batched 3-D input, 2-D for an unbatched 2-D one. Give both "
            "states as (num_layers * num_directions, B, H) for batched input.",
        "For {} input, hx should also be {}-D but got {}-D tensor":
            "An rnnlab.nn RNN or GRU got an hx whose number of dimensions does not match the "
            "input's: 3-D for batched 3-D input, 2-D for an unbatched 2-D one. Give hx as "
            "(num_layers * num_directions, B, H) for batched input.",
        "Input batch size {} doesn't match hidden{} batch size {}":
            "A cell (RNNCell, LSTMCell, GRUCell) got a state with another number of rows than the "
            "input. Give the state one row per input row, e.g. torch.zeros(B, H), or hx=None.",
        "RNN input dtype ({}) does not match weight dtype ({}). Convert input: input.to({}), or "
        "convert model: model.to({})":
            "An rnnlab.nn RNN, LSTM or GRU got input of another dtype than its weights, e.g. "
            "float64 data from numpy into a float32 layer. Convert one as the message says, e.g. "
            "x.float(), or run under torch.autocast.",
        "dropout should be a number in range [0, 1] representing the probability of an element "
        "being zeroed":
            "An rnnlab.nn RNN, LSTM, GRU or MLP got a dropout= that is not a number in [0, 1], "
            "e.g. 1.5, a string or a bool. Give a probability, e.g. dropout=0.2, or 0 for none.",
        "hidden{} has inconsistent hidden_size: got {}, expected {}":
            "A cell (RNNCell, LSTMCell, GRUCell) got a state whose last dimension is not the "
            "cell's hidden_size. Give a state of width hidden_size, e.g. torch.zeros(B, "
            "hidden_size).",
        "input has inconsistent input_size: got {} expected {}":
            "A cell (RNNCell, LSTMCell, GRUCell) got an input whose last dimension is not its "
            "input_size. Pass x of shape (B, input_size), or build the cell with the input's "
            "width.",
        "input must have 2 dimensions, got {}":
            "An rnnlab.nn RNN, LSTM or GRU got a PackedSequence whose data is not 2-D (steps x "
            "features), e.g. sequences packed with an extra dimension. Pack (B, T, I) or (T, B, "
            "I) sequences with pack_padded_sequence, so that data is (sum of lengths, I).",
        "input.size(-1) must be equal to input_size. Expected {}, got {}":
            "An rnnlab.nn RNN, LSTM or GRU got input whose last dimension is not its input_size, "
            "e.g. one-hot vectors of another vocabulary. Pass features of width input_size, or "
            "build the layer with the input's width.",
        "proj_size has to be smaller than hidden_size":
            "rnnlab.nn.LSTM or LSTMCell got a proj_size equal to or above hidden_size. Give a "
            "smaller projection, e.g. proj_size=64 with hidden_size=128, or 0 for none.",
        "proj_size should be a positive integer or zero to disable projections":
            "rnnlab.nn.LSTM or LSTMCell got a negative proj_size. Give a width below hidden_size, "
            "or 0 for no projection.",
        "proj_size should be of type int, got: {}":
            "rnnlab.nn.LSTM or LSTMCell got a proj_size that is not an int, e.g. 64.0 or True. "
            "Pass an int such as 64, or 0 for no projection.",
        "unknown init {}; choose one of {}":
            "An rnnlab.nn layer or cell got an init= that does not exist. Pass 'default' "
            "(rnnlab's initialisation) or 'torch' (exactly torch.nn's draw).",
        "{} dtype ({}) does not match weight dtype ({})":
            "A state (hidden, hidden[0] or hidden[1], hx[0] or hx[1]) was given in another dtype "
            "than the layer's or cell's weights, e.g. float64 states with a float32 layer. "
            "Convert the state with .to(weight dtype), e.g. h0.float().",
        "{} input dtype ({}) does not match weight dtype ({})":
            "A cell (RNNCell, LSTMCell, GRUCell) got input of another dtype than its weights, "
            "e.g. float64 data into a float32 cell. Convert it, e.g. x.float(), or the cell with "
            "cell.double().",
        "{} must be greater than zero":
            "An rnnlab.nn layer, cell or MLP got 0 or a negative number for a size: input_size, "
            "hidden_size, num_layers, kernel_size, frame_size, in_features, out_features or a "
            "hidden_sizes entry. Give a positive int, e.g. hidden_size=64.",
        "{} should be of type bool, got: {}":
            "An rnnlab.nn layer or cell got a flag (bias, batch_first, bidirectional, learn_init, "
            "peephole) that is not a bool, e.g. 1 or 'true'. Pass True or False.",
        "{} should be of type int, got: {}":
            "An rnnlab.nn layer, cell or MLP got a size that is not an int, e.g. hidden_size=64.0 "
            "or a numpy float. Pass a Python int, e.g. int(width).",
        "{}: Expected input to be 1D or 2D, got {}D instead":
            "A cell (RNNCell, LSTMCell, GRUCell) got input that is not one step: it takes (B, "
            "input_size) or (input_size,), not a sequence (T, B, I). Loop over the steps, or use "
            "the layer (RNN, LSTM, GRU) for whole sequences.",
        "{}: Expected input to be 2D or 3D, got {}D{} instead":
            "An rnnlab.nn RNN, LSTM or GRU got input that is not (T, B, I), (B, T, I) with "
            "batch_first=True, or unbatched (T, I), e.g. a 4-D image batch or a 1-D vector. "
            "Reshape it to one of those.",
        "{}: Expected {} to be 1D or 2D, got {}D instead":
            "A cell got a state that is not (B, H) or (H,), often the (num_layers, B, H) state of "
            "a layer. Drop the layer dimension, e.g. h[0], or pass hx=None.",
        "{}: Expected {} to be {}D like the input, got {}D instead":
            "A cell got a batched state with an unbatched input or the other way round. Give both "
            "with a batch dimension ((B, I) and (B, H)) or neither.",
        "{}: hx must be a Tensor, got {}":
            "An rnnlab.nn RNN or GRU got an hx that is not a tensor, e.g. the (h, c) tuple of an "
            "LSTM or a list. Pass one tensor (num_layers * num_directions, B, H), or None.",
        "{}: hx must be a tuple of {} tensors (h_0, c_0)":
            "An rnnlab.nn LSTM or LSTMCell got an hx that is not a pair, e.g. only h_0. Pass "
            "hx=(h_0, c_0), or None for zeros.",
    },
    "rnnlab/nn/conv_lstm.py": {
        "ConvLSTM: expected input of shape {}, got {}":
            "rnnlab.nn.ConvLSTM got input that is not 5-D, e.g. frames flattened to (B, T, C*H*W) "
            "or a single clip without the batch dimension. Reshape to (B, T, C, Hf, Wf) with "
            "batch_first=True, else (T, B, C, Hf, Wf).",
        "ConvLSTM: frames of {}x{} pixels, but the per-pixel peepholes were made for frame_size={}":
            "A ConvLSTM built with frame_size= (one peephole weight per pixel) got frames of "
            "another size. Feed frames of that size, or build the layer with the frames' "
            "frame_size, or without frame_size for per-channel peepholes.",
        "ConvLSTM: h_0 and c_0 must be {}, got {} and {}":
            "rnnlab.nn.ConvLSTM got an hx whose h_0 or c_0 is not (num_layers, B, hidden_size, "
            "Hf, Wf) for this input. Pass the states the layer returned, or torch.zeros of the "
            "shape the message gives, or hx=None.",
        "ConvLSTM: input has {} channels, expected {}":
            "rnnlab.nn.ConvLSTM got frames with another number of channels (dimension C) than its "
            "input_size. Build the layer with input_size=C, e.g. 1 for grey frames, 3 for RGB, or "
            "check the axis order is (B, T, C, Hf, Wf).",
        "ConvLSTMCell: expected input (B, {}, Hf, Wf), got {}":
            "rnnlab.nn.ConvLSTMCell got input that is not one frame per row with its input_size "
            "channels, e.g. a whole clip (B, T, C, Hf, Wf). Pass one step (B, C, Hf, Wf), or use "
            "ConvLSTM for a clip.",
        "a ConvLSTM has one direction":
            "ConvLSTM.direction_parameters was asked for direction 1. Pass direction=0 (the "
            "default); a ConvLSTM is never bidirectional.",
        "frame_size=(Hf, Wf) gives the peepholes one weight per pixel: it needs peephole=True and "
        "two sizes":
            "ConvLSTM or ConvLSTMCell got frame_size= without peephole=True, or a frame_size that "
            "is not two numbers. Pass peephole=True, frame_size=(64, 64), or leave frame_size out.",
        "{} must be odd (1, 3, 5, ...) for 'same' padding, got {}":
            "An even kernel size was given to the ConvLSTM: --kernel-size 4, "
            "ModelConfig(kernel_size=4) or rnnlab.nn.ConvLSTM(kernel_size=4). Give an odd one, "
            "e.g. --kernel-size 3 (the default) or 5.",
    },
    "rnnlab/nn/convert.py": {
        "from_torch converts torch.nn.RNN, LSTM, GRU, RNNCell, LSTMCell and GRUCell; got {}":
            "from_torch got a module that is none of these, often a whole model or a Sequential "
            "around the layer. Pass the recurrent layer itself, e.g. from_torch(model.rnn).",
        "to_torch converts rnnlab.nn recurrent layers and cells, got {}":
            "to_torch got something other than an rnnlab.nn RNN, LSTM, GRU or their cells, often "
            "a whole rnnlab model. Pass the layer, e.g. to_torch(model.stack.rnn), or "
            "convert_to_torch(model) for a whole model.",
    },
    "rnnlab/nn/elman.py": {
        "Unknown nonlinearity '{}'. Select from 'tanh', 'relu' or 'sigmoid'.":
            "rnnlab.nn.RNN or RNNCell got a nonlinearity= that does not exist, e.g. 'ReLU' or "
            "'gelu'. Pass 'tanh' (the default), 'relu' or 'sigmoid', in lower case.",
    },
    "rnnlab/nn/families/lstm.py": {
        "proj_size ({}) must be smaller than hidden_size ({})":
            "--proj-size (ModelConfig proj_size) is at or above --hidden-size, e.g. both 64. Give "
            "a smaller projection, e.g. --hidden-size 128 --proj-size 64, or --proj-size 0 for "
            "none.",
    },
    "rnnlab/nn/families/record.py": {
        "family {} has no recurrent layers":
            "Family.count_parameters (or count_recurrent_parameters) was asked about a family "
            "with no recurrent layer shapes, e.g. the window MLP (family mlp). Count a recurrent "
            "family (rnn, lstm, gru), or the built model with rnnlab.models.count_parameters.",
    },
    "rnnlab/nn/families/registry.py": {
        "a model family named {} is already registered":
            "rnnlab.nn.families.register was called with a Family whose name is taken: a built-in "
            "family's (mlp, rnn, lstm, gru, convlstm), or your own registered before, e.g. by "
            "running the registering code twice. Register each family once, under a new name.",
        "unknown model family {}; choose one of {}":
            "--family (a run file's [model] family, ModelConfig(family=...)) names no registered "
            "family, e.g. 'elman' or 'LSTM'. Use one of the listed names, e.g. --family rnn for "
            "the Elman net.",
    },
    "rnnlab/nn/lstm.py": {
        "forget_bias must be a finite number or None, got {}":
            "An LSTM got a forget_bias that is NaN, inf, a bool or a string (ModelConfig, "
            "rnnlab.nn.LSTM or LSTMCell). Give a number such as 1.0 (the default), or None to "
            "keep the initialiser's draw.",
        "init='torch' keeps torch's draw of the forget-gate bias, so it cannot be combined with "
        "forget_bias={}; use one or the other":
            "rnnlab.nn.LSTM or LSTMCell got init='torch' and a forget_bias other than 1.0. Drop "
            "forget_bias (or pass None) to keep torch's draw, or keep init='default' to set the "
            "bias.",
    },
    "rnnlab/nn/mlp.py": {
        "hidden_sizes must be a sequence of ints (e.g. [64, 64], or [] for a linear model), got {}":
            "rnnlab.nn.MLP got hidden_sizes as a bare int (MLP(8, 64, 2)) or a string. Pass a "
            "list, e.g. MLP(8, [64], 2).",
        "unknown activation {}; choose one of {}":
            "rnnlab.nn.MLP got an activation= that does not exist, e.g. 'ReLU' or 'elu'. Pass one "
            "of the listed names in lower case, e.g. activation='relu'.",
    },
    "rnnlab/nn/regularisers.py": {
        "{} must be a number in [0, 1), got {}":
            "recurrent_dropout, weight_drop, zoneout or zoneout_cell (a flag such as --zoneout, a "
            "ModelConfig field or an rnnlab.nn layer argument) is below 0, 1 or more, or not a "
            "number. Give a probability below 1, e.g. --zoneout 0.1, or 0 for off.",
    },
    "rnnlab/nn/torch_twin.py": {
        "{} has no torch.nn equivalent with {}; only the configurations torch supports can be "
        "converted":
            "to_torch (or layer.to_torch(), convert_to_torch) got a layer with the options the "
            "message names, which torch.nn does not compute. Keep the rnnlab layer for such a "
            "model, or train one without those options to convert.",
    },
    "rnnlab/viz/attention.py": {
        "{}: write a .png or .svg file":
            "`rnnlab translate --show-attention FILE` (or the attention plot functions) got a "
            "file name that does not end in .png or .svg, e.g. attention.pdf or no extension. "
            "Name the file attention.png or attention.svg.",
    },
    "rnnlab/viz/diagrams/drawing.py": {
        "family {} has no drawing":
            "`rnnlab draw` (or rnnlab.viz.draw) was asked to draw a family registered with no "
            "drawing= (every built-in family has one). Register the family with drawing= set to "
            "'module:ATTRIBUTE' of a Drawing.",
        "{} (the drawing of family {}) is not a Drawing":
            "A registered family's drawing= names a module attribute that is not an "
            "rnnlab.viz.diagrams.drawing.Drawing (a function, say, or a typo naming another "
            "object). Point drawing= at a module-level Drawing instance, e.g. "
            "'mypkg.drawings:MINE'.",
    },
    "rnnlab/viz/diagrams/parameters.py": {
        "count_recurrent_parameters needs input_size for this config":
            "count_recurrent_parameters(config) was called without input_size for a config whose "
            "first recurrent layer reads the model's input directly (no dense_before, "
            "embedding_dim 0). Pass input_size=, the features per step or the vocabulary size, "
            "e.g. count_recurrent_parameters(config, input_size=26).",
    },
    "rnnlab/viz/diagrams/render.py": {
        "diagram file must end in one of {}, got {}":
            "`rnnlab draw -o FILE` (or rnnlab.viz.draw) got a file name without a .svg, .png or "
            ".pdf ending, e.g. -o model.jpg. Name it e.g. -o model.svg.",
        "family {} has no cell view":
            "`rnnlab draw --view cell` was asked for a family whose drawing has no cell view (a "
            "family of your own registered so). Use --view auto, unrolled or stack, or give its "
            "Drawing a cell= function.",
        "steps must be at least 1, got {}":
            "rnnlab.viz.draw or figure was called with steps=0 or less (the command line's "
            "--steps is checked as it is parsed). Give the steps of the unrolled view, e.g. "
            "steps=4.",
        "unknown diagram view {}; choose one of {}":
            "`rnnlab draw --view` got a name that is not a view, e.g. --view unroll or --view "
            "gates. Give auto (the default), cell, unrolled, stack or feedforward.",
        "view 'feedforward' draws the window MLP; for family {} choose one of auto, cell, "
        "unrolled, stack":
            "`rnnlab draw --view feedforward` was given for a recurrent family, e.g. --family "
            "lstm. Use --view cell, unrolled or stack, or --view auto; feedforward is only for "
            "--family mlp.",
        "view {} draws one cell; a layer list is drawn with view 'stack' (or 'auto'); draw a "
        "single layer by its own config":
            "`rnnlab draw --view cell` (or unrolled, feedforward) was given with --layers. Use "
            "--view stack or auto; to see one layer's cell, draw it alone, e.g. --family lstm "
            "--hidden-size 64 --peephole --view cell.",
        "view {} needs a recurrent model; a window MLP (family 'mlp') is drawn with view "
        "'feedforward' (or 'auto')":
            "`rnnlab draw --family mlp` was given --view cell, unrolled or stack. Use --view "
            "feedforward or auto for the window MLP.",
    },
    "rnnlab/viz/forecast_plot.py": {
        "the plot must end in one of {}, got {}":
            "`rnnlab forecast --plot FILE` got a file name without a .png, .svg or .pdf ending, "
            "e.g. --plot forecast.jpg. Name it e.g. --plot forecast.png.",
    },
    "rnnlab/viz/unit_page.py": {
        "a {} has no {} units; choose one of {}":
            "`rnnlab heatmap --kind c` was given for a model without a cell state (an Elman net "
            "or a GRU). Use --kind h, or leave --kind out (c for an LSTM, else h).",
        "no unit to show: name one with --unit":
            "`rnnlab heatmap --unit auto` found no unit worth showing in the passage (or "
            "unit_page got an empty list of choices). Name units by number, e.g. --unit 0,5, or "
            "give a longer passage with --file.",
        "the model has no layer {} direction {} (layers: {})":
            "`rnnlab heatmap --layer N` names a layer the model does not have, e.g. --layer 1 for "
            "a one-layer model. Give one of the listed layers, e.g. --layer 0 (the default).",
        "unit {} does not exist: layer {} has {} {}s (0 to {})":
            "A number of `rnnlab heatmap --unit` is past the layer's width, e.g. --unit 200 for "
            "128 units. Give numbers in the range the message gives, or --unit auto.",
    },
}
