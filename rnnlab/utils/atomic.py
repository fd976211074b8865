"""The one way rnnlab writes a file: never half-written, never through someone else's link.

:func:`atomic_write` writes into a temporary file that ``tempfile.mkstemp`` creates in the
target's own folder (a random name, opened with ``O_CREAT | O_EXCL``, so a file or symlink
planted there in advance is never written through), flushes and fsyncs it, renames it over the
target with ``os.replace`` and fsyncs the folder, so that the rename survives a power cut.

:func:`check_output` is the policy for files a user names with ``-o``: an existing file is
replaced only if rnnlab wrote it (its contents carry rnnlab's mark) or ``overwrite`` is given,
and something that is not a regular file (a folder, a FIFO, a device like /dev/null) is never
replaced at all.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from rnnlab.errors import UserError

# Bytes every file rnnlab writes for a user carries near its start or end (an HTML meta tag,
# the SVG/PDF creator, the PNG "Software" text chunk); how rnnlab knows a file is its own.
# The marks are whole tags, not the bare word: a user's script that imports rnnlab is not ours.
HTML_MARK = '<meta name="generator" content="rnnlab">'
MARKS = (
    HTML_MARK.encode(),  # reports and unit pages
    b"<dc:title>rnnlab</dc:title>",  # SVG, matplotlib's Creator metadata
    b"/Creator (rnnlab)",  # PDF
    b"tEXtSoftware\x00rnnlab",  # PNG text chunk
)
_PEEK = 16_384  # bytes read from each end of an existing file to look for the mark


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Make a rename in ``path`` durable (POSIX); Windows cannot open folders and needs none."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # some filesystems refuse fsync on folders
            os.fsync(fd)
    finally:
        os.close(fd)


def written_by_rnnlab(path: str | os.PathLike[str]) -> bool:
    """Whether the regular file at ``path`` carries rnnlab's mark (see :data:`MARKS`)."""
    try:
        with open(path, "rb") as f:
            head = f.read(_PEEK)
            size = os.fstat(f.fileno()).st_size
            f.seek(max(size - _PEEK, 0))
            tail = f.read(_PEEK)
    except OSError:
        return False
    return any(mark in head or mark in tail for mark in MARKS)


def check_output(path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Refuse an output path whose existing file rnnlab must not replace; return it as a Path.

    Nothing there, or a regular file rnnlab wrote: fine. A regular file rnnlab did not write:
    only with ``overwrite``. A folder, FIFO, socket or device: never.
    """
    text = os.fspath(path)
    if not text.strip():
        raise UserError("the output file name is empty")
    path = Path(text)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return path
    except OSError as e:
        raise UserError(f"cannot use {path} as output: {e.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise UserError(f"{path} is a symbolic link; rnnlab does not write through links "
                        "(name the real file)")
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise UserError(f"{path} is {kind}; rnnlab only replaces regular files")
    if not overwrite and not written_by_rnnlab(path):
        raise UserError(f"{path} exists and was not written by rnnlab; "
                        "pass --overwrite to replace it, or pick another file")
    return path


def atomic_write(
    path: str | os.PathLike[str],
    data: bytes | str | Callable[[IO[bytes]], None],
    *,
    mode: int = 0o644,
) -> Path:
    """Write ``data`` (bytes, text as UTF-8, or a function writing to a binary handle) to
    ``path`` atomically. On any failure the temporary file is removed and whatever was at
    ``path`` is untouched. Returns ``path``."""
    path = Path(path)
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            if callable(data):
                data(handle)
            else:
                handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode & ~_umask())  # mkstemp makes it private; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:  # Ctrl-C too: never leave the temporary file behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(folder)
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
