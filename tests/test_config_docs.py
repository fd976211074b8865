"""The config dataclasses document their fields where ``help()`` shows them: the class docstring
lists every field with the comment written beside it.

``python tests/test_config_docs.py`` prints the field lists to paste after a field changes.
"""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from rnnlab.cli_options import field_help
from rnnlab.models.config import ModelConfig
from rnnlab.train.config import TrainConfig

DOCUMENTED = (ModelConfig, TrainConfig)


def field_lines(cls: type) -> str:
    """The docstring's field list: ``name: comment`` per field, wrapped at 100 columns."""
    helps = field_help(cls)
    out = []
    for f in dataclasses.fields(cls):
        out += textwrap.wrap(f"{f.name}: {helps[f.name]}", 96, initial_indent="    ",
                             subsequent_indent="        ")
    return "\n".join(out)


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("cls", DOCUMENTED, ids=lambda c: c.__name__)
def test_the_docstring_lists_every_field_with_its_comment(cls: type) -> None:
    doc = _flat(cls.__doc__ or "")
    helps = field_help(cls)
    for f in dataclasses.fields(cls):
        assert _flat(f"{f.name}: {helps[f.name]}") in doc, (
            f"{cls.__name__}'s docstring lacks '{f.name}: {helps[f.name]}' "
            "(python tests/test_config_docs.py prints the list)")


if __name__ == "__main__":
    for cls in DOCUMENTED:
        print(f"{cls.__name__}:\n{field_lines(cls)}\n")
