"""What a family *is* to the rest of rnnlab: one frozen :class:`Family` record per family.

A record holds data and small functions of a model config, never state; the consumers
(``ModelConfig``, the model builders, the compare mini-language, the inspector, the diagrams,
the report) ask it instead of testing the family's name. ``config`` below is a
:class:`rnnlab.models.ModelConfig`, read by attribute: :mod:`rnnlab.models` sits above
:mod:`rnnlab.nn`, so it is not imported here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from torch import nn

from rnnlab.errors import UserError
from rnnlab.nn.cell import RecurrentCell
from rnnlab.nn.recurrent import RecurrentLayer

Config = Any  # a rnnlab.models.ModelConfig
Shapes = dict[str, tuple[int, ...]]


@dataclass(frozen=True)
class Option:
    """One ``ModelConfig`` field a family reads, passed to its layer under the same name."""

    field: str  # the ModelConfig field, and the keyword of the family's layer
    plain: Any  # its value in the plain cell, never named in the variant text (None: any
    # value is named)
    text: str | None = None  # variant text, "{}" for the value; None: never named
    to_layer: bool = True  # passed to the layer constructor (False: read by the model only)
    # the value's own rule, check(field, value) raising UserError (the layer's own check, so
    # a config says it before a layer is built); None: any value the field's type allows
    check: Callable[[str, Any], object] | None = None
    # parameters it adds to one layer and direction besides the family's ``shapes`` (learned
    # initial states), given the config; None: none
    parameters: Callable[[Config], int] | None = None

    def variant_text(self, value: Any) -> str | None:
        """What the variant text says about ``value`` (None: nothing)."""
        if self.text is None or value == self.plain:
            return None
        return self.text.format(value)


@dataclass(frozen=True)
class Gate:
    """One gate (or candidate) a family's step records for traces."""

    name: str  # its symbol in the equations, the weights and the trace: "f"
    label: str  # how a heatmap row names it: "forget gate f (1 = keep)"
    squash: str = "sigmoid"  # "sigmoid": a gate in (0, 1); "tanh": a candidate in (-1, 1)


def _no_check(config: Config) -> None:
    """A family without rules between its options."""


def _no_blocks(config: Config) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True)
class Family:
    """Everything rnnlab needs to know about one family of models."""

    name: str  # ModelConfig.family, the first word of a compare model spec, Trace.family
    display_name: str  # in describe(), report labels and readings: "LSTM", "window MLP"
    card_text: str  # what the family is, in plain words (its card in the comparison report)
    options: tuple[Option, ...] = ()  # the ModelConfig fields it reads, in variant-text order
    # compare mini-language ("lstm:peephole"): word -> (ModelConfig field, value)
    words: Mapping[str, tuple[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    # sequence layer (a RecurrentLayer, or ConvLSTM for images); None: not recurrent
    layer: type[RecurrentLayer] | type[nn.Module] | None = None
    cell: type[RecurrentCell] | type[nn.Module] | None = None  # one-step cell
    state_kinds: tuple[str, ...] = ("h",)  # the states a trace keeps, display order
    gates: tuple[Gate, ...] = ()  # every gate its step may record, display order
    # the gate blocks stacked in the weights for a config, e.g. ("i", "f", "g", "o")
    gate_blocks: Callable[[Config], tuple[str, ...]] = _no_blocks
    # parameter shapes of one layer and direction reading ``layer_input`` features (biases
    # on, as in every rnnlab model): the very shapes the layer registers
    shapes: Callable[[Config, int], Shapes] | None = None
    check: Callable[[Config], None] = _no_check  # rules between options, raising UserError
    # "module:attribute" of its rnnlab.viz.diagrams.drawing.Drawing. A name, not the object:
    # nn sits below viz (the arrows point down), so a record may name its pictures but not
    # import them; viz resolves the name when it draws.
    drawing: str = ""
    # "module:attribute" of the model class that serves this family instead of rnnlab's
    # vector models (the ConvLSTM reads frames: rnnlab.models.conv_video), named for the same
    # reason as the drawing; "" = the models of rnnlab.models.build. Such a family is not a
    # kind of a layer list.
    model: str = ""

    @property
    def recurrent(self) -> bool:
        """Whether the family has a recurrent layer (the window MLP has none)."""
        return self.layer is not None

    def reads(self, name: str) -> bool:
        """Whether ``name`` is a ModelConfig field this family reads."""
        return any(o.field == name for o in self.options)

    def validate(self, config: Config) -> None:
        """Raise UserError for a bad value of one of the family's options (each Option's
        ``check``) or a bad combination of them (``check``)."""
        for option in self.options:
            if option.check is not None:
                option.check(option.field, getattr(config, option.field))
        self.check(config)

    def variant(self, config: Config) -> str:
        """The options of ``config`` that differ from the plain form, e.g. "peephole, CIFG"."""
        parts = (o.variant_text(getattr(config, o.field)) for o in self.options)
        return ", ".join(p for p in parts if p)

    def layer_kwargs(self, config: Config) -> dict[str, Any]:
        """The family's keyword arguments of its layer for ``config``."""
        return {o.field: getattr(config, o.field) for o in self.options if o.to_layer}

    def output_width(self, config: Config) -> int:
        """What one direction of a layer emits per step: the projection P if the family has
        one and it is on, else H."""
        if self.reads("proj_size") and config.proj_size:
            return int(config.proj_size)
        return int(config.hidden_size)

    def count_parameters(self, config: Config, layer_input: int) -> int:
        """Parameters of one layer in one direction that reads ``layer_input`` features."""
        if self.shapes is None:
            raise UserError(f"family {self.name!r} has no recurrent layers")
        count = sum(math.prod(shape) for shape in self.shapes(config, layer_input).values())
        return count + sum(o.parameters(config) for o in self.options if o.parameters)
