"""What an estimator's ``X`` may be besides arrays: a pandas long-format DataFrame, a torch Dataset.

Both are turned into what the ``arrays`` task takes — a list of (T_i, F) sequences and their
targets — before anything is fitted, so every check and message of
:mod:`rnnlab.tasks.array_data` applies to them too.

- **A long DataFrame** (one row per time step): the estimator's ``id_column`` names the column
  of each row's sequence and ``time_column`` (optional) the column that orders its rows, as
  ``-p id=`` and ``-p time=`` do for a file (:mod:`rnnlab.tasks.table_data`); every other
  column is a feature (and must hold numbers). A DataFrame whose index has two levels — sktime's
  "pd-multiindex" panel, (instance, time) — is long without naming anything. Sequences are
  taken in the order their ids first appear; ``y`` is one target per sequence in that order,
  or a pandas Series indexed by the ids (any order: it is aligned), or with ``per_step`` one
  per row of X (aligned by X's index when a Series). Any other DataFrame is a 2-D table
  (N sequences, T columns of steps), as scikit-learn has it.
- **A torch Dataset** (map-style, with ``len``, or iterable) of ``(x, y)`` items: ``x`` (T, F)
  or (T,) numbers, or a 1-D tensor of integer token ids (then the model embeds them), ``y``
  the item's target. ``fit(dataset)`` takes y from the items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnlab.errors import UserError
from rnnlab.tasks.array_data import to_numpy
from rnnlab.tasks.table_data import Layout, table_sequences

MULTIINDEX_NAMES = ("instance", "timepoint")  # for the unnamed levels of a 2-level index


@dataclass
class Inputs:
    """X as the arrays task takes it, its targets (None when there are none), the ids of a long
    DataFrame's sequences, its feature columns, and whether the steps are token ids."""

    X: Any
    y: Any
    ids: np.ndarray | None = None
    columns: tuple[str, ...] = ()
    tokens: bool = False
    sequences: bool = False  # X was made here (a DataFrame or Dataset): a list, never a table


def is_long_frame(X: Any, id_column: str | None) -> bool:
    """A DataFrame in long format: an ``id_column`` is named, or the index has two levels."""
    if not (hasattr(X, "columns") and hasattr(X, "index") and hasattr(X, "iloc")):
        return False
    return bool(id_column) or getattr(X.index, "nlevels", 1) == 2


def is_dataset(X: Any) -> bool:
    try:
        from torch.utils.data import Dataset, IterableDataset
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return isinstance(X, Dataset | IterableDataset)


def convert(X: Any, y: Any, *, id_column: str | None, time_column: str | None,
            per_step: bool, columns: tuple[str, ...] = (), need_y: bool = True) -> Inputs:
    """``X`` and ``y`` as arrays (unchanged when they are arrays already); ``columns`` are the
    feature columns a long DataFrame must have (those it was fitted on; () = all but id and
    time). Arrays pass unchanged whatever the columns say: those describe DataFrames."""
    if is_dataset(X):
        if y is not None:
            raise UserError("X is a torch Dataset of (x, y) items: it holds its targets, so "
                            "leave y out (fit(dataset))")
        return _from_dataset(X, need_y)
    if time_column and hasattr(X, "columns") and not is_long_frame(X, id_column):
        raise UserError("time_column needs X as a long DataFrame: name its sequence column "
                        "with id_column")
    if is_long_frame(X, id_column):
        return _from_frame(X, y, id_column, time_column, per_step, columns, need_y)
    return Inputs(X, y)


def _from_frame(X: Any, y: Any, id_column: str | None, time_column: str | None,
                per_step: bool, columns: tuple[str, ...], need_y: bool) -> Inputs:
    frame = X
    if frame.index.nlevels == 2 and not id_column:
        names = [str(n) if n is not None else d for n, d in zip(frame.index.names,
                                                                MULTIINDEX_NAMES, strict=True)]
        clash = sorted(set(names) & {str(c) for c in frame.columns})
        if clash:
            raise UserError(f"X's index level {clash[0]!r} is also a column: rename one")
        frame = frame.reset_index(names=names)
        id_column, time_column = names
    frame = frame.reset_index(drop=True)  # rows are named by position from here on
    frame.columns = [str(c) for c in frame.columns]
    special = {id_column, time_column} - {None, ""}
    inputs = columns or tuple(c for c in frame.columns if c not in special)
    table = table_sequences(frame, Layout(id=str(id_column), time=time_column or "",
                                          inputs=",".join(inputs)), "X", need_y=False)
    ids = np.asarray(table.ids)
    if y is None:
        if need_y:
            to_numpy(y, "y")  # scikit-learn's message for a missing y
        return Inputs(table.X, None, ids, table.inputs, sequences=True)
    targets = _per_row(X, y, frame, id_column, time_column) if per_step else _per_sequence(y, ids)
    return Inputs(table.X, targets, ids, table.inputs, sequences=True)


