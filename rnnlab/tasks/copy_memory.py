"""Copy memory (Arjovsky, Shah & Bengio 2016, "Unitary Evolution RNNs", Sec. 4.1).

10 categories a_0 .. a_9. An input sequence has T + 20 entries: the first 10 are drawn
uniformly, independently, with replacement from a_0 .. a_7 (the sequence to remember); the
next T - 1 are a_8 (blank); then one a_9 (the delimiter, "now reproduce"); then 10 more a_8.
The target sequence is T + 10 entries of a_8 followed by the first 10 input entries in the
same order. Loss: the average cross-entropy of the category predictions over every step.

The memoryless baseline predicts a_8 for the first T + 10 steps and a uniform guess over
a_0 .. a_7 for the last 10: its cross-entropy is 10 ln 8 / (T + 20) (``baseline``).
``accuracy`` is over the 10 copied entries only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from rnnlab.tasks.base import Batch, Split, TaskParams, TaskSpec
from rnnlab.tasks.common import (
    MAX_EVAL,
    MAX_LENGTH,
    Example,
    GeneratedTask,
    check_range,
    ratio,
    token_ce,
)

COPY_LENGTH = 10  # entries to remember
CATEGORIES = 8  # the remembered entries come from a_0 .. a_7
BLANK, DELIMITER = 8, 9
VOCAB = tuple(f"a{i}" for i in range(10))


@dataclass
class CopyParams(TaskParams):
    T: int = 100  # blank steps between the sequence and the moment to reproduce it
    eval_size: int = 1000  # sequences in each fixed valid/test set

    def check(self) -> None:
        check_range("copy", "T", self.T, 1, MAX_LENGTH)
        check_range("copy", "eval_size", self.eval_size, 1, MAX_EVAL)


class CopyTask(GeneratedTask):
    """Reproduce 10 symbols after T blank steps and a delimiter."""

    name = "copy"
    description = "Copy memory: reproduce 10 symbols after T blanks (Arjovsky et al. 2016, 4.1)"
    Params = CopyParams
    params: CopyParams

    def setup(self) -> None:
        self.spec = TaskSpec("tokens", 10, "classes", 10, True, vocab=VOCAB)
        self.labels = VOCAB

    @property
    def baseline(self) -> float:
        """Cross-entropy (nats per step) of the best strategy without memory."""
        return COPY_LENGTH * math.log(CATEGORIES) / (self.params.T + 2 * COPY_LENGTH)

    def sample(self, rng: np.random.Generator, split: Split) -> Example:
        T = self.params.T
        remember = rng.integers(0, CATEGORIES, size=COPY_LENGTH)
        x = np.full(T + 2 * COPY_LENGTH, BLANK, dtype=np.int64)
        x[:COPY_LENGTH] = remember
        x[COPY_LENGTH + T - 1] = DELIMITER
        y = np.full(T + 2 * COPY_LENGTH, BLANK, dtype=np.int64)
        y[-COPY_LENGTH:] = remember
        return Example(x, y)

    def loss(self, output: Tensor, batch: Batch) -> Tensor:
        # Every step is scored; a mask (the gradient probe's "loss at the end") narrows it.
        ce, mask = token_ce(output, batch)
        return ce[mask].mean()

    def score(self, output: Tensor, batch: Batch) -> dict[str, float]:
        with torch.no_grad():
            ce, _ = token_ce(output, batch)
            copied = output[:, -COPY_LENGTH:].argmax(-1) == batch.y[:, -COPY_LENGTH:]
            return {
                "loss_sum": float(ce.sum()),
                "steps": float(ce.numel()),
                "copied_correct": float(copied.sum()),
                "copied": float(copied.numel()),
                "correct": float(copied.all(-1).sum()),
                "count": float(batch.size),
            }

    def summarize(self, sums: dict[str, float]) -> dict[str, float]:
        return {
            "loss": ratio(sums["loss_sum"], sums["steps"]),
            "baseline": self.baseline,  # the memoryless loss
            "accuracy": ratio(sums["copied_correct"], sums["copied"]),  # per copied symbol
            "sequence_accuracy": ratio(sums["correct"], sums["count"]),
        }
