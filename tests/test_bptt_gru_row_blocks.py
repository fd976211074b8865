"""The C++ GRU loops with the batch split into blocks of rows, one per thread (cpu_math.h,
``row_blocks``), against the Python loops.

The rest of the test run uses one thread, where the loops run all rows as one block; here two
threads and a batch of 9 make two blocks of 4 and 5 rows, each taking its rows through every
step on its own, with its own packed weights and its own rows of the scratch buffers. Packed
batches end rows inside each block and across the block boundary. Held together: outputs,
final states and every gradient, float64 (tight) and float32 (loose), reset_after True and
False, with and without biases, full and packed batches; and inference (one reused gate slot).
"""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import Tensor

from rnnlab.bptt import cpp_core
from rnnlab.bptt.gru import gru_sequence

T, B, I, H = 5, 9, 3, 13  # H = 13: the vectorised loops' remainder runs too
# packed: rows of lengths 5, 5, 4, 4, 4, 2, 2, 1, 1 — rows end in both blocks ([0, 4), [4, 9))
SIZES = torch.tensor([9, 7, 5, 5, 2])
TOL = {torch.float64: {"rtol": 1e-11, "atol": 1e-11}, torch.float32: {"rtol": 1e-5, "atol": 1e-5}}

pytestmark = pytest.mark.skipif(cpp_core.core("gru") is None,
                                reason="the C++ GRU core is off or was not built")


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        # not a skip: a run where the loops do not split would prove nothing here
        assert cpp_core.core("gru").row_blocks(B) == 2
        yield
    finally:
        torch.set_num_threads(before)


def case(bias: bool, dtype: torch.dtype) -> list[Tensor | None]:
    """``[x, h0, weight_ih, weight_hh, bias_ih, bias_hh]`` (biases None without ``bias``)."""
    gen = torch.Generator().manual_seed(4)

    def rand(*shape: int) -> Tensor:
        return (torch.randn(*shape, generator=gen, dtype=torch.float64) * 0.5).to(dtype)

    return [rand(T, B, I), rand(B, H), rand(3 * H, I), rand(3 * H, H),
            rand(3 * H) if bias else None, rand(3 * H) if bias else None]


def outputs_and_grads(inputs: list[Tensor | None], reset_after: bool,
                      batch_sizes: Tensor | None) -> tuple[list[Tensor], bool]:
    """Outputs, final state and every gradient of a random weighting of both; and whether the
    C++ loops ran."""
    leaves = [t.detach().clone().requires_grad_() for t in inputs if t is not None]
    it = iter(leaves)
    args = [None if t is None else next(it) for t in inputs]
    out, h_T = gru_sequence(*args, reset_after=reset_after, batch_sizes=batch_sizes)
    gen = torch.Generator().manual_seed(9)
    loss = sum((o * torch.randn(o.shape, generator=gen, dtype=o.dtype)).sum()
               for o in (out, h_T))
    grads = torch.autograd.grad(loss, leaves)
    return [out.detach(), h_T.detach(), *grads], bool(out.grad_fn.cpp)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(("reset_after", "bias", "packed"),
                         list(itertools.product([True, False], [True, False], [False, True])))
def test_row_blocks_agree_with_the_python_loops(monkeypatch, two_threads, reset_after, bias,
                                                packed, dtype) -> None:
    inputs = case(bias, dtype)
    sizes = SIZES if packed else None
    cpp, ran_cpp = outputs_and_grads(inputs, reset_after, sizes)
    with monkeypatch.context() as m:
        m.setenv("RNNLAB_NO_CPP", "1")
        python, ran_python = outputs_and_grads(inputs, reset_after, sizes)
    assert ran_cpp and not ran_python
    assert len(cpp) == len(python) == 6 + 2 * bias  # out, h_T, dx, dh0, dW_ih, dW_hh (, db)
    for k, (a, b) in enumerate(zip(cpp, python, strict=True)):
        torch.testing.assert_close(a, b, **TOL[dtype], msg=f"output/gradient {k}")


@pytest.mark.parametrize(("reset_after", "packed"),
                         list(itertools.product([True, False], [False, True])))
def test_row_blocks_in_inference(monkeypatch, two_threads, reset_after, packed) -> None:
    inputs = case(True, torch.float64)
    sizes = SIZES if packed else None

    def forward() -> tuple[Tensor, ...]:
        with torch.no_grad():
            return gru_sequence(*inputs, reset_after=reset_after, batch_sizes=sizes)

    cpp = forward()
    with monkeypatch.context() as m:
        m.setenv("RNNLAB_NO_CPP", "1")
        python = forward()
    for a, b in zip(cpp, python, strict=True):
        torch.testing.assert_close(a, b, **TOL[torch.float64])


def test_two_threads_split_a_batch_of_nine_in_two() -> None:
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert cpp_core.core("gru").row_blocks(B) == 2
        assert cpp_core.core("gru").row_blocks(7) == 1  # fewer than 2 * kMinBlockRows rows
        torch.set_num_threads(1)
        assert cpp_core.core("gru").row_blocks(B) == 1
    finally:
        torch.set_num_threads(before)
