"""The pieces of the compare package on their own: family questions, the lags the probes ask
for, metric choice, numbers over seeds and the command that repeats a comparison."""

from __future__ import annotations

import shlex
from types import SimpleNamespace

import pytest

import rnnlab.compare as compare_pkg
from rnnlab.compare import CompareConfig, command_line, first_reaching, parse_models, stat
from rnnlab.compare.families import (
    display_name,
    has_cell_state,
    has_gates,
    is_recurrent,
    is_window_mlp,
)
from rnnlab.compare.metrics import choose_metrics
from rnnlab.compare.probes import horizon_gaps
from rnnlab.compare.specs import windows_of
from rnnlab.models import ModelConfig
from rnnlab.tasks import make_task


@pytest.mark.parametrize(("family", "name", "window", "recurrent", "gates", "cell"), [
    ("mlp", "window MLP", True, False, False, False),
    ("rnn", "Elman RNN", False, True, False, False),
    ("lstm", "LSTM", False, True, True, True),
    ("gru", "GRU", False, True, True, False),
])
def test_family_questions(family: str, name: str, window: bool, recurrent: bool, gates: bool,
                          cell: bool) -> None:
    config = ModelConfig(family=family)
    assert display_name(config) == name
    assert is_window_mlp(config) is window
    assert is_recurrent(config) is recurrent
    assert has_gates(config) is gates
    assert has_cell_state(family) is cell


def test_the_probes_ask_the_task_for_its_lags() -> None:
    specs = parse_models(["mlp:window=10", "lstm", "mlp"])
    assert windows_of(specs) == [10, 5]
    cue = make_task("cue-word", gap=(2, 30))
    assert horizon_gaps(cue, windows_of(specs)) == cue.lags_to_probe([10, 5])
    assert horizon_gaps(make_task("lag", variant="2c", p=4, q=40)) == [10, 20, 40]
    assert horizon_gaps(make_task("lag", variant="2a", p=10)) == []
    assert horizon_gaps(make_task("adding", T=30), [5]) == []


def test_metric_choice() -> None:
    cue = make_task("cue-word")
    metrics = {"loss": 1.0, "accuracy": 0.5, "answer_loss": 2.0, "chance": 0.25}
    assert choose_metrics(cue, metrics) == ("accuracy", ["accuracy", "answer_loss"],
                                            ["accuracy", "loss", "answer_loss"])
    adding = make_task("adding", T=30)
    assert choose_metrics(adding, {"loss": 0.1, "mse": 0.1}) == ("loss", ["loss"],
                                                                  ["loss", "mse"])
    lag = make_task("lag", variant="2c", p=4, q=8)
    main, curves, _ = choose_metrics(lag, {"loss": 0.7, "accuracy": 0.5, "solved": 0.0})
    assert (main, curves) == ("accuracy", ["accuracy", "loss"])


def _run(history: list[dict]) -> SimpleNamespace:
    return SimpleNamespace(result=SimpleNamespace(history=history))


def test_numbers_over_seeds() -> None:
    assert stat([1.0]) == (1.0, None)
    mean, sd = stat([1.0, 3.0])
    assert mean == 2.0 and sd == pytest.approx(2 ** 0.5)
    a = _run([{"step": 10, "sequences": 100, "accuracy": 0.5},
              {"step": 10, "split": "train", "sequences": 100, "accuracy": 1.0},
              {"step": 20, "sequences": 200, "accuracy": 0.995}])
    b = _run([{"step": 10, "sequences": 100, "accuracy": 0.999}])
    assert first_reaching([a], "accuracy", 0.99) == 200  # the train row does not count
    assert first_reaching([a, b], "accuracy", 0.99) == 150
    assert first_reaching([a, b], "accuracy", 0.9999) is None


def test_command_line_repeats_the_config() -> None:
    config = CompareConfig(task_params={"gap": (2, 9)}, models=("lstm", "gru:reset-before"),
                           threads=2, output="my report.html")
    words = shlex.split(command_line(config))
    assert words[:4] == ["rnnlab", "--threads", "2", "compare"]
    assert words[words.index("-p") + 1] == "gap=2:9"
    assert words[words.index("--models") + 1] == "lstm,gru:reset-before"
    assert words[words.index("--output") + 1] == "my report.html"


def test_the_package_exports_what_compare_py_did() -> None:
    for name in ("CompareConfig", "CompareResult", "GatePanel", "ModelSpec", "Progress", "Run",
                 "build_task", "choose_metrics", "command_line", "compare", "label_for",
                 "parse_models", "is_result", "DEFAULT_MODELS", "FLAGS"):
        assert name in compare_pkg.__all__ and hasattr(compare_pkg, name), name
