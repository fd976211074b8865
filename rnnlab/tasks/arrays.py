"""``arrays``: classification or regression of your own sequences, from Python or a data file.

Inputs and targets are as :mod:`rnnlab.tasks.array_data` describes: X (N, T, F), (N, T) or a
list of (T_i, F) arrays, with optional ``lengths``; y one label or (K,) values per sequence, or
(``per_step``) one per step. A data file is an ``.npz`` or a CSV or Parquet table, long or
wide (:mod:`rnnlab.tasks.table_data`; ``id``, ``time``, ``target``, ``inputs`` name its
columns). With ``tokens`` each step is one token id (X (N, T) whole numbers), which the model
embeds; the vocabulary is 0 .. the largest training id (``vocab_size``, fitted).

``kind`` is ``classify`` (integer, boolean or text labels; CE on the logits; metrics loss,
accuracy) or ``regress`` (real values; MSE on standardised targets; metrics loss, mse, rmse,
mae, r2 in the targets' own units); left empty it follows y's dtype.

Splits: ``X_valid``/``y_valid`` and ``X_test``/``y_test`` when given, else a seeded
``valid_fraction`` (``test_fraction``) of the sequences is held out.

**Fitted once, then stored.** What is learned from the data — F, the class names (sorted, as
``numpy.unique`` orders them) and their type, each input feature's mean and standard deviation
over the training split's steps, each regression target's mean and std — is written into the
task's params the first time the task sees its data. The params go into every checkpoint, so a
model loaded later scales its inputs and names its classes exactly as in training and never
re-fits anything from the data. A data file is recorded by absolute path and sha256; rebuilding
the task from a file whose content changed is refused unless ``allow_changed`` is set.

``make_task("arrays", data="train.npz")`` (``rnnlab train --data train.npz``) reads a file;
``ArrayTask(arrays={"X": X, "y": y})`` takes arrays from Python (what
:class:`rnnlab.SequenceClassifier` does); :meth:`ArrayTask.scoring` scores new data with a
fitted task's scaling; :meth:`ArrayTask.input_batches` and :meth:`ArrayTask.decode` turn inputs
into batches and a model's outputs into labels or values (prediction, no targets needed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnlab.errors import UserError
from rnnlab.tasks.array_data import (
    as_sequences,
    as_targets,
    infer_kind,
    read_data_file,
)
from rnnlab.tasks.base import Batch, Split, TaskParams, TaskSpec
from rnnlab.tasks.common import (
    Example,
    ParamTask,
    check_batch_args,
    check_choice,
    check_output,
    check_range,
    classification_sums,
    collate,
    make_rng,
    ratio,
    step_mask,
    token_ce,
)
from rnnlab.tasks.packaged import split_indices
from rnnlab.tasks.table_data import Layout
from rnnlab.utils.hashing import file_sha256

KINDS = ("classify", "regress")
MAX_VOCAB = 1_000_000  # token ids beyond this would make an embedding of gigabytes: a mistake
LABEL_TYPES = ("int", "str", "bool", "float")
Arrays = dict[str, Any]  # X, y, lengths and their _valid / _test twins


@dataclass
class ArrayParams(TaskParams):
    data: str = ""  # .npz (X, y, lengths, X_valid, ...), CSV or Parquet file; "" = from Python
    id: str = ""  # table: the column naming each row's sequence (long: a row per step); "" = wide
    time: str = ""  # long table: the column ordering a sequence's rows (numbers, dates); "" = as is
    target: str = ""  # table: the label or target column(s), comma-separated
    inputs: str = ""  # table: feature (long) or step (wide) columns; "" = other numeric (recorded)
    sha256: str = ""  # the data file's sha256 when the task was fitted; a changed file is refused
    allow_changed: bool = False  # use the data file although its content changed since fitting
    kind: str = ""  # classify | regress; "" = from y (integers, text: classify; reals: regress)
    per_step: bool = False  # a target at every step, y (N, T[, K]), instead of one per sequence
    valid_fraction: float = 0.2  # of the sequences, held out for validation if no X_valid is given
    test_fraction: float = 0.0  # of the sequences, held out for testing when no X_test is given
    split_seed: int = 0  # the seed that picks the held-out sequences
    standardize: bool = True  # scale inputs (and regression targets) by the training mean, std
    tokens: bool = False  # X holds token ids (N, T) ints, which the model embeds (not scaled)
    vocab_size: int = 0  # fitted with tokens: 1 + the largest training token id
    features: int = 0  # fitted: F, input features per step (0 = not fitted yet)
    classes: tuple[str, ...] = ()  # fitted: the class names in order (index = class id)
    label_type: str = ""  # fitted: int | str | bool | float, the labels' type (of predictions too)
    targets: int = 0  # fitted: K regression targets per item; 0 = one, given without its own axis
    mean: tuple[float, ...] = ()  # fitted: each input feature's mean over the training steps
    std: tuple[float, ...] = ()  # fitted: each input feature's std, training steps (1 if constant)
    target_mean: tuple[float, ...] = ()  # fitted: each regression target's mean (training split)
    target_std: tuple[float, ...] = ()  # fitted: each regression target's std (1 if constant)

    def check(self) -> None:
        if self.kind:
            check_choice("arrays", "kind", self.kind, KINDS)
        if self.label_type:
            check_choice("arrays", "label_type", self.label_type, LABEL_TYPES)
        check_range("arrays", "valid_fraction", self.valid_fraction, 0.0, 0.5)
        check_range("arrays", "test_fraction", self.test_fraction, 0.0, 0.5)
        check_range("arrays", "split_seed", self.split_seed, 0)
        check_range("arrays", "features", self.features, 0)
        check_range("arrays", "targets", self.targets, 0)
        check_range("arrays", "vocab_size", self.vocab_size, 0, MAX_VOCAB)
        if self.tokens and self.features and (self.features != 1 or self.vocab_size < 1):
            raise UserError("task 'arrays': fitted token inputs need features = 1 and a "
                            "vocab_size")
        if self.features:  # fitted: the stored statistics must fit the stored sizes
            if not self.kind or len(self.mean) != self.features or len(self.std) != self.features:
                raise UserError(f"task 'arrays': fitted params are inconsistent (kind "
                                f"{self.kind!r}, {self.features} features, {len(self.mean)} "
                                f"means, {len(self.std)} stds)")
            if any(not s > 0 for s in self.std) or any(not s > 0 for s in self.target_std):
                raise UserError("task 'arrays': fitted standard deviations must be positive")
            if self.kind == "classify" and (not self.classes or not self.label_type):
                raise UserError("task 'arrays': a fitted classifier needs its classes")
            if self.kind == "regress" and len(self.target_mean) != max(self.targets, 1):
                raise UserError("task 'arrays': a fitted regression needs its target scaling")


class ArrayTask(ParamTask):
    """Your own sequences, classified or regressed; see the module docstring."""

    name = "arrays"
    description = "your own sequences from a .npz file or Python arrays: classify or regress"
    Params = ArrayParams
    params: ArrayParams

    def __init__(self, arrays: Arrays | None = None, *, read: bool = True, **params: Any) -> None:
        """``arrays``: X, y (and lengths, X_valid, ...) from Python; else ``params.data`` is
        read, unless ``read`` is False: then the task holds no data, only what was fitted (a
        fitted task for prediction, from a checkpoint alone)."""
        self._arrays, self._read = arrays, read
        super().__init__(**params)

    def setup(self) -> None:
        arrays, self._arrays = self._arrays, None
        p = self.params
        if arrays is None and p.data and self._read:
            arrays = self._read_file()
        self.data: dict[Split, tuple[list[np.ndarray], np.ndarray]] = {}
        if arrays is not None:
            splits = self._split(arrays)
            if not p.features:
                self.params = p = self._fit(*splits["train"])
            self.data = {split: self.encode(xs, ys, "y" if split == "train" else f"y_{split}")
                         for split, (xs, ys) in splits.items()}
        elif not p.features:
            raise UserError("task 'arrays' needs data: rnnlab train --data FILE.npz (or -p "
                            "data=FILE.npz), or arrays from Python (rnnlab.SequenceClassifier)")
        self.labels = p.classes or None
        many = self.is_classifier and len(p.classes)
        inputs = ("tokens", p.vocab_size) if p.tokens else ("features", p.features)
        self.spec = TaskSpec(*inputs, "classes" if self.is_classifier
                             else "regression", many or max(p.targets, 1), p.per_step,
                             bidirectional_ok=True)

    @property
    def is_classifier(self) -> bool:
        return self.params.kind == "classify"

    # -- the data ----------------------------------------------------------------------------

    def _read_file(self) -> Arrays:
        p = self.params
        path = str(_absolute(p.data))
        arrays = read_data_file(p.data, self.layout())
        digest = file_sha256(path)
        if p.sha256 and digest != p.sha256 and not p.allow_changed:
            raise UserError(f"data file {path} has changed since the model was fitted (sha256 "
                            f"{digest[:12]}..., fitted on {p.sha256[:12]}...); -p "
                            "allow_changed=true uses it anyway, with the fitted scaling")
        columns = {}
        if "inputs" in arrays:  # a table: the columns used are recorded, as they are fitted on
            columns = {"inputs": ",".join(arrays["inputs"]), "target": ",".join(arrays["targets"])}
        self.params = dataclasses.replace(p, data=path, sha256=p.sha256 or digest, **columns)
        return arrays

    def layout(self) -> Layout:
        """Which columns of a table file are what (recorded in the params)."""
        p = self.params
        return Layout(p.id, p.time, p.target, p.inputs, p.per_step)

    def _split(self, arrays: Arrays) -> dict[Split, tuple[list[np.ndarray], list[Any]]]:
        """Raw (unscaled) sequences and targets of train, valid and test."""
        p = self.params

        def part(suffix: str) -> tuple[list[np.ndarray], list[Any]]:
            xs = as_sequences(arrays[f"X{suffix}"], arrays.get(f"lengths{suffix}"), f"X{suffix}")
            return xs, as_targets(arrays.get(f"y{suffix}"), xs, p.per_step, f"y{suffix}")

        xs, ys = part("")
        given = {s: part(f"_{s}") for s in ("valid", "test") if arrays.get(f"X_{s}") is not None}
        fractions = (0.0 if "valid" in given else p.valid_fraction,
                     0.0 if "test" in given else p.test_fraction)
        train, valid, test = split_indices(len(xs), fractions, p.split_seed)
        if len(train) == 0:
            raise UserError(f"X has {len(xs)} sequence(s): none is left for training after "
                            "holding out validation and test sequences")

        def take(index: np.ndarray) -> tuple[list[np.ndarray], list[Any]]:
            return [xs[i] for i in index], [ys[i] for i in index]

        return {"train": take(train), "valid": given.get("valid", take(valid)),
                "test": given.get("test", take(test))}

    def _fit(self, xs: list[np.ndarray], ys: list[Any]) -> ArrayParams:
        """The params with everything learned from the training split filled in."""
        p = self.params
        kind = p.kind or infer_kind(ys)
        steps = np.concatenate(xs)
        fitted: dict[str, Any] = {"kind": kind, "features": steps.shape[1]}
        if p.tokens:  # ids are names, not quantities: nothing to scale
            fitted["vocab_size"] = int(_token_ids(steps, "X", steps.shape[1]).max()) + 1
            fitted["mean"], fitted["std"] = _identity(steps.shape[1])
        else:
            fitted["mean"], fitted["std"] = (_moments(steps) if p.standardize
                                             else _identity(steps.shape[1]))
        if kind == "classify":
            fitted.update(_fit_classes(ys, p.per_step))
        else:
            values = _real_targets(ys, "y")
            fitted["targets"] = 0 if values[0].ndim == (1 if p.per_step else 0) else (
                values[0].shape[-1])
            flat = np.concatenate([v.reshape(-1, max(fitted["targets"], 1)) for v in values])
            t_mean, t_std = _moments(flat) if p.standardize else _identity(flat.shape[1])
            fitted.update(target_mean=t_mean, target_std=t_std)
        params = dataclasses.replace(p, **fitted)
        params.check()
        return params

    def encode(self, xs: list[np.ndarray], ys: list[Any] | None, where: str = "y"
               ) -> tuple[list[np.ndarray], np.ndarray | list[np.ndarray]]:
        """Sequences scaled with the fitted statistics, targets as class ids or scaled values."""
        p = self.params
        mean, std = np.asarray(p.mean), np.asarray(p.std)
        for i, x in enumerate(xs):
            if x.shape[1] != p.features:
                raise UserError(f"X[{i}] has {x.shape[1]} features per step, but the model was "
                                f"fitted on {p.features}")
        if p.tokens:
            scaled = [_token_ids(x, f"X[{i}]", p.features, p.vocab_size)[:, 0]
                      for i, x in enumerate(xs)]
        else:
            scaled = [((x - mean) / std).astype(np.float32) for x in xs]
        if ys is None or not xs:
            return scaled, np.zeros(len(xs), dtype=np.int64)
        if self.is_classifier:
            return scaled, _class_ids(ys, p, where)
        k = max(p.targets, 1)
        t_mean, t_std = np.asarray(p.target_mean), np.asarray(p.target_std)
        values = []
        for i, v in enumerate(_real_targets(ys, where)):
            shaped = v.reshape(-1, k) if p.per_step else v.reshape(k)
            if shaped.size != v.size or (p.targets and v.shape[-1] != p.targets):
                raise UserError(f"{where}[{i}] has shape {v.shape}; the model predicts "
                                f"{k} target(s) per {'step' if p.per_step else 'sequence'}")
            values.append(((shaped - t_mean) / t_std).astype(np.float32))
        return scaled, values if p.per_step else np.stack(values)

    def scoring(self, arrays: Arrays) -> ArrayTask:
        """This fitted task with new data in every split (nothing held out, nothing re-fitted):
        how a model is scored on a new file or new arrays."""
        task = ArrayTask.__new__(ArrayTask)
        task.params, task.spec, task.labels = self.params, self.spec, self.labels
        xs = as_sequences(arrays["X"], arrays.get("lengths"), "X")
        part = task.encode(xs, as_targets(arrays.get("y"), xs, self.params.per_step), "y")
        task.data = {"train": part, "valid": part, "test": part}
        return task

    # -- batches, loss, scores -----------------------------------------------------------------

    def batches(self, split: Split, batch_size: int, seed: int = 0) -> Iterator[Batch]:
        check_batch_args(split, batch_size)
        rng = make_rng(seed, split)
        if split not in self.data:
            raise UserError("this 'arrays' task holds no data (a model loaded from a checkpoint "
                            "of Python arrays): score data with --data FILE.npz")
        xs, ys = self.data[split]
        order = rng.permutation(len(xs)) if split == "train" else np.arange(len(xs))
        return self._iterate(xs, ys, order, batch_size)

    def _iterate(self, xs: list[np.ndarray], ys: Any, order: np.ndarray, batch_size: int
                 ) -> Iterator[Batch]:
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            yield collate([Example(xs[i], ys[i]) for i in chosen], tokens=self.params.tokens,
                          per_step=self.params.per_step)

    def input_batches(self, X: Any, lengths: Any = None, batch_size: int = 256
                      ) -> Iterator[Batch]:
        """Batches of new inputs in their order, scaled as in training (targets are zeros)."""
        xs, ys = self.encode(as_sequences(X, lengths, "X"), None)
        if self.params.per_step:
            ys = [np.zeros(len(x), dtype=np.int64) for x in xs]
        return self._iterate(xs, ys, np.arange(len(xs)), batch_size)

    def loss(self, output: Tensor, batch: Batch) -> Tensor:
        self._check(output, batch)
        if self.is_classifier:
            if not self.params.per_step:
                return F.cross_entropy(output, batch.y)
            ce, mask = token_ce(output, batch)
            return ce[mask].mean()
        se = (output - batch.y) ** 2
        return se[step_mask(batch)].mean() if self.params.per_step else se.mean()

    def score(self, output: Tensor, batch: Batch) -> dict[str, float]:
        self._check(output, batch)
        if self.is_classifier:
            if not self.params.per_step:
                return classification_sums(output, batch.y)
            with torch.no_grad():
                ce, mask = token_ce(output, batch)
                correct = (output.argmax(-1) == batch.y) & mask
            return {"loss_sum": float(ce[mask].sum()), "correct": float(correct.sum()),
                    "count": float(mask.sum())}
        with torch.no_grad():
            if self.params.per_step:
                mask = step_mask(batch)
                output, target = output[mask], batch.y[mask]  # (items, K)
            else:
                target = batch.y
            sums = {"loss_sum": float(((output - target) ** 2).mean(-1).sum()),
                    "count": float(len(target))}
            t_mean = torch.tensor(self.params.target_mean, device=output.device)
            t_std = torch.tensor(self.params.target_std, device=output.device)
            pred, true = output * t_std + t_mean, target * t_std + t_mean
            for k in range(pred.shape[-1]):
                sums[f"se_{k}"] = float(((pred[:, k] - true[:, k]) ** 2).sum())
                sums[f"ae_{k}"] = float((pred[:, k] - true[:, k]).abs().sum())
                sums[f"y_{k}"] = float(true[:, k].double().sum())
                sums[f"yy_{k}"] = float((true[:, k].double() ** 2).sum())
        return sums

    def summarize(self, sums: dict[str, float]) -> dict[str, float]:
        n = sums["count"]
        if self.is_classifier:
            return {"loss": ratio(sums["loss_sum"], n), "accuracy": ratio(sums["correct"], n)}
        k = max(self.params.targets, 1)
        se = sum(sums[f"se_{j}"] for j in range(k))
        r2 = [1 - ratio(sums[f"se_{j}"], sums[f"yy_{j}"] - sums[f"y_{j}"] ** 2 / n)
              if n else float("nan") for j in range(k)]
        return {"loss": ratio(sums["loss_sum"], n), "mse": ratio(se, n * k),
                "rmse": ratio(se, n * k) ** 0.5,
                "mae": ratio(sum(sums[f"ae_{j}"] for j in range(k)), n * k),
                "r2": float(np.mean(r2))}

    def _check(self, output: Tensor, batch: Batch) -> None:
        K = self.spec.output_size
        shape = (batch.size, batch.x.shape[1], K) if self.params.per_step else (batch.size, K)
        check_output(output, shape, self.name)

    # -- outputs -> predictions ---------------------------------------------------------------

    def class_values(self) -> np.ndarray:
        """The class names as values of the type the labels had (``classes_`` of sklearn)."""
        p = self.params
        convert = {"int": int, "float": float, "bool": lambda c: c == "True", "str": str}
        return np.array([convert[p.label_type](c) for c in p.classes])

    def decode(self, output: Tensor, batch: Batch) -> list[np.ndarray]:
        """One item per sequence of a batch: class probabilities (K,) — (T_i, K) per step —
        for a classifier, values in the targets' units ((K,) or (), per step (T_i, ...)) for a
        regression."""
        p = self.params
        with torch.no_grad():
            if self.is_classifier:
                values = torch.softmax(output.float(), -1).cpu().numpy()
            else:
                mean, std = np.asarray(p.target_mean), np.asarray(p.target_std)
                values = output.float().cpu().numpy() * std + mean
                if not p.targets:
                    values = values[..., 0]
        if not p.per_step:
            return list(values.astype(np.float64))
        lengths = ([batch.x.shape[1]] * batch.size if batch.lengths is None
                   else batch.lengths.tolist())
        return [v[:n].astype(np.float64) for v, n in zip(values, lengths, strict=True)]


# -- fitting helpers ------------------------------------------------------------------------------


def _absolute(path: str) -> Any:
    from pathlib import Path

    return Path(path).expanduser().resolve()


def _moments(values: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-column mean and std of (rows, columns); a constant column gets std 1."""
    mean, std = values.mean(0), values.std(0)
    std = np.where(std > 1e-12 * np.maximum(np.abs(mean), 1.0), std, 1.0)
    return tuple(float(m) for m in mean), tuple(float(s) for s in std)


