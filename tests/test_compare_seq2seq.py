"""compare on a sequence-to-sequence task: exact match by source length, attention maps."""

from __future__ import annotations

import pytest

from rnnlab.compare import CompareConfig, compare
from rnnlab.compare.config import build_task
from rnnlab.compare.seq2seq_probes import exact_match_by_length
from rnnlab.errors import UserError

pytest.importorskip("faker")
pytest.importorskip("babel")


def dates_config(tmp_path, models=("gru", "gru:attention=luong"), **extra):
    return CompareConfig(task="dates", task_params={"eval_size": 60}, models=models,
                         budget=6000, steps=12, minutes=0, eval_every=6, eval_size=60,
                         batch_size=32, lr=0.01, output=str(tmp_path / "s2s.html"), **extra)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return compare(dates_config(tmp_path_factory.mktemp("s2s")))


def test_exact_match_is_the_main_metric_and_the_reading_speaks_of_length(result):
    assert result.data.metric_names[0] == "exact_match"
    assert result.reading[0].startswith("Test exact match:")
    assert any(s.startswith("On the longest test sources (") for s in result.reading)


def test_length_curves_count_every_test_sentence(result):
    assert set(result.data.length) == {"GRU", "GRU (attention=luong)"}
    model = result.runs["GRU (attention=luong)"][0].model
    task = build_task(CompareConfig(task="dates", task_params={"eval_size": 60}))
    counts = exact_match_by_length(model, task, limit=60)
    assert sum(n for _, n in counts.values()) == 60
    curve = result.data.length["GRU (attention=luong)"]
    assert all(0.0 <= y <= 1.0 for y in curve.y) and curve.x == sorted(curve.x)


def test_attention_maps_only_for_models_with_attention(result):
    labels = {p.label for p in result.data.attention}
    assert labels == {"GRU (attention=luong)"} and 1 <= len(result.data.attention) <= 2
    html = result.path.read_text(encoding="utf-8")
    for sid in ('id="length"', 'id="attention"', 'id="models"', 'id="results"'):
        assert sid in html
    assert 'id="gradients"' not in html and 'id="gates"' not in html


def test_a_window_mlp_is_refused_before_training(tmp_path):
    with pytest.raises(UserError, match="no encoder-decoder form"):
        compare(dates_config(tmp_path, models=("gru", "mlp")))
