"""The regularisers inside the hand-written BPTT (rnnlab.bptt.masks): with fixed masks, every
Function against gradcheck and against the autograd reference path, for every LSTM variant,
each Elman nonlinearity and both GRU forms, full and variable-length."""

from __future__ import annotations

import pytest
import torch
from helpers_rnn import batch_sizes_of, loss_of, make_inputs, split
from test_bptt_lstm import (
    COMBOS,
    FULL,
    GATE_SETS,
    PACKED,
    PACKED_COMBOS,
    assert_same_as_reference,
    combo_id,
    gradcheck_inputs,
    make_case,
    run,
)
from torch import Tensor
from torch.autograd import gradcheck, gradgradcheck
from torch.testing import assert_close

from rnnlab.bptt.elman import elman_sequence
from rnnlab.bptt.gru import gru_sequence
from rnnlab.bptt.masks import Masks
from rnnlab.errors import UserError

ALL = ("x", "h", "weight_hh", "zoneout_h", "zoneout_c")
SINGLE_STATE = ALL[:4]  # Elman and GRU have no cell state


def make_masks(which: tuple[str, ...], x: Tensor, weight_hh: Tensor, P: int, H: int,
               seed: int = 5, eval_zoneout: bool = False) -> Masks:
    """Fixed masks for the fields in ``which``: dropout masks of 0 or 1/(1-p) (p = 0.3), zoneout
    masks of 0 or 1 (z = 0.4) drawn per step, or with ``eval_zoneout`` the constant z."""
    T, B, I = x.shape
    gen = torch.Generator().manual_seed(seed)

    def keep(*shape: int) -> Tensor:
        return (torch.rand(shape, generator=gen) > 0.3).to(x.dtype) / 0.7

    def zone(*shape: int) -> Tensor:
        if eval_zoneout:
            return torch.full((), 0.4, dtype=x.dtype).expand(shape)
        return (torch.rand(shape, generator=gen) < 0.4).to(x.dtype)

    made = {"x": lambda: keep(B, I), "h": lambda: keep(B, P),
            "weight_hh": lambda: keep(*weight_hh.shape),
            "zoneout_h": lambda: zone(T, B, P), "zoneout_c": lambda: zone(T, B, H)}
    return Masks(**{name: made[name]() for name in which})


# ----------------------------------------------------------------------------- LSTM


def lstm_masks(inputs: list, which: tuple[str, ...] = ALL, **kw: object) -> Masks:
    x, h0, c0, _, weight_hh = inputs[:5]
    return make_masks(which, x, weight_hh, h0.shape[-1], c0.shape[-1], **kw)


@pytest.mark.parametrize("combo", COMBOS, ids=combo_id)
def test_lstm_gradcheck_every_combination_every_mask(combo) -> None:
    inputs, opts = make_case(combo, T=3, B=2, I=4, H=5, P=3, dtype=torch.float64)
    gradcheck_inputs(inputs, opts, None, fast=True, masks=lstm_masks(inputs))


@pytest.mark.parametrize("which", [(name,) for name in ALL] + [ALL], ids="-".join)
@pytest.mark.parametrize("options", [False, True], ids=["bare", "every_option"])
def test_lstm_gradcheck_full_jacobian_each_mask(options: bool, which) -> None:
    inputs, opts = make_case(("standard", options, options, options, options), T=3, B=2, I=4,
                             H=5, P=3, dtype=torch.float64)
    gradcheck_inputs(inputs, opts, None, fast=False, masks=lstm_masks(inputs, which))


@pytest.mark.parametrize("combo", PACKED_COMBOS, ids=combo_id)
def test_lstm_gradcheck_variable_lengths_every_mask(combo) -> None:
    inputs, opts = make_case(combo, T=3, B=3, I=4, H=5, P=3, dtype=torch.float64)
    gradcheck_inputs(inputs, opts, torch.tensor([3, 2, 1]), fast=False,
                     masks=lstm_masks(inputs))


@pytest.mark.parametrize("packed", [False, True], ids=["full", "packed"])
@pytest.mark.parametrize("combo", COMBOS, ids=combo_id)
def test_lstm_matches_reference_every_combination(combo, packed: bool) -> None:
    inputs, opts = make_case(combo, T=7, B=4, I=6, H=8, P=5, dtype=torch.float64, seed=1)
    assert_same_as_reference(inputs, opts, PACKED if packed else None, torch.float64,
                             masks=lstm_masks(inputs))


