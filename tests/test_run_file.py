"""run.toml: the TOML writer, the run file's checks, and `rnnlab train --config` rerunning a run."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest
from helpers_cli import one_line_error

from rnnlab.cli import main
from rnnlab.errors import UserError
from rnnlab.train import read_metrics
from rnnlab.train.run_file import RUN_FILE, read_run_file
from rnnlab.train.toml_writer import dumps

TINY = ["--task", "cue-word", "-p", "gap=2:4", "-p", "eval_size=16", "--family", "lstm",
        "--hidden-size", "6", "--steps", "4", "--eval-every", "2", "--batch-size", "4",
        "--log-every", "1", "--progress", "false", "--tensorboard", "false"]


def test_the_writer_round_trips_what_a_config_holds() -> None:
    data = {
        "top": 1,
        "a": {"s": 'quote " back \\ tab \t nl \n del \x7f bell \x07 ünï ☺', "t": True,
              "f": False, "i": -3, "big": 2**62, "x": 0.1, "tiny": 1e-300, "huge": 1.5e300,
              "lr": 1e-3, "whole": 2.0, "ints": [1, 2, 3], "empty": [], "words": ["a", "b"]},
        "b": {"c": {"deep": "yes"}, "n": 0},
        "empty": {},
        "odd key": {"also odd": 1},
    }
    text = dumps(data)
    assert tomllib.loads(text) == data
    assert tomllib.loads(dumps({"t": (2, 30)})) == {"t": [2, 30]}  # tuples come back as lists
    assert tomllib.loads(dumps({"none": None, "k": 1})) == {"k": 1}  # TOML has no null
    assert math.isinf(tomllib.loads(dumps({"inf": math.inf}))["inf"])


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runfile") / "first"
    assert main(["train", *TINY, "--seed", "3", "--peephole", "--out-dir", str(out)]) == 0
    return out


def _tables(run_dir: Path) -> dict:
    return tomllib.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))


def test_every_run_writes_its_complete_config(first_run: Path) -> None:
    tables = _tables(first_run)
    assert set(tables) == {"task", "model", "train"}
    assert tables["task"] == {"name": "cue-word",
                              "params": {"gap": [2, 4], "n_answers": 4, "eval_size": 16}}
    assert tables["model"]["peephole"] is True and tables["model"]["hidden_size"] == 6
    assert tables["train"]["seed"] == 3 and tables["train"]["out_dir"] == str(first_run)


def test_a_rerun_never_deletes_the_run_it_came_from(
    first_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "twice"
    assert main(["train", *TINY, "--overwrite", "--out-dir", str(out)]) == 0
    assert _tables(out)["train"]["overwrite"] is False  # it was a one-off permission
    one_line_error(capsys, ["train", "--config", str(out / RUN_FILE)], "already holds a run")
    assert (out / "last").is_dir()


def test_a_rerun_from_run_toml_is_the_same_run(first_run: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert main(["train", "--config", str(first_run / RUN_FILE), "--out-dir", str(again)]) == 0
    first, second = _tables(first_run), _tables(again)
    assert second["train"].pop("out_dir") == str(again)
    first["train"].pop("out_dir")
    assert first == second

    def losses(run_dir: Path) -> list[float]:
        return [r["loss"] for r in read_metrics(run_dir) if r["split"] == "train"]

    assert losses(first_run) == losses(again) and len(losses(again)) == 4


def test_flags_override_the_file(first_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "changed"
    assert main(["train", "--config", str(first_run / RUN_FILE), "--out-dir", str(out),
                 "--no-peephole", "--steps", "2", "-p", "gap=3"]) == 0
    tables = _tables(out)
    assert tables["model"]["peephole"] is False and tables["train"]["steps"] == 2
    assert tables["task"]["params"]["gap"] == 3 and tables["task"]["params"]["eval_size"] == 16


def test_a_hand_written_file_needs_only_what_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[task]\nname = "adding"\n[model]\nfamily = "gru"\nhidden_size = 4\n'
                    '[train]\nminutes = 0.001\nprogress = false\ntensorboard = false\n',
                    encoding="utf-8")
    out = tmp_path / "run"
    assert main(["train", "--config", str(path), "--out-dir", str(out)]) == 0
    tables = _tables(out)
    assert tables["task"]["name"] == "adding" and tables["model"]["family"] == "gru"
    # a time limit alone replaces the default step limit, from a file as from the flags
    assert tables["train"]["steps"] == 0


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[model]\nhiden_size = 4\n", ("hiden_size", "[model]")),
        ("[model]\nhidden_size = \"64\"\n", ("hidden_size", "whole number")),
        ("[model]\npeephole = 1\n", ("peephole", "true or false")),
        ("[model]\ndense_before = [4, \"a\"]\n", ("dense_before", "list of whole numbers")),
        ("[train]\nsteps = 1.5\n", ("steps",)),
        ("[train]\nlr = \"fast\"\n", ("lr", "a number")),
        ("[optim]\nlr = 1\n", ("optim",)),
        ("model = 3\n", ("model", "table")),
        ("[task]\nname = 7\n", ("name", "text")),
        ("[task]\nseed = 7\n", ("seed", "[task]")),
        ("[task]\nparams = 7\n", ("task.params", "table")),
        ("[model\nfamily = 'lstm'\n", ("not valid TOML",)),
        ("[model]\nfamily = 'lstm'\nfamily = 'gru'\n", ("not valid TOML",)),
    ],
)
def test_bad_files_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, words: tuple[str, ...]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError):
        read_run_file(path)
    one_line_error(capsys, ["train", "--config", str(path), "--steps", "1"], str(path), *words)


def test_missing_binary_and_foreign_files(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    one_line_error(capsys, ["train", "--config", str(tmp_path / "nope.toml")], "not found")
    one_line_error(capsys, ["train", "--config", str(tmp_path)], "not a file")
    binary = tmp_path / "weights.toml"
    binary.write_bytes(b"\x00\x01\x02PK\x03\x04" * 10)
    one_line_error(capsys, ["train", "--config", str(binary)], "binary")
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"[train]\nout_dir = '\xe9'\n")
    one_line_error(capsys, ["train", "--config", str(latin)], "UTF-8")
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * (2 << 20) + b"\n")
    one_line_error(capsys, ["train", "--config", str(big)], "MB")
    bad_value = tmp_path / "bad_value.toml"
    bad_value.write_text("[model]\nhidden_size = 0\n", encoding="utf-8")
    one_line_error(capsys, ["train", "--config", str(bad_value)], "hidden_size")
    bad_param = tmp_path / "bad_param.toml"
    bad_param.write_text("[task.params]\ngap = 'far'\n", encoding="utf-8")
    one_line_error(capsys, ["train", "--config", str(bad_param)], "gap")


def test_a_run_toml_rnnlab_did_not_write_is_never_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / RUN_FILE
    mine.write_text("[model]\nhidden_size = 4\n", encoding="utf-8")
    one_line_error(capsys, ["train", "--config", str(mine), *TINY, "--out-dir", str(tmp_path)],
                   RUN_FILE, "pick another")
    assert mine.read_text(encoding="utf-8") == "[model]\nhidden_size = 4\n"
