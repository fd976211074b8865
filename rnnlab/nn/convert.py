"""Move layers and cells between ``torch.nn`` and :mod:`rnnlab.nn`, weights included.

Parameter names are the same on both sides (``weight_ih_l0``, ..., ``weight_hr_l0_reverse``;
``weight_ih``, ... for cells), so conversion is a ``load_state_dict``. Configurations that
torch has no equivalent for (peepholes, the 1997 cell, coupled gates, layer norm, the reset-
before GRU, the sigmoid Elman nonlinearity, a projected LSTMCell) raise a ValueError naming
the option.
"""

from __future__ import annotations

import copy
import warnings

import torch
from torch import nn

from rnnlab.errors import UserError
from rnnlab.nn.cell import RecurrentCell
from rnnlab.nn.elman import RNN, RNNCell
from rnnlab.nn.gru import GRU, GRUCell
from rnnlab.nn.lstm import LSTM, LSTMCell
from rnnlab.nn.recurrent import RecurrentLayer

Converted = RecurrentLayer | RecurrentCell


def _factory(module: nn.Module) -> dict[str, torch.device | torch.dtype]:
    p = next(module.parameters())
    return {"device": p.device, "dtype": p.dtype}


def _layer_args(module: nn.Module) -> tuple:
    return (
        module.input_size, module.hidden_size, module.num_layers,
    )


def from_torch(module: nn.Module, *, backend: str = "auto") -> Converted:
    """The rnnlab equivalent of a ``torch.nn`` RNN/LSTM/GRU/RNNCell/LSTMCell/GRUCell.

    Every option torch has is carried over (layers, bias, batch_first, dropout,
    bidirectional, proj_size, nonlinearity) and the weights are copied; the training mode
    is kept. The LSTM forget bias is the copied one (no re-initialisation).
    """
    f = _factory(module)
    common = {"bias": module.bias, **f}
    with warnings.catch_warnings():  # torch already warned about dropout with one layer
        warnings.simplefilter("ignore", UserWarning)
        if isinstance(module, nn.LSTM | nn.GRU | nn.RNN):
            common |= {
                "batch_first": module.batch_first,
                "dropout": module.dropout,
                "bidirectional": module.bidirectional,
                "backend": backend,
            }
        if isinstance(module, nn.LSTM):
            ours: Converted = LSTM(
                *_layer_args(module), proj_size=module.proj_size, forget_bias=None, **common
            )
        elif isinstance(module, nn.GRU):
            ours = GRU(*_layer_args(module), **common)
        elif isinstance(module, nn.RNN):
            ours = RNN(*_layer_args(module), nonlinearity=module.nonlinearity, **common)
        elif isinstance(module, nn.LSTMCell):
            ours = LSTMCell(module.input_size, module.hidden_size, forget_bias=None, **common)
        elif isinstance(module, nn.GRUCell):
            ours = GRUCell(module.input_size, module.hidden_size, **common)
        elif isinstance(module, nn.RNNCell):
            ours = RNNCell(
                module.input_size, module.hidden_size, nonlinearity=module.nonlinearity,
                **common,
            )
        else:
            raise UserError(
                "from_torch converts torch.nn.RNN, LSTM, GRU, RNNCell, LSTMCell and GRUCell; "
                f"got {type(module).__name__}"
            )
    ours.load_state_dict(module.state_dict())
    return ours.train(module.training)


def _unsupported(module: Converted) -> list[str]:
    """The options of ``module`` that torch.nn has no equivalent for."""
    bad = []
    if isinstance(module, LSTM | LSTMCell):
        if not module.forget_gate:
            bad.append("forget_gate=False (the 1997 cell)")
        bad += [f"{k}=True" for k in ("peephole", "coupled", "layer_norm") if getattr(module, k)]
        if isinstance(module, LSTMCell) and module.proj_size:
            bad.append(f"proj_size={module.proj_size} (torch.nn.LSTMCell has no projection)")
    if isinstance(module, GRU | GRUCell) and not module.reset_after:
        bad.append("reset_after=False (Cho et al.'s reset-before GRU)")
    if isinstance(module, RNN | RNNCell) and module.nonlinearity not in ("tanh", "relu"):
        bad.append(f"nonlinearity={module.nonlinearity!r}")
    if isinstance(module, RecurrentLayer):  # zoneout, learn_init (dropouts change no inference)
        bad += module.regularisers_torch_lacks()
    return bad


def to_torch(module: Converted) -> nn.Module:
    """The ``torch.nn`` equivalent of an rnnlab layer or cell, with the same weights.

    Raises UserError (a ValueError) naming every option that torch.nn cannot express.
    """
    if not isinstance(module, RecurrentLayer | RecurrentCell):
        raise UserError(
            f"to_torch converts rnnlab.nn recurrent layers and cells, got {type(module).__name__}"
        )
    bad = _unsupported(module)
    if bad:
        raise UserError(
            f"{module.kind} has no torch.nn equivalent with {', '.join(bad)}; "
            "only the configurations torch supports can be converted"
        )
    f = _factory(module)
    common = {"bias": module.bias, **f}
    with warnings.catch_warnings():  # the user was already warned about dropout with one layer
        warnings.simplefilter("ignore", UserWarning)
        if isinstance(module, RecurrentLayer):
            common |= {
                "batch_first": module.batch_first,
                "dropout": module.dropout,
                "bidirectional": module.bidirectional,
            }
        if isinstance(module, LSTM):
            theirs: nn.Module = nn.LSTM(
                *_layer_args(module), proj_size=module.proj_size, **common
            )
        elif isinstance(module, GRU):
            theirs = nn.GRU(*_layer_args(module), **common)
        elif isinstance(module, RNN):
            theirs = nn.RNN(*_layer_args(module), nonlinearity=module.nonlinearity, **common)
        elif isinstance(module, LSTMCell):
            theirs = nn.LSTMCell(module.input_size, module.hidden_size, **common)
        elif isinstance(module, GRUCell):
            theirs = nn.GRUCell(module.input_size, module.hidden_size, **common)
        else:
            theirs = nn.RNNCell(
                module.input_size, module.hidden_size, nonlinearity=module.nonlinearity,
                **common,
            )
    theirs.load_state_dict(module.state_dict())
    return theirs.train(module.training)


def convert_to_torch(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` with every rnnlab recurrent layer and cell in it (the model
    itself included) replaced by its ``torch.nn`` equivalent, weights included.

    The supported way to hand a model to tools that look for torch's types, e.g. dynamic
    quantization: ``quantize_dynamic(convert_to_torch(model), {nn.LSTM, nn.Linear})``.
    rnnlab's layers are not subclasses of torch's (their variants are not torch's layers), so
    ``isinstance(layer, torch.nn.LSTM)`` is False and such tools skip them. Raises UserError
    naming the options torch cannot express, as :func:`to_torch` does.
    """
    if isinstance(model, RecurrentLayer | RecurrentCell):
        return to_torch(model)
    model = copy.deepcopy(model)
    for name, child in list(model.named_children()):
        setattr(model, name, convert_to_torch(child))
    return model
