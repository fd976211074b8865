"""Layer norm and the projection in the C++ LSTM loops (rnnlab.bptt.lstm_cpp) against the Python
loops, in every combination with the gate layouts, peepholes, biases, packed batches and
initial states: outputs, final states and the gradient of every input and weight, float64
(tight) and float32; gradcheck of the C++ path in float64. ``RNNLAB_NO_CPP=1`` (monkeypatch)
forces the Python loops.
"""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import Tensor

from rnnlab.bptt import cpp_core, lstm_cpp
from rnnlab.bptt.lstm import lstm_sequence
from rnnlab.bptt.reference import LSTMWeights, lstm_gate_names

GATE_SETS = {"standard": {}, "no_forget": {"forget_gate": False}, "coupled": {"coupled": True}}
TOL = {torch.float64: {"rtol": 1e-10, "atol": 1e-10}, torch.float32: {"rtol": 1e-4, "atol": 1e-4}}
T, B, I, H, P = 6, 4, 3, 13, 7  # H = 13: the vectorised loops' remainders run too; P != H
SIZES = torch.tensor([4, 4, 3, 3, 1, 1])  # packed: rows of lengths 6, 4, 4, 2
# which layer norms: of the gates (W_ih x and W_hh h), of the cell (with or without β_c)
LN = {"none": (False, False, False), "gates": (True, False, False),
      "cell": (False, True, True), "cell_no_shift": (False, True, False),
      "both": (True, True, True)}

BUILT = cpp_core.core() is not None
pytestmark = pytest.mark.skipif(not BUILT, reason="the C++ core is off or was not built")


def case(gates: str, peep: bool, bias: bool, ln: str, proj: bool, dtype: torch.dtype,
         zero_state: bool = False, seed: int = 0) -> tuple[list[Tensor | None], dict]:
    """``[x, h0, c0, *LSTMWeights fields]`` (None where absent) and the gate options."""
    opts = GATE_SETS[gates]
    G = len(lstm_gate_names(**opts))
    R = P if proj else H
    ln_gates, ln_cell, ln_shift = LN[ln]
    gen = torch.Generator().manual_seed(seed)

    def rand(*shape: int, s: float = 0.5, mean: float = 0.0) -> Tensor:
        return (torch.randn(*shape, generator=gen, dtype=torch.float64) * s + mean).to(dtype)

    w = LSTMWeights(
        weight_ih=rand(G * H, I), weight_hh=rand(G * H, R),
        bias_ih=rand(G * H) if bias else None, bias_hh=rand(G * H) if bias else None,
        weight_hr=rand(P, H) if proj else None,
        weight_peephole=rand(G - 1, H) if peep else None,
        weight_ln_ih=rand(G * H, mean=1.0) if ln_gates else None,
        weight_ln_hh=rand(G * H, mean=1.0) if ln_gates else None,
        weight_ln_c=rand(H, mean=1.0) if ln_cell else None,
        bias_ln_c=rand(H) if ln_shift else None)
    h0, c0 = (torch.zeros(B, R, dtype=dtype), torch.zeros(B, H, dtype=dtype)) if zero_state \
        else (rand(B, R), rand(B, H))
    return [rand(T, B, I), h0, c0, *w], opts


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


def assert_paths_agree(monkeypatch, inputs, opts, sizes, dtype) -> None:
    assert lstm_cpp.covers_call(*inputs[:3], LSTMWeights(*inputs[3:]), in_loop_masks=False)
    (cpp, fn_cpp), (python, fn_python) = both_paths(monkeypatch, outputs_and_grads, inputs,
                                                    opts, sizes)
    assert fn_cpp == fn_python == "LSTMFunctionBackward"
    assert len(cpp) == len(python) == 3 + sum(t is not None for t in inputs)
    for k, (a, b) in enumerate(zip(cpp, python, strict=True)):
        # Rounding is relative to the size of what is summed: layer norm of a zero W_hh h0
        # scales its gradient by 1/sqrt(eps) ≈ 316 (dh0 reaches ~5e3 from zero states), and
        # the two paths sum in different orders, so the absolute tolerance scales with the
        # tensor's largest entry (there the paths agree to 1.3e-6 of it).
        tol = dict(TOL[dtype])
        tol["atol"] *= max(1.0, b.abs().max().item())
        torch.testing.assert_close(a, b, **tol, msg=f"output/gradient {k}")


