"""What the two estimators share: hyper-parameters, fitting with rnnlab's loop, save and load.

An estimator is a thin layer: ``fit`` builds the ``arrays`` task (:mod:`rnnlab.tasks.arrays`,
which fits the scaling and the class names on the training split and records them), builds the
model from a :class:`~rnnlab.models.ModelConfig` and trains it with :func:`rnnlab.train.train`
under a :class:`~rnnlab.train.TrainConfig`. Nothing of the loop is re-implemented: progress,
validation, best/ and last/ checkpoints (with ``out_dir``), early stopping (``patience``),
``stop_when`` and callbacks are the loop's.

``__init__`` only stores its arguments (scikit-learn's rule), so ``get_params``/``set_params``,
``sklearn.base.clone``, ``Pipeline`` and ``GridSearchCV`` work; everything is checked in
``fit``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnnlab.errors import UserError
from rnnlab.estimators.inputs import Inputs, convert, is_dataset
from rnnlab.models import build_model
from rnnlab.models.config import ModelConfig
from rnnlab.tasks.array_data import to_numpy
from rnnlab.tasks.arrays import ArrayTask
from rnnlab.train import TrainConfig, checkpoint_meta, load_checkpoint, rebuild_model, train
from rnnlab.train.checkpoint import save_checkpoint
from rnnlab.train.predict import predict_items
from rnnlab.utils import seed_everything

try:
    from sklearn.base import BaseEstimator
except ImportError:  # the estimators need scikit-learn; the rest of rnnlab does not
    raise ImportError("rnnlab's estimators need scikit-learn: pip install 'rnnlab[data]'"
                      ) from None

DEFAULT_STEPS = 500  # the step limit when none of steps, epochs, minutes is given
# The uniform-stack arguments a layer list replaces, and their defaults here.
STACK_DEFAULTS = {"family": "lstm", "hidden_size": 64, "num_layers": 1, "bidirectional": False}


class NetworkEstimator(BaseEstimator):
    """What every rnnlab estimator shares: its hyper-parameters as a model config and a training
    config (the subclass's ``__init__`` stores them), and the fitted check."""

    def _model_options(self) -> dict[str, Any]:
        """The ModelConfig fields given besides the stack's (``model_options``)."""
        return dict(self.model_options or {})

    def model_config(self) -> ModelConfig:
        """The :class:`~rnnlab.models.ModelConfig` these hyper-parameters describe."""
        options = self._model_options()
        if self.layers:
            changed = [k for k, v in STACK_DEFAULTS.items() if getattr(self, k, v) != v]
            if changed:
                raise UserError(f"{', '.join(changed)} cannot be set with layers: give each "
                                "layer its own size and options (lstm:64:bidirectional)")
            return ModelConfig(layers=(self.layers,), dropout=self.dropout, **options)
        return ModelConfig(family=self.family, hidden_size=self.hidden_size,
                           num_layers=self.num_layers,
                           bidirectional=getattr(self, "bidirectional", False),
                           dropout=self.dropout, **options)

    def train_config(self) -> TrainConfig:
        """The :class:`~rnnlab.train.TrainConfig` these hyper-parameters describe."""
        steps = self.steps
        if steps is None:
            steps = 0 if (self.epochs or self.minutes) else DEFAULT_STEPS
        values: dict[str, Any] = {
            "lr": self.lr, "batch_size": self.batch_size, "steps": steps, "epochs": self.epochs,
            "minutes": self.minutes, "patience": self.patience, "seed": self.seed,
            "device": self.device, "progress": bool(self.verbose), "tensorboard": False,
            "out_dir": os.fspath(self.out_dir) if self.out_dir is not None else "",
            "overwrite": self.out_dir is not None,
        }
        values.update(self.train_options or {})
        return TrainConfig(**values)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")


class SequenceEstimator(NetworkEstimator):
    """The common part of :class:`SequenceClassifier` and :class:`SequenceRegressor`.

    Model: ``family`` (rnn | lstm | gru | mlp), ``hidden_size``, ``num_layers``,
    ``bidirectional``, ``dropout``; or ``layers``, a layer list ("dense:32, lstm:64:peephole,
    gru:16"; it replaces family, hidden_size, num_layers and bidirectional); ``model_options``:
    any other :class:`~rnnlab.models.ModelConfig` field, e.g. ``{"peephole": True}``.

    Training: ``lr``, ``batch_size``; limits ``steps`` (None: 500 unless ``epochs`` or
    ``minutes`` is given), ``epochs``, ``minutes``; ``patience`` (early stopping on the
    validation loss, best weights restored); ``validation_fraction`` of the sequences held
    out when ``fit`` gets no ``validation_data``; ``train_options``: any other
    :class:`~rnnlab.train.TrainConfig` field, e.g. ``{"clip_grad_norm": 1.0}``; ``seed``
    (initial weights, data order, held-out choice); ``device``.

    Data: ``standardize`` inputs (and regression targets) with the training split's mean and
    std; ``per_step``: a target at every step; ``id_column`` and ``time_column``: X is a
    pandas DataFrame in long format, one row per step, and these name the columns of each
    row's sequence and of its order (see :mod:`rnnlab.estimators.inputs`; a DataFrame with a
    2-level (instance, time) index needs neither); ``tokens``: each step is one integer token
    id, which the model embeds (``model_options={"embedding_dim": 16}``; None: True for a torch
    Dataset of 1-D integer x, else False). Output: ``out_dir`` (None: nothing is written;
    else the run folder, replaced by each fit), ``verbose`` (a progress bar).
    """

    _kind = ""  # classify | regress

    def __init__(
        self,
        family: str = "lstm",
        hidden_size: int = 64,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        layers: str = "",
        model_options: dict[str, Any] | None = None,
        lr: float = 5e-3,
        batch_size: int = 32,
        steps: int | None = None,
        epochs: int = 0,
        minutes: float = 0.0,
        patience: int = 0,
        validation_fraction: float = 0.1,
        train_options: dict[str, Any] | None = None,
        standardize: bool = True,
        per_step: bool = False,
        id_column: str | None = None,
        time_column: str | None = None,
        tokens: bool | None = None,
        seed: int = 0,
        device: str = "cpu",
        out_dir: str | os.PathLike[str] | None = None,
        verbose: bool = False,
    ) -> None:
        self.family = family
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.layers = layers
        self.model_options = model_options
        self.lr = lr
        self.batch_size = batch_size
        self.steps = steps
        self.epochs = epochs
        self.minutes = minutes
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.train_options = train_options
        self.standardize = standardize
        self.per_step = per_step
        self.id_column = id_column
        self.time_column = time_column
        self.tokens = tokens
        self.seed = seed
        self.device = device
        self.out_dir = out_dir
        self.verbose = verbose

    def _task_params(self, validation: bool, tokens: bool) -> dict[str, Any]:
        return {"kind": self._kind, "per_step": self.per_step, "standardize": self.standardize,
                "valid_fraction": 0.0 if validation else self.validation_fraction,
                "split_seed": self.seed, "tokens": tokens}

    def _inputs(self, X: Any, y: Any, *, need_y: bool = True, fitted: bool = False) -> Inputs:
        """X and y as arrays, from a long DataFrame or a torch Dataset too; once fitted, a
        long DataFrame must have the feature columns the estimator was fitted on."""
        columns = tuple(getattr(self, "_columns", ())) if fitted else ()
        return convert(X, y, id_column=self.id_column, time_column=self.time_column,
                       per_step=self.per_step, columns=columns, need_y=need_y)

    # -- fit ------------------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, validation_data: Sequence[Any] | None = None, *,
            lengths: Any = None, callbacks: Sequence[Any] | None = None) -> SequenceEstimator:
        """Train on sequences ``X`` and targets ``y`` (a torch Dataset of (x, y) items: no y);
        ``validation_data`` = (X_valid, y_valid) or (X_valid, y_valid, lengths_valid), or a
        Dataset; ``lengths`` for a padded ``X``; ``callbacks`` as :func:`rnnlab.train.train`
        takes them. Returns self."""
        given = self._inputs(X, y)
        tokens = given.tokens if self.tokens is None else bool(self.tokens)
        arrays: dict[str, Any] = {"X": given.X, "y": self._check_y(to_numpy(given.y, "y")),
                                  "lengths": lengths}
        if validation_data is not None:
            arrays.update(self._validation(validation_data))
        task = ArrayTask(arrays=arrays, **self._task_params(validation_data is not None, tokens))
        model_config, train_config = self.model_config(), self.train_config()
        seed_everything(self.seed)  # the initial weights are part of the seed
        model = build_model(model_config, task.spec)
        result = train(model, task, train_config, callbacks=callbacks)
        self._set_fitted(model, task, train_config, *_input_width(given), given.columns)
        self.history_ = result.history
        self.stop_reason_ = result.stop_reason
        self.n_steps_ = result.steps
        return self

    def _validation(self, data: Any) -> dict[str, Any]:
        """The X_valid, y_valid, lengths_valid of ``validation_data``."""
        if is_dataset(data):
            valid = self._inputs(data, None)
            return {"X_valid": valid.X, "y_valid": valid.y}
        if not isinstance(data, list | tuple) or len(data) not in (2, 3):
            raise UserError("validation_data must be (X_valid, y_valid) or "
                            "(X_valid, y_valid, lengths_valid), or a torch Dataset")
        valid = self._inputs(data[0], data[1])
        return {"X_valid": valid.X, "y_valid": valid.y,
                "lengths_valid": data[2] if len(data) == 3 else None}

    def _check_y(self, y: Any) -> Any:
        return y

    def _set_fitted(self, model: Any, task: ArrayTask, train_config: TrainConfig,
                    n_features: int, table: bool, columns: tuple[str, ...] = ()) -> None:
        self.model_ = model.eval()
        self.task_ = ArrayTask(read=False, **task.params.to_dict())  # what was fitted, no data
        self.train_config_ = train_config
        self.n_features_in_ = n_features
        self._table = table  # fitted on a 2-D array: its columns (steps) are its features
        self._columns = tuple(columns)  # fitted on a long DataFrame: its feature columns

    def _predict_items(self, X: Any, lengths: Any = None) -> list[np.ndarray]:
        self._check_fitted()
        given = self._inputs(X, None, need_y=False, fitted=True)
        width, table = _input_width(given)
        if table and self._table and width != self.n_features_in_:
            # scikit-learn's rule for 2-D arrays (a table: its columns are fixed); sequences of
            # other lengths are given as a list or as (N, T, 1)
            raise UserError(f"X has {width} features, but {type(self).__name__} is expecting "
                            f"{self.n_features_in_} features as input (a 2-D X is N sequences "
                            "of T steps: give other lengths as a list or as (N, T, 1))")
        return predict_items(self.model_, self.task_, self.task_.input_batches(given.X, lengths))

    def _scored(self, X: Any, y: Any) -> tuple[Any, Any]:
        """``score``'s X and y as arrays in one order (a long DataFrame's y aligned by id, a
        Dataset's y from its items)."""
        given = self._inputs(X, y, fitted=True)
        return given.X, given.y

    # -- save, load -----------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write an rnnlab checkpoint folder (``rnnlab evaluate PATH --data FILE.npz`` scores
        it); :meth:`load` reads it back. Returns the folder."""
        self._check_fitted()
        meta = checkpoint_meta(self.model_, self.task_, self.train_config_,
                               step=int(getattr(self, "n_steps_", 0)),
                               estimator={"class": type(self).__name__,
                                          "params": _json_params(self.get_params()),
                                          "n_features_in": int(self.n_features_in_),
                                          "table": bool(self._table),
                                          "columns": list(self._columns)})
        return save_checkpoint(path, self.model_, meta)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Any:
        """The estimator saved at ``path`` (or any checkpoint of the ``arrays`` task, e.g. of
        ``rnnlab train --data``), ready to predict; nothing is read but the checkpoint."""
        ckpt = load_checkpoint(path, load_state=False)
        if ckpt.task_name != ArrayTask.name:
            raise UserError(f"{ckpt.path} is a model of the task {ckpt.task_name!r}; an "
                            "estimator loads models of the 'arrays' task")
        task = ArrayTask(read=False, **ckpt.task_params)
        if task.params.kind != cls._kind:
            raise UserError(f"{ckpt.path} holds a model that does {task.params.kind}, not "
                            f"{cls._kind}: load it with the other estimator")
        saved = ckpt.meta.get("estimator") if isinstance(ckpt.meta.get("estimator"), dict) else {}
        estimator = cls(**_known_params(cls, saved.get("params"), ckpt.model_config))
        n_features = saved.get("n_features_in", task.params.features)
        columns = saved.get("columns")
        columns = tuple(str(c) for c in columns) if isinstance(columns, list) else ()
        estimator._set_fitted(rebuild_model(ckpt), task, ckpt.train_config,
                              int(n_features) if isinstance(n_features, int) else 0,
                              saved.get("table") is True, columns)
        return estimator


def _input_width(given: Inputs) -> tuple[int, bool]:
    """``n_features_in_`` — X.shape[1] for a 2-D array (scikit-learn's meaning), else F — and
    whether X is a 2-D array (a table). Sequences from a DataFrame or a Dataset are never a
    table, token ids are one feature."""
    if given.tokens:
        return 1, False
    X = to_numpy(given.X, "X")
    if given.sequences:
        first = np.asarray(X[0])
        return (int(first.shape[1]) if first.ndim == 2 else 1), False
    if isinstance(X, list | tuple):
        with contextlib.suppress(TypeError, ValueError):  # a list of equal rows of numbers
            X = np.asarray(X, dtype=np.float64)           # is a 2-D array; ragged: sequences
    if isinstance(X, np.ndarray) and X.ndim in (2, 3) and not (X.dtype == object and X.ndim == 1):
        return int(X.shape[1] if X.ndim == 2 else X.shape[2]), X.ndim == 2
    try:
        first = np.asarray(to_numpy(X[0], "X[0]"))
    except (TypeError, IndexError, KeyError):
        return 0, False  # the task says what is wrong with X
    return (int(first.shape[1]) if first.ndim == 2 else 1), False


def _json_params(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in params.items():
        value = os.fspath(value) if isinstance(value, os.PathLike) else value
        try:
            json.dumps(value)
        except TypeError:
            continue  # not storable: the default is used on load
        out[key] = value
    return out


def _known_params(cls: type, params: Any, model_config: ModelConfig | None) -> dict[str, Any]:
    """The estimator's saved hyper-parameters; for a checkpoint the command line wrote, the
    model's own settings."""
    names = cls().get_params()
    if isinstance(params, dict):
        return {k: v for k, v in params.items() if k in names}
    if model_config is None:
        return {}
    if model_config.layers:
        return {"layers": ", ".join(model_config.layers), "dropout": model_config.dropout}
    return {k: getattr(model_config, k) for k in
            ("family", "hidden_size", "num_layers", "bidirectional", "dropout")}
