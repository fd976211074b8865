"""A recurrent language model: an output per step over tokens.

    ids (B, T) → embedding (or one-hot) → RecurrentStack → Linear → logits (B, T, V)

Trained on streams by truncated BPTT: pass the returned state back as ``state=`` with the
next batch of the same streams (after :func:`~rnnlab.models.detach_state`).

With ``tie_weights`` the output layer's weight *is* the embedding matrix (Press & Wolf 2017;
Inan et al. 2017): the same Parameter object, so it is stored and counted once. That needs the
features reaching the head to be as wide as the embedding.
"""

from __future__ import annotations

from torch import nn

from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.models.recurrent_stack import InputEncoder, RecurrentModel
from rnnlab.tasks.base import TaskSpec


def tie_output_to_embedding(head: nn.Linear, encoder: InputEncoder) -> None:
    """Make ``head.weight`` the embedding matrix (V, E); ValueError if the widths differ.

    ``check_compatible`` has already made sure the task's vocabulary is the same on both sides
    and that there is an embedding.
    """
    embedding = encoder.embedding
    if embedding is None:  # one-hot input: nothing to share
        raise UserError("tie_weights needs embedding_dim > 0 (one-hot input has no matrix)")
    width, dim = head.in_features, embedding.embedding_dim
    if width != dim:
        raise UserError(
            f"tie_weights: the output layer reads {width} features per step but the embedding "
            f"has {dim}; they must be equal. Set embedding_dim={width}, or make the last layer "
            f"before the head {dim} wide: hidden_size={dim} (both directions count), "
            f"proj_size={dim} for an LSTM, or a last dense_after width of {dim}"
        )
    head.weight = embedding.weight


class LanguageModel(RecurrentModel):
    """Many-to-many over tokens: x (B, T) int64 → (B, T, K) logits, final state.

    Attributes: ``encoder`` (its ``embedding`` or one-hot), ``stack``
    (:class:`~rnnlab.models.recurrent_stack.RecurrentStack`), ``head`` (Linear).
    """

    def __init__(self, config: ModelConfig, spec: TaskSpec) -> None:
        if spec.input_kind != "tokens" or not spec.many_to_many:
            raise UserError(
                "a LanguageModel reads tokens and gives an output per step; "
                "use Classifier or Forecaster for this task"
            )
        super().__init__(config, spec)
        if config.tie_weights:
            tie_output_to_embedding(self.head, self.encoder)
