"""The compiled cores are built before a run's clock starts (RecurrentLayer.prepare_kernels)."""

from __future__ import annotations

import pytest

import rnnlab.nn as rn
from rnnlab.bptt import cpp_core


@pytest.fixture()
def built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    names: list[str] = []
    monkeypatch.setattr(cpp_core, "core", lambda name="lstm": names.append(name))
    return names


@pytest.mark.parametrize("cls, name", [(rn.LSTM, "lstm"), (rn.GRU, "gru")])
def test_a_layer_with_a_core_builds_it(cls: type, name: str, built: list[str]) -> None:
    cls(3, 4).prepare_kernels()
    assert built == [name]


def test_no_core_for_the_reference_path_or_a_family_without_one(built: list[str]) -> None:
    rn.LSTM(3, 4, backend="reference").prepare_kernels()
    rn.RNN(3, 4).prepare_kernels()
    assert built == []
