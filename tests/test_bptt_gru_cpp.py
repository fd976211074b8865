"""The GRU loops in compiled C++ (rnnlab.bptt.gru_cpp) against the Python loops they replace.

Both paths run in the default test run: ``RNNLAB_NO_CPP=1`` (set here with monkeypatch) forces
the Python loops. Held together: outputs, final states and the gradient of every input and
weight (x, h0, W_ih, W_hh, b_ih, b_hh), float64 (to 1e-12) and float32, reset_after True and
False, with and without biases, zero and given initial states, full and packed batches;
gradcheck of the C++ path in float64; which configurations the core covers; the layer's
``last_kernel``; the fallback when the core is off or cannot be built.
"""

from __future__ import annotations

import itertools
import logging

import pytest
import torch
from torch import Tensor
from torch.nn.utils.rnn import pack_padded_sequence

import rnnlab.nn as rn
from rnnlab.bptt import cpp_core, gru_cpp
from rnnlab.bptt.gru import gru_sequence
from rnnlab.bptt.masks import Masks

TOL = {torch.float64: {"rtol": 1e-12, "atol": 1e-12}, torch.float32: {"rtol": 1e-5, "atol": 1e-5}}
T, B, I, H = 6, 4, 3, 13  # H = 13: the vectorised loops' remainder runs too
SIZES = torch.tensor([4, 4, 3, 3, 1, 1])  # packed: rows of lengths 6, 4, 4, 2

BUILT = cpp_core.core("gru") is not None
needs_core = pytest.mark.skipif(not BUILT, reason="the C++ GRU core is off or was not built")


def case(bias: bool, dtype: torch.dtype, zero_state: bool = False, scale: float = 1.0,
         seed: int = 0) -> list[Tensor | None]:
    """``[x, h0, weight_ih, weight_hh, bias_ih, bias_hh]`` (biases None without ``bias``)."""
    gen = torch.Generator().manual_seed(seed)

    def rand(*shape: int, s: float = 0.5) -> Tensor:
        return (torch.randn(*shape, generator=gen, dtype=torch.float64) * s).to(dtype)

    h0 = torch.zeros(B, H, dtype=dtype) if zero_state else rand(B, H)
    return [rand(T, B, I, s=scale), h0, rand(3 * H, I), rand(3 * H, H),
            rand(3 * H) if bias else None, rand(3 * H) if bias else None]


def outputs_and_grads(inputs: list[Tensor | None], reset_after: bool,
                      batch_sizes: Tensor | None) -> tuple[list[Tensor], bool]:
    """Outputs, final state and every gradient of a random weighting of both outputs; and
    whether the C++ loops ran (the ``cpp`` GRUFunction kept on its ctx, the grad_fn)."""
    leaves = [t.detach().clone().requires_grad_() for t in inputs if t is not None]
    it = iter(leaves)
    args = [None if t is None else next(it) for t in inputs]
    out, h_T = gru_sequence(*args, reset_after=reset_after, batch_sizes=batch_sizes)
    assert type(out.grad_fn).__name__ == "GRUFunctionBackward"
    gen = torch.Generator().manual_seed(9)
    loss = sum((o * torch.randn(o.shape, generator=gen, dtype=o.dtype)).sum()
               for o in (out, h_T))
    grads = torch.autograd.grad(loss, leaves)
    return [out.detach(), h_T.detach(), *grads], bool(out.grad_fn.cpp)


def both_paths(monkeypatch, fn, *args):
    """``fn(*args)`` with the C++ loops, then with the Python loops (RNNLAB_NO_CPP=1)."""
    cpp = fn(*args)
    with monkeypatch.context() as m:
        m.setenv("RNNLAB_NO_CPP", "1")
        python = fn(*args)
    return cpp, python


@needs_core
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(("reset_after", "bias", "packed", "zero_state"), list(
    itertools.product([True, False], [False, True], [False, True], [False, True])))
def test_cpp_loops_equal_the_python_loops(monkeypatch, reset_after, bias, packed, zero_state,
                                          dtype) -> None:
    inputs = case(bias, dtype, zero_state)
    assert gru_cpp.covers_call(*inputs, in_loop_masks=False)
    sizes = SIZES if packed else None
    (cpp, ran_cpp), (python, ran_python) = both_paths(monkeypatch, outputs_and_grads, inputs,
                                                      reset_after, sizes)
    assert ran_cpp and not ran_python
    assert len(cpp) == len(python) == 6 + 2 * bias  # out, h_T, dx, dh0, dW_ih, dW_hh (, db)
    for k, (a, b) in enumerate(zip(cpp, python, strict=True)):
        torch.testing.assert_close(a, b, **TOL[dtype], msg=f"output/gradient {k}")


