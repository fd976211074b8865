"""Nothing of the user's is destroyed: run folders, -o outputs, temporary files, the run lock.

Each test reproduces a case of issue 10 that destroyed or overwrote a user's file.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from helpers_cli import assert_one_line_error
from test_train_helpers import SignTask, make_model

from rnnlab.cli import main
from rnnlab.errors import UserError
from rnnlab.train import TrainConfig, load_checkpoint, train
from rnnlab.train.run_dir import MARKER, RunLock
from rnnlab.utils.atomic import atomic_write, check_output, written_by_rnnlab
from rnnlab.viz.report import write_report


def quiet(**kwargs: object) -> TrainConfig:
    base: dict[str, object] = dict(device="cpu", progress=False, batch_size=8, eval_every=2,
                                   log_every=1, tensorboard=False, steps=2)
    base.update(kwargs)
    return TrainConfig(**base)  # type: ignore[arg-type]


# -- run folders ------------------------------------------------------------------------------


def test_a_fresh_run_keeps_the_users_files_in_tensorboard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "D" / "tensorboard" / "mine"
    mine.parent.mkdir(parents=True)
    mine.write_text("x\n")
    code = main(["train", "--task", "adding", "-p", "T=22", "--steps", "2", "--hidden-size", "4",
                 "--progress", "false", "--out-dir", str(tmp_path / "D")])
    assert code == 0, capsys.readouterr().err
    assert mine.read_text() == "x\n"
    assert (tmp_path / "D" / MARKER).is_file()


def test_a_folder_rnnlab_did_not_mark_is_not_a_run_even_with_overwrite(tmp_path: Path) -> None:
    mine = tmp_path / "best" / "thesis.tex"
    mine.parent.mkdir()
    mine.write_text("mine")
    task = SignTask()
    with pytest.raises(UserError, match="not a run folder rnnlab marked"):
        train(make_model(task), task, quiet(out_dir=str(tmp_path), overwrite=True))
    assert mine.read_text() == "mine"


def test_overwrite_of_a_marked_run_removes_only_rnnlab_files(tmp_path: Path) -> None:
    task = SignTask()
    train(make_model(task), task, quiet(out_dir=str(tmp_path)))
    notes = tmp_path / "best" / "notes.txt"
    notes.write_text("keep me")
    board = tmp_path / "tensorboard"
    board.mkdir()
    (board / "events.out.tfevents.1.host").write_bytes(b"old events")
    (board / "mine.txt").write_text("keep me too")
    result = train(make_model(task), task, quiet(out_dir=str(tmp_path), overwrite=True, steps=4))
    assert result.steps == 4 and load_checkpoint(tmp_path / "last").step == 4
    assert notes.read_text() == "keep me"
    assert (board / "mine.txt").read_text() == "keep me too"
    assert not (board / "events.out.tfevents.1.host").exists()


def test_a_second_training_on_one_folder_is_refused(tmp_path: Path) -> None:
    task = SignTask()
    with RunLock(tmp_path), pytest.raises(UserError, match="another training is writing"):
        train(make_model(task), task, quiet(out_dir=str(tmp_path)))
    assert not (tmp_path / "last").exists()
    train(make_model(task), task, quiet(out_dir=str(tmp_path)))  # the lock is released


def test_sigterm_saves_last_like_ctrl_c(tmp_path: Path) -> None:
    task = SignTask()

    def terminate(info: object) -> None:
        if getattr(info, "step", 0) == 3:
            os.kill(os.getpid(), signal.SIGTERM)

    def unhandled(signum: int, frame: object) -> None:
        raise RuntimeError("SIGTERM reached the default handler")  # instead of killing pytest

    before = signal.signal(signal.SIGTERM, unhandled)
    try:
        result = train(make_model(task), task, quiet(out_dir=str(tmp_path), steps=50),
                       callbacks=[terminate])
        assert signal.getsignal(signal.SIGTERM) is unhandled  # put back after training
    finally:
        signal.signal(signal.SIGTERM, before)
    assert result.interrupted and result.steps == 3
    assert load_checkpoint(tmp_path / "last").step == 3


# -- outputs named with -o --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["notes.py", "paper.tex", "figure.svg"])
def test_draw_refuses_to_overwrite_a_file_it_did_not_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    target = tmp_path / name
    target.write_text("precious")
    code = main(["draw", "--family", "rnn", "-o", str(target)])
    assert_one_line_error(code, capsys.readouterr().err)
    assert target.read_text() == "precious"
    if name.endswith(".svg"):
        assert main(["draw", "--family", "rnn", "-o", str(target), "--overwrite"]) == 0
        assert written_by_rnnlab(target)
        assert main(["draw", "--family", "rnn", "-o", str(target)]) == 0  # its own file


@pytest.mark.parametrize("suffix", ["svg", "png", "pdf"])
def test_draw_replaces_its_own_diagrams(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"d.{suffix}"
    assert main(["draw", "--family", "gru", "-o", str(target)]) == 0
    assert written_by_rnnlab(target)
    assert main(["draw", "--family", "lstm", "-o", str(target)]) == 0


def test_a_script_that_mentions_rnnlab_is_not_rnnlabs(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text("import rnnlab\nrnnlab.train  # made by rnnlab\n")
    assert not written_by_rnnlab(script)
    with pytest.raises(UserError, match="not written by rnnlab"):
        write_report(script, "<html></html>")
    assert "import rnnlab" in script.read_text()


def test_reports_replace_their_own_files_and_no_one_elses(tmp_path: Path) -> None:
    from rnnlab.utils.atomic import HTML_MARK

    target = tmp_path / "report.html"
    write_report(target, f"<html>{HTML_MARK}one</html>")
    write_report(target, f"<html>{HTML_MARK}two</html>")
    assert "two" in target.read_text()
    other = tmp_path / "index.html"
    other.write_text("<html>my homepage</html>")
    with pytest.raises(UserError, match="--overwrite"):
        write_report(other, "x")
    write_report(other, "new", overwrite=True)
    assert other.read_text() == "new"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_or_folder_is_never_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path):
        with pytest.raises(UserError, match="only replaces regular files"):
            write_report(path, "x", overwrite=True)
    assert fifo.exists() and not fifo.is_file()


def test_heatmap_refuses_a_device_and_an_empty_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for output, words in (("/dev/null", ("only replaces regular files",)),
                          ("", ("empty",))):
        code = main(["heatmap", str(tmp_path / "no-run"), "--text", "hi", "-o", output])
        assert_one_line_error(code, capsys.readouterr().err, *words)
    assert not Path("/dev/null").is_file()


def test_compare_refuses_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "results.tex"
    target.write_text("mine")
    code = main(["compare", "--steps", "1", "--models", "rnn", "-q", "-o", str(target)])
    assert_one_line_error(code, capsys.readouterr().err, "not written by rnnlab")
    assert target.read_text() == "mine"


# -- temporary files ---------------------------------------------------------------------------


def test_a_planted_symlink_at_the_old_temporary_name_is_not_written_through(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    target = tmp_path / "out.svg"
    # the names the old code used: .NAME.<pid>.tmp (draw), .NAME.tmp (metrics)
    for name in (f".{target.name}.{os.getpid()}.tmp", f".{target.name}.tmp"):
        (tmp_path / name).symlink_to(victim)
    assert main(["draw", "--family", "rnn", "-o", str(target)]) == 0
    assert victim.read_text() == "untouched"
    assert written_by_rnnlab(target)


def test_atomic_write_leaves_the_old_file_whole_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def fail(handle: object) -> None:
        handle.write(b"half")  # type: ignore[attr-defined]
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_atomic_write_uses_exclusive_random_names(tmp_path: Path, monkeypatch) -> None:
    import tempfile

    seen: list[str] = []
    real = tempfile.mkstemp

    def spy(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        fd, name = real(*args, **kwargs)  # type: ignore[arg-type]
        seen.append(name)
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    atomic_write(tmp_path / "a.txt", "1")
    atomic_write(tmp_path / "a.txt", "2")
    assert len(seen) == 2 and seen[0] != seen[1]
    assert all(Path(n).parent == tmp_path for n in seen)
    assert json.loads("[" + (tmp_path / "a.txt").read_text() + "]") == [2]


def test_check_output_refuses_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real.html").write_text("x")
    (tmp_path / "link.html").symlink_to(tmp_path / "real.html")
    with pytest.raises(UserError, match="symbolic link"):
        check_output(tmp_path / "link.html", overwrite=True)