def _token_ids(x: np.ndarray, where: str, features: int, vocab_size: int = 0) -> np.ndarray:
    """Steps (T, 1) of token ids as int64; UserError for more than one feature, fractions,
    negative ids, or (``vocab_size``) ids the model has no embedding for."""
    if features != 1:
        raise UserError(f"tokens=true needs one token id per step; {where} has {features} "
                        "features per step")
    bad = (x % 1 != 0) | (x < 0)
    if bad.any():
        raise UserError(f"{where} holds {x[bad][0]:g}: token ids must be whole numbers >= 0")
    ids = x.astype(np.int64)
    if vocab_size and ids.max(initial=0) >= vocab_size:
        raise UserError(f"{where} holds the token id {ids.max()}, but the model was fitted on "
                        f"ids 0 .. {vocab_size - 1}")
    return ids


def _identity(columns: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    return (0.0,) * columns, (1.0,) * columns


def _labels(ys: list[Any], per_step: bool, where: str) -> np.ndarray:
    """Every label as one flat array (per-step labels concatenated)."""
    items = [np.asarray(y) for y in ys]
    ndim = 1 if per_step else 0
    for i, item in enumerate(items):
        if item.ndim != ndim:
            raise UserError(f"{where}[{i}] has shape {item.shape}: a classifier needs one label "
                            f"per {'step' if per_step else 'sequence'}")
    return np.concatenate([item.reshape(-1) for item in items])


def _label_type(flat: np.ndarray, where: str) -> str:
    kind = flat.dtype.kind
    if kind == "b":
        return "bool"
    if kind in "iu":
        return "int"
    if kind in "US":
        return "str"
    if kind == "f":
        if not np.isfinite(flat).all():
            raise UserError(f"{where} holds NaN or inf labels")
        if (flat % 1 == 0).all():
            return "float"
        raise UserError(f"Unknown label type: {where} holds real numbers (e.g. "
                        f"{flat[flat % 1 != 0][0]:g}); a classifier needs integer or text "
                        "labels (kind=regress predicts real values)")
    if kind == "O" and all(isinstance(v, str) for v in flat):
        return "str"
    raise UserError(f"Unknown label type: {where} has dtype {flat.dtype}; a classifier needs "
                    "integer, boolean or text labels")


def _label_text(flat: np.ndarray, label_type: str) -> np.ndarray:
    if label_type in ("int", "float"):
        return np.array([str(int(v)) if label_type == "int" else repr(float(v)) for v in flat])
    return flat.astype(str)


def _fit_classes(ys: list[Any], per_step: bool) -> dict[str, Any]:
    flat = _labels(ys, per_step, "y")
    label_type = _label_type(flat, "y")
    values = np.unique(flat.astype(str) if label_type == "str" else flat)
    if len(values) < 2:
        raise UserError(f"y has only one class ({values[0]!r}): a classifier needs at least "
                        "two classes")
    return {"classes": tuple(str(c) for c in _label_text(values, label_type)),
            "label_type": label_type}


def _class_ids(ys: list[Any], params: ArrayParams, where: str) -> Any:
    """Class ids: (N,), or per step a list of (T_i,)."""
    flat = _labels(ys, params.per_step, where)
    given = _label_type(flat, where)
    if {given, params.label_type} == {"int", "float"}:
        given = params.label_type
    index = {c: i for i, c in enumerate(params.classes)}
    text = _label_text(flat, given)
    unknown = sorted(set(text) - set(index))
    if unknown:
        raise UserError(f"{where} holds label(s) {', '.join(unknown[:3])} that the model was not "
                        f"fitted on (its classes: {', '.join(params.classes[:10])})")
    ids = np.array([index[t] for t in text], dtype=np.int64)
    if not params.per_step:
        return ids
    return np.split(ids, np.cumsum([len(y) for y in ys])[:-1])


def _real_targets(ys: list[Any], where: str) -> list[np.ndarray]:
    out = []
    for i, y in enumerate(ys):
        v = np.asarray(y)
        if v.dtype.kind not in "biuf":
            raise UserError(f"{where}[{i}] must hold numbers for a regression, got dtype {v.dtype}")
        v = v.astype(np.float64)
        if not np.isfinite(v).all():
            raise UserError(f"{where} holds NaN or inf (item {i})")
        out.append(v)
    return out
