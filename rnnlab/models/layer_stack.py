"""The body of a model written as a layer list (:mod:`rnnlab.models.layer_spec`).

``ModelConfig(layers=("dense:32", "lstm:64:peephole", "gru:32:bidirectional"))`` gives::

    (B, T, I) → Linear+tanh (32) → LSTM 64, peephole → GRU 32 ⇄ → [last valid step] → head

with ``config.dropout`` after every layer, as the uniform stack has it between its layers and
before the head. Each recurrent item is one :mod:`rnnlab.nn` layer built from its own
one-layer :class:`ModelConfig`, so every family option, check and backend works per layer
exactly as in a uniform stack.

**State.** A list with one entry per recurrent layer, each in that layer's torch form (a
tensor (D, B, H), or (h, c) for an LSTM); ``state=`` takes such a list back.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.models.layer_spec import LayerSpec
from rnnlab.models.stack_parts import (
    ACTIVATIONS,
    last_valid_step,
    make_recurrent_layer,
    run_packed,
)
from rnnlab.nn.families import family


def layer_config(config: ModelConfig, spec: LayerSpec) -> ModelConfig:
    """The one-layer config a recurrent item of ``config.layers`` builds from."""
    return ModelConfig(
        family=spec.kind, hidden_size=spec.size, backend=config.backend, **dict(spec.options)
    )


def layer_output_size(config: ModelConfig, spec: LayerSpec) -> int:
    """What one item emits per step: its width, a projection, times its directions."""
    if not spec.recurrent:
        return spec.size
    one = layer_config(config, spec)
    return (2 if one.bidirectional else 1) * family(one.family).output_width(one)


class LayerStack(nn.Module):
    """The layers of ``config.layers`` in order; the same interface as ``RecurrentStack``.

    Input (B, T, I) float; output (B, T, output_size), or (B, output_size) with
    ``last_only=True``; plus the list of the recurrent layers' final states.
    """

    def __init__(self, config: ModelConfig, input_size: int) -> None:
        super().__init__()
        self.specs = config.layer_specs
        self.blocks = nn.ModuleList()
        width = input_size
        for spec in self.specs:
            if spec.recurrent:
                block = make_recurrent_layer(layer_config(config, spec), width)
            else:
                act = ACTIVATIONS[spec.option("nonlinearity", "tanh")]
                block = nn.Sequential(nn.Linear(width, spec.size), act())
            self.blocks.append(block)
            width = layer_output_size(config, spec)
        self.output_size = width
        self.dropout = nn.Dropout(config.dropout)
        # Many-to-one reads each sequence's last valid step right after the last recurrent
        # layer: there its output still has the [forward | backward] layout that the
        # selection needs; the dense layers after it work per step, so selecting first gives
        # the same result, T times cheaper.
        self.last_recurrent = max(i for i, s in enumerate(self.specs) if s.recurrent)
        pairs = zip(self.blocks, self.specs, strict=True)
        self.recurrent_layers = [block for block, spec in pairs if spec.recurrent]

    def forward(
        self,
        x: Tensor,
        lengths: Tensor | None = None,
        state: list[Any] | None = None,
        last_only: bool = False,
    ) -> tuple[Tensor, list[Any]]:
        """x (B, T, I) → features (B, T, O) or (B, O) if ``last_only``, final states."""
        states = self._initial_states(state)
        finals: list[Any] = []
        out = x
        for i, (spec, block) in enumerate(zip(self.specs, self.blocks, strict=True)):
            if spec.recurrent:
                out, final = run_packed(block, out, lengths, states[len(finals)])
                finals.append(final)
            else:
                out = block(out)
            out = self.dropout(out)
            if last_only and i == self.last_recurrent:
                directions = 2 if block.bidirectional else 1
                out = last_valid_step(out, lengths, directions)
        return out, finals

    def _initial_states(self, state: list[Any] | None) -> list[Any]:
        n = len(self.recurrent_layers)
        if state is None:
            return [None] * n
        if not isinstance(state, list) or len(state) != n:
            raise UserError(
                f"this layer list has {n} recurrent layer(s): state must be a list of {n} "
                "per-layer states (as the model returned it)"
            )
        return list(state)



def layer_text(config: ModelConfig, spec: LayerSpec, size: bool = True) -> str:
    """One layer in words: ``"LSTM 64 (peephole, bidirectional)"``, ``"dense 32 (relu)"``;
    without the width if not ``size``."""
    width = f" {spec.size}" if size else ""
    if not spec.recurrent:
        act = spec.option("nonlinearity", "tanh")
        return f"dense{width}" + (f" ({act})" if act != "tanh" else "")
    one = layer_config(config, spec)
    parts = [p for p in (one.variant, "bidirectional" if one.bidirectional else "") if p]
    return f"{family(one.family).display_name}{width}" + (
        f" ({', '.join(parts)})" if parts else ""
    )


def layers_title(config: ModelConfig, sizes: bool = True) -> str:
    """A layer list in words, in the order the data flows: ``"dense 32 → LSTM 64 → GRU 16"``
    (``"dense → LSTM → GRU"`` without ``sizes``)."""
    return " → ".join(layer_text(config, spec, sizes) for spec in config.layer_specs)
