"""Tables a user brings — CSV and Parquet files, pandas DataFrames — as sequences and targets.

Two layouts, as pandas users keep sequence data:

- **long** (``id`` given): one row per time step. ``id`` is the column naming each row's
  sequence; ``time`` (optional) the column that orders a sequence's rows — numbers, or dates
  pandas parses — else the rows keep their order in the table; ``target`` the label or target
  column(s); ``inputs`` the feature columns (default: every other numeric column). With
  ``per_step`` every row's target is a target of its step; without it the target must be the
  same on every row of a sequence (one label per sequence).
- **wide** (no ``id``): one row per sequence, its steps in the ``inputs`` columns (default:
  every numeric column besides the targets), in column order, one feature each — the layout of
  the UCR archive. Empty cells at the end of a row end a shorter sequence.

Sequences come in the order their ids first appear (long) or in row order (wide); predictions
are returned, and written, in that order, with the ids. Every problem is a one-line
:class:`~rnnlab.errors.UserError` naming the file or table, the column and the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnnlab.errors import UserError
from rnnlab.tasks.forecast_data import split_names

TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


@dataclass(frozen=True)
class Layout:
    """Which columns of a table are what (see the module docstring); names as the ``arrays``
    task's parameters, comma-separated lists for ``target`` and ``inputs``."""

    id: str = ""
    time: str = ""
    target: str = ""
    inputs: str = ""
    per_step: bool = False


@dataclass
class Table:
    """A table's sequences: ``X`` a list of (T_i, F) arrays, ``y`` the targets (one per sequence,
    or per step a list of (T_i[, K]) arrays; None when the table has no target column), ``ids``
    one per sequence (long layout) or None, ``inputs`` the feature columns used, in order."""

    X: list[np.ndarray]
    y: Any
    ids: np.ndarray | None
    inputs: tuple[str, ...]
    targets: tuple[str, ...]


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise UserError("reading tables needs pandas: pip install pandas (or "
                        "'rnnlab[data]')") from None
    return pandas


def is_table_file(path: str) -> bool:
    return Path(path).suffix.lower() in TABLE_SUFFIXES


def read_table(path: str) -> Any:
    """A CSV or Parquet file as a pandas DataFrame; a one-line UserError when it cannot be."""
    pd = _pandas()
    file = Path(path)
    if file.suffix.lower() == ".csv":
        try:
            # round_trip: the numbers as written, not the fast parser's last-digit guesses
            frame = pd.read_csv(file, encoding="utf-8-sig", skipinitialspace=True,
                                float_precision="round_trip")
        except pd.errors.EmptyDataError:
            raise UserError(f"data file {path} is empty (a table needs a header row and "
                            "values)") from None
        except UnicodeDecodeError as e:
            raise UserError(f"data file {path} is not UTF-8 text (bad byte at offset "
                            f"{e.start})") from None
        except (pd.errors.ParserError, ValueError) as e:
            raise UserError(f"data file {path} cannot be read as CSV "
                            f"({_first_line(e)})") from None
        frame.columns = [str(c).strip() for c in frame.columns]
    else:
        try:
            frame = pd.read_parquet(file)
        except ImportError as e:  # pandas has no Parquet engine: it names the packages
            raise UserError(f"reading the Parquet file {path} needs pyarrow: pip install "
                            f"pyarrow (or 'rnnlab[data]'); pandas says: {_first_line(e)}"
                            ) from None
        except (OSError, ValueError, TypeError) as e:  # pyarrow's errors subclass these
            raise UserError(f"data file {path} cannot be read as Parquet "
                            f"({_first_line(e)})") from None
        frame.columns = [str(c) for c in frame.columns]
    if frame.shape[0] == 0:
        raise UserError(f"data file {path} has a header but no rows")
    return frame


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def table_sequences(frame: Any, layout: Layout, where: str, *, need_y: bool = True) -> Table:
    """The sequences and targets of a DataFrame laid out as ``layout`` says; ``where`` names the
    table in messages (a file's path, or "X"). Without ``need_y`` a missing target column is
    allowed (new inputs to predict for)."""
    columns = [str(c) for c in frame.columns]
    if len(set(columns)) != len(columns):
        raise UserError(f"{where} has two columns of the same name: {', '.join(columns)}")
    if not layout.id and (layout.time or layout.per_step):
        raise UserError(f"{where}: {'time' if layout.time else 'per_step'} needs the long "
                        "layout, one row per step: name its sequence column with id=COLUMN")
    targets = split_names(layout.target)
    _check_named(where, columns, [layout.id, layout.time, *split_names(layout.inputs)])
    if need_y:
        if not targets:
            raise UserError(f"{where}: name the label or target column(s) with target=COLUMN "
                            f"(columns: {_listed(columns)})")
        _check_named(where, columns, targets)
    has_y = bool(targets) and all(t in columns for t in targets)
    special = {layout.id, layout.time, *targets} - {""}
    inputs = _input_columns(frame, where, layout, special)
    if layout.id:
        return _long(frame, where, layout, inputs, targets if has_y else [])
    return _wide(frame, where, inputs, targets if has_y else [])


