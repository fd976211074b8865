"""rnnlab.nn.MLP: shapes, the linear special case, activations, dropout, errors."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from rnnlab.nn import MLP


@pytest.mark.parametrize("hidden", [(), (7,), (8, 3, 6)])
def test_shapes_on_last_dim(hidden):
    mlp = MLP(4, hidden, 2)
    assert mlp(torch.randn(5, 4)).shape == (5, 2)
    assert mlp(torch.randn(3, 5, 4)).shape == (3, 5, 2)
    linears = [m for m in mlp if isinstance(m, nn.Linear)]
    widths = [4, *hidden, 2]
    assert [(m.in_features, m.out_features) for m in linears] == list(itertools.pairwise(widths))


def test_no_hidden_layers_is_a_single_linear():
    mlp = MLP(4, [], 3)
    assert len(mlp) == 1 and isinstance(mlp[0], nn.Linear)
    x = torch.randn(6, 4)
    torch.testing.assert_close(mlp(x), x @ mlp[0].weight.T + mlp[0].bias)


@pytest.mark.parametrize(("name", "fn"), [
    ("tanh", torch.tanh), ("relu", torch.relu), ("sigmoid", torch.sigmoid),
    ("gelu", torch.nn.functional.gelu),
])
def test_activation_choices(name, fn):
    torch.manual_seed(0)
    mlp = MLP(4, [6], 2, activation=name)
    x = torch.randn(5, 4)
    want = mlp[2](fn(mlp[0](x)))
    torch.testing.assert_close(mlp(x), want)


def test_dropout_only_in_training():
    torch.manual_seed(0)
    mlp = MLP(4, [64, 64], 3, dropout=0.5)
    assert sum(isinstance(m, nn.Dropout) for m in mlp) == 2
    x = torch.randn(8, 4)
    mlp.train()
    assert not torch.equal(mlp(x), mlp(x))
    mlp.eval()
    assert torch.equal(mlp(x), mlp(x))
    assert not any(isinstance(m, nn.Dropout) for m in MLP(4, [5], 3))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"activation": "swish"}, "activation"),
    ({"dropout": 1.5}, "dropout"),
    ({"hidden_sizes": [4, 0]}, r"hidden_sizes\[1\]"),
    ({"hidden_sizes": 8}, "sequence of ints"),
    ({"in_features": 0}, "in_features"),
])
def test_bad_arguments_raise_value_error(kwargs, match):
    args = {"in_features": 4, "hidden_sizes": [5], "out_features": 2} | kwargs
    with pytest.raises(ValueError, match=match):
        MLP(**args)
