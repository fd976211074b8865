"""A one-line progress bar for training: step, loss, tokens per second, elapsed, ETA.

Silent unless enabled and writing to a terminal, so logs and CI output stay clean; messages
sent through :meth:`TrainProgress.print` then go to the ``rnnlab.train`` logger instead.
"""

from __future__ import annotations

import logging
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

logger = logging.getLogger("rnnlab.train")


class TrainProgress:
    """Context manager around a rich progress bar; a no-op when inactive.

    ``total``: the number of steps (None when only epochs or minutes bound the run: then the
    bar shows progress without an ETA). ``start``: the step a resumed run starts from.
    """

    def __init__(
        self,
        total: int | None,
        *,
        enabled: bool = True,
        start: int = 0,
        console: Console | None = None,
    ) -> None:
        console = console or Console(stderr=True)
        self.active = enabled and console.is_terminal
        self._progress: Progress | None = None
        self._task = None
        if self.active:
            self._progress = Progress(
                TextColumn("[bold]train"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]}"),
                TextColumn("{task.fields[speed]} tok/s"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console,
            )
            self._task = self._progress.add_task(
                "train", total=total, completed=start, loss="-", speed="-"
            )

    def update(self, step: int, *, loss: float, tokens_per_second: float) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(
                self._task, completed=step, loss=f"{loss:.4f}", speed=f"{tokens_per_second:,.0f}"
            )

    def print(self, message: str) -> None:
        """Show a message above the bar when it is active, else log it."""
        if self._progress is not None:
            self._progress.console.print(message)
        else:
            logger.info(message)

    def __enter__(self) -> TrainProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