@needs_core
@pytest.mark.parametrize("reset_after", [True, False], ids=["after", "before"])
def test_cpp_loops_equal_the_reference_loop(reset_after) -> None:
    """Not only the Python loops: the autograd loop of rnnlab.bptt.reference too."""
    inputs = case(True, torch.float64)
    got, ran_cpp = outputs_and_grads(inputs, reset_after, SIZES)
    leaves = [t.detach().clone().requires_grad_() for t in inputs]
    out, h_T = gru_sequence(*leaves, reset_after=reset_after, batch_sizes=SIZES,
                            backend="reference")
    gen = torch.Generator().manual_seed(9)
    loss = sum((o * torch.randn(o.shape, generator=gen, dtype=o.dtype)).sum()
               for o in (out, h_T))
    want = [out.detach(), h_T.detach(), *torch.autograd.grad(loss, leaves)]
    assert ran_cpp
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10, msg=f"output/gradient {k}")


@needs_core
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("reset_after", [True, False], ids=["after", "before"])
def test_saturated_gates_agree(monkeypatch, reset_after, dtype) -> None:
    """Pre-activations of +-100 and more: sigmoid and tanh saturate, nothing overflows."""
    inputs = case(True, dtype, scale=200.0)
    (cpp, _), (python, _) = both_paths(monkeypatch, outputs_and_grads, inputs, reset_after,
                                       SIZES)
    for a, b in zip(cpp, python, strict=True):
        assert torch.isfinite(a).all()
        # x of size ~200 makes dW_ih ~50, summed over T·B products in float32: the absolute
        # tolerance follows the tensor's scale (its small entries carry the large ones' error)
        scale = max(1.0, float(b.abs().max()))
        torch.testing.assert_close(a, b, rtol=TOL[dtype]["rtol"],
                                   atol=TOL[dtype]["atol"] * scale)


@needs_core
@pytest.mark.parametrize(("reset_after", "bias", "packed"),
                         list(itertools.product([True, False], [True, False], [False, True])))
def test_inference_mode_agrees_with_training_and_the_python_loops(
        monkeypatch, reset_after, bias, packed) -> None:
    """No gradient asked for: the C++ loop with one reusable gate slot (keep=False) runs, and
    gives what the training forward (which keeps every step's gates) and the Python loops
    give."""
    inputs = case(bias, torch.float64)
    sizes = SIZES if packed else None
    keeps: list[bool] = []
    forward = gru_cpp.forward

    def recording(*args, keep: bool = True, **kwargs):
        keeps.append(keep)
        return forward(*args, keep=keep, **kwargs)

    monkeypatch.setattr(gru_cpp, "forward", recording)

    def infer() -> tuple[Tensor, ...]:
        with torch.no_grad():
            return gru_sequence(*inputs, reset_after=reset_after, batch_sizes=sizes)

    cpp, python = both_paths(monkeypatch, infer)
    assert keeps == [False]  # the Python loops never call the core
    no_grad_needed = gru_sequence(*inputs, reset_after=reset_after, batch_sizes=sizes)
    training, _ = outputs_and_grads(inputs, reset_after, sizes)
    assert keeps == [False, False, True]
    for a, b, c, d in zip(cpp, python, no_grad_needed, training, strict=False):
        for other in (b, c, d):
            torch.testing.assert_close(a, other, **TOL[torch.float64])


@needs_core
@pytest.mark.parametrize(("reset_after", "bias", "packed"),
                         list(itertools.product([True, False], [True, False], [False, True])))
def test_gradcheck_of_the_cpp_path(reset_after, bias, packed) -> None:
    gen = torch.Generator().manual_seed(1)
    Tg, Bg, Ig, Hg = 3, 3, 4, 5

    def rand(*shape: int) -> Tensor:
        return (torch.randn(*shape, generator=gen, dtype=torch.float64) * 0.5).requires_grad_()

    leaves = [rand(Tg, Bg, Ig), rand(Bg, Hg), rand(3 * Hg, Ig), rand(3 * Hg, Hg)]
    if bias:
        leaves += [rand(3 * Hg), rand(3 * Hg)]
    sizes = torch.tensor([3, 2, 1]) if packed else None

    def fn(x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, *biases: Tensor
           ) -> tuple[Tensor, Tensor]:
        b_ih, b_hh = biases if biases else (None, None)
        return gru_sequence(x, h0, w_ih, w_hh, b_ih, b_hh, reset_after=reset_after,
                            batch_sizes=sizes)

    assert fn(*leaves)[0].grad_fn.cpp
    assert torch.autograd.gradcheck(fn, leaves, eps=1e-6, atol=1e-7, rtol=1e-5)


@needs_core
def test_double_backward_still_works_on_the_cpp_path() -> None:
    """create_graph=True: the backward hands over to the reference loop, as the Python path
    does (rnnlab.bptt._common.differentiable_grads)."""
    x, h0, *w = [t.requires_grad_() for t in case(True, torch.float64)]

    def fn(x: Tensor, h0: Tensor) -> Tensor:
        return gru_sequence(x, h0, *w, reset_after=False)[0].sin().sum()

    assert torch.autograd.gradgradcheck(fn, (x, h0), eps=1e-6, atol=1e-6, rtol=1e-4)


