"""compare on moving digits: the ConvLSTM beside the FC-LSTM, the filmstrip of next frames."""

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


def test_next_frame_report_has_the_filmstrip_and_says_what_is_not_probed(tmp_path):
    result = run(tmp_path, "next-frame")
    html = result.path.read_text(encoding="utf-8")
    assert 'id="frames"' in html
    assert "the 4 frames every model read, the 4 that came next" in result.data.filmstrip_caption
    assert result.data.filmstrip_svg.lstrip().startswith(("<?xml", "<svg"))
    assert set(result.data.gradients["after training"]) == {"LSTM"}
    assert any("The ConvLSTM has no gradient-flow or gate probe" in n for n in result.data.notes)


def test_classification_has_no_filmstrip(tmp_path):
    result = run(tmp_path, "speed")
    assert result.data.filmstrip_svg == "" and 'id="frames"' not in result.path.read_text()


def test_next_frame_with_fewer_future_frames_says_to_match_them(tmp_path):
    from rnnlab.errors import UserError

    with pytest.raises(UserError, match=r"one future frame per frame it reads \(4\), but "
                                        r"future = 3; set future = frames"):
        compare(CompareConfig(
            task="moving-digits", task_params={**SMALL, "future": 3, "question": "next-frame"},
            models=("lstm",), budget=2000, steps=2, minutes=0, eval_every=2, eval_size=16,
            batch_size=8, output=str(tmp_path / "r.html")))
