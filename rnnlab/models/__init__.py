"""Whole networks assembled from :mod:`rnnlab.nn`, one per kind of task.

Every model has ``.config`` (:class:`ModelConfig`), ``.spec`` (the task's ``TaskSpec``),
``forward(x, lengths=None, state=None) -> (output, state)``, ``num_parameters`` and
``describe()``. Build one with :func:`build_model`.
"""

from rnnlab.models.budget import fit_budget, hidden_size_for_budget
from rnnlab.models.build import build_model, model_class
from rnnlab.models.classifier import Classifier
from rnnlab.models.config import FAMILIES, ModelConfig
from rnnlab.models.count import count_parameters
from rnnlab.models.forecaster import Forecaster
from rnnlab.models.language_model import LanguageModel
from rnnlab.models.recurrent_stack import (
    RecurrentModel,
    RecurrentStack,
    SequenceModel,
    State,
    check_compatible,
    detach_state,
)
from rnnlab.models.streaming import StepStreams
from rnnlab.models.window_mlp import WindowMLP

__all__ = [
    "FAMILIES",
    "Classifier",
    "Forecaster",
    "LanguageModel",
    "ModelConfig",
    "RecurrentModel",
    "RecurrentStack",
    "SequenceModel",
    "State",
    "StepStreams",
    "WindowMLP",
    "build_model",
    "check_compatible",
    "count_parameters",
    "detach_state",
    "fit_budget",
    "hidden_size_for_budget",
    "model_class",
]
