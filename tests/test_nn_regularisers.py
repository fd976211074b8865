"""The recurrent regularisers as options of rnnlab.nn.RNN / LSTM / GRU (rnnlab.nn.regularisers):
the hand-written path equals the reference path with the same masks in every LSTM combination
(and for Elman and GRU), evaluation semantics, training statistics, learned initial states, and
the clear errors where torch's kernel would have to stand in."""

from __future__ import annotations

import itertools

import pytest
import torch
from helpers_rnn import LSTM_BPTT
from torch import Tensor
from torch.nn.utils.rnn import pack_padded_sequence
from torch.testing import assert_close

import rnnlab.nn as rn
from rnnlab.bptt.masks import Masks
from rnnlab.errors import UserError
from rnnlab.nn.torch_kernel import TraceError

T, B, I, H, P = 4, 3, 4, 5, 3
ON = {"recurrent_dropout": 0.3, "weight_drop": 0.4, "zoneout": 0.3, "learn_init": True}
LSTM_ON = ON | {"zoneout_cell": 0.2}
GATES = {"standard": {}, "no_forget": {"forget_gate": False}, "coupled": {"coupled": True}}
LSTM_COMBOS = list(itertools.product(GATES, [False, True], [False, True], [False, True],
                                     [False, True]))  # gates, peephole, layer_norm, proj, bidir


def lstm_id(combo: tuple) -> str:
    gates, peep, ln, proj, bidir = combo
    flags = [n for n, on in (("peep", peep), ("ln", ln), ("proj", proj), ("bidir", bidir)) if on]
    return "-".join([gates, *flags])


def lstm_options(combo: tuple) -> dict:
    gates, peep, ln, proj, bidir = combo
    return GATES[gates] | {"peephole": peep, "layer_norm": ln, "proj_size": P if proj else 0,
                           "bidirectional": bidir}


def build(cls: type, backend: str, seed: int = 0, **options: object) -> rn.RecurrentLayer:
    """A float64 layer; learned initial states (if any) set to non-zero values."""
    torch.manual_seed(seed)
    layer = cls(I, H, dtype=torch.float64, backend=backend, **options)
    with torch.no_grad():
        for name, p in layer.named_parameters():
            if name.startswith("initial_"):
                p.normal_(0, 0.5)
    return layer


def inputs(seed: int = 1) -> Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(T, B, I, generator=gen, dtype=torch.float64)


def outputs_and_grads(layer: rn.RecurrentLayer, x: Tensor, packed: bool, seed: int = 7,
                      hx: object = None) -> list[Tensor]:
    """Output, final states and the gradients of x and every parameter, after seeding torch's
    RNG with ``seed`` (so the masks drawn in training are the same for every backend)."""
    x = x.clone().requires_grad_()
    torch.manual_seed(seed)
    if packed:
        out, states = layer(pack_padded_sequence(x, torch.tensor([3, T, 1]),
                                                 enforce_sorted=False), hx)
        out = out.data
    else:
        out, states = layer(x, hx)
    states = states if isinstance(states, tuple) else (states,)
    gen = torch.Generator().manual_seed(11)
    loss = sum((t * torch.randn(t.shape, generator=gen, dtype=t.dtype)).sum()
               for t in (out, *states))
    leaves = [x, *layer.parameters()]
    return [out, *states, *torch.autograd.grad(loss, leaves)]


def assert_paths_agree(cls: type, packed: bool, bptt: str = "bptt", **options: object) -> None:
    """``bptt``: what ``last_kernel`` says after backend="bptt" (its loops in C++ or not)."""
    results = {}
    for backend in ("bptt", "reference"):
        layer = build(cls, backend, num_layers=2, **options)
        results[backend] = outputs_and_grads(layer, inputs(), packed)
        assert layer.last_kernel == (bptt if backend == "bptt" else backend)
    for got, want in zip(results["bptt"], results["reference"], strict=True):
        assert_close(got, want, rtol=1e-10, atol=1e-10)


# ----------------------------------------------------------------------------- fast == reference


@pytest.mark.parametrize("combo", LSTM_COMBOS, ids=lstm_id)
def test_lstm_every_combination_with_every_regulariser(combo: tuple) -> None:
    assert_paths_agree(rn.LSTM, packed=False, **lstm_options(combo), **LSTM_ON)


