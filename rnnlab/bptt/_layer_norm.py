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


def ln_backward(dz_hat: Tensor, z_hat: Tensor, rstd: Tensor) -> Tensor:
    """dz from d(z_hat), with the z_hat and rstd saved by :func:`ln_forward`."""
    mean_dz_hat = dz_hat.mean(-1, keepdim=True)
    mean_dz_hat_z_hat = (dz_hat * z_hat).mean(-1, keepdim=True)
    return (dz_hat - mean_dz_hat - z_hat * mean_dz_hat_z_hat).mul_(rstd)
