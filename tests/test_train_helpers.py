"""Toy tasks and a tiny model for the training tests (and a check that the toys behave).

They satisfy the Task and model interfaces on their own, so the training tests depend on
neither the real tasks nor the real models. Other test_train_* files import from here.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnlab.models.config import ModelConfig
from rnnlab.tasks.base import Batch, Split, Task, TaskSpec


class TinyGRU(nn.Module):
    """Input layer -> torch GRU -> dropout -> linear head; the rnnlab model interface.

    ``record=True`` keeps, for every training-mode call, the state it was given and the state
    it returned, so tests can check what the loop carries.
    """

    def __init__(
        self, spec: TaskSpec, hidden: int = 12, dropout: float = 0.0, record: bool = False
    ) -> None:
        super().__init__()
        self.spec = spec
        self.config = ModelConfig(family="gru", hidden_size=hidden, dropout=dropout)
        width = 8
        if spec.input_kind == "tokens":
            self.inp: nn.Module = nn.Embedding(spec.input_size, width)
        else:
            self.inp = nn.Linear(spec.input_size, width)
        self.rnn = nn.GRU(width, hidden, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, spec.output_size)
        self.record = record
        self.received: list[Tensor | None] = []
        self.returned: list[Tensor] = []

    def forward(
        self, x: Tensor, lengths: Tensor | None = None, state: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        seq, h_n = self.rnn(self.inp(x), state)  # (B, T, H), (1, B, H)
        seq = self.drop(seq)
        if self.record and self.training:
            self.received.append(state)
            self.returned.append(h_n)
        if self.spec.many_to_many:
            return self.head(seq), h_n
        return self.head(seq[:, -1]), h_n


class _ClassifyTask(Task):
    """Shared loss/score/summarize for classification toys (many-to-one or many-to-many)."""

    def loss(self, output: Tensor, batch: Batch) -> Tensor:
        return F.cross_entropy(output.reshape(-1, output.shape[-1]), batch.y.reshape(-1))

    def score(self, output: Tensor, batch: Batch) -> dict[str, float]:
        logits, y = output.reshape(-1, output.shape[-1]), batch.y.reshape(-1)
        return {
            "loss_sum": float(F.cross_entropy(logits, y, reduction="sum")),
            "correct": float((logits.argmax(-1) == y).sum()),
            "count": float(y.numel()),
        }

    def summarize(self, sums: dict[str, float]) -> dict[str, float]:
        return {
            "loss": sums["loss_sum"] / sums["count"],
            "accuracy": sums["correct"] / sums["count"],
        }


class SignTask(_ClassifyTask):
    """Is the sum of T Gaussian inputs positive? Generated: endless train, fixed valid.

    ``invert_valid`` flips the validation labels, so that training makes validation worse
    (for early stopping).
    """

    name = "sign"
    spec = TaskSpec("features", 1, "classes", 2, many_to_many=False)

    def __init__(self, length: int = 6, valid_batches: int = 4, invert_valid: bool = False):
        self.length, self.valid_batches, self.invert_valid = length, valid_batches, invert_valid

    def batches(self, split: Split, batch_size: int, seed: int = 0) -> Iterator[Batch]:
        g = torch.Generator().manual_seed(seed * 10 + ("train", "valid", "test").index(split))
        n = None if split == "train" else self.valid_batches
        i = 0
        while n is None or i < n:
            x = torch.randn(batch_size, self.length, 1, generator=g)
            y = (x.sum(dim=(1, 2)) > 0).long()
            if split != "train" and self.invert_valid:
                y = 1 - y
            yield Batch(x, y)
            i += 1


class StreamTask(_ClassifyTask):
    """Predict the next token of a noisy repeating pattern, read as ``batch_size`` parallel
    streams in chunks of ``chunk`` steps (truncated BPTT). Finite: one epoch = ``chunks``
    batches; the first batch of an epoch starts new streams, the rest carry the state."""

    name = "stream"
    spec = TaskSpec("tokens", 5, "classes", 5, many_to_many=True)

    def __init__(self, chunk: int = 5, chunks: int = 6):
        self.chunk, self.chunks = chunk, chunks

    def batches(self, split: Split, batch_size: int, seed: int = 0) -> Iterator[Batch]:
        g = torch.Generator().manual_seed(seed * 10 + ("train", "valid", "test").index(split))
        total = self.chunk * self.chunks + 1
        offset = torch.randint(0, 5, (batch_size, 1), generator=g)
        stream = (torch.arange(total).unsqueeze(0) + offset) % 4  # the pattern 0 1 2 3 ...
        noise = torch.rand(batch_size, total, generator=g) < 0.1
        stream = torch.where(noise, torch.full_like(stream, 4), stream)
        for i in range(self.chunks):
            s = slice(i * self.chunk, (i + 1) * self.chunk)
            t = slice(i * self.chunk + 1, (i + 1) * self.chunk + 1)
            yield Batch(stream[:, s], stream[:, t], carry_state=i > 0)


class ScriptedCarryTask(StreamTask):
    """Random token batches whose carry_state flags follow ``pattern``, over and over
    (endless for "train", one round of the pattern for "valid")."""

    name = "scripted"

    def __init__(self, pattern: tuple[bool, ...] = (False, True, True, False, True)):
        super().__init__()
        self.pattern = pattern

    def batches(self, split: Split, batch_size: int, seed: int = 0) -> Iterator[Batch]:
        g = torch.Generator().manual_seed(seed)
        i = 0
        while split == "train" or i < len(self.pattern):
            x = torch.randint(0, 5, (batch_size, 4), generator=g)
            yield Batch(x, x.clone(), carry_state=self.pattern[i % len(self.pattern)])
            i += 1


def make_model(task: Task, seed: int = 0, **kwargs: object) -> TinyGRU:
    """A TinyGRU with seeded initial weights."""
    torch.manual_seed(seed)
    return TinyGRU(task.spec, **kwargs)  # type: ignore[arg-type]


def weights(model: nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def assert_same_weights(a: dict[str, Tensor], b: dict[str, Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), f"{key} differs"


# -- the toys themselves ------------------------------------------------------------------------


def test_toy_tasks_are_seeded_and_well_formed() -> None:
    task = SignTask()
    a = next(iter(task.batches("train", 4, seed=3)))
    b = next(iter(task.batches("train", 4, seed=3)))
    c = next(iter(task.batches("train", 4, seed=4)))
    assert torch.equal(a.x, b.x) and not torch.equal(a.x, c.x)
    assert len(list(task.batches("valid", 4))) == 4

    stream = list(StreamTask(chunk=5, chunks=3).batches("train", 2, seed=0))
    assert [b.carry_state for b in stream] == [False, True, True]
    assert stream[0].x.shape == stream[0].y.shape == (2, 5)
    # y is x shifted by one step: the chunks tile one stream
    assert torch.equal(stream[0].y[:, -1], stream[1].x[:, 0])

    model = TinyGRU(StreamTask.spec)
    out, h = model(stream[0].x)
    assert out.shape == (2, 5, 5) and h.shape == (1, 2, 12)
