"""The convolutional LSTM family (Shi et al. 2015): sequences of images
(:mod:`rnnlab.nn.conv_lstm`), served by its own model, :mod:`rnnlab.models.conv_video`."""

from __future__ import annotations

from rnnlab.nn.checks import check_positive_int
from rnnlab.nn.conv_lstm import ConvLSTM, ConvLSTMCell, check_kernel_size, conv_lstm_shapes
from rnnlab.nn.families.record import Config, Family, Gate, Option, Shapes
from rnnlab.nn.lstm import DEFAULT_FORGET_BIAS


def shapes(config: Config, layer_input: int) -> Shapes:
    """One layer reading ``layer_input`` channels; peepholes one weight per channel (the
    config knows no frame size)."""
    return conv_lstm_shapes(layer_input, config.hidden_size, config.kernel_size, True,
                            config.peephole)


CONVLSTM_FAMILY = Family(
    name="convlstm",
    display_name="ConvLSTM",
    card_text="A convolutional LSTM (Shi et al. 2015) is an LSTM whose states are stacks of "
    "feature maps and whose matrix products are convolutions: each unit sees a small "
    "neighbourhood of the frame and of its own previous maps, so it tracks where things move "
    "with far fewer weights than an LSTM on flattened frames.",
    options=(
        Option("kernel_size", plain=3, text="kernel {}", check=check_kernel_size),
        Option("peephole", plain=False, text="peephole"),
        # read by the model (it reshapes the frames), not the layer
        Option("patch_size", plain=1, text="{0}x{0} patches", to_layer=False,
               check=check_positive_int),
        Option("head_kernel_size", plain=1, text="head {0}x{0}", to_layer=False,
               check=check_kernel_size),
        Option("forget_bias", plain=DEFAULT_FORGET_BIAS),  # an initialisation, not a variant
    ),
    words={"peephole": ("peephole", True)},
    layer=ConvLSTM,
    cell=ConvLSTMCell,
    state_kinds=("c", "h"),
    gates=(Gate("i", "input gate i"), Gate("f", "forget gate f (1 = keep)"),
           Gate("g", "candidate g", squash="tanh"), Gate("o", "output gate o")),
    gate_blocks=lambda config: ("i", "f", "g", "o"),
    shapes=shapes,
    drawing="rnnlab.viz.diagrams.drawings:CONVLSTM",
    model="rnnlab.models.conv_video:ConvLSTMVideoModel",
)
