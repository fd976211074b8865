"""One set of boolean words for every place a boolean is written as text."""

from __future__ import annotations

import pytest

from rnnlab.cli_options import _parse_bool
from rnnlab.errors import UserError
from rnnlab.models import ModelConfig
from rnnlab.utils.booleans import FALSE_WORDS, TRUE_WORDS, bool_from_text


@pytest.mark.parametrize("word", [*TRUE_WORDS, *FALSE_WORDS, "TRUE", " Off "])
def test_every_surface_reads_the_same_words(word: str) -> None:
    expected = word.strip().lower() in TRUE_WORDS
    assert bool_from_text(word) is expected
    assert _parse_bool(word) is expected
    peephole = ModelConfig(layers=f"lstm:8:peephole={word.strip()}").layer_specs[0]
    assert peephole.option("peephole", False) is expected


def test_other_text_is_not_a_boolean() -> None:
    assert bool_from_text("maybe") is None
    with pytest.raises(UserError, match="not a valid bool"):
        ModelConfig(layers="lstm:8:peephole=maybe")
