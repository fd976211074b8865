"""The recurrent core of every recurrent model, and the plumbing all rnnlab models share.

A recurrent model reads, per step::

    tokens (B, T) ──InputEncoder──▶ (B, T, E)   (embedding, or one-hot when embedding_dim=0)
    features (B, T, F) ────────────▶ (B, T, F)
        ──RecurrentStack──▶ dense_before (per step) → RNN | LSTM | GRU layers
                            → [many-to-one: the last valid step]
                            → dropout → dense_after (per step)
        ──head (Linear)──▶ (B, T, K) or (B, K)

Sequences of different lengths are packed (``pack_padded_sequence``) before the recurrent
layers, so padding never enters the recurrence and the final state of each sequence is the
state after its own last step.

**State.** ``forward(x, lengths, state)`` returns the final state of the recurrent layers in
exactly the form ``torch.nn.RNN/GRU`` (a tensor ``h_n`` of shape (L·D, B, H)) and
``torch.nn.LSTM`` (a tuple ``(h_n, c_n)``, (L·D, B, P) and (L·D, B, H), P = proj_size or H)
return it, and the same model takes it back as ``state=`` to continue the sequences (truncated
BPTT on a stream). Note that the batch is dimension 1 of these tensors, as in torch, even
though inputs and outputs are batch-first. :func:`detach_state` cuts the graph between batches.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.models.count import count_parameters
from rnnlab.models.frames import FrameCNN
from rnnlab.models.layer_stack import LayerStack, layers_title
from rnnlab.models.stack_parts import (
    dense_layers,
    last_valid_step,
    make_recurrent_layer,
    run_packed,
)
from rnnlab.nn.families import family
from rnnlab.tasks.base import TaskSpec

# A model's state: a tensor (Elman, GRU, the window MLP's inputs), a tuple (LSTM's h and c),
# a list of per-layer states, or None (no state yet).
State = Tensor | tuple[Tensor, ...] | list[Any] | None



def state_batch_dim(model: nn.Module) -> int:
    """The batch dimension of the tensors of ``model``'s returned state: a model says so with
    ``state_batch_dim`` (the window MLP: 0); torch's convention, (layers, B, H), otherwise."""
    return int(getattr(model, "state_batch_dim", 1))


def detach_state(state: Any) -> Any:
    """The same state cut from the graph of the batch that produced it (truncated BPTT: the
    next chunk of a stream starts from this value, but gradients stop here).

    Tensors are detached inside tuples, lists and dicts, nested as they may be; anything else
    (None, a number) comes back as it is.
    """
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, tuple | list):
        return type(state)(detach_state(s) for s in state)
    if isinstance(state, dict):
        return {k: detach_state(v) for k, v in state.items()}
    return state


def role_of(spec: TaskSpec) -> str:
    """What a model does for a task, in words: language model, frame predictor, forecaster or
    classifier."""
    if spec.input_kind == "tokens" and spec.many_to_many:
        return "language model"
    if spec.predicts_frames:
        return "frame predictor"
    if spec.output_kind == "regression":
        return "forecaster"
    return "classifier"


def check_compatible(config: ModelConfig, spec: TaskSpec) -> None:
    """Refuse, with a ValueError that says why, a config that cannot serve ``spec``."""
    if config.reads_ahead and not spec.bidirectional_ok:
        # A bidirectional layer sees future steps: for prediction tasks that is cheating.
        raise UserError(
            "bidirectional=True is not allowed for this task: its outputs must not depend on "
            "future steps (TaskSpec.bidirectional_ok is False)"
        )
    if config.bidirectional and not family(config.family).recurrent:
        raise UserError("the window MLP reads only past steps; it has no bidirectional form")
    if config.tie_weights:
        if not (
            spec.input_kind == "tokens"
            and spec.many_to_many
            and spec.output_kind == "classes"
            and spec.output_size == spec.input_size
        ):
            raise UserError(
                "tie_weights needs a language-model task: token inputs and, at every step, "
                "a class over the same vocabulary"
            )
        if config.embedding_dim == 0:
            raise UserError(
                "tie_weights needs an embedding matrix to share: set embedding_dim > 0 "
                "(one-hot input has none)"
            )


def check_lengths(x: Tensor, lengths: Tensor | None) -> None:
    """Lengths must be (B,) and within 1..T (an empty sequence has no last step to read)."""
    if lengths is None:
        return
    if lengths.dim() != 1 or lengths.shape[0] != x.shape[0]:
        raise UserError(
            f"lengths must have shape (B,) = ({x.shape[0]},), got {tuple(lengths.shape)}"
        )
    if lengths.numel() and (int(lengths.min()) < 1 or int(lengths.max()) > x.shape[1]):
        raise UserError(f"lengths must lie in 1..T = 1..{x.shape[1]}")


