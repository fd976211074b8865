"""Attention over the encoder's outputs: additive (Bahdanau) and multiplicative (Luong).

Shapes: B batch, S source steps, M memory width (the encoder's output per step, both
directions), Q query width (the decoder's state/output).

Bahdanau et al. 2015 (additive):   e_tj = vᵀ tanh(W_q q_t + W_m m_j)
Luong et al. 2015 ("general"):     e_tj = q_tᵀ W_a m_j
both:                              α_t = softmax_j(e_tj) over the valid source steps,
                                   c_t = Σ_j α_tj m_j

An attention takes queries (B, Tq, Q) — all target steps at once, or one (Tq = 1) — and the
memory (B, S, M) with its (B, S) mask, and returns the contexts (B, Tq, M) and the weights
(B, Tq, S). ``W_m m_j`` of the additive form does not depend on the query: :meth:`keys`
computes it once per source sentence.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnlab.models.config import ATTENTIONS  # noqa: F401  (none | bahdanau | luong)


class Attention(nn.Module):
    """The shared part: masked softmax and the weighted sum."""

    def keys(self, memory: Tensor) -> Tensor:
        """What the scores read of the memory, computed once per sentence (B, S, ·)."""
        return memory

    def scores(self, query: Tensor, keys: Tensor) -> Tensor:  # (B, Tq, S)
        raise NotImplementedError

    def forward(self, query: Tensor, memory: Tensor, mask: Tensor,
                keys: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """query (B, Tq, Q), memory (B, S, M), mask (B, S) bool → context (B, Tq, M),
        weights (B, Tq, S)."""
        e = self.scores(query, self.keys(memory) if keys is None else keys)  # (B, Tq, S)
        e = e.masked_fill(~mask[:, None, :], float("-inf"))
        alpha = torch.softmax(e, dim=-1)  # (B, Tq, S)
        return alpha @ memory, alpha  # (B, Tq, M)


class AdditiveAttention(Attention):
    """Bahdanau: e_tj = vᵀ tanh(W_q q_t + W_m m_j), with A = the query width hidden units."""

    def __init__(self, query_size: int, memory_size: int) -> None:
        super().__init__()
        self.W_q = nn.Linear(query_size, query_size, bias=False)
        self.W_m = nn.Linear(memory_size, query_size)
        self.v = nn.Linear(query_size, 1, bias=False)

    def keys(self, memory: Tensor) -> Tensor:
        return self.W_m(memory)  # (B, S, A)

    def scores(self, query: Tensor, keys: Tensor) -> Tensor:
        a = torch.tanh(self.W_q(query)[:, :, None, :] + keys[:, None, :, :])  # (B, Tq, S, A)
        return self.v(a).squeeze(-1)  # (B, Tq, S)


class GeneralAttention(Attention):
    """Luong's "general" score: e_tj = q_tᵀ W_a m_j."""

    def __init__(self, query_size: int, memory_size: int) -> None:
        super().__init__()
        self.W_a = nn.Linear(memory_size, query_size, bias=False)

    def keys(self, memory: Tensor) -> Tensor:
        return self.W_a(memory)  # (B, S, Q)

    def scores(self, query: Tensor, keys: Tensor) -> Tensor:
        return query @ keys.transpose(1, 2)  # (B, Tq, S)


def make_attention(kind: str, query_size: int, memory_size: int) -> Attention | None:
    if kind == "bahdanau":
        return AdditiveAttention(query_size, memory_size)
    if kind == "luong":
        return GeneralAttention(query_size, memory_size)
    return None
