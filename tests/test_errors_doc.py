"""docs/errors.md lists every user error the code raises, and nothing the code does not."""

from __future__ import annotations

from error_catalogue import DOC, messages_in_code, messages_in_doc


def _flat(messages: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {(m, t.replace("`", "'")) for m, texts in messages.items() for t in texts}


def test_every_raised_user_error_is_documented() -> None:
    missing = _flat(messages_in_code()) - _flat(messages_in_doc(DOC.read_text("utf-8")))
    assert not missing, f"undocumented (run python tests/error_catalogue.py): {sorted(missing)}"


def test_every_documented_message_exists_in_the_code() -> None:
    stale = _flat(messages_in_doc(DOC.read_text("utf-8"))) - _flat(messages_in_code())
    assert not stale, f"documented but no longer raised: {sorted(stale)}"


def test_every_section_says_cause_and_fix() -> None:
    text = DOC.read_text("utf-8")
    assert text.count("## ") == text.count("Cause and fix: ")
