"""The LSTM loops in compiled C++ (rnnlab.bptt.lstm_cpp) against the Python loops they replace.

Both paths run in the default test run: ``RNNLAB_NO_CPP=1`` (set here with monkeypatch) forces
the Python loops. Held together: outputs, final states and the gradient of every input and
weight, float64 and float32, every gate layout with and without peepholes and biases, zero and
given initial states, full and packed batches; gradcheck of the C++ path in float64; which
configurations the core covers; the fallback when it cannot be built.
"""

from __future__ import annotations

import itertools
import logging
import shutil

import pytest
import torch
from torch import Tensor
from torch.nn.utils.rnn import pack_padded_sequence

import rnnlab.nn as rn
from rnnlab.bptt import cpp_core, lstm_cpp
from rnnlab.bptt.lstm import lstm_sequence
from rnnlab.bptt.masks import Masks
from rnnlab.bptt.reference import LSTMWeights, lstm_gate_names

GATE_SETS = {"standard": {}, "no_forget": {"forget_gate": False}, "coupled": {"coupled": True}}
TOL = {torch.float64: {"rtol": 1e-10, "atol": 1e-10}, torch.float32: {"rtol": 2e-5, "atol": 2e-5}}
T, B, I, H = 6, 4, 3, 13  # H = 13: the vectorised loops' remainder runs too
SIZES = torch.tensor([4, 4, 3, 3, 1, 1])  # packed: rows of lengths 6, 4, 4, 2

BUILT = cpp_core.core() is not None
needs_core = pytest.mark.skipif(not BUILT, reason="the C++ core is off or was not built")


def case(gates: str, peep: bool, bias: bool, dtype: torch.dtype, zero_state: bool = False,
         scale: float = 1.0, seed: int = 0) -> tuple[list[Tensor | None], dict]:
    """``[x, h0, c0, *LSTMWeights fields]`` (None where absent) and the gate options."""
    opts = GATE_SETS[gates]
    G = len(lstm_gate_names(**opts))
    gen = torch.Generator().manual_seed(seed)

    def rand(*shape: int, s: float = 0.5) -> Tensor:
        return (torch.randn(*shape, generator=gen, dtype=torch.float64) * s).to(dtype)

    w = LSTMWeights(weight_ih=rand(G * H, I), weight_hh=rand(G * H, H),
                    bias_ih=rand(G * H) if bias else None, bias_hh=rand(G * H) if bias else None,
                    weight_hr=None, weight_peephole=rand(G - 1, H) if peep else None,
                    weight_ln_ih=None, weight_ln_hh=None, weight_ln_c=None, bias_ln_c=None)
    h0, c0 = (torch.zeros(B, H, dtype=dtype), torch.zeros(B, H, dtype=dtype)) if zero_state \
        else (rand(B, H), rand(B, H))
    return [rand(T, B, I, s=scale), h0, c0, *w], opts


def outputs_and_grads(inputs: list[Tensor | None], opts: dict, batch_sizes: Tensor | None
                      ) -> tuple[list[Tensor], str]:
    """Outputs, final states and every gradient of a random weighting of the three outputs;
    and the grad_fn that ran."""
    leaves = [t.detach().clone().requires_grad_() for t in inputs if t is not None]
    it = iter(leaves)
    x, h0, c0, *w = [None if t is None else next(it) for t in inputs]
    outs = lstm_sequence(x, h0, c0, LSTMWeights(*w), **opts, batch_sizes=batch_sizes)
    gen = torch.Generator().manual_seed(9)
    loss = sum((o * torch.randn(o.shape, generator=gen, dtype=o.dtype)).sum() for o in outs)
    return [o.detach() for o in outs] + list(torch.autograd.grad(loss, leaves)), type(
        outs[0].grad_fn).__name__


def both_paths(monkeypatch, fn, *args):
    """``fn(*args)`` with the C++ loops, then with the Python loops (RNNLAB_NO_CPP=1)."""
    cpp = fn(*args)
    with monkeypatch.context() as m:
        m.setenv("RNNLAB_NO_CPP", "1")
        python = fn(*args)
    return cpp, python


def test_the_core_builds_wherever_a_compiler_is_there() -> None:
    if cpp_core.disabled() or shutil.which("c++") is None:
        pytest.skip("RNNLAB_NO_CPP is set or there is no C++ compiler")
    assert BUILT


@needs_core
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(("gates", "peep", "bias", "packed", "zero_state"), list(
    itertools.product(GATE_SETS, [False, True], [False, True], [False, True], [False, True])))
