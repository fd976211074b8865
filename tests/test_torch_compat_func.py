"""torch.func transforms over rnnlab layers: grad, vjp, jvp, vmap, hessian give torch.nn's
numbers (the layers take the autograd reference path under a transform, so every transform
that knows torch's ops knows them)."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.func import functional_call, grad, hessian, jvp, vjp, vmap
from torch.testing import assert_close

import rnnlab.nn as rn

F64 = torch.float64
TOL = {"rtol": 1e-9, "atol": 1e-10}


def pair(family: str) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(0)
    theirs = getattr(nn, family)(3, 4).double()
    return theirs, rn.from_torch(theirs)


def x_of(T: int = 5, B: int = 2) -> torch.Tensor:
    return torch.randn(T, B, 3, dtype=F64, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
def test_func_grad_and_vjp_match_torch(family: str) -> None:
    results = []
    for m in pair(family):
        params = dict(m.named_parameters())

        def loss(p: dict, x: torch.Tensor, m: nn.Module = m) -> torch.Tensor:
            return functional_call(m, p, (x,))[0].pow(2).sum()

        g = grad(loss, argnums=(0, 1))(params, x_of())
        out, pullback = vjp(lambda x, m=m, p=params: functional_call(m, p, (x,))[0], x_of())
        (dx,) = pullback(torch.ones_like(out))
        results.append([*g[0].values(), g[1], dx])
    for a, b in zip(*results, strict=True):
        assert_close(b, a, **TOL)


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
def test_func_jvp_matches_torch(family: str) -> None:
    results = []
    for m in pair(family):
        params = dict(m.named_parameters())
        _, tangent = jvp(lambda x, m=m, p=params: functional_call(m, p, (x,))[0], (x_of(),),
                         (torch.ones_like(x_of()),))
        results.append(tangent)
    assert_close(results[1], results[0], **TOL)


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("variant", [False, True])
def test_func_vmap_over_the_batch_equals_the_batched_call(family: str, variant: bool) -> None:
    """torch.nn has no batching rule for its RNN ops; rnnlab's layers can be vmapped."""
    options = {"LSTM": {"peephole": True}, "GRU": {"reset_after": False},
               "RNN": {"nonlinearity": "sigmoid"}}[family] if variant else {}
    m = getattr(rn, family)(3, 4, **options).double()
    x = x_of(B=3)
    per_row = vmap(lambda row: m(row)[0], in_dims=1, out_dims=1)(x)
    assert_close(per_row, m(x)[0], **TOL)


def test_func_hessian_matches_torch() -> None:
    results = []
    for m in pair("LSTM"):
        x = x_of(T=3, B=1)
        results.append(hessian(lambda x, m=m: m(x)[0].pow(2).sum())(x))
    assert_close(results[1], results[0], **TOL)
