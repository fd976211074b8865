"""Tracebacks and hangs found by fuzzing the command line (issue 10, item 3): each is now one
line on stderr and exit code 2, or a run that ends."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers_cli import one_line_error

from rnnlab.cli import main

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--task", "adding", "-p", "T=22", "-p", "eval_size=16", "--hidden-size", "4",
        "--batch-size", "4", "--progress", "false"]


@pytest.mark.parametrize("argv, words", [
    (["train", "--batch-size", "1000000000"], ["--batch-size", "65536"]),
    (["train", "--num-layers", "1000000000"], ["--num-layers"]),
    (["train", "--hidden-size", "1000000000"], ["--hidden-size"]),
    (["train", "--lr", "1e39"], ["--lr"]),
    (["train", "--lr", "nan"], ["--lr"]),
    (["train", "--weight-decay", "1e39"], ["--weight-decay"]),
    (["train", "--forget-bias", "1e39"], ["--forget-bias"]),
    (["train", "--seed", str(2**64)], ["--seed"]),
    (["train", "--eval-seed", "-1"], ["--eval-seed"]),
    (["train", "--dense-before", "4", "100000"], ["--dense-before"]),
    (["train", "--dropout", "1.5"], ["--dropout"]),
    (["train", "--momentum", "inf"], ["--momentum"]),
    (["compare", "--budget", "1000000000"], ["--budget"]),
    (["compare", "--seeds", "0"], ["--seeds"]),
    (["predict", "ckpt", "--prompt", "a", "--top-k", "-1"], ["--top-k"]),
    (["generate", "ckpt", "--prompt", "a", "--temperature", "nan"], ["--temperature"]),
    (["generate", "ckpt", "--prompt", "a", "--temperature", "1e-45"], ["--temperature"]),
    (["generate", "ckpt", "--prompt", "a", "--length", "-5"], ["--length"]),
    (["generate", "ckpt", "--prompt", "a", "--seed", str(2**64)], ["--seed"]),
    (["evaluate", "ckpt", "--batch-size", "0"], ["--batch-size"]),
    (["draw", "-o", "x.svg", "--steps", "1000000"], ["--steps"]),
    (["heatmap", "ckpt", "--text", "a", "--max-tokens", "0"], ["--max-tokens"]),
    (["--threads", "100000", "tasks"], ["--threads"]),
])  # fmt: skip
def test_numeric_options_are_range_checked_at_parse_time(
    capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err


@pytest.fixture(scope="module")
def adam_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("resume") / "run"
    assert main(["train", *TINY, "--steps", "2", "--eval-every", "1", "--out-dir", str(out)]) == 0
    return out


def test_resume_with_another_optimizer_starts_it_fresh(
    adam_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    import shutil

    run = tmp_path / "run"
    shutil.copytree(adam_run, run)
    capsys.readouterr()
    with caplog.at_level(logging.WARNING, logger="rnnlab.train"):
        code = main(["train", "--resume", "--out-dir", str(run), "--optimizer", "sgd",
                     "--momentum", "0.9", "--steps", "4", "--progress", "false"])
    assert code == 0, capsys.readouterr().err
    assert "optimizer sgd instead of adam: its state starts fresh" in caplog.text
    meta = json.loads((run / "last" / "config.json").read_text())
    assert meta["step"] == 4 and meta["train"]["optimizer"] == "sgd"


@pytest.mark.parametrize("flags, named", [
    (["--hidden-size", "16"], "--hidden-size"),
    (["--family", "gru"], "--family"),
    (["--task", "copy"], "--task"),
    (["-p", "T=30"], "task parameter T"),
    (["--budget", "500"], "--budget"),
])  # fmt: skip
def test_resume_refuses_to_change_the_model_or_task(
    adam_run: Path, capsys: pytest.CaptureFixture[str], flags: list[str], named: str
) -> None:
    before = (adam_run / "last" / "config.json").read_bytes()
    argv = ["train", "--resume", "--out-dir", str(adam_run), "--steps", "5", *flags]
    one_line_error(capsys, argv, "--resume cannot change", named)
    assert (adam_run / "last" / "config.json").read_bytes() == before


def test_resume_with_the_same_model_flags_is_fine(
    adam_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    run = tmp_path / "run"
    shutil.copytree(adam_run, run)
    code = main(["train", "--resume", "--out-dir", str(run), "--steps", "3", "--hidden-size", "4",
                 "--task", "adding", "-p", "T=22", "--progress", "false"])
    assert code == 0, capsys.readouterr().err


def test_evaluating_the_endless_train_split_during_training_ends(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rnnlab", "train", *TINY, "--steps", "2", "--eval-every", "1",
         "--eval-split", "train", "--out-dir", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "endless" in done.stderr


def test_a_csv_field_over_the_csv_limit_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    series = tmp_path / "series.csv"
    series.write_text("value\n" + "1" * 200_000 + "\n2\n")
    one_line_error(capsys, ["train", "--task", "forecast", "-p", f"series={series}", "--steps", "1",
                       "--progress", "false"], "CSV")


def test_ctrl_c_during_start_up_is_not_a_traceback() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "rnnlab", "train", "--steps", "1"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    time.sleep(0.6)  # python is up, torch is being imported
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert proc.returncode in (130, -signal.SIGINT)
