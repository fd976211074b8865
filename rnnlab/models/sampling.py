"""Reading a language model's predictions: next-token distributions and sampled continuations.

Works for every model whose task has token inputs and a next-token output per step (the
language model and the window MLP alike): the prompt is run once, then one token at a time
with the carried state, so a continuation of N tokens costs N single steps, not N re-reads.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from rnnlab.errors import UserError
from rnnlab.utils.device import model_device


def _check_token_model(model: nn.Module) -> None:
    spec = getattr(model, "spec", None)
    if spec is None or spec.input_kind != "tokens" or not spec.many_to_many:
        raise UserError("this model does not predict tokens (its task is not a language task)")


@torch.no_grad()
def next_token_logits(model: nn.Module, ids: Tensor, state: Any = None) -> tuple[Tensor, Any]:
    """Logits (V,) of the token after ``ids`` (1-D token ids), and the state after them."""
    _check_token_model(model)
    if ids.numel() == 0:
        raise UserError("the prompt is empty: give at least one token")
    output, state = model(ids.view(1, -1).to(model_device(model)), None, state)
    return output[0, -1].float(), state


def next_token_distribution(
    model: nn.Module, ids: Tensor, top_k: int = 5
) -> list[tuple[int, float]]:
    """The ``top_k`` most likely next tokens after ``ids`` as (id, probability), best first."""
    was_training = model.training
    model.eval()
    try:
        logits, _ = next_token_logits(model, ids)
    finally:
        model.train(was_training)
    probs = torch.softmax(logits, -1)
    values, indices = probs.topk(min(top_k, probs.numel()))
    return [(int(i), float(p)) for i, p in zip(indices, values, strict=True)]


def sample_next(logits: Tensor, temperature: float, top_k: int, generator: torch.Generator) -> int:
    r"""Draw one id from softmax(logits / temperature), keeping only the ``top_k`` best (0 = all).

    temperature -> 0 approaches arg-max; 1 is the model's own distribution.
    """
    if temperature <= 0:
        return int(logits.argmax())
    logits = logits / temperature
    if 0 < top_k < logits.numel():
        threshold = logits.topk(top_k).values[-1]
        logits = logits.masked_fill(logits < threshold, float("-inf"))
    probs = torch.softmax(logits, -1).cpu()
    return int(torch.multinomial(probs, 1, generator=generator))


def generate(
    model: nn.Module,
    prompt: Tensor,
    length: int,
    *,
    temperature: float = 1.0,
    top_k: int = 0,
    seed: int = 0,
) -> list[int]:
    """Continue the 1-D token ids ``prompt`` by ``length`` sampled tokens; returns the new ids."""
    if length < 0:
        raise UserError(f"length must be >= 0, got {length}")
    if temperature < 0:
        raise UserError(f"temperature must be >= 0, got {temperature}")
    generator = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    new: list[int] = []
    try:
        logits, state = next_token_logits(model, prompt)
        for _ in range(length):
            token = sample_next(logits, temperature, top_k, generator)
            new.append(token)
            logits, state = next_token_logits(model, torch.tensor([token]), state)
    finally:
        model.train(was_training)
    return new
