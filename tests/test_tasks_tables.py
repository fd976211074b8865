"""Tables as data: CSV and Parquet files, long (a row per step) and wide (a row per sequence).

A long table whose rows are shuffled gives the same sequences, fitted state and batches as the
arrays it was made from; what the table's columns were is recorded in the params, so a
checkpoint scores and predicts a new table alone; every bad table is one line (exit 2).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers_cli import one_line_error

from rnnlab.cli import main
from rnnlab.errors import UserError
from rnnlab.tasks import make_task
from rnnlab.tasks.arrays import ArrayTask
from rnnlab.tasks.table_data import Layout, read_table, table_sequences

pd = pytest.importorskip("pandas")


def sequences(n=30, seed=0):
    """Variable-length sequences of 2 features, a text label each."""
    rng = np.random.default_rng(seed)
    xs = [rng.normal(size=(int(rng.integers(3, 9)), 2)) for _ in range(n)]
    return xs, np.array(["up" if x[:, 0].sum() > 0 else "down" for x in xs])


def long_frame(xs, y, seed=1):
    """The long layout of ``xs``: one row per step, rows shuffled (the time column orders)."""
    rows = [{"sid": f"s{i}", "step": t, "a": x[t, 0], "b": x[t, 1], "label": y[i]}
            for i, x in enumerate(xs) for t in range(len(x))]
    order = np.random.default_rng(seed).permutation(len(rows))
    frame = pd.DataFrame([rows[i] for i in order])
    # first appearance decides the order of the sequences: make it s0, s1, ... again
    first = {f"s{i}": k for k, i in enumerate(range(len(xs)))}
    return frame.sort_values("sid", key=lambda s: s.map(first), kind="stable")


LONG = {"id": "sid", "time": "step", "target": "label"}


def test_a_shuffled_long_table_gives_the_arrays_it_was_made_from(tmp_path):
    xs, y = sequences()
    long_frame(xs, y).to_csv(tmp_path / "d.csv", index=False)
    from_file = make_task("arrays", data=str(tmp_path / "d.csv"), **LONG)
    from_arrays = ArrayTask(arrays={"X": xs, "y": y})
    p, q = from_file.params, from_arrays.params
    assert (p.inputs, p.target) == ("a,b", "label")  # recorded: the columns it was fitted on
    assert (p.features, p.classes, p.label_type) == (q.features, q.classes, q.label_type)
    assert np.allclose(p.mean, q.mean) and np.allclose(p.std, q.std)
    a, b = next(from_file.batches("train", 64)), next(from_arrays.batches("train", 64))
    assert np.allclose(a.x.numpy(), b.x.numpy(), atol=1e-6) and (a.y == b.y).all()
    again = make_task("arrays", **json.loads(json.dumps(p.to_dict())))
    assert again.params == p and again.spec == from_file.spec


def test_parquet_gives_what_csv_gives(tmp_path):
    pytest.importorskip("pyarrow")
    xs, y = sequences()
    frame = long_frame(xs, y)
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_parquet(tmp_path / "d.parquet")
    csv = make_task("arrays", data=str(tmp_path / "d.csv"), **LONG).params
    parquet = make_task("arrays", data=str(tmp_path / "d.parquet"), **LONG).params
    assert (csv.mean, csv.std, csv.classes) == (parquet.mean, parquet.std, parquet.classes)


def test_parquet_without_an_engine_names_the_package(tmp_path, monkeypatch):
    (tmp_path / "d.parquet").write_bytes(b"PAR1")

    def no_engine(*args, **kwargs):
        raise ImportError("Unable to find a usable engine; tried using: 'pyarrow', "
                          "'fastparquet'.\nA suitable version of pyarrow or fastparquet is "
                          "required for parquet support.")

    monkeypatch.setattr(pd, "read_parquet", no_engine)
    with pytest.raises(UserError, match=r"needs pyarrow: pip install pyarrow") as info:
        read_table(str(tmp_path / "d.parquet"))
    assert "\n" not in str(info.value)


def test_dates_order_the_steps():
    frame = pd.DataFrame({"id": [1, 1, 1, 2, 2, 2],
                          "when": ["2024-01-03", "2024-01-01", "2024-01-02"] * 2,
                          "v": [3.0, 1.0, 2.0, 30.0, 10.0, 20.0], "y": [0, 0, 0, 1, 1, 1]})
    table = table_sequences(frame, Layout(id="id", time="when", target="y"), "X")
    assert [x[:, 0].tolist() for x in table.X] == [[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]
    assert list(table.ids) == [1, 2] and table.y == [0, 1] and table.inputs == ("v",)


def test_without_a_time_column_rows_keep_their_order():
    frame = pd.DataFrame({"id": ["b", "a", "b", "a"], "v": [1.0, 2.0, 3.0, 4.0],
                          "y": [1.5, 2.5, 1.5, 2.5]})
    table = table_sequences(frame, Layout(id="id", target="y"), "X")
    assert list(table.ids) == ["b", "a"]  # in order of first appearance
    assert [x[:, 0].tolist() for x in table.X] == [[1.0, 3.0], [2.0, 4.0]]


def test_per_step_targets_from_a_long_table(tmp_path):
    xs, _ = sequences()
    frame = long_frame(xs, np.zeros(len(xs)))
    frame["label"] = np.where(frame["a"] > 0, "pos", "neg")  # a label per row: per step
    frame.to_csv(tmp_path / "d.csv", index=False)
    task = make_task("arrays", data=str(tmp_path / "d.csv"), per_step=True, **LONG)
    assert task.spec.many_to_many and task.params.classes == ("neg", "pos")
    with pytest.raises(UserError, match=r"different values of label.*per_step=true"):
        make_task("arrays", data=str(tmp_path / "d.csv"), **LONG)


def test_a_wide_table_is_a_row_per_sequence_and_empty_tails_are_shorter(tmp_path):
    (tmp_path / "w.csv").write_text("t0,t1,t2,t3,value\n1,2,3,4,0.5\n5,6,,,1.5\n7,8,9,,2.5\n"
                                    "1,1,1,1,3.5\n")
    task = make_task("arrays", data=str(tmp_path / "w.csv"), target="value", valid_fraction=0)
    assert (task.params.kind, task.params.features, task.params.inputs) == (
        "regress", 1, "t0,t1,t2,t3")
    assert sorted(len(x) for x in task.data["train"][0]) == [2, 3, 4, 4]


def test_train_evaluate_predict_a_table_from_the_checkpoint_alone(tmp_path, capsys):
    xs, y = sequences(n=40)
    long_frame(xs, y).to_csv(tmp_path / "d.csv", index=False)
    new = long_frame(xs[:6], y[:6], seed=3)
    new.to_csv(tmp_path / "new.csv", index=False)
    new.drop(columns="label").to_csv(tmp_path / "inputs.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "d.csv"), "-p", "id=sid", "-p", "time=step",
                 "-p", "target=label", "--hidden-size", "8", "--steps", "20", "--out-dir",
                 str(run), "--no-progress"]) == 0
    (tmp_path / "d.csv").unlink()  # not needed to score new tables
    capsys.readouterr()
    assert main(["evaluate", str(run), "--data", str(tmp_path / "new.csv"), "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"loss", "accuracy"}
    out = tmp_path / "p.csv"
    assert main(["predict", str(run), "--data", str(tmp_path / "inputs.csv"), "-o",
                 str(out)]) == 0
    written = pd.read_csv(out)
    assert list(written.columns) == ["sequence", "prediction", "p_down", "p_up"]
    assert list(written["sequence"]) == [f"s{i}" for i in range(6)]  # the ids, in order
    one_line_error(capsys, ["evaluate", str(run), "--data", str(tmp_path / "inputs.csv")],
                   "no column 'label'")


def test_kind_forecast_and_lm_are_the_forecast_and_text_tasks(tmp_path, capsys):
    rng = np.random.default_rng(0)
    pd.DataFrame({"date": pd.date_range("2024-01-01", periods=120, freq="D"),
                  "load": np.sin(np.arange(120) / 3) + rng.normal(0, 0.1, 120),
                  "temp": rng.normal(size=120)}).to_csv(tmp_path / "s.csv", index=False)
    run = tmp_path / "f"
    assert main(["train", "--data", str(tmp_path / "s.csv"), "--kind", "forecast", "-p",
                 "target=load", "-p", "date=date", "-p", "horizon=3", "-p", "window=8",
                 "--hidden-size", "4", "--steps", "3", "--out-dir", str(run),
                 "--no-progress"]) == 0
    meta = json.loads((run / "last" / "config.json").read_text())
    assert meta["task"]["name"] == "forecast" and meta["task"]["params"]["inputs"] == "temp"
    capsys.readouterr()
    assert main(["evaluate", str(run), "--data", str(tmp_path / "s.csv"), "--json"]) == 0
    assert "mase" in json.loads(capsys.readouterr().out)
    one_line_error(capsys, ["predict", str(run), "--data", str(tmp_path / "s.csv"), "-o",
                            str(tmp_path / "p.csv")], "rnnlab forecast RUN")
    (tmp_path / "t.txt").write_text("the cat sat on the mat. " * 40)
    lm = tmp_path / "lm"
    assert main(["train", "--data", str(tmp_path / "t.txt"), "-p", "seq_len=10",
                 "--hidden-size", "4", "--embedding-dim", "4", "--steps", "3", "--out-dir",
                 str(lm), "--no-progress"]) == 0  # a .txt file: a language model
    assert json.loads((lm / "last" / "config.json").read_text())["task"]["name"] == "text"
    one_line_error(capsys, ["train", "--data", str(tmp_path / "t.txt"), "--kind", "forecast"],
                   "--kind forecast reads a CSV")
    one_line_error(capsys, ["train", "--data", str(tmp_path), "--kind", "lm"], "is a folder")
    one_line_error(capsys, ["train", "--data", str(tmp_path / "s.csv"), "--kind", "lm",
                            "--task", "adding"], "leave out --task adding")
    one_line_error(capsys, ["train", "--data", str(tmp_path / "s.csv"), "-p", "target=load",
                            "-p", "horizon=3"], "-p horizon", "add --kind forecast")


BAD_TABLES = [
    ("sid,step,a,label\ns0,0,1.0,up\ns0,1,2.0,up\n", {"target": "kind"}, ["no column 'kind'"]),
    ("sid,step,a,label\ns0,0,1.0,up\n", {"target": ""}, ["target=COLUMN", "label"]),
    ("sid,step,a,label\ns0,0,1.0,up\ns1,0,,down\n", {}, ["missing", "'a'", "line 3"]),
    ("sid,step,a,label\ns0,0,1.0,up\ns1,0,2.0,\n", {}, ["missing value in the target", "line 3"]),
    ("sid,step,a,label\ns0,0,1.0,up\ns0,0,2.0,up\n", {}, ["two rows at step", "'s0'"]),
    ("sid,step,a,label\ns0,x,1.0,up\ns0,y,2.0,up\n", {}, ["unparseable time 'x'", "line 2"]),
    ("sid,step,a,label\ns0,0,1.0,up\ns0,1,2.0,down\n", {}, ["different values of label"]),
    ("sid,step,a,label\n,0,1.0,up\n", {}, ["missing value in the id column"]),
    ("sid,step,a,label\ns0,0,1.0,up\n", {"inputs": "label"}, ["named twice"]),
    ("sid,step,a,note,label\ns0,0,1.0,hi,up\n", {"inputs": "a,note"}, ["'note' holds non-num"]),
    ("sid,step,note,label\ns0,0,hi,up\n", {}, ["no numeric input column"]),
    ("", {}, ["is empty"]),
    ("sid,step,a,label\n", {}, ["no rows"]),
    ("t0,t1,t2,label\n1,,3,0\n2,3,4,1\n", {"id": "", "time": ""}, ["'t1'", "before the row"]),
    ("t0,t1,label\n1,2,0\n", {"id": ""}, ["time needs the long layout", "id=COLUMN"]),
]


@pytest.mark.parametrize(("text", "changes", "words"), BAD_TABLES)
def test_bad_tables_are_one_clear_line(text, changes, words, tmp_path, capsys):
    (tmp_path / "d.csv").write_text(text)
    params = {**LONG, **changes}
    argv = ["train", "--data", str(tmp_path / "d.csv"), "--steps", "1", "--hidden-size", "2",
            "--no-progress", "--out-dir", str(tmp_path / "run"),
            *(x for k, v in params.items() for x in ("-p", f"{k}={v}"))]
    one_line_error(capsys, argv, *words)


def test_table_columns_are_refused_for_an_npz(tmp_path, capsys):
    np.savez(tmp_path / "d.npz", X=np.zeros((4, 3)), y=[0, 1, 0, 1])
    one_line_error(capsys, ["train", "--data", str(tmp_path / "d.npz"), "-p", "id=sid",
                            "--steps", "1"], "is an .npz file", "leave them out")
    (tmp_path / "d.tsv").write_text("a\tb\n")
    one_line_error(capsys, ["train", "--data", str(tmp_path / "d.tsv"), "--steps", "1"],
                   "is not a .npz file", ".csv, .parquet")
