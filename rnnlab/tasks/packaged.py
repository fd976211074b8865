"""Real sequence classification on data that Python packages ship (read offline, never fetched).

- ``digits-rows``: scikit-learn's 8x8 handwritten digits (1797 images, 10 classes), read one
  row per step: T = 8 steps of F = 8 pixels.
- ``digits-pixels``: the same images one pixel per step: T = 64 steps of F = 1.
  Pixels are scaled to [0, 1]; a fixed seeded split (``split_seed``) gives train/valid/test.
- ``japanese-vowels``: sktime's JapaneseVowels (UCI; Kudo et al. 1999): 9 male speakers say
  the vowels "ae"; each utterance is 7-29 frames of 12 LPC cepstrum coefficients; the class is
  the speaker. The standard split as sktime ships it (270 train, 370 test); a seeded
  ``valid_fraction`` of the training series is held out for validation. Variable-length
  batches carry ``lengths``; features are standardised with the training part's statistics.

Many-to-one classification (CE on logits); metrics ``loss`` and ``accuracy``. These tasks need
the optional extra: ``pip install 'rnnlab[data]'``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from types import ModuleType

import numpy as np
import torch.nn.functional as F
from torch import Tensor

from rnnlab.errors import UserError
from rnnlab.tasks.base import Batch, Split, TaskParams, TaskSpec
from rnnlab.tasks.common import (
    MAX_SEED,
    Example,
    ParamTask,
    check_batch_args,
    check_output,
    check_range,
    classification_sums,
    collate,
    make_rng,
    ratio,
)


def require(module: str, task: str) -> ModuleType:
    """Import an optional dependency, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise UserError(
            f"task {task!r} needs the package {module.split('.')[0]}: pip install 'rnnlab[data]'"
        ) from None


class ClassificationDataset(ParamTask):
    """Many-to-one classification over fixed arrays: ``self.data[split] = (list of x, y)``."""

    data: dict[str, tuple[list[np.ndarray], np.ndarray]]

    def split_sizes(self) -> dict[str, int]:
        return {split: len(y) for split, (_, y) in self.data.items()}

    def batches(self, split: Split, batch_size: int, seed: int = 0) -> Iterator[Batch]:
        check_batch_args(split, batch_size)
        rng = make_rng(seed, split)
        xs, ys = self.data[split]
        order = rng.permutation(len(ys)) if split == "train" else np.arange(len(ys))
        return self._iterate(xs, ys, order, batch_size)

    @staticmethod
    def _iterate(xs: list[np.ndarray], ys: np.ndarray, order: np.ndarray,
                 batch_size: int) -> Iterator[Batch]:
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            yield collate([Example(xs[i], ys[i]) for i in chosen], tokens=False, per_step=False)

    def loss(self, output: Tensor, batch: Batch) -> Tensor:
        check_output(output, (batch.size, self.spec.output_size), self.name)
        return F.cross_entropy(output, batch.y)

    def score(self, output: Tensor, batch: Batch) -> dict[str, float]:
        check_output(output, (batch.size, self.spec.output_size), self.name)
        return classification_sums(output, batch.y)

    def summarize(self, sums: dict[str, float]) -> dict[str, float]:
        return {
            "loss": ratio(sums["loss_sum"], sums["count"]),
            "accuracy": ratio(sums["correct"], sums["count"]),
        }


def split_indices(n: int, fractions: tuple[float, float], seed: int) -> tuple[np.ndarray, ...]:
    """A seeded permutation of range(n) cut into train / valid / test by the two fractions."""
    order = np.random.default_rng([seed, 2024]).permutation(n)
    n_valid, n_test = round(n * fractions[0]), round(n * fractions[1])
    n_train = n - n_valid - n_test
    return order[:n_train], order[n_train : n_train + n_valid], order[n_train + n_valid :]


# -- scikit-learn digits -----------------------------------------------------------------------


