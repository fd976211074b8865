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


@pytest.mark.parametrize("layer, name", [
    (lambda: rn.LSTM(3, 4, peephole=True), "lstm"), (lambda: rn.GRU(3, 4), "gru"),
    (lambda: rn.RNN(3, 4), "elman")])
def test_a_layer_that_runs_a_core_builds_it(layer, name: str, built: list[str]) -> None:
    layer().prepare_kernels()
    assert built == [name]


def test_no_core_where_none_would_run(built: list[str]) -> None:
    rn.LSTM(3, 4).prepare_kernels()  # the plain LSTM trains on torch's fused kernel
    rn.LSTM(3, 4, peephole=True, backend="reference").prepare_kernels()
    rn.GRU(3, 4, zoneout=0.1).prepare_kernels()  # an in-loop mask keeps the Python loop
    rn.RNN(3, 4, recurrent_dropout=0.1).prepare_kernels()
    assert built == []
