"""A small CNN that turns each video frame into a feature vector: ``frame_encoder="cnn"``.

    frame (C, Hf, Wf) → conv 3x3 (16) → relu → max-pool 2 → conv 3x3 (32) → relu → max-pool 2
                      → flatten → Linear → relu → (width,)

Applied to every step of (B, T, F) features whose spec has a ``frame_shape`` (the frames
flattened row-major), with the same weights at every step ("time-distributed"), it feeds any
model: a recurrent stack (a CNN + LSTM), or the window MLP — with ``window=1`` that is the
per-frame CNN baseline, the same CNN on single frames.
"""

from __future__ import annotations

from torch import Tensor, nn

from rnnlab.errors import UserError

CHANNELS = (16, 32)  # of the two convolutions


class FrameCNN(nn.Module):
    """(B, T, C·Hf·Wf) → (B, T, width), one CNN applied to each frame."""

    def __init__(self, frame_shape: tuple[int, int, int], width: int) -> None:
        super().__init__()
        C, Hf, Wf = frame_shape
        if Hf < 4 or Wf < 4:
            raise UserError(f"the frame CNN pools twice by 2: frames of {Hf}x{Wf} pixels are "
                            "too small (at least 4x4)")
        self.frame_shape = (C, Hf, Wf)
        c1, c2 = CHANNELS
        self.convs = nn.Sequential(
            nn.Conv2d(C, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.dense = nn.Sequential(nn.Linear(c2 * (Hf // 4) * (Wf // 4), width), nn.ReLU())
        self.output_size = width
        # He initialisation (variance-preserving through relu): torch's default leaves the
        # features of sparse frames (mostly 0 pixels) so small, and their change from frame to
        # frame so much smaller, that a stack on top learns nothing in hundreds of steps
        for layer in (*self.convs, *self.dense):
            if isinstance(layer, nn.Conv2d | nn.Linear):
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                nn.init.zeros_(layer.bias)

    def forward(self, x: Tensor) -> Tensor:
        B, T = x.shape[:2]
        frames = x.reshape(B * T, *self.frame_shape)  # every frame of every sequence at once
        return self.dense(self.convs(frames).flatten(1)).view(B, T, self.output_size)
