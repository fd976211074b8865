"""Tools that look for torch.nn's types: rnnlab's layers are not torch.nn.LSTM (documented in
docs/torch-compat.md); the supported way is rnnlab.nn.convert_to_torch, tested here with dynamic
quantization."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn
from torch.ao.nn.quantized import dynamic as nnqd

import rnnlab.nn as rn


class Tagger(nn.Module):
    """A recurrent layer under a linear readout, as user code builds them."""

    def __init__(self, recurrent: nn.Module) -> None:
        super().__init__()
        self.rnn = recurrent
        self.head = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(x)[0])


def quantize(model: nn.Module) -> nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization's deprecation notices
        return torch.ao.quantization.quantize_dynamic(model, {nn.LSTM, nn.GRU, nn.Linear})


def test_rnnlab_layers_are_not_torch_types_so_quantize_dynamic_skips_them() -> None:
    """What the docs say: isinstance is False and quantize_dynamic leaves the layer in float."""
    model = Tagger(rn.LSTM(3, 8)).eval()
    assert not isinstance(model.rnn, nn.LSTM)
    assert type(quantize(model).rnn) is rn.LSTM


@pytest.mark.parametrize("family", ["LSTM", "GRU"])
def test_convert_to_torch_then_quantize_dynamic(family: str) -> None:
    torch.manual_seed(0)
    model = Tagger(getattr(rn, family)(3, 8, num_layers=2)).eval()
    converted = rn.convert_to_torch(model)
    assert isinstance(converted.rnn, getattr(nn, family))
    assert type(model.rnn) is getattr(rn, family)  # the original is untouched
    x = torch.randn(5, 2, 3)
    torch.testing.assert_close(converted(x), model(x))
    quantized = quantize(converted)
    assert isinstance(quantized.rnn, getattr(nnqd, family))
    assert isinstance(quantized.head, nnqd.Linear)
    assert (quantized(x) - model(x)).abs().max() < 0.05  # int8 weights


def test_convert_to_torch_refuses_a_variant_naming_it() -> None:
    with pytest.raises(ValueError, match="peephole=True"):
        rn.convert_to_torch(Tagger(rn.LSTM(3, 8, peephole=True)))


def test_deepcopy_and_whole_module_save_load(tmp_path) -> None:
    """What torch users do with modules: copy.deepcopy, torch.save / torch.load of the module."""
    import copy

    layer = rn.LSTM(3, 4, peephole=True).eval()
    x = torch.randn(5, 2, 3)
    torch.testing.assert_close(copy.deepcopy(layer)(x), layer(x))
    torch.save(layer, tmp_path / "layer.pt")
    loaded = torch.load(tmp_path / "layer.pt", weights_only=False)
    torch.testing.assert_close(loaded(x), layer(x))
