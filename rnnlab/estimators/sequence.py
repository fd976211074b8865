"""``SequenceClassifier`` and ``SequenceRegressor``: rnnlab's networks with scikit-learn's API.

    from rnnlab import SequenceClassifier
    clf = SequenceClassifier(family="lstm", hidden_size=32, epochs=30).fit(X_train, y_train)
    clf.predict(X_test), clf.predict_proba(X_test), clf.score(X_test, y_test)
    clf.save("runs/mine")                      # rnnlab evaluate runs/mine --data test.npz
    SequenceClassifier.load("runs/mine").predict(X_test)

X: (N, T, F), (N, T) univariate sequences, or a list of (T_i, F) arrays (numpy, torch or
lists); y: labels of any type (classifier; ``classes_`` in sorted order) or real values (N,) /
(N, K) (regressor). The hyper-parameters are :class:`~rnnlab.estimators.base.SequenceEstimator`'s.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.exceptions import DataConversionWarning

from rnnlab.estimators.base import SequenceEstimator


def _stack(items: list[np.ndarray]) -> Any:
    """Items of equal shape as one array; per-step items of different lengths stay a list."""
    if len({item.shape for item in items}) <= 1:
        return np.stack(items) if items else np.array([])
    return items


class SequenceClassifier(ClassifierMixin, SequenceEstimator):
    """Classify whole sequences (or, with ``per_step=True``, every step) by an rnnlab network.

    Fitted attributes: ``classes_`` (the labels, sorted, in their own type),
    ``n_features_in_``, ``model_`` (the network), ``task_`` (what was fitted: scaling, classes),
    ``history_`` (the training records), ``stop_reason_``, ``n_steps_``.
    """

    _kind = "classify"

    def _check_y(self, y: Any) -> Any:
        """A column (N, 1) of labels is taken as (N,), with scikit-learn's warning."""
        if not self.per_step and isinstance(y, np.ndarray) and y.ndim == 2 and y.shape[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected; it is "
                          "taken as (N,) labels", DataConversionWarning, stacklevel=3)
            return y.ravel()
        return y

    @property
    def classes_(self) -> np.ndarray:
        self._check_fitted()
        return self.task_.class_values()

    def predict_proba(self, X: Any, lengths: Any = None) -> Any:
        """Class probabilities (N, K) (per step: (N, T, K), or a list of (T_i, K))."""
        return _stack(self._predict_items(X, lengths))

    def predict(self, X: Any, lengths: Any = None) -> Any:
        """The most probable label of each sequence (N,) (per step: (N, T) or a list)."""
        classes = self.classes_
        return _stack([classes[p.argmax(-1)] for p in self._predict_items(X, lengths)])

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Accuracy (over every step when ``per_step``)."""
        X, y = self._scored(X, y)
        if not self.per_step:
            return float(super().score(X, y, sample_weight=sample_weight))
        pred = np.concatenate([np.ravel(p) for p in self.predict(X)])
        return float(np.mean(pred == np.concatenate([np.ravel(t) for t in y])))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


class SequenceRegressor(RegressorMixin, SequenceEstimator):
    """Predict real values, one or K per sequence (or per step), by an rnnlab network.

    Fitted attributes: ``n_features_in_``, ``model_``, ``task_`` (scaling of inputs and
    targets), ``history_``, ``stop_reason_``, ``n_steps_``.
    """

    _kind = "regress"

    def predict(self, X: Any, lengths: Any = None) -> Any:
        """Predictions in the targets' units: (N,) or (N, K) as y was (per step: (N, T[, K]))."""
        return _stack(self._predict_items(X, lengths))

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """R² (averaged over targets; over every step when ``per_step``)."""
        X, y = self._scored(X, y)
        if not self.per_step:
            return float(super().score(X, y, sample_weight=sample_weight))
        from sklearn.metrics import r2_score

        pred = np.concatenate([np.asarray(p).reshape(len(p), -1) for p in self.predict(X)])
        true = np.concatenate([np.asarray(t).reshape(len(t), -1) for t in y])
        return float(r2_score(true, pred))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.multi_output = True
        return tags
