"""Temporal order (Hochreiter & Schmidhuber 1997, Sec. 5.6, Exp. 6).

8 locally represented symbols: E, B, a, b, c, d, X, Y. A sequence starts with E, ends with the
trigger B, and otherwise holds symbols drawn uniformly from {a, b, c, d}, except at a few
positions that hold X or Y (each with probability 1/2). Lengths are uniform in [100, 110].
Positions below count from 1 (the E):

6a: two relevant symbols at t1 in [10, 20] and t2 in [50, 60]; 4 classes by their order:
    X,X -> Q; X,Y -> R; Y,X -> S; Y,Y -> U.
6b: three relevant symbols at t1 in [10, 20], t2 in [33, 43], t3 in [66, 76]; 8 classes:
    X,X,X -> Q; X,X,Y -> R; X,Y,X -> S; X,Y,Y -> U; Y,X,X -> V; Y,X,Y -> A; Y,Y,X -> B;
    Y,Y,Y -> C.

Error only at the end (many-to-one classification, CE on logits). The paper counts a sequence
as classified correctly when the final absolute error of all output units is below 0.3; here
that rule is applied to the softmax of the outputs (``paper_accuracy``), next to plain argmax
``accuracy``. Test sets of 2560 sequences (paper: 1 and 2 wrong for 6a and 6b).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnlab.tasks.base import Batch, Split, TaskParams, TaskSpec
from rnnlab.tasks.common import (
    MAX_EVAL,
    Example,
    GeneratedTask,
    check_choice,
    check_output,
    check_range,
    classification_sums,
    ratio,
)

SYMBOLS = ("E", "B", "a", "b", "c", "d", "X", "Y")
CLASSES = {"6a": ("Q", "R", "S", "U"), "6b": ("Q", "R", "S", "U", "V", "A", "B", "C")}
# 1-based windows of the relevant positions
WINDOWS = {"6a": ((10, 20), (50, 60)), "6b": ((10, 20), (33, 43), (66, 76))}
LENGTHS = (100, 110)
THRESHOLD = 0.3


@dataclass
class TemporalOrderParams(TaskParams):
    variant: str = "6a"  # 6a (two relevant symbols, 4 classes) | 6b (three, 8 classes)
    eval_size: int = 2560  # sequences in each fixed valid/test set (the paper's 2560)

    def check(self) -> None:
        check_choice("temporal-order", "variant", self.variant, tuple(CLASSES))
        check_range("temporal-order", "eval_size", self.eval_size, 1, MAX_EVAL)


def order_class(relevant: str) -> int:
    """Class id of a string of X/Y in temporal order: 'XY' -> 1 (R); binary with X = 0."""
    return int(relevant.replace("X", "0").replace("Y", "1"), 2)


class TemporalOrderTask(GeneratedTask):
    """Classify a sequence by the order of widely separated X / Y symbols."""

    name = "temporal-order"
    description = "Temporal order: classify by the order of distant X/Y symbols (H&S 1997, Exp. 6)"
    Params = TemporalOrderParams
    params: TemporalOrderParams

    def setup(self) -> None:
        self.labels = CLASSES[self.params.variant]
        self.spec = TaskSpec("tokens", len(SYMBOLS), "classes", len(self.labels), False,
                             vocab=SYMBOLS, bidirectional_ok=True)

    def sample(self, rng: np.random.Generator, split: Split) -> Example:
        length = int(rng.integers(LENGTHS[0], LENGTHS[1] + 1))
        x = rng.integers(2, 6, size=length)  # a, b, c, d
        x[0], x[-1] = SYMBOLS.index("E"), SYMBOLS.index("B")
        relevant = ""
        for lo, hi in WINDOWS[self.params.variant]:
            position = int(rng.integers(lo, hi + 1))  # 1-based
            symbol = "XY"[int(rng.integers(2))]
            x[position - 1] = SYMBOLS.index(symbol)
            relevant += symbol
        return Example(x.astype(np.int64), np.array(order_class(relevant), dtype=np.int64))

    def loss(self, output: Tensor, batch: Batch) -> Tensor:
        check_output(output, (batch.size, len(self.labels)), self.name)
        return F.cross_entropy(output, batch.y)

    def score(self, output: Tensor, batch: Batch) -> dict[str, float]:
        check_output(output, (batch.size, len(self.labels)), self.name)
        with torch.no_grad():
            sums = classification_sums(output, batch.y)
            error = (output.float().softmax(-1) - F.one_hot(batch.y, len(self.labels))).abs()
            sums["paper_correct"] = float((error.amax(-1) < THRESHOLD).sum())
            return sums

    def summarize(self, sums: dict[str, float]) -> dict[str, float]:
        return {
            "loss": ratio(sums["loss_sum"], sums["count"]),
            "accuracy": ratio(sums["correct"], sums["count"]),
            "paper_accuracy": ratio(sums["paper_correct"], sums["count"]),
        }
