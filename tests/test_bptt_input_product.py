"""The input part of every step at once (rnnlab.bptt._common.input_product): oneDNN's linear
for float32 outside autograd, addmm elsewhere; the same product either way."""

from __future__ import annotations

import pytest
import torch

from rnnlab.bptt import _common
from rnnlab.bptt._common import input_product


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("with_bias", [True, False])
def test_the_product_of_every_path(monkeypatch, dtype: torch.dtype, with_bias: bool) -> None:
    calls: list[int] = []
    if _common._LINEAR is not None:  # count oneDNN's calls: float32 must take it, float64 not
        onednn = _common._LINEAR
        monkeypatch.setattr(_common, "_LINEAR", lambda *a: calls.append(1) or onednn(*a))
    g = torch.Generator().manual_seed(0)
    x = torch.randn(40, 3, 24, generator=g, dtype=dtype).transpose(0, 1).reshape(120, 24)
    w = torch.randn(64, 24, generator=g, dtype=dtype)
    b = torch.randn(64, generator=g, dtype=dtype) if with_bias else None
    expected = x.double() @ w.double().t() + (b.double() if with_bias else 0)
    with torch.no_grad():
        got = input_product(x, w, b)
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(got.double(), expected, rtol=tol, atol=tol)
    ran_onednn = dtype == torch.float32 and torch.backends.mkldnn.is_available()
    assert calls == ([1] if ran_onednn else [])


def test_autograd_sees_the_product_it_records() -> None:
    x = torch.randn(10, 6, requires_grad=True)
    w = torch.randn(8, 6, requires_grad=True)
    input_product(x, w).sum().backward()
    torch.testing.assert_close(x.grad, w.detach().sum(0).expand(10, 6))
    torch.testing.assert_close(w.grad, x.detach().sum(0).expand(8, 6))
