"""The model configuration: one dataclass that is enough to rebuild any rnnlab model.

It is stored (as JSON) in every checkpoint next to the weights. The command line turns each
field into an option whose help is the comment beside the field, so every field keeps a
default and a one-line comment.

Options that belong to one family (``peephole`` for the LSTM, ``reset_after`` for the GRU, ...)
are ignored by the other families, so that one config can be rebuilt with another ``family``
to compare architectures on the same task.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from rnnlab.errors import UserError
from rnnlab.nn.backend import LAYER_BACKENDS

FAMILIES = ("mlp", "rnn", "lstm", "gru")
NONLINEARITIES = ("tanh", "relu", "sigmoid")

# How each family is named in describe() strings and reports.
FAMILY_NAMES = {"mlp": "window MLP", "rnn": "Elman RNN", "lstm": "LSTM", "gru": "GRU"}


@dataclass
class ModelConfig:
    """Everything needed to rebuild a model: its family, sizes and the family's options.

    Stored in every checkpoint next to the weights; ``rnnlab train`` and ``rnnlab draw`` have
    one option per field (``--hidden-size``), and a run's ``run.toml`` holds them under
    ``[model]``. Options of one family are ignored by the others, so one config can be rebuilt
    with another ``family``. Invalid values raise :class:`~rnnlab.errors.UserError`. The fields:

    family: mlp (fixed-window feed-forward) | rnn (Elman) | lstm | gru
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
    embedding_dim: token inputs: embedding width (0 = one-hot input)
    dense_before: widths of dense layers applied per step before the stack
    dense_after: widths of dense layers between the stack and the head
    window: MLP: how many most recent steps it sees
    tie_weights: language model: output layer shares the embedding matrix
    backend: bptt (hand-written) | auto | fused (torch's kernel) | reference
    """

    family: str = "lstm"  # mlp (fixed-window feed-forward) | rnn (Elman) | lstm | gru
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
    embedding_dim: int = 0  # token inputs: embedding width (0 = one-hot input)
    dense_before: tuple[int, ...] = ()  # widths of dense layers applied per step before the stack
    dense_after: tuple[int, ...] = ()  # widths of dense layers between the stack and the head
    window: int = 5  # MLP: how many most recent steps it sees
    tie_weights: bool = False  # language model: output layer shares the embedding matrix
    backend: str = "bptt"  # bptt (hand-written) | auto | fused (torch's kernel) | reference

    def __post_init__(self) -> None:
        # JSON (checkpoints) and argparse (nargs="*") hand us lists; keeping tuples makes a
        # config compare equal to itself after a round trip through a checkpoint.
        self.dense_before = tuple(int(w) for w in self.dense_before)
        self.dense_after = tuple(int(w) for w in self.dense_after)
        self.validate()

    def validate(self) -> None:
        """Raise :class:`~rnnlab.errors.UserError` (a ValueError) naming the first bad field."""
        if self.family not in FAMILIES:
            raise UserError(f"unknown model family {self.family!r}; choose one of {FAMILIES}")
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
        min_layers = 0 if self.family == "mlp" else 1
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
        if self.proj_size < 0:
            raise UserError(f"proj_size must be >= 0 (0 = none), got {self.proj_size}")
        # Same rule as torch.nn.LSTM: a projection must make h smaller than the cell.
        if self.family == "lstm" and self.proj_size >= self.hidden_size:
            raise UserError(
                f"proj_size ({self.proj_size}) must be smaller than hidden_size "
                f"({self.hidden_size})"
            )
        for name in ("dense_before", "dense_after"):
            widths = getattr(self, name)
            if any(w < 1 for w in widths):
                raise UserError(f"{name} widths must be positive, got {widths}")

    @property
    def variant(self) -> str:
        """The family's options that differ from its plain form, e.g. ``"peephole, CIFG"``.

        Empty for a plain cell (a tanh Elman net, an LSTM with forget gate, a reset-after GRU).
        """
        parts: list[str] = []
        if self.family in ("rnn", "mlp") and self.nonlinearity != "tanh":
            parts.append(self.nonlinearity)
        if self.family == "mlp":
            parts.insert(0, f"window {self.window}")
        if self.family == "lstm":
            if not self.forget_gate:
                parts.append("no forget gate")
            if self.peephole:
                parts.append("peephole")
            if self.coupled:
                parts.append("CIFG")
            if self.layer_norm:
                parts.append("layer norm")
            if self.proj_size:
                parts.append(f"projection {self.proj_size}")
        if self.family == "gru" and not self.reset_after:
            parts.append("reset before")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UserError(f"unknown model config field(s): {', '.join(unknown)}")
        return cls(**data)
