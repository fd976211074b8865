"""Choose and build the model a config asks for, for a task's spec.

a family whose record names a model     → that model (convlstm: ConvLSTMVideoModel)
encoder_forecaster (next frames)          → FrameForecaster (the FC-LSTM of Shi et al.)
family "mlp" (not recurrent)              → WindowMLP (any task)
token inputs, an output per step          → LanguageModel
feature inputs, regression outputs        → Forecaster (one output, or one per step)
a seq2seq spec (spec.seq2seq)              → Seq2Seq (encoder, decoder, attention)
anything else                             → Classifier (last valid step, or per step)
"""

from __future__ import annotations

import importlib

from rnnlab.errors import UserError
from rnnlab.models.classifier import Classifier
from rnnlab.models.config import ModelConfig
from rnnlab.models.forecaster import Forecaster
from rnnlab.models.frame_forecaster import FrameForecaster
from rnnlab.models.language_model import LanguageModel
from rnnlab.models.recurrent_stack import SequenceModel, check_compatible
from rnnlab.models.seq2seq import Seq2Seq
from rnnlab.models.window_mlp import WindowMLP
from rnnlab.nn.families import family
from rnnlab.tasks.base import TaskSpec


def model_class(config: ModelConfig, spec: TaskSpec) -> type[SequenceModel]:
    """The class :func:`build_model` would use."""
    if spec.seq2seq:
        return Seq2Seq
    if config.attention != "none" or config.decoder_layers:
        raise UserError("attention and decoder_layers are for sequence-to-sequence tasks "
                        "(dates, numbers, parallel)")
    kind = family(config.family)
    if kind.model:  # the family brings its own model (named, as nn may not import models)
        module, _, attribute = kind.model.partition(":")
        return getattr(importlib.import_module(module), attribute)
    if config.encoder_forecaster:
        return FrameForecaster
    if not family(config.family).recurrent:  # the window MLP, the one feed-forward family
        return WindowMLP
    if spec.input_kind == "tokens" and spec.many_to_many:
        return LanguageModel
    if spec.input_kind == "features" and spec.output_kind == "regression":
        return Forecaster
    return Classifier


def build_model(config: ModelConfig, spec: TaskSpec) -> SequenceModel:
    """A freshly initialised model for ``spec``; ValueError when the config cannot serve it
    (bidirectional on a task that forbids looking ahead, impossible weight tying, ...).
    """
    check_compatible(config, spec)
    return model_class(config, spec)(config, spec)