@pytest.mark.parametrize("combo", [c for c in LSTM_COMBOS if c[1] == c[2] == c[3]], ids=lstm_id)
def test_lstm_variable_lengths_with_every_regulariser(combo: tuple) -> None:
    assert_paths_agree(rn.LSTM, packed=True, **lstm_options(combo), **LSTM_ON)


@pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])
@pytest.mark.parametrize("bidir", [False, True], ids=["uni", "bidir"])
@pytest.mark.parametrize("cls, options", [
    (rn.RNN, {"nonlinearity": "tanh"}), (rn.RNN, {"nonlinearity": "relu"}),
    (rn.RNN, {"nonlinearity": "sigmoid"}), (rn.GRU, {}), (rn.GRU, {"reset_after": False}),
], ids=["tanh", "relu", "sigmoid", "gru", "gru_reset_before"])
def test_elman_and_gru_with_every_regulariser(cls, options, bidir: bool, packed: bool) -> None:
    assert_paths_agree(cls, packed, bidirectional=bidir, **options, **ON)


@pytest.mark.parametrize("name", ["recurrent_dropout", "weight_drop", "zoneout", "zoneout_cell",
                                  "learn_init"])
def test_each_regulariser_alone(name: str) -> None:
    # weight-drop and learned initial states act outside the loop, so the C++ loops run
    outside = name in ("weight_drop", "learn_init")
    assert_paths_agree(rn.LSTM, packed=False, bptt=LSTM_BPTT if outside else "bptt",
                       peephole=True, **{name: LSTM_ON[name]})


# ----------------------------------------------------------------------------- evaluation


@pytest.mark.parametrize("cls", [rn.LSTM, rn.GRU, rn.RNN])
def test_dropout_and_weight_drop_are_the_identity_in_eval(cls: type) -> None:
    plain = build(cls, "bptt", num_layers=2, bidirectional=True).eval()
    dropped = build(cls, "bptt", num_layers=2, bidirectional=True, recurrent_dropout=0.5,
                    weight_drop=0.5).eval()
    dropped.load_state_dict(plain.state_dict())
    x = inputs()
    assert torch.equal(dropped(x)[0], plain(x)[0])
    assert dropped.train()(x)[0].ne(plain(x)[0]).any()  # and not so in training


def test_auto_runs_torch_kernel_in_eval_when_only_dropouts_are_on() -> None:
    layer = build(rn.LSTM, "auto", recurrent_dropout=0.5, weight_drop=0.5)
    layer(inputs())
    assert layer.last_kernel == "bptt"  # training: the masks change the computation
    plain = build(rn.LSTM, "bptt").eval()
    plain.load_state_dict(layer.state_dict())
    out = layer.eval()(inputs())[0]
    assert layer.last_kernel == "fused"
    assert_close(out, plain(inputs())[0], rtol=1e-10, atol=1e-10)


def manual_zoneout_loop(cell: torch.nn.Module, x: Tensor, states: tuple[Tensor, ...],
                        z: tuple[float, ...]) -> Tensor:
    """Each state s_t = z s_{t-1} + (1 - z) cell(x_t, s_{t-1}), the expectation of zoneout."""
    outs = []
    for x_t in x:
        new = cell(x_t, states if len(states) > 1 else states[0])
        new = new if isinstance(new, tuple) else (new,)
        states = tuple(zi * s + (1 - zi) * n for zi, s, n in zip(z, states, new, strict=True))
        outs.append(states[0])
    return torch.stack(outs)


