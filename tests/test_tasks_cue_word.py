"""Cue-word prediction: the cue decides the answer, the filler does not, gaps are respected."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnlab.errors import UserError
from rnnlab.tasks import make_task
from rnnlab.tasks.cue_word import ANSWERS, CUES, VOCAB


def lengths_of(batch):
    if batch.lengths is not None:
        return batch.lengths
    return torch.full((batch.size,), batch.x.shape[1])


def sentences(task, n, seed=0, split="test"):
    """(input ids, answer id) per sentence of the fixed split."""
    out = []
    for batch in task.batches(split, 256, seed):
        ends = lengths_of(batch)
        for b in range(batch.size):
            out.append((batch.x[b, : ends[b]].tolist(), int(batch.y[b, ends[b] - 1])))
        if len(out) >= n:
            break
    return out[:n]


def test_the_cue_decides_the_last_word():
    task = make_task("cue-word", gap=(2, 12), n_answers=8, eval_size=500)
    answers = set()
    for x, answer in sentences(task, 500):
        cue = VOCAB[x[0]]
        assert cue in CUES
        assert VOCAB[answer] == ANSWERS[CUES.index(cue)]
        assert not {VOCAB[i] for i in x[1:]} & (set(CUES) | set(ANSWERS))  # no other cue
        answers.add(VOCAB[answer])
    assert answers == set(ANSWERS)


def test_n_answers_limits_the_cues_and_sets_chance():
    task = make_task("cue-word", n_answers=3, eval_size=300)
    assert task.chance == pytest.approx(1 / 3)
    assert {VOCAB[x[0]] for x, _ in sentences(task, 300)} == set(CUES[:3])
    assert make_task("cue-word", n_answers=8).spec.vocab == task.spec.vocab  # vocab is fixed


@pytest.mark.parametrize("gap", [2, 3, 9, 40])
def test_fixed_gap_is_respected(gap):
    task = make_task("cue-word", gap=(2, 20)).at_gap(gap)
    assert task.params.gap == gap
    batch = next(task.batches("test", 64, 0))
    assert batch.lengths is None and batch.x.shape[1] == gap + 1  # cue, gap words, (answer)
    assert (batch.extra["gap"] == gap).all()
    for x in batch.x:
        words = [VOCAB[i] for i in x]
        assert words[0] in CUES and not set(words[1:]) & set(CUES)


def test_gap_range_is_covered_and_lengths_given():
    task = make_task("cue-word", gap=(3, 8), eval_size=400)
    gaps = Counter()
    for batch in task.batches("test", 100):
        assert batch.lengths is not None
        assert torch.equal(batch.extra["gap"], batch.lengths - 1)
        gaps.update(batch.extra["gap"].tolist())
    assert set(gaps) == set(range(3, 9))


def test_filler_carries_no_information_about_the_answer():
    """Chi-square test of independence between the answer and the words before it."""
    task = make_task("cue-word", gap=(4, 10), n_answers=4, eval_size=4000)
    table = torch.zeros(4, len(VOCAB))
    for x, answer in sentences(task, 4000):
        for word in x[1:]:
            table[ANSWERS.index(VOCAB[answer]), word] += 1
    table = table[:, table.sum(0) >= 20]  # words frequent enough for the test
    expected = table.sum(1, keepdim=True) * table.sum(0, keepdim=True) / table.sum()
    chi2 = float(((table - expected) ** 2 / expected).sum())
    df = (table.shape[0] - 1) * (table.shape[1] - 1)
    assert df > 100 and chi2 / df < 1.4  # independence: chi2 / df is 1 +- sqrt(2 / df)


def window_model_accuracy(task, k, n_train=3000, n_test=1000):
    """A k-word window 'model' fitted by counting: naive Bayes over the last k input words."""
    n = task.params.n_answers
    answer_ids = [VOCAB.index(a) for a in ANSWERS[:n]]
    counts = torch.ones(k, len(VOCAB), n)  # add-one smoothing
    for x, answer in sentences(task, n_train, split="train"):
        for j, word in enumerate(x[-k:]):
            counts[j, word, answer_ids.index(answer)] += 1
    log_p = (counts / counts.sum(1, keepdim=True)).log()
    test = sentences(task, n_test)
    hits = 0
    for x, answer in test:
        scores = sum(log_p[j, word] for j, word in enumerate(x[-k:]))
        hits += answer_ids[int(scores.argmax())] == answer
    return hits / len(test)


def test_a_window_model_is_at_chance_unless_the_window_reaches_the_cue():
    gap = 3
    task = make_task("cue-word", gap=gap, n_answers=4, eval_size=1000)
    for k in (1, 2, 3):  # the cue is gap + 1 = 4 words before the answer
        assert abs(window_model_accuracy(task, k) - task.chance) < 0.06, k
    assert window_model_accuracy(task, gap + 1) > 0.97  # a window that holds the cue


def test_scores_perfect_and_chance_outputs():
    task = make_task("cue-word", gap=(2, 8), n_answers=4, eval_size=200)
    V = len(VOCAB)
    sums: dict[str, float] = defaultdict(float)
    for batch in task.batches("test", 50):
        for k, v in task.score(F.one_hot(batch.y, V).float() * 30, batch).items():
            sums[k] += v
    perfect = task.summarize(dict(sums))
    assert perfect["accuracy"] == 1.0 and perfect["loss"] < 1e-6 and perfect["chance"] == 0.25

    answer_ids = [VOCAB.index(a) for a in ANSWERS[:4]]
    sums = defaultdict(float)
    for batch in task.batches("test", 50):
        out = torch.zeros(*batch.y.shape, V)
        out[..., answer_ids] = 50.0  # knows the answers, not which: ln 4 on the last word
        for k, v in task.score(out, batch).items():
            sums[k] += v
        assert task.loss(out, batch).item() > 1.0  # every other step is wrong
    guess = task.summarize(dict(sums))
    assert math.isclose(guess["answer_loss"], math.log(4), rel_tol=1e-5)
    assert guess["accuracy"] <= 0.5


def test_decode_reads_a_sentence():
    task = make_task("cue-word", gap=5)
    text = task.decode(next(task.batches("test", 1)).x[0])
    words = text.split()
    assert len(words) == 6 and words[0] in CUES and words[1][0].isupper()


def test_encode_reads_the_issue_prompt_and_names_unknown_words():
    task = make_task("cue-word")
    ids = task.encode("Starving, Alice drives to the nearest store to buy")
    assert task.decode(ids) == "starving Alice drives to the nearest store to buy"
    with pytest.raises(UserError, match="zebra"):
        task.encode("starving zebra buys")


def test_two_word_verb_phrase_keeps_the_gap():
    task = make_task("cue-word", gap=7)
    rng = np.random.default_rng(3)
    sentences = [task.sentence(rng) for _ in range(200)]
    assert all(len(s) == 7 + 2 for s in sentences)
    assert any(s[-3] == "to" for s in sentences) and any(s[-3] != "to" for s in sentences)
