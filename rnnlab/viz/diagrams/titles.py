"""The title and subtitle of a diagram: which cell and variant, its sizes and parameters."""

from __future__ import annotations

from rnnlab.models.config import ModelConfig
from rnnlab.viz.diagrams.blocks import count_parameters_by_block, total
from rnnlab.viz.diagrams.parameters import (
    count_layer_parameters,
    first_layer_formula,
    gate_blocks,
    is_stacked,
    stack_input_size,
)


def describe(config: ModelConfig) -> str:
    """The title: family and variant, with the papers they come from."""
    if config.family == "mlp":
        if config.embedding_dim:
            return f"Window MLP language model, window {config.window} (Bengio et al. 2003)"
        return f"Window MLP (feed-forward), window {config.window}"
    if config.family == "rnn":
        return f"Elman RNN ({config.nonlinearity})"
    if config.family == "gru":
        if config.reset_after:
            return "GRU, reset after the recurrent product (torch / cuDNN form)"
        return "GRU, reset before the recurrent product (Cho et al. 2014)"
    gate_blocks(config)  # rejects an invalid combination
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
    if config.family == "mlp":
        L = config.num_layers
        layers = f"{L} hidden layer{'s' if L != 1 else ''} of {config.hidden_size}" if L else (
            "no hidden layer")
        grand = total(count_parameters_by_block(config, input_size, output_size))
        return layers if grand is None else f"{layers} · {grand:,} parameters"
    parts = [f"H = {config.hidden_size}"]
    if config.family == "lstm" and config.proj_size:
        parts.append(f"P = {config.proj_size}")
    if config.family != "rnn":
        parts.append(f"{gate_blocks(config)} gate blocks")
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
