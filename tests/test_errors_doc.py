"""docs/errors.md lists every user error the code raises, and nothing the code does not."""

from __future__ import annotations

from functools import cache

from error_catalogue import DOC, FIXES, NOTES, fixes_problems, messages_in_code, messages_in_doc

code_messages = cache(messages_in_code)  # one walk over the source for all the tests


def _flat(messages: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {(m, t.replace("`", "'")) for m, texts in messages.items() for t in texts}


def _causes_in_doc(text: str) -> dict[str, str]:
    """Module -> the text of its "Cause and fix:" line in the doc."""
    found: dict[str, str] = {}
    module = None
    for line in text.splitlines():
        if line.startswith("## "):
            module = line[3:].strip()
        elif line.startswith("Cause and fix: ") and module is not None:
            found[module] = line.removeprefix("Cause and fix: ")
    return found


def test_every_raised_user_error_is_documented() -> None:
    missing = _flat(code_messages()) - _flat(messages_in_doc(DOC.read_text("utf-8")))
    assert not missing, f"undocumented (run python tests/error_catalogue.py): {sorted(missing)}"


def test_every_documented_message_exists_in_the_code() -> None:
    stale = _flat(messages_in_doc(DOC.read_text("utf-8"))) - _flat(code_messages())
    assert not stale, f"documented but no longer raised: {sorted(stale)}"


def test_every_section_says_cause_and_fix() -> None:
    text = DOC.read_text("utf-8")
    assert text.count("## ") == text.count("Cause and fix: ")


def test_every_module_that_raises_user_errors_has_notes() -> None:
    missing = sorted(set(code_messages()) - set(NOTES))
    assert not missing, (
        "no cause and fix in NOTES (tests/error_catalogue.py) for the user errors of: "
        + ", ".join(missing)
    )


def test_every_notes_entry_names_a_module_that_raises_user_errors() -> None:
    stale = sorted(set(NOTES) - set(code_messages()))
    assert not stale, (
        "NOTES (tests/error_catalogue.py) has entries for modules that raise no user error, "
        "remove them: " + ", ".join(stale)
    )


def test_every_section_has_the_cause_and_fix_of_its_module() -> None:
    """Each section's text is its module's own NOTES entry, never a shared fallback."""
    causes = _causes_in_doc(DOC.read_text("utf-8"))
    wrong = sorted(m for m in code_messages() if causes.get(m) != NOTES.get(m))
    assert not wrong, (
        "the cause and fix in docs/errors.md is not the module's NOTES entry "
        f"(run python tests/error_catalogue.py): {', '.join(wrong)}"
    )


def test_every_fix_names_a_message_the_code_raises() -> None:
    stale = [p for p in fixes_problems(code_messages()) if "is in FIXES" in p]
    assert not stale, "\n".join(stale)


def test_every_fix_is_in_the_doc_after_its_message() -> None:
    text = DOC.read_text("utf-8")
    for module, fixes in FIXES.items():
        for template, fix in fixes.items():
            line = f"- `{template.replace('`', chr(39))}` — {fix}"
            assert line in text, f"{module}: run python tests/error_catalogue.py ({template!r})"


def test_every_message_has_its_cause_and_fix() -> None:
    missing = [p for p in fixes_problems(code_messages()) if p.endswith("has no fix")]
    assert not missing, (
        "write a cause and fix for these messages in tests/error_fixes_core.py or "
        "error_fixes_io.py, then run python tests/error_catalogue.py:\n" + "\n".join(missing)
    )