def test_cpp_loops_equal_the_python_loops(monkeypatch, gates, peep, bias, packed, zero_state,
                                          dtype) -> None:
    inputs, opts = case(gates, peep, bias, dtype, zero_state)
    assert lstm_cpp.covers_call(*inputs[:3], LSTMWeights(*inputs[3:]), in_loop_masks=False)
    sizes = SIZES if packed else None
    (cpp, fn_cpp), (python, fn_python) = both_paths(monkeypatch, outputs_and_grads, inputs,
                                                    opts, sizes)
    assert fn_cpp == fn_python == "LSTMFunctionBackward"
    assert len(cpp) == len(python)
    for k, (a, b) in enumerate(zip(cpp, python, strict=True)):
        torch.testing.assert_close(a, b, **TOL[dtype], msg=f"output/gradient {k}")


@needs_core
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
def test_saturated_gates_agree(monkeypatch, dtype) -> None:
    """Pre-activations of +-100 and more: sigmoid and tanh saturate, nothing overflows."""
    inputs, opts = case("standard", True, True, dtype, scale=200.0)
    (cpp, _), (python, _) = both_paths(monkeypatch, outputs_and_grads, inputs, opts, SIZES)
    for a, b in zip(cpp, python, strict=True):
        assert torch.isfinite(a).all()
        torch.testing.assert_close(a, b, **TOL[dtype])


@needs_core
@pytest.mark.parametrize(("gates", "packed"), list(itertools.product(GATE_SETS, [False, True])))
def test_inference_forward_agrees(monkeypatch, gates, packed) -> None:
    inputs, opts = case(gates, True, True, torch.float32)
    x, h0, c0, *w = inputs

    def forward() -> tuple[Tensor, ...]:
        with torch.no_grad():
            return lstm_sequence(x, h0, c0, LSTMWeights(*w), **opts,
                                 batch_sizes=SIZES if packed else None)

    cpp, python = both_paths(monkeypatch, forward)
    for a, b in zip(cpp, python, strict=True):
        torch.testing.assert_close(a, b, **TOL[torch.float32])


@needs_core
@pytest.mark.parametrize(("gates", "peep", "packed"),
                         list(itertools.product(GATE_SETS, [False, True], [False, True])))
def test_gradcheck_of_the_cpp_path(gates, peep, packed) -> None:
    opts = GATE_SETS[gates]
    G = len(lstm_gate_names(**opts))
    gen = torch.Generator().manual_seed(1)
    Tg, Bg, Ig, Hg = 3, 3, 4, 5

    def rand(*shape: int) -> Tensor:
        return (torch.randn(*shape, generator=gen, dtype=torch.float64) * 0.5).requires_grad_()

    leaves = [rand(Tg, Bg, Ig), rand(Bg, Hg), rand(Bg, Hg), rand(G * Hg, Ig), rand(G * Hg, Hg),
              rand(G * Hg), rand(G * Hg)] + ([rand(G - 1, Hg)] if peep else [])
    sizes = torch.tensor([3, 2, 1]) if packed else None

    def fn(x, h0, c0, w_ih, w_hh, b_ih, b_hh, *peephole):
        w = LSTMWeights(w_ih, w_hh, b_ih, b_hh, None, peephole[0] if peephole else None,
                        None, None, None, None)
        return lstm_sequence(x, h0, c0, w, **opts, batch_sizes=sizes)

    assert lstm_cpp.covers_call(*leaves[:3], LSTMWeights(*leaves[3:7], None, None, None,
                                                         None, None, None), False)
    assert torch.autograd.gradcheck(fn, leaves, eps=1e-6, atol=1e-7, rtol=1e-5)


@needs_core
def test_double_backward_still_works_on_the_cpp_path() -> None:
    """create_graph=True: the backward hands over to the reference loop, as the Python path
    does (rnnlab.bptt._common.differentiable_grads)."""
    inputs, opts = case("coupled", True, True, torch.float64)
    leaves = [t.requires_grad_() for t in inputs if t is not None]
    x, h0, c0, *w = leaves

    def fn(x: Tensor, h0: Tensor, c0: Tensor) -> Tensor:
        weights = LSTMWeights(*w[:4], None, w[4], None, None, None, None)
        return lstm_sequence(x, h0, c0, weights, **opts)[0].sin().sum()

    assert torch.autograd.gradgradcheck(fn, (x, h0, c0), eps=1e-6, atol=1e-6, rtol=1e-4)


