"""Parameter counts computed from a :class:`~rnnlab.models.config.ModelConfig` alone.

The diagrams label every block with its size and parameter count without building the model.
A recurrent layer's count is the sum of the parameter shapes its family registers
(:attr:`rnnlab.nn.families.Family.shapes`, biases always present, as in every rnnlab model),
so it cannot drift from the layer; for the plain cells it equals ``torch.nn.RNN/LSTM/GRU``'s.
For one layer and one direction, with I its input width, H hidden units, P = proj_size or H:

* Elman:  H (I + H) + 2H
* GRU:    3H (I + H) + 2 * 3H
* LSTM:   G H (I + P) + 2 G H, G = 4 gate blocks (3 for the 1997 cell and for CIFG), plus
  P H (projection W_hr), (G - 1) H (peepholes), 2 G H + 2 H (layer-norm gains and shift).

Layer k > 0 reads the D * P outputs of the layer below (D = 2 when bidirectional).
"""

from __future__ import annotations

from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.nn.families import family


def output_width(config: ModelConfig) -> int:
    """Width of one direction's output of a recurrent layer: P for an LSTMP, else H."""
    return family(config.family).output_width(config)


def is_stacked(config: ModelConfig) -> bool:
    """Whether the model has more structure than one cell: layers, directions, dense blocks."""
    return (
        bool(config.layers)
        or config.num_layers > 1
        or config.bidirectional
        or bool(config.dense_before)
        or bool(config.dense_after)
    )


def directions(config: ModelConfig) -> int:
    """D: 2 for a bidirectional model, else 1."""
    return 2 if config.bidirectional else 1


def stack_input_size(config: ModelConfig, input_size: int | None) -> int | None:
    """Width of what the first recurrent layer reads, None when only ``input_size`` could say.

    The last dense-before layer, else the embedding, else the model's own input.
    """
    if config.dense_before:
        return config.dense_before[-1]
    if config.embedding_dim:
        return config.embedding_dim
    return input_size


def count_layer_parameters(config: ModelConfig, layer_input: int) -> int:
    """Parameters of one recurrent layer in one direction that reads ``layer_input`` features."""
    return family(config.family).count_parameters(config, layer_input)


def layer_inputs(config: ModelConfig, input_size: int | None) -> list[int | None]:
    """The input width of every recurrent layer, bottom to top (None: unknown first input)."""
    below = directions(config) * output_width(config)
    return [stack_input_size(config, input_size)] + [below] * (config.num_layers - 1)


def count_recurrent_parameters(config: ModelConfig, input_size: int | None = None) -> int:
    """Parameters of all recurrent layers (every layer, both directions) of ``config``.

    ``input_size`` is the model's input width (features per step, or the vocabulary size for
    token inputs); it is needed only when neither ``dense_before`` nor ``embedding_dim`` fixes
    what the first recurrent layer reads.
    """
    total = 0
    for width in layer_inputs(config, input_size):
        if width is None:
            raise UserError("count_recurrent_parameters needs input_size for this config")
        total += directions(config) * count_layer_parameters(config, width)
    return total


def first_layer_formula(config: ModelConfig) -> tuple[int, int]:
    """(a, b) with one direction of the first recurrent layer having a * I + b parameters."""
    b = count_layer_parameters(config, 0)
    return count_layer_parameters(config, 1) - b, b


def dense_parameters(fan_in: int, fan_out: int) -> int:
    """A dense layer: weight and bias."""
    return fan_in * fan_out + fan_out
