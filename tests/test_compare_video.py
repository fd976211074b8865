"""compare on moving digits: the ConvLSTM beside the FC-LSTM, the filmstrip of next frames,
the gradient flow of both."""

from __future__ import annotations

import pytest

from rnnlab.compare import CompareConfig, compare

pytest.importorskip("sklearn")

SMALL = {"canvas": 16, "scale": 1, "frames": 4, "future": 4, "eval_size": 16}


def run(tmp_path, question):
    return compare(CompareConfig(
        task="moving-digits", task_params={**SMALL, "question": question},
        models=("lstm", "convlstm"), budget=4000, steps=3, minutes=0, eval_every=3,
        eval_size=16, batch_size=8, output=str(tmp_path / f"{question}.html")))


def test_next_frame_report_has_the_filmstrip_and_the_convlstm_gradient_flow(tmp_path):
    result = run(tmp_path, "next-frame")
    html = result.path.read_text(encoding="utf-8")
    assert 'id="frames"' in html and 'id="gradients"' in html
    assert "the 4 frames every model read, the 4 that came next" in result.data.filmstrip_caption
    assert result.data.filmstrip_svg.lstrip().startswith(("<?xml", "<svg"))
    for moment in ("at initialisation", "after training"):
        flows = result.data.gradients[moment]
        assert set(flows) == {"LSTM", "ConvLSTM"}
        # the ConvLSTM's probe is its encoder, which reads the 4 frames (the forecaster, a
        # stack of its own, predicts the next 4 from the encoder's last state)
        assert list(flows["LSTM"].x) == [0, 1, 2, 3]
        assert list(flows["ConvLSTM"].x) == [0, 1, 2, 3]
        assert all(s.y[0] == pytest.approx(1.0) for s in flows.values())
    assert not any("probe" in n for n in result.data.notes)
    # the reading quotes both models at the one distance both reach
    assert any("What is left of the gradient 3 steps before the loss" in s and "ConvLSTM" in s
               for s in result.reading)
    # gate heatmaps run over a token passage: no model of a video task has one
    assert result.data.gates == []


def test_classification_has_no_filmstrip_and_probes_the_convlstm(tmp_path):
    result = run(tmp_path, "speed")
    assert result.data.filmstrip_svg == "" and 'id="frames"' not in result.path.read_text()
    flows = result.data.gradients["after training"]
    assert set(flows) == {"LSTM", "ConvLSTM"} and list(flows["ConvLSTM"].x) == [0, 1, 2, 3]


def test_next_frame_with_fewer_future_frames_says_to_match_them(tmp_path):
    from rnnlab.errors import UserError

    with pytest.raises(UserError, match=r"one future frame per frame it reads \(4\), but "
                                        r"future = 3; set future = frames"):
        compare(CompareConfig(
            task="moving-digits", task_params={**SMALL, "future": 3, "question": "next-frame"},
            models=("lstm",), budget=2000, steps=2, minutes=0, eval_every=2, eval_size=16,
            batch_size=8, output=str(tmp_path / "r.html")))
