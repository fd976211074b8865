"""Architectures as data: a model's body as a layer list (``ModelConfig.layers``).

The list is parsed once into canonical texts, checked layer by layer with the same rules as a
uniform stack, built into a :class:`LayerStack` that packs, selects and carries state like the
uniform stack, counted by the diagrams exactly as built, scaled by the budget search, and it
runs through every command: train, evaluate, resume, draw, compare, ``--config``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from rnnlab.cli import main
from rnnlab.compare import parse_models
from rnnlab.compare.specs import split_models
from rnnlab.errors import UserError
from rnnlab.models import ModelConfig, build_model, fit_budget
from rnnlab.models.layer_stack import LayerStack
from rnnlab.nn import GRU, LSTM
from rnnlab.tasks.base import TaskSpec
from rnnlab.viz.diagrams.blocks import count_parameters_by_block, total
from tests.helpers_cli import one_line_error

MIXED = "lstm:12:peephole, gru:6:bidirectional, dense:5"
CLASSIFY = TaskSpec(input_kind="features", input_size=3, output_kind="classes", output_size=4,
                    many_to_many=False, bidirectional_ok=True)
LM = TaskSpec(input_kind="tokens", input_size=11, output_kind="classes", output_size=11,
              many_to_many=True)


# -- parsing ---------------------------------------------------------------------------------


def test_spellings_of_one_list_give_equal_configs() -> None:
    a = ModelConfig(layers="dense:4, lstm:8:peephole:cifg, gru:4:reset-before")
    b = ModelConfig(layers=["dense:4", "lstm:8:coupled=true:peephole=yes",
                            "gru:4:reset_after=false"])
    assert a == b
    assert a.layers == ("dense:4", "lstm:8:coupled=true:peephole=true", "gru:4:reset_after=false")
    # an option at its default says nothing, so it is dropped
    assert ModelConfig(layers="lstm:8:peephole=false").layers == ("lstm:8",)


def test_a_layer_list_survives_json() -> None:
    config = ModelConfig(layers=MIXED, dropout=0.1)
    again = ModelConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config


@pytest.mark.parametrize("layers, words", [
    ("lstm", ["needs a positive size"]),
    ("lstm:0", ["needs a positive size"]),
    ("conv:3", ["unknown layer", "rnn, lstm, gru"]),
    ("lstm:4:cheese", ["unknown option 'cheese'", "peephole"]),
    ("gru:4:peephole", ["unknown option 'peephole'", "reset-before"]),
    ("dense:4:bidirectional", ["unknown option"]),
    ("dense:4", ["at least one recurrent layer"]),
    ("lstm:8:coupled:1997", ["layer 'lstm:8:coupled=true:forget_gate=false'", "forget_gate"]),
    ("lstm:8:proj_size=8", ["proj_size (8) must be smaller than hidden_size (8)"]),
    ("lstm:8:peephole=maybe", ["peephole='maybe' is not a valid bool"]),
])
def test_bad_layers_are_one_clear_error(layers: str, words: list[str]) -> None:
    with pytest.raises(UserError) as caught:
        ModelConfig(layers=layers)
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize("field, value", [("hidden_size", 64), ("num_layers", 2),
                                          ("family", "gru"), ("peephole", True),
                                          ("dense_after", (4,)), ("bidirectional", True)])
def test_uniform_stack_fields_are_refused_beside_a_list(field: str, value: object) -> None:
    with pytest.raises(UserError, match=f"{field} cannot be set with a layer list"):
        ModelConfig(layers="lstm:8", **{field: value})


# -- the stack --------------------------------------------------------------------------------


def test_the_stack_is_the_layers_as_written() -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(layers=MIXED), CLASSIFY)
    assert isinstance(model.stack, LayerStack)
    lstm, gru, dense = model.stack.blocks
    assert isinstance(lstm, LSTM) and lstm.peephole and lstm.hidden_size == 12
    assert isinstance(gru, GRU) and gru.bidirectional and gru.input_size == 12
    assert dense[0].in_features == 12 and dense[0].out_features == 5
    assert "LSTM 12 (peephole) → GRU 6 (bidirectional) → dense 5 classifier" in model.describe()


def test_many_to_one_reads_each_sequence_at_its_own_last_step() -> None:
    """A padded batch gives, row by row, what each sequence gives alone."""
    torch.manual_seed(1)
    model = build_model(ModelConfig(layers=MIXED), CLASSIFY).eval()
    x = torch.randn(3, 7, 3)
    lengths = torch.tensor([7, 4, 2])
    out, states = model(x, lengths)
    assert out.shape == (3, 4) and len(states) == 2
    for row in range(3):
        alone, _ = model(x[row : row + 1, : int(lengths[row])])
        torch.testing.assert_close(out[row], alone[0])


def test_the_state_carries_a_stream_across_chunks() -> None:
    torch.manual_seed(2)
    model = build_model(ModelConfig(layers="rnn:6, dense:4, lstm:5:proj_size=3",
                                    embedding_dim=4), LM).eval()
    ids = torch.randint(0, 11, (2, 9))
    whole, _ = model(ids)
    first, state = model(ids[:, :5])
    second, _ = model(ids[:, 5:], state=state)
    torch.testing.assert_close(torch.cat([first, second], 1), whole)
    h, (hp, c) = state
    assert h.shape == (1, 2, 6) and hp.shape == (1, 2, 3) and c.shape == (1, 2, 5)
    with pytest.raises(UserError, match="list of 2 per-layer states"):
        model(ids, state=h)


def test_a_bidirectional_layer_is_refused_where_the_future_is_hidden() -> None:
    with pytest.raises(UserError, match="bidirectional=True is not allowed"):
        build_model(ModelConfig(layers="lstm:8, gru:4:bidirectional"), LM)


COUNTED = [MIXED, "dense:3:relu, rnn:4:sigmoid, lstm:6:layer-norm:1997",
           "gru:5:bidirectional, lstm:7:proj_size=2:bidirectional", "lstm:6:proj_size=2, gru:3"]


# A language model cannot have a bidirectional layer: those lists are counted as classifiers.
@pytest.mark.parametrize("layers, spec", [(layers, CLASSIFY) for layers in COUNTED]
                         + [(layers, LM) for layers in COUNTED if "bidirectional" not in layers])
def test_diagram_counts_equal_the_built_model(layers: str, spec: TaskSpec) -> None:
    config = ModelConfig(layers=layers, embedding_dim=6 if spec.input_kind == "tokens" else 0)
    blocks = count_parameters_by_block(config, spec.input_size, spec.output_size)
    assert total(blocks) == build_model(config, spec).num_parameters


def test_the_budget_scales_the_whole_list() -> None:
    config = ModelConfig(layers="lstm:32:proj_size=16, gru:16, dense:8")
    fitted = fit_budget(config, CLASSIFY, 3000)
    specs = fitted.layer_specs
    assert abs(build_model(fitted, CLASSIFY).num_parameters - 3000) < 300
    lstm, gru, _ = specs
    assert gru.size == pytest.approx(lstm.size / 2, abs=1)  # proportions are kept
    assert 1 <= lstm.option("proj_size") < lstm.size


# -- compare ----------------------------------------------------------------------------------


def test_the_model_list_holds_layer_lists_in_brackets() -> None:
    texts = split_models("lstm, [lstm:32:peephole, gru:16], gru:reset-before")
    assert texts == ("lstm", "[lstm:32:peephole, gru:16]", "gru:reset-before")
    specs = parse_models(texts)
    assert specs[1].config.layers == ("lstm:32:peephole=true", "gru:16")
    assert specs[1].label == "LSTM (peephole) → GRU"
    with pytest.raises(UserError, match="unbalanced brackets"):
        split_models("lstm, [gru:4")


# -- the command line -----------------------------------------------------------------------


def test_a_mixed_stack_trains_evaluates_resumes_draws_and_reruns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    layers = "lstm:32:peephole, gru:16, dense:8"
    common = ["--task", "cue-word", "--embedding-dim", "8", "--eval-every", "5"]
    assert main(["train", *common, "--layers", layers, "--steps", "10",
                 "--out-dir", str(run)]) == 0
    assert "LSTM 32 (peephole) → GRU 16 → dense 8" in capsys.readouterr().out
    saved = json.loads((run / "best" / "config.json").read_text())["model"]["layers"]
    assert saved == ["lstm:32:peephole=true", "gru:16", "dense:8"]
    assert main(["evaluate", str(run / "best")]) == 0
    assert "accuracy" in capsys.readouterr().out
    assert main(["train", "--resume", "--out-dir", str(run), "--steps", "15"]) == 0
    assert "15 steps" in capsys.readouterr().out
    picture = tmp_path / "stack.svg"
    assert main(["draw", str(run / "best"), "-o", str(picture)]) == 0
    svg = picture.read_text()
    assert "GRU layer 2" in svg and "dense 8" in svg
    again = tmp_path / "again"
    assert main(["train", "--config", str(run / "run.toml"), "--out-dir", str(again)]) == 0
    rerun = json.loads((again / "best" / "config.json").read_text())["model"]
    assert rerun == json.loads((run / "best" / "config.json").read_text())["model"]


@pytest.mark.parametrize("layers, words", [
    ("lstm:100000", ["layer 'lstm:100000'", "8192"]),
    ("lstm:8, gru", ["layer 'gru' needs a positive size"]),
])
def test_bad_layers_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], layers: str, words: list[str]
) -> None:
    one_line_error(capsys, ["train", "--task", "cue-word", "--layers", layers, "--steps", "1",
                            "--out-dir", str(tmp_path / "r")], *words)


def test_unit_activity_refuses_a_layer_list_clearly() -> None:
    from rnnlab.inspect.trace import trace
    from rnnlab.inspect.unit_activity import unit_activity

    model = build_model(ModelConfig(layers="lstm:6, gru:4", embedding_dim=4), LM).eval()
    with pytest.raises(UserError, match="has 2 \\(a layer list\\)"):
        unit_activity(model, [str(i) for i in range(11)], torch.arange(8))
    ids = torch.randint(0, 11, (1, 8))
    assert trace(model, ids, module=1, grads=False).family == "gru"  # one layer can be traced
    with pytest.raises(UserError, match="module=N"):
        trace(model, ids, grads=False)