@dataclass
class DigitsParams(TaskParams):
    valid_fraction: float = 0.15  # of the 1797 images, held out for validation
    test_fraction: float = 0.15  # of the 1797 images, held out for testing
    split_seed: int = 0  # the seed of the fixed train/valid/test split

    def check(self) -> None:
        check_range("digits", "valid_fraction", self.valid_fraction, 0.0, 0.5)
        check_range("digits", "test_fraction", self.test_fraction, 0.01, 0.5)
        check_range("digits", "split_seed", self.split_seed, 0, MAX_SEED)


class DigitsRows(ClassificationDataset):
    """8x8 digit images read row by row."""

    name = "digits-rows"
    description = "scikit-learn 8x8 digits read row by row (T=8, F=8), 10 classes"
    Params = DigitsParams
    params: DigitsParams
    steps, features = 8, 8

    def setup(self) -> None:
        datasets = require("sklearn.datasets", self.name)
        images, target = datasets.load_digits(return_X_y=True)
        images = (images / 16.0).astype(np.float32).reshape(-1, self.steps, self.features)
        parts = split_indices(
            len(target), (self.params.valid_fraction, self.params.test_fraction),
            self.params.split_seed,
        )
        self.data = {
            split: ([images[i] for i in idx], target[idx].astype(np.int64))
            for split, idx in zip(("train", "valid", "test"), parts, strict=True)
        }
        self.labels = tuple(str(d) for d in range(10))
        self.spec = TaskSpec("features", self.features, "classes", 10, False,
                             bidirectional_ok=True)


class DigitsPixels(DigitsRows):
    """8x8 digit images read pixel by pixel."""

    name = "digits-pixels"
    description = "scikit-learn 8x8 digits read pixel by pixel (T=64, F=1), 10 classes"
    steps, features = 64, 1


# -- JapaneseVowels (sktime) -------------------------------------------------------------------


@cache
def _japanese_vowels(split: str) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    datasets = require("sktime.datasets", "japanese-vowels")
    X, y = datasets.load_japanese_vowels(split=split, return_X_y=True)
    series = tuple(
        np.stack([X.iloc[i, c].to_numpy(dtype=np.float64) for c in range(X.shape[1])], axis=1)
        for i in range(len(X))
    )
    return series, np.asarray(y).astype(np.int64) - 1  # speakers '1'..'9' -> 0..8


@dataclass
class JapaneseVowelsParams(TaskParams):
    valid_fraction: float = 0.1  # of the 270 training utterances, held out for validation
    split_seed: int = 0  # the seed that picks the validation utterances

    def check(self) -> None:
        check_range("japanese-vowels", "valid_fraction", self.valid_fraction, 0.0, 0.5)
        check_range("japanese-vowels", "split_seed", self.split_seed, 0, MAX_SEED)


class JapaneseVowels(ClassificationDataset):
    """Speaker identification from 12 LPC coefficients per frame, 7-29 frames."""

    name = "japanese-vowels"
    description = "JapaneseVowels (sktime): 9 speakers, 12 coefficients, 7-29 frames"
    Params = JapaneseVowelsParams
    params: JapaneseVowelsParams

    def setup(self) -> None:
        train_x, train_y = _japanese_vowels("train")
        test_x, test_y = _japanese_vowels("test")
        train, valid, _ = split_indices(len(train_y), (self.params.valid_fraction, 0.0),
                                        self.params.split_seed)
        frames = np.concatenate([train_x[i] for i in train])
        self.mean, self.std = frames.mean(0), frames.std(0)

        def standardise(xs: list[np.ndarray]) -> list[np.ndarray]:
            return [((x - self.mean) / self.std).astype(np.float32) for x in xs]

        self.data = {
            "train": (standardise([train_x[i] for i in train]), train_y[train]),
            "valid": (standardise([train_x[i] for i in valid]), train_y[valid]),
            "test": (standardise(list(test_x)), test_y),
        }
        self.labels = tuple(f"speaker {i}" for i in range(1, 10))
        self.spec = TaskSpec("features", 12, "classes", 9, False, bidirectional_ok=True)
