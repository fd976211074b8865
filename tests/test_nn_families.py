"""The family registry: every family has a complete record, every consumer works from it, the
option rules live in one place, and a family registered later is picked up by the consumers."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import torch
from torch import nn

import rnnlab.nn as rn
from rnnlab.bptt.lstm import lstm_sequence
from rnnlab.bptt.reference import LSTMWeights
from rnnlab.inspect import trace
from rnnlab.models import ModelConfig, build_model
from rnnlab.nn.families import (
    Family,
    Option,
    families,
    family,
    family_names,
    family_of_layer,
    find_family,
    register,
)
from rnnlab.nn.families import registry as registry_module
from rnnlab.nn.flip import flip_sequences, reversal_index
from rnnlab.tasks.base import TaskSpec
from rnnlab.viz.diagrams import svg_text
from rnnlab.viz.diagrams.drawing import Drawing, drawing_of
from rnnlab.viz.diagrams.parameters import count_recurrent_parameters

SPEC = TaskSpec("features", 3, "classes", 2, many_to_many=False, bidirectional_ok=True)
VIDEO = TaskSpec("features", 16, "classes", 2, many_to_many=False, frame_shape=(1, 4, 4))
# the families of vector layers (the ConvLSTM reads frames through its own model)
RECURRENT = [f.name for f in families() if f.recurrent and not f.model]
COUPLED = "coupled=True derives the input gate from the forget gate (i = 1 - f), so it needs " \
    "forget_gate=True"


def small(name: str, **fields: object) -> ModelConfig:
    return ModelConfig(family=name, hidden_size=6, **fields)


# ----------------------------------------------------------------------------- the records


def test_the_registry_lists_every_family_in_order() -> None:
    assert family_names() == ("mlp", "rnn", "lstm", "gru", "convlstm")
    assert [f.display_name for f in families()] == ["window MLP", "Elman RNN", "LSTM", "GRU",
                                                    "ConvLSTM"]
    assert RECURRENT == ["rnn", "lstm", "gru"]
    assert {f.name: (f.layer, f.cell) for f in families() if f.recurrent} == {
        "rnn": (rn.RNN, rn.RNNCell), "lstm": (rn.LSTM, rn.LSTMCell), "gru": (rn.GRU, rn.GRUCell),
        "convlstm": (rn.ConvLSTM, rn.ConvLSTMCell)}
    assert family("lstm").state_kinds == family("convlstm").state_kinds == ("c", "h")
    assert all(f.state_kinds == ("h",) for f in families() if f.name not in ("lstm", "convlstm"))
    assert [f.name for f in families() if f.model] == ["convlstm"]


def test_an_unknown_family_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown model family 'cnn'; choose one of \('mlp'"):
        family("cnn")
    with pytest.raises(ValueError, match="unknown model family 'cnn'"):
        ModelConfig(family="cnn")
    assert find_family("cnn") is None


def test_a_name_is_registered_once() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register(family("gru"))


@pytest.mark.parametrize("record", families(), ids=lambda f: f.name)
def test_every_record_is_complete(record: Family) -> None:
    config = ModelConfig(family=record.name)
    for option in record.options:  # every option is a ModelConfig field
        assert hasattr(config, option.field)
    for word, (field, value) in record.words.items():  # every word sets one of its options
        assert record.reads(field), word
        dataclasses.replace(config, **{field: value})  # to a valid value
    assert record.card_text
    assert isinstance(drawing_of(config), Drawing)
    if record.recurrent:
        assert record.cell is not None and record.shapes is not None


def test_variant_text_comes_from_the_options() -> None:
    assert ModelConfig(family="lstm").variant == ""
    assert ModelConfig(family="lstm", forget_gate=False, peephole=True, layer_norm=True,
                       proj_size=3).variant == "no forget gate, peephole, layer norm, projection 3"
    assert ModelConfig(family="gru", reset_after=False).variant == "reset before"
    assert ModelConfig(family="rnn", nonlinearity="relu").variant == "relu"
    assert ModelConfig(family="mlp", window=3, nonlinearity="sigmoid").variant == (
        "window 3, sigmoid")
    # options of another family are ignored
    assert ModelConfig(family="gru", peephole=True, forget_gate=False, coupled=False).variant == ""


# ----------------------------------------------------------------------------- the rules


def test_the_coupled_rule_is_one_rule_with_one_message() -> None:
    messages = []
    for make in (
        lambda: ModelConfig(family="lstm", coupled=True, forget_gate=False),
        lambda: rn.LSTM(3, 4, coupled=True, forget_gate=False),
        lambda: rn.LSTMCell(3, 4, coupled=True, forget_gate=False),
        lambda: lstm_sequence(torch.zeros(2, 1, 3), torch.zeros(1, 4), torch.zeros(1, 4),
                              LSTMWeights(torch.zeros(12, 3), torch.zeros(12, 4)),
                              forget_gate=False, coupled=True),
    ):
        with pytest.raises(ValueError) as caught:
            make()
        messages.append(str(caught.value))
    assert messages == [COUPLED] * 4
    # the rule belongs to the LSTM: another family ignores those fields
    ModelConfig(family="gru", coupled=True, forget_gate=False)


def test_the_lstm_rules_run_at_config_time() -> None:
    with pytest.raises(ValueError, match=r"proj_size \(6\) must be smaller than hidden_size \(6\)"):
        small("lstm", proj_size=6)
    with pytest.raises(ValueError, match="forget_bias must be a finite number"):
        small("lstm", forget_bias=float("nan"))
    small("gru", proj_size=6)  # not a GRU option
    # the budget search starts where the rule allows
    assert small("lstm", proj_size=3).min_hidden_size == 4
    assert small("gru", proj_size=3).min_hidden_size == 1


# ----------------------------------------------------------------------------- the consumers


@pytest.mark.parametrize("name", RECURRENT)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_counts_from_the_shapes_equal_the_built_layers(name: str, bidirectional: bool) -> None:
    extra = {"lstm": {"peephole": True, "layer_norm": True, "proj_size": 2},
             "gru": {"reset_after": False}, "rnn": {"nonlinearity": "relu"}}[name]
    config = small(name, num_layers=2, bidirectional=bidirectional, **extra)
    model = build_model(config, SPEC)
    real = sum(p.numel() for p in model.stack.rnn.parameters())
    assert count_recurrent_parameters(config, input_size=3) == real
    assert model.stack.rnn_output_size == model.stack.rnn(torch.zeros(1, 2, 3))[0].shape[-1]


@pytest.mark.parametrize("name", family_names())
def test_each_family_builds_describes_and_draws(name: str) -> None:
    config = small(name)
    model = build_model(config, VIDEO if family(name).model else SPEC)
    assert model.describe().startswith(family(name).display_name)
    svg = svg_text(config)
    assert svg.startswith("<?xml")


@pytest.mark.parametrize("name", RECURRENT)
def test_the_torch_twin_round_trips_for_layers_and_cells(name: str) -> None:
    record = family(name)
    layer = record.layer(3, 4, num_layers=2, bidirectional=True)
    twin = layer.to_torch()
    assert type(twin) is layer.torch_class
    back = rn.from_torch(twin)
    assert type(back) is record.layer and family_of_layer(back) is record
    x = torch.randn(5, 2, 3)
    torch.testing.assert_close(back(x)[0], twin(x)[0])
    cell = record.cell(3, 4)
    assert type(rn.from_torch(cell.to_torch())) is record.cell


@pytest.mark.parametrize("name", RECURRENT)
def test_the_step_hook_replays_the_layer(name: str) -> None:
    torch.manual_seed(0)
    stacked = family(name).layer(3, 4, num_layers=2, bidirectional=True)
    assert stacked.direction_parameters(1, 1)["weight_ih"] is stacked.weight_ih_l1_reverse
    layer = family(name).layer(3, 4, bidirectional=True, dtype=torch.float64)
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    out, _ = layer(x)
    record: dict[str, torch.Tensor] = {}
    states = layer.initial_states(None, x, 2, True)
    first = layer.step(x[0], tuple(s[0] for s in states), layer.direction_parameters(0), record)
    # forward direction, step 0: the first output of the forward half
    torch.testing.assert_close(first[0], out[0, :, :4])
    assert tuple(record) == () or set(record) == set(layer.recorded_gates())


@pytest.mark.parametrize("name", RECURRENT)
def test_traces_ask_the_registry(name: str) -> None:
    model = build_model(small(name), SPEC)
    tr = trace(model, torch.randn(2, 4, 3))
    assert tr.family == name and tr.state_kinds == family(name).state_kinds
    assert set(tr.gate_names) <= {g.name for g in family(name).gates}


def test_the_time_flip_reverses_each_row_within_its_length() -> None:
    x = torch.arange(8.0).view(4, 2, 1)  # (T, B, 1): row 0 has 4 steps, row 1 has 2
    index = reversal_index(torch.tensor([4, 2]), 4)
    flipped = flip_sequences(x, index)
    assert flipped[:, 0, 0].tolist() == [6.0, 4.0, 2.0, 0.0]
    assert flipped[:, 1, 0].tolist() == [3.0, 1.0, 5.0, 7.0]  # padding stays in place
    torch.testing.assert_close(flip_sequences(flipped, index), x)
    torch.testing.assert_close(flip_sequences(x, None), x.flip(0))


# ----------------------------------------------------------------------------- a new family


@pytest.fixture
def tiny() -> Iterator[Family]:
    """A family registered by a test: an Elman layer under another name and variant text."""
    elman = family("rnn")
    record = register(dataclasses.replace(
        elman, name="tiny", display_name="Tiny RNN", card_text="A test family.",
        options=(Option("nonlinearity", plain="tanh", text="{} units"),),
        words={"bent": ("nonlinearity", "relu")},
    ))
    try:
        yield record
    finally:
        registry_module._FAMILIES.pop("tiny")


def test_a_registered_family_reaches_the_consumers(tiny: Family) -> None:
    assert "tiny" in family_names()
    field, value = tiny.words["bent"]
    config = small("tiny", **{field: value})
    assert config.variant == "relu units"
    model = build_model(config, SPEC)
    assert isinstance(model.stack.rnn, rn.RNN) and model.stack.rnn.nonlinearity == "relu"
    assert model.describe().startswith("Tiny RNN (relu units) classifier")
    assert "Elman RNN (relu)" in svg_text(config)  # the Elman drawing it names
    # a torch RNN still converts to the first family with that twin
    assert family_of_layer(rn.from_torch(nn.RNN(3, 4))).name == "rnn"
