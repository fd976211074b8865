"""Arrays a user brings: checked, turned into sequences and targets, read from ``.npz`` files.

Inputs ``X`` may be

- a 3-D array (N, T, F): N sequences of T steps of F features,
- a 2-D array (N, T): N univariate sequences (F = 1),
- a list of N arrays (T_i, F) or (T_i,): sequences of different lengths,

as numpy arrays, torch tensors or nested lists; a padded 3-D or 2-D array with ``lengths`` (N,)
gives sequences of different lengths too (the steps past each length are ignored). Targets
``y`` are one per sequence, (N,) or (N, K), or, for per-step targets, one per step: (N, T),
(N, T, K) or a list of (T_i,) / (T_i, K) arrays.

Every problem is a :class:`~rnnlab.errors.UserError` (a ValueError) of one line naming the
array and what was expected. Nothing here fits anything: :mod:`rnnlab.tasks.arrays` does.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnnlab.errors import UserError
from rnnlab.nn.errors import UserTypeError
from rnnlab.tasks.table_data import (
    TABLE_SUFFIXES,
    Layout,
    is_table_file,
    read_table,
    table_sequences,
)

INPUT_SHAPES = "a 3-D array (N, T, F), a 2-D array (N, T) or a list of (T, F) arrays"
NPZ_ARRAYS = ("X", "y", "lengths", "X_valid", "y_valid", "lengths_valid", "X_test", "y_test",
              "lengths_test")


def to_numpy(value: Any, name: str) -> Any:
    """A torch tensor, pandas object or other array-like as a numpy array; lists unchanged."""
    if value is None:
        if name.startswith("y"):
            raise UserError(f"{name} is None: this estimator requires y to be passed, but the "
                            "target y is None")
        raise UserError(f"{name} is None: give an array")
    if hasattr(value, "nnz") and hasattr(value, "toarray"):  # scipy.sparse
        raise UserError(f"{name} is a sparse matrix: sparse input is not supported, give a "
                        "dense array")
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        return value.detach().cpu().numpy()
    if hasattr(value, "to_numpy") and not isinstance(value, np.ndarray):  # pandas
        return value.to_numpy()
    if hasattr(value, "__array__") and not isinstance(value, np.ndarray):
        return np.asarray(value)
    return value


def _numeric(array: np.ndarray, name: str) -> np.ndarray:
    """``array`` as float64; UserError for complex, text or other non-numbers."""
    if np.iscomplexobj(array):
        raise UserError(f"Complex data not supported: {name} holds complex numbers")
    if array.dtype.kind in "biuf":
        return array.astype(np.float64)
    try:
        return array.astype(np.float64)
    except TypeError:  # e.g. a dict among the numbers: what numpy raises, and a UserError
        raise UserTypeError(f"{name} must hold numbers, got dtype {array.dtype} (float() "
                            "argument must be a string or a real number)") from None
    except ValueError:
        raise UserError(f"{name} must hold numbers, got dtype {array.dtype}") from None


def as_sequences(X: Any, lengths: Any = None, name: str = "X") -> list[np.ndarray]:
    """The N sequences of ``X`` as float64 arrays (T_i, F); see the module docstring."""
    X = to_numpy(X, name)
    if isinstance(X, np.ndarray) and (X.dtype != object or X.ndim != 1):
        if X.ndim not in (2, 3):
            raise UserError(f"{name} must be {INPUT_SHAPES}; got an array of shape {X.shape} "
                            "(Reshape your data: a single sequence is X[None])")
        if X.ndim == 2 and X.shape[1] == 0:
            raise UserError(f"{name} has 0 feature(s) (shape=({X.shape[0]}, 0)) while a "
                            "minimum of 1 is required: every sequence needs a step")
        X = _numeric(X, name)
        if X.ndim == 2:
            X = X[:, :, None]
        seqs = list(X)
    elif isinstance(X, np.ndarray | Sequence) and not isinstance(X, str | bytes):
        seqs = [_one_sequence(x, f"{name}[{i}]") for i, x in enumerate(X)]
    else:
        raise UserError(f"{name} must be {INPUT_SHAPES}; got {type(X).__name__}")
    if not seqs:
        raise UserError(f"{name} holds no sequences (N = 0)")
    if lengths is not None:
        seqs = [s[:n] for s, n in zip(seqs, as_lengths(lengths, seqs, name), strict=True)]
    features = seqs[0].shape[1]
    for i, s in enumerate(seqs):
        if s.shape[1] != features:
            raise UserError(f"{name}[{i}] has {s.shape[1]} features per step, {name}[0] has "
                            f"{features}: every sequence needs the same F")
        if len(s) == 0:
            raise UserError(f"{name}[{i}] is empty: every sequence needs at least one step")
        if not np.isfinite(s).all():
            step = int(np.argwhere(~np.isfinite(s))[0][0])
            raise UserError(f"{name} holds NaN or inf (sequence {i}, step {step}); padded "
                            "sequences need `lengths`, missing values must be filled first")
    if features == 0:
        raise UserError(f"{name} has 0 features per step")
    return seqs


def _one_sequence(x: Any, name: str) -> np.ndarray:
    x = np.asarray(to_numpy(x, name))
    if x.dtype == object:
        raise UserError(f"{name} must be a (T, F) or (T,) array of numbers; it is ragged or "
                        "holds objects")
    if x.ndim not in (1, 2):
        raise UserError(f"{name} must be a (T, F) or (T,) array; got shape {x.shape}")
    x = _numeric(x, name)
    return x[:, None] if x.ndim == 1 else x


def as_lengths(lengths: Any, seqs: list[np.ndarray], name: str) -> np.ndarray:
    """``lengths`` (N,) as whole numbers in [1, T_i]."""
    values = np.asarray(to_numpy(lengths, f"lengths of {name}"))
    if values.shape != (len(seqs),):
        raise UserError(f"lengths of {name} must have shape ({len(seqs)},), one per sequence; "
                        f"got {values.shape}")
    if values.dtype.kind not in "iu" and not (
        values.dtype.kind == "f" and np.isfinite(values).all() and (values % 1 == 0).all()
    ):
        raise UserError(f"lengths of {name} must be whole numbers, got dtype {values.dtype}")
    values = values.astype(np.int64)
    for i, (s, n) in enumerate(zip(seqs, values, strict=True)):
        if not 1 <= n <= len(s):
            raise UserError(f"lengths of {name}: sequence {i} has length {n}, which is not in "
                            f"[1, {len(s)}] (the steps it holds)")
    return values


def as_targets(y: Any, seqs: list[np.ndarray], per_step: bool, name: str = "y") -> list[Any]:
    """The targets of the N sequences, one item each: a label or (K,) values, or per step
    (T_i,) labels or (T_i, K) values. Labels keep their type; nothing is encoded here."""
    y = to_numpy(y, name)
    n = len(seqs)
    if per_step:
        if isinstance(y, np.ndarray) and y.dtype != object:
            if y.ndim not in (2, 3):
                raise UserError(f"{name} with per-step targets must be (N, T) or (N, T, K); "
                                f"got shape {y.shape}")
            items = list(y)
        elif isinstance(y, np.ndarray | Sequence) and not isinstance(y, str | bytes):
            items = [np.asarray(to_numpy(v, name)) for v in y]
        else:
            raise UserError(f"{name} must be an array of targets, got {type(y).__name__}")
        _same_count(items, n, name)
        out = []
        for i, (item, s) in enumerate(zip(items, seqs, strict=True)):
            if item.ndim not in (1, 2) or len(item) < len(s):
                raise UserError(f"{name}[{i}] must hold a target for each of the {len(s)} steps "
                                f"of its sequence; got shape {item.shape}")
            out.append(item[: len(s)])
        return out
    if isinstance(y, list | tuple):
        y = np.asarray(y)
    if not isinstance(y, np.ndarray):
        raise UserError(f"{name} must be an array of targets, got {type(y).__name__}")
    if y.ndim == 0 or y.ndim > 2:
        raise UserError(f"{name} must be (N,) labels or (N, K) values; got shape {y.shape}")
    _same_count(y, n, name)
    return list(y)


def _same_count(items: Any, n: int, name: str) -> None:
    if len(items) != n:
        raise UserError(f"{name} has {len(items)} targets but X has {n} sequences: "
                        "they must match one to one")


def infer_kind(targets: list[Any]) -> str:
    """classify for integer, boolean or text labels; regress for real values."""
    sample = np.asarray(targets[0])
    return "regress" if sample.dtype.kind in "fc" else "classify"


# -- files --------------------------------------------------------------------------------------



def check_data_file(path: str) -> Path:
    """The absolute path of an existing ``.npz``, CSV or Parquet file; a one-line UserError
    otherwise."""
    file = Path(path).expanduser()
    if file.suffix == ".npy":
        raise UserError(f"{path}: a .npy file holds one array, but supervised learning needs "
                        "inputs and targets: save them together with numpy.savez(FILE.npz, "
                        "X=X, y=y)")
    if not file.exists():
        raise UserError(f"data file not found: {path}")
    if not file.is_file():
        raise UserError(f"data file {path} is not a file")
    if is_table_file(path):
        return file.resolve()
    if not zipfile.is_zipfile(file):
        raise UserError(f"data file {path} is not a .npz file (numpy.savez(FILE, X=X, y=y) "
                        f"writes one); tables are read from {', '.join(TABLE_SUFFIXES)} files")
    return file.resolve()


def read_data_file(path: str, layout: Layout, *, need_y: bool = True) -> dict[str, Any]:
    """The arrays of a data file: an ``.npz`` as :func:`read_npz` reads it, or a CSV or Parquet
    table laid out as ``layout`` says (:mod:`rnnlab.tasks.table_data`), as X (a list of
    sequences), y, and ``ids`` (long layout) plus ``inputs`` and ``targets``, the columns used."""
    file = check_data_file(path)
    if not is_table_file(path):
        if layout.id or layout.time or layout.target or layout.inputs:
            raise UserError(f"{path} is an .npz file: id, time, target and inputs name the "
                            "columns of a table (CSV, Parquet); leave them out")
        return read_npz(path, need_y=need_y)
    table = table_sequences(read_table(str(file)), layout, path, need_y=need_y)
    return {"X": table.X, "y": table.y, "ids": table.ids, "inputs": table.inputs,
            "targets": table.targets}


def read_npz(path: str, *, need_y: bool = True) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file (X, y, lengths and their _valid/_test twins), read
    without unpickling anything."""
    file = check_data_file(path)
    try:
        with np.load(file, allow_pickle=False) as npz:
            names = list(npz.files)
            unknown = sorted(set(names) - set(NPZ_ARRAYS))
            if unknown:
                raise UserError(f"data file {path} holds array(s) {', '.join(unknown)}; it may "
                                f"hold only {', '.join(NPZ_ARRAYS)}")
            arrays = {k: npz[k] for k in names}
    except UserError:
        raise
    except ValueError as e:
        if "pickle" in str(e):
            raise UserError(f"data file {path} holds object arrays, which rnnlab does not "
                            "unpickle: store numbers or fixed-width text (pad ragged X and give "
                            "lengths)") from None
        raise UserError(f"data file {path} cannot be read as .npz ({e})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise UserError(f"data file {path} cannot be read as .npz ({e})") from None
    for key in ("X", "y") if need_y else ("X",):
        if key not in arrays:
            raise UserError(f"data file {path} has no array {key!r} (it holds "
                            f"{', '.join(names) or 'nothing'}); it needs X and y")
    for suffix in ("_valid", "_test"):
        if (f"X{suffix}" in arrays) != (f"y{suffix}" in arrays):
            raise UserError(f"data file {path} has only one of X{suffix} and y{suffix}; "
                            "give both or neither")
    return arrays
