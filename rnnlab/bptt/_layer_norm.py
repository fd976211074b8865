r"""Layer normalisation without affine terms, forward and hand-written backward.

.. math::
    \mu = \tfrac1N \textstyle\sum_j z_j \qquad
    r = (\tfrac1N \textstyle\sum_j (z_j - \mu)^2 + \epsilon)^{-1/2} \qquad
    \hat z = (z - \mu)\, r

over the last dimension (N features). Given :math:`d\hat z`,

.. math::
    dz = r\,\bigl(d\hat z - \overline{d\hat z} - \hat z\;\overline{d\hat z \odot \hat z}\bigr)

where the bars are means over the last dimension. The gains and shifts of the LSTM's layer
norms live in :mod:`rnnlab.bptt.lstm`; keeping them out of here makes one helper fit all three.
"""

from __future__ import annotations

import torch
from torch import Tensor


def ln_forward(z: Tensor, eps: float, out: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Return ``(z_hat, rstd)``: z normalised over its last dimension, and r (shape (..., 1)).

    ``out`` (same shape as z, may be z itself) receives z_hat, so callers can normalise into
    a preallocated buffer without an extra temporary.
    """
    # torch's own layer-norm kernel (no affine terms) returns r as well; it is vectorised and
    # parallel over rows, about 8x faster on the CPU than var_mean and two element-wise passes
    # (3200 rows of 512: 0.5 ms against 4.3 ms)
    z_hat, _, rstd = torch.native_layer_norm(z, z.shape[-1:], None, None, eps)
    if out is not None:
        z_hat = out.copy_(z_hat)
    return z_hat, rstd


def ln_backward(dz_hat: Tensor, z_hat: Tensor, rstd: Tensor, gain: Tensor | None = None) -> Tensor:
    r"""dz from d(z_hat), with the z_hat and rstd saved by :func:`ln_forward`:

    .. math::
        dz = r \, (g - \overline{g} - \hat z \, \overline{g \odot \hat z}), \qquad
        g = \gamma \odot d\hat z

    (:math:`\overline{\cdot}` the mean over the last dim, ``gain`` :math:`\gamma` or 1).
    torch's layer-norm backward kernel computes the bracket in one vectorised pass when it is
    told that z_hat is its own input, already normalised (mean 0, r = 1); the true r then
    scales the result. Only the hand-written backward calls this, under ``no_grad``: a graph
    of the gradient (double backward) comes from the autograd reference path instead, so
    the kernel's own derivative, which would take mean and r as functions of its input, is
    never used.
    """
    zero, one = z_hat.new_zeros(rstd.shape), z_hat.new_ones(rstd.shape)
    dz, _, _ = torch.ops.aten.native_layer_norm_backward(
        dz_hat, z_hat, z_hat.shape[-1:], zero, one, gain, None, [True, False, False])
    return dz.mul_(rstd)
