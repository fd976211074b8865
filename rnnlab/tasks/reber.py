"""Embedded Reber grammar: next-symbol prediction (Hochreiter & Schmidhuber 1997, Sec. 5.1).

The Reber grammar is a small finite automaton over the 7 symbols B, T, P, S, X, V, E; each
state has two outgoing arcs, taken with probability 1/2:

    0 -B-> 1;  1 -T-> 2 | -P-> 3;  2 -S-> 2 | -X-> 4;  3 -T-> 3 | -V-> 5;
    4 -X-> 3 | -S-> 6;  5 -P-> 4 | -V-> 6;  6 -E-> end

An embedded Reber string is ``B c <Reber string> c E`` with c = T or P (probability 1/2 each).
Every symbol after the second except the second-to-last is predictable from recent context;
the second-to-last (c again) needs the second symbol, remembered across the whole inner string.

The net reads the string one symbol at a time (token ids, all symbols but the last) and at every
step predicts the set of symbols that may come next (multilabel, 7 outputs). The paper's
criterion: a string is predicted correctly when at every step the output units of the possible
next symbols are the most active ones (with k possible symbols, the k largest outputs are
exactly those); a run succeeds when every training and test string is predicted correctly.

Data as in the paper (following Fahlman): a fixed training set of ``train_size`` = 256 random
strings (drawn with ``data_seed``), picked at random during training, and 256 test strings that
are not in the training set.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnlab.tasks.base import Batch, Split, TaskParams, TaskSpec
from rnnlab.tasks.common import (
    MAX_EVAL,
    MAX_SEED,
    Example,
    GeneratedTask,
    check_output,
    check_range,
    ratio,
    step_mask,
)

SYMBOLS = ("B", "T", "P", "S", "X", "V", "E")
# state -> ((symbol, next state), (symbol, next state)); state 6 emits E and ends
REBER = {
    0: (("B", 1),),
    1: (("T", 2), ("P", 3)),
    2: (("S", 2), ("X", 4)),
    3: (("T", 3), ("V", 5)),
    4: (("X", 3), ("S", 6)),
    5: (("P", 4), ("V", 6)),
    6: (("E", -1),),
}


def reber_string(rng: np.random.Generator) -> str:
    """One string of the (plain) Reber grammar, e.g. 'BTXSE'."""
    out, state = [], 0
    while state != -1:
        arcs = REBER[state]
        symbol, state = arcs[int(rng.integers(len(arcs)))]
        out.append(symbol)
    return "".join(out)


def embedded_reber_string(rng: np.random.Generator) -> str:
    """One embedded Reber string, e.g. 'BTBTXSETE'."""
    c = "TP"[int(rng.integers(2))]
    return f"B{c}{reber_string(rng)}{c}E"


def _reber_next(prefix: str) -> frozenset[str]:
    """The symbols the plain Reber grammar allows after ``prefix`` (a valid prefix)."""
    state = 0
    for symbol in prefix:
        state = dict(REBER[state])[symbol]
    return frozenset(s for s, _ in REBER[state]) if state != -1 else frozenset()


def allowed_next(string: str) -> list[frozenset[str]]:
    """For each position i < len-1 of an embedded string: the symbols allowed at i + 1."""
    inner_end = len(string) - 2  # index of the second-to-last symbol (the repeated c)
    sets = []
    for i in range(len(string) - 1):
        if i == 0:
            sets.append(frozenset("TP"))
        elif i < inner_end - 1:  # inside the inner string: the Reber grammar decides
            sets.append(_reber_next(string[2 : i + 1]) if i >= 2 else frozenset("B"))
        elif i == inner_end - 1:  # after the inner E: the second symbol again
            sets.append(frozenset(string[1]))
        else:  # after the repeated c: the end
            sets.append(frozenset("E"))
    return sets


def is_embedded_reber(string: str) -> bool:
    """Is ``string`` a sentence of the embedded Reber grammar?"""
    if len(string) < 9 or string[0] != "B" or string[-1] != "E" or string[1] not in "TP":
        return False
    if string[-2] != string[1]:
        return False
    inner, state = string[2:-2], 0
    for symbol in inner:
        arcs = dict(REBER.get(state, ()))
        if symbol not in arcs:
            return False
        state = arcs[symbol]
    return state == -1


@dataclass
class ReberParams(TaskParams):
    train_size: int = 256  # strings in the fixed training set (paper: 256); 0 = fresh strings
    eval_size: int = 256  # strings in each of the fixed valid and test sets (paper: 256)
    data_seed: int = 0  # draws the fixed training set that valid/test strings are kept out of

    def check(self) -> None:
        check_range("reber", "train_size", self.train_size, 0, MAX_EVAL)
        check_range("reber", "eval_size", self.eval_size, 1, MAX_EVAL)
        check_range("reber", "data_seed", self.data_seed, 0, MAX_SEED)


class ReberTask(GeneratedTask):
    """Embedded Reber grammar, multilabel next-symbol prediction."""

    name = "reber"
    description = "Embedded Reber grammar: predict the possible next symbols (H&S 1997, Exp. 1)"
    Params = ReberParams
    params: ReberParams

    def setup(self) -> None:
        self.spec = TaskSpec("tokens", len(SYMBOLS), "multilabel", len(SYMBOLS), True,
                             vocab=SYMBOLS)
        self.labels = SYMBOLS

    @cached_property
    def training_strings(self) -> tuple[str, ...]:
        """The fixed training set (empty when train_size = 0)."""
        rng = np.random.default_rng([self.params.data_seed, 1997, 1])  # its own stream
        return tuple(embedded_reber_string(rng) for _ in range(self.params.train_size))

    def encode(self, string: str) -> Example:
        ids = np.array([SYMBOLS.index(s) for s in string[:-1]], dtype=np.int64)
        y = np.zeros((len(ids), len(SYMBOLS)), dtype=np.float32)
        for t, allowed in enumerate(allowed_next(string)):
            y[t, [SYMBOLS.index(s) for s in allowed]] = 1.0
        return Example(ids, y)

    def sample(self, rng: np.random.Generator, split: Split) -> Example:
        if split == "train" and self.params.train_size:
            pool = self.training_strings
            return self.encode(pool[int(rng.integers(len(pool)))])
        seen = set(self.training_strings) if split != "train" else set()
        string = embedded_reber_string(rng)
        while string in seen:
            string = embedded_reber_string(rng)
        return self.encode(string)

    # -- loss and scores: output (B, T, 7) logits ---------------------------------------------

    def loss(self, output: Tensor, batch: Batch) -> Tensor:
        check_output(output, batch.y.shape, self.name)
        bce = F.binary_cross_entropy_with_logits(output, batch.y, reduction="none").mean(-1)
        mask = step_mask(batch)
        return (bce * mask).sum() / mask.sum()

    def step_correct(self, output: Tensor, batch: Batch) -> Tensor:
        """(B, T) bool: the allowed units are exactly the most active ones at this step."""
        allowed = batch.y > 0.5
        lowest_allowed = output.masked_fill(~allowed, float("inf")).amin(-1)
        highest_other = output.masked_fill(allowed, float("-inf")).amax(-1)
        return lowest_allowed > highest_other

    def score(self, output: Tensor, batch: Batch) -> dict[str, float]:
        check_output(output, batch.y.shape, self.name)
        with torch.no_grad():
            mask = step_mask(batch)
            bce = F.binary_cross_entropy_with_logits(output.float(), batch.y,
                                                     reduction="none").mean(-1)
            ok = self.step_correct(output, batch) | ~mask
            return {
                "loss_sum": float((bce * mask).sum()),
                "steps": float(mask.sum()),
                "steps_correct": float((ok & mask).sum()),
                "correct": float(ok.all(-1).sum()),
                "count": float(batch.size),
            }

    def summarize(self, sums: dict[str, float]) -> dict[str, float]:
        accuracy = ratio(sums["correct"], sums["count"])
        return {
            "loss": ratio(sums["loss_sum"], sums["steps"]),
            "accuracy": accuracy,  # fraction of strings predicted correctly (the paper's rule)
            "symbol_accuracy": ratio(sums["steps_correct"], sums["steps"]),
            "solved": float(accuracy == 1.0),
        }
