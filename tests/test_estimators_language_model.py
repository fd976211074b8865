"""``rnnlab.LanguageModel``: the text task with an estimator's interface.

Its scores are the text task's (the validation loss the loop reports equals minus ``score`` on
the same tokens); it fits a string or a file, predicts, generates, pickles, saves and loads,
and a checkpoint of ``rnnlab train --task text`` loads as one. scikit-learn's estimator checks
do not apply (fit takes one text); get_params, set_params and clone do.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone

import rnnlab
from rnnlab import LanguageModel
from rnnlab.cli import main
from rnnlab.errors import UserError
from rnnlab.tasks.text import TextTask
from rnnlab.train import evaluate

TEXT = "the cat sat on the mat. the dog sat on the log. " * 30
SMALL = {"seq_len": 20, "hidden_size": 16, "embedding_dim": 8, "steps": 40, "lr": 0.01,
         "batch_size": 8}


def test_exported_and_params_round_trip():
    assert rnnlab.LanguageModel is LanguageModel
    lm = LanguageModel(level="word", hidden_size=32)
    params = lm.get_params()
    assert (params["level"], params["hidden_size"]) == ("word", 32)
    assert clone(lm).get_params() == params
    assert lm.set_params(seq_len=7).seq_len == 7


def test_score_is_the_text_tasks_validation_loss(tmp_path):
    (tmp_path / "t.txt").write_text(TEXT)
    lm = LanguageModel(**SMALL).fit(tmp_path / "t.txt")
    task = TextTask(path=str(tmp_path / "t.txt"), seq_len=20)
    valid = evaluate(lm.model_, task, "valid")
    n_train = int(len(TEXT) * 0.9)
    held_out = TEXT[n_train - 1 :]  # the validation stream starts from the last training char
    assert lm.score(held_out) == pytest.approx(-valid["loss"], rel=1e-5)
    assert lm.perplexity(held_out) == pytest.approx(valid["perplexity"], rel=1e-5)


def test_fit_a_string_predict_generate_pickle_save_load(tmp_path):
    lm = LanguageModel(**SMALL, level="word").fit(TEXT)
    assert lm.classes_[0] == "<unk>" and "cat" in set(lm.classes_)
    proba = lm.predict_proba("the cat sat on")
    assert proba.shape == (len(lm.classes_),) and proba.sum() == pytest.approx(1.0, abs=1e-6)
    assert lm.predict("the cat sat on") == lm.classes_[int(np.argmax(proba))]
    text = lm.generate("the", length=6, temperature=0.8, seed=3)
    assert text == lm.generate("the", length=6, temperature=0.8, seed=3)
    assert len(text.split()) == 6
    again = pickle.loads(pickle.dumps(lm))
    assert np.array_equal(again.predict_proba("the dog"), lm.predict_proba("the dog"))
    loaded = LanguageModel.load(lm.save(tmp_path / "lm"))
    assert loaded.get_params() == lm.get_params()
    assert np.allclose(loaded.predict_proba("the dog"), lm.predict_proba("the dog"))
    assert loaded.task_.params["path"] == ""  # the text was a string: no file recorded
    assert main(["generate", str(tmp_path / "lm"), "--prompt", "the cat", "--length", "3"]) == 0


def test_a_command_line_language_model_loads(tmp_path, capsys):
    (tmp_path / "t.txt").write_text(TEXT)
    assert main(["train", "--data", str(tmp_path / "t.txt"), "-p", "seq_len=20",
                 "--hidden-size", "8", "--embedding-dim", "4", "--steps", "5", "--out-dir",
                 str(tmp_path / "run"), "--no-progress"]) == 0
    lm = LanguageModel.load(tmp_path / "run")
    assert (lm.hidden_size, lm.embedding_dim, lm.seq_len) == (8, 4, 20)
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "run"), "--json"]) == 0
    import json

    loss = json.loads(capsys.readouterr().out)["loss"]
    assert lm.score(TEXT[int(len(TEXT) * 0.9) - 1 :]) == pytest.approx(-loss, rel=1e-5)


def test_bad_input_is_one_clear_line(tmp_path):
    lm = LanguageModel(**SMALL).fit(TEXT)
    cases = [
        (lambda: LanguageModel(**SMALL).fit(TEXT, y=[1, 2]), ["leave y out"]),
        (lambda: LanguageModel(**SMALL).fit(tmp_path / "missing.txt"), ["not found"]),
        (lambda: LanguageModel(**SMALL).fit(123), ["got int"]),
        (lambda: LanguageModel(**SMALL).fit("tiny"), ["the text given to fit is too short"]),
        (lambda: LanguageModel(**SMALL).fit("corpus.txt"), ["text file not found: corpus.txt"]),
        (lambda: lm.predict("zebra"), ["not in the training vocabulary", "'z'"]),
        (lambda: lm.score("t"), ["at least two"]),
        (lambda: LanguageModel.load(tmp_path), []),
    ]
    for run, words in cases:
        with pytest.raises(ValueError) as info:
            run()
        assert isinstance(info.value, UserError) and "\n" not in str(info.value), info.value
        for word in words:
            assert word in str(info.value)


@pytest.mark.learning
def test_a_language_model_learns_a_repetitive_text(seed):
    lm = LanguageModel(seq_len=25, hidden_size=32, embedding_dim=16, steps=200, lr=0.01,
                       batch_size=16, seed=seed).fit(TEXT)
    # 14 different characters: a uniform guess has perplexity 14; the text repeats a
    # 49-character sentence pair, so a model that learned it is near 1
    assert lm.perplexity(TEXT[-200:]) < 2.0 < 14 == len(set(TEXT))
    assert math.isfinite(lm.score(TEXT[:50]))