@pytest.mark.parametrize("cls, cell_cls, options", [
    (rn.LSTM, rn.LSTMCell, {"peephole": True, "proj_size": P, "zoneout_cell": 0.6}),
    (rn.LSTM, rn.LSTMCell, {"coupled": True, "layer_norm": True}),
    (rn.GRU, rn.GRUCell, {"reset_after": False}),
    (rn.RNN, rn.RNNCell, {"nonlinearity": "sigmoid"}),
], ids=["lstm_peep_proj", "lstm_cifg_ln", "gru", "rnn"])
def test_zoneout_in_eval_is_the_expectation(cls, cell_cls, options: dict) -> None:
    layer = build(cls, "bptt", zoneout=0.3, learn_init=True, **options).eval()
    cell_options = {k: v for k, v in options.items() if k != "zoneout_cell"}
    cell = cell_cls(I, H, dtype=torch.float64, **cell_options)
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in layer.state_dict().items()
                          if not k.startswith("initial_")})
    learned = [getattr(layer, f"initial_{s}_l0") for s in ("h", "c")[: layer.num_states]]
    states = tuple(s.expand(B, -1) for s in learned)
    z = (0.3, options.get("zoneout_cell", 0.0))[: layer.num_states]
    x = inputs()
    with torch.no_grad():
        assert_close(layer(x)[0], manual_zoneout_loop(cell, x, states, z), rtol=1e-12,
                     atol=1e-12)


# ----------------------------------------------------------------------------- training statistics


def test_input_dropout_mask_is_the_same_at_every_step() -> None:
    # W_hh = 0 and the same x at every step: h_t = tanh(W_ih (m_x x) + b) repeats exactly
    layer = build(rn.RNN, "bptt", recurrent_dropout=0.5)
    with torch.no_grad():
        layer.weight_hh_l0.zero_()
    x = torch.randn(1, 8, I, dtype=torch.float64).expand(6, 8, I)
    out = layer(x)[0]
    assert torch.equal(out, out[:1].expand_as(out))
    assert out.ne(layer.eval()(x)[0]).any()


def test_recurrent_dropout_mask_on_h_is_the_same_at_every_step() -> None:
    # relu, W_ih = 0, b = 0, W_hh = I, h0 > 0: h_t = m_h ⊙ h_{t-1} = m_h^(t+1) ⊙ h0 only if
    # one mask m_h (values 0 and 2) serves every step
    torch.manual_seed(0)
    layer = rn.RNN(I, 16, nonlinearity="relu", dtype=torch.float64, recurrent_dropout=0.5)
    with torch.no_grad():
        layer.weight_ih_l0.zero_()
        layer.bias_ih_l0.zero_()
        layer.bias_hh_l0.zero_()
        layer.weight_hh_l0.copy_(torch.eye(16))
    h0 = torch.rand(1, 8, 16, dtype=torch.float64) + 0.5
    out = layer(torch.randn(5, 8, I, dtype=torch.float64), h0)[0]
    m = out[0] / h0[0]
    assert set(m.unique().tolist()) == {0.0, 2.0}
    for t in range(5):
        assert_close(out[t], h0[0] * m ** (t + 1), rtol=1e-12, atol=0)


def captured_masks(layer: rn.RecurrentLayer) -> list[Masks]:
    """Wrap ``layer.sample_masks`` to record every mask set it hands out."""
    seen: list[Masks] = []
    sample = layer.sample_masks

    def recording(*args: object) -> Masks:
        seen.append(sample(*args))
        return seen[-1]

    layer.sample_masks = recording
    return seen


def test_masks_per_layer_and_direction_shapes_and_rates() -> None:
    layer = rn.LSTM(I, 32, num_layers=2, bidirectional=True, proj_size=8, recurrent_dropout=0.25,
                    weight_drop=0.3, zoneout=0.2, zoneout_cell=0.4)
    seen = captured_masks(layer)
    layer(torch.randn(20, 16, I))
    assert len(seen) == 4  # (layer, direction)
    for index, m in enumerate(seen):
        assert m.x.shape == (16, I if index < 2 else 16)  # one per sequence: no time axis
        assert m.h.shape == (16, 8) and m.weight_hh.shape == (128, 8)
        assert m.zoneout_h.shape == (20, 16, 8) and m.zoneout_c.shape == (20, 16, 32)
        assert m.weight_hh.unique().tolist() == pytest.approx([0.0, 1 / 0.7])
        assert abs(m.weight_hh.eq(0).float().mean().item() - 0.3) < 0.05
        assert abs(m.zoneout_c.mean().item() - 0.4) < 0.05
    assert not torch.equal(seen[0].weight_hh, seen[1].weight_hh)  # directions differ
    layer(torch.randn(20, 16, I))
    assert not torch.equal(seen[0].weight_hh, seen[4].weight_hh)  # a new mask per forward
    assert list(layer.state_dict()) == list(rn.LSTM(I, 32, 2, bidirectional=True,
                                                    proj_size=8).state_dict())
    assert type(layer.weight_hh_l0) is torch.nn.Parameter


