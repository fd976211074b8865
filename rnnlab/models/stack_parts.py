"""The pieces every recurrent body is built from: dense layers per step, a family's recurrent
layer, packing around it, and the many-to-one selection of each sequence's last step.

Both bodies use them: the uniform stack (:class:`~rnnlab.models.recurrent_stack.RecurrentStack`,
``--family --num-layers --hidden-size``) and the layer list
(:class:`~rnnlab.models.layer_stack.LayerStack`, ``--layers "dense:32, lstm:64"``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnlab.errors import UserError
from rnnlab.models.config import ModelConfig
from rnnlab.nn import MLP
from rnnlab.nn.families import family

ACTIVATIONS: dict[str, type[nn.Module]] = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}


def dense_layers(
    in_features: int, widths: tuple[int, ...], activation: str, dropout: float
) -> nn.Module:
    """Dense layers applied per step: (Linear → activation → dropout) for each width.

    Works on (..., in_features) → (..., widths[-1]); the identity when ``widths`` is empty.
    Built from :class:`rnnlab.nn.MLP`, whose last layer is linear, so the activation and
    dropout after the last width are added here: these layers feed another layer, not a loss.
    """
    if not widths:
        return nn.Identity()
    layers = [
        MLP(in_features, list(widths[:-1]), widths[-1], activation=activation, dropout=dropout),
        ACTIVATIONS[activation](),
    ]
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def make_recurrent_layer(config: ModelConfig, input_size: int) -> nn.Module:
    """The rnnlab.nn RNN/LSTM/GRU stack a config asks for, batch-first: the family's layer
    with the options it reads (:meth:`~rnnlab.nn.families.Family.layer_kwargs`)."""
    common = dict(
        num_layers=config.num_layers,
        batch_first=True,
        bidirectional=config.bidirectional,
        # Dropout acts between stacked layers: with one layer there is nothing to drop between
        # (and the layer, like torch's, would warn).
        dropout=config.dropout if config.num_layers > 1 else 0.0,
        backend=config.backend,
    )
    kind = family(config.family)
    if kind.layer is None:
        raise UserError(f"family {config.family!r} has no recurrent layer")
    return kind.layer(input_size, config.hidden_size, **common, **kind.layer_kwargs(config))


def last_valid_step(out: Tensor, lengths: Tensor | None, directions: int) -> Tensor:
    """The many-to-one summary of a recurrent layer's outputs (B, T, D·W) → (B, D·W).

    The forward direction has read the whole sequence at its last valid step
    (``lengths - 1``); the backward direction has read it at step 0. So a bidirectional
    summary is [forward output at lengths-1, backward output at 0], which is also what
    torch's ``h_n`` holds for the last layer.
    """
    B, T, width = out.shape
    if lengths is None:
        last = torch.full((B,), T - 1, dtype=torch.long, device=out.device)
    else:
        last = lengths.to(device=out.device, dtype=torch.long) - 1
    forward_last = out[torch.arange(B, device=out.device), last]  # (B, D·W)
    if directions == 1:
        return forward_last
    half = width // 2  # torch lays out [forward | backward] along the last dimension
    return torch.cat([forward_last[:, :half], out[:, 0, half:]], dim=-1)


def run_packed(
    layer: nn.Module, x: Tensor, lengths: Tensor | None, state: Any
) -> tuple[Tensor, Any]:
    """A recurrent layer on (B, T, I) with each sequence's length: (B, T, D·W), final state.

    Sequences shorter than T are packed, so padding never enters the recurrence and the final
    state is the one after each sequence's own last step; steps past a length come out as
    zeros.
    """
    T = x.shape[1]
    if lengths is None or bool((lengths == T).all()):
        # Nothing to pack: the plain path is faster and gives the same result.
        return layer(x, state)
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, state = layer(packed, state)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
    return out, state
