"""Metrics of a run, as JSON lines (one record per line) and, optionally, TensorBoard scalars.

Each record is ``{"step": ..., "split": "train" | "valid", <metrics>..., "time": seconds}``.
JSONL because it is appended to line by line, survives a crash up to the last line written,
and reads back with one ``json.loads`` per line (:func:`read_metrics`).
"""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path
from types import TracebackType
from typing import Any

from rnnlab.utils.atomic import atomic_write

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.jsonl"


class MetricsLog:
    """Appends metric records to ``out_dir/metrics.jsonl`` (and TensorBoard, if installed).

    With ``out_dir=None`` nothing is written. ``resume_step``: the step of the checkpoint a run
    resumes from; records after it (written before a crash, but not in the checkpoint) are
    dropped, so that the file again matches the run exactly. Without it the file starts afresh.
    """

    def __init__(
        self,
        out_dir: str | os.PathLike[str] | None,
        *,
        tensorboard: bool = True,
        resume_step: int | None = None,
    ) -> None:
        self.path = Path(out_dir) / METRICS_FILE if out_dir else None
        self._file = None
        self._writer = None
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume_step is not None and self.path.exists():
            kept = [r for r in read_metrics(self.path) if r.get("step", 0) <= resume_step]
            atomic_write(self.path, "".join(_dumps(r) + "\n" for r in kept))
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())
        else:
            self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
        if tensorboard:
            self._writer = _summary_writer(self.path.parent / "tensorboard")

    def write(self, record: dict[str, Any]) -> None:
        """Append one record (flushed at once, so a crash loses at most this line)."""
        if self._file is not None:
            self._file.write(_dumps(record) + "\n")
            self._file.flush()
        if self._writer is not None:
            step, split = int(record.get("step", 0)), str(record.get("split", ""))
            for key, value in record.items():
                if key not in ("step", "split", "time") and isinstance(value, int | float):
                    self._writer.add_scalar(f"{split}/{key}", value, step)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> MetricsLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_metrics(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The records of a metrics.jsonl file (or of a run directory holding one).

    A last line cut short by a crash is skipped; any other unreadable line is an error.
    """
    path = Path(path)
    if path.is_dir():
        path = path / METRICS_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    records = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if i == len(lines) - 1:
                break  # the line being written when the process died
            raise
    return records


def _dumps(record: dict[str, Any]) -> str:
    # NaN/inf are not JSON; write null so that every JSON reader can parse the file.
    clean = {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in record.items()
    }
    return json.dumps(clean)


def _summary_writer(log_dir: Path) -> Any:
    """A TensorBoard SummaryWriter, or None when tensorboard is not installed."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except Exception:  # ImportError, or a broken tensorboard install
        logger.debug("tensorboard not importable; metrics go to %s only", METRICS_FILE)
        return None
    return SummaryWriter(log_dir=str(log_dir))
