"""`make bench` in miniature: every row of the speed grid runs and holds sane numbers.

Nothing here is about time — timings on a shared machine belong in the benchmark's own output
(docs/benchmarks.md), never in an assertion.
"""

from __future__ import annotations

import math

import pytest
from helpers_rnn import ELMAN_BPTT, GRU_BPTT, LSTM_BPTT

from benchmarks import inference_ratio
from benchmarks.speed import VARIANTS, Size, main, matmul_flops, parse_size


def test_every_contender_of_the_smoke_grid_runs(capsys: pytest.CaptureFixture[str]) -> None:
    rows = main(["--smoke", "--threads", "1", "--sizes", "2x3x4", "2x3x4:2l:bi"])
    per_size_and_mode = len(VARIANTS) + 3  # + torch.nn.LSTM/GRU/RNN; the loop is 1-layer only
    assert len(rows) == 2 * (per_size_and_mode + 1) + 2 * per_size_and_mode
    for r in rows:
        assert r.ms > 0 and math.isfinite(r.ratio) and r.ratio > 0 and r.gflops > 0
        assert (r.extra_mb is None) == (r.mode == "infer")
    reference = [r for r in rows if r.label.startswith("torch.nn.")]
    assert all(r.ratio == 1.0 for r in reference)
    table = capsys.readouterr().out
    assert "| B 2, T 3, H 4 x2 layers bidirectional | train | rnnlab LSTM layer norm python | " \
        "bptt |" in table
    kernels = {r.label: r.kernel for r in rows}
    assert kernels["rnnlab LSTM"] == "fused" and kernels["rnnlab LSTM bptt"] == LSTM_BPTT
    assert kernels["rnnlab LSTM peephole"] == LSTM_BPTT  # the loops in C++ where it is built
    assert kernels["rnnlab LSTM peephole python"] == "bptt"  # ... and forced to Python
    assert kernels["rnnlab LSTM layer norm"] == kernels["rnnlab LSTM projection"] == LSTM_BPTT
    assert kernels["rnnlab LSTM layer norm python"] == "bptt"
    assert kernels["rnnlab LSTM projection python"] == "bptt"
    assert kernels["rnnlab GRU"] == GRU_BPTT and kernels["rnnlab GRU fused"] == "fused"
    assert kernels["rnnlab GRU python"] == kernels["rnnlab GRU reset before python"] == "bptt"
    # unpacked products: still the C++ loops
    assert kernels["rnnlab LSTM peephole unpacked"] == kernels["rnnlab LSTM layer norm unpacked"]
    assert kernels["rnnlab LSTM peephole unpacked"] == LSTM_BPTT
    assert kernels["rnnlab GRU unpacked"] == GRU_BPTT
    assert kernels["rnnlab Elman tanh"] == ELMAN_BPTT
    assert kernels["rnnlab Elman tanh fused"] == "fused"
    assert kernels["rnnlab Elman tanh python"] == "bptt"
    assert kernels["torch.nn.LSTM"] == "torch" and kernels["LSTMCell loop"] == "loop"


def test_flops_count_the_matrix_products() -> None:
    # one LSTM layer: 4 gates, each H x (I + H), B T times, 2 flops a multiply-add
    assert matmul_flops("lstm", Size(2, 3, 4), proj=False) == 2 * 2 * 3 * 4 * 4 * (4 + 4)
    # the second layer of a bidirectional stack reads both directions' outputs
    two = matmul_flops("gru", Size(1, 1, 2, layers=2, bidirectional=True), proj=False)
    assert two == 2 * (2 * 3 * 2 * (2 + 2)) + 2 * (2 * 3 * 2 * (4 + 2))
    # projection: the recurrent input is P = H / 2 wide, plus the H -> P product
    assert matmul_flops("lstm", Size(1, 1, 4), proj=True) == 2 * 4 * 4 * (4 + 2) + 2 * 4 * 2
    # the three-gate cells (coupled, no forget gate) have a quarter fewer products
    assert matmul_flops("lstm", Size(2, 3, 4), proj=False, gates=3) == 2 * 2 * 3 * 3 * 4 * 8


def test_sizes_parse() -> None:
    assert parse_size("32x100x256:2l:bi") == Size(32, 100, 256, layers=2, bidirectional=True)
    with pytest.raises(Exception, match="BxTxH"):
        parse_size("32x100")


def test_the_checkout_comparison_runs_every_cell(capsys: pytest.CaptureFixture[str]) -> None:
    ratios = inference_ratio.main(["--sizes", "2x3x4", "--rounds", "1", "--calls", "1",
                                   "--threads", "1"])
    assert set(ratios["2x3x4"]) == set(inference_ratio.CELLS)
    assert all(math.isfinite(r) and r > 0 for r in ratios["2x3x4"].values())
    assert "B 2, T 3, H 4: plain " in capsys.readouterr().out
