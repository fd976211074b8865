"""The model configuration: one dataclass that is enough to rebuild any rnnlab model.

It is stored (as JSON) in every checkpoint next to the weights.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

FAMILIES = ("mlp", "rnn", "lstm", "gru")


@dataclass
class ModelConfig:
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
    backend: str = "bptt"  # bptt (hand-written backward) | reference (autograd)

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown model family {self.family!r}; choose one of {FAMILIES}")
        self.dense_before = tuple(self.dense_before)
        self.dense_after = tuple(self.dense_after)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown model config field(s): {', '.join(unknown)}")
        return cls(**data)
