"""The family registry: one :class:`Family` record per family (mlp, rnn, lstm, gru,
convlstm).

Everything the rest of rnnlab needs to know about a family lives in its record: its names,
the config options it reads (and their variant text and compare words), its layer and cell
classes (which know their torch.nn twin, their reference step and the gates it records), the
rules between its options, its state kinds and gates, its parameter shapes and the name of
its drawing. Ask :func:`family` (by name) or :func:`family_of_layer` (by module) instead of
comparing family names; :func:`register` adds a family.
"""

from rnnlab.nn.families.convlstm import CONVLSTM_FAMILY
from rnnlab.nn.families.elman import ELMAN_FAMILY
from rnnlab.nn.families.gru import GRU_FAMILY
from rnnlab.nn.families.lstm import LSTM_FAMILY
from rnnlab.nn.families.mlp import MLP_FAMILY
from rnnlab.nn.families.record import Family, Gate, Option
from rnnlab.nn.families.registry import (
    families,
    family,
    family_names,
    family_of_layer,
    find_family,
    register,
)

for _record in (MLP_FAMILY, ELMAN_FAMILY, LSTM_FAMILY, GRU_FAMILY, CONVLSTM_FAMILY):
    register(_record)

__all__ = [
    "Family",
    "Gate",
    "Option",
    "families",
    "family",
    "family_names",
    "family_of_layer",
    "find_family",
    "register",
]
