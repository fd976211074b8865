r"""Fixed regulariser masks of one layer direction, and the parts applied around the kernels.

The masks are sampled by the caller (:mod:`rnnlab.nn.regularisers` samples them once per
forward of a layer) and handed unchanged to whichever path runs — the hand-written Function,
the autograd reference loop, the re-run of the double backward — so the paths can be held
together exactly. Each field is None when its regulariser is off.

* ``x`` (B, I), variational dropout on the inputs (Gal & Ghahramani 2016), values 0 or
  1/(1-p), the same at every step: :math:`\tilde x_t = m_x \odot x_t`. Applied before the
  kernel (one elementwise op, differentiated by autograd), so before the all-steps input
  projection.
* ``h`` (B, P), variational dropout on the state feeding the recurrent matmul, the same at
  every step: :math:`a_t = W_{ih} \tilde x_t + W_{hh} (m_h \odot h_{t-1}) + b`; backward
  :math:`\delta h_{t-1} \mathrel{+}= m_h \odot (da_t W_{hh})`. Inside the kernels' loops.
* ``weight_hh`` (the shape of W_hh), DropConnect on the recurrent weights (Merity et al.
  2017): :math:`\tilde W_{hh} = M \odot W_{hh}`, M with values 0 or 1/(1-p), one per forward,
  shared by the batch and every step. Applied around the kernel (one elementwise op), which
  runs on :math:`\tilde W_{hh}`.
* ``zoneout_h`` (T, B, P) and ``zoneout_c`` (T, B, H) (Krueger et al. 2017): per step and
  unit, :math:`h_t = d_t \odot h_{t-1} + (1 - d_t) \odot \tilde h_t` with :math:`\tilde h_t`
  the cell's new state, fresh :math:`d_t \in \{0, 1\}` at each step in training and the
  constant z (an expanded tensor) in evaluation, the expectation; backward
  :math:`\delta h_{t-1} \mathrel{+}= d_t \odot \delta h_t`, :math:`\delta \tilde h_t =
  (1 - d_t) \odot \delta h_t`; the same for c. A zoned-out step of the LSTM keeps both
  :math:`\tilde c_t` and :math:`\tilde h_t = o \odot \tanh(\tilde c_t)` from the unzoned
  candidate (the paper's equations). Steps past a row's length (``batch_sizes``) leave its
  state untouched, as without zoneout.

The masks that act inside the loop over time do so at two points of every family's step,
which the loops (hand-written forward and backward, the autograd reference, the inspector's
re-run) reach through the methods of :class:`Masks`, naming no regulariser: the state as the
recurrent products read it (:meth:`Masks.feed`; its gradient is the same product, so the
backward calls it too), and the update of each state (:meth:`Masks.mix`, and
:meth:`Masks.unmix_` in the backward). A new regulariser that acts at one of these points is
a field here and a line in those methods; the loops stay as they are.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from rnnlab.errors import UserError


class Masks(NamedTuple):
    """The regulariser masks of one layer direction (see the module docstring); None: off."""

    x: Tensor | None = None  # (B, I)
    h: Tensor | None = None  # (B, P)
    weight_hh: Tensor | None = None  # (G*H, P), as weight_hh
    zoneout_h: Tensor | None = None  # (T, B, P)
    zoneout_c: Tensor | None = None  # (T, B, H), LSTM only


    # ------------------------------------------------------------------ the loops' hooks

    @property
    def in_loop(self) -> bool:
        """Whether any mask acts inside the loop over time (the compiled loops take none)."""
        return self.feeds or any(self.mixes(state) for state in STATES)

    @property
    def feeds(self) -> bool:
        """Whether the state is masked where it enters the recurrent products."""
        return self.h is not None

    def feed(self, h_prev: Tensor, rows: int | None = None) -> Tensor:
        r""":math:`h_{t-1}` as the recurrent products read it, :math:`m_h \odot h_{t-1}` (a new
        tensor; ``h_prev`` itself without the mask). ``rows``: the running rows of a step (None:
        all, where ``h_prev`` may also be (T, B, P), every step at once). The backward through
        it is the same product: :math:`\delta h_{t-1} = m_h \odot \delta(m_h h_{t-1})`."""
        if self.h is None:
            return h_prev
        return h_prev * (self.h if rows is None else self.h[:rows])

    def feed_(self, dh: Tensor, rows: int | None = None) -> Tensor:
        """:meth:`feed` in place (``dh`` is returned): the backward's form of it."""
        if self.h is not None:
            dh.mul_(self.h if rows is None else self.h[:rows])
        return dh

    def mixes(self, state: str) -> bool:
        """Whether the update of ``state`` (``"h"`` or ``"c"``) mixes in its previous value, so
        that a loop must keep the cell's candidate apart from the state."""
        return self._mixing(state) is not None

    def mix(self, state: str, t: int, new: Tensor, prev: Tensor, rows: int | None = None,
            out: Tensor | None = None) -> Tensor:
        r"""The state after step t from the cell's candidate ``new`` and ``prev``:
        :math:`s_t = d_t \odot s_{t-1} + (1 - d_t) \odot \tilde s_t` where ``state`` mixes
        (written into ``out`` if given), else ``new`` itself (copied into ``out`` if given).
        Differentiable (the reference loops run it under autograd); ``rows`` as in
        :meth:`feed`."""
        d = self._mixing(state)
        if d is None:
            return new if out is None else out.copy_(new)
        d_t = d[t] if rows is None else d[t, :rows]
        return torch.lerp(new, prev, d_t, out=out) if out is not None else torch.lerp(
            new, prev, d_t)

    def mix_(self, state: str, t: int, new: Tensor, prev: Tensor, rows: int | None = None
             ) -> Tensor:
        """:meth:`mix` in place into ``new`` (returned)."""
        d = self._mixing(state)
        if d is not None:
            new.lerp_(prev, d[t] if rows is None else d[t, :rows])
        return new

    def unmix_(self, state: str, t: int, ds: Tensor, rows: int | None = None) -> Tensor | None:
        r"""The backward of :meth:`mix` at step t: turns ``ds`` = :math:`\delta s_t` into the
        candidate's :math:`(1 - d_t) \odot \delta s_t` in place and returns the part that
        goes to :math:`s_{t-1}`, :math:`d_t \odot \delta s_t`; None (and ``ds`` unchanged)
        where ``state`` does not mix."""
        d = self._mixing(state)
        if d is None:
            return None
        d_t = d[t] if rows is None else d[t, :rows]
        keep = ds * d_t
        ds.mul_(1 - d_t)
        return keep

    def _mixing(self, state: str) -> Tensor | None:
        """The (T, B, ·) mixing masks of ``state``, or None."""
        return getattr(self, _MIXING[state])


