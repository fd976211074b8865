"""The feed-forward baseline for every task: an MLP that sees a fixed window of recent inputs.

At step t it reads the ``window`` = k most recent inputs x_{t-k+1} .. x_t and nothing else
(Bengio et al. 2003 for tokens: embed each of the k tokens, concatenate, MLP)::

    [e(x_{t-k+1}) ; ... ; e(x_t)]  (B, k·E)
        → num_layers hidden layers of hidden_size (then the widths of dense_after)
        → Linear → (B, K)

Steps before the start of a sequence are zero vectors in input space (token id -1 internally,
which the encoder maps to the zero vector; zero features). ``dense_before`` layers act on each
step's vector before the concatenation, with the same weights at every position.

Many-to-one specs read the last k *valid* steps of each sequence (``lengths - k`` ..
``lengths - 1``). Many-to-many specs emit every step.

**State.** A feed-forward net remembers nothing; its only "state" is the input window. The
returned state is the last k-1 raw inputs of each sequence (B, k-1) int64 token ids (-1 =
before the start) or (B, k-1, F) features, and passing it back as ``state=`` with the next
batch of a stream makes split-stream outputs equal whole-stream outputs. Without it every
batch of a text stream would start from an empty window, an unfair handicap.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.models.language_model import tie_output_to_embedding
from rnnlab.models.recurrent_stack import (
    InputEncoder,
    SequenceModel,
    State,
    check_lengths,
    dense_layers,
)
from rnnlab.nn.families import family
from rnnlab.tasks.base import TaskSpec

NO_TOKEN = -1  # token id of the steps before a stream starts: encoded as the zero vector


def take_steps(seq: Tensor, first: Tensor, count: int) -> Tensor:
    """Steps ``first[b] .. first[b] + count - 1`` of each row: (B, S[, F]) → (B, count[, F])."""
    index = first[:, None] + torch.arange(count, device=seq.device)  # (B, count)
    if seq.dim() == 3:
        index = index.unsqueeze(-1).expand(-1, -1, seq.shape[-1])  # (B, count, F)
    return seq.gather(1, index)


class WindowMLP(SequenceModel):
    """Fixed-window MLP for any spec: output (B, T, K) or (B, K), state = last k-1 inputs.

    Attributes: ``encoder`` (embedding, one-hot or pass-through), ``before`` (per-step dense
    layers), ``body`` (the hidden layers, an :class:`rnnlab.nn.MLP` inside), ``head`` (Linear).
    """

    state_batch_dim = 0  # the state is (B, k-1[, F]), batch first (recurrent states: dim 1)

    def __init__(self, config: ModelConfig, spec: TaskSpec) -> None:
        if family(config.family).recurrent:
            raise UserError(f"WindowMLP is family 'mlp', not {config.family!r}")
        super().__init__(config, spec)
        self.window = config.window
        act, p = config.nonlinearity, config.dropout
        self.encoder = InputEncoder(spec, config.embedding_dim, config.frame_encoder,
                                    config.hidden_size)
        self.before = dense_layers(self.encoder.output_size, config.dense_before, act, p)
        self.step_size = (
            config.dense_before[-1] if config.dense_before else self.encoder.output_size
        )
        hidden = (config.hidden_size,) * config.num_layers + config.dense_after
        self.body = dense_layers(self.window * self.step_size, hidden, act, p)
        self.head = nn.Linear(
            hidden[-1] if hidden else self.window * self.step_size, spec.output_size
        )
        if config.tie_weights:
            tie_output_to_embedding(self.head, self.encoder)

    def layers_text(self) -> str:
        c = self.config
        return f"{c.num_layers} hidden layer{'s' if c.num_layers != 1 else ''} x {c.hidden_size}"

    def empty_state(self, x: Tensor) -> Tensor:
        """The window before any input: k-1 "nothing" steps for each row of ``x``."""
        B, k = x.shape[0], self.window
        if self.spec.input_kind == "tokens":
            return torch.full((B, k - 1), NO_TOKEN, dtype=torch.long, device=x.device)
        return x.new_zeros((B, k - 1, x.shape[-1]))

    def _encode(self, raw: Tensor) -> Tensor:
        """Raw steps (B, S) or (B, S, F) → per-step vectors (B, S, step_size)."""
        return self.before(self.encoder(raw, self.head.weight.dtype))

    def forward(
        self, x: Tensor, lengths: Tensor | None = None, state: State = None
    ) -> tuple[Tensor, Tensor]:
        """x (B, T) ids or (B, T, F), lengths (B,), state (B, k-1[, F]) or None →
        output (B, T, K) or (B, K), and the last k-1 inputs (B, k-1[, F]) as the new state.
        """
        check_lengths(x, lengths)
        B, T = x.shape[:2]
        k = self.window
        if state is None:
            state = self.empty_state(x)
        if not isinstance(state, Tensor) or tuple(state.shape[:2]) != (B, k - 1):
            raise UserError(
                f"the window MLP's state is its last k-1 = {k - 1} inputs per row, shape "
                f"({B}, {k - 1}, ...); got {getattr(state, 'shape', type(state))}"
            )
        # x[t] sits at seq[t + k - 1]: the window of step t is seq[t : t + k].
        seq = torch.cat([state.to(x.dtype), x], dim=1)  # (B, k-1+T[, F])
        ends = (
            torch.full((B,), T, dtype=torch.long, device=x.device)
            if lengths is None
            else lengths.to(device=x.device, dtype=torch.long)
        )
        new_state = take_steps(seq, ends, k - 1)  # x[L-k+1 .. L-1] = seq[L .. L+k-2]
        if self.spec.many_to_many:
            v = self._encode(seq)  # (B, k-1+T, S): each step encoded once
            windows = v.unfold(1, k, 1)  # (B, T, S, k), oldest step first along k
            windows = windows.transpose(2, 3).reshape(B, T, k * self.step_size)
        else:
            # Only the window ending at the last valid step matters: encode just that.
            last = self._encode(take_steps(seq, ends - 1, k))  # (B, k, S)
            windows = last.reshape(B, k * self.step_size)
        return self.head(self.body(windows)), new_state
