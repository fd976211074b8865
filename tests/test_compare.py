"""`rnnlab compare`: a tiny end-to-end run, the model list, the reading, bad options."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from rnnlab.cli import main
from rnnlab.compare import CompareConfig, build_task, compare, is_result, label_for, parse_models
from rnnlab.errors import UserError
from rnnlab.viz.reading import Outcome, read_outcomes, small


class _Rows(HTMLParser):
    """The section ids, and the body rows of the results table."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.rows = 0
        self._in_results = self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a.get("id") or "")
        if tag == "table":
            self._in_results = a.get("class") == "results"
        if tag == "tbody" and self._in_results:
            self._in_body = True
        if tag == "tr" and self._in_body:
            self.rows += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("compare") / "report.html"
    config = CompareConfig(
        models=("mlp", "lstm"), task_params={"gap": (2, 6)}, budget=2000, steps=30,
        minutes=0, eval_every=15, eval_size=32, batch_size=16, output=str(out),
    )
    return compare(config), out


def test_tiny_compare_writes_a_complete_report(tiny_run) -> None:
    result, out = tiny_run
    assert result.path == out and out.exists()
    parser = _Rows()
    parser.feed(out.read_text(encoding="utf-8"))
    for section in ("reading", "models", "curves", "results", "horizon", "gradients", "gates",
                    "run"):
        assert section in parser.sections
    assert parser.rows == 2  # one row per model
    assert [r.label for r in result.data.results] == ["window MLP (5 steps)", "LSTM"]
    assert all(r.sequences == (30 * 16, None) for r in result.data.results)
    assert result.reading and result.reading == result.data.reading
    # the gradient flow is of the recurrent model only, before and after training
    assert list(result.data.gradients["after training"]) == ["LSTM"]
    assert result.data.gates[0].title == "LSTM"
    assert result.wall_time > 0
    assert any(k == "wall time" for k, _ in result.data.run_info)


def test_the_reading_uses_the_measured_numbers(tiny_run) -> None:
    result, _ = tiny_run
    scores = {o.label: o.score for o in result.outcomes}
    first = result.reading[0]
    for label, score in scores.items():
        assert label in first
        assert f"{100 * score:.0f}" in first or f"{100 * score:.1f}" in first


def _outcomes(mlp_far: float, lstm_far: float) -> list[Outcome]:
    gaps = [2, 3, 4, 5, 8, 30]
    mlp = {g: (1.0 if g < 5 else mlp_far) for g in gaps}
    lstm = {g: (1.0 if g < 8 else lstm_far) for g in gaps}
    return [
        Outcome("window MLP", "mlp", 20_000, score=0.35, horizon=mlp, window=5,
                sequences=22_400, tokens_per_second=30_000),
        Outcome("LSTM", "lstm", 20_100, score=0.995, horizon=lstm, reached=9_600,
                sequences=22_400, tokens_per_second=18_000, gradient_distance=30,
                gradient_init=1e-3, gradient_trained=0.2),
        Outcome("Elman RNN", "rnn", 19_900, score=0.5, sequences=22_400,
                tokens_per_second=25_000, gradient_distance=30, gradient_init=1e-6,
                gradient_trained=2e-5),
    ]


def test_reading_follows_fake_results() -> None:
    text = read_outcomes(_outcomes(mlp_far=0.25, lstm_far=0.995), chance=0.25,
                         target="99% accuracy")
    joined = " ".join(text)
    assert text[0].startswith("Test accuracy: the LSTM 99.5%, the Elman RNN 50% and the "
                              "window MLP 35% (chance is 25%)")
    assert ("The window MLP is at chance once the cue is 5 or more words back (closer, it gets "
            "up to 100%, at 2 words): exactly where the cue leaves its 5-word window.") in text
    assert "The LSTM holds 99% or better at every tested gap, up to 30 words." in text
    assert ("The LSTM reached 99% accuracy on the validation set after 9,600 training "
            "sequences; the window MLP and the Elman RNN did not within 22,400.") in text
    assert ("What is left of the gradient 30 steps before the loss, as a fraction of its size "
            "at the loss: the Elman RNN 10\u207b\u2076 untrained and 2 \u00d7 10\u207b\u2075 "
            "trained; the LSTM 10\u207b\u00b3 and 0.2.") in joined
    assert "the window MLP was fastest (30,000 tokens/s)" in joined

    # Other numbers, other sentences: the MLP now remembers, the LSTM forgets beyond gap 5.
    other = read_outcomes(_outcomes(mlp_far=0.999, lstm_far=0.26), chance=0.25)
    assert "The window MLP holds 99% or better at every tested gap, up to 30 words." in other
    assert any(s.startswith("The LSTM is at chance once the cue is 8 or more words back")
               for s in other)
    assert not any("9,600" in s for s in other)  # no target given: no learning-speed sentence


