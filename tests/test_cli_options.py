"""Options generated from the config dataclasses: every field has one, booleans are flags that
still take a value, and `rnnlab --version`."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from helpers_cli import one_line_error

from rnnlab.cli import COMPARE_OPTIONS_ELSEWHERE, build_parser, compare_config, main
from rnnlab.cli_options import dataclass_from_args
from rnnlab.compare import CompareConfig
from rnnlab.models.config import ModelConfig
from rnnlab.train.config import TrainConfig


def _subparser(name: str) -> object:
    return build_parser()._subparsers._group_actions[0].choices[name]  # type: ignore[union-attr]


def _dests(name: str) -> set[str]:
    parser = _subparser(name)
    parser.format_help()  # compare adds its options on first use
    return {a.dest for a in parser._actions}  # type: ignore[attr-defined]


def test_every_compare_config_field_has_an_option() -> None:
    dests = _dests("compare")
    for f in dataclasses.fields(CompareConfig):
        assert f.name in dests or f.name in COMPARE_OPTIONS_ELSEWHERE, f.name
    assert set(COMPARE_OPTIONS_ELSEWHERE) <= {f.name for f in dataclasses.fields(CompareConfig)}


def test_every_train_and_model_field_has_an_option() -> None:
    dests = _dests("train")
    for cls in (ModelConfig, TrainConfig):
        assert {f.name for f in dataclasses.fields(cls)} <= dests, cls.__name__


def _compare_config(*argv: str) -> CompareConfig:
    return compare_config(build_parser().parse_args(["compare", *argv]))


def test_compare_options_build_the_config() -> None:
    assert _compare_config() == CompareConfig()
    config = _compare_config("--models", "lstm,gru:reset-before", "-o", "x.html", "--overwrite",
                             "-p", "gap=5", "--eval-every", "20")
    assert config.models == ("lstm", "gru:reset-before") and config.output == "x.html"
    assert config.overwrite is True and config.task_params == {"gap": "5"}
    assert config.eval_every == 20
    # one limit given: only that limit
    assert (_compare_config("--steps", "5").minutes, _compare_config("--minutes", "1").steps) == (
        0.0, 0)
    # the command a report prints to repeat itself still parses
    from rnnlab.compare import command_line

    argv = command_line(CompareConfig(task_params={"gap": (2, 9)})).split()[1:]
    assert build_parser().parse_args(argv).command == "compare"


def test_other_commands_do_not_load_the_report_code() -> None:
    code = ("import sys; from rnnlab.cli import build_parser; "
            "build_parser().parse_args(['train', '--peephole']); "
            "assert 'matplotlib' not in sys.modules and 'rnnlab.compare' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize(
    ("argv", "value"),
    [
        ([], None),
        (["--peephole"], True),
        (["--no-peephole"], False),
        (["--peephole", "true"], True),
        (["--peephole", "false"], False),
        (["--peephole=no"], False),
        (["--peephole", "1", "--hidden-size", "8"], True),
        (["--peephole", "--no-peephole"], False),  # the last one given wins
    ],
)
def test_booleans_are_flags_and_take_values(argv: list[str], value: bool | None) -> None:
    args = build_parser().parse_args(["train", *argv])
    assert args.peephole is value
    if value is not None:
        assert dataclass_from_args(ModelConfig, args).peephole is value


def test_every_boolean_field_is_a_flag() -> None:
    help_text = _subparser("train").format_help()  # type: ignore[attr-defined]
    for cls in (ModelConfig, TrainConfig):
        for f in dataclasses.fields(cls):
            if f.type in (bool, "bool"):
                flag = f.name.replace("_", "-")
                assert f"--{flag} [BOOL], --no-{flag}" in help_text, flag
    args = build_parser().parse_args(["train", "--no-progress", "--overwrite"])
    assert (args.progress, args.overwrite) == (False, True)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["train", "--peephole", "maybe"], ("--peephole", "maybe")),
        (["train", "--no-peephole", "true"], ("--no-peephole", "no value")),
    ],
)
def test_bad_boolean_values_are_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], words: tuple[str, ...]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and all(w in err for w in words), err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"rnnlab {version('rnnlab')}"


def test_resume_with_config_is_refused(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    one_line_error(capsys, ["train", "--resume", "--out-dir", str(tmp_path), "--config", "x"],
                   "--config")