@pytest.mark.parametrize("gates", list(GATE_SETS))
def test_lstm_eval_zoneout_matches_reference_and_gradcheck(gates: str) -> None:
    # evaluation: the zoneout masks are the constant z, expanded (stride 0) over (T, B, ·)
    zoneout = ("zoneout_h", "zoneout_c")
    inputs, opts = make_case((gates, True, True, True, True), T=7, B=4, I=6, H=8, P=5,
                             dtype=torch.float64, seed=2)
    assert_same_as_reference(inputs, opts, PACKED, torch.float64,
                             masks=lstm_masks(inputs, zoneout, eval_zoneout=True))
    small, _ = make_case((gates, True, True, True, True), T=3, B=2, I=4, H=5, P=3,
                         dtype=torch.float64)
    gradcheck_inputs(small, opts, None, fast=True,
                     masks=lstm_masks(small, zoneout, eval_zoneout=True))


@pytest.mark.parametrize("packed", [False, True], ids=["full", "packed"])
def test_lstm_no_grad_forward_matches_reference(packed: bool) -> None:
    # without grad the lighter forward runs (two cell-state slots, one candidate slot)
    inputs, opts = make_case(FULL, T=7, B=4, I=6, H=8, P=5, dtype=torch.float64, seed=5)
    masks = lstm_masks(inputs)
    sizes = PACKED if packed else None
    with torch.no_grad():
        outs = run(inputs, opts, "bptt", sizes, masks)
        ref = run(inputs, opts, "reference", sizes, masks)
    for got, want in zip(outs, ref, strict=True):
        assert got.grad_fn is None
        assert_close(got, want, atol=1e-12, rtol=1e-12)


def test_lstm_zoneout_of_one_keeps_the_initial_state_and_of_zero_changes_nothing() -> None:
    inputs, opts = make_case(FULL, T=5, B=3, I=4, H=5, P=3, dtype=torch.float64, seed=6)
    x, h0, c0 = inputs[:3]
    T, B = x.shape[:2]
    ones = Masks(zoneout_h=torch.ones(T, B, 3, dtype=x.dtype),
                 zoneout_c=torch.ones(T, B, 5, dtype=x.dtype))
    out, h, c = run(inputs, opts, "bptt", masks=ones)
    assert torch.equal(out, h0.expand(T, B, 3)) and torch.equal(h, h0) and torch.equal(c, c0)
    zeros = Masks(zoneout_h=torch.zeros(T, B, 3, dtype=x.dtype),
                  zoneout_c=torch.zeros(T, B, 5, dtype=x.dtype))
    for got, want in zip(run(inputs, opts, "bptt", masks=zeros),
                         run(inputs, opts, "bptt"), strict=True):
        assert_close(got, want, atol=1e-14, rtol=1e-14)


def test_lstm_double_backward_uses_the_same_masks() -> None:
    inputs, opts = make_case(FULL, T=3, B=2, I=4, H=5, P=3, dtype=torch.float64, seed=7)
    masks = lstm_masks(inputs)
    leaves = [t.requires_grad_() for t in inputs]

    def fn(*args: Tensor) -> tuple[Tensor, ...]:
        return run(list(args), opts, "bptt", masks=masks)

    assert gradgradcheck(fn, leaves, eps=1e-6, atol=1e-6, rtol=1e-4, fast_mode=True)


@pytest.mark.parametrize(
    "field, shape",
    [("x", (2, 3)), ("h", (3, 3)), ("weight_hh", (5, 3)), ("zoneout_h", (3, 2, 5)),
     ("zoneout_c", (2, 2, 5))],
)
def test_a_mask_of_the_wrong_shape_is_a_user_error(field: str, shape: tuple) -> None:
    inputs, opts = make_case(FULL, T=3, B=2, I=4, H=5, P=3, dtype=torch.float64)
    with pytest.raises(UserError, match=f"mask '{field}' must have shape"):
        run(inputs, opts, "bptt", masks=Masks(**{field: torch.ones(shape)}))


# ----------------------------------------------------------------------------- Elman, GRU

FAMILIES = {  # name: (sequence function, gate blocks, options)
    "tanh": (elman_sequence, 1, {"nonlinearity": "tanh"}),
    "relu": (elman_sequence, 1, {"nonlinearity": "relu"}),
    "sigmoid": (elman_sequence, 1, {"nonlinearity": "sigmoid"}),
    "gru": (gru_sequence, 3, {"reset_after": True}),
    "gru_reset_before": (gru_sequence, 3, {"reset_after": False}),
}
FUNCTION_NAMES = {elman_sequence: "ElmanFunctionBackward", gru_sequence: "GRUFunctionBackward"}


