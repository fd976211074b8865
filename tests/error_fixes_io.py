"""Per-message cause and fix for docs/errors.md, rnnlab/{tasks,train,utils,estimators} and the
modules at the top of rnnlab/ (cli.py, ...): module -> {message template -> text}.

Keys are the templates exactly as tests/error_catalogue.py finds them (`{}` for each
placeholder, whitespace collapsed). Each text says in one or two sentences what led to the
message and what to do instead. See tests/error_catalogue.py.
"""

from __future__ import annotations

FIXES: dict[str, dict[str, str]] = {}
