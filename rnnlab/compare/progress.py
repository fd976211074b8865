"""What a running comparison tells its user: :class:`Progress`."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """One line per phase on a stream (stderr), with the time since the start; on a terminal
    also a live status line while a model trains."""

    def __init__(self, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.live = enabled and self.stream.isatty()
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds since this progress began."""
        return time.perf_counter() - self.start

    def line(self, message: str) -> None:
        """A lasting line, stamped with the elapsed time."""
        if self.enabled:
            self.clear()
            print(f"[{self.elapsed():5.0f} s] {message}", file=self.stream, flush=True)

    def status(self, message: str) -> None:
        """The live status line (terminals only), overwritten by the next."""
        if self.live:
            self.stream.write(f"\r          {message[:110]}\x1b[K")
            self.stream.flush()

    def clear(self) -> None:
        """Remove the live status line."""
        if self.live:
            self.stream.write("\r\x1b[K")


__all__ = ["Progress"]