# The states a layer carries, in the order of its state tuple, and the field whose mask mixes
# each one's update.
_MIXING = {"h": "zoneout_h", "c": "zoneout_c"}
STATES = tuple(_MIXING)
NO_MASKS = Masks()


def check_masks(masks: Masks, x: Tensor, weight_hh: Tensor, P: int, H: int | None) -> None:
    """Raise UserError unless every mask given fits x (T, B, I), W_hh, P (and H for c)."""
    T, B, I = x.shape
    wanted = {"x": (B, I), "h": (B, P), "weight_hh": tuple(weight_hh.shape),
              "zoneout_h": (T, B, P), "zoneout_c": None if H is None else (T, B, H)}
    for name, mask in masks._asdict().items():
        if mask is None:
            continue
        if wanted[name] is None:
            raise UserError(f"mask {name!r} does not apply to a layer without a cell state")
        if tuple(mask.shape) != wanted[name]:
            raise UserError(f"mask {name!r} must have shape {wanted[name]}, "
                            f"got {tuple(mask.shape)}")


def masked_inputs(x: Tensor, weight_hh: Tensor, masks: Masks) -> tuple[Tensor, Tensor]:
    r"""``(m_x ⊙ x, M ⊙ W_hh)``: the two masks applied around the kernel, as autograd ops."""
    if masks.x is not None:
        x = x * masks.x  # x̃_t = m_x ⊙ x_t, the same mask at every step
    if masks.weight_hh is not None:
        weight_hh = weight_hh * masks.weight_hh  # W̃_hh = M ⊙ W_hh
    return x, weight_hh
