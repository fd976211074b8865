"""Checkpoints that cannot drift (issue 13, item 4): the text and the series a model was fitted
on are recorded so that using them later is checked, or kept so that nothing else is needed.

- The ``text`` task records its file (or folder of ``.txt`` files) by absolute path and sha256:
  a relative path given at training works from any folder; a changed text is refused in one line
  unless ``-p allow_changed=true`` (then read in the training vocabulary), a moved one is named
  (``-p path=`` where it is now); generate, predict and heatmap need only the vocabulary.
  A checkpoint without a hash (an older rnnlab) is not checked.
- A ``Forecaster`` fitted on a series from Python keeps it in every checkpoint (series.json):
  its ``out_dir`` run is evaluated, forecast and loaded from its checkpoint alone.
- A ``SequenceClassifier`` fitted on arrays: ``rnnlab evaluate SAVED`` says to pass ``--data``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers_cli import assert_one_line_error

from rnnlab.cli import main
from rnnlab.train import load_checkpoint
from rnnlab.utils.hashing import file_sha256

TEXT = "the cat sat on the mat. the dog sat on the log. " * 12
TRAIN = ["--steps", "2", "--hidden-size", "8", "--batch-size", "4", "-p", "seq_len=16",
         "--no-progress"]


def train_text(capsys: pytest.CaptureFixture[str], data: str, run: Path, *more: str) -> None:
    assert main(["train", "--data", data, "--out-dir", str(run), *TRAIN, *more]) == 0
    capsys.readouterr()


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def text_params(run: Path) -> dict:
    return load_checkpoint(run / "last", load_state=False).meta["task"]["params"]


@pytest.fixture
def text_run(tmp_path: Path, capsys: pytest.CaptureFixture[str],
             monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A text model trained from a *relative* path; (its text file, its run folder). The
    current folder is left elsewhere."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "book.txt").write_text(TEXT, encoding="utf-8")
    monkeypatch.chdir(data)
    run = tmp_path / "run"
    train_text(capsys, "book.txt", run)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return data / "book.txt", run


# -- the text task ---------------------------------------------------------------------------


def test_a_text_file_is_recorded_by_absolute_path_and_hash(
    text_run: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
) -> None:
    book, run = text_run
    params = text_params(run)
    assert params["path"] == str(book) and Path(params["path"]).is_absolute()
    assert params["sha256"] == file_sha256(book)
    assert f'path = "{book}"' in (run / "run.toml").read_text(encoding="utf-8")
    code, out, err = run_cli(capsys, "evaluate", str(run), "--json")  # from another folder
    assert code == 0, err
    assert json.loads(out)["loss"] > 0


def test_a_changed_text_is_refused_unless_allowed(
    text_run: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
) -> None:
    book, run = text_run
    book.write_text(TEXT + "zebra quiz!", encoding="utf-8")  # new characters too
    code, _, err = run_cli(capsys, "evaluate", str(run))
    assert_one_line_error(code, err, str(book), "has changed", "allow_changed=true")
    code, _, err = run_cli(capsys, "train", "--resume", "--out-dir", str(run), "--steps", "4",
                           "--no-progress")
    assert_one_line_error(code, err, str(book), "has changed")
    # allowed: read in the training vocabulary (the model still fits), new characters as <unk>
    code, out, err = run_cli(capsys, "evaluate", str(run), "-p", "allow_changed=true", "--json")
    assert code == 0, err
    assert json.loads(out)["loss"] > 0


def test_a_moved_text_is_named_and_found_where_it_is_now(
    text_run: tuple[Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    book, run = text_run
    moved = tmp_path / "moved.txt"
    shutil.move(book, moved)
    code, _, err = run_cli(capsys, "evaluate", str(run))
    assert_one_line_error(code, err, str(book), "not there any more", "-p path=")
    code, _, err = run_cli(capsys, "evaluate", str(run), "-p", f"path={moved}")
    assert code == 0, err  # the same content, elsewhere: accepted
    # Prompts need only the vocabulary: no text file at all.
    moved.unlink()
    code, _, err = run_cli(capsys, "generate", str(run), "--prompt", "the ", "--length", "5")
    assert code == 0, err
    page = tmp_path / "units.html"
    code, _, err = run_cli(capsys, "heatmap", str(run / "best"), "--text", "the cat sat",
                           "-o", str(page))
    assert code == 0 and page.is_file(), err


def test_a_folder_is_recorded_by_one_hash_of_its_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rnnlab.tasks.token_file import read_corpus

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(TEXT, encoding="utf-8")
    (corpus / "b.txt").write_text(TEXT[::-1], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "run"
    train_text(capsys, "corpus", run)
    params = text_params(run)
    assert params["path"] == str(corpus)
    assert params["sha256"] == read_corpus(str(corpus)).sha256
    assert params["sha256"] not in (file_sha256(corpus / "a.txt"), file_sha256(corpus / "b.txt"))
    monkeypatch.chdir(corpus)
    (corpus / "b.txt").rename(corpus / "c.txt")  # renamed: another order, another text
    code, _, err = run_cli(capsys, "evaluate", str(run))
    assert_one_line_error(code, err, f"text folder {corpus}", "has changed", "allow_changed")


def test_a_checkpoint_without_a_hash_is_not_checked(
    text_run: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
) -> None:
    """What an older rnnlab wrote (no sha256 in the task's parameters) loads as before."""
    book, run = text_run
    config = run / "last" / "config.json"
    meta = json.loads(config.read_text(encoding="utf-8"))
    for key in ("sha256", "allow_changed"):
        del meta["task"]["params"][key]
    config.write_text(json.dumps(meta), encoding="utf-8")
    book.write_text(TEXT + TEXT[:50], encoding="utf-8")  # changed, with the same characters
    code, _, err = run_cli(capsys, "evaluate", str(run / "last"))
    assert code == 0, err


def test_a_language_model_fitted_on_a_file_records_its_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("sklearn")
    from rnnlab import LanguageModel

    (tmp_path / "book.txt").write_text(TEXT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    lm = LanguageModel(seq_len=16, hidden_size=8, embedding_dim=4, steps=2, batch_size=4)
    saved = lm.fit("book.txt").save(tmp_path / "saved")
    params = load_checkpoint(saved, load_state=False).meta["task"]["params"]
    assert params["path"] == str(tmp_path / "book.txt")
    assert params["sha256"] == file_sha256(tmp_path / "book.txt")
    (tmp_path / "book.txt").write_text(TEXT + "x", encoding="utf-8")
    code, _, err = run_cli(capsys, "evaluate", str(saved))
    assert_one_line_error(code, err, "book.txt", "has changed")
    assert LanguageModel.load(saved).generate("the ", length=4)  # the vocabulary suffices


# -- estimators fitted from Python -------------------------------------------------------------


def test_a_forecaster_run_folder_needs_nothing_but_its_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("pandas")
    from rnnlab import Forecaster
    from rnnlab.tasks.forecast_data import SERIES_FILE

    y = np.sin(np.arange(90) / 4.0) + np.arange(90) / 30.0
    monkeypatch.chdir(tmp_path)
    f = Forecaster(horizon=2, window=6, hidden_size=4, steps=3, out_dir="run").fit(y)
    expected = f.predict()
    saved = f.save(tmp_path / "saved")
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.chdir(other)
    run = tmp_path / "run"
    assert "series.json" in (run / "run.toml").read_text(encoding="utf-8")
    for where in (run, run / "best", saved):
        ckpt = load_checkpoint(where, load_state=False)
        assert SERIES_FILE in ckpt.meta["files"]  # checksummed like the weights
        assert ckpt.meta["task"]["params"]["series"] == SERIES_FILE
        code, out, err = run_cli(capsys, "evaluate", str(where), "--split", "test", "--json")
        assert code == 0, err
        assert json.loads(out)["mase"] > 0
        code, out, err = run_cli(capsys, "forecast", str(where), "--horizon", "3")
        assert code == 0, err
        assert len(out.strip().splitlines()) == 4  # a header and three steps
        np.testing.assert_allclose(np.asarray(Forecaster.load(where).predict()), expected,
                                   rtol=1e-5)
    again = Forecaster.load(run).save(tmp_path / "again")  # saved again: the series goes along
    assert (again / SERIES_FILE).read_bytes() == (saved / SERIES_FILE).read_bytes()


def test_a_forecaster_saved_with_its_series_in_config_json_still_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What Forecaster.save wrote before series.json: the series in config.json."""
    pytest.importorskip("sklearn")
    pytest.importorskip("pandas")
    from rnnlab import Forecaster
    from rnnlab.tasks.forecast import ForecastTask
    from rnnlab.tasks.forecast_data import series_to_json
    from rnnlab.train.checkpoint import checkpoint_meta, save_checkpoint

    y = np.cos(np.arange(80) / 3.0)
    f = Forecaster(horizon=2, window=6, hidden_size=4, steps=2).fit(y)
    monkeypatch.setattr(ForecastTask, "checkpoint_files", lambda self: {})
    meta = checkpoint_meta(f.model_, f.task_, f.train_config_,
                           estimator={"class": "Forecaster", "params": {"horizon": 2,
                                                                        "window": 6},
                                      "pandas": False, "series": series_to_json(f.task_.data)})
    old = save_checkpoint(tmp_path / "old", f.model_, meta)
    monkeypatch.undo()
    np.testing.assert_allclose(Forecaster.load(old).predict(), f.predict(), rtol=1e-5)
    code, _, err = run_cli(capsys, "forecast", str(old))
    assert code == 0, err


def test_a_classifier_fitted_on_arrays_says_what_evaluate_needs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("sklearn")
    from rnnlab import SequenceClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 5, 2))
    y = np.where(X[:, :, 0].sum(1) > 0, "up", "down")
    monkeypatch.chdir(tmp_path)
    c = SequenceClassifier(hidden_size=4, steps=2, out_dir="run").fit(X, y)
    saved = c.save(tmp_path / "saved")
    np.savez(tmp_path / "new.npz", X=X, y=y)
    (tmp_path / "other").mkdir()
    monkeypatch.chdir(tmp_path / "other")
    for where in (saved, tmp_path / "run"):
        code, _, err = run_cli(capsys, "evaluate", str(where))
        assert_one_line_error(code, err, "--data FILE.npz")
        code, out, err = run_cli(capsys, "evaluate", str(where), "--data", "../new.npz",
                                 "--json")
        assert code == 0, err
        assert 0 <= json.loads(out)["accuracy"] <= 1
