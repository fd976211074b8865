"""A recurrent classifier: one output per sequence, read at its last valid step.

    x (B, T) or (B, T, F) → encoder → RecurrentStack → last valid step → Linear → (B, K)

"Last valid step" respects ``lengths``: the output for a padded batch equals the output for
each sequence run alone. For a bidirectional stack the forward direction is read at step
``lengths - 1`` and the backward direction at step 0, the two points where each has seen the
whole sequence.

The head's K outputs are logits for classes (CE), for labels (BCE) or plain values (MSE): the
task's loss decides. For a many-to-many spec with feature inputs (per-step labelling, e.g.
multilabel frames) the same model emits every step (B, T, K) instead.
"""

from __future__ import annotations

from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.models.recurrent_stack import RecurrentModel
from rnnlab.tasks.base import TaskSpec


class Classifier(RecurrentModel):
    """Many-to-one (or per-step labelling): output (B, K) (or (B, T, K)), final state.

    Attributes: ``encoder``, ``stack``
    (:class:`~rnnlab.models.recurrent_stack.RecurrentStack`), ``head`` (Linear).
    """

    def __init__(self, config: ModelConfig, spec: TaskSpec) -> None:
        if config.tie_weights:
            raise UserError("tie_weights is for language models, not classifiers")
        super().__init__(config, spec)