def check_clips(x: Tensor, lengths: Tensor | None, input_size: int, model: str) -> None:
    """A video model reads whole clips: x (B, T, input_size) flattened frames, and lengths
    None or all T (every clip of a batch has the full length)."""
    check_lengths(x, lengths)
    if lengths is not None and bool((lengths != x.shape[1]).any()):
        raise UserError(f"the {model} reads clips of equal length (lengths = T)")
    if x.dim() != 3 or x.shape[-1] != input_size:
        raise UserError(f"expected frames flattened to (B, T, {input_size}), got "
                        f"{tuple(x.shape)}")


class InputEncoder(nn.Module):
    """Turns a task's inputs into per-step vectors.

    tokens (B, T) int64 → (B, T, E) by an embedding, or (B, T, V) one-hot when
    ``embedding_dim`` is 0; a negative id means "no token" and gives the zero vector (the
    window MLP pads the start of a stream with it). features (B, T, F) pass through, or with
    ``frame_encoder="cnn"`` (a spec with ``frame_shape``) go through a per-frame CNN
    (:class:`~rnnlab.models.frames.FrameCNN`) to (B, T, frame_width).
    """

    def __init__(self, spec: TaskSpec, embedding_dim: int, frame_encoder: str = "",
                 frame_width: int = 0) -> None:
        super().__init__()
        self.input_kind = spec.input_kind
        self.input_size = spec.input_size
        self.embedding: nn.Embedding | None = None
        self.frames: FrameCNN | None = None
        if frame_encoder:  # "cnn": each frame through a small CNN (rnnlab.models.frames)
            if spec.frame_shape is None:
                raise UserError(f"frame_encoder={frame_encoder!r} needs a video task (frames "
                                "of images); this task's inputs are not images")
            self.frames = FrameCNN(spec.frame_shape, frame_width)
            self.output_size = frame_width
        elif spec.input_kind == "tokens" and embedding_dim > 0:
            self.embedding = nn.Embedding(spec.input_size, embedding_dim)
            self.output_size = embedding_dim
        else:
            self.output_size = spec.input_size  # one-hot width V, or F

    def extra_repr(self) -> str:
        if self.input_kind == "features":
            return f"features={self.input_size}" + (", frame CNN" if self.frames else "")
        return "" if self.embedding is not None else f"one_hot={self.input_size}"

    def forward(self, x: Tensor, dtype: torch.dtype) -> Tensor:
        """x (B, T) ids or (B, T, F) features → (B, T, output_size) of ``dtype``."""
        if self.input_kind == "features":
            if x.dim() != 3 or x.shape[-1] != self.input_size:
                raise UserError(
                    f"expected features of shape (B, T, {self.input_size}), got {tuple(x.shape)}"
                )
            return x.to(dtype) if self.frames is None else self.frames(x.to(dtype))
        if x.dim() != 2:
            raise UserError(f"expected token ids of shape (B, T), got {tuple(x.shape)}")
        missing = x < 0
        ids = x.clamp(min=0)
        if self.embedding is not None:
            v = self.embedding(ids)  # (B, T, E)
        else:
            v = F.one_hot(ids, self.input_size).to(dtype)  # (B, T, V)
        if bool(missing.any()):
            v = v.masked_fill(missing.unsqueeze(-1), 0.0)
        return v


class RecurrentStack(nn.Module):
    """dense_before → the RNN/LSTM/GRU layers → [last valid step] → dropout → dense_after.

    Input (B, T, I) float; output (B, T, output_size), or (B, output_size) with
    ``last_only=True``; plus the recurrent layers' final state (see the module docstring).
    """

    def __init__(self, config: ModelConfig, input_size: int) -> None:
        super().__init__()
        self.before = dense_layers(
            input_size, config.dense_before, config.nonlinearity, config.dropout
        )
        rnn_input = config.dense_before[-1] if config.dense_before else input_size
        self.rnn = make_recurrent_layer(config, rnn_input)
        self.directions = 2 if config.bidirectional else 1
        # What one direction emits per step: h, or its projection for an LSTMP.
        self.rnn_output_size = self.directions * family(config.family).output_width(config)
        self.dropout = nn.Dropout(config.dropout)  # before dense_after / the head
        self.after = dense_layers(
            self.rnn_output_size, config.dense_after, config.nonlinearity, config.dropout
        )
        self.output_size = config.dense_after[-1] if config.dense_after else self.rnn_output_size

    def run_recurrent(
        self, x: Tensor, lengths: Tensor | None = None, state: State = None
    ) -> tuple[Tensor, State]:
        """The recurrent layers alone: (B, T, I) → (B, T, D·W), final state.

        Steps past a sequence's length come out as zeros and do not touch the state.
        """
        return run_packed(self.rnn, x, lengths, state)

    def forward(
        self,
        x: Tensor,
        lengths: Tensor | None = None,
        state: State = None,
        last_only: bool = False,
    ) -> tuple[Tensor, State]:
        """x (B, T, I) → features (B, T, O) or (B, O) if ``last_only``, final state."""
        out, state = self.run_recurrent(self.before(x), lengths, state)
        if last_only:
            # Select before dense_after: the same result as after (it is per step), B·T
            # times cheaper.
            out = last_valid_step(out, lengths, self.directions)
        return self.after(self.dropout(out)), state