def test_one_noisy_gap_does_not_move_the_chance_horizon() -> None:
    # Measured once: an Elman RNN that learned only the shortest gaps, with sampling noise
    # (32% at gap 17) that a point-by-point test would read as "above chance".
    acc = {2: 0.45, 3: 0.27, 4: 0.23, 5: 0.19, 6: 0.28, 8: 0.21, 12: 0.245, 17: 0.32, 21: 0.24,
           26: 0.25, 30: 0.23}
    rnn = Outcome("Elman RNN", "rnn", 20_000, score=0.25, horizon=acc,
                  horizon_margin={g: 0.06 for g in acc})
    text = read_outcomes([rnn], chance=0.25)
    assert ("The Elman RNN is at chance once the cue is 3 or more words back (closer, it gets "
            "up to 45%, at 2 words).") in text


def test_reading_of_a_loss_metric_ranks_lowest_first() -> None:
    outcomes = [Outcome("A", "rnn", 100, 2.5, metric="loss", higher_is_better=False),
                Outcome("B", "gru", 100, 1.25, metric="loss", higher_is_better=False)]
    assert read_outcomes(outcomes)[0].startswith("Test loss: the B 1.25 and the A 2.5")
    assert small(4e-6) == "4 \u00d7 10\u207b\u2076" and small(0.25) == "0.25"


def test_parse_models_variants_and_labels() -> None:
    specs = parse_models(["mlp", "lstm:peephole", "lstm:coupled+peephole", "gru:reset-before",
                          "mlp:window=8", "rnn:relu"])
    assert [s.label for s in specs] == [
        "window MLP (5 steps)", "LSTM (peephole)", "LSTM (peephole, CIFG)",
        "GRU (reset before)", "window MLP (8 steps)", "Elman RNN (relu)",
    ]
    assert specs[4].config.window == 8
    assert label_for(specs[1].config) == "LSTM (peephole)"
    assert parse_models(["lstm:hidden_size=7"])[0].fixed_size


def test_labels_show_options_that_change_a_model() -> None:
    specs = parse_models(["lstm", "lstm:forget_bias=5", "lstm:peephole:forget_bias=5",
                          "lstm:hidden_size=32", "mlp:window=8"])
    assert [s.label for s in specs] == [
        "LSTM", "LSTM (forget_bias=5)", "LSTM (peephole, forget_bias=5)",
        "LSTM (hidden_size=32)", "window MLP (8 steps)"]
    assert specs[1].config.forget_bias == 5.0 and specs[3].fixed_size


@pytest.mark.parametrize(
    "models",
    [["nope"], ["lstm:sparkly"], ["gru:peephole"], ["lstm", "lstm"], ["mlp:window=x"], []],
)
def test_bad_model_lists_are_user_errors(models: list[str]) -> None:
    with pytest.raises(UserError):
        if not models:
            CompareConfig(models=()).validate()
        parse_models(models)


def test_bad_options_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="unknown task"):
        build_task(CompareConfig(task="nope"))
    with pytest.raises(UserError, match="directory"):
        build_task(CompareConfig(output=str(tmp_path)))
    with pytest.raises(UserError, match="no end"):
        build_task(CompareConfig(steps=0, minutes=0))
    with pytest.raises(UserError):
        build_task(CompareConfig(task_params={"gap": "hello"}))
    with pytest.raises(UserError, match="seeds"):
        CompareConfig(seeds=0).validate()


def test_cli_bad_model_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--models", "nope"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "nope" in lines[0] and lines[0].startswith("rnnlab compare")


def test_task_constants_are_not_shown_as_results() -> None:
    # moving-digits next-frame reports two baselines beside the model's bce and mse
    metrics = ["loss", "bce", "mse", "baseline_bce", "baseline_mse", "baseline", "chance"]
    assert [m for m in metrics if is_result(m)] == ["loss", "bce", "mse"]