COMBOS = [(ln, proj) for ln, proj in itertools.product(LN, [False, True])
          if ln != "none" or proj]  # plain cells: tests/test_bptt_lstm_cpp.py


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(("ln", "proj"), COMBOS)
@pytest.mark.parametrize(("gates", "peep", "packed"),
                         list(itertools.product(GATE_SETS, [False, True], [False, True])))
def test_layer_norm_and_projection_agree_with_the_python_loops(monkeypatch, gates, peep,
                                                               packed, ln, proj, dtype) -> None:
    inputs, opts = case(gates, peep, True, ln, proj, dtype)
    assert_paths_agree(monkeypatch, inputs, opts, SIZES if packed else None, dtype)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(("ln", "proj"), COMBOS)
@pytest.mark.parametrize(("bias", "zero_state", "packed"),
                         [(False, False, False), (False, True, True), (True, True, False)])
def test_without_biases_and_from_zero_states(monkeypatch, bias, zero_state, packed, ln, proj,
                                             dtype) -> None:
    inputs, opts = case("standard", True, bias, ln, proj, dtype, zero_state=zero_state, seed=3)
    assert_paths_agree(monkeypatch, inputs, opts, SIZES if packed else None, dtype)


@pytest.mark.parametrize(("gates", "ln", "proj", "packed"), [
    ("standard", "both", True, True), ("no_forget", "gates", False, False),
    ("coupled", "cell", True, False), ("standard", "cell_no_shift", False, True)])
def test_inference_forward_agrees(monkeypatch, gates, ln, proj, packed) -> None:
    inputs, opts = case(gates, True, True, ln, proj, torch.float32)
    x, h0, c0, *w = inputs

    def forward() -> tuple[Tensor, ...]:
        with torch.no_grad():
            return lstm_sequence(x, h0, c0, LSTMWeights(*w), **opts,
                                 batch_sizes=SIZES if packed else None)

    cpp, python = both_paths(monkeypatch, forward)
    for a, b in zip(cpp, python, strict=True):
        torch.testing.assert_close(a, b, **TOL[torch.float32])


@pytest.mark.parametrize(("ln", "proj"), COMBOS)
@pytest.mark.parametrize(("gates", "peep", "packed"), [
    ("standard", True, True), ("no_forget", False, False), ("coupled", True, False)])
def test_gradcheck_of_the_cpp_path(gates, peep, packed, ln, proj) -> None:
    opts = GATE_SETS[gates]
    G = len(lstm_gate_names(**opts))
    gen = torch.Generator().manual_seed(1)
    Tg, Bg, Ig, Hg, Pg = 3, 3, 4, 5, 3
    Rg = Pg if proj else Hg
    ln_gates, ln_cell, ln_shift = LN[ln]

    def rand(*shape: int, mean: float = 0.0) -> Tensor:
        t = torch.randn(*shape, generator=gen, dtype=torch.float64) * 0.5 + mean
        return t.requires_grad_()

    w = LSTMWeights(rand(G * Hg, Ig), rand(G * Hg, Rg), rand(G * Hg), rand(G * Hg),
                    rand(Pg, Hg) if proj else None, rand(G - 1, Hg) if peep else None,
                    rand(G * Hg, mean=1.0) if ln_gates else None,
                    rand(G * Hg, mean=1.0) if ln_gates else None,
                    rand(Hg, mean=1.0) if ln_cell else None, rand(Hg) if ln_shift else None)
    names = [k for k, v in w._asdict().items() if v is not None]
    leaves = [rand(Tg, Bg, Ig), rand(Bg, Rg), rand(Bg, Hg), *(w._asdict()[k] for k in names)]
    sizes = torch.tensor([3, 2, 1]) if packed else None

    def fn(x, h0, c0, *given):
        weights = LSTMWeights(**(dict.fromkeys(LSTMWeights._fields)
                                 | dict(zip(names, given, strict=True))))
        return lstm_sequence(x, h0, c0, weights, **opts, batch_sizes=sizes)

    assert lstm_cpp.covers_call(*leaves[:3], w, False)
    assert type(fn(*leaves)[0].grad_fn).__name__ == "LSTMFunctionBackward"
    assert torch.autograd.gradcheck(fn, leaves, eps=1e-6, atol=1e-7, rtol=1e-5)
