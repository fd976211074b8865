"""The Elman loops in compiled C++ (rnnlab.bptt.elman_cpp) against the Python loops they replace.

Both paths run in the default test run: ``RNNLAB_NO_CPP=1`` (set here with monkeypatch) forces
the Python loops. Held together: outputs, final states and the gradient of every input and
weight (x, h0, W_ih, W_hh, b_ih, b_hh), float64 (to 1e-12) and float32, the nonlinearities
tanh, relu and sigmoid, with and without biases, zero and given initial states, full and packed
batches; saturated pre-activations; the inference mode; gradcheck of the C++ path in float64;
double backward; the batch split into blocks of rows on two threads; which configurations the
core covers; the layer's ``last_kernel``; the fallback when the core is off or cannot be built.
"""

from __future__ import annotations

import itertools
import logging

import pytest
import torch
from torch import Tensor
from torch.nn.utils.rnn import pack_padded_sequence

import rnnlab.nn as rn
from rnnlab.bptt import cpp_core, elman, elman_cpp
from rnnlab.bptt.elman import elman_sequence
from rnnlab.bptt.masks import Masks

TOL = {torch.float64: {"rtol": 1e-12, "atol": 1e-12}, torch.float32: {"rtol": 1e-5, "atol": 1e-5}}
T, B, I, H = 6, 4, 3, 13  # H = 13: the vectorised loops' remainder runs too
SIZES = torch.tensor([4, 4, 3, 3, 1, 1])  # packed: rows of lengths 6, 4, 4, 2
NONLINEARITIES = ("tanh", "relu", "sigmoid")

BUILT = cpp_core.core("elman") is not None
needs_core = pytest.mark.skipif(not BUILT, reason="the C++ Elman core is off or was not built")


def case(bias: bool, dtype: torch.dtype, zero_state: bool = False, scale: float = 1.0,
         seed: int = 0, batch: int = B) -> list[Tensor | None]:
    """``[x, h0, weight_ih, weight_hh, bias_ih, bias_hh]`` (biases None without ``bias``)."""
    gen = torch.Generator().manual_seed(seed)

    def rand(*shape: int, s: float = 0.5) -> Tensor:
        return (torch.randn(*shape, generator=gen, dtype=torch.float64) * s).to(dtype)

    h0 = torch.zeros(batch, H, dtype=dtype) if zero_state else rand(batch, H)
    return [rand(T, batch, I, s=scale), h0, rand(H, I), rand(H, H),
            rand(H) if bias else None, rand(H) if bias else None]


def outputs_and_grads(inputs: list[Tensor | None], nonlinearity: str,
                      batch_sizes: Tensor | None) -> tuple[list[Tensor], bool]:
    """Outputs, final state and every gradient of a random weighting of both outputs; and
    whether the C++ loops ran (the ``cpp`` ElmanFunction kept on its ctx, the grad_fn)."""
    leaves = [t.detach().clone().requires_grad_() for t in inputs if t is not None]
    it = iter(leaves)
    args = [None if t is None else next(it) for t in inputs]
    out, h_T = elman_sequence(*args, nonlinearity=nonlinearity, batch_sizes=batch_sizes)
    assert type(out.grad_fn).__name__ == "ElmanFunctionBackward"
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
@pytest.mark.parametrize(("nonlinearity", "bias", "packed", "zero_state"), list(
    itertools.product(NONLINEARITIES, [False, True], [False, True], [False, True])))
