"""The data of a forecast: packaged series, or columns of a CSV file, with their dates.

:func:`load_series` gives a :class:`Series`: the values (n, C) of the columns used, targets
first, in time order, with their dates (or none) and the frequency that continues them.

- Packaged: statsmodels' ``sunspots`` (yearly 1700-2008, 309 values) and ``co2`` (weekly Mauna
  Loa CO2 1958-2001, 2284 values; its 59 missing values filled by linear interpolation), and
  sktime's ``airline`` (Box & Jenkins' monthly airline passengers 1949-1960, 144 values).
- A CSV file: read with the csv module; a header row, then one row per time step. Every value
  used must be a finite number (a missing or bad one is refused by line and column); the date
  column, when named, is parsed by pandas, and the rows are put in its order (duplicated or
  unparseable dates are refused; gaps and irregular spacing are reported in one log line).

:func:`rnnlab.utils.hashing.file_sha256` is the content hash recorded with a file in a checkpoint.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnlab.errors import UserError
from rnnlab.tasks.packaged import require
from rnnlab.tasks.table_data import read_table, split_names

log = logging.getLogger(__name__)

BUILTIN = ("sunspots", "co2", "airline")
SERIES_FILE = "series.json"  # a series from Python, in each checkpoint of its forecaster
BUILTIN_SEASON = {"sunspots": 1, "co2": 52, "airline": 12}  # the seasonal period of each
MISSING = ("", "na", "nan", "null", "none")


@dataclass
class Series:
    """Values (n, C) of the columns used (targets first), dates (n,) or None, and a frequency
    (a pandas offset alias) that continues the dates, or "" when it is unknown."""

    values: np.ndarray
    columns: tuple[str, ...]
    dates: Any = None  # a pandas DatetimeIndex
    freq: str = ""



def load_builtin(name: str) -> Series:
    """One of :data:`BUILTIN`, with its dates."""
    pd = require("pandas", "forecast")
    if name == "airline":
        y = require("sktime.datasets", "forecast").load_airline()
        dates = y.index.to_timestamp()
        return Series(y.to_numpy(dtype=np.float64)[:, None], ("passengers",), dates, "MS")
    datasets = require("statsmodels.api", "forecast").datasets
    if name == "sunspots":
        data = datasets.sunspots.load_pandas().data
        dates = pd.to_datetime(data["YEAR"].astype(int).astype(str), format="%Y")
        values = data["SUNACTIVITY"].to_numpy(dtype=np.float64)[:, None]
        return Series(values, ("sunspots",), pd.DatetimeIndex(dates), "YS")
    co2 = datasets.co2.load_pandas().data["co2"].interpolate(limit_direction="both")
    return Series(co2.to_numpy(dtype=np.float64)[:, None], ("co2",), co2.index, "W-SAT")


def _read_rows(path: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-blank rows (with their line numbers) of a CSV file, or of a
    Parquet file (its rows numbered as they would be in a CSV: the first is line 2)."""
    if not os.path.isfile(path):
        raise UserError(f"series {path!r} is neither {', '.join(BUILTIN)} nor a CSV file")
    if path.lower().endswith(".parquet"):
        return _parquet_rows(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text") from None
    except csv.Error as e:  # e.g. a field over csv's 131,072-character limit
        raise UserError(f"{path} is not a CSV file rnnlab can read ({e})") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise UserError(f"CSV file {path} is empty (it needs a header row and values)")
    header = [h.strip() for h in rows[0]]
    body = [(line, row) for line, row in enumerate(rows[1:], start=2)
            if any(cell.strip() for cell in row)]
    return header, body


def _parquet_rows(path: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    # The same cells as text that a CSV would hold, so one set of checks serves both: repr
    # of a float is exact, a missing value is empty, a timestamp is its ISO text.
    frame = read_table(path)
    pd = require("pandas", "forecast")

    def text(value: Any) -> str:
        if pd.isna(value):
            return ""
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return repr(value) if isinstance(value, float) else str(value)

    rows = [(line, [text(v) for v in row])
            for line, row in enumerate(frame.itertuples(index=False, name=None), start=2)]
    return [str(c).strip() for c in frame.columns], rows


def _cell(row: list[str], c: int) -> str:
    return row[c].strip() if c < len(row) else ""


def _number(path: str, cell: str, line: int, column: str) -> float:
    if cell.lower() in MISSING:
        raise UserError(f"{path}: missing value in line {line}, column {column!r}")
    try:
        value = float(cell)
    except ValueError:
        raise UserError(
            f"{path}: non-numeric value {cell!r} in line {line}, column {column!r}"
        ) from None
    if not math.isfinite(value):
        raise UserError(f"{path}: non-finite value {cell!r} in line {line}, column {column!r}")
    return value


def _is_numeric(rows: list[tuple[int, list[str]]], c: int) -> bool:
    try:
        return bool(rows) and all(math.isfinite(float(_cell(r, c))) for _, r in rows)
    except ValueError:
        return False


def choose_columns(path: str, header: list[str], rows: list[tuple[int, list[str]]],
                   target: str, inputs: str, date: str) -> tuple[list[str], list[str]]:
    """(targets, inputs): the named ones, checked; ``inputs`` "" = every other numeric column,
    "none" = none; an empty ``target`` = the file's one column (besides the date)."""
    for name in split_names(target) + ([date] if date else []) + (
            [] if inputs in ("", "none") else split_names(inputs)):
        if name not in header:
            raise UserError(f"{path} has no column {name!r}; columns: {', '.join(header)}")
    if len(set(header)) != len(header):
        raise UserError(f"{path} has two columns of the same name: {', '.join(header)}")
    targets = split_names(target)
    if not targets:
        rest = [h for h in header if h != date]
        if len(rest) != 1:
            raise UserError(f"{path} has columns {', '.join(header)}: choose one with "
                            "column=NAME (or target=NAME,...)")
        targets = rest
    if inputs == "none":
        extra: list[str] = []
    elif inputs:
        extra = split_names(inputs)
    else:
        extra = [h for h in header if h not in targets and h != date
                 and _is_numeric(rows, header.index(h))]
    both = sorted(set(targets) & set(extra))
    if both or (date and date in targets + extra):
        raise UserError(f"{path}: column {(both or [date])[0]!r} is named twice (as a target, "
                        "an input or the date)")
    return targets, extra


def load_csv_columns(path: str, target: str, inputs: str = "none", date: str = "") -> Series:
    """The target and input columns of a CSV file, in date order when ``date`` is given."""
    header, rows = _read_rows(path)
    targets, extra = choose_columns(path, header, rows, target, inputs, date)
    columns = targets + extra
    index = [header.index(c) for c in columns]
    values = np.array([[_number(path, _cell(row, c), line, header[c]) for c in index]
                       for line, row in rows], dtype=np.float64).reshape(len(rows), len(columns))
    if not len(values):
        raise UserError(f"{path}: column {columns[0]!r} has no values")
    series = Series(values, tuple(columns))
    if date:
        _add_dates(path, series, [(line, _cell(row, header.index(date))) for line, row in rows],
                   date)
    return series


def load_csv(path: str, column: str) -> np.ndarray:
    """One numeric column (all the rows, in file order)."""
    return load_csv_columns(path, column).values[:, 0]


def _add_dates(path: str, series: Series, cells: list[tuple[int, str]], column: str) -> None:
    pd = require("pandas", "forecast")
    texts = pd.Series([text for _, text in cells])
    with warnings.catch_warnings():  # pandas' parsing chatter: the result is checked instead
        warnings.simplefilter("ignore")
        dates = pd.to_datetime(texts, errors="coerce", format="mixed")
    bad = np.flatnonzero(dates.isna().to_numpy())
    if len(bad):
        line, text = cells[bad[0]]
        raise UserError(f"{path}: unparseable date {text!r} in line {line}, column {column!r}"
                        + (f" ({len(bad)} such values)" if len(bad) > 1 else ""))
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_convert(None)
    order = np.argsort(dates.to_numpy(), kind="stable")
    dates = pd.DatetimeIndex(dates.to_numpy()[order])
    duplicated = np.flatnonzero(dates.duplicated())
    if len(duplicated):
        raise UserError(f"{path}: the date {dates[duplicated[0]]} appears twice "
                        f"(column {column!r})")
    series.values = series.values[order]
    series.dates = dates
    series.freq = spacing(dates, path)


def spacing(dates: Any, where: str) -> str:
    """The frequency of ``dates`` (a pandas alias), or "" after one log line on gaps or
    irregular spacing."""
    pd = require("pandas", "forecast")
    if len(dates) < 3:
        return ""
    freq = pd.infer_freq(dates)
    if freq:
        return str(freq)
    steps = np.diff(dates.to_numpy()).astype("timedelta64[s]").astype(np.int64)
    usual = int(np.median(steps))
    gaps = np.flatnonzero(steps > 1.5 * usual)
    if len(gaps):
        log.warning("%s: %d gap(s) in the dates (usual step %s; the first after %s); the "
                    "rows are used in date order as they are", where, len(gaps),
                    pd.Timedelta(seconds=usual), dates[gaps[0]].date())
    else:
        log.warning("%s: the dates are irregularly spaced (steps from %s to %s); the rows are "
                    "used in date order", where, pd.Timedelta(seconds=int(steps.min())),
                    pd.Timedelta(seconds=int(steps.max())))
    return ""


def future_dates(series: Series, steps: int) -> list[str]:
    """The dates of the ``steps`` values after the last, as text ("" each when unknown)."""
    if series.dates is None or not series.freq:
        return [""] * steps
    pd = require("pandas", "forecast")
    dates = pd.date_range(series.dates[-1], periods=steps + 1, freq=series.freq)[1:]
    return [date_text(d) for d in dates]


def date_text(d: Any) -> str:
    return d.date().isoformat() if d == d.normalize() else d.isoformat()


def read_saved_series(path: str) -> Series:
    """The series in a file :data:`SERIES_FILE` of a checkpoint (a forecaster fitted on a
    series from Python keeps it there); UserError if it cannot be read."""
    try:
        with open(path, encoding="utf-8") as f:
            saved = json.load(f)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise UserError(f"{path}: cannot read the saved series ({e})") from None
    series = series_from_json(saved, path)
    if series is None:
        raise UserError(f"{path}: cannot read the saved series (it holds null)")
    return series


def series_to_json(data: Series) -> dict[str, Any]:
    """A series as JSON values (what a checkpoint of :class:`rnnlab.Forecaster` stores)."""
    return {"values": data.values.tolist(), "columns": list(data.columns),
            "dates": None if data.dates is None else [date_text(d) for d in data.dates],
            "freq": data.freq}


def series_from_json(saved: Any, where: Any) -> Series | None:
    """The series a Forecaster saved, or None (a checkpoint of the command line, whose task
    reads its own file)."""
    if saved is None:
        return None
    try:
        values = np.asarray(saved["values"], dtype=np.float64)
        columns = tuple(str(c) for c in saved["columns"])
        series = Series(values, columns, None, str(saved.get("freq") or ""))
        if saved.get("dates") is not None:
            series.dates = require("pandas", "forecast").DatetimeIndex(saved["dates"])
    except (KeyError, TypeError, ValueError) as e:
        raise UserError(f"{where}: the saved series is damaged ({e})") from None
    if values.ndim != 2 or values.shape[1] != len(columns) or (
            series.dates is not None and len(series.dates) != len(values)):
        raise UserError(f"{where}: the saved series is damaged (its shapes do not agree)")
    return series