class SequenceModel(nn.Module):
    """What every rnnlab model is: ``.config``, ``.spec``, ``forward``, ``num_parameters``,
    ``describe()``.

    ``forward(x, lengths=None, state=None) -> (output, state)`` with x (B, T) token ids or
    (B, T, F) features, lengths (B,) or None, output (B, T, K) if ``spec.many_to_many`` else
    (B, K), and ``state`` the final state, to pass back as ``state=`` to continue.
    """

    def __init__(self, config: ModelConfig, spec: TaskSpec) -> None:
        super().__init__()
        check_compatible(config, spec)
        self.config = config
        self.spec = spec

    @property
    def role(self) -> str:
        """language model, frame predictor, forecaster or classifier (from the task's spec)."""
        return role_of(self.spec)

    @property
    def num_parameters(self) -> int:
        """Number of parameter elements, a shared (tied) matrix counted once."""
        return count_parameters(self)

    def layers_text(self) -> str:
        """How the layers are stacked, e.g. ``"2 layers x 128, bidirectional"``."""
        c = self.config
        text = f"{c.num_layers} layer{'s' if c.num_layers != 1 else ''} x {c.hidden_size}"
        return text + (", bidirectional" if c.bidirectional else "")

    def describe(self) -> str:
        """One line: family (variant) role: layers, sizes; parameter count. A layer list is
        named by its layers (``dense 32 → LSTM 64 (peephole) → GRU 16 classifier: ...``)."""
        c = self.config
        if c.layers:
            title, parts = layers_title(c), []
        else:
            variant = f" ({c.variant})" if c.variant else ""
            title, parts = family(c.family).display_name + variant, [self.layers_text()]
        if self.spec.input_kind == "tokens":
            parts.append(
                f"embedding {c.embedding_dim}"
                if c.embedding_dim
                else f"one-hot {self.spec.input_size}"
            )
        if c.frame_encoder:
            parts.append(f"frame {c.frame_encoder.upper()} {c.hidden_size}")
        if c.dense_before:
            parts.append(f"dense before {list(c.dense_before)}")
        if c.dense_after:
            parts.append(f"dense after {list(c.dense_after)}")
        if c.dropout:
            parts.append(f"dropout {c.dropout:g}")
        if c.tie_weights:
            parts.append("tied embedding")
        K = self.spec.output_size
        parts.append(f"{K} output{'s' if K != 1 else ''}")
        return (
            f"{title} {self.role}: {', '.join(parts)}; "
            f"{self.num_parameters:,} parameters"
        )


class RecurrentModel(SequenceModel):
    """encoder → body → head; the base of the recurrent models. The body is a
    :class:`RecurrentStack` (family, sizes), or a :class:`~rnnlab.models.layer_stack.LayerStack`
    when the config has a layer list.

    Many-to-many specs get an output per step (B, T, K); many-to-one specs get the output at
    each sequence's last valid step (B, K) (see :func:`last_valid_step`).
    """

    def __init__(self, config: ModelConfig, spec: TaskSpec) -> None:
        if not family(config.family).recurrent:
            raise UserError("family 'mlp' is the window MLP (rnnlab.models.WindowMLP)")
        super().__init__(config, spec)
        self.encoder = InputEncoder(spec, config.embedding_dim, config.frame_encoder,
                                    config.hidden_size)
        body = LayerStack if config.layers else RecurrentStack
        self.stack = body(config, self.encoder.output_size)
        self.head = nn.Linear(self.stack.output_size, spec.output_size)

    def forward(
        self, x: Tensor, lengths: Tensor | None = None, state: State = None
    ) -> tuple[Tensor, State]:
        """x (B, T) or (B, T, F), lengths (B,) → output (B, T, K) or (B, K), final state."""
        check_lengths(x, lengths)
        v = self.encoder(x, self.head.weight.dtype)  # (B, T, E)
        features, state = self.stack(v, lengths, state, last_only=not self.spec.many_to_many)
        return self.head(features), state
