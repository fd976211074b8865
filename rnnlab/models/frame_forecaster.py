"""The FC-LSTM of Shi et al. (2015): an encoder-forecaster over flattened frames, for next-frame
tasks (``ModelConfig(encoder_forecaster=True)`` with a recurrent family: rnn, lstm, gru).

    x (B, T, F) → encoder stack → its final state → forecaster stack, T steps → Linear → (B, T, F)

The same conditional encoder-forecaster as the ConvLSTM's video model
(:mod:`rnnlab.models.conv_video`), with matrix products in place of the convolutions, so that
the two differ only there: the encoder (``stack``) reads the T frames as vectors of F pixels; the
forecaster (``forecaster``), a stack of its own weights (Srivastava et al. 2015), starts from
the encoder's final state and, at each of T steps, reads the frame it last saw or predicted —
the last input frame first, then σ of its own previous prediction — and a linear head gives
the logits of the next frame.

**State**: the forecaster's after the last predicted frame (as the layer returns it); a given
state starts the encoder.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.models.recurrent_stack import SequenceModel, State, check_clips
from rnnlab.models.stack_parts import make_recurrent_layer
from rnnlab.nn.families import family
from rnnlab.tasks.base import TaskSpec


class FrameForecaster(SequenceModel):
    """Flattened frames (B, T, F) → logits of the T next frames (B, T, F), final state.

    Attributes: ``stack`` (the encoder's rnnlab.nn layer), ``forecaster`` (the forecaster's),
    ``head`` (Linear).
    """

    # It reads the whole clip before it predicts: StepStreams refuses it, as the ConvLSTM's.
    predicts_frames = True

    def __init__(self, config: ModelConfig, spec: TaskSpec) -> None:
        if not family(config.family).recurrent:
            raise UserError(f"encoder_forecaster needs a recurrent family, not {config.family!r}")
        if not spec.predicts_frames:
            raise UserError("encoder_forecaster predicts the next frames of a video: use it on "
                            "a next-frame task (moving-digits -p question=next-frame)")
        if config.bidirectional:
            raise UserError("encoder_forecaster runs one way: its forecaster reads its own "
                            "predictions, one at a time")
        if config.layers or config.dense_before or config.dense_after or config.frame_encoder:
            raise UserError("encoder_forecaster stacks --family layers of --hidden-size: layers, "
                            "dense_before, dense_after and frame_encoder do not apply")
        super().__init__(config, spec)
        F = spec.input_size
        self.stack = make_recurrent_layer(config, F)
        self.forecaster = make_recurrent_layer(config, F)
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, F)

    def layers_text(self) -> str:
        return "encoder and forecaster, " + super().layers_text()

    def forward(
        self, x: Tensor, lengths: Tensor | None = None, state: State = None
    ) -> tuple[Tensor, State]:
        """x (B, T, F) → (B, T, F) logits of the T frames after the clip."""
        check_clips(x, lengths, self.spec.input_size, "encoder-forecaster")
        x = x.to(self.head.weight.dtype)
        _, state = self.stack(x, state)  # read the T frames
        seen, logits = x[:, -1:], []  # the last frame read, (B, 1, F)
        for _ in range(x.shape[1]):
            out, state = self.forecaster(seen, state)
            logits.append(self.head(self.dropout(out[:, 0])))
            seen = torch.sigmoid(logits[-1]).unsqueeze(1)  # what it predicts, it reads next
        return torch.stack(logits, 1), state
