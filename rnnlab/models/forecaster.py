"""A recurrent forecaster: feature vectors in, real values out.

    x (B, T, F) → RecurrentStack → last valid step → Linear → (B, K)

Many-to-one by default (the value after the window, read at the last valid step as in
:mod:`~rnnlab.models.classifier`); a many-to-many spec gives a forecast at every step (B, T, K).
The head is linear: no squashing, the targets are whatever scale the task gives.
"""

from __future__ import annotations

from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.models.recurrent_stack import RecurrentModel
from rnnlab.tasks.base import TaskSpec


class Forecaster(RecurrentModel):
    """Features (B, T, F) → regression output (B, K) (or (B, T, K)), final state.

    Attributes: ``encoder`` (pass-through), ``stack``
    (:class:`~rnnlab.models.recurrent_stack.RecurrentStack`), ``head`` (Linear).
    """

    def __init__(self, config: ModelConfig, spec: TaskSpec) -> None:
        if spec.input_kind != "features" or spec.output_kind != "regression":
            raise UserError(
                "a Forecaster reads feature vectors and predicts real values; "
                "use LanguageModel or Classifier for this task"
            )
        if config.tie_weights:
            raise UserError("tie_weights is for language models, not forecasters")
        super().__init__(config, spec)
