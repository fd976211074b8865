"""Memory horizon: a window MLP cannot see a cue beyond its window whatever its weights; the
probe's accuracy, chance level and horizon are right for models whose answers are known."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from rnnlab.errors import UserError
from rnnlab.inspect import memory_horizon, task_at_gap
from rnnlab.models import ModelConfig, build_model
from rnnlab.tasks import make_task
from rnnlab.tasks.base import TaskSpec
from rnnlab.tasks.cue_word import ANSWERS, CUES, VOCAB

EVAL = 200  # sentences per gap: a binomial standard error of ~0.03 around chance 0.25


class CueOracle(nn.Module):
    """Answers a cue-word sentence from its cue when the cue lies within the last ``window``
    inputs of the sentence (always, with window None); otherwise says ANSWERS[0]."""

    def __init__(self, spec: TaskSpec, window: int | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.window = window
        self.answer_of = torch.zeros(len(VOCAB), dtype=torch.long)
        for cue, answer in zip(CUES, ANSWERS, strict=True):
            self.answer_of[VOCAB.index(cue)] = VOCAB.index(answer)

    def forward(self, x: Tensor, lengths: Tensor | None = None, state=None):
        B, T = x.shape
        last = torch.full((B,), T - 1) if lengths is None else lengths - 1
        # the window of the last step covers last - window + 1 .. last; the cue sits at 0
        sees_cue = torch.ones(B, dtype=torch.bool) if self.window is None else last < self.window
        answer = torch.where(sees_cue, self.answer_of[x[:, 0]], VOCAB.index(ANSWERS[0]))
        out = torch.zeros(B, T, len(VOCAB))
        out[torch.arange(B), last, answer] = 1.0
        return out, None


def window_mlp(task, window: int, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    config = ModelConfig(family="mlp", hidden_size=16, window=window, embedding_dim=4)
    return build_model(config, task.spec).eval()


def test_a_window_mlp_is_blind_to_a_cue_beyond_its_window() -> None:
    """Whatever the (random) weights: swapping the cue changes nothing at the last step once
    the cue is more than ``window - 1`` steps back, and changes the output when it is not."""
    task = make_task("cue-word", gap=5, eval_size=32)
    k = 4
    for seed in range(3):
        model = window_mlp(task, k, seed)
        for gap, blind in ((k - 1, False), (k, True), (k + 5, True)):
            batch = next(iter(task_at_gap(task, gap).batches("test", 32)))
            swapped = batch.x.clone()
            swapped[:, 0] = VOCAB.index(CUES[0]) + (batch.x[:, 0] == VOCAB.index(CUES[0])).long()
            assert bool((swapped[:, 0] != batch.x[:, 0]).all())
            with torch.no_grad():
                a = model(batch.x)[0][:, -1]
                b = model(swapped)[0][:, -1]
            assert torch.equal(a, b) == blind, (seed, gap)


def test_window_mlp_is_at_chance_beyond_its_window() -> None:
    """With the head biased towards the answer words the MLP always names one of them, chosen
    by the words it sees: beyond its window that choice is independent of the cue, so its
    accuracy is binomial around chance."""
    task = make_task("cue-word", gap=5, n_answers=4, eval_size=EVAL)
    model = window_mlp(task, 3)
    with torch.no_grad():
        for answer in ANSWERS[:4]:
            model.head.bias[VOCAB.index(answer)] += 20.0
    result = memory_horizon(model, task, [4, 8, 12], eval_size=EVAL)
    assert result["chance"] == 0.25
    for gap in (4, 8, 12):
        assert result["count"][gap] == EVAL
        assert abs(result["accuracy"][gap] - 0.25) < 4 * result["stderr"][gap] + 1e-9
    assert result["horizon"] is None  # never above the threshold halfway to 1


def test_probe_scores_known_answers_exactly() -> None:
    task = make_task("cue-word", gap=5, eval_size=EVAL)
    gaps = [2, 3, 5, 6, 9]
    perfect = memory_horizon(CueOracle(task.spec), task, gaps, eval_size=EVAL)
    assert perfect["gaps"] == gaps
    assert all(perfect["accuracy"][g] == 1.0 for g in gaps)
    assert perfect["horizon"] == 9

    k = 6  # sees the cue up to gap 5
    result = memory_horizon(CueOracle(task.spec, window=k), task, gaps, eval_size=EVAL)
    assert result["threshold"] == pytest.approx(0.25 + 0.75 / 2)
    assert result["horizon"] == 5
    for gap in gaps:
        if gap < k:
            assert result["accuracy"][gap] == 1.0
        else:
            # it always says ANSWERS[0]: right exactly on the sentences whose cue is CUES[0]
            right = total = 0
            for batch in task_at_gap(task, gap, EVAL).batches("test", 64):
                right += int((batch.x[:, 0] == VOCAB.index(CUES[0])).sum())
                total += batch.size
            assert result["accuracy"][gap] == pytest.approx(right / total)
            assert result["metrics"][gap]["chance"] == 0.25


class LagOracle(nn.Module):
    """Experiment 2c: the class is the sequence's second symbol (x -> 0, y -> 1)."""

    def __init__(self, task) -> None:
        super().__init__()
        self.spec = task.spec
        self.y_id = task.y_id

    def forward(self, x: Tensor, lengths: Tensor | None = None, state=None):
        is_y = (x[:, 1] == self.y_id).long()
        return nn.functional.one_hot(is_y, 2).float(), None


def test_lag_2c_varies_q() -> None:
    task = make_task("lag", variant="2c", p=4, q=2, eval_size=50)
    at = task_at_gap(task, 9, eval_size=20)
    assert at.params.q == 9 and at.params.eval_size == 20 and at.spec == task.spec
    batch = next(iter(at.batches("test", 20)))
    assert batch.x.shape[1] >= 9 + 3  # b, x|y, q distractors, ..., e
    result = memory_horizon(LagOracle(task), task, [1, 9], eval_size=20)
    assert result["accuracy"] == {1: 1.0, 9: 1.0}
    assert result["chance"] == 0.5


def test_errors() -> None:
    with pytest.raises(UserError, match="no lag"):
        task_at_gap(make_task("adding", T=30), 5)
    cue = make_task("cue-word", gap=5, eval_size=10)
    lag = make_task("lag", variant="2c", p=4, q=2, eval_size=10)
    with pytest.raises(UserError, match="built for"):
        memory_horizon(CueOracle(cue.spec), lag, [3])
    with pytest.raises(UserError, match="reports no"):
        memory_horizon(CueOracle(cue.spec), cue, [3], metric="bleu")
    # a factory gap -> task works as well
    result = memory_horizon(CueOracle(cue.spec), lambda g: cue.at_gap(g), [3, 4])
    assert result["accuracy"] == {3: 1.0, 4: 1.0}
