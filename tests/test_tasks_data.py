"""Packaged real data: digits (scikit-learn) and JapaneseVowels (sktime), read offline."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnlab.errors import UserError
from rnnlab.tasks import make_task
from rnnlab.tasks.packaged import split_indices


def run(task, split, fn, batch_size=128):
    sums: dict[str, float] = {}
    for batch in task.batches(split, batch_size, 0):
        for k, v in task.score(fn(batch), batch).items():
            sums[k] = sums.get(k, 0.0) + v
    return task.summarize(sums)


def test_digits_rows_and_pixels_shapes_and_split(no_network):
    pytest.importorskip("sklearn")
    rows = make_task("digits-rows")
    pixels = make_task("digits-pixels")
    assert rows.split_sizes() == pixels.split_sizes()
    sizes = rows.split_sizes()
    assert sum(sizes.values()) == 1797 and sizes["test"] == sizes["valid"] == 270
    batch = next(rows.batches("test", 16))
    assert batch.x.shape == (16, 8, 8) and batch.y.shape == (16,) and batch.lengths is None
    assert batch.x.dtype == torch.float32 and batch.x.min() >= 0.0 and batch.x.max() <= 1.0
    pbatch = next(pixels.batches("test", 16))
    assert pbatch.x.shape == (16, 64, 1)
    assert torch.equal(pbatch.x.reshape(16, 8, 8), batch.x)  # the same images, read differently
    assert torch.equal(pbatch.y, batch.y)
    assert rows.spec.output_size == 10 and not rows.spec.many_to_many


def test_digits_split_is_fixed_and_disjoint_train_is_shuffled():
    pytest.importorskip("sklearn")
    task = make_task("digits-rows", split_seed=3)
    again = make_task("digits-rows", split_seed=3)
    other = make_task("digits-rows", split_seed=4)
    test = torch.cat([b.x for b in task.batches("test", 100)])
    assert torch.equal(test, torch.cat([b.x for b in again.batches("test", 100)]))
    assert not torch.equal(test, torch.cat([b.x for b in other.batches("test", 100)]))
    parts = split_indices(1797, (0.15, 0.15), 3)
    assert sorted(np.concatenate(parts).tolist()) == list(range(1797))  # disjoint, complete
    assert sum(b.size for b in task.batches("train", 100, seed=1)) == len(parts[0])
    first = next(task.batches("train", 50, seed=1)).y
    assert torch.equal(first, next(task.batches("train", 50, seed=1)).y)
    assert not torch.equal(first, next(task.batches("train", 50, seed=2)).y)


def test_digits_scores():
    pytest.importorskip("sklearn")
    task = make_task("digits-pixels")
    perfect = run(task, "valid", lambda b: F.one_hot(b.y, 10).float() * 20)
    assert perfect["accuracy"] == 1.0 and perfect["loss"] < 1e-6
    uniform = run(task, "valid", lambda b: torch.zeros(b.size, 10))
    assert uniform["loss"] == pytest.approx(math.log(10))


def test_japanese_vowels_offline_shapes_lengths_and_standardisation(no_network):
    pytest.importorskip("sktime")
    from rnnlab.tasks.packaged import _japanese_vowels

    _japanese_vowels.cache_clear()  # really read the files, with the network refused
    task = make_task("japanese-vowels")
    sizes = task.split_sizes()
    assert sizes["train"] + sizes["valid"] == 270 and sizes["valid"] == 27
    assert sizes["test"] == 370
    assert task.spec.input_size == 12 and task.spec.output_size == 9
    lengths, labels = [], set()
    frames = []
    for split in ("train", "valid", "test"):
        for batch in task.batches(split, 64):
            assert batch.x.shape[0] == batch.size and batch.x.shape[2] == 12
            assert batch.lengths is not None and batch.x.shape[1] == batch.lengths.max()
            for b, n in enumerate(batch.lengths.tolist()):
                assert (batch.x[b, n:] == 0).all()  # zero-padded past each length
                if split == "train":
                    frames.append(batch.x[b, :n])
            lengths += batch.lengths.tolist()
            labels |= set(batch.y.tolist())
    assert min(lengths) == 7 and max(lengths) == 29
    assert labels == set(range(9))
    frames = torch.cat(frames)
    assert frames.mean(0).abs().max() < 1e-4 and (frames.std(0) - 1).abs().max() < 1e-2


def test_missing_optional_package_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(UserError, match=r"pip install 'rnnlab\[data\]'"):
        make_task("digits-rows")
