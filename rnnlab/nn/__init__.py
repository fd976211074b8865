"""Layers people import: a torch.nn-compatible surface over rnnlab's cells.

* :class:`MLP` — feed-forward network, any hidden widths;
* :class:`RNN`, :class:`LSTM`, :class:`GRU` — sequence layers, drop-ins for ``torch.nn``
  (same arguments, shapes, parameter names, packed input) with rnnlab's variants and a
  ``backend`` switch (:mod:`rnnlab.nn.backend`): torch's fused kernel where the configuration
  is torch's, the hand-written BPTT, the autograd reference, or ``"auto"``;
* :class:`RNNCell`, :class:`LSTMCell`, :class:`GRUCell` — one-step cells;
* :class:`ConvLSTM`, :class:`ConvLSTMCell` — the convolutional LSTM for sequences of images;
* :func:`from_torch`, :func:`to_torch` — conversion with weights; :func:`convert_to_torch`
  — the same for every layer inside a model (for tools that look for torch.nn types);
* :mod:`rnnlab.nn.families` — the family registry: what each family (mlp, rnn, lstm, gru) is
  to the rest of rnnlab, one record each.
"""

from rnnlab.bptt import BACKENDS
from rnnlab.nn.backend import LAYER_BACKENDS, FusedKernelError
from rnnlab.nn.cell import RecurrentCell
from rnnlab.nn.conv_lstm import ConvLSTM, ConvLSTMCell
from rnnlab.nn.convert import convert_to_torch, from_torch, to_torch
from rnnlab.nn.elman import RNN, RNNCell
from rnnlab.nn.gru import GRU, GRUCell
from rnnlab.nn.lstm import LSTM, LSTMCell
from rnnlab.nn.mlp import MLP
from rnnlab.nn.recurrent import RecurrentLayer

__all__ = [
    "BACKENDS",
    "GRU",
    "LAYER_BACKENDS",
    "LSTM",
    "MLP",
    "RNN",
    "ConvLSTM",
    "ConvLSTMCell",
    "FusedKernelError",
    "GRUCell",
    "LSTMCell",
    "RNNCell",
    "RecurrentCell",
    "RecurrentLayer",
    "convert_to_torch",
    "from_torch",
    "to_torch",
]