def test_covers_only_what_the_core_computes() -> None:
    cpu, f32 = torch.device("cpu"), torch.float32
    assert gru_cpp.covers(cpu, f32, in_loop_masks=False) == BUILT
    assert gru_cpp.covers(cpu, torch.float64, in_loop_masks=False) == BUILT
    assert not gru_cpp.covers(cpu, f32, in_loop_masks=True)  # recurrent dropout, zoneout
    for dtype in (torch.float16, torch.bfloat16, None):
        assert not gru_cpp.covers(cpu, dtype, in_loop_masks=False)
    assert not gru_cpp.covers(torch.device("meta"), f32, in_loop_masks=False)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not gru_cpp.covers(cpu, f32, in_loop_masks=False)
    x, h0, w_ih, w_hh, b_ih, b_hh = case(True, torch.float32)
    assert not gru_cpp.covers_call(x, h0.double(), w_ih, w_hh, b_ih, b_hh, False)  # mixed


@pytest.mark.parametrize("reset_after", [True, False], ids=["after", "before"])
def test_masks_in_the_loop_keep_the_python_loops(reset_after) -> None:
    inputs = case(True, torch.float64)
    assert not gru_cpp.covers_call(*inputs, in_loop_masks=True)
    masks = Masks(zoneout_h=torch.full((T, B, H), 0.3, dtype=torch.float64),
                  h=torch.full((B, H), 1.25, dtype=torch.float64))
    x, h0, *w = inputs
    leaves = [t.requires_grad_() for t in (x, h0)]
    out = gru_sequence(*leaves, *w, reset_after=reset_after, masks=masks)[0]
    assert type(out.grad_fn).__name__ == "GRUFunctionBackward" and not out.grad_fn.cpp
    ref = gru_sequence(*leaves, *w, reset_after=reset_after, masks=masks,
                       backend="reference")[0]
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("options", [{}, {"reset_after": False}, {"weight_drop": 0.3}],
                         ids=["after", "before", "weight_drop"])
def test_layer_says_which_loops_ran_and_both_agree(monkeypatch, options) -> None:
    torch.manual_seed(0)
    layer = rn.GRU(I, H, 2, bidirectional=True, dtype=torch.float64, **options)
    x = torch.randn(T, B, I, dtype=torch.float64)
    lengths = torch.tensor([3, T, 1, 4])

    def run() -> tuple[list[Tensor], str | None]:
        torch.manual_seed(1)  # the same weight-drop mask on both paths
        xi = x.clone().requires_grad_()
        out, h = layer(pack_padded_sequence(xi, lengths, enforce_sorted=False))
        loss = out.data.sin().sum() + h.cos().sum()
        grads = torch.autograd.grad(loss, [xi, *layer.parameters()])
        return [out.data.detach(), h.detach(), *grads], layer.last_kernel

    (cpp, kernel_cpp), (python, kernel_python) = both_paths(monkeypatch, run)
    # weight-drop masks W_hh around the kernel, so the C++ loops still run
    assert kernel_cpp == ("bptt-cpp" if BUILT else "bptt")
    assert kernel_python == "bptt"
    for a, b in zip(cpp, python, strict=True):
        torch.testing.assert_close(a, b, **TOL[torch.float64])


def test_in_loop_regularisers_say_bptt() -> None:
    x = torch.randn(T, B, I)
    for layer in (rn.GRU(I, H, recurrent_dropout=0.2), rn.GRU(I, H, zoneout=0.2)):
        layer(x)
        assert layer.last_kernel == "bptt"
    evaluation = rn.GRU(I, H, recurrent_dropout=0.2).eval()  # no mask in evaluation
    evaluation(x)
    assert evaluation.last_kernel == ("bptt-cpp" if BUILT else "bptt")


def test_a_failed_build_warns_once_and_runs_the_python_loops(monkeypatch, caplog) -> None:
    def no_compiler(*_: object) -> None:
        raise RuntimeError("Error building extension 'rnnlab_gru_core': c++: not found")

    monkeypatch.setattr(cpp_core, "_state", {})
    monkeypatch.setattr(cpp_core, "_build", no_compiler)
    monkeypatch.delenv("RNNLAB_NO_CPP", raising=False)
    layer = rn.GRU(I, H, reset_after=False)
    x = torch.randn(T, B, I, requires_grad=True)
    with caplog.at_level(logging.WARNING, logger="rnnlab"):
        layer(x)[0].sum().backward()
        layer(x)[0].sum().backward()
    lines = [r.getMessage() for r in caplog.records if r.name == "rnnlab"]
    assert len(lines) == 1
    assert "C++ core could not be built" in lines[0] and "gru_core.cpp" in lines[0]
    assert layer.last_kernel == "bptt"
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_rnnlab_no_cpp_forces_the_python_loops(monkeypatch) -> None:
    monkeypatch.setattr(cpp_core, "_state", {})  # a build cached before must not be used
    monkeypatch.setenv("RNNLAB_NO_CPP", "1")
    assert cpp_core.core("gru") is None
    layer = rn.GRU(I, H)
    layer(torch.randn(T, B, I, requires_grad=True))
    assert layer.last_kernel == "bptt"
    leaves = [t.requires_grad_() for t in case(True, torch.float32)]
    assert not gru_sequence(*leaves)[0].grad_fn.cpp  # GRUFunction ran the Python loops