def _per_sequence(y: Any, ids: np.ndarray) -> Any:
    """One target per sequence, in the order of ``ids``: a Series indexed by the ids is
    aligned; anything else is taken as it is (and checked by the arrays task)."""
    if hasattr(y, "index") and hasattr(y, "reindex") and not hasattr(y, "columns"):
        index = set(y.index.tolist())
        missing = [i for i in ids.tolist() if i not in index]
        if missing:
            raise UserError(f"y is a Series, aligned with X's sequences by its index, but it "
                            f"has no target for {len(missing)} sequence id(s) of X, e.g. "
                            f"{missing[0]!r} (y.to_numpy(): one target per sequence, in the "
                            "order the ids first appear)")
        if not y.index.is_unique:
            raise UserError("y is a Series indexed by sequence id, and an id appears twice in "
                            "its index")
        return y.reindex(ids).to_numpy()
    return y


def _per_row(X: Any, y: Any, frame: Any, id_column: Any, time_column: Any) -> list[Any]:
    """Per-step targets: one per row of X (a Series aligned by X's index), grouped as the
    sequences are (in their time order)."""
    if hasattr(y, "index") and hasattr(y, "reindex") and not hasattr(y, "columns"):
        if len(y) != len(X) or not y.index.equals(X.index):
            y = y.reindex(X.index)
        values = y.to_numpy()
    else:
        values = np.asarray(to_numpy(y, "y"))
    if len(values) != len(frame):
        raise UserError(f"y has {len(values)} targets, but with per_step a long X needs one per "
                        f"row: {len(frame)}")
    marked = frame.assign(__target__=np.arange(len(frame)))
    order = table_sequences(marked, Layout(id=str(id_column), time=time_column or "",
                                           inputs="__target__"), "X", need_y=False)
    return [values[x[:, 0].astype(np.int64)] for x in order.X]


def _from_dataset(dataset: Any, need_y: bool) -> Inputs:
    items = _items(dataset)
    if not items:
        raise UserError("X is an empty torch Dataset (no items)")
    xs, ys = [], []
    for i, item in enumerate(items):
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise UserError(f"X is a torch Dataset whose item {i} is not an (x, y) pair "
                            f"(got {type(item).__name__}"
                            f"{f' of {len(item)}' if isinstance(item, tuple | list) else ''})")
        xs.append(np.asarray(to_numpy(item[0], f"X[{i}]")))
        ys.append(to_numpy(item[1], f"y[{i}]"))
    tokens = xs[0].ndim == 1 and xs[0].dtype.kind in "iu"
    for i, x in enumerate(xs):
        if (x.ndim == 1 and x.dtype.kind in "iu") != tokens:
            raise UserError(f"X is a torch Dataset whose item 0 is "
                            f"{'token ids' if tokens else 'features'} but item {i} is not "
                            "(x of shape (T,) integers: token ids; else (T, F) or (T,) numbers)")
    ys = [np.asarray(v).item() if np.ndim(v) == 0 else np.asarray(v) for v in ys]
    if any(np.ndim(v) for v in ys) and len({np.shape(v) for v in ys}) > 1:
        return Inputs(xs, ys if need_y else None, tokens=tokens, sequences=True)
    return Inputs(xs, np.asarray(ys) if need_y else None, tokens=tokens, sequences=True)


def _items(dataset: Any) -> list[Any]:
    """Every item of a map-style (``len`` and ``[i]``) or iterable dataset."""
    try:
        n = len(dataset)
    except TypeError:  # an IterableDataset has no len: it is read once, in its order
        return list(iter(dataset))
    return [dataset[i] for i in range(n)]
