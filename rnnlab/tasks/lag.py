"""Noise-free sequences with long time lags (Hochreiter & Schmidhuber 1997, Sec. 5.2, Exp. 2).

All symbols are locally represented (token ids; a model may one-hot or embed them).

2a: p + 1 symbols a_1 .. a_{p-1}, a_p = x, a_{p+1} = y. The only two sequences are
    (y, a_1, a_2, .., a_{p-1}, y) and (x, a_1, a_2, .., a_{p-1}, x), each with probability 1/2.
    The net predicts the next symbol at every step (error at every step); predicting the last
    one needs the first, stored for p steps. Solved: the maximal absolute error of all output
    units stays below 0.25 (at every step) over ``eval_size`` = 10,000 random sequences.
2b: as 2a, but the middle a_1 .. a_{p-1} is replaced by p - 1 symbols drawn uniformly from
    a_1 .. a_{p-1}: no local regularities; only the final x / y is fully predictable. Solved:
    the maximal absolute error of all output units is below 0.25 at the sequence end, over
    10,000 random sequences.
2c: p + 4 symbols a_1 .. a_p (the distractors), e (trigger), b, x, y. A sequence is
    (b, x, a_i1 .. a_i(q+k), e, x) or the same with y in both places: after the prefix b, x|y and
    q distractors, each further element is a distractor with probability 9/10 or the trigger e
    with probability 1/10, after which the sequence ends with the second element again (length
    q + k + 4, k >= 0 geometric with mean 9; the paper states the mean as q + 14). Error only
    at the end: the net reads everything up to e and
    outputs x or y (2 output units). Minimal lag q + 1. Solved: the error of both output units
    is below 0.2 for 10,000 successive random sequences. The paper's hardest case: p = q = 1000.

Outputs are logits; the paper's absolute-error criteria are applied to their softmax.

Variant 2c's q is an adjustable lag (:class:`~rnnlab.tasks.lagged.AdjustableLag`), counted in
steps: changing it changes neither the vocabulary nor the outputs. In 2a and 2b the lag p also
sets the vocabulary, so it cannot vary under one model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnlab.tasks.base import Batch, Split, TaskParams, TaskSpec
from rnnlab.tasks.common import (
    MAX_EVAL,
    MAX_LENGTH,
    Example,
    GeneratedTask,
    check_choice,
    check_output,
    check_range,
    classification_sums,
    last_step,
    ratio,
    token_ce,
)
from rnnlab.tasks.lagged import AdjustableLag

VARIANTS = ("2a", "2b", "2c")
THRESHOLD = {"2a": 0.25, "2b": 0.25, "2c": 0.2}  # the paper's "maximal absolute error" bounds


@dataclass
class LagParams(TaskParams):
    variant: str = "2a"  # 2a (one fixed middle) | 2b (random middle) | 2c (distractors, trigger)
    p: int = 100  # 2a/2b: the lag (p + 1 symbols); 2c: number of distractor symbols
    q: int = 100  # 2c only: minimal number of distractors before the trigger (lag q + 1)
    eval_size: int = 10000  # sequences in each fixed valid/test set (the paper's 10,000)

    def check(self) -> None:
        check_choice("lag", "variant", self.variant, VARIANTS)
        check_range("lag", "p", self.p, 1 if self.variant == "2c" else 2, MAX_LENGTH)
        check_range("lag", "q", self.q, 0, MAX_LENGTH)
        check_range("lag", "eval_size", self.eval_size, 1, MAX_EVAL)


class LagTask(GeneratedTask, AdjustableLag):
    """Experiment 2 of the LSTM paper; ``variant`` picks 2a, 2b or 2c."""

    name = "lag"
    description = "Noise-free long time lags, variants 2a/2b/2c (H&S 1997, Exp. 2)"
    Params = LagParams
    params: LagParams
    lag_name = "q"
    lag_unit = "steps"
    lag_axis = "lag to bridge (steps)"

    def setup(self) -> None:
        p, variant = self.params.p, self.params.variant
        if variant == "2c":
            vocab = (*(f"a{i}" for i in range(1, p + 1)), "e", "b", "x", "y")
            self.spec = TaskSpec("tokens", p + 4, "classes", 2, False, vocab=vocab,
                                 bidirectional_ok=True)
            self.labels = ("x", "y")
        else:
            vocab = (*(f"a{i}" for i in range(1, p)), "x", "y")
            self.spec = TaskSpec("tokens", p + 1, "classes", p + 1, True, vocab=vocab)
            self.labels = vocab
        self.x_id, self.y_id = vocab.index("x"), vocab.index("y")

    def sample(self, rng: np.random.Generator, split: Split) -> Example:
        p, q = self.params.p, self.params.q
        first = self.x_id if rng.random() < 0.5 else self.y_id
        if self.params.variant == "2c":
            k = int(rng.geometric(0.1)) - 1  # further distractors before e: P(k) = 0.1 * 0.9^k
            distractors = rng.integers(0, p, size=q + k)  # a_1 .. a_p are ids 0 .. p-1
            e, b = p, p + 1
            x = np.concatenate([[b, first], distractors, [e]]).astype(np.int64)
            return Example(x, np.array(0 if first == self.x_id else 1, dtype=np.int64))
        if self.params.variant == "2a":
            middle = np.arange(p - 1)  # a_1 .. a_{p-1} are ids 0 .. p-2
        else:
            middle = rng.integers(0, p - 1, size=p - 1)
        sequence = np.concatenate([[first], middle, [first]]).astype(np.int64)
        return Example(sequence[:-1], sequence[1:])

    @property
    def chance(self) -> float:
        """Accuracy on the final element of a model that knows it is x or y but not which:
        every variant ends with one of the two, each with probability 1/2."""
        return 0.5

    # -- the adjustable lag: q, variant 2c only ------------------------------------------------

    @property
    def has_lag(self) -> bool:
        return self.params.variant == "2c"

    @property
    def lag_range(self) -> tuple[int, int]:
        """(q, q): q is the minimal lag; the geometric tail beyond it is not a setting."""
        return (self.params.q, self.params.q)

    def lags_to_probe(self, windows: Sequence[int] = ()) -> list[int]:
        """A quarter, half and all of q (``windows`` play no part)."""
        q = self.params.q
        return sorted({max(1, q // 4), max(1, q // 2), q})

    # -- loss and scores -----------------------------------------------------------------------

    def loss(self, output: Tensor, batch: Batch) -> Tensor:
        if not self.spec.many_to_many:
            check_output(output, (batch.size, 2), self.name)
            return F.cross_entropy(output, batch.y)
        ce, mask = token_ce(output, batch)
        return (ce * mask).sum() / mask.sum()

    def _within(self, logits: Tensor, target: Tensor) -> Tensor:
        """(...) bool: every unit's |softmax - one-hot| is below the paper's bound."""
        error = (logits.float().softmax(-1) - F.one_hot(target, logits.shape[-1])).abs()
        return error.amax(-1) < THRESHOLD[self.params.variant]

    def score(self, output: Tensor, batch: Batch) -> dict[str, float]:
        with torch.no_grad():
            if not self.spec.many_to_many:
                sums = classification_sums(output, batch.y)
                sums["paper_correct"] = float(self._within(output, batch.y).sum())
                return sums
            ce, mask = token_ce(output, batch)
            rows = torch.arange(batch.size)
            end = last_step(batch)
            final_logits, final_target = output[rows, end], batch.y[rows, end]
            if self.params.variant == "2a":  # every step must be within the bound
                ok = (self._within(output, batch.y) | ~mask).all(-1)
            else:  # only the final, predictable element
                ok = self._within(final_logits, final_target)
            return {
                "loss_sum": float((ce * mask).sum()),
                "steps": float(mask.sum()),
                "correct": float((final_logits.argmax(-1) == final_target).sum()),
                "paper_correct": float(ok.sum()),
                "count": float(batch.size),
            }

    def summarize(self, sums: dict[str, float]) -> dict[str, float]:
        steps = sums.get("steps", sums["count"])
        paper = ratio(sums["paper_correct"], sums["count"])
        return {
            "loss": ratio(sums["loss_sum"], steps),
            "accuracy": ratio(sums["correct"], sums["count"]),  # the final symbol, by argmax
            "paper_accuracy": paper,  # sequences within the paper's error bound
            "solved": float(paper == 1.0),
        }
