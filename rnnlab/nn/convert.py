"""Move layers and cells between ``torch.nn`` and :mod:`rnnlab.nn`, weights included.

Each layer and cell knows its torch.nn twin and does the copy itself (``to_torch``,
``from_torch``; :mod:`rnnlab.nn.torch_twin`); the functions here find the rnnlab class of a
torch module through the family registry (:mod:`rnnlab.nn.families`) and walk whole models.
Configurations that torch has no equivalent for (peepholes, the 1997 cell, coupled gates,
layer norm, the reset-before GRU, the sigmoid Elman nonlinearity, a projected LSTMCell) raise
a ValueError naming the option.
"""

from __future__ import annotations

import copy

from torch import nn

from rnnlab.errors import UserError
from rnnlab.nn.cell import RecurrentCell
from rnnlab.nn.families import families
from rnnlab.nn.recurrent import RecurrentLayer

Converted = RecurrentLayer | RecurrentCell


def from_torch(module: nn.Module, *, backend: str = "auto") -> Converted:
    """The rnnlab equivalent of a ``torch.nn`` RNN/LSTM/GRU/RNNCell/LSTMCell/GRUCell.

    Every option torch has is carried over (layers, bias, batch_first, dropout,
    bidirectional, proj_size, nonlinearity) and the weights are copied; the training mode
    is kept. The LSTM forget bias is the copied one (no re-initialisation).
    """
    for family in families():
        if family.layer is not None and isinstance(module, family.layer.torch_class):
            return family.layer.from_torch(module, backend=backend)
        if family.cell is not None and isinstance(module, family.cell.torch_class):
            return family.cell.from_torch(module)
    raise UserError(
        "from_torch converts torch.nn.RNN, LSTM, GRU, RNNCell, LSTMCell and GRUCell; "
        f"got {type(module).__name__}"
    )


def to_torch(module: Converted) -> nn.Module:
    """The ``torch.nn`` equivalent of an rnnlab layer or cell, with the same weights.

    Raises UserError (a ValueError) naming every option that torch.nn cannot express.
    """
    if not isinstance(module, RecurrentLayer | RecurrentCell):
        raise UserError(
            f"to_torch converts rnnlab.nn recurrent layers and cells, got {type(module).__name__}"
        )
    return module.to_torch()


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
