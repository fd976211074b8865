"""Estimators with scikit-learn's API: :class:`SequenceClassifier`, :class:`SequenceRegressor`,
:class:`Forecaster` (fit a series, predict its future), :class:`LanguageModel` (fit a text,
predict, generate, score).

They need scikit-learn (``pip install 'rnnlab[data]'``); ``rnnlab.SequenceClassifier`` imports
them on first use.
"""

from rnnlab.estimators.base import NetworkEstimator, SequenceEstimator
from rnnlab.estimators.forecaster import Forecaster
from rnnlab.estimators.language_model import LanguageModel
from rnnlab.estimators.sequence import SequenceClassifier, SequenceRegressor

__all__ = ["Forecaster", "LanguageModel", "NetworkEstimator", "SequenceClassifier",
           "SequenceEstimator", "SequenceRegressor"]
