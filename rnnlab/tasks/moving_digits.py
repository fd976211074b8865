"""Moving digits: scikit-learn's 8x8 digits bouncing in a canvas, Moving-MNIST style.

**Video.** A sequence is ``frames`` images of ``canvas`` x ``canvas`` pixels in [0, 1]. Each of
``digits`` (1 or 2) handwritten digits — a scikit-learn 8x8 image, pixels / 16, upscaled by
``scale`` (nearest neighbour: 2 gives 16x16) — moves with constant velocity and bounces off
the walls (the velocity component normal to a wall changes sign). Two digits are combined by
the pixelwise maximum. The digit images of train, valid and test come from disjoint parts
(80/10/10 %) of the 1,797 images, so test digits are unseen handwriting.

Each step feeds one frame as a feature vector of F = canvas^2 pixels (row-major), so the
recurrent classifiers read it as it is (an FC-LSTM); the spec's ``frame_shape`` (1, canvas,
canvas) lets the convolutional models (the ConvLSTM, ``frame_encoder="cnn"``) unflatten it.

**Motion.** Per axis, a digit's top-left corner lies in [0, L], L = canvas - 8 * scale (so the
digit never leaves the canvas). Bouncing on [0, L] is uniform motion on a circle of length
2L folded onto the segment: with an unfolded coordinate u, the position is
``fold(u) = L - |L - (u mod 2L)|``, and u_t = u_0 + v t. Each digit draws u_0 uniformly on
[0, 2L) per axis, a direction angle theta uniformly on [0, 2 pi) and moves with
v = s (cos theta, sin theta); the drawn pixel offset is the rounded position.

**Question ``speed``** (many-to-one classification): which of ``speeds`` (pixels per frame)
the digits move at — all digits of a sequence share it, each with its own direction. Chance
is 1 / len(speeds). *No single frame carries information about the label*, by construction:
u_0 is uniform on the circle and independent of s and theta, so u_t = u_0 + v t mod 2L is
again uniform for every t whatever v is (a rotation keeps the uniform measure); a frame is a
function of (u_t per axis and digit, the digit images), whose distribution is therefore the
same for every speed. Only two or more frames together show it.
(The direction of motion is not offered as a label: with bouncing, the position at time t
and the direction at any fixed time are dependent — a digit seen at the right wall half a
crossing after the start was moving right — so single frames would leak it.)

**Question ``next-frame``**: ``frames`` frames in, the next ``future`` frames out (Moving
MNIST: 10 and 10). Speeds are drawn uniformly from ``speeds``. The target is (future, F); the
model emits (B, future, F) logits, one frame per output step, scored by binary cross-entropy
on each pixel's intensity (``loss``: mean per pixel). Per-frame metrics, as the Moving-MNIST
papers report them: ``bce`` and ``mse``, the sum over a frame's pixels averaged over predicted
frames. ``baseline_bce``/``baseline_mse`` are the same metrics of the copy-the-last-frame
prediction on the same batches (for the BCE its pixels are clipped to [0.01, 0.99], since
a copied 0 where a digit arrived has infinite cross-entropy). A many-to-many recurrent model
of today emits future frame t at input step t (so ``future`` must equal ``frames``), having
read frames 0..t — or all of them when bidirectional; the targets are never in the input, so
that is allowed. An encoder-decoder that reads all frames first comes with the model families.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnlab.errors import UserError
from rnnlab.tasks.base import Batch, Split, TaskParams, TaskSpec
from rnnlab.tasks.common import (
    MAX_EVAL,
    Example,
    GeneratedTask,
    check_choice,
    check_output,
    check_range,
    classification_sums,
    ratio,
)
from rnnlab.tasks.packaged import require, split_indices

NAME = "moving-digits"
QUESTIONS = ("speed", "next-frame")
DIGIT = 8  # sklearn digit images are 8x8
BASELINE_CLIP = 0.01  # copy-the-last-frame BCE: pixels clipped to [0.01, 0.99]


@cache
def digit_pools(scale: int) -> dict[str, np.ndarray]:
    """The upscaled digit images (n, 8*scale, 8*scale) in [0, 1] of each split, disjoint."""
    datasets = require("sklearn.datasets", NAME)
    images = datasets.load_digits().images / 16.0
    parts = split_indices(len(images), (0.1, 0.1), seed=0)
    block = np.ones((scale, scale))
    return {
        split: np.stack([np.kron(images[i], block) for i in idx]).astype(np.float32)
        for split, idx in zip(("train", "valid", "test"), parts, strict=True)
    }


def fold(u: np.ndarray, L: float) -> np.ndarray:
    """Position on [0, L] of the unfolded coordinate u on the circle of length 2L (bouncing)."""
    return L - np.abs(L - np.mod(u, 2 * L))


@dataclass
class MovingDigitsParams(TaskParams):
    question: str = "speed"  # speed (classify the speed) | next-frame (predict future frames)
    canvas: int = 32  # frame height and width in pixels
    scale: int = 2  # digit upscaling: each 8x8 digit becomes 8*scale pixels square
    digits: int = 1  # digits per video (1 or 2), combined by the pixelwise maximum
    frames: int = 10  # frames the model reads
    future: int = 10  # next-frame: frames to predict after them
    speeds: tuple[int, ...] = (1, 2, 3, 4)  # pixels per frame: the classes (or the choices)
    eval_size: int = 1000  # sequences in each fixed valid/test set

    def check(self) -> None:
        check_choice(NAME, "question", self.question, QUESTIONS)
        check_range(NAME, "scale", self.scale, 1, 4)
        check_range(NAME, "canvas", self.canvas, 1, 128)
        if self.canvas < DIGIT * self.scale + 4:
            raise UserError(
                f"task {NAME!r}: parameter canvas = {self.canvas} is too small for digits of "
                f"{DIGIT * self.scale} pixels (scale {self.scale}): it must be >= "
                f"{DIGIT * self.scale + 4}, or the digits would not fit and move in it"
            )
        check_range(NAME, "digits", self.digits, 1, 2)
        check_range(NAME, "frames", self.frames, 2, 100)
        check_range(NAME, "future", self.future, 1, 100)
        check_range(NAME, "eval_size", self.eval_size, 1, MAX_EVAL)
        speeds = (self.speeds,) if isinstance(self.speeds, int) else tuple(self.speeds)
        self.speeds = speeds
        room = self.canvas - DIGIT * self.scale
        if not speeds or len(set(speeds)) != len(speeds) or min(speeds) < 1:
            raise UserError(f"task {NAME!r}: parameter speeds = {speeds!r} must be distinct "
                            "positive integers (pixels per frame)")
        if self.question == "speed" and len(speeds) < 2:
            raise UserError(f"task {NAME!r}: parameter speeds = {speeds!r} needs at least two "
                            "speeds to classify")
        if 2 * max(speeds) > room:
            raise UserError(
                f"task {NAME!r}: parameter speeds = {speeds!r}: {max(speeds)} pixels per frame "
                f"would skip across the canvas; at most {room // 2} (half the {room} pixels "
                "a digit can move in)"
            )


class MovingDigitsTask(GeneratedTask):
    """Digits bouncing in a canvas: classify their speed, or predict the next frames."""

    name = NAME
    description = "Moving digits (sklearn 8x8, bouncing): classify the speed or predict frames"
    Params = MovingDigitsParams
    params: MovingDigitsParams

    def setup(self) -> None:
        p = self.params
        self.room = p.canvas - DIGIT * p.scale  # L: the top-left corner lies in [0, L]
        pixels = p.canvas * p.canvas
        frame = (1, p.canvas, p.canvas)  # one channel: the models that convolve unflatten it
        if p.question == "speed":
            self.chance: float | None = 1.0 / len(p.speeds)  # the accuracy of guessing
            self.labels = tuple(f"speed {s}" for s in p.speeds)
            self.spec = TaskSpec("features", pixels, "classes", len(p.speeds), False,
                                 bidirectional_ok=True, frame_shape=frame)
        else:
            self.chance = None  # no accuracy to guess: the baseline is copying the last frame
            self.labels = None
            self.spec = TaskSpec("features", pixels, "multilabel", pixels, True,
                                 bidirectional_ok=True, frame_shape=frame)

    # -- generation ------------------------------------------------------------------------

    def trajectory(self, rng: np.random.Generator, speed: float, steps: int) -> np.ndarray:
        """(steps, 2) integer top-left corners (row, column) of one digit, bouncing."""
        L = float(self.room)
        u0 = rng.uniform(0.0, 2 * L, size=2)  # uniform on the circle: see the docstring
        theta = rng.uniform(0.0, 2 * np.pi)
        v = speed * np.array([np.sin(theta), np.cos(theta)])
        t = np.arange(steps)[:, None]
        return np.rint(fold(u0 + v * t, L)).astype(np.int64)

    def render(self, images: list[np.ndarray], corners: list[np.ndarray]) -> np.ndarray:
        """(steps, canvas, canvas) frames of the digits at their corners (pixelwise max)."""
        size, canvas = images[0].shape[0], self.params.canvas
        video = np.zeros((len(corners[0]), canvas, canvas), dtype=np.float32)
        for image, corner in zip(images, corners, strict=True):
            for t, (r, c) in enumerate(corner):
                np.maximum(video[t, r : r + size, c : c + size], image,
                           out=video[t, r : r + size, c : c + size])
        return video

    def video(self, rng: np.random.Generator, split: Split) -> tuple[np.ndarray, int]:
        """One video of frames (+ future) frames, and the index of its speed."""
        p = self.params
        steps = p.frames + (p.future if p.question == "next-frame" else 0)
        label = int(rng.integers(len(p.speeds)))
        pool = digit_pools(p.scale)[split]
        images = [pool[rng.integers(len(pool))] for _ in range(p.digits)]
        corners = [self.trajectory(rng, p.speeds[label], steps) for _ in range(p.digits)]
        return self.render(images, corners), label

    def sample(self, rng: np.random.Generator, split: Split) -> Example:
        p = self.params
        video, label = self.video(rng, split)
        flat = video.reshape(len(video), -1)
        if p.question == "speed":
            return Example(flat, np.array(label, dtype=np.int64))
        return Example(flat[: p.frames], flat[p.frames :])

    def collate(self, examples: list[Example]) -> Batch:
        # every video has the same length; the future frames are a target, not steps of x
        x = torch.from_numpy(np.stack([e.x for e in examples]))
        y = np.stack([e.y for e in examples])
        y_t = torch.from_numpy(y).float() if self.spec.many_to_many else torch.from_numpy(y)
        return Batch(x, y_t)

    # -- loss and scores -------------------------------------------------------------------

    def _check(self, output: Tensor, batch: Batch) -> None:
        if self.spec.many_to_many:
            p = self.params
            if output.dim() == 3 and output.shape[1] == p.frames != p.future:
                # Today's video models emit future frame t at input step t (module docstring).
                raise UserError(f"task {NAME!r}: the model emits one future frame per frame it "
                                f"reads ({p.frames}), but future = {p.future}; set future = "
                                "frames")
            check_output(output, tuple(batch.y.shape), self.name)
        else:
            check_output(output, (batch.size, self.spec.output_size), self.name)

    def loss(self, output: Tensor, batch: Batch) -> Tensor:
        self._check(output, batch)
        if self.spec.many_to_many:
            return F.binary_cross_entropy_with_logits(output, batch.y)
        return F.cross_entropy(output, batch.y)

    def score(self, output: Tensor, batch: Batch) -> dict[str, float]:
        self._check(output, batch)
        if not self.spec.many_to_many:
            return classification_sums(output, batch.y)
        with torch.no_grad():
            return frame_sums(output.float(), batch.y, batch.x[:, -1])

    def summarize(self, sums: dict[str, float]) -> dict[str, float]:
        if not self.spec.many_to_many:
            return {
                "loss": ratio(sums["loss_sum"], sums["count"]),
                "accuracy": ratio(sums["correct"], sums["count"]),
            }
        frames, pixels = sums["frames"], sums["frames"] * self.spec.output_size
        return {
            "loss": ratio(sums["bce_sum"], pixels),  # per pixel, as trained
            "bce": ratio(sums["bce_sum"], frames),  # per frame
            "mse": ratio(sums["se_sum"], frames),  # per frame
            "baseline_bce": ratio(sums["baseline_bce_sum"], frames),  # copy the last frame
            "baseline_mse": ratio(sums["baseline_se_sum"], frames),
        }


def frame_sums(logits: Tensor, target: Tensor, last: Tensor) -> dict[str, float]:
    """Sums for next-frame prediction: (B, future, F) logits and targets, (B, F) last input."""
    B, future, _ = target.shape
    copied = last[:, None, :].expand_as(target)  # the copy-the-last-frame prediction
    clipped = copied.clamp(BASELINE_CLIP, 1 - BASELINE_CLIP)
    return {
        "bce_sum": float(F.binary_cross_entropy_with_logits(logits, target, reduction="sum")),
        "se_sum": float(((torch.sigmoid(logits) - target) ** 2).sum()),
        "baseline_bce_sum": float(F.binary_cross_entropy(clipped, target, reduction="sum")),
        "baseline_se_sum": float(((copied - target) ** 2).sum()),
        "frames": float(B * future),
    }
