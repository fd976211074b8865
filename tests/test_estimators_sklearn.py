"""scikit-learn's own estimator checks, on 2-D inputs (N univariate sequences of length T).

Every check passes. A check that cannot would go into EXPECTED_FAILURES with a one-line reason
(and into docs/your-data.md); the list is empty.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # about 4 minutes: 106 checks, a few of which train for 300 steps

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from rnnlab import SequenceClassifier, SequenceRegressor  # noqa: E402

FAST = {"hidden_size": 16, "steps": 300, "lr": 0.02, "validation_fraction": 0.0}

EXPECTED_FAILURES: dict[str, str] = {
}


def expected_failed_checks(estimator):
    return EXPECTED_FAILURES


@parametrize_with_checks([SequenceClassifier(**FAST), SequenceRegressor(**FAST)],
                         expected_failed_checks=expected_failed_checks)
def test_sklearn_check(estimator, check):
    check(estimator)
