"""Decoding a trained :class:`~rnnlab.models.seq2seq.Seq2Seq`: greedy, or beam search.

``translate(model, ids, beam=1, ...)`` turns one source sentence (S,) into a
:class:`Translation`: the output ids (without <eos>), its log-probability and the attention
weights of every output step (T', S) (None without attention).

Beam search keeps the ``beam`` best prefixes; a prefix that emits <eos> is finished. Finished
hypotheses are ranked by ``log p / len ** length_penalty`` (0: the raw log-probability, which
favours short outputs; 1: the mean per token), len counting the <eos>. It stops once ``beam``
hypotheses have finished, or after ``max_len`` steps. ``beam=1`` is greedy decoding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from rnnlab.models.seq2seq import BOS_ID, EOS_ID, Seq2Seq


@dataclass
class Translation:
    ids: list[int]  # the output tokens, <eos> not included
    log_prob: float  # summed log-probability, <eos> included
    attention: Tensor | None  # (T', S) weights of every output step, or None
    finished: bool  # it ended with <eos> (else it was cut at max_len)


def _normalised(log_prob: float, length: int, length_penalty: float) -> float:
    return log_prob / max(length, 1) ** length_penalty


@torch.no_grad()
def translate(model: Seq2Seq, ids: Tensor, *, beam: int = 1, max_len: int = 0,
              length_penalty: float = 1.0) -> Translation:
    """Translate one source sentence ``ids`` (S,); see the module docstring."""
    was_training = model.training
    model.eval()
    try:
        return _beam(model, ids, beam, max_len or model.max_output_len, length_penalty)
    finally:
        model.train(was_training)


def _beam(model: Seq2Seq, ids: Tensor, width: int, max_len: int,
          length_penalty: float) -> Translation:
    device = model.head.weight.device
    mem = model.encode(ids.view(1, -1).to(device))
    prefixes: list[list[int]] = [[]]
    scores = torch.zeros(1, device=device)  # (K,) summed log-probabilities
    alphas: list[list[Tensor]] = [[]]
    finished: list[Translation] = []
    last = torch.full((1,), BOS_ID, dtype=torch.long, device=device)
    for _ in range(max_len):
        logits, alpha, mem = model.step(last, mem)
        logp = torch.log_softmax(logits.float(), -1) + scores[:, None]  # (K, V)
        V = logp.shape[1]
        top, flat = logp.view(-1).topk(min(2 * width, logp.numel()))
        keep_rows, keep_tokens, keep_scores, keep_alphas = [], [], [], []
        for value, index in zip(top.tolist(), flat.tolist(), strict=True):
            row, token = divmod(index, V)
            weights = [*alphas[row], alpha[row].cpu()] if alpha is not None else []
            if token == EOS_ID:
                finished.append(Translation(prefixes[row], value, _stack(weights), True))
            elif len(keep_rows) < width:
                keep_rows.append(row)
                keep_tokens.append(token)
                keep_scores.append(value)
                keep_alphas.append(weights)
            if len(keep_rows) == width and len(finished) >= width:
                break
        if not keep_rows:
            break
        alphas = keep_alphas
        prefixes = [[*prefixes[r], t] for r, t in zip(keep_rows, keep_tokens, strict=True)]
        scores = torch.tensor(keep_scores, device=device)
        index = torch.tensor(keep_rows, dtype=torch.long, device=device)
        mem = mem.select(index)
        last = torch.tensor(keep_tokens, dtype=torch.long, device=device)
        if len(finished) >= width:  # as many finished hypotheses as the beam is wide
            break
    if not finished:  # nothing ended within max_len: the best open prefix, cut
        row = int(scores.argmax())
        return Translation(prefixes[row], float(scores[row]), _stack(alphas[row]), False)
    return max(finished, key=lambda f: _normalised(f.log_prob, len(f.ids) + 1, length_penalty))


def _stack(weights: list[Tensor]) -> Tensor | None:
    return torch.stack(weights) if weights else None
