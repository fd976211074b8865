"""The adding problem (Hochreiter & Schmidhuber 1997, Sec. 5.4, Exp. 4).

Each step's input is a pair (value, marker): the value is uniform in [-1, 1], the marker is
-1, 0 or 1. A sequence's length is an integer drawn uniformly from [T, T + T/10]. Exactly two
pairs are marked (marker 1): first one of the first ten pairs (its value is X1), then one of
the first T/2 - 1 pairs still unmarked (its value is X2). The markers of all other pairs are 0,
except the first and the last pair, whose markers are -1; in the rare case where the first
pair is marked, its marker stays 1 and its value X1 is set to 0. The last pair is never marked.

Only at the end the net outputs 0.5 + (X1 + X2) / 4 (the sum scaled into [0, 1]): many-to-one
regression, MSE loss. A sequence counts as processed correctly when the absolute error at the
end is below 0.04; metrics: ``mse`` and ``accuracy`` (the fraction correct). The paper's test
sets hold 2560 sequences; a trained LSTM got at most 1 wrong (T = 100, 500, 1000).
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
    MAX_LENGTH,
    Example,
    GeneratedTask,
    check_output,
    check_range,
    ratio,
)

TOLERANCE = 0.04  # |error| below this counts as correct


@dataclass
class AddingParams(TaskParams):
    T: int = 100  # minimal sequence length; lengths are uniform in [T, T + T/10] (paper: 100-1000)
    eval_size: int = 2560  # sequences in each fixed valid/test set (the paper's 2560)

    def check(self) -> None:
        check_range("adding", "T", self.T, 22, MAX_LENGTH)  # T/2 - 1 > 10 keeps the two draws apart
        check_range("adding", "eval_size", self.eval_size, 1, MAX_EVAL)


def adding_target(x1: float, x2: float) -> float:
    return 0.5 + (x1 + x2) / 4.0


class AddingTask(GeneratedTask):
    """Remember two marked real values and output their scaled sum at the end."""

    name = "adding"
    description = "Adding problem: output 0.5 + (X1 + X2)/4 of two marked values (H&S 1997, Exp. 4)"
    Params = AddingParams
    params: AddingParams

    def setup(self) -> None:
        self.spec = TaskSpec("features", 2, "regression", 1, False, bidirectional_ok=True)

    def sample(self, rng: np.random.Generator, split: Split) -> Example:
        T = self.params.T
        length = int(rng.integers(T, T + T // 10 + 1))
        values = rng.uniform(-1.0, 1.0, size=length)
        markers = np.zeros(length)
        markers[0] = markers[-1] = -1.0
        first = int(rng.integers(10))
        unmarked = [i for i in range(T // 2) if i != first][: T // 2 - 1]
        second = unmarked[int(rng.integers(len(unmarked)))]
        markers[[first, second]] = 1.0
        if markers[0] == 1.0:  # the first pair got marked: its value counts as 0
            values[0] = 0.0
        target = adding_target(values[first], values[second])
        x = np.stack([values, markers], axis=1).astype(np.float32)
        return Example(x, np.array([target], dtype=np.float32))

    def loss(self, output: Tensor, batch: Batch) -> Tensor:
        check_output(output, batch.y.shape, self.name)
        return F.mse_loss(output, batch.y)

    def score(self, output: Tensor, batch: Batch) -> dict[str, float]:
        check_output(output, batch.y.shape, self.name)
        with torch.no_grad():
            error = (output.float() - batch.y)[:, 0]
            return {
                "sq_sum": float((error**2).sum()),
                "correct": float((error.abs() < TOLERANCE).sum()),
                "count": float(batch.size),
            }

    def summarize(self, sums: dict[str, float]) -> dict[str, float]:
        mse = ratio(sums["sq_sum"], sums["count"])
        return {"loss": mse, "mse": mse, "accuracy": ratio(sums["correct"], sums["count"])}
