"""The ``arrays`` task: your own sequences, what it fits and stores, and every bad input.

What is fitted (F, classes, scaling, the file's path and hash) lives in the params, so a task
rebuilt from a checkpoint never re-fits; a changed file is refused; bad arrays and files are
one line (exit 2) from the command line.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from helpers_cli import assert_one_line_error, one_line_error

from rnnlab.cli import main
from rnnlab.errors import UserError
from rnnlab.tasks import make_task
from rnnlab.tasks.arrays import ArrayTask


def sequences(n=40, T=6, F=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(2.0, 3.0, size=(n, T, F))
    return X, np.where(X[:, :, 0].sum(1) > 2.0 * T, "high", "low")


def test_fitted_state_is_stored_in_params_and_survives_json():
    X, y = sequences()
    task = ArrayTask(arrays={"X": X, "y": y}, valid_fraction=0.25)
    p = task.params
    assert (p.kind, p.features, p.classes, p.label_type) == ("classify", 3, ("high", "low"), "str")
    train_idx = sorted(set(range(40)) - {int(i) for i in _held_out(40, 0.25)})
    steps = X[train_idx].reshape(-1, 3)
    assert np.allclose(p.mean, steps.mean(0)) and np.allclose(p.std, steps.std(0))
    again = make_task("arrays", **json.loads(json.dumps(p.to_dict())))
    assert again.params == p and again.spec == task.spec
    assert again.data == {}  # nothing to read: from Python, the data is not stored


def _held_out(n, fraction):
    from rnnlab.tasks.packaged import split_indices

    return split_indices(n, (fraction, 0.0), 0)[1]


def test_scaling_comes_from_the_params_never_from_new_data():
    X, y = sequences()
    task = ArrayTask(arrays={"X": X, "y": y})
    shifted = task.scoring({"X": X + 100.0, "y": y})
    batch = next(shifted.batches("test", 40))
    expected = (X[0] + 100.0 - np.array(task.params.mean)) / np.array(task.params.std)
    assert np.allclose(batch.x[0].numpy(), expected, atol=1e-5)


def test_integer_bool_and_float_labels_keep_their_type():
    X, _ = sequences()
    for y, kind in ((np.arange(40) % 3, "int"), (np.arange(40) % 2 == 0, "bool"),
                    ((np.arange(40) % 2).astype(float), "float")):
        task = ArrayTask(arrays={"X": X, "y": y}, kind="classify")
        assert task.params.label_type == kind
        assert list(task.class_values()) == list(np.unique(y))


def test_regression_scales_targets_and_reports_in_their_units():
    X, _ = sequences()
    y = X.sum((1, 2)) * 10 + 50
    task = ArrayTask(arrays={"X": X, "y": y}, valid_fraction=0.0, test_fraction=0.25)
    assert task.params.kind == "regress" and task.spec.output_size == 1
    batch = next(task.batches("test", 64))
    perfect = batch.y.clone()
    metrics = task.summarize(task.score(perfect, batch))
    assert metrics["mse"] < 1e-6 and metrics["r2"] > 0.999999
    (value,) = task.decode(perfect[:1], batch)[:1]
    i = int(np.argmin(np.abs(y - float(value))))
    assert abs(float(value) - y[i]) < 1e-3


def test_variable_lengths_from_a_list_and_from_padding():
    rng = np.random.default_rng(1)
    xs = [rng.normal(size=(n, 2)) for n in (3, 5, 4, 6) * 5]
    y = np.arange(20) % 2
    task = ArrayTask(arrays={"X": xs, "y": y}, valid_fraction=0.0)
    batch = next(task.batches("train", 20))
    assert batch.lengths is not None and sorted(set(batch.lengths.tolist())) == [3, 4, 5, 6]
    padded = np.zeros((20, 6, 2))
    for i, x in enumerate(xs):
        padded[i, : len(x)] = x
    padded[0, 5] = np.nan  # past its length: ignored
    lengths = [len(x) for x in xs]
    other = ArrayTask(arrays={"X": padded, "y": y, "lengths": lengths}, valid_fraction=0.0)
    assert other.params == task.params


def test_per_step_classification():
    X, _ = sequences()
    y = (X[:, :, 0] > 2.0).astype(int)  # (N, T)
    task = ArrayTask(arrays={"X": X, "y": y}, per_step=True)
    assert task.spec.many_to_many and task.spec.output_size == 2
    batch = next(task.batches("train", 8))
    output = torch.zeros(8, 6, 2, requires_grad=True)
    assert task.loss(output, batch).item() == pytest.approx(np.log(2), rel=1e-5)


def test_a_file_is_recorded_by_absolute_path_and_hash(tmp_path, monkeypatch):
    X, y = sequences()
    np.savez(tmp_path / "d.npz", X=X, y=y)
    monkeypatch.chdir(tmp_path)
    task = make_task("arrays", data="d.npz")
    assert task.params.data == str(tmp_path / "d.npz") and len(task.params.sha256) == 64
    stored = task.params.to_dict()
    monkeypatch.chdir("/")
    assert make_task("arrays", **stored).params == task.params  # from elsewhere: same file
    np.savez(tmp_path / "d.npz", X=X * 2, y=y)  # the file changes
    with pytest.raises(UserError, match=r"has changed since the model was fitted.*allow_changed"):
        make_task("arrays", **stored)
    changed = make_task("arrays", **{**stored, "allow_changed": True})
    assert changed.params.mean == task.params.mean  # the fitted scaling, not re-fitted


@pytest.mark.parametrize(("arrays", "words"), [
    ({"X": np.zeros(5), "y": np.zeros(5)}, ["X must be", "shape (5,)"]),
    ({"X": np.zeros((2, 3, 4, 5)), "y": np.zeros(2)}, ["X must be", "(2, 3, 4, 5)"]),
    ({"X": [np.zeros((3, 2)), np.zeros((3, 4))], "y": [0, 1]}, ["X[1] has 4 features"]),
    ({"X": np.full((4, 3, 1), np.nan), "y": [0, 1, 0, 1]}, ["NaN or inf", "lengths"]),
    ({"X": np.zeros((4, 3)), "y": [0, 1, 0]}, ["y has 3 targets", "4 sequences"]),
    ({"X": np.zeros((4, 3)), "y": [0.5, 1.0, 0.0, 1.0], "kind": "classify"},
     ["Unknown label type", "real numbers"]),
    ({"X": np.zeros((4, 3)), "y": [0.5, np.inf, 0.0, 1.0]}, ["NaN or inf"]),
    ({"X": np.zeros((4, 3)), "y": [1, 1, 1, 1]}, ["only one class"]),
    ({"X": np.zeros((4, 3)), "y": [0, 1, 0, 1], "lengths": [3, 3, 4, 1]}, ["length 4"]),
    ({"X": np.zeros((0, 3)), "y": []}, ["no sequences"]),
])
def test_bad_arrays_are_one_clear_value_error(arrays, words):
    arrays = dict(arrays)
    kind = arrays.pop("kind", "")
    with pytest.raises(ValueError) as info:
        ArrayTask(arrays=arrays, kind=kind, valid_fraction=0.0)
    assert isinstance(info.value, UserError) and "\n" not in str(info.value)
    for word in words:
        assert word in str(info.value)


def test_unknown_labels_in_new_data_are_named():
    X, y = sequences()
    task = ArrayTask(arrays={"X": X, "y": y})
    with pytest.raises(UserError, match=r"label.*medium.*not fitted on"):
        task.scoring({"X": X[:2], "y": np.array(["medium", "low"])})


# -- the command line ------------------------------------------------------------------------


def test_bad_files_from_the_command_line(tmp_path, capsys):
    X, y = sequences()
    np.save(tmp_path / "x.npy", X)
    np.savez(tmp_path / "only_x.npz", X=X)
    np.savez(tmp_path / "ragged.npz", X=np.array([np.zeros(3), np.zeros(2)], dtype=object),
             y=np.array([0, 1]))
    np.savez(tmp_path / "nan.npz", X=np.where(X > 5, np.nan, X), y=y)
    np.savez(tmp_path / "rank.npz", X=X[:, 0, 0], y=y)
    np.savez(tmp_path / "floaty.npz", X=X, y=np.linspace(0, 1, 40))
    (tmp_path / "text.npz").write_text("not a zip")
    cases = [
        ("missing.npz", ["data file not found"]),
        ("x.npy", [".npy", "numpy.savez"]),
        ("text.npz", ["is not a .npz file"]),
        ("only_x.npz", ["no array 'y'"]),
        ("ragged.npz", ["object arrays"]),
        ("nan.npz", ["NaN or inf"]),
        ("rank.npz", ["X must be", "shape (40,)"]),
    ]
    for name, words in cases:
        one_line_error(capsys, ["train", "--data", str(tmp_path / name), "--steps", "1"], *words)
    one_line_error(capsys, ["train", "--data", str(tmp_path / "floaty.npz"), "--kind",
                            "classify", "--steps", "1"], "Unknown label type")
    one_line_error(capsys, ["train", "--kind", "regress"], "--kind needs --data")
    one_line_error(capsys, ["train", "--task", "adding", "--data", "x.npz"], "leave out --task")


def test_train_evaluate_predict_from_the_checkpoint_alone(tmp_path, capsys):
    X, y = sequences(n=60)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    np.savez(tmp_path / "new.npz", X=X[:7] + 1.0, y=y[:7])
    np.savez(tmp_path / "inputs.npz", X=X[:5])
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "d.npz"), "--hidden-size", "8",
                 "--steps", "30", "--out-dir", str(run), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(run), "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"loss", "accuracy"}
    assert main(["evaluate", str(run), "--data", str(tmp_path / "new.npz"), "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"loss", "accuracy"}
    out = tmp_path / "p.csv"
    assert main(["predict", str(run), "--data", str(tmp_path / "inputs.npz"), "-o", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "sequence,prediction,p_high,p_low" and len(lines) == 6
    assert all(line.split(",")[1] in ("high", "low") for line in lines[1:])
    # the file changes: evaluate refuses it, in one line, unless asked
    np.savez(tmp_path / "d.npz", X=X[:50], y=y[:50])
    code = main(["evaluate", str(run)])
    assert_one_line_error(code, capsys.readouterr().err, "has changed", "allow_changed")
    assert main(["evaluate", str(run), "-p", "allow_changed=true"]) == 0
    # the training file gone: the checkpoint still scores and predicts new data
    (tmp_path / "d.npz").unlink()
    assert main(["evaluate", str(run), "--data", str(tmp_path / "new.npz")]) == 0
    one_line_error(capsys, ["predict", str(run), "--data", str(tmp_path / "inputs.npz")],
                   "-o FILE.csv")
    one_line_error(capsys, ["evaluate", str(run), "--data", str(tmp_path / "inputs.npz")],
                   "no array 'y'")


def test_token_ids_from_a_file_are_embedded_and_checked(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 9, size=(40, 6))
    np.savez(tmp_path / "ids.npz", X=X, y=(X == 3).any(1).astype(int))
    np.savez(tmp_path / "new.npz", X=X[:4] + 10, y=np.zeros(4, dtype=int))
    task = make_task("arrays", data=str(tmp_path / "ids.npz"), tokens=True)
    assert (task.spec.input_kind, task.spec.input_size) == ("tokens", int(X.max()) + 1)
    assert next(task.batches("train", 8)).x.dtype == torch.int64
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "ids.npz"), "-p", "tokens=true",
                 "--embedding-dim", "4", "--hidden-size", "4", "--steps", "3", "--out-dir",
                 str(run), "--no-progress"]) == 0
    one_line_error(capsys, ["evaluate", str(run), "--data", str(tmp_path / "new.npz")],
                   "token id", "fitted on ids 0 .. 8")
    np.savez(tmp_path / "frac.npz", X=X + 0.5, y=(X == 3).any(1).astype(int))
    with pytest.raises(UserError, match="whole numbers"):
        make_task("arrays", data=str(tmp_path / "frac.npz"), tokens=True)
