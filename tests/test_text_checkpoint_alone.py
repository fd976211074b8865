"""A language model's checkpoint is enough for everything (issue 13).

A model fitted from a string keeps the text in each checkpoint (``text.txt``, checksummed), so
``rnnlab evaluate`` needs no ``-p path=``, from any folder, after the temporary file of the fit
is gone and after the checkpoint is moved; ``--data other.txt`` scores another file in the
training vocabulary (unknown tokens as ``<unk>``, counted); generate and predict need no
training file at all.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

from helpers_cli import assert_one_line_error

from rnnlab import LanguageModel
from rnnlab.cli import main
from rnnlab.errors import UserError
from rnnlab.tasks.text import TEXT_FILE, TextScoring
from rnnlab.train import load_checkpoint

TEXT = "the cat sat on the mat. the dog sat on the log. " * 12
SMALL = {"seq_len": 16, "hidden_size": 8, "embedding_dim": 4, "steps": 4, "lr": 0.01,
         "batch_size": 4}


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[LanguageModel, Path, Path]:
    """A model fitted from a string with a run folder, saved; its (model, saved, run)."""
    where = tmp_path_factory.mktemp("lm")
    lm = LanguageModel(**SMALL, out_dir=where / "run").fit(TEXT)
    return lm, lm.save(where / "saved"), where / "run"


def evaluate_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[dict, str]:
    capsys.readouterr()
    assert main(["evaluate", *argv, "--json"]) == 0
    out, err = capsys.readouterr()
    return json.loads(out), err


def test_a_string_fit_is_evaluated_from_its_checkpoint_alone(
    fitted: tuple[LanguageModel, Path, Path], tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    lm, saved, run = fitted
    assert (saved / TEXT_FILE).read_text(encoding="utf-8") == TEXT
    ckpt = load_checkpoint(saved, load_state=False)
    assert ckpt.meta["task"]["params"]["path"] == TEXT_FILE  # no temporary path recorded
    assert TEXT_FILE in ckpt.meta["files"]  # checksummed like the weights
    for part in ("last", "best"):  # the run folder's checkpoints keep the text too
        assert (run / part / TEXT_FILE).read_text(encoding="utf-8") == TEXT
    assert "rnnlab-text-" not in (run / "run.toml").read_text(encoding="utf-8")
    moved = tmp_path / "elsewhere" / "model"
    shutil.copytree(saved, moved)
    monkeypatch.chdir(tmp_path / "elsewhere")  # another folder; the relative path "model"
    test, _ = evaluate_json(capsys, "model", "--split", "test")
    valid, _ = evaluate_json(capsys, str(run), "--split", "valid")
    n_train = int(len(TEXT) * 0.9)
    assert test["loss"] == pytest.approx(-lm.score(TEXT[n_train - 1 :]), rel=1e-5)
    assert valid["loss"] == pytest.approx(test["loss"], rel=1e-5)  # same weights, same text
    # an altered text is refused like altered weights
    (moved / TEXT_FILE).write_text(TEXT + "x", encoding="utf-8")
    code = main(["evaluate", "model"])
    assert_one_line_error(code, capsys.readouterr().err, "text.txt", "checksum")


def test_load_and_save_again_keep_the_text(
    fitted: tuple[LanguageModel, Path, Path], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, saved, _ = fitted
    copy = shutil.copytree(saved, tmp_path / "copy")
    loaded = LanguageModel.load(copy)
    shutil.rmtree(copy)  # the loaded model holds its text: saving again needs no file
    again = loaded.save(tmp_path / "again")
    assert (again / TEXT_FILE).read_text(encoding="utf-8") == TEXT
    result, _ = evaluate_json(capsys, str(again), "--split", "test")
    assert result["loss"] > 0


def test_data_scores_another_file_in_the_training_vocabulary(
    fitted: tuple[LanguageModel, Path, Path], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lm, saved, _ = fitted
    other = "the zebra sat on the cat. " * 3  # z, b, r are not in the training text
    (tmp_path / "other.txt").write_text(other, encoding="utf-8")
    result, err = evaluate_json(capsys, str(saved), "--data", str(tmp_path / "other.txt"))
    unknown = sum(other.count(c) for c in "zbr")
    assert (result["tokens"], result["unknown_tokens"]) == (len(other), unknown)
    assert result["unknown_share"] == pytest.approx(unknown / len(other))
    assert "whole file is the evaluation set" in err and f"{unknown:,} of them" in err
    # every token after the first is scored: the estimator agrees, for the file and the text
    assert result["loss"] == pytest.approx(-lm.score(tmp_path / "other.txt"), rel=1e-5)
    assert result["loss"] == pytest.approx(-lm.score(other), rel=1e-5)
    scoring = TextScoring(lm.codec_.vocab, lm.task_.params, text=other)
    assert scoring.unknown == unknown and scoring.spec.vocab == lm.codec_.vocab


@pytest.mark.parametrize("content", [b"", b"the cat\x00sat", b"\xff\xfe the cat"])
def test_data_that_is_no_text_is_one_line(
    fitted: tuple[LanguageModel, Path, Path], tmp_path: Path,
    capsys: pytest.CaptureFixture[str], content: bytes,
) -> None:
    _, saved, _ = fitted
    (tmp_path / "bad.txt").write_bytes(content)
    code = main(["evaluate", str(saved), "--data", str(tmp_path / "bad.txt")])
    assert_one_line_error(code, capsys.readouterr().err, "bad.txt")


def test_data_refuses_task_params_and_too_short_text(
    fitted: tuple[LanguageModel, Path, Path], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lm, saved, _ = fitted
    (tmp_path / "one.txt").write_text("t", encoding="utf-8")
    code = main(["evaluate", str(saved), "--data", str(tmp_path / "one.txt")])
    assert_one_line_error(code, capsys.readouterr().err, "at least two")
    code = main(["evaluate", str(saved), "--data", str(tmp_path / "one.txt"), "-p", "seq_len=4"])
    assert_one_line_error(code, capsys.readouterr().err, "leave it out with --data")
    with pytest.raises(UserError, match="at least two"):
        lm.score(tmp_path / "one.txt")


def test_a_file_run_prompts_after_its_file_is_gone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    assert main(["train", "--task", "text", "-p", f"path={corpus}", "-p", "seq_len=16",
                 "--hidden-size", "8", "--embedding-dim", "4", "--steps", "3",
                 "--out-dir", str(tmp_path / "run"), "--no-progress"]) == 0
    corpus.unlink()  # the vocabulary is in the checkpoint: nothing else is needed
    capsys.readouterr()
    assert main(["generate", str(tmp_path / "run"), "--prompt", "the", "--length", "5"]) == 0
    assert main(["predict", str(tmp_path / "run"), "--prompt", "the c"]) == 0
    (tmp_path / "other.txt").write_text("the dog sat. ", encoding="utf-8")
    result, _ = evaluate_json(capsys, str(tmp_path / "run"), "--data",
                              str(tmp_path / "other.txt"))
    assert result["unknown_tokens"] == 0
    lm = LanguageModel.load(tmp_path / "run")
    assert lm.predict("the ") in set(lm.classes_)
    code = main(["evaluate", str(tmp_path / "run")])  # its splits do need the file
    assert_one_line_error(code, capsys.readouterr().err, "corpus.txt")


def test_a_string_run_reruns_and_resumes_with_its_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    run = tmp_path / "run"
    LanguageModel(**SMALL, out_dir=run).fit(TEXT)
    # run.toml names the text kept in last/, which the rerun replaces: the task holds it
    assert main(["train", "--config", str(run / "run.toml"), "--out-dir", str(run),
                 "--overwrite", "--no-progress"]) == 0
    assert main(["train", "--resume", "--out-dir", str(run), "--steps", "6",
                 "--no-progress"]) == 0
    for part in ("last", "best"):
        assert (run / part / TEXT_FILE).read_text(encoding="utf-8") == TEXT
    assert load_checkpoint(run, load_state=False).step == 6
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text(TEXT, encoding="utf-8")
    capsys.readouterr()
    code = main(["train", "--task", "text", "-p", f"path={tmp_path / 'corpus'}",
                 "-p", "keep_text=true", "--steps", "1"])
    assert_one_line_error(code, capsys.readouterr().err, "keep_text", "is a folder")


def test_task_files_must_be_files_the_checkpoint_lists(
    fitted: tuple[LanguageModel, Path, Path], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, saved, _ = fitted
    copy = shutil.copytree(saved, tmp_path / "copy")
    meta = json.loads((copy / "config.json").read_text(encoding="utf-8"))
    meta["task"]["files"] = {"path": "../../etc/hostname"}
    (copy / "config.json").write_text(json.dumps(meta), encoding="utf-8")
    code = main(["evaluate", str(copy)])
    assert_one_line_error(code, capsys.readouterr().err, "corrupt checkpoint", "task's files")


@pytest.mark.parametrize("level", ["char", "word"])
def test_another_file_in_a_fixed_vocabulary(tmp_path: Path, level: str) -> None:
    from rnnlab.tasks.token_file import encode_tokens, unknown_count

    vocab = ("<unk>", " ", ".", "a", "c", "t") if level == "char" else ("<unk>", ".", "cat", "the")
    (tmp_path / "o.txt").write_text("the cat. a dog.\n", encoding="utf-8")
    tokens = encode_tokens(str(tmp_path / "o.txt"), level, vocab)
    again = encode_tokens(str(tmp_path / "o.txt"), level, vocab)  # from the cache
    expected = ([vocab.index(c) if c in vocab else 0 for c in "the cat. a dog.\n"]
                if level == "char" else [3, 2, 1, 0, 0, 1, 0])  # "\n" is a word
    assert tokens.ids.tolist() == again.ids.tolist() == expected
    assert unknown_count(tokens) == expected.count(0) and tokens.n_train == 0
    scoring = TextScoring(vocab, {"level": level, "seq_len": 3}, path=str(tmp_path / "o.txt"))
    from_text = TextScoring(vocab, {"level": level, "seq_len": 3}, text="the cat. a dog.\n")
    assert scoring.counts() == from_text.counts()
    (tmp_path / "blank.txt").write_text("  \t  ", encoding="utf-8")  # newlines are words
    if level == "word":
        with pytest.raises(UserError, match="holds no word tokens"):
            encode_tokens(str(tmp_path / "blank.txt"), level, vocab)
