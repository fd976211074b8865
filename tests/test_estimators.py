"""SequenceClassifier and SequenceRegressor: the scikit-learn API, save/load, the CLI on what
they save, and (learning) BasicMotions."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import torch

pytest.importorskip("sklearn")

from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import FunctionTransformer, Pipeline

import rnnlab
from rnnlab import SequenceClassifier, SequenceRegressor
from rnnlab.cli import main
from rnnlab.errors import UserError

SMALL = {"hidden_size": 8, "steps": 60, "lr": 0.02, "validation_fraction": 0.0}


def data(n=64, T=5, F=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, T, F))
    return X, np.where(X[:, :, 0].sum(1) > 0, "up", "down"), X[:, :, 1].sum(1)


def test_exported_from_rnnlab_and_params_are_the_constructor_arguments():
    assert rnnlab.SequenceClassifier is SequenceClassifier
    clf = SequenceClassifier(family="gru", hidden_size=12, layers="", lr=0.1)
    params = clf.get_params()
    assert params["family"] == "gru" and params["hidden_size"] == 12 and params["lr"] == 0.1
    copy = clone(clf)
    assert copy.get_params() == params and copy is not clf
    clf.set_params(hidden_size=3)
    assert clf.hidden_size == 3


def test_fit_predict_string_labels_and_classes():
    X, y, _ = data()
    clf = SequenceClassifier(**SMALL).fit(X, y)
    assert list(clf.classes_) == ["down", "up"] and clf.n_features_in_ == 2
    pred = clf.predict(X)
    assert pred.shape == (64,) and set(pred) <= {"down", "up"}
    proba = clf.predict_proba(X)
    assert proba.shape == (64, 2) and np.allclose(proba.sum(1), 1.0)
    assert 0.0 <= clf.score(X, y) <= 1.0


def test_inputs_as_2d_lists_tensors_and_ragged_lists():
    X, y, target = data()
    clf = SequenceClassifier(**SMALL).fit(torch.from_numpy(X), list(y))
    assert np.array_equal(clf.predict(X), clf.predict(torch.from_numpy(X).float()))
    ragged = [x[: 2 + i % 4] for i, x in enumerate(X)]
    assert SequenceClassifier(**SMALL).fit(ragged, y).predict(ragged).shape == (64,)
    reg = SequenceRegressor(**SMALL).fit(X[:, :, 1], target)  # 2-D: univariate sequences
    assert reg.n_features_in_ == 5 and reg.predict(X[:, :, 1]).shape == (64,)
    with pytest.raises(ValueError, match="X has 4 features, but SequenceRegressor is expecting 5"):
        reg.predict(X[:, :4, 1])


def test_regressor_multi_output_and_r2():
    X, _, target = data()
    Y = np.stack([target, -2 * target], 1)
    reg = SequenceRegressor(hidden_size=16, steps=200, lr=0.02, validation_fraction=0).fit(X, Y)
    assert reg.predict(X).shape == (64, 2)
    assert reg.score(X, Y) > 0.5


def test_validation_data_and_early_stopping_use_the_loop():
    X, y, _ = data()
    clf = SequenceClassifier(hidden_size=8, steps=400, lr=0.02, patience=2,
                             train_options={"eval_every": 10}).fit(X, y, (X[:16], y[:16]))
    assert clf.stop_reason_ in ("early_stopping", "steps")
    assert any(r["split"] == "valid" for r in clf.history_)


def test_save_load_round_trip_and_rnnlab_evaluate(tmp_path, capsys):
    X, y, _ = data()
    clf = SequenceClassifier(**SMALL).fit(X, y)
    clf.save(tmp_path / "clf")
    again = SequenceClassifier.load(tmp_path / "clf")
    assert np.array_equal(again.predict_proba(X), clf.predict_proba(X))
    assert again.get_params() == clf.get_params() and list(again.classes_) == ["down", "up"]
    with pytest.raises(UserError, match="load it with the other estimator"):
        SequenceRegressor.load(tmp_path / "clf")
    np.savez(tmp_path / "test.npz", X=X, y=y)
    assert main(["evaluate", str(tmp_path / "clf"), "--data", str(tmp_path / "test.npz"),
                 "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["accuracy"] == pytest.approx(clf.score(X, y), abs=1e-6)


def test_a_cli_run_loads_as_an_estimator(tmp_path):
    X, y, _ = data()
    np.savez(tmp_path / "d.npz", X=X, y=y)
    assert main(["train", "--data", str(tmp_path / "d.npz"), "--family", "gru",
                 "--hidden-size", "8", "--steps", "20", "--out-dir", str(tmp_path / "run"),
                 "--no-progress"]) == 0
    clf = SequenceClassifier.load(tmp_path / "run" / "last")
    assert clf.family == "gru" and clf.predict(X).shape == (64,)


def test_grid_search_cross_val_score_and_pipeline():
    X, y, _ = data()
    search = GridSearchCV(SequenceClassifier(**SMALL),
                          {"hidden_size": [4, 8], "family": ["lstm", "gru"]}, cv=2)
    search.fit(X[:, :, 0], y)
    assert set(search.best_params_) == {"hidden_size", "family"}
    scores = cross_val_score(SequenceRegressor(**SMALL), X[:, :, 1], X[:, :, 1].sum(1), cv=2)
    assert scores.shape == (2,) and np.isfinite(scores).all()
    pipe = Pipeline([("scale", FunctionTransformer(lambda a: a * 10.0)),
                     ("clf", SequenceClassifier(**SMALL))])
    assert pipe.fit(X[:, :, 0], y).predict(X[:, :, 0]).shape == (64,)


def test_layer_list_and_its_conflicts():
    X, y, _ = data()
    clf = SequenceClassifier(layers="dense:8, gru:8", steps=10).fit(X, y)
    assert clf.model_.config.layers == ("dense:8", "gru:8")
    with pytest.raises(UserError, match="hidden_size cannot be set with layers"):
        SequenceClassifier(layers="gru:8", hidden_size=3, steps=10).fit(X, y)


def test_not_fitted_and_bad_input():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SequenceClassifier().predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="requires y to be passed"):
        SequenceClassifier(**SMALL).fit(np.zeros((4, 3)), None)
    with pytest.raises(ValueError, match="Unknown label type"):
        SequenceClassifier(**SMALL).fit(np.zeros((4, 3)), [0.1, 0.2, 0.3, 0.4])


# -- learning: BasicMotions (sktime ships it; nothing is downloaded) ----------------------------

# 40 training series of 100 steps x 6 channels, 4 classes, 40 test series (docs/results.md)
BASIC_MOTIONS = {"family": "lstm", "hidden_size": 32, "bidirectional": True, "steps": 400,
                 "batch_size": 8, "lr": 0.01, "validation_fraction": 0.0,
                 "train_options": {"clip_grad_norm": 1.0, "schedule": "cosine", "min_lr": 5e-4}}


def basic_motions():
    datasets = pytest.importorskip("sktime.datasets")
    out = []
    for split in ("train", "test"):
        X, y = datasets.load_basic_motions(split=split, return_X_y=True, return_type="numpy3D")
        out += [X.transpose(0, 2, 1), y]  # (N, channels, T) -> (N, T, F)
    return out


@pytest.mark.slow
@pytest.mark.learning
def test_lstm_classifies_basic_motions(seed, no_network):
    X_train, y_train, X_test, y_test = basic_motions()
    start = time.perf_counter()
    clf = SequenceClassifier(**BASIC_MOTIONS, seed=seed).fit(X_train, y_train)
    accuracy = clf.score(X_test, y_test)
    # measured over seeds 0-23, the same on 1 and 2 threads (40 test series, 0.025 each):
    # 0.825 once, 0.90 three times, 0.925 three, 0.95 four, 0.975 nine, 1.0 four; chance is
    # 0.25. Twice or three times the steps move the spread, not its floor (0.85-0.90), so the
    # bar sits below the floor the seeds showed, not at the median (0.95 failed seed 1)
    assert accuracy >= 0.75, (seed, accuracy, time.perf_counter() - start)
