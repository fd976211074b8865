"""The words rnnlab reads as booleans, wherever a boolean is written as text: command-line
flags (``--peephole yes``), task parameters (``-p relative=true``) and model lists
(``lstm:peephole=on``) all accept the same ones."""

from __future__ import annotations

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def bool_from_text(text: str) -> bool | None:
    """True or False for one of the words (any case), None for any other text."""
    lowered = text.strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    return None