def test_covers_only_what_the_core_computes() -> None:
    cpu, f32 = torch.device("cpu"), torch.float32
    plain = {"in_loop_masks": False}
    assert lstm_cpp.covers(cpu, f32, **plain) == BUILT
    assert lstm_cpp.covers(cpu, torch.float64, **plain) == BUILT
    # recurrent dropout and zoneout: Python loops (layer norm and projection: the C++ loops,
    # tests/test_bptt_lstm_cpp_ln_proj.py)
    assert not lstm_cpp.covers(cpu, f32, in_loop_masks=True)
    for dtype in (torch.float16, torch.bfloat16, None):
        assert not lstm_cpp.covers(cpu, dtype, **plain)
    assert not lstm_cpp.covers(torch.device("meta"), f32, **plain)  # other devices: Python
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not lstm_cpp.covers(cpu, f32, **plain)


def test_masks_in_the_loop_keep_the_python_loops() -> None:
    inputs, opts = case("standard", True, True, torch.float64)
    x, h0, c0, *w = inputs
    weights = LSTMWeights(*w)
    assert not lstm_cpp.covers_call(x, h0, c0, weights, in_loop_masks=True)
    masks = Masks(zoneout_h=torch.full((T, B, H), 0.3, dtype=torch.float64))
    leaves = [t.requires_grad_() for t in (x, h0, c0)]
    out = lstm_sequence(*leaves, weights, **opts, masks=masks)[0]
    assert type(out.grad_fn).__name__ == "LSTMFunctionBackward"
    ref = lstm_sequence(*leaves, weights, **opts, masks=masks, backend="reference")[0]
    torch.testing.assert_close(out, ref, **TOL[torch.float64])


@pytest.mark.parametrize("options", [{"peephole": True}, {"coupled": True},
                                     {"forget_gate": False, "peephole": True}])
def test_layer_says_which_loops_ran_and_both_agree(monkeypatch, options) -> None:
    torch.manual_seed(0)
    layer = rn.LSTM(I, H, 2, bidirectional=True, dtype=torch.float64, **options)
    x = torch.randn(T, B, I, dtype=torch.float64)
    lengths = torch.tensor([3, T, 1, 4])

    def run() -> tuple[list[Tensor], str | None]:
        xi = x.clone().requires_grad_()
        out, (h, c) = layer(pack_padded_sequence(xi, lengths, enforce_sorted=False))
        loss = (out.data.sin().sum() + h.cos().sum() + c.sum())
        grads = torch.autograd.grad(loss, [xi, *layer.parameters()])
        return [out.data.detach(), h.detach(), c.detach(), *grads], layer.last_kernel

    (cpp, kernel_cpp), (python, kernel_python) = both_paths(monkeypatch, run)
    assert kernel_cpp == ("bptt-cpp" if BUILT else "bptt")
    assert kernel_python == "bptt"
    for a, b in zip(cpp, python, strict=True):
        torch.testing.assert_close(a, b, **TOL[torch.float64])
    for extra in ({"layer_norm": True}, {"proj_size": 5}):  # in the C++ loops too
        other = rn.LSTM(I, H, **extra)
        other(x.float())
        assert other.last_kernel == ("bptt-cpp" if BUILT else "bptt")


def test_a_failed_build_warns_once_and_runs_the_python_loops(monkeypatch, caplog) -> None:
    def no_compiler(*_: object) -> None:
        raise RuntimeError("Error building extension 'rnnlab_lstm_core': c++: not found")

    monkeypatch.setattr(cpp_core, "_state", {})
    monkeypatch.setattr(cpp_core, "_build", no_compiler)
    monkeypatch.delenv("RNNLAB_NO_CPP", raising=False)
    layer = rn.LSTM(I, H, peephole=True)
    x = torch.randn(T, B, I, requires_grad=True)
    with caplog.at_level(logging.WARNING, logger="rnnlab"):
        layer(x)[0].sum().backward()
        layer(x)[0].sum().backward()
    lines = [r.getMessage() for r in caplog.records if r.name == "rnnlab"]
    assert len(lines) == 1
    assert "C++ core could not be built" in lines[0] and "pure-PyTorch path" in lines[0]
    assert layer.last_kernel == "bptt"
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_rnnlab_no_cpp_forces_the_python_loops(monkeypatch) -> None:
    monkeypatch.setenv("RNNLAB_NO_CPP", "1")
    assert cpp_core.core() is None
    layer = rn.LSTM(I, H, coupled=True)
    layer(torch.randn(T, B, I))
    assert layer.last_kernel == "bptt"
