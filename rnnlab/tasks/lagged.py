"""Tasks with an adjustable lag: the distance a model must carry a cue can be set at will.

The memory-horizon probe (:mod:`rnnlab.inspect.memory_horizon`) and ``rnnlab compare`` ask
only this protocol, never a task's name: a task that has a lag says which parameter sets it
and what it counts, which lags are worth probing, how to rebuild itself at one lag, and
(optionally) which test passage shows the cue being carried in a gate trace.

    if has_adjustable_lag(task):
        for lag in task.lags_to_probe(windows=[5]):
            evaluate(model, task.at_lag(lag), "test")

Changing the lag must leave the task's :class:`~rnnlab.tasks.base.TaskSpec` as it is (same
vocabulary, same outputs), so that one model can be scored at every lag.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, TypeGuard

from rnnlab.tasks.base import Batch, Task


class AdjustableLag(Task):
    """A task whose lag is one integer parameter (mixed in beside the task's own base class).

    ``lag_name`` is that parameter (``"gap"``, ``"q"``); ``lag_unit`` what one unit of it is,
    as the report's sentences say it (``"words"``, ``"steps"``); ``lag_axis`` the label of
    the accuracy-vs-lag chart's x axis.
    """

    lag_name: ClassVar[str]
    lag_unit: ClassVar[str]
    lag_axis: ClassVar[str]

    @property
    def has_lag(self) -> bool:
        """Whether these parameters give the task a lag to vary (some variants have none)."""
        return True

    @property
    @abstractmethod
    def lag_range(self) -> tuple[int, int]:
        """The (shortest, longest) lag of this task's sequences, as trained."""

    @abstractmethod
    def lags_to_probe(self, windows: Sequence[int] = ()) -> list[int]:
        """The lags a memory horizon is measured at, sorted; ``windows`` are the windows of
        window MLPs being compared, whose edges are worth a closer look."""

    def at_lag(self, lag: int, **params: Any) -> Task:
        """The same task (same spec) with the lag fixed at ``lag``; ``params`` override
        others (``eval_size=200``)."""
        return type(self)(**{**self.params.to_dict(), self.lag_name: int(lag), **params})

    def probe_passage(self, size: int) -> Batch | None:
        """``size`` test sequences at one telling lag for a gate trace, with
        ``extra["cue"]`` (B,) the id of the token each answer depends on; None when the task
        has no passage of its own (the trace then shows an ordinary test sequence)."""
        return None


def has_adjustable_lag(task: Task) -> TypeGuard[AdjustableLag]:
    """Whether ``task`` has a lag that can be varied (its class has one and its variant too)."""
    return isinstance(task, AdjustableLag) and task.has_lag


__all__ = ["AdjustableLag", "has_adjustable_lag"]
