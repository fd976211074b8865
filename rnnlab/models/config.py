"""The model configuration: one dataclass that is enough to rebuild any rnnlab model.

It is stored (as JSON) in every checkpoint next to the weights. The command line turns each
field into an option whose help is the comment beside the field, so every field keeps a
default and a one-line comment.

Options that belong to one family (``peephole`` for the LSTM, ``reset_after`` for the GRU, ...)
are ignored by the other families, so that one config can be rebuilt with another ``family``
to compare architectures on the same task. Which options a family reads, the rules between
them and the variant text are the family's (:mod:`rnnlab.nn.families`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from rnnlab.errors import UserError
from rnnlab.models.layer_spec import LayerSpec, parse_layers
from rnnlab.nn.backend import LAYER_BACKENDS
from rnnlab.nn.families import families, family, family_names

NONLINEARITIES = ("tanh", "relu", "sigmoid")
ATTENTIONS = ("none", "bahdanau", "luong")  # rnnlab.models.attention
FRAME_ENCODERS = ("", "cnn")  # how a video model encodes each frame (rnnlab.models.frames)

# The built-in families, and how each is named in describe() strings and reports: snapshots
# of the registry for the callers that want a constant (a family registered later is found
# by rnnlab.nn.families.family, not here).
FAMILIES = family_names()
FAMILY_NAMES = {f.name: f.display_name for f in families()}


@dataclass
class ModelConfig:
    """Everything needed to rebuild a model: its family, sizes and the family's options.

    Stored in every checkpoint next to the weights; ``rnnlab train`` and ``rnnlab draw`` have
    one option per field (``--hidden-size``), and a run's ``run.toml`` holds them under
    ``[model]``. Options of one family are ignored by the others, so one config can be rebuilt
    with another ``family``. Invalid values raise :class:`~rnnlab.errors.UserError`. The fields:

    family: mlp (fixed-window feed-forward) | rnn (Elman) | lstm | gru | convlstm
    hidden_size: units per recurrent layer, or per hidden layer of the MLP
    num_layers: stacked recurrent layers, or hidden layers of the MLP
    bidirectional: recurrent layers read both ways (tasks that allow it)
    dropout: between stacked layers and before the output head
    nonlinearity: Elman and MLP activation: tanh | relu | sigmoid
    forget_gate: LSTM: False gives the 1997 cell (c = c_prev + i*g)
    peephole: LSTM: gates see the cell (Gers & Schmidhuber 2000)
    coupled: LSTM: CIFG, i = 1 - f
    layer_norm: LSTM: LN on gate pre-activations and the cell (Ba et al. 2016)
    proj_size: LSTM: projection of h to this size (LSTMP), 0 = none
    forget_bias: LSTM: initial forget-gate bias (Jozefowicz et al. 2015)
    reset_after: GRU: torch/cuDNN form; False = Cho et al. 2014
    kernel_size: ConvLSTM: odd convolution kernel, k x k with 'same' padding
    patch_size: ConvLSTM: frames cut into p x p patches, C·p² channels (Shi et al.)
    head_kernel_size: ConvLSTM, next frames: odd kernel of the frame head, 1 = a 1x1 conv
    frame_encoder: video: "cnn" encodes each frame by a small CNN first; "" = none
    encoder_forecaster: next frames: an encoder, then a forecaster of its own
    recurrent_dropout: variational dropout on x_t, h_{t-1}: one mask per sequence
    weight_drop: DropConnect on W_hh, one mask per forward (AWD-LSTM)
    zoneout: chance each unit of h keeps its last value (Krueger et al. 2017)
    zoneout_cell: LSTM: zoneout on the cell state c
    learn_init: learned initial states h_0 (LSTM: and c_0)
    embedding_dim: token inputs: embedding width (0 = one-hot input)
    dense_before: widths of dense layers applied per step before the stack
    dense_after: widths of dense layers between the stack and the head
    layers: body as a layer list, e.g. "dense:32, lstm:64:peephole, gru:16"
    window: MLP: how many most recent steps it sees
    tie_weights: language model: output layer shares the embedding matrix
    backend: auto (fused where exact, else bptt) | bptt | fused | reference
    attention: seq2seq: none | bahdanau (additive) | luong (multiplicative)
    decoder_layers: seq2seq: decoder layer list; () = the encoder's, one way
    max_output_len: seq2seq: longest output decoded; 0 = the task's longest target
    """

    family: str = "lstm"  # mlp (fixed-window feed-forward) | rnn (Elman) | lstm | gru | convlstm
    hidden_size: int = 128  # units per recurrent layer, or per hidden layer of the MLP
    num_layers: int = 1  # stacked recurrent layers, or hidden layers of the MLP
    bidirectional: bool = False  # recurrent layers read both ways (tasks that allow it)
    dropout: float = 0.0  # between stacked layers and before the output head
    nonlinearity: str = "tanh"  # Elman and MLP activation: tanh | relu | sigmoid
    forget_gate: bool = True  # LSTM: False gives the 1997 cell (c = c_prev + i*g)
    peephole: bool = False  # LSTM: gates see the cell (Gers & Schmidhuber 2000)
    coupled: bool = False  # LSTM: CIFG, i = 1 - f
    layer_norm: bool = False  # LSTM: LN on gate pre-activations and the cell (Ba et al. 2016)
    proj_size: int = 0  # LSTM: projection of h to this size (LSTMP), 0 = none
    forget_bias: float = 1.0  # LSTM: initial forget-gate bias (Jozefowicz et al. 2015)
    reset_after: bool = True  # GRU: torch/cuDNN form; False = Cho et al. 2014
    kernel_size: int = 3  # ConvLSTM: odd convolution kernel, k x k with 'same' padding
    patch_size: int = 1  # ConvLSTM: frames cut into p x p patches, C·p² channels (Shi et al.)
    head_kernel_size: int = 1  # ConvLSTM, next frames: odd kernel of the frame head
    frame_encoder: str = ""  # video: "cnn" encodes each frame by a small CNN first; "" = none
    encoder_forecaster: bool = False  # next frames: an encoder, then a forecaster of its own
    recurrent_dropout: float = 0.0  # variational dropout on x_t, h_{t-1}: one mask per sequence
    weight_drop: float = 0.0  # DropConnect on W_hh, one mask per forward (AWD-LSTM)
    zoneout: float = 0.0  # chance each unit of h keeps its last value (Krueger et al. 2017)
    zoneout_cell: float = 0.0  # LSTM: zoneout on the cell state c
    learn_init: bool = False  # learned initial states h_0 (LSTM: and c_0)
    embedding_dim: int = 0  # token inputs: embedding width (0 = one-hot input)
    dense_before: tuple[int, ...] = ()  # widths of dense layers applied per step before the stack
    dense_after: tuple[int, ...] = ()  # widths of dense layers between the stack and the head
    layers: tuple[str, ...] = ()  # body as a layer list, e.g. "dense:32, lstm:64:peephole, gru:16"
    window: int = 5  # MLP: how many most recent steps it sees
    tie_weights: bool = False  # language model: output layer shares the embedding matrix
    backend: str = "auto"  # auto (fused where exact, else bptt) | bptt | fused | reference
    attention: str = "none"  # seq2seq: none | bahdanau (additive) | luong (multiplicative)
    decoder_layers: tuple[str, ...] = ()  # seq2seq: decoder layer list; () = the encoder's, one way
    max_output_len: int = 0  # seq2seq: longest output decoded; 0 = the task's longest target

    def __post_init__(self) -> None:
        # JSON (checkpoints) and argparse (nargs="*") hand us lists; keeping tuples makes a
        # config compare equal to itself after a round trip through a checkpoint.
        self.dense_before = tuple(int(w) for w in self.dense_before)
        self.dense_after = tuple(int(w) for w in self.dense_after)
        # One canonical text per layer ("lstm:64:peephole=true"): two spellings of one layer
        # list give equal configs, and checkpoints and run files hold plain strings.
        self.layers = tuple(str(spec) for spec in parse_layers(self.layers, _DEFAULTS))
        self.decoder_layers = tuple(
            str(spec) for spec in parse_layers(self.decoder_layers, _DEFAULTS))
        self.validate()

    def validate(self) -> None:
        """Raise :class:`~rnnlab.errors.UserError` (a ValueError) naming the first bad field."""
        kind = family(self.family)  # UserError naming the choices for an unknown family
        if self.nonlinearity not in NONLINEARITIES:
            raise UserError(
                f"unknown nonlinearity {self.nonlinearity!r}; choose one of {NONLINEARITIES}"
            )
        if self.backend not in LAYER_BACKENDS:
            raise UserError(
                f"unknown backend {self.backend!r}; choose one of {LAYER_BACKENDS}"
            )
        if self.hidden_size < 1:
            raise UserError(f"hidden_size must be at least 1, got {self.hidden_size}")
        # The window MLP may have no hidden layer at all (a linear model of the window); a
        # recurrent model needs at least one recurrent layer.
        min_layers = 1 if kind.recurrent else 0
        if self.num_layers < min_layers:
            raise UserError(
                f"num_layers must be at least {min_layers} for family {self.family!r}, "
                f"got {self.num_layers}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise UserError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.embedding_dim < 0:
            raise UserError(f"embedding_dim must be >= 0 (0 = one-hot), got {self.embedding_dim}")
        if self.window < 1:
            raise UserError(f"window must be at least 1, got {self.window}")
        if self.frame_encoder not in FRAME_ENCODERS:
            raise UserError(f"unknown frame_encoder {self.frame_encoder!r}; choose one of "
                            f"{FRAME_ENCODERS} ('' = none)")
        if self.proj_size < 0:
            raise UserError(f"proj_size must be >= 0 (0 = none), got {self.proj_size}")
        kind.validate(self)  # the family's own options: their ranges, the rules between them
        for name in ("dense_before", "dense_after"):
            widths = getattr(self, name)
            if any(w < 1 for w in widths):
                raise UserError(f"{name} widths must be positive, got {widths}")
        if self.layers:
            self._validate_layers()
        self._validate_seq2seq()

    def _validate_seq2seq(self) -> None:
        """The encoder-decoder's fields: a known attention, a one-way decoder list."""
        if self.attention not in ATTENTIONS:
            raise UserError(
                f"unknown attention {self.attention!r}; choose one of {', '.join(ATTENTIONS)}")
        if self.max_output_len < 0:
            raise UserError(f"max_output_len must be >= 0 (0 = the task's longest target), "
                            f"got {self.max_output_len}")
        if self.decoder_layers:
            try:
                decoder = ModelConfig(layers=self.decoder_layers)
            except UserError as error:
                raise UserError(f"decoder_layers: {error}") from None
            if decoder.reads_ahead:
                raise UserError("decoder_layers: the decoder emits one token after another, so "
                                "its layers cannot be bidirectional")

    def _validate_layers(self) -> None:
        """A layer list says the whole body: the uniform-stack fields must not say it too
        (they would be silently ignored), and each layer must be valid on its own."""
        specs = self.layer_specs
        if not any(spec.recurrent for spec in specs):
            raise UserError("a layer list needs at least one recurrent layer (rnn, lstm or gru); "
                            "the feed-forward model over a window is family mlp")
        given = [f.name for f in fields(self) if f.name not in LAYER_LIST_FIELDS
                 and getattr(self, f.name) != _DEFAULTS[f.name]]
        if given:
            raise UserError(f"{', '.join(given)} cannot be set with a layer list: give each "
                            "layer its own size and options (lstm:64:peephole)")
        for spec in specs:
            if spec.recurrent:
                try:
                    ModelConfig(family=spec.kind, hidden_size=spec.size, **dict(spec.options))
                except UserError as error:
                    raise UserError(f"layer {str(spec)!r}: {error}") from None

    @property
    def reads_ahead(self) -> bool:
        """Whether any recurrent layer is bidirectional (its outputs see future steps)."""
        return self.bidirectional or any(s.option("bidirectional", False)
                                         for s in self.layer_specs)

    @property
    def layer_specs(self) -> tuple[LayerSpec, ...]:
        """The layer list parsed (empty for a uniform stack)."""
        return parse_layers(self.layers, _DEFAULTS)

    @property
    def variant(self) -> str:
        """The family's options that differ from its plain form, e.g. ``"peephole, CIFG"``.

        Empty for a plain cell (a tanh Elman net, an LSTM with forget gate, a reset-after GRU).
        """
        return family(self.family).variant(self)

    @property
    def min_hidden_size(self) -> int:
        """The smallest valid hidden_size: a projection (LSTMP) must stay smaller than the cell."""
        return self.proj_size + 1 if family(self.family).reads("proj_size") else 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UserError(f"unknown model config field(s): {', '.join(unknown)}")
        return cls(**data)


# The fields a config with a layer list still reads: what sits around the body (the input
# encoding, dropout between the layers, tied weights) and how the layers compute.
LAYER_LIST_FIELDS = ("layers", "dropout", "embedding_dim", "tie_weights", "backend",
                     "attention", "decoder_layers", "max_output_len")
_DEFAULTS = {f.name: f.default for f in fields(ModelConfig)}
