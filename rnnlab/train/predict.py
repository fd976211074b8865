"""Run a model over batches of new inputs and collect what the task makes of its outputs.

The task turns each batch's outputs into one item per sequence (``task.decode``: class
probabilities, values in the targets' units), so the caller gets predictions, not logits, in
the order the inputs were given.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from rnnlab.tasks.base import Batch
from rnnlab.utils.device import model_device


@torch.no_grad()
def predict_items(model: nn.Module, task: Any, batches: Iterable[Batch]) -> list[Any]:
    """``task.decode(output, batch)`` over every batch, concatenated (eval mode for the pass)."""
    device = model_device(model)
    was_training = model.training
    model.eval()
    items: list[Any] = []
    try:
        for batch in batches:
            batch = batch.to(device)
            output, _ = model(batch.x, lengths=batch.lengths)
            items += task.decode(output, batch)
    finally:
        model.train(was_training)
    return items