@pytest.mark.parametrize("cls", [rn.LSTM, rn.GRU, rn.RNN])
def test_zoneout_keeps_about_z_of_the_units(cls: type) -> None:
    torch.manual_seed(0)
    layer = cls(I, 16, zoneout=0.3)
    out = layer(torch.randn(30, 8, I))[0]
    kept = out[1:].eq(out[:-1]).float().mean().item()
    assert abs(kept - 0.3) < 0.05


def test_fixed_masks_of_ones_keep_the_initial_state_forever() -> None:
    layer = build(rn.LSTM, "bptt", zoneout=0.5, zoneout_cell=0.5, learn_init=True)
    ones = torch.ones(T, B, H, dtype=torch.float64)
    layer.sample_masks = lambda index, x, weight_hh: Masks(zoneout_h=ones, zoneout_c=ones)
    out, (_, c) = layer(inputs())
    assert torch.equal(out, layer.initial_h_l0.expand(T, B, H))
    assert torch.equal(c[0], layer.initial_c_l0.expand(B, H))


# ----------------------------------------------------------------------------- learn_init


def test_learn_init_parameters_names_shapes_zero_start_and_gradients() -> None:
    layer = rn.LSTM(I, H, num_layers=2, bidirectional=True, proj_size=P, learn_init=True)
    names = [n for n in layer.state_dict() if n.startswith("initial_")]
    assert names == [f"initial_{s}_l{k}{d}" for k in (0, 1) for d in ("", "_reverse")
                     for s in ("h", "c")]
    for name in names:
        p = getattr(layer, name)
        assert p.shape == ((P,) if "_h_" in name else (H,)) and not p.any()
    out, (_, c) = layer(torch.randn(T, B, I))
    (out.sum() + c.sum()).backward()
    assert all(getattr(layer, n).grad is not None and getattr(layer, n).grad.any() for n in names)
    assert [n for n in rn.GRU(I, H, learn_init=True).state_dict() if "initial" in n] == [
        "initial_h_l0"]


@pytest.mark.parametrize("cls", [rn.LSTM, rn.GRU, rn.RNN])
def test_learned_initial_state_is_used_without_hx_and_a_passed_state_overrides_it(cls) -> None:
    learned = build(cls, "bptt", num_layers=2, learn_init=True)
    plain = build(cls, "bptt", num_layers=2)
    plain.load_state_dict({k: v for k, v in learned.state_dict().items()
                           if not k.startswith("initial_")})
    states = tuple(torch.stack([getattr(learned, f"initial_{s}_l{k}") for k in (0, 1)])[:, None]
                   .expand(2, B, -1) for s in ("h", "c")[: learned.num_states])
    hx = states if len(states) > 1 else states[0]
    x = inputs()
    for packed in (False, True):
        assert_close(outputs_and_grads(learned, x, packed)[0],
                     outputs_and_grads(plain, x, packed, hx=hx)[0], rtol=1e-12, atol=1e-12)
    given = tuple(torch.randn_like(s) for s in states)
    given = given if len(given) > 1 else given[0]
    assert_close(learned(x, given)[0], plain(x, given)[0], rtol=1e-12, atol=1e-12)
    assert_close(learned(x[:, 0])[0], plain(x[:, 0], tuple(s[:, 0] for s in states)
                                           if len(states) > 1 else states[0][:, 0])[0])


def test_learn_init_keeps_torchs_draw_of_the_weights() -> None:
    torch.manual_seed(4)
    ours = rn.LSTM(I, H, num_layers=2, init="torch", learn_init=True)
    torch.manual_seed(4)
    theirs = torch.nn.LSTM(I, H, num_layers=2)
    for name, value in theirs.state_dict().items():
        assert torch.equal(ours.state_dict()[name], value)


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("name", ["recurrent_dropout", "weight_drop", "zoneout", "zoneout_cell"])
@pytest.mark.parametrize("value", [-0.1, 1.0, 1.5, "0.5", True])
def test_probability_out_of_range_is_a_user_error(name: str, value: object) -> None:
    with pytest.raises(UserError, match=rf"{name} must be a number in \[0, 1\)"):
        rn.LSTM(I, H, **{name: value})


