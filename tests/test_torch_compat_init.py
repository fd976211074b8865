"""``init="torch"``: with the same seed, every layer and cell starts from exactly torch.nn's
weights (the default LSTM init, forget bias 1, stays as it was)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
import torch
from torch import nn

import rnnlab.nn as rn

CONFIGS = [
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True, "proj_size": 2}),
    ("LSTM", {"bias": False}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 3}),
    ("LSTMCell", {}),
    ("GRUCell", {}),
    ("RNNCell", {"bias": False}),
]


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return list(sa) == list(sb) and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize(("family", "options"), CONFIGS,
                         ids=[f"{f}-{'-'.join(o) or 'plain'}" for f, o in CONFIGS])
def test_init_torch_starts_from_torchs_weights(family: str, options: dict) -> None:
    torch.manual_seed(7)
    theirs = getattr(nn, family)(3, 5, **options)
    torch.manual_seed(7)
    ours = getattr(rn, family)(3, 5, **options, init="torch")
    assert same_weights(theirs, ours)
    torch.manual_seed(7)
    getattr(nn, family)(3, 5, **options)
    after_theirs = torch.rand(4)
    torch.manual_seed(7)
    getattr(rn, family)(3, 5, **options, init="torch")
    assert torch.equal(torch.rand(4), after_theirs)


def test_the_default_lstm_init_is_unchanged() -> None:
    """forget_bias=1.0 stays the default: other results depend on it."""
    torch.manual_seed(7)
    theirs = nn.LSTM(3, 5)
    torch.manual_seed(7)
    ours = rn.LSTM(3, 5)
    assert not same_weights(theirs, ours)
    f = slice(5, 10)
    assert torch.equal(ours.bias_ih_l0[f], torch.ones(5))
    assert torch.equal(ours.bias_hh_l0[f], torch.zeros(5))
    assert torch.equal(ours.weight_ih_l0, theirs.weight_ih_l0)  # the draw before it is torch's


def test_init_torch_with_a_forget_bias_is_an_error() -> None:
    with pytest.raises(ValueError, match="init='torch'"):
        rn.LSTM(3, 5, init="torch", forget_bias=2.0)
    with pytest.raises(ValueError, match="unknown init"):
        rn.GRU(3, 5, init="xavier")


def test_init_torch_shows_in_repr_and_keeps_variants_usable() -> None:
    layer = rn.LSTM(3, 5, peephole=True, layer_norm=True, init="torch")
    assert "init='torch'" in repr(layer) and "forget_bias" not in repr(layer)
    assert torch.equal(layer.weight_ln_c_l0, torch.ones(5))  # layer norm starts as identity


def test_readme_drop_in_example_runs_as_written(tmp_path: Path) -> None:
    """The README's first Python block (its asserts are the test), run as a script."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert 'init="torch"' in block
    script = tmp_path / "readme_example.py"
    script.write_text(block, encoding="utf-8")
    runpy.run_path(str(script))
