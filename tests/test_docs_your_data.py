"""Every ```python block of docs/your-data.md runs, as written, in a fresh folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

DOC = Path(__file__).resolve().parents[1] / "docs" / "your-data.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text("utf-8"), flags=re.S)


def test_the_page_has_examples():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_example_runs(index, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    # the command-line example starts `python -m rnnlab`: the rnnlab of this source tree
    monkeypatch.setenv("PYTHONPATH", str(DOC.parents[1]))
    exec(compile(BLOCKS[index], f"{DOC.name}[{index}]", "exec"), {"__name__": "__doc__"})
