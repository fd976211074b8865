"""The title and subtitle of a diagram: which cell and variant, its sizes and parameters."""

from __future__ import annotations

from rnnlab.models.config import ModelConfig
from rnnlab.models.layer_stack import layers_title
from rnnlab.nn.families import family
from rnnlab.viz.diagrams.blocks import count_parameters_by_block, total
from rnnlab.viz.diagrams.drawing import drawing_of
from rnnlab.viz.diagrams.parameters import (
    count_layer_parameters,
    first_layer_formula,
    is_stacked,
    stack_input_size,
)
from rnnlab.viz.diagrams.regularisers import title_part


def describe(config: ModelConfig) -> str:
    """The title: family and variant, with the papers they come from (its Drawing's), and the
    regularisers that are on (:mod:`.regularisers`); a layer list's layers in order."""
    if config.layers:
        return "Layers: " + layers_title(config)
    title, regularised = drawing_of(config).title(config), title_part(config)
    return f"{title} + {regularised}" if regularised else title


def mlp_title(config: ModelConfig) -> str:
    if config.embedding_dim:
        return f"Window MLP language model, window {config.window} (Bengio et al. 2003)"
    return f"Window MLP (feed-forward), window {config.window}"


def elman_title(config: ModelConfig) -> str:
    return f"Elman RNN ({config.nonlinearity})"


def gru_title(config: ModelConfig) -> str:
    if config.reset_after:
        return "GRU, reset after the recurrent product (torch / cuDNN form)"
    return "GRU, reset before the recurrent product (Cho et al. 2014)"


def conv_lstm_title(config: ModelConfig) -> str:
    k = config.kernel_size
    name = f"ConvLSTM, {k}×{k} convolutions (Shi et al. 2015)"
    p = config.patch_size
    patches = f" on {p}×{p} patches" if p > 1 else ""
    return name + patches + (" + peepholes" if config.peephole else "")


def lstm_title(config: ModelConfig) -> str:
    if not config.forget_gate:
        name = "LSTM, 1997 cell without forget gate (Hochreiter & Schmidhuber 1997)"
    elif config.coupled:
        name = "LSTM, coupled input and forget gates: CIFG (Greff et al. 2017)"
    else:
        name = "LSTM with forget gate (Gers et al. 2000)"
    extras = [
        label
        for on, label in (
            (config.peephole, "peepholes"),
            (config.layer_norm, "layer norm"),
            (config.proj_size, f"projection to {config.proj_size}"),
        )
        if on
    ]
    return name + (" + " + " + ".join(extras) if extras else "")


def summary(config: ModelConfig, input_size: int | None, output_size: int | None) -> str:
    """The subtitle: sizes and parameter counts."""
    if config.layers:
        n = len(config.layer_specs)
        grand = total(count_parameters_by_block(config, input_size, output_size))
        return f"{n} layers" + ("" if grand is None else f" · model: {grand:,} parameters")
    kind = family(config.family)
    if not kind.recurrent:  # the window MLP
        L = config.num_layers
        layers = f"{L} hidden layer{'s' if L != 1 else ''} of {config.hidden_size}" if L else (
            "no hidden layer")
        grand = total(count_parameters_by_block(config, input_size, output_size))
        return layers if grand is None else f"{layers} · {grand:,} parameters"
    parts = [f"H = {config.hidden_size}"]
    P = kind.output_width(config)
    if config.hidden_size != P:  # an LSTMP's projection
        parts.append(f"P = {P}")
    blocks = kind.gate_blocks(config)
    if blocks:  # the gated families
        parts.append(f"{len(blocks)} gate blocks")
    first = stack_input_size(config, input_size)
    if first is None:
        a, b = first_layer_formula(config)
        parts.append(f"layer 1 has {a:,}·I + {b:,} parameters per direction")
    else:
        parts.append(f"layer 1 has {count_layer_parameters(config, first):,} parameters "
                     f"per direction (I = {first})")
    grand = total(count_parameters_by_block(config, input_size, output_size))
    if is_stacked(config) and grand is not None:
        parts.append(f"model: {grand:,} parameters")
    return " · ".join(parts)
