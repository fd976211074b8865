"""Estimators with scikit-learn's API: :class:`SequenceClassifier`, :class:`SequenceRegressor`.

They need scikit-learn (``pip install 'rnnlab[data]'``); ``rnnlab.SequenceClassifier`` imports
them on first use.
"""

from rnnlab.estimators.base import SequenceEstimator
from rnnlab.estimators.sequence import SequenceClassifier, SequenceRegressor

__all__ = ["SequenceClassifier", "SequenceEstimator", "SequenceRegressor"]
