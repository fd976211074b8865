"""The filmstrip of a next-frame comparison: one test clip, what came next, and each model's
prediction of it beside the copy-the-last-frame baseline (:mod:`rnnlab.viz.filmstrip`)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from rnnlab.compare.results import Run
from rnnlab.compare.specs import ModelSpec
from rnnlab.inspect.gradient_flow import batch_of
from rnnlab.tasks.base import Task
from rnnlab.utils.device import model_device
from rnnlab.viz.report import ReportData


def predicts_frames(task: Task) -> bool:
    """A task whose targets are future frames (next-frame prediction)."""
    return task.spec.predicts_frames


def add_filmstrip(task: Task, specs: Sequence[ModelSpec], runs: dict[str, list[Run]],
                  data: ReportData) -> None:
    """The filmstrip of the first test clip, with each model's first seed."""
    if not predicts_frames(task):
        return
    from rnnlab.viz.charts import to_svg
    from rnnlab.viz.filmstrip import filmstrip_figure

    assert task.spec.frame_shape is not None
    _, H, W = task.spec.frame_shape
    batch = batch_of(task, "test", 1)
    seen, future = batch.x[0].view(-1, H, W), batch.y[0].view(-1, H, W)
    rows = [("input", seen.numpy()), ("truth", future.numpy()),
            ("copy last frame", seen[-1:].expand_as(future).numpy())]
    for spec in specs:
        model = runs[spec.label][0].model
        was_training = model.training
        model.eval()
        with torch.no_grad():
            out, _ = model(batch.x[:1].to(model_device(model)))
        model.train(was_training)
        rows.append((spec.label, torch.sigmoid(out.float()).cpu()[0].view(-1, H, W).numpy()))
    n_in, n_out = len(seen), len(future)
    data.filmstrip_svg = to_svg(filmstrip_figure(
        rows, first_labels=[f"t{k - n_in + 1:+d}" if k < n_in - 1 else "t"
                            for k in range(n_in)],
        other_labels=[f"t+{k + 1}" for k in range(n_out)]))
    data.filmstrip_caption = (
        f"The first test clip: the {n_in} frames every model read, the {n_out} that came next, "
        "the baseline that repeats the last frame, and each model's prediction (the first "
        "seed's), all on one grey scale from 0 to 1.")


__all__ = ["add_filmstrip", "predicts_frames"]