def test_cpp_loops_equal_the_python_loops(monkeypatch, nonlinearity, bias, packed, zero_state,
                                          dtype) -> None:
    inputs = case(bias, dtype, zero_state)
    assert elman_cpp.covers_call(*inputs, in_loop_masks=False)
    sizes = SIZES if packed else None
    (cpp, ran_cpp), (python, ran_python) = both_paths(monkeypatch, outputs_and_grads, inputs,
                                                      nonlinearity, sizes)
    assert ran_cpp and not ran_python
    assert len(cpp) == len(python) == 6 + 2 * bias  # out, h_T, dx, dh0, dW_ih, dW_hh (, db)
    for k, (a, b) in enumerate(zip(cpp, python, strict=True)):
        torch.testing.assert_close(a, b, **TOL[dtype], msg=f"output/gradient {k}")
    if packed:  # finished rows output zeros; h_T holds each row's own last state
        out = cpp[0]
        assert (out[4:, 1:] == 0).all() and (out[2:, 3] == 0).all()
        for row, length in enumerate((6, 4, 4, 2)):
            assert torch.equal(cpp[1][row], out[length - 1, row])


@needs_core
@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_cpp_loops_equal_the_reference_loop(nonlinearity) -> None:
    """Not only the Python loops: the autograd loop of rnnlab.bptt.reference too."""
    inputs = case(True, torch.float64)
    got, ran_cpp = outputs_and_grads(inputs, nonlinearity, SIZES)
    leaves = [t.detach().clone().requires_grad_() for t in inputs]
    out, h_T = elman_sequence(*leaves, nonlinearity=nonlinearity, batch_sizes=SIZES,
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
@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_saturated_inputs_agree(monkeypatch, nonlinearity, dtype) -> None:
    """Pre-activations of +-100 and more: sigmoid and tanh saturate, nothing overflows."""
    inputs = case(True, dtype, scale=200.0)
    (cpp, _), (python, _) = both_paths(monkeypatch, outputs_and_grads, inputs, nonlinearity,
                                       SIZES)
    for a, b in zip(cpp, python, strict=True):
        assert torch.isfinite(a).all()
        # x of size ~200 makes dW_ih ~50, summed over T·B products in float32: the absolute
        # tolerance follows the tensor's scale (its small entries carry the large ones' error)
        scale = max(1.0, float(b.abs().max()))
        torch.testing.assert_close(a, b, rtol=TOL[dtype]["rtol"],
                                   atol=TOL[dtype]["atol"] * scale)


@needs_core
@pytest.mark.parametrize(("nonlinearity", "bias", "packed"),
                         list(itertools.product(NONLINEARITIES, [True, False], [False, True])))
def test_inference_mode_agrees_with_training_and_the_python_loops(
        monkeypatch, nonlinearity, bias, packed) -> None:
    """No gradient asked for: the C++ loop runs without ElmanFunction (the inference mode,
    ``elman._infer``), and gives what the training forward and the Python loops give."""
    inputs = case(bias, torch.float64)
    sizes = SIZES if packed else None
    ran: list[bool] = []  # per call of the inference mode: whether it covered the call
    infer = elman._infer

    def recording(*args):
        result = infer(*args)
        ran.append(result is not None)
        return result

    monkeypatch.setattr(elman, "_infer", recording)

    def run() -> tuple[Tensor, ...]:
        with torch.no_grad():
            return elman_sequence(*inputs, nonlinearity=nonlinearity, batch_sizes=sizes)

    cpp, python = both_paths(monkeypatch, run)
    assert ran == [True, False]  # without the core the Function runs (the Python loops)
    assert cpp[0].grad_fn is None
    no_grad_needed = elman_sequence(*inputs, nonlinearity=nonlinearity, batch_sizes=sizes)
    training, ran_cpp = outputs_and_grads(inputs, nonlinearity, sizes)
    assert ran == [True, False, True] and ran_cpp  # training: the Function, not _infer
    for a, b, c, d in zip(cpp, python, no_grad_needed, training, strict=False):
        for other in (b, c, d):
            torch.testing.assert_close(a, other, **TOL[torch.float64])


@needs_core
@pytest.mark.parametrize(("nonlinearity", "bias", "packed"),
                         list(itertools.product(NONLINEARITIES, [True, False], [False, True])))
def test_gradcheck_of_the_cpp_path(nonlinearity, bias, packed) -> None:
    gen = torch.Generator().manual_seed(1)
    Tg, Bg, Ig, Hg = 3, 3, 4, 5

    def rand(*shape: int) -> Tensor:
        return (torch.randn(*shape, generator=gen, dtype=torch.float64) * 0.5).requires_grad_()

    leaves = [rand(Tg, Bg, Ig), rand(Bg, Hg), rand(Hg, Ig), rand(Hg, Hg)]
    if bias:
        leaves += [rand(Hg), rand(Hg)]
    sizes = torch.tensor([3, 2, 1]) if packed else None

    def fn(x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, *biases: Tensor
           ) -> tuple[Tensor, Tensor]:
        b_ih, b_hh = biases if biases else (None, None)
        return elman_sequence(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity=nonlinearity,
                              batch_sizes=sizes)

    if nonlinearity == "relu":  # finite differences of size 1e-6 must not cross the kink
        x, h, w_ih, w_hh = (t.detach() for t in leaves[:4])
        for t, n in enumerate(sizes.tolist() if packed else [Bg] * Tg):
            a = x[t, :n] @ w_ih.T + h[:n] @ w_hh.T  # the pre-activations a_t
            if bias:
                a = a + leaves[4].detach() + leaves[5].detach()
            assert a.abs().min() > 1e-4
            h = h.clone()
            h[:n] = a.relu()
    assert fn(*leaves)[0].grad_fn.cpp
    assert torch.autograd.gradcheck(fn, leaves, eps=1e-6, atol=1e-7, rtol=1e-5)


@needs_core
def test_double_backward_still_works_on_the_cpp_path() -> None:
    """create_graph=True: the backward hands over to the reference loop, as the Python path
    does (rnnlab.bptt._common.differentiable_grads)."""
    x, h0, *w = [t.requires_grad_() for t in case(True, torch.float64)]

    def fn(x: Tensor, h0: Tensor) -> Tensor:
        return elman_sequence(x, h0, *w, nonlinearity="sigmoid")[0].sin().sum()

    assert elman_sequence(x, h0, *w)[0].grad_fn.cpp
    assert torch.autograd.gradgradcheck(fn, (x, h0), eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    if cpp_core.core("elman").row_blocks(9) != 2:  # a torch built without threads
        torch.set_num_threads(before)
        pytest.skip("the loops do not split this batch here")
    yield
    torch.set_num_threads(before)


@needs_core
@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_rows_split_in_blocks_on_two_threads_agree(monkeypatch, two_threads,
                                                   nonlinearity) -> None:
    """Two threads and a batch of 9: two blocks of rows ([0, 4), [4, 9)), each through every
    step on its own (row_blocks, cpu_math.h); packed rows end inside each block and across
    the boundary. Training and inference."""
    inputs = case(True, torch.float64, batch=9)
    sizes = torch.tensor([9, 7, 5, 5, 2, 1])
    (cpp, ran_cpp), (python, _) = both_paths(monkeypatch, outputs_and_grads, inputs,
                                             nonlinearity, sizes)
    assert ran_cpp
    for k, (a, b) in enumerate(zip(cpp, python, strict=True)):
        torch.testing.assert_close(a, b, **TOL[torch.float64], msg=f"output/gradient {k}")
    with torch.no_grad():
        inferred = elman_sequence(*inputs, nonlinearity=nonlinearity, batch_sizes=sizes)
    for a, b in zip(inferred, python, strict=False):
        torch.testing.assert_close(a, b, **TOL[torch.float64])


def test_covers_only_what_the_core_computes() -> None:
    cpu, f32 = torch.device("cpu"), torch.float32
    assert elman_cpp.covers(cpu, f32, in_loop_masks=False) == BUILT
    assert elman_cpp.covers(cpu, torch.float64, in_loop_masks=False) == BUILT
    assert not elman_cpp.covers(cpu, f32, in_loop_masks=True)  # recurrent dropout, zoneout
    for dtype in (torch.float16, torch.bfloat16, None):
        assert not elman_cpp.covers(cpu, dtype, in_loop_masks=False)
    assert not elman_cpp.covers(torch.device("meta"), f32, in_loop_masks=False)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not elman_cpp.covers(cpu, f32, in_loop_masks=False)
    x, h0, w_ih, w_hh, b_ih, b_hh = case(True, torch.float32)
    assert not elman_cpp.covers_call(x, h0.double(), w_ih, w_hh, b_ih, b_hh, False)  # mixed


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_masks_in_the_loop_keep_the_python_loops(nonlinearity) -> None:
    inputs = case(True, torch.float64)
    assert not elman_cpp.covers_call(*inputs, in_loop_masks=True)
    masks = Masks(zoneout_h=torch.full((T, B, H), 0.3, dtype=torch.float64),
                  h=torch.full((B, H), 1.25, dtype=torch.float64))
    x, h0, *w = inputs
    leaves = [t.requires_grad_() for t in (x, h0)]
    out = elman_sequence(*leaves, *w, nonlinearity=nonlinearity, masks=masks)[0]
    assert type(out.grad_fn).__name__ == "ElmanFunctionBackward" and not out.grad_fn.cpp
    ref = elman_sequence(*leaves, *w, nonlinearity=nonlinearity, masks=masks,
                         backend="reference")[0]
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("options", [{}, {"nonlinearity": "relu"}, {"nonlinearity": "sigmoid"},
                                     {"weight_drop": 0.3}],
                         ids=["tanh", "relu", "sigmoid", "weight_drop"])
def test_layer_says_which_loops_ran_and_both_agree(monkeypatch, options) -> None:
    torch.manual_seed(0)
    layer = rn.RNN(I, H, 2, bidirectional=True, dtype=torch.float64, **options)
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
    for layer in (rn.RNN(I, H, recurrent_dropout=0.2), rn.RNN(I, H, zoneout=0.2)):
        layer(x)
        assert layer.last_kernel == "bptt"
    evaluation = rn.RNN(I, H, recurrent_dropout=0.2).eval()  # no mask in evaluation
    evaluation(x)
    assert evaluation.last_kernel == ("bptt-cpp" if BUILT else "bptt")


def test_a_failed_build_warns_once_and_runs_the_python_loops(monkeypatch, caplog) -> None:
    def no_compiler(*_: object) -> None:
        raise RuntimeError("Error building extension 'rnnlab_elman_core': c++: not found")

    monkeypatch.setattr(cpp_core, "_state", {})
    monkeypatch.setattr(cpp_core, "_build", no_compiler)
    monkeypatch.delenv("RNNLAB_NO_CPP", raising=False)
    layer = rn.RNN(I, H, nonlinearity="relu")
    x = torch.randn(T, B, I, requires_grad=True)
    with caplog.at_level(logging.WARNING, logger="rnnlab"):
        layer(x)[0].sum().backward()
        layer(x)[0].sum().backward()
        with torch.no_grad():
            layer(x)  # the inference mode asks too, and falls back the same way
    lines = [r.getMessage() for r in caplog.records if r.name == "rnnlab"]
    assert len(lines) == 1
    assert "C++ core could not be built" in lines[0] and "elman_core.cpp" in lines[0]
    assert layer.last_kernel == "bptt"
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_rnnlab_no_cpp_forces_the_python_loops(monkeypatch) -> None:
    monkeypatch.setattr(cpp_core, "_state", {})  # a build cached before must not be used
    monkeypatch.setenv("RNNLAB_NO_CPP", "1")
    assert cpp_core.core("elman") is None
    layer = rn.RNN(I, H)
    layer(torch.randn(T, B, I, requires_grad=True))
    assert layer.last_kernel == "bptt"
    leaves = [t.requires_grad_() for t in case(True, torch.float32)]
    assert not elman_sequence(*leaves)[0].grad_fn.cpp  # ElmanFunction ran the Python loops
