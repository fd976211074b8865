"""The translation tasks (dates, numbers, parallel files) and the commands around them."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest
from helpers_cli import one_line_error
from test_seq2seq import write_pairs

from rnnlab.cli import main
from rnnlab.errors import UserError
from rnnlab.tasks import TASKS, make_task
from rnnlab.tasks.translation import MARKERS, CharVocab, edit_distance, held_out_split


def texts(task, split: str, n: int = 400):
    out = []
    for batch in task.batches(split, 50):
        for x, y in zip(batch.x.tolist(), batch.y.tolist(), strict=True):
            out.append((task.source.decode(x), task.target.decode(y)))
        if len(out) >= n:
            break
    return out


def test_the_tasks_are_registered_and_say_they_are_seq2seq():
    assert {"dates", "numbers", "parallel"} <= set(TASKS)


def test_char_vocab_markers_unknowns_and_round_trip():
    vocab = CharVocab.from_texts(["abc", "cab"])
    assert vocab.tokens[:4] == MARKERS and vocab.tokens[4:] == ("a", "b", "c")
    assert vocab.unknown("abzcy") == ["z", "y"]
    assert vocab.decode([*vocab.encode("cab", eos=True), 5]) == "cab"
    assert vocab.decode(vocab.encode("azb")) == "a?b"
    assert edit_distance("kitten", "sitting") == 3 and edit_distance("", "ab") == 2


def test_held_out_split_is_fixed_by_its_seed_and_honours_the_fractions():
    splits = [held_out_split(k, 0, 0.05, 0.1) for k in range(20000)]
    assert abs(splits.count("test") / 20000 - 0.1) < 0.01
    assert abs(splits.count("valid") / 20000 - 0.05) < 0.01
    assert splits != [held_out_split(k, 1, 0.05, 0.1) for k in range(20000)]


def test_dates_are_iso_targets_of_their_sources_and_test_days_are_never_trained_on():
    pytest.importorskip("faker")
    pytest.importorskip("babel")
    task = make_task("dates", eval_size=200)
    spec = task.spec
    assert spec.seq2seq and spec.target_vocab is not None and spec.max_target_len == 11
    train = texts(task, "train")
    test = texts(task, "test", 200)
    for _, iso in train + test:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", iso)
        day = datetime.date.fromisoformat(iso)
        assert task.first <= day <= task.last
    assert not {iso for _, iso in train} & {iso for _, iso in test}
    assert all(task.split_of(datetime.date.fromisoformat(iso)) == "test" for _, iso in test)
    # the source writes the day: for babel's long English form it is readable back
    us = task.write(datetime.date(2021, 3, 3), "en_US", "long")
    assert us == "March 3, 2021"
    assert task.write(datetime.date(2021, 3, 3), "fr_FR", "full") == "mercredi 3 mars 2021"
    assert len({src for src, _ in train}) > 300  # many formats and locales
    assert texts(task, "test", 50) == test[:50]  # the same seed gives the same set


def test_numbers_are_digits_of_their_words_and_test_numbers_are_held_out():
    num2words = pytest.importorskip("num2words").num2words
    task = make_task("numbers", eval_size=200, languages="en,fr,de,es")
    train, test = texts(task, "train"), texts(task, "test", 200)
    for words, digits in train[:100] + test[:100]:
        assert any(num2words(int(digits), lang=lang) == words for lang in ("en", "fr", "de", "es"))
    assert not {d for _, d in train} & {d for _, d in test}
    lengths = {len(d) for _, d in train}
    assert lengths == set(range(1, 7))  # short and long numbers alike


def test_bad_task_params_are_user_errors():
    pytest.importorskip("faker")
    with pytest.raises(UserError, match="at most 100 years"):
        make_task("dates", start_year=1900, end_year=2099)
    with pytest.raises(UserError, match="unknown locale"):
        make_task("dates", locales="xx_YY")
    pytest.importorskip("num2words")
    with pytest.raises(UserError, match="no language"):
        make_task("numbers", languages="en,zz")


@pytest.mark.parametrize(("content", "words"), [
    ("abc\tcba\nno tab here\n", ["line 2", "no tab"]),
    ("abc\tcba\na\tb\tc\n", ["line 2", "2 tabs"]),
    ("abc\t\n", ["line 1", "target side is empty"]),
    ("\tabc\n", ["line 1", "source side is empty"]),
    ("abc\tcba\n\n" + "x" * 30 + "\ty\n", ["line 3", "max_len = 20"]),
])
def test_a_bad_parallel_file_is_one_line_naming_the_file_and_line(tmp_path, capsys, content,
                                                                 words):
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    one_line_error(capsys, ["train", "--task", "parallel", "-p", f"path={path}",
                            "-p", "max_len=20", "--steps", "1"], str(path), *words)


def test_parallel_splits_are_seeded_and_disjoint(tmp_path):
    path = write_pairs(tmp_path / "p.tsv", 100)
    task = make_task("parallel", path=str(path))
    sizes = {s: len(task.pairs[s]) for s in ("train", "valid", "test")}
    assert sizes == {"train": 80, "valid": 10, "test": 10}
    again = make_task("parallel", path=str(path))
    assert again.pairs == task.pairs and again.spec == task.spec


@pytest.fixture
def run(tmp_path) -> Path:
    """A tiny trained parallel run (a few steps) with attention."""
    path = write_pairs(tmp_path / "p.tsv", 120)
    out = tmp_path / "run"
    code = main(["train", "--task", "parallel", "-p", f"path={path}", "--family", "gru",
                 "--hidden-size", "8", "--attention", "bahdanau", "--bidirectional",
                 "--steps", "3", "--batch-size", "8", "--out-dir", str(out), "--no-progress"])
    assert code == 0
    return out


def test_train_evaluate_translate_and_draw_a_run(run, tmp_path, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(run / "last"), "--split", "test", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert {"exact_match", "cer", "token_accuracy", "loss"} <= set(metrics)
    heat = tmp_path / "att.png"
    assert main(["translate", str(run / "last"), "abc", "fedcba", "--beam", "3",
                 "--show-attention", str(heat)]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 2
    assert heat.exists() and (tmp_path / "att-2.png").exists()
    inputs = tmp_path / "in.txt"
    inputs.write_text("abc\n\nxyz\n", encoding="utf-8")
    assert main(["translate", str(run / "last"), "--file", str(inputs)]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 3
    assert "read as <unk>: 'x', 'y', 'z'" in captured.err
    picture = tmp_path / "s2s.svg"
    assert main(["draw", str(run / "last"), "-o", str(picture)]) == 0
    assert "attention-context-0" in picture.read_text(encoding="utf-8")


def test_translate_and_draw_refuse_clearly(run, tmp_path, capsys):
    cue = tmp_path / "cue"
    assert main(["train", "--task", "cue-word", "--hidden-size", "4", "--steps", "1",
                 "--out-dir", str(cue), "--no-progress"]) == 0
    capsys.readouterr()
    one_line_error(capsys, ["translate", str(cue / "last"), "abc"], "not a sequence-to-sequence")
    one_line_error(capsys, ["translate", str(run / "last")], "nothing to translate")
    one_line_error(capsys, ["generate", str(run / "last"), "--prompt", "ab"], "rnnlab translate")
    one_line_error(capsys, ["draw", "--attention", "luong", "--view", "cell", "-o",
                            str(tmp_path / "x.svg")], "unrolled only")
    one_line_error(capsys, ["train", "--task", "cue-word", "--attention", "luong", "--steps",
                            "1"], "sequence-to-sequence")
    pairs = write_pairs(tmp_path / "c.tsv", 50)
    one_line_error(capsys, ["compare", "--task", "parallel", "-p", f"path={pairs}", "--models",
                            "gru,mlp", "--steps", "1", "-o", str(tmp_path / "c.html")],
                   "window MLP has no encoder-decoder form")