def _check_named(where: str, columns: list[str], names: list[str]) -> None:
    for name in names:
        if name and name not in columns:
            raise UserError(f"{where} has no column {name!r}; columns: {_listed(columns)}")


def _listed(columns: list[str]) -> str:
    return ", ".join(columns[:20]) + (f", ... ({len(columns)} in all)" if len(columns) > 20
                                      else "")


def _input_columns(frame: Any, where: str, layout: Layout, special: set[str]) -> list[str]:
    pd = _pandas()
    named = split_names(layout.inputs)
    twice = sorted(set(named) & special)
    if twice:
        raise UserError(f"{where}: column {twice[0]!r} is named twice (as an input and as the "
                        "id, time or target)")
    if named:
        for name in named:
            if not _numeric_column(pd, frame[name]):
                raise UserError(f"{where}: input column {name!r} holds non-numbers (dtype "
                                f"{frame[name].dtype}); give numeric feature columns")
        return named
    chosen = [str(c) for c in frame.columns
              if str(c) not in special and _numeric_column(pd, frame[c])]
    if not chosen:
        raise UserError(f"{where} has no numeric input column besides the id, time and target "
                        f"columns (columns: {_listed([str(c) for c in frame.columns])})")
    return chosen


def _numeric_column(pd: Any, column: Any) -> bool:
    return bool(pd.api.types.is_numeric_dtype(column)) and not (
        pd.api.types.is_complex_dtype(column))


def _row_name(frame: Any, row: int, where: str) -> str:
    """How a row is named in a message: a CSV's line number, else the DataFrame's index."""
    if where.lower().endswith(".csv"):
        return f"line {row + 2}"  # the header is line 1
    return f"row {frame.index[row]!r}"


def _values(frame: Any, names: list[str], where: str) -> np.ndarray:
    """The columns ``names`` as float64 (rows, len(names)); missing or infinite cells refused."""
    values = frame[names].to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise UserError(f"{where}: missing or non-finite value in column {names[col]!r}, "
                        f"{_row_name(frame, row, where)}; fill or drop it first")
    return values


def _labels(frame: Any, names: list[str], where: str) -> np.ndarray:
    """The target column(s) as one numpy array (rows,) or (rows, K), missing cells refused; text
    becomes fixed-width text (never objects), numbers keep their type."""
    pd = _pandas()
    for name in names:
        missing = np.flatnonzero(frame[name].isna().to_numpy())
        if len(missing):
            raise UserError(f"{where}: missing value in the target column {name!r}, "
                            f"{_row_name(frame, int(missing[0]), where)} ({len(missing)} "
                            "missing): drop or fill those rows")
    if len(names) > 1:
        return _values(frame, names, where)
    column = frame[names[0]]
    if pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy()
        return values.astype(np.int64 if values.dtype.kind in "iu" else np.float64)
    return column.astype(str).to_numpy().astype(str)


