"""The run folder: what rnnlab may delete in it, and who may write to it.

A run folder (``--out-dir``) is marked as rnnlab's by a small file, :data:`MARKER`, written when
a run starts. Only a marked folder counts as a run; ``--overwrite`` then deletes exactly the
entries rnnlab writes there (``last/``, ``best/``, ``metrics.jsonl``, ``run.toml``, TensorBoard
event files, the marker itself) and, inside ``last/`` and ``best/``, only the files a checkpoint
holds. Anything else — a user's notes in ``tensorboard/``, a folder named ``best/`` in a
folder rnnlab never marked, a ``run.toml`` in a folder rnnlab never marked — stays where it is.

:class:`RunLock` makes sure only one training writes to a run folder at a time: an advisory
``flock`` on :data:`LOCK_FILE`, released by the kernel when the process ends, however it ends.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from types import TracebackType

from rnnlab.errors import UserError
from rnnlab.train.checkpoint import CONFIG_FILE, recover, remove_checkpoint
from rnnlab.train.metrics_log import METRICS_FILE
from rnnlab.train.run_file import RUN_FILE
from rnnlab.utils.atomic import atomic_write

MARKER = ".rnnlab-run"  # JSON: {"format": "rnnlab-run", "version": 1}
LOCK_FILE = ".rnnlab-lock"
RUN_FORMAT = "rnnlab-run"
TENSORBOARD = "tensorboard"
_EVENTS_PREFIX = "events.out.tfevents."  # the only files TensorBoard's writer creates


def is_marked_run(out_dir: Path) -> bool:
    """Whether ``out_dir`` carries rnnlab's run marker."""
    try:
        data = json.loads((out_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(data, dict) and data.get("format") == RUN_FORMAT


def prepare_out_dir(out_dir: Path, *, resume: bool, overwrite: bool) -> None:
    """Check the run folder is usable for a fresh or a resumed run, make it, and mark it.

    Call it while holding the folder's :class:`RunLock`.
    """
    marked = is_marked_run(out_dir)
    if marked or resume:
        for name in ("last", "best"):
            recover(out_dir / name)  # finish or undo a save a crash cut short
    if resume:
        if not (out_dir / "last" / CONFIG_FILE).is_file():
            raise UserError(f"nothing to resume in {out_dir}: it has no last/ checkpoint")
        return
    taken = [n for n in ("last", "best", METRICS_FILE) if (out_dir / n).exists()]
    # A run.toml alone is no run to keep, but in a folder rnnlab never marked it is the user's.
    rnnlab_names = [*taken, *([RUN_FILE] if (out_dir / RUN_FILE).exists() else [])]
    if rnnlab_names and not marked:
        raise UserError(
            f"{out_dir} holds {', '.join(rnnlab_names)} but is not a run folder rnnlab marked "
            f"(no {MARKER}); rnnlab will not delete what it did not write: pick another out_dir"
        )
    if taken and not overwrite:
        raise UserError(
            f"{out_dir} already holds a run ({', '.join(taken)}); "
            "resume it, or allow overwriting it, or pick another out_dir"
        )
    if marked:
        clear_run(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(out_dir / MARKER, json.dumps({"format": RUN_FORMAT, "version": 1}) + "\n")


def clear_run(out_dir: Path) -> None:
    """Delete what rnnlab wrote in the marked run folder ``out_dir``, and nothing else."""
    for name in ("last", "best"):
        remove_checkpoint(out_dir / name)
    (out_dir / METRICS_FILE).unlink(missing_ok=True)
    (out_dir / RUN_FILE).unlink(missing_ok=True)
    board = out_dir / TENSORBOARD
    if board.is_dir() and not board.is_symlink():
        for entry in board.iterdir():
            if entry.name.startswith(_EVENTS_PREFIX) and entry.is_file():
                entry.unlink()
        _rmdir_if_empty(board)


def _rmdir_if_empty(path: Path) -> None:
    with contextlib.suppress(OSError):  # not empty (the user's files are in it) or gone
        path.rmdir()


class RunLock:
    """An exclusive lock on a run folder for as long as a training writes to it.

    A second ``rnnlab train`` on the same folder gets a one-line :class:`UserError` instead of
    two runs overwriting each other's checkpoints. Where ``fcntl`` does not exist (Windows)
    the lock is a no-op.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; run as before
            return self
        self.out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.out_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise UserError(
                f"another training is writing to {self.out_dir} (it holds "
                f"{self.out_dir / LOCK_FILE}); wait for it to finish or pick another out_dir"
            ) from None
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the flock
            self._fd = None
