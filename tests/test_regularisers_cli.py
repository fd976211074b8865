"""The regularisers from the command line to the checkpoint and back: each flag trains a tiny
model, which evaluates and resumes; the checkpoint's and run.toml's config hold it; the
model's describe() names it; compare's model specs take it; a config rejects a bad value
with the layer's own message; the diagrams' parameter counts include learned initial states."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rnnlab.cli import main
from rnnlab.compare.specs import parse_models
from rnnlab.errors import UserError
from rnnlab.models import ModelConfig, build_model
from rnnlab.nn.families import family
from rnnlab.tasks.base import TaskSpec
from rnnlab.train.checkpoint import load_checkpoint, rebuild_model
from rnnlab.train.run_file import read_run_file
from rnnlab.viz.diagrams import count_recurrent_parameters

# option -> (family, flag arguments, value in the config, words in describe())
FLAGS = {
    "recurrent_dropout": ("gru", ["--recurrent-dropout", "0.25"], 0.25, "recurrent dropout 0.25"),
    "weight_drop": ("rnn", ["--weight-drop", "0.5"], 0.5, "weight drop 0.5"),
    "zoneout": ("lstm", ["--zoneout", "0.1"], 0.1, "zoneout 0.1"),
    "zoneout_cell": ("lstm", ["--zoneout-cell", "0.2"], 0.2, "cell zoneout 0.2"),
    "learn_init": ("gru", ["--learn-init"], True, "learned h0"),
}
SPEC = TaskSpec("tokens", 7, "classes", 3, many_to_many=False, bidirectional_ok=True)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return code, out


@pytest.mark.parametrize("name", list(FLAGS))
def test_train_evaluate_resume_with_the_flag(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kind, flag, value, words = FLAGS[name]
    run_dir = tmp_path / "run"
    _, out = run(capsys, "train", "--task", "cue-word", "-p", "gap=2:4", "-p", "eval_size=16",
                 "--family", kind, "--hidden-size", "6", "--embedding-dim", "4", "--steps", "3",
                 "--eval-every", "3", "--batch-size", "4", "--progress", "false", *flag,
                 "--out-dir", str(run_dir))
    assert words in out  # the model's describe() line
    ckpt = load_checkpoint(run_dir)
    config = ckpt.model_config
    assert config is not None and getattr(config, name) == value
    assert ModelConfig.from_dict(config.to_dict()) == config
    assert words in rebuild_model(ckpt).describe()
    assert read_run_file(run_dir / "run.toml").model[name] == value
    _, out = run(capsys, "evaluate", str(run_dir), "--json")
    assert '"accuracy"' in out
    _, out = run(capsys, "train", "--resume", "--out-dir", str(run_dir), "--steps", "5",
                 "--progress", "false")
    assert "after 5 steps" in out and words in out
    assert getattr(load_checkpoint(run_dir / "last").model_config, name) == value


def test_learned_initial_states_are_saved_and_restored(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    run(capsys, "train", "--task", "cue-word", "-p", "gap=2:4", "-p", "eval_size=16",
        "--family", "lstm", "--hidden-size", "6", "--embedding-dim", "4", "--steps", "3",
        "--batch-size", "4", "--lr", "0.1", "--progress", "false", "--learn-init",
        "--out-dir", str(run_dir))
    ckpt = load_checkpoint(run_dir / "last")
    learned = {k: v for k, v in ckpt.weights.items() if ".initial_" in k}
    assert {k.rsplit(".", 1)[-1] for k in learned} == {"initial_h_l0", "initial_c_l0"}
    assert any(v.abs().max() > 0 for v in learned.values())  # trained away from zero
    model = rebuild_model(ckpt)
    for k, v in learned.items():
        torch.testing.assert_close(model.state_dict()[k], v)


def test_compare_takes_the_options_as_field_values(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    specs = parse_models(["lstm:zoneout=0.1:zoneout_cell=0.2", "gru:learn_init=true",
                          "rnn:recurrent_dropout=0.3:weight_drop=0.4"])
    assert [s.label for s in specs] == ["LSTM (zoneout 0.1, cell zoneout 0.2)",
                                        "GRU (learned h0)",
                                        "Elman RNN (recurrent dropout 0.3, weight drop 0.4)"]
    assert specs[0].config.zoneout == 0.1 and specs[1].config.learn_init is True
    with pytest.raises(UserError, match=r"zoneout must be a number in \[0, 1\)"):
        parse_models(["lstm:zoneout=1.5"])
    out = tmp_path / "compare.html"
    run(capsys, "compare", "--models", "lstm:zoneout=0.1:learn_init=true,gru:weight_drop=0.3",
        "--steps", "2", "--seeds", "1", "--eval-every", "2", "--eval-size", "8",
        "--batch-size", "4", "--budget", "600", "-o", str(out), "-q")
    html = out.read_text(encoding="utf-8")
    assert "zoneout 0.1" in html and "weight drop 0.3" in html


@pytest.mark.parametrize("name", ["recurrent_dropout", "weight_drop", "zoneout", "zoneout_cell"])
@pytest.mark.parametrize("bad", [-0.1, 1.0, "0.5", True])
def test_a_config_rejects_a_bad_probability_with_the_layers_message(name: str, bad: object) -> None:
    with pytest.raises(UserError, match=rf"{name} must be a number in \[0, 1\)"):
        ModelConfig(family="lstm", **{name: bad})  # type: ignore[arg-type]
    assert family("lstm").reads(name)


def test_options_of_another_family_are_ignored() -> None:
    ModelConfig(family="gru", zoneout_cell=5.0)  # the GRU has no cell state: not read
    ModelConfig(family="mlp", zoneout=5.0, learn_init=True)  # the window MLP reads none
    assert not family("gru").reads("zoneout_cell") and not family("mlp").reads("zoneout")


@pytest.mark.parametrize(("kind", "extra"), [("rnn", {}), ("gru", {}), ("lstm", {}),
                                             ("lstm", {"proj_size": 2})])
def test_parameter_counts_include_learned_initial_states(kind: str, extra: dict) -> None:
    config = ModelConfig(family=kind, hidden_size=5, num_layers=2, bidirectional=True,
                         learn_init=True, embedding_dim=3, **extra)
    model = build_model(config, SPEC)
    real = sum(p.numel() for p in model.stack.rnn.parameters())
    assert count_recurrent_parameters(config) == real
    plain = ModelConfig.from_dict(config.to_dict() | {"learn_init": False})
    assert count_recurrent_parameters(config) > count_recurrent_parameters(plain)
