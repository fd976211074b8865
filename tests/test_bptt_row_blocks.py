"""The C++ LSTM loops with the batch split into blocks of rows, one per thread (cpu_math.h,
``row_blocks``), against the Python loops.

The rest of the test run uses one thread, where the loops run all rows as one block; here two
threads and a batch of 9 make two blocks of 4 and 5 rows, each taking its rows through every
step on its own. Packed batches end rows inside each block and across the block boundary.
Held together, in float64: outputs, final states and every gradient, for the gate layouts
with and without peepholes, layer norm and a projection; and inference.
"""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import Tensor

from rnnlab.bptt import cpp_core
from rnnlab.bptt.lstm import lstm_sequence
from rnnlab.bptt.reference import LSTMWeights, lstm_gate_names

T, B, I, H, P = 5, 9, 3, 13, 7
# packed: rows of lengths 5, 5, 4, 4, 4, 2, 2, 1, 1 — rows end in both blocks ([0, 4), [4, 9))
SIZES = torch.tensor([9, 7, 5, 5, 2])
GATE_SETS = {"standard": {}, "no_forget": {"forget_gate": False}, "coupled": {"coupled": True}}
TOL = {"rtol": 1e-11, "atol": 1e-11}

pytestmark = pytest.mark.skipif(cpp_core.core() is None,
                                reason="the C++ core is off or was not built")


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    if cpp_core.core().row_blocks(B) != 2:  # a torch built without threads
        torch.set_num_threads(before)
        pytest.skip("the loops do not split this batch here")
    yield
    torch.set_num_threads(before)


def case(gates: str, peep: bool, ln: bool, proj: bool) -> list[Tensor | None]:
    G = len(lstm_gate_names(**GATE_SETS[gates]))
    R = P if proj else H
    gen = torch.Generator().manual_seed(4)

    def rand(*shape: int, mean: float = 0.0) -> Tensor:
        return torch.randn(*shape, generator=gen, dtype=torch.float64) * 0.5 + mean

    w = LSTMWeights(
        weight_ih=rand(G * H, I), weight_hh=rand(G * H, R), bias_ih=rand(G * H),
        bias_hh=rand(G * H), weight_hr=rand(P, H) if proj else None,
        weight_peephole=rand(G - 1, H) if peep else None,
        weight_ln_ih=rand(G * H, mean=1.0) if ln else None,
        weight_ln_hh=rand(G * H, mean=1.0) if ln else None,
        weight_ln_c=rand(H, mean=1.0) if ln else None, bias_ln_c=rand(H) if ln else None)
    return [rand(T, B, I), rand(B, R), rand(B, H), *w]


def outputs_and_grads(inputs: list[Tensor | None], gates: str,
                      batch_sizes: Tensor | None) -> list[Tensor]:
    leaves = [t.detach().clone().requires_grad_() for t in inputs if t is not None]
    it = iter(leaves)
    x, h0, c0, *w = [None if t is None else next(it) for t in inputs]
    outs = lstm_sequence(x, h0, c0, LSTMWeights(*w), **GATE_SETS[gates],
                         batch_sizes=batch_sizes)
    gen = torch.Generator().manual_seed(9)
    loss = sum((o * torch.randn(o.shape, generator=gen, dtype=o.dtype)).sum() for o in outs)
    return [o.detach() for o in outs] + list(torch.autograd.grad(loss, leaves))


@pytest.mark.parametrize(("gates", "peep", "ln", "proj", "packed"), [
    (g, peep, ln, proj, packed)
    for g, (peep, ln, proj, packed) in itertools.product(
        GATE_SETS, [(False, False, False, False), (True, True, True, True),
                    (True, False, False, True), (False, True, False, False),
                    (False, False, True, True)])])
def test_row_blocks_agree_with_the_python_loops(monkeypatch, two_threads, gates, peep, ln,
                                                proj, packed) -> None:
    inputs = case(gates, peep, ln, proj)
    sizes = SIZES if packed else None
    cpp = outputs_and_grads(inputs, gates, sizes)
    with monkeypatch.context() as m:
        m.setenv("RNNLAB_NO_CPP", "1")
        python = outputs_and_grads(inputs, gates, sizes)
    assert len(cpp) == len(python)
    for k, (a, b) in enumerate(zip(cpp, python, strict=True)):
        torch.testing.assert_close(a, b, **TOL, msg=f"output/gradient {k}")


@pytest.mark.parametrize("packed", [False, True])
def test_row_blocks_in_inference(monkeypatch, two_threads, packed) -> None:
    x, h0, c0, *w = case("standard", True, True, True)
    sizes = SIZES if packed else None

    def forward() -> tuple[Tensor, ...]:
        with torch.no_grad():
            return lstm_sequence(x, h0, c0, LSTMWeights(*w), batch_sizes=sizes)

    cpp = forward()
    with monkeypatch.context() as m:
        m.setenv("RNNLAB_NO_CPP", "1")
        python = forward()
    for a, b in zip(cpp, python, strict=True):
        torch.testing.assert_close(a, b, **TOL)


def test_one_thread_runs_one_block() -> None:
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert cpp_core.core().row_blocks(B) == 1
    finally:
        torch.set_num_threads(before)