def _wide(frame: Any, where: str, inputs: list[str], targets: list[str]) -> Table:
    values = frame[inputs].to_numpy(dtype=np.float64, na_value=np.nan)
    present = np.isfinite(values)
    lengths = present.shape[1] - np.argmax(present[:, ::-1], axis=1)  # up to the last value
    lengths[~present.any(axis=1)] = 0
    for row in range(len(values)):
        n = lengths[row]
        if n == 0:
            raise UserError(f"{where}: {_row_name(frame, row, where)} has no values in the "
                            "input columns: every sequence needs a step")
        if not present[row, :n].all():
            col = int(np.flatnonzero(~present[row, :n])[0])
            raise UserError(f"{where}: missing or non-finite value in column {inputs[col]!r}, "
                            f"{_row_name(frame, row, where)}, before the row's last value "
                            "(only the end of a row may be empty: a shorter sequence)")
    xs = [values[row, : lengths[row], None] for row in range(len(values))]
    y = list(_labels(frame, targets, where)) if targets else None
    return Table(xs, y, None, tuple(inputs), tuple(targets))


def _long(frame: Any, where: str, layout: Layout, inputs: list[str], targets: list[str]
          ) -> Table:
    pd = _pandas()
    ids = frame[layout.id]
    missing = np.flatnonzero(ids.isna().to_numpy())
    if len(missing):
        raise UserError(f"{where}: missing value in the id column {layout.id!r}, "
                        f"{_row_name(frame, int(missing[0]), where)}")
    codes, uniques = pd.factorize(ids, sort=False)  # sequences in order of first appearance
    rows = np.arange(len(frame))
    order = np.argsort(codes, kind="stable")
    if layout.time:
        times = _times(frame, layout.time, where)
        order = np.lexsort((times, codes))  # by sequence, then time; ties keep row order
        ordered_codes, ordered_times = codes[order], times[order]
        same = (ordered_codes[1:] == ordered_codes[:-1]) & (
            ordered_times[1:] == ordered_times[:-1])
        if same.any():
            row = int(order[1:][same][0])
            raise UserError(f"{where}: sequence {uniques[codes[row]]!r} has two rows at "
                            f"{layout.time} = {frame[layout.time].iloc[row]!r} "
                            f"({_row_name(frame, row, where)}): each step needs its own time")
    rows = rows[order]
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    groups = np.split(rows, bounds)
    values = _values(frame, inputs, where)
    xs = [values[g] for g in groups]
    y = None
    if targets:
        labels = _labels(frame, targets, where)
        if layout.per_step:
            y = [labels[g] for g in groups]
        else:
            y = [_one_label(labels[g], frame, g, uniques[i], targets, where)
                 for i, g in enumerate(groups)]
    return Table(xs, y, np.asarray(uniques), tuple(inputs), tuple(targets))


def _one_label(labels: np.ndarray, frame: Any, rows: np.ndarray, sequence: Any,
               targets: list[str], where: str) -> Any:
    """The one label of a sequence, which must be the same on each of its rows."""
    first = labels[0]
    differs = np.flatnonzero(np.any((labels != first).reshape(len(labels), -1), axis=1))
    if len(differs):
        row = int(rows[differs[0]])
        raise UserError(f"{where}: sequence {sequence!r} has different values of "
                        f"{', '.join(targets)} ({first!r}, {labels[differs[0]]!r} at "
                        f"{_row_name(frame, row, where)}): a label per sequence must be the "
                        "same on all its rows (per_step=true: a target per step)")
    return first


def _times(frame: Any, name: str, where: str) -> np.ndarray:
    """The time column as keys that sort the steps: numbers as they are, else dates (as int64
    nanoseconds: float64 would merge times closer than a few hundred nanoseconds)."""
    pd = _pandas()
    column = frame[name]
    missing = np.flatnonzero(column.isna().to_numpy())
    if len(missing):
        raise UserError(f"{where}: missing value in the time column {name!r}, "
                        f"{_row_name(frame, int(missing[0]), where)}")
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype=np.float64)
    if pd.api.types.is_datetime64_any_dtype(column):
        dates = column
    else:
        import warnings

        with warnings.catch_warnings():  # pandas' parsing chatter: the result is checked
            warnings.simplefilter("ignore")
            dates = pd.to_datetime(column.astype(str), errors="coerce", format="mixed")
        bad = np.flatnonzero(dates.isna().to_numpy())
        if len(bad):
            raise UserError(f"{where}: unparseable time {column.iloc[int(bad[0])]!r} in the "
                            f"column {name!r}, {_row_name(frame, int(bad[0]), where)} (it needs "
                            "numbers or dates)")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_convert(None)
    return dates.to_numpy().astype("datetime64[ns]").astype(np.int64)