def single_case(family: str, T: int, B: int, I: int, H: int, which: tuple[str, ...],
                seed: int = 0, **kw: object) -> tuple[list[Tensor], Masks]:
    _, gates, _ = FAMILIES[family]
    inputs = make_inputs(T, B, I, H, gates=gates, bias=True, dtype=torch.float64, seed=seed)
    return inputs, make_masks(which, inputs[0], inputs[3], H, H, seed=seed + 5, **kw)


@pytest.mark.parametrize("lengths", [None, [3, 2, 1]], ids=["full", "packed"])
@pytest.mark.parametrize("which", [(name,) for name in SINGLE_STATE] + [SINGLE_STATE],
                         ids="-".join)
@pytest.mark.parametrize("family", list(FAMILIES))
def test_single_state_gradcheck_each_mask(family: str, which, lengths) -> None:
    sequence, _, opts = FAMILIES[family]
    B = 2 if lengths is None else len(lengths)
    inputs, masks = single_case(family, 3, B, 4, 5, which, seed=1)
    sizes = None if lengths is None else batch_sizes_of(lengths, 3)

    def run(*tensors: Tensor) -> tuple[Tensor, Tensor]:
        return sequence(*split(list(tensors)), **opts, batch_sizes=sizes, masks=masks)

    assert type(run(*inputs)[0].grad_fn).__name__ == FUNCTION_NAMES[sequence]
    assert gradcheck(run, inputs)


@pytest.mark.parametrize("zoneout", ["train", "eval"])
@pytest.mark.parametrize("lengths", [None, [7, 5, 4, 2]], ids=["full", "packed"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_single_state_matches_reference(family: str, lengths, zoneout: str) -> None:
    sequence, _, opts = FAMILIES[family]
    inputs, masks = single_case(family, 7, 4, 6, 8, SINGLE_STATE, seed=2,
                                eval_zoneout=zoneout == "eval")
    sizes = None if lengths is None else batch_sizes_of(lengths, 7)
    results = {}
    for backend in ("bptt", "reference"):
        out, h_T = sequence(*split(inputs), **opts, batch_sizes=sizes, backend=backend,
                            masks=masks)
        results[backend] = (out, h_T, *torch.autograd.grad(loss_of(out, h_T), inputs))
    for got, want in zip(results["bptt"], results["reference"], strict=True):
        assert_close(got, want, rtol=1e-10, atol=1e-10)
    if lengths is not None:  # a finished row emits zeros and keeps its last state
        out, h_T = results["bptt"][:2]
        for b, n in enumerate(lengths):
            assert not out[n:, b].any()
            assert torch.equal(h_T[b], out[n - 1, b])


@pytest.mark.parametrize("family", ["tanh", "gru", "gru_reset_before"])
def test_single_state_double_backward_uses_the_same_masks(family: str) -> None:
    sequence, _, opts = FAMILIES[family]
    inputs, masks = single_case(family, 3, 2, 4, 5, SINGLE_STATE, seed=3)

    def run(*tensors: Tensor) -> tuple[Tensor, Tensor]:
        return sequence(*split(list(tensors)), **opts, masks=masks)

    assert gradgradcheck(run, inputs, fast_mode=True)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_single_state_zoneout_of_one_keeps_h0_and_of_zero_changes_nothing(family: str) -> None:
    sequence, _, opts = FAMILIES[family]
    inputs = make_inputs(5, 3, 4, 5, gates=FAMILIES[family][1], bias=True, dtype=torch.float64,
                         seed=4)
    h0 = inputs[1]
    out, h_T = sequence(*split(inputs), **opts, masks=Masks(zoneout_h=torch.ones(5, 3, 5,
                                                                             dtype=h0.dtype)))
    assert torch.equal(out, h0.expand(5, 3, 5)) and torch.equal(h_T, h0)
    zero = sequence(*split(inputs), **opts, masks=Masks(zoneout_h=torch.zeros(5, 3, 5,
                                                                              dtype=h0.dtype)))
    for got, want in zip(zero, sequence(*split(inputs), **opts), strict=True):
        assert_close(got, want, atol=1e-14, rtol=1e-14)


def test_single_state_refuses_a_cell_mask() -> None:
    inputs = make_inputs(3, 2, 4, 5, gates=1, bias=True, dtype=torch.float64, seed=0)
    with pytest.raises(UserError, match="without a cell state"):
        elman_sequence(*split(inputs), masks=Masks(zoneout_c=torch.ones(3, 2, 5)))
