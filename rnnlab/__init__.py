"""rnnlab: feed-forward, recurrent and LSTM networks, built, trained and shown.

``rnnlab.SequenceClassifier``, ``rnnlab.SequenceRegressor``, ``rnnlab.Forecaster`` and
``rnnlab.LanguageModel`` (scikit-learn-style estimators, see :mod:`rnnlab.estimators`) are
imported on first use, so ``import rnnlab`` stays light.
"""

from typing import Any

_ESTIMATORS = ("Forecaster", "LanguageModel", "SequenceClassifier", "SequenceRegressor")


def __getattr__(name: str) -> Any:
    if name in _ESTIMATORS:
        from rnnlab import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module 'rnnlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_ESTIMATORS])
