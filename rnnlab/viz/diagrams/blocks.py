"""A whole model as blocks (embedding, dense layers, recurrent layers, output), each counted.

The diagrams label every block with its parameter count. A count that depends on a size the
caller did not give (``input_size``: I features, or V tokens; ``output_size``: O, or V) is kept
as a formula in that symbol, e.g. ``"64·I + 64"``, so the picture still says how big it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from rnnlab.models.config import ModelConfig
from rnnlab.models.layer_stack import layer_config
from rnnlab.nn.families import family
from rnnlab.viz.diagrams.parameters import (
    count_layer_parameters,
    dense_parameters,
    directions,
    first_layer_formula,
    layer_inputs,
    output_width,
)


@dataclass(frozen=True)
class Block:
    """One block of a model: its name, widths in and out, and its parameter count.

    ``params`` is None when it depends on a size not given; ``formula`` then says how.
    """

    name: str
    params: int | None
    fan_in: int | None = None
    fan_out: int | None = None
    formula: str | None = None
    layer: ModelConfig | None = None  # a recurrent block of a layer list: its own config

    @property
    def count_text(self) -> str:
        """'1,234' or the formula, e.g. '64·I + 64'."""
        if self.params is not None:
            return f"{self.params:,}"
        return self.formula or "?"


def _dense(
    name: str,
    fan_in: int | None,
    fan_out: int | None,
    unknown_in: tuple[int, str] = (1, "I"),
    unknown_out: str = "O",
) -> Block:
    """A dense layer; an unknown fan-in is ``scale · symbol`` (e.g. the window's 5·I)."""
    if fan_in is not None and fan_out is not None:
        return Block(name, dense_parameters(fan_in, fan_out), fan_in, fan_out)
    scale, symbol = unknown_in
    if fan_out is not None:
        formula = f"{scale * fan_out:,}·{symbol} + {fan_out:,}"
    elif fan_in is not None:
        formula = f"{fan_in + 1:,}·{unknown_out}"
    else:
        width = symbol if scale == 1 else f"{scale}·{symbol}"
        formula = f"({width} + 1)·{unknown_out}"
    return Block(name, None, fan_in, fan_out, formula)


def _embedding(config: ModelConfig, input_size: int | None) -> Block:
    e = config.embedding_dim
    if input_size is None:
        return Block("embedding", None, None, e, f"{e:,}·V")
    return Block("embedding", input_size * e, input_size, e)


def mlp_input_width(config: ModelConfig, input_size: int | None) -> int | None:
    """Width of the window MLP's input vector: window * (embedding_dim or input_size)."""
    per_step = config.embedding_dim or input_size
    return None if per_step is None else config.window * per_step


def count_mlp_blocks(
    config: ModelConfig, input_size: int | None, output_size: int | None
) -> list[Block]:
    """The window MLP's blocks: embedding (if any), hidden layers, output layer."""
    tokens = bool(config.embedding_dim)
    blocks = [_embedding(config, input_size)] if tokens else []
    width = mlp_input_width(config, input_size)
    unknown_in = (config.window, "I")
    for k in range(config.num_layers):
        blocks.append(_dense(f"hidden {k + 1}", width, config.hidden_size, unknown_in))
        width = config.hidden_size
    blocks.append(_dense("output", width, output_size, unknown_in, "V" if tokens else "O"))
    return blocks


def _recurrent_block(
    name: str, config: ModelConfig, fan_in: int | None, layer: ModelConfig | None = None
) -> Block:
    """One recurrent layer of ``config`` (both directions together) reading ``fan_in``."""
    D = directions(config)
    out = D * output_width(config)
    if fan_in is None:
        a, b = first_layer_formula(config)
        formula = f"{a:,}·I + {b:,}" if D == 1 else f"{D} × ({a:,}·I + {b:,})"
        return Block(name, None, None, out, formula, layer)
    return Block(name, D * count_layer_parameters(config, fan_in), fan_in, out, layer=layer)


def _output_block(
    config: ModelConfig, width: int | None, output_size: int | None, tokens: bool
) -> Block:
    if config.tie_weights and tokens and width == config.embedding_dim and output_size:
        return Block("output", output_size, width, output_size)  # bias only
    return _dense("output", width, output_size, unknown_out="V" if tokens else "O")


def count_layer_list_blocks(
    config: ModelConfig, input_size: int | None, output_size: int | None
) -> list[Block]:
    """A layer list's blocks bottom to top: embedding, then each layer as written (a
    recurrent one carries its own one-layer config), then the output layer."""
    tokens = bool(config.embedding_dim)
    blocks = [_embedding(config, input_size)] if tokens else []
    width = config.embedding_dim if tokens else input_size
    number = dense = 0
    for spec in config.layer_specs:
        if spec.recurrent:
            number += 1
            layer = layer_config(config, spec)
            blocks.append(_recurrent_block(f"layer {number}", layer, width, layer))
        else:
            dense += 1
            blocks.append(_dense(f"dense {dense}", width, spec.size))
        width = blocks[-1].fan_out
    blocks.append(_output_block(config, width, output_size, tokens))
    return blocks


def count_stack_blocks(
    config: ModelConfig, input_size: int | None, output_size: int | None
) -> list[Block]:
    """A recurrent model's blocks bottom to top: embedding, dense before, the recurrent
    layers (both directions together), dense after, and the output layer (for a layer list:
    :func:`count_layer_list_blocks`)."""
    if config.layers:
        return count_layer_list_blocks(config, input_size, output_size)
    tokens = bool(config.embedding_dim)
    blocks = [_embedding(config, input_size)] if tokens else []
    width = config.embedding_dim if tokens else input_size
    for k, out in enumerate(config.dense_before, start=1):
        blocks.append(_dense(f"dense before {k}", width, out))
        width = out
    for number, fan_in in enumerate(layer_inputs(config, input_size), start=1):
        blocks.append(_recurrent_block(f"layer {number}", config, fan_in))
    width = directions(config) * output_width(config)
    for k, out in enumerate(config.dense_after, start=1):
        blocks.append(_dense(f"dense after {k}", width, out))
        width = out
    blocks.append(_output_block(config, width, output_size, tokens))
    return blocks


def size_text(n: int | None, symbol: str) -> str:
    """A size for a label: '10,000', or its symbol when unknown."""
    return symbol if n is None else f"{n:,}"


def total(blocks: list[Block]) -> int | None:
    """The sum of the blocks' counts, None if any is unknown."""
    counts = [b.params for b in blocks]
    return None if any(c is None for c in counts) else sum(c for c in counts if c is not None)


def count_parameters_by_block(
    config: ModelConfig, input_size: int | None = None, output_size: int | None = None
) -> list[Block]:
    """Every block of the model of ``config`` with its parameter count, input to output."""
    if not family(config.family).recurrent:
        return count_mlp_blocks(config, input_size, output_size)
    return count_stack_blocks(config, input_size, output_size)