def test_learn_init_must_be_a_bool() -> None:
    with pytest.raises(UserError, match="learn_init should be of type bool"):
        rn.GRU(I, H, learn_init=1)


@pytest.mark.parametrize("option", [{"recurrent_dropout": 0.2}, {"weight_drop": 0.2},
                                    {"zoneout": 0.2}, {"learn_init": True}])
def test_fused_backend_with_a_regulariser_is_a_clear_error(option: dict) -> None:
    name = next(iter(option))
    with pytest.raises(rn.FusedKernelError, match=f"torch's own kernel, which has no {name}"):
        rn.LSTM(I, H, backend="fused", **option)


def test_auto_picks_the_hand_written_path_in_training() -> None:
    layer = rn.LSTM(I, H, zoneout=0.1)
    layer(torch.randn(T, B, I))
    assert layer.last_kernel == "bptt"
    layer.eval()(torch.randn(T, B, I))
    assert layer.last_kernel == "bptt"  # zoneout changes evaluation too


@pytest.mark.parametrize("option", [{"zoneout": 0.2}, {"zoneout_cell": 0.2},
                                    {"learn_init": True}])
def test_to_torch_refuses_what_torch_lacks(option: dict) -> None:
    with pytest.raises(UserError, match=f"no torch.nn equivalent with {next(iter(option))}"):
        rn.LSTM(I, H, **option).to_torch()


def test_to_torch_keeps_dropouts_which_change_no_inference() -> None:
    ours = rn.GRU(I, H, recurrent_dropout=0.3, weight_drop=0.3).eval()
    theirs = ours.to_torch()
    assert list(theirs.state_dict()) == list(ours.state_dict())
    x = torch.randn(T, B, I)
    assert_close(theirs(x)[0], ours(x)[0])


def test_trace_refuses_what_changes_the_traced_computation() -> None:
    x = torch.randn(T, B, I)
    with pytest.raises(TraceError, match=r"zoneout=0\.2"):
        torch.jit.trace(rn.LSTM(I, H, zoneout=0.2).eval(), x)
    with pytest.raises(TraceError, match=r"recurrent_dropout=0\.2"):
        torch.jit.trace(rn.LSTM(I, H, recurrent_dropout=0.2), x)
    layer = rn.LSTM(I, H, recurrent_dropout=0.2, weight_drop=0.2).eval()
    traced = torch.jit.trace(layer, x)
    assert_close(traced(x)[0], layer(x)[0])


# ----------------------------------------------------------------------------- layer gradcheck


@pytest.mark.parametrize("cls, options, layers", [
    (rn.LSTM, {"peephole": True, "proj_size": 3, "bidirectional": True, **LSTM_ON}, 2),
    (rn.LSTM, {"coupled": True, "layer_norm": True, **LSTM_ON}, 1),
    (rn.GRU, {"bidirectional": True, **ON}, 2),
    (rn.GRU, {"reset_after": False, **ON}, 1),
    (rn.RNN, {"nonlinearity": "sigmoid", "bidirectional": True, **ON}, 2),
], ids=["lstm_peep_proj_bidir", "lstm_cifg_ln", "gru_bidir", "gru_reset_before", "rnn_bidir"])
def test_layer_gradcheck_with_fixed_masks(cls, options: dict, layers: int) -> None:
    # x and every parameter, learned initial states included; the seed inside fixes the masks
    layer = build(cls, "bptt", num_layers=layers, **options)
    names = [n for n, _ in layer.named_parameters()]
    assert any(n.startswith("initial_") for n in names)
    x = torch.randn(3, 2, I, dtype=torch.float64)

    def fn(x: Tensor, *params: Tensor) -> tuple[Tensor, ...]:
        torch.manual_seed(3)
        out, states = torch.func.functional_call(layer, dict(zip(names, params, strict=True)),
                                                 (x,))
        assert layer.last_kernel == "bptt"
        return (out, *(states if isinstance(states, tuple) else (states,)))

    leaves = [x.requires_grad_(), *(p.detach().clone().requires_grad_()
                                    for p in layer.parameters())]
    assert torch.autograd.gradcheck(fn, leaves, fast_mode=layers > 1)
