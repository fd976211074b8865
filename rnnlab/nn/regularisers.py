r"""The recurrent regularisers of the sequence layers :class:`~rnnlab.nn.RNN`, ``LSTM``, ``GRU``.

Options of every layer (``zoneout_cell`` of the LSTM only), all off by default:

* ``recurrent_dropout=p``: variational dropout (Gal & Ghahramani 2016, "A Theoretically
  Grounded Application of Dropout in Recurrent Neural Networks"). In training, one Bernoulli
  mask per sequence (per batch row and feature, the same at every step) on the layer's inputs
  and one on :math:`h_{t-1}` where it feeds the recurrent matmul, each scaled by 1/(1-p):
  :math:`a_t = W_{ih} (m_x \odot x_t) + W_{hh} (m_h \odot h_{t-1}) + b`.
* ``weight_drop=p``: DropConnect on the recurrent weights (Merity, Keskar & Socher 2017,
  "Regularizing and Optimizing LSTM Language Models", AWD-LSTM). In training, one mask per
  forward call on ``weight_hh``, shared by the batch and every step:
  :math:`\tilde W_{hh} = M \odot W_{hh} / (1 - p)`. The parameter stays a plain
  ``nn.Parameter`` and the ``state_dict`` is unchanged.
* ``zoneout=z`` (on h) and ``zoneout_cell=z`` (on the LSTM's c): Krueger et al. 2017,
  "Zoneout: Regularizing RNNs by Randomly Preserving Hidden Activations". In training, per
  step and unit, the previous value is kept with probability z:
  :math:`h_t = d_t \odot h_{t-1} + (1 - d_t) \odot \tilde h_t`, :math:`d_t \sim
  \mathrm{Bernoulli}(z)` fresh at every step, :math:`\tilde h_t` the cell's new state; in
  evaluation the expectation :math:`h_t = z\,h_{t-1} + (1 - z)\,\tilde h_t`. With a
  projection (LSTMP) zoneout on h acts on the projected h.
* ``learn_init=True``: learnable initial states, parameters ``initial_h_l{k}[_reverse]``
  (P,) and, for the LSTM, ``initial_c_l{k}[_reverse]`` (H,), zero at first, expanded over
  the batch when no state is passed to ``forward`` (a passed state is used as given).

Dropout and DropConnect are the identity in evaluation; zoneout and learned initial states
change what the layer computes at inference too, so torch's kernel (``backend="fused"``,
``torch.jit.trace``/ONNX, ``to_torch``) cannot stand in for a layer with them.

The masks are drawn here, once per forward and per layer and direction, from torch's global
RNG (as ``nn.Dropout`` draws), and handed as fixed :class:`~rnnlab.bptt.masks.Masks` to
whichever path runs, so every backend sees the same masks for the same seed.
"""

from __future__ import annotations

import numbers
from typing import Any

from torch import Tensor

from rnnlab.bptt.masks import NO_MASKS, Masks
from rnnlab.errors import UserError
from rnnlab.nn.layer_view import LayerView

PROBABILITIES = ("recurrent_dropout", "weight_drop", "zoneout", "zoneout_cell")


def check_probability(name: str, value: Any) -> float:
    """Return ``value`` as a float in [0, 1), else raise UserError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise UserError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


def in_effect(layer: LayerView) -> list[str]:
    """The regulariser options that change what ``layer`` computes in its current mode
    ("name=value"): zoneout and learn_init always, dropout and weight-drop in training."""
    on = torch_lacks(layer)
    if layer.training:
        on = [f"{name}={getattr(layer, name)}" for name in ("recurrent_dropout", "weight_drop")
              if getattr(layer, name)] + on
    return on


def torch_lacks(layer: LayerView) -> list[str]:
    """The regulariser options that change inference, which torch.nn's layers have no
    equivalent of."""
    on = [f"{name}={getattr(layer, name)}" for name in ("zoneout", "zoneout_cell")
          if getattr(layer, name)]
    return on + (["learn_init=True"] if layer.learn_init else [])


def _keep(shape: tuple[int, ...], p: float, like: Tensor) -> Tensor:
    """A dropout mask: 1/(1-p) with probability 1-p, else 0."""
    return like.new_empty(shape).bernoulli_(1 - p).div_(1 - p)


def _zoneout(shape: tuple[int, ...], z: float, training: bool, like: Tensor) -> Tensor:
    """d_t for every step: 1 (keep the previous value) with probability z in training; the
    expectation z in evaluation (one number, expanded)."""
    if training:
        return like.new_empty(shape).bernoulli_(z)
    return like.new_full((), z).expand(shape)


def sample_masks(layer: LayerView, x: Tensor, weight_hh: Tensor) -> Masks:
    """The masks of one layer direction for one forward on x (T, B, I) (dtype and device of
    x); ``weight_hh`` is the direction's (cast) recurrent weight."""
    T, B, I = x.shape
    sizes = layer._state_sizes()  # (P,) or (P, H)
    training = layer.training
    p, q = layer.recurrent_dropout, layer.weight_drop
    if not (p or q or layer.zoneout or layer.zoneout_cell):
        return NO_MASKS
    return Masks(
        x=_keep((B, I), p, x) if p and training else None,
        h=_keep((B, sizes[0]), p, x) if p and training else None,
        weight_hh=_keep(tuple(weight_hh.shape), q, x) if q and training else None,
        zoneout_h=_zoneout((T, B, sizes[0]), layer.zoneout, training, x)
        if layer.zoneout else None,
        zoneout_c=_zoneout((T, B, sizes[1]), layer.zoneout_cell, training, x)
        if layer.zoneout_cell else None,
    )
