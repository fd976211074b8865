"""docs/forecasting.md runs: its code blocks, in order, in an empty folder.

```python blocks are run with this Python; ```bash blocks line by line (a trailing backslash
continues a line), ``rnnlab`` being this source tree's ``python -m rnnlab``.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "forecasting.md"
BLOCK = re.compile(r"^```(python|bash)\n(.*?)^```", re.S | re.M)

pytest.importorskip("statsmodels")
pytest.importorskip("pandas")


def blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(text)]


def commands(script: str) -> list[list[str]]:
    joined = re.sub(r"\\\n\s*", " ", script)
    return [shlex.split(line) for line in joined.splitlines() if line.strip()
            and not line.lstrip().startswith("#")]


@pytest.mark.slow  # about 30 s of CPU (training, ARIMA and ETS over the backtest)
def test_the_forecasting_page_runs(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    found = blocks(DOC.read_text("utf-8"))
    assert [kind for kind, _ in found].count("bash") >= 3
    for kind, code in found:
        if kind == "python":
            runs = [[sys.executable, "-c", code]]
        else:
            runs = []
            for argv in commands(code):
                assert argv[0] == "rnnlab", argv
                runs.append([sys.executable, "-m", "rnnlab", "--threads", "1", *argv[1:]])
        for argv in runs:
            done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True,
                                  timeout=600)
            assert done.returncode == 0, f"{argv}\n{done.stdout}\n{done.stderr}"
            if "evaluate" in argv:
                for row in ("network", "seasonal naive", "ARIMA", "ETS"):
                    assert row in done.stdout
    assert (tmp_path / "next-week.png").stat().st_size > 0
    assert "load_truth" in (tmp_path / "last-week.csv").read_text().splitlines()[0]
