"""Unit activity over text: a hand-set LSTM cell that counts the characters since the newline
is found by the position-in-line feature; the state carries across chunks; shapes match."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rnnlab.errors import UserError
from rnnlab.inspect import find_interesting_units, text_features, unit_activity, unit_values
from rnnlab.models import ModelConfig, build_model
from rnnlab.tasks import make_task
from rnnlab.tasks.base import TaskSpec

PASSAGE = 'He said "hi (there)" twice.\nA longer line here\nx\n"quoted (paren) text" ok\nend\n'
VOCAB = sorted(set(PASSAGE))
H, COUNTER = 6, 2  # the counting unit


def char_lm(family: str = "lstm", seed: int = 0):
    torch.manual_seed(seed)
    spec = TaskSpec("tokens", len(VOCAB), "classes", len(VOCAB), True, vocab=tuple(VOCAB))
    return build_model(ModelConfig(family=family, hidden_size=H), spec).double()


def counting_lstm():
    """Unit COUNTER: i = 1, f = 1 except at a newline (f = 0), g = 0.1 except at a newline
    (g = 0), o = 1, and nothing recurrent: c_t = c_{t-1} + 0.1, reset to 0 by a newline.
    The other units keep their random weights."""
    model = char_lm()
    rnn, nl = model.stack.rnn, VOCAB.index("\n")
    i, f, g, o = (k * H + COUNTER for k in range(4))  # rows of the unit in each gate block
    with torch.no_grad():
        for row in (i, f, g, o):
            rnn.weight_hh_l0[row] = 0.0
            rnn.weight_ih_l0[row] = 0.0
            rnn.bias_ih_l0[row] = 0.0
            rnn.bias_hh_l0[row] = 0.0
        rnn.bias_ih_l0[i] = rnn.bias_ih_l0[f] = rnn.bias_ih_l0[o] = 20.0
        rnn.weight_ih_l0[f, nl] = -40.0
        rnn.weight_ih_l0[g] = math.atanh(0.1)
        rnn.weight_ih_l0[g, nl] = 0.0
    return model


def test_text_features() -> None:
    f = text_features(list('a "b(c)"\nxy'))
    assert f["position_in_line"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2]
    assert f["inside_quotes"].tolist() == [0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    assert f["inside_parentheses"].tolist() == [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    assert f["is_newline"].tolist() == [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]
    assert f["position_in_word"].tolist() == [1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 2]


def test_the_line_position_counter_is_found() -> None:
    activity = unit_activity(counting_lstm(), VOCAB, PASSAGE)
    N = len(PASSAGE)
    assert activity.tokens == list(PASSAGE) and len(activity) == N
    assert activity.ids == [VOCAB.index(ch) for ch in PASSAGE]
    for kind in ("h", "c", "i", "f", "g", "o"):
        assert activity.get(kind).shape == (N, H)
    position = text_features(activity.tokens)["position_in_line"]
    np.testing.assert_allclose(activity.get("c")[:, COUNTER], 0.1 * position, atol=1e-6)

    found = find_interesting_units(activity)
    best = found[0]
    assert (best["unit"], best["kind"], best["feature"]) == (COUNTER, "c", "position_in_line")
    assert best["measure"] == "correlation" and best["score"] > 0.999
    # the counter is the top unit for that feature in h as well (h = tanh(c) is monotone)
    top_h = next(e for e in found if e["feature"] == "position_in_line" and e["kind"] == "h")
    assert top_h["unit"] == COUNTER
    assert {e["measure"] for e in found} == {"correlation", "variance", "saturation"}
    # only |correlations| above the floor are reported, best first
    scores = [abs(e["score"]) for e in found if e["measure"] == "correlation"]
    assert min(scores) >= 0.3 and scores == sorted(scores, reverse=True)
    # the counter is also the cell with the largest variance (it climbs to ~2.6)
    top_var = next(e for e in found if e["measure"] == "variance" and e["kind"] == "c")
    assert top_var["unit"] == COUNTER

    pairs = unit_values(activity, COUNTER, "c")
    assert [t for t, _ in pairs] == list(PASSAGE)
    assert pairs[5][1] == pytest.approx(math.tanh(0.6), abs=1e-6)  # 'a' of "said", 6th char


def test_state_is_carried_across_chunks_and_calls() -> None:
    model = char_lm(seed=1)
    whole = unit_activity(model, VOCAB, PASSAGE)
    chunked = unit_activity(model, VOCAB, PASSAGE, chunk_len=7)
    split = 23
    first = unit_activity(model, VOCAB, PASSAGE[:split])
    rest = unit_activity(model, VOCAB, PASSAGE[split:], state=first.final_state)
    fresh = unit_activity(model, VOCAB, PASSAGE[split:])
    for kind in ("h", "c", "f"):
        np.testing.assert_allclose(chunked.get(kind), whole.get(kind), atol=1e-12)
        joined = np.concatenate([first.get(kind), rest.get(kind)])
        np.testing.assert_allclose(joined, whole.get(kind), atol=1e-12)
    # without the carried state the continuation would differ (so the test above bites)
    assert not np.allclose(fresh.get("c"), whole.get("c")[split:])


def test_text_task_ids_and_other_families(tmp_path) -> None:
    path = tmp_path / "text.txt"
    path.write_text(PASSAGE * 4, encoding="utf-8")
    task = make_task("text", path=str(path), seq_len=5)
    torch.manual_seed(0)
    model = build_model(ModelConfig(family="gru", hidden_size=5, num_layers=2), task.spec)
    activity = unit_activity(model, task, "said (hi)")
    assert activity.ids == task.encode("said (hi)").tolist()
    assert set(activity.values) == {(0, 0), (1, 0)}
    assert set(activity.values[(1, 0)]) == {"h", "r", "z", "n"}
    found = find_interesting_units(activity)
    assert found and all(e["kind"] == "h" for e in found)  # a GRU has no cell
    with pytest.raises(UserError, match="no 'c' values"):
        activity.get("c")
    with pytest.raises(UserError, match="not in the vocabulary"):
        unit_activity(model, task, "Zebra!")
    # ids in, tokens decoded with the vocabulary
    by_ids = unit_activity(model, task, task.encode("said (hi)"))
    assert by_ids.tokens == list("said (hi)")
    np.testing.assert_allclose(by_ids.get("h", 1), activity.get("h", 1), atol=1e-7)
    data = activity.to_dict()
    assert data["tokens"] == list("said (hi)") and len(data["layers"]["l1"]["h"]) == 9
