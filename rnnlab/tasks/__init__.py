"""Tasks: what a model learns, how its outputs are scored. Tasks know nothing of models.

``TASKS`` maps each name to its class (``TASKS[name].description`` is one line, and
``TASKS[name].Params`` the dataclass of its parameters); ``make_task(name, **params)`` builds
one. ``task.params.to_dict()`` goes into checkpoints; ``make_task(name, **that_dict)`` rebuilds
the same task. Tasks whose lag can be varied (cue-word, lag 2c) implement
:class:`~rnnlab.tasks.lagged.AdjustableLag`; ``has_adjustable_lag(task)`` asks.
"""

from __future__ import annotations

from typing import Any

from rnnlab.errors import UserError
from rnnlab.tasks.adding import AddingTask
from rnnlab.tasks.arrays import ArrayTask
from rnnlab.tasks.base import Batch, Split, Task, TaskParams, TaskSpec
from rnnlab.tasks.copy_memory import CopyTask
from rnnlab.tasks.cue_word import CueWordTask
from rnnlab.tasks.dates import DatesTask
from rnnlab.tasks.forecast import ForecastTask
from rnnlab.tasks.lag import LagTask
from rnnlab.tasks.lagged import AdjustableLag, has_adjustable_lag
from rnnlab.tasks.moving_digits import MovingDigitsTask
from rnnlab.tasks.numbers import NumbersTask
from rnnlab.tasks.packaged import DigitsPixels, DigitsRows, JapaneseVowels
from rnnlab.tasks.parallel import ParallelTask
from rnnlab.tasks.reber import ReberTask
from rnnlab.tasks.spoken_digits import SpokenDigits
from rnnlab.tasks.temporal_order import TemporalOrderTask
from rnnlab.tasks.text import TextCodec, TextTask

TASKS: dict[str, type[Task]] = {
    cls.name: cls
    for cls in (
        CueWordTask,
        ReberTask,
        LagTask,
        AddingTask,
        TemporalOrderTask,
        CopyTask,
        TextTask,
        DigitsRows,
        DigitsPixels,
        JapaneseVowels,
        SpokenDigits,
        MovingDigitsTask,
        ForecastTask,
        ArrayTask,
        DatesTask,
        NumbersTask,
        ParallelTask,
    )
}


def make_task(name: str, **params: Any) -> Task:
    """Build the task ``name`` from its parameters; UserError for unknown names or values."""
    if name not in TASKS:
        raise UserError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}")
    return TASKS[name](**params)


def prompt_codec(name: str, params: dict[str, Any], spec: TaskSpec | None) -> Any:
    """What turns prompts of a token task into ids and back: ``.encode(text)``, ``.decode(ids)``.

    Built from what a checkpoint stores (task name, params and spec), so a text model can be
    prompted without its training file; generated tasks are rebuilt (cheap, no files).
    """
    if name == TextTask.name and spec is not None and spec.vocab is not None:
        return TextCodec(str(params.get("level", "char")), spec.vocab)
    if spec is not None and spec.seq2seq:
        raise UserError(f"task {name!r} is sequence to sequence: use `rnnlab translate`")
    task = make_task(name, **params)
    if not hasattr(task, "encode") or not task.spec.many_to_many:
        raise UserError(f"task {name!r} does not predict tokens; prompts need a language task")
    if spec is not None and spec != task.spec:
        raise UserError(f"task {name!r} has changed since the checkpoint was trained")
    return task


__all__ = [
    "TASKS",
    "AdjustableLag",
    "Batch",
    "Split",
    "Task",
    "TaskParams",
    "TaskSpec",
    "has_adjustable_lag",
    "make_task",
    "prompt_codec",
]
