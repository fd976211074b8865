"""The check every bad-input test of the command line makes: exit code 2 and one clear line."""

from __future__ import annotations

import pytest

from rnnlab.cli import main


def assert_one_line_error(code: int, err: str, *words: str) -> str:
    """``code`` is 2 and ``err`` is one line, no traceback, naming every one of ``words``."""
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    return err


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str], *words: str) -> str:
    """Run ``rnnlab ARGV`` in-process and check that it fails with one line naming ``words``."""
    code = main(argv)
    return assert_one_line_error(code, capsys.readouterr().err, *words)
