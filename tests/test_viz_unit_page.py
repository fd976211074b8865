"""The units page: automatic unit choice from planted signals, escaping, line breaks, errors."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.errors import UserError
from rnnlab.inspect.unit_activity import UnitActivity, text_features
from rnnlab.viz.unit_page import UnitChoice, auto_units, unit_page

PASSAGE = 'ROMEO:\nBut "soft" <b>what</b> & light\nJULIET:\nAy me.\n' * 3


def planted_activity() -> UnitActivity:
    """An LSTM-shaped activity with noise everywhere except two planted units: cell 3
    follows the position in the line, hidden unit 5 is on inside quotes."""
    tokens = list(PASSAGE)
    n, units = len(tokens), 8
    rng = np.random.default_rng(0)
    features = text_features(tokens)
    c = rng.normal(0, 0.05, (n, units))
    c[:, 3] = features["position_in_line"] / 10
    h = rng.normal(0, 0.05, (n, units))
    h[:, 5] = features["inside_quotes"] * 0.9
    gates = {g: rng.uniform(0, 1, (n, units)) for g in "ifo"}
    gates["g"] = rng.uniform(-1, 1, (n, units))
    return UnitActivity(tokens, list(range(n)), "lstm", ("i", "f", "g", "o"),
                        {(0, 0): {"c": c, "h": h, **gates}}, None)


def test_auto_units_find_the_planted_signals() -> None:
    chosen = auto_units(planted_activity(), count=2)
    assert [(c.kind, c.unit) for c in chosen] == [("c", 3), ("h", 5)]
    assert "position in line" in chosen[0].why and "inside quotes" in chosen[1].why


def test_page_escapes_the_passage_and_breaks_lines() -> None:
    page = unit_page(planted_activity(), [UnitChoice(3, "c", why="a <reason>")],
                     title="Units of <model>")
    assert "<b>" not in page and ">&lt;</span>" in page and ">&amp;</span>" in page
    assert "a &lt;reason&gt;" in page and "Units of &lt;model&gt;" in page
    assert "<script" not in page.lower()
    passage = page.split('class="heat-text chars wrap passage">', 1)[1].split("</div>", 1)[0]
    assert passage.count("</span>\n") == PASSAGE.count("\n")  # one line break per newline
    assert page.count('title="gate f = ') == 120  # the aligned gate rows: first 120 tokens


@pytest.mark.parametrize(
    ("choice", "words"),
    [(UnitChoice(8, "c"), "unit 8 does not exist"), (UnitChoice(0, "c", layer=2), "no layer 2"),
     (UnitChoice(0, "x"), "no 'x' units")],
)
def test_bad_unit_choices_are_user_errors(choice: UnitChoice, words: str) -> None:
    with pytest.raises(UserError, match=words):
        unit_page(planted_activity(), [choice], title="t")
