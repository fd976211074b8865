"""The rnnlab command: the happy path on a tiny run, and every kind of bad input.

Bad input must reach the user as one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rnnlab.cli import main

TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n" * 40


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_bad_input(code: int, err: str, *words: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture(scope="module")
def text_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny character LSTM trained for a few steps, shared by the read-only tests."""
    root = tmp_path_factory.mktemp("cli")
    corpus = root / "corpus.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    code = main([
        "train", "--task", "text", "-p", f"path={corpus}", "-p", "seq_len=20",
        "--family", "lstm", "--hidden-size", "16", "--embedding-dim", "8",
        "--steps", "6", "--eval-every", "3", "--batch-size", "4", "--progress", "false",
        "--out-dir", str(root / "run"),
    ])  # fmt: skip
    assert code == 0
    return root


def test_tasks_lists_every_task(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "tasks", "--verbose")
    assert code == 0
    for name in ("cue-word", "adding", "reber", "lag", "temporal-order", "copy", "text"):
        assert name in out
    assert "gap=" in out  # --verbose shows the parameters


def test_every_command_help_shows_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("tasks", "train", "evaluate", "predict", "generate", "draw", "compare",
                    "heatmap"):
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0
        assert "example:" in capsys.readouterr().out


def test_train_evaluate_predict_generate(
    text_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = text_run / "run"
    assert (run_dir / "best" / "model.safetensors").is_file()
    code, out, _ = run(capsys, "evaluate", str(run_dir / "best"), "--json")
    assert code == 0 and '"bpc"' in out
    code, out, _ = run(capsys, "predict", str(run_dir), "--prompt", "First Cit", "--top-k", "3")
    assert code == 0 and len(out.strip().splitlines()) == 3
    code, out, _ = run(capsys, "generate", str(run_dir), "--prompt", "Before", "--length", "15")
    assert code == 0 and out.startswith("Before") and len(out.rstrip("\n")) >= len("Before") + 15


def test_resume_continues_the_run(text_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "train", "--resume", "--out-dir", str(text_run / "run"), "--steps", "8",
        "--progress", "false",
    )  # fmt: skip
    assert code == 0
    assert "after 8 steps" in out


def test_draw_writes_a_diagram(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "cell.svg"
    code, _, _ = run(capsys, "draw", "--family", "lstm", "--peephole", "true", "-o", str(out_file))
    assert code == 0 and out_file.read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["train", "--task", "nope"], ["unknown task", "cue-word"]),
        (["train", "--family", "transformer", "--steps", "1"], ["unknown model family"]),
        (["train", "-p", "gap=abc", "--steps", "1"], ["gap"]),
        (["train", "-p", "gap"], ["name=value"]),
        (["train", "--steps", "many"], ["--steps"]),
        (["train", "--optimizer", "adagrad"], ["optimizer"]),
        (["train", "--resume"], ["--out-dir"]),
        (["train", "--task", "text", "-p", "path=/no/such/file.txt"], ["/no/such/file.txt"]),
        (["evaluate", "/no/such/run"], ["no checkpoint"]),
        (["draw", "--view", "sideways", "-o", "x.svg"], ["sideways"]),
        (["frobnicate"], ["frobnicate"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(argv)
    except SystemExit as exit_info:  # argparse's own usage errors
        code = int(exit_info.code or 0)
    assert_bad_input(code, capsys.readouterr().err, *words)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", ["empty"]),
        (b"\x00\x01\x02binary\x00data" * 50, ["binary"]),
        ("caf\u00e9 ".encode("latin-1") * 200, ["UTF-8"]),
        (b"too short", ["too short"]),
    ],
)
def test_bad_text_files(
    tmp_path: Path, content: bytes, words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(content)
    code = main(["train", "--task", "text", "-p", f"path={corpus}", "--steps", "1"])
    assert_bad_input(code, capsys.readouterr().err, *words)


def test_bad_checkpoints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "config.json").write_text('{"model_type": "bert"}')
    assert_bad_input(main(["evaluate", str(foreign)]), capsys.readouterr().err, "not an rnnlab")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    assert_bad_input(main(["evaluate", str(broken)]), capsys.readouterr().err, "checkpoint")


def test_corrupt_weights_and_unknown_prompt(
    text_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    copy = tmp_path / "ckpt"
    shutil.copytree(text_run / "run" / "best", copy)
    weights = copy / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    assert_bad_input(main(["evaluate", str(copy)]), capsys.readouterr().err, "corrupt")
    code = main(["predict", str(text_run / "run"), "--prompt", "Zebra \u263a"])
    assert_bad_input(code, capsys.readouterr().err, "not in the training vocabulary")


def test_fresh_run_never_overwrites_an_existing_one(
    text_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (text_run / "run" / "best" / "model.safetensors").read_bytes()
    code = main([
        "train", "--task", "text", "-p", f"path={text_run / 'corpus.txt'}", "-p", "seq_len=20",
        "--steps", "1", "--out-dir", str(text_run / "run"),
    ])  # fmt: skip
    assert_bad_input(code, capsys.readouterr().err)
    assert (text_run / "run" / "best" / "model.safetensors").read_bytes() == before


def test_python_dash_m_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rnnlab", "train", "--task", "nope"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "unknown task" in done.stderr


def test_a_checkpoint_alone_is_enough_to_prompt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "gone.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    code = main([
        "train", "--task", "text", "-p", f"path={corpus}", "-p", "seq_len=20", "-p", "level=word",
        "--hidden-size", "8", "--steps", "2", "--progress", "false",
        "--out-dir", str(tmp_path / "run"),
    ])  # fmt: skip
    assert code == 0
    corpus.unlink()  # the training file is gone; the vocabulary lives in the checkpoint
    capsys.readouterr()
    run_dir = str(tmp_path / "run")
    code, out, _ = run(capsys, "predict", run_dir, "--prompt", "hear me", "--top-k", "2")
    assert code == 0 and len(out.strip().splitlines()) == 2
    code, out, _ = run(capsys, "generate", run_dir, "--prompt", "hear me")
    assert code == 0 and out.startswith("hear me")
    assert_bad_input(main(["evaluate", run_dir]), capsys.readouterr().err, "gone.txt")


@pytest.fixture(scope="module")
def cue_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny cue-word LSTM that met a (trivial) --stop-when target."""
    run_dir = tmp_path_factory.mktemp("cue") / "run"
    code = main([
        "train", "--task", "cue-word", "-p", "gap=2:4", "-p", "eval_size=32", "--hidden-size",
        "8", "--embedding-dim", "4", "--steps", "4", "--eval-every", "2", "--batch-size", "8",
        "--stop-when", "accuracy>=0", "--progress", "false", "--out-dir", str(run_dir),
    ])  # fmt: skip
    assert code == 0
    return run_dir


def test_evaluate_on_the_endless_train_split_of_a_generated_task_ends(
    cue_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "evaluate", str(cue_run), "--split", "train", "--json",
                         "--batch-size", "10")
    assert code == 0 and '"accuracy"' in out
    assert "endless" in err and "40 training sequences" in err  # ceil(32 / 10) batches of 10
    code, out, _ = run(capsys, "evaluate", str(cue_run), "--split", "train", "--max-batches", "1")
    assert code == 0 and "accuracy" in out


def test_evaluate_can_change_task_parameters(
    cue_run: Path, text_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "evaluate", str(cue_run), "--split", "test", "-p", "gap=9",
                       "-p", "eval_size=20", "--json")
    assert code == 0 and '"accuracy"' in out
    # Words instead of characters: another vocabulary, which the model cannot read.
    code, _, err = run(capsys, "evaluate", str(text_run / "run"), "-p", "level=word")
    assert_bad_input(code, err, "level=word", "no longer fits")
    code, _, err = run(capsys, "evaluate", str(cue_run), "-p", "nonsense=1")
    assert_bad_input(code, err, "nonsense")


def test_a_resumed_run_names_the_target_it_met(
    cue_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "train", "--resume", "--out-dir", str(cue_run), "--stop-when", "",
                       "--steps", "6", "--progress", "false")
    assert code == 0
    assert "target  reached" not in out
    assert "target accuracy>=0 reached after" in out


def test_heatmap_colours_a_passage_by_units(
    text_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "units.html"
    code, out, _ = run(capsys, "heatmap", str(text_run / "run"), "--text", TEXT[:300],
                       "--count", "2", "-o", str(out_file))
    assert code == 0 and out_file.is_file()
    assert out.count("unit") >= 2 and "wrote" in out
    page = out_file.read_text(encoding="utf-8")
    assert page.count('class="heat-text chars wrap passage"') == 2
    code, _, _ = run(capsys, "heatmap", str(text_run / "run"), "--text", "First", "--unit", "1,2",
                     "--kind", "h", "-o", str(out_file))
    assert code == 0
    for argv, words in [
        (["--text", "First", "--unit", "999"], ("unit 999 does not exist",)),
        (["--text", "First", "--unit", "x"], ("--unit",)),
        ([], ("--text", "--file")),
        (["--text", "First\u00e9"], ("not in the training vocabulary",)),
    ]:
        code, _, err = run(capsys, "heatmap", str(text_run / "run"), *argv, "-o", str(out_file))
        assert_bad_input(code, err, *words)


def test_a_time_limit_alone_replaces_the_default_step_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A window MLP takes its default 1,000 steps in about two seconds: the run must go on
    # until its 4-second budget is spent.
    code, out, _ = run(capsys, "train", "--task", "adding", "--family", "mlp", "--hidden-size",
                       "4", "--minutes", "0.07", "--schedule", "cosine", "--eval-every",
                       "100000", "--progress", "false", "--out-dir", str(tmp_path / "run"))
    assert code == 0 and "stopped (time)" in out


def test_heatmap_of_a_cue_word_model_shows_words(
    cue_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "cue.html"
    code, _, _ = run(capsys, "heatmap", str(cue_run), "--text",
                     "Cold, Bob walks to the store to buy", "--unit", "0", "-o", str(out_file))
    assert code == 0
    assert 'class="heat-text words wrap passage"' in out_file.read_text(encoding="utf-8")
