"""The compiled cores are built before a run's clock starts (RecurrentLayer.prepare_kernels)."""

from __future__ import annotations

import pytest
import torch

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


def test_the_plain_lstm_builds_the_core_only_where_it_trains_on_it(
        monkeypatch: pytest.MonkeyPatch, built: list[str]) -> None:
    """It trains on the core where the core's own AVX-512 or AVX2 products would run (asked of
    the core: the fixture's core is None, so the layer then falls back to the fused kernel)."""
    rn.LSTM(3, 4).prepare_kernels()
    panels = torch.backends.cpu.get_cpu_capability() in ("AVX512", "AVX2")
    assert built == (["lstm"] if panels else [])
    built.clear()
    monkeypatch.setenv("RNNLAB_NO_PANEL_GEMM", "1")  # MKL's products: oneDNN trains faster
    rn.LSTM(3, 4).prepare_kernels()
    assert built == []


def test_no_core_where_none_would_run(built: list[str]) -> None:
    rn.LSTM(3, 4, peephole=True, backend="reference").prepare_kernels()
    rn.GRU(3, 4, zoneout=0.1).prepare_kernels()  # an in-loop mask keeps the Python loop
    rn.RNN(3, 4, recurrent_dropout=0.1).prepare_kernels()
    assert built == []
