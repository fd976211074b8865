"""What every task gives the rest of rnnlab: a spec of its inputs/outputs, batches, a loss, scores.

Tasks know nothing of models. A model built for a task reads only :class:`TaskSpec`; the
training loop reads only :class:`Task`'s methods and :class:`Batch`.

Shapes: B batch, T time, F features, K outputs (classes, vocabulary or regression targets).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

import torch
from torch import Tensor

Split = Literal["train", "valid", "test"]


@dataclass(frozen=True)
class TaskSpec:
    """The interface between a task and a model."""

    input_kind: Literal["tokens", "features"]  # token ids (B, T) or feature vectors (B, T, F)
    input_size: int  # vocabulary size, or F
    output_kind: Literal["classes", "multilabel", "regression"]  # CE, BCE or MSE targets
    output_size: int  # K
    many_to_many: bool  # an output per step (B, T, K), or one per sequence (B, K)
    vocab: tuple[str, ...] | None = None  # token strings, index = id (token inputs/outputs)
    bidirectional_ok: bool = False  # may a model look at future steps (not for prediction)
    seq2seq: bool = False  # a sequence in, another sequence out (an encoder-decoder model)
    target_vocab: tuple[str, ...] | None = None  # seq2seq: output token strings, index = id
    max_target_len: int = 0  # seq2seq: the longest target in tokens, end marker included
    # video: each step's F features are one image (C, H, W), row-major (F = C*H*W), which
    # convolutional models unflatten; None: plain feature vectors
    frame_shape: tuple[int, int, int] | None = None

    @property
    def predicts_frames(self) -> bool:
        """Next-frame prediction: frames in, one frame of pixels in [0, 1] out per step."""
        return (self.frame_shape is not None and self.many_to_many
                and self.output_kind == "multilabel" and self.output_size == self.input_size)


@dataclass
class TaskParams:
    """A task's parameters: a dataclass, each field with a default and a one-line comment.

    Stored in checkpoints as ``to_dict()``; ``make_task(name, **params.to_dict())`` rebuilds the
    same task.
    """

    def check(self) -> None:
        """Raise :class:`~rnnlab.errors.UserError` for an invalid value or combination."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Batch:
    """One minibatch, batch-first.

    x: (B, T) int64 token ids or (B, T, F) float features, zero-padded past each length.
    y: many-to-many: (B, T) int64 classes, or (B, T, K) float; many-to-one: (B,) int64
       classes or (B, K) float.
    lengths: (B,) int64 lengths when sequences differ in length, else None.
    mask: (B, T) bool, the steps whose outputs are scored (many-to-many only; None = all
       steps within each length).
    model_inputs: keyword inputs of the model besides x (e.g. ``target`` (B, T) of a
       seq2seq task, for teacher forcing).
    carry_state: True when this batch continues the streams of the previous batch of the
       same iterator (truncated BPTT on a text stream): the model keeps its final state.
    """

    x: Tensor
    y: Tensor
    lengths: Tensor | None = None
    mask: Tensor | None = None
    carry_state: bool = False
    extra: dict[str, Tensor] = field(default_factory=dict)
    # what the model reads besides x, as keyword arguments (a seq2seq decoder's target for
    # teacher forcing); the training loop and evaluate() pass them on
    model_inputs: dict[str, Tensor] = field(default_factory=dict)

    def to(self, device: torch.device | str) -> Batch:
        def move(t: Tensor | None) -> Tensor | None:
            return None if t is None else t.to(device)

        return Batch(
            move(self.x),
            move(self.y),
            self.lengths,  # lengths stay on the CPU, as pack_padded_sequence wants them
            move(self.mask),
            self.carry_state,
            {k: v.to(device) for k, v in self.extra.items()},
            {k: v.to(device) for k, v in self.model_inputs.items()},
        )

    @property
    def size(self) -> int:
        return int(self.x.shape[0])


class Task(ABC):
    """A sequence-learning problem: data, its loss and how it is scored."""

    name: str = ""
    description: str = ""  # one line, shown by `rnnlab tasks`
    Params: ClassVar[type[TaskParams]] = TaskParams  # the dataclass of this task's parameters
    params: TaskParams  # this task's parameters (``params.to_dict()`` goes into checkpoints)
    spec: TaskSpec
    labels: tuple[str, ...] | None = None  # names of the output classes, index = class id

    @abstractmethod
    def batches(self, split: Split, batch_size: int, seed: int = 0) -> Iterator[Batch]:
        """Yield the batches of one pass over ``split``.

        Generated tasks yield fresh sequences for "train" forever (the loop counts steps) and
        a fixed, seeded set for "valid"/"test"; datasets yield one shuffled epoch for "train"
        (a text stream: one pass in order, from a seeded offset, with ``carry_state``).
        The same ``seed`` gives the same batches.
        """

    @abstractmethod
    def loss(self, output: Tensor, batch: Batch) -> Tensor:
        """The mean training loss of a batch (a scalar with grad)."""

    @abstractmethod
    def score(self, output: Tensor, batch: Batch) -> dict[str, float]:
        """Additive sums over the batch's scored items, e.g. {'loss_sum', 'correct', 'count'}."""

    @abstractmethod
    def summarize(self, sums: dict[str, float]) -> dict[str, float]:
        """Turn sums added over batches into metrics, e.g. {'loss': ..., 'accuracy': ...}."""
