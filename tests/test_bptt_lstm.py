"""The hand-written LSTMFunction (backend "bptt") against gradcheck, the autograd reference and
torch.nn.LSTM, for every variant of the family and every combination of options."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import Tensor
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnlab.bptt.lstm import lstm_sequence
from rnnlab.bptt.masks import NO_MASKS, Masks
from rnnlab.bptt.reference import LSTMWeights, lstm_gate_names

GATE_SETS = {
    "standard": {"forget_gate": True, "coupled": False},
    "no_forget": {"forget_gate": False, "coupled": False},
    "coupled": {"forget_gate": True, "coupled": True},
}
# (gates, peephole, layer_norm, proj, bias): all 3 * 2**4 = 48 combinations
COMBOS = list(itertools.product(GATE_SETS, [False, True], [False, True], [False, True],
                                [False, True]))
FULL = ("standard", True, True, True, True)
# for the packed gradchecks: each gate set bare and with everything, plus a few mixtures
PACKED_COMBOS = [(gates, on, on, on, on) for gates in GATE_SETS for on in (False, True)] + [
    ("standard", True, False, True, False),
    ("coupled", False, True, False, True),
    ("no_forget", True, True, False, False),
]


def combo_id(combo: tuple) -> str:
    gates, peep, ln, proj, bias = combo
    flags = [name for name, on in (("peep", peep), ("ln", ln), ("proj", proj), ("bias", bias))
             if on]
    return "-".join([gates, *flags])


def make_case(
    combo: tuple, T: int, B: int, I: int, H: int, P: int, dtype: torch.dtype, seed: int = 0
) -> tuple[list[Tensor], dict[str, bool]]:
    """Inputs ``[x, h0, c0, *LSTMWeights fields]`` (None where absent) and the gate options."""
    gates, peep, ln, proj, bias = combo
    opts = GATE_SETS[gates]
    G = len(lstm_gate_names(**opts))
    P = P if proj else H
    gen = torch.Generator().manual_seed(seed)

    def rand(*shape: int, scale: float = 0.5, shift: float = 0.0) -> Tensor:
        return torch.randn(*shape, generator=gen, dtype=torch.float64).mul(scale).add(shift).to(
            dtype)

    w = LSTMWeights(
        weight_ih=rand(G * H, I),
        weight_hh=rand(G * H, P),
        bias_ih=rand(G * H) if bias else None,
        bias_hh=rand(G * H) if bias else None,
        weight_hr=rand(P, H) if proj else None,
        weight_peephole=rand(G - 1, H) if peep else None,
        weight_ln_ih=rand(G * H, scale=0.3, shift=1.0) if ln else None,
        weight_ln_hh=rand(G * H, scale=0.3, shift=1.0) if ln else None,
        weight_ln_c=rand(H, scale=0.3, shift=1.0) if ln else None,
        bias_ln_c=rand(H, scale=0.3) if ln else None,
    )
    return [rand(T, B, I, scale=1.0), rand(B, P), rand(B, H), *w], opts


def run(inputs: list[Tensor | None], opts: dict, backend: str, batch_sizes=None,
        masks: Masks = NO_MASKS):
    x, h0, c0, *weights = inputs
    return lstm_sequence(x, h0, c0, LSTMWeights(*weights), **opts, batch_sizes=batch_sizes,
                         backend=backend, masks=masks)


def grads_of(inputs: list[Tensor | None], opts: dict, backend: str, batch_sizes=None,
             masks: Masks = NO_MASKS):
    """Outputs and the gradients of a random weighting of all three outputs w.r.t. every input."""
    leaves = [t.detach().clone().requires_grad_() for t in inputs if t is not None]
    it = iter(leaves)
    outs = run([None if t is None else next(it) for t in inputs], opts, backend, batch_sizes,
               masks)
    gen = torch.Generator().manual_seed(123)
    loss = sum((o * torch.randn(o.shape, generator=gen, dtype=torch.float64).to(o.dtype)).sum()
               for o in outs)
    return [o.detach() for o in outs], list(torch.autograd.grad(loss, leaves))


def gradcheck_case(combo: tuple, batch_sizes: Tensor | None, B: int, fast: bool) -> None:
    inputs, opts = make_case(combo, T=3, B=B, I=4, H=5, P=3, dtype=torch.float64)
    gradcheck_inputs(inputs, opts, batch_sizes, fast)


def gradcheck_inputs(inputs: list, opts: dict, batch_sizes: Tensor | None, fast: bool,
                     masks: Masks = NO_MASKS) -> None:
    """gradcheck of the bptt path w.r.t. x, h0, c0 and every weight that is present, with the
    regulariser ``masks`` fixed."""
    present = [i for i, t in enumerate(inputs) if t is not None]
    leaves = [inputs[i].requires_grad_() for i in present]

    def fn(*args: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        full: list[Tensor | None] = [None] * len(inputs)
        for i, t in zip(present, args, strict=True):
            full[i] = t
        return run(full, opts, "bptt", batch_sizes, masks)

    assert type(fn(*leaves)[0].grad_fn).__name__ == "LSTMFunctionBackward"
    assert torch.autograd.gradcheck(fn, leaves, eps=1e-6, atol=1e-7, rtol=1e-5, fast_mode=fast)


# ----------------------------------------------------------------------------- gradcheck
# Full mode compares the whole Jacobian entry by entry; fast mode compares v^T J u for random
# u, v per input, which any wrong entry upsets too, at a fraction of the cost. Every combination
# gets fast mode; each gate set bare and with every option, and the variable-length cases, get
# full mode; the entrywise comparison with the reference below covers every combination again.


@pytest.mark.parametrize("combo", COMBOS, ids=combo_id)
def test_gradcheck_every_combination(combo: tuple) -> None:
    gradcheck_case(combo, batch_sizes=None, B=2, fast=True)


@pytest.mark.parametrize("options", [False, True], ids=["bare", "every_option"])
@pytest.mark.parametrize("gates", list(GATE_SETS))
def test_gradcheck_full_jacobian(gates: str, options: bool) -> None:
    on = options
    gradcheck_case((gates, on, on, on, on), batch_sizes=None, B=2, fast=False)


@pytest.mark.parametrize("combo", PACKED_COMBOS, ids=combo_id)
def test_gradcheck_variable_lengths(combo: tuple) -> None:
    lengths_3_2_1 = torch.tensor([3, 2, 1])
    gradcheck_case(combo, batch_sizes=lengths_3_2_1, B=3, fast=False)


# ----------------------------------------------------------------------------- == reference

PACKED = torch.tensor([4, 4, 3, 3, 2, 1, 1])  # T=7, B=4: lengths 7, 5, 4, 2
# float32: the absolute tolerance scales with the tensor's largest entry. With layer norm over
# few units (H=8) some gradients reach ~40 and float32 rounding, amplified over the steps, moves
# them by up to ~3e-5 of that scale -- in both paths alike (each is as far from the float64
# answer as the other), so the tolerance is about rounding, not about the backward.
TOL = {torch.float64: (1e-10, 1e-10), torch.float32: (5e-5, 1e-5)}  # (atol per unit scale, rtol)


def assert_same_as_reference(inputs: list, opts: dict, batch_sizes: Tensor | None,
                             dtype: torch.dtype, masks: Masks = NO_MASKS) -> None:
    outs, grads = grads_of(inputs, opts, "bptt", batch_sizes, masks)
    ref_outs, ref_grads = grads_of(inputs, opts, "reference", batch_sizes, masks)
    assert len(grads) == len(ref_grads) == 3 + sum(t is not None for t in inputs[3:])
    for got, want in zip(outs + grads, ref_outs + ref_grads, strict=True):
        assert got.dtype == dtype and got.shape == want.shape
        atol, rtol = TOL[dtype]
        scale = max(1.0, want.abs().max().item())
        torch.testing.assert_close(got, want, atol=atol * scale, rtol=rtol)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("packed", [False, True], ids=["full", "packed"])
@pytest.mark.parametrize("combo", COMBOS, ids=combo_id)
def test_matches_reference(combo: tuple, packed: bool, dtype: torch.dtype) -> None:
    inputs, opts = make_case(combo, T=7, B=4, I=6, H=8, P=5, dtype=dtype, seed=1)
    assert_same_as_reference(inputs, opts, PACKED if packed else None, dtype)


PARTIAL_LN = {  # the layer norms are independent options: which LSTMWeights fields to drop
    "ln_gates_only": ("weight_ln_c", "bias_ln_c"),
    "ln_cell_only": ("weight_ln_ih", "weight_ln_hh"),
    "ln_cell_without_shift": ("bias_ln_c",),
}


@pytest.mark.parametrize("partial", list(PARTIAL_LN))
@pytest.mark.parametrize("gates", list(GATE_SETS))
def test_partial_layer_norm(gates: str, partial: str) -> None:
    def case(**sizes: int) -> tuple[list, dict]:
        inputs, opts = make_case((gates, True, True, True, True), dtype=torch.float64, **sizes)
        for field in PARTIAL_LN[partial]:
            inputs[3 + LSTMWeights._fields.index(field)] = None
        return inputs, opts

    assert_same_as_reference(*case(T=7, B=4, I=6, H=8, P=5), PACKED, torch.float64)
    gradcheck_inputs(*case(T=3, B=2, I=4, H=5, P=3), None, fast=True)


def test_row_of_length_zero_keeps_its_initial_state() -> None:
    inputs, opts = make_case(FULL, T=7, B=4, I=6, H=8, P=5, dtype=torch.float64, seed=2)
    sizes = torch.tensor([3, 3, 2, 2, 1, 1, 1])  # the last row never runs
    assert_same_as_reference(inputs, opts, sizes, torch.float64)
    out, h, c = run(inputs, opts, "bptt", sizes)
    assert torch.equal(h[3], inputs[1][3]) and torch.equal(c[3], inputs[2][3])
    assert not out[:, 3].any()


def test_non_contiguous_inputs() -> None:
    inputs, opts = make_case(FULL, T=7, B=4, I=6, H=8, P=5, dtype=torch.float64, seed=3)
    inputs[0] = inputs[0].transpose(0, 1).contiguous().transpose(0, 1)  # batch-first storage
    inputs[1] = inputs[1][:1].expand(4, -1)  # one initial state broadcast over the batch
    inputs[3] = inputs[3].t().contiguous().t()  # a transposed weight
    assert not inputs[0].is_contiguous() and not inputs[1].is_contiguous()
    assert_same_as_reference(inputs, opts, PACKED, torch.float64)


@pytest.mark.parametrize("which", ["weights_only", "x_only", "h0_only"])
def test_only_some_inputs_require_grad(which: str) -> None:
    inputs, opts = make_case(FULL, T=5, B=3, I=6, H=8, P=5, dtype=torch.float64, seed=4)
    want = {"weights_only": range(3, len(inputs)), "x_only": [0], "h0_only": [1]}[which]
    results = {}
    for backend in ("bptt", "reference"):
        leaves = [t.clone().requires_grad_(i in want) if t is not None else None
                  for i, t in enumerate(inputs)]
        out, h, c = run(leaves, opts, backend, torch.tensor([3, 3, 2, 1, 1]))
        (out.sum() + h.pow(2).sum() + c.sin().sum()).backward()
        results[backend] = [t.grad for t in leaves if t is not None]
    for i, (got, ref) in enumerate(zip(results["bptt"], results["reference"], strict=True)):
        assert (got is None) == (ref is None), i
        if got is not None:
            torch.testing.assert_close(got, ref, atol=1e-10, rtol=1e-10)
    assert sum(g is not None for g in results["bptt"]) == len(list(want))


@pytest.mark.parametrize("gates", list(GATE_SETS))
@pytest.mark.parametrize("packed", [False, True], ids=["full", "packed"])
def test_no_grad_forward_matches_reference(gates: str, packed: bool) -> None:
    # without grad a lighter forward runs (two cell-state slots instead of T)
    inputs, opts = make_case((gates, True, True, True, True), T=7, B=4, I=6, H=8, P=5,
                             dtype=torch.float64, seed=5)
    sizes = PACKED if packed else None
    with torch.no_grad():
        outs = run(inputs, opts, "bptt", sizes)
        ref = run(inputs, opts, "reference", sizes)
    for got, want in zip(outs, ref, strict=True):
        assert got.grad_fn is None
        torch.testing.assert_close(got, want, atol=1e-12, rtol=1e-12)


# ----------------------------------------------------------------------------- torch.nn.LSTM


@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("proj", [0, 5], ids=["noproj", "proj"])
@pytest.mark.parametrize("packed", [False, True], ids=["full", "packed"])
def test_matches_torch_lstm(bias: bool, proj: int, packed: bool) -> None:
    T, B, I, H = 7, 4, 6, 8
    torch.manual_seed(6)
    lstm = torch.nn.LSTM(I, H, bias=bias, proj_size=proj).double()
    P = proj or H
    x = torch.randn(T, B, I, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(1, B, P, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(1, B, H, dtype=torch.float64, requires_grad=True)
    lengths = [7, 5, 4, 2] if packed else [T] * B
    packed_x = pack_padded_sequence(x, torch.tensor(lengths))
    out_t, (h_t, c_t) = lstm(packed_x, (h0, c0))
    out_t, _ = pad_packed_sequence(out_t, total_length=T)

    w = LSTMWeights(lstm.weight_ih_l0, lstm.weight_hh_l0,
                    lstm.bias_ih_l0 if bias else None, lstm.bias_hh_l0 if bias else None,
                    lstm.weight_hr_l0 if proj else None)
    out, h, c = lstm_sequence(x, h0[0], c0[0], w, batch_sizes=packed_x.batch_sizes)
    assert type(out.grad_fn).__name__ == "LSTMFunctionBackward"
    torch.testing.assert_close(out, out_t, atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(h, h_t[0], atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(c, c_t[0], atol=1e-12, rtol=1e-12)

    leaves = [x, h0, c0, *lstm.parameters()]
    gen = torch.Generator().manual_seed(7)
    dout, dh, dc = (torch.randn(t.shape, generator=gen, dtype=t.dtype) for t in (out, h, c))
    ours = torch.autograd.grad((out * dout).sum() + (h * dh).sum() + (c * dc).sum(), leaves)
    theirs = torch.autograd.grad((out_t * dout).sum() + (h_t[0] * dh).sum()
                                 + (c_t[0] * dc).sum(), leaves)
    for got, want in zip(ours, theirs, strict=True):
        torch.testing.assert_close(got, want, atol=1e-10, rtol=1e-10)


# ----------------------------------------------------------------------------- errors, wiring


def test_bptt_backend_runs_the_hand_written_function() -> None:
    inputs, opts = make_case(FULL, T=3, B=2, I=4, H=5, P=3, dtype=torch.float64)
    inputs = [t.requires_grad_() if t is not None else None for t in inputs]
    outs = run(inputs, opts, "bptt")
    assert {type(o.grad_fn).__name__ for o in outs} == {"LSTMFunctionBackward"}
    ref_outs = run(inputs, opts, "reference")
    assert type(ref_outs[0].grad_fn).__name__ != "LSTMFunctionBackward"
    # the default backend is the hand-written one
    x, h0, c0, *weights = inputs
    out, _, _ = lstm_sequence(x, h0, c0, LSTMWeights(*weights))
    assert type(out.grad_fn).__name__ == "LSTMFunctionBackward"


@pytest.mark.parametrize("backend", ["bptt", "reference"])
def test_coupled_without_forget_gate_is_a_value_error(backend: str) -> None:
    inputs, _ = make_case(("standard", False, False, False, True), T=3, B=2, I=4, H=5, P=3,
                          dtype=torch.float64)
    with pytest.raises(ValueError, match="forget_gate"):
        run(inputs, {"forget_gate": False, "coupled": True}, backend)


def test_unknown_backend_is_a_value_error_naming_the_choices() -> None:
    inputs, opts = make_case(FULL, T=3, B=2, I=4, H=5, P=3, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"bptt.*reference"):
        run(inputs, opts, "cudnn")


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("bias_hh", None, "bias_ih and bias_hh"),
        ("weight_ln_hh", None, "weight_ln_ih and weight_ln_hh"),
        ("weight_ih", torch.zeros(12, 4, dtype=torch.float64), "weight_ih"),
        ("weight_hr", None, "weight_hr"),
    ],
)
def test_inconsistent_weights_are_value_errors(field: str, value, match: str) -> None:
    inputs, opts = make_case(FULL, T=3, B=2, I=4, H=5, P=3, dtype=torch.float64)
    inputs[3 + LSTMWeights._fields.index(field)] = value
    with pytest.raises(ValueError, match=match):
        run(inputs, opts, "bptt")


@pytest.mark.parametrize("sizes", [[2, 2], [1, 2, 1], [2, 3, 1]])
def test_bad_batch_sizes_are_value_errors(sizes: list[int]) -> None:
    inputs, opts = make_case(FULL, T=3, B=2, I=4, H=5, P=3, dtype=torch.float64)
    with pytest.raises(ValueError, match="batch_sizes"):
        run(inputs, opts, "bptt", torch.tensor(sizes))
