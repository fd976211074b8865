"""The ConvLSTM's model for video tasks (family ``convlstm``; specs with a ``frame_shape``).

    x (B, T, C·Hf·Wf) → frames (B, T, C, Hf, Wf) → ConvLSTM stack (H maps per layer)

* many-to-one (classify a clip): the last step's maps h_T (B, H, Hf, Wf) → global average
  pool (B, H) → dropout → Linear → (B, K);
* many-to-many (next frames): an encoder-forecaster (Shi et al. 2015) whose forecaster is
  conditional (Srivastava et al. 2015): the encoder stack (``rnn``) reads the T frames; a
  forecaster stack of its own weights (``forecaster``, L one-layer ConvLSTMs) starts from the
  encoder's final (h, c) of each layer and, at each of T steps, reads the frame it last saw or
  predicted — the last input frame first, then σ of its own previous prediction — and a 1x1
  convolution (k x k with ``head_kernel_size`` k, 'same' padding) of all its layers' maps,
  concatenated (L·H channels), gives the logits of the next frame (C channels, C·p² with
  patches) → (B, T, C·Hf·Wf). So prediction t has read every input frame; reading and
  extrapolating do not share gates; and the forecaster need not hold the digit's shape in its
  state alone, only how to move it.

**Patches** (``patch_size`` p > 1, Shi et al.'s 4x4 patches of 64x64 frames): each frame is
cut into p x p patches that become channels, (C, Hf, Wf) → (C·p², Hf/p, Wf/p)
(``pixel_unshuffle``), so the stack runs on p² fewer positions and a k x k kernel reaches
p times as far in pixels; predicted frames come back through ``pixel_shuffle``.

Every clip of a batch has the full length (``lengths`` must be None or all T).
**State**: ``(h_n, c_n)``, each (L, B, H, Hf/p, Wf/p): the encoder's final state (classes),
or the forecaster's after the last predicted frame (frames); a given state starts the encoder.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.models.recurrent_stack import SequenceModel, State, check_clips
from rnnlab.nn.conv_lstm import ConvLSTM
from rnnlab.nn.families import family
from rnnlab.tasks.base import TaskSpec


class ConvLSTMVideoModel(SequenceModel):
    """ConvLSTM stack with a pooled linear head (classes) or a 1x1-conv frame head (frames).

    Attributes: ``rnn`` (:class:`rnnlab.nn.ConvLSTM`, the encoder), ``forecaster``
    (frames only: a ModuleList of one-layer ConvLSTMs), ``head`` (Linear or Conv2d).
    """

    def __init__(self, config: ModelConfig, spec: TaskSpec) -> None:
        kind = family(config.family)
        if spec.frame_shape is None:
            raise UserError(f"family {config.family!r} reads images: this task's inputs are "
                            "feature vectors, not frames (its spec has no frame_shape)")
        if config.bidirectional:
            raise UserError(f"family {config.family!r} has no bidirectional form")
        if config.frame_encoder or config.dense_before or config.dense_after or config.layers:
            raise UserError(f"family {config.family!r} convolves the frames itself: "
                            "frame_encoder, dense_before, dense_after and layers do not apply")
        super().__init__(config, spec)
        C, Hf, Wf = spec.frame_shape
        self.frame_shape = (C, Hf, Wf)
        if spec.input_size != C * Hf * Wf:
            raise UserError(f"frame_shape {spec.frame_shape} does not hold the "
                            f"{spec.input_size} input features")
        self.patch = p = config.patch_size
        if Hf % p or Wf % p:
            raise UserError(f"patch_size {p} does not divide the {Hf}x{Wf} frames: choose a "
                            "divisor of both sides")
        self.predicts_frames = spec.many_to_many
        H, L, options = config.hidden_size, config.num_layers, kind.layer_kwargs(config)
        self.rnn = ConvLSTM(C * p * p, H, num_layers=L, batch_first=True,
                            backend=config.backend, **options)
        self.dropout = nn.Dropout(config.dropout)
        if self.predicts_frames:
            if spec.output_size != spec.input_size:
                raise UserError("the ConvLSTM predicts frames of its input's shape: the "
                                f"task wants {spec.output_size} outputs per step, not "
                                f"{spec.input_size}")
            # One module per layer, so that the head can read every layer's maps.
            self.forecaster = nn.ModuleList(
                ConvLSTM(C * p * p if k == 0 else H, H, batch_first=True,
                         backend=config.backend, **options) for k in range(L))
            k = config.head_kernel_size
            self.head: nn.Module = nn.Conv2d(L * H, C * p * p, k, padding=k // 2)
        else:
            self.head = nn.Linear(H, spec.output_size)

    def layers_text(self) -> str:
        c = self.config
        patches = f", {self.patch}x{self.patch} patches" if self.patch > 1 else ""
        return (f"{c.num_layers} layer{'s' if c.num_layers != 1 else ''} x {c.hidden_size} "
                f"maps, kernel {c.kernel_size}{patches}")

    def forward(
        self, x: Tensor, lengths: Tensor | None = None, state: State = None
    ) -> tuple[Tensor, State]:
        """x (B, T, C·Hf·Wf) → (B, K) logits, or (B, T, C·Hf·Wf) logits of the T next frames."""
        check_clips(x, lengths, self.spec.input_size, "ConvLSTM model")
        B, T = x.shape[:2]
        frames = x.to(self.head.weight.dtype).view(B * T, *self.frame_shape)
        frames = F.pixel_unshuffle(frames, self.patch).unflatten(0, (B, T))  # p = 1: itself
        if not self.predicts_frames:
            out, state = self.rnn(frames, state)  # (B, T, H, Hf, Wf)
            pooled = out[:, -1].mean((-2, -1))  # global average pool of h_T: (B, H)
            return self.head(self.dropout(pooled)), state
        _, (h, c) = self.rnn(frames, state)  # read the T frames
        states = [(h[k : k + 1], c[k : k + 1]) for k in range(len(self.forecaster))]
        seen, logits = frames[:, -1:], []  # the last frame read, (B, 1, C·p², Hf/p, Wf/p)
        for _ in range(T):
            maps, below = [], seen
            for k, layer in enumerate(self.forecaster):  # one step of each layer
                below, states[k] = layer(below, states[k])
                maps.append(below)
            logits.append(self.head(self.dropout(torch.cat(maps, 2)[:, 0])))
            seen = torch.sigmoid(logits[-1]).unsqueeze(1)  # what it predicts, it reads next
        future = torch.stack(logits, 1).flatten(0, 1)  # (B·T, C·p², Hf/p, Wf/p)
        state = (torch.cat([s[0] for s in states]), torch.cat([s[1] for s in states]))
        return F.pixel_shuffle(future, self.patch).view(B, T, -1), state
