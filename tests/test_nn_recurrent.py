"""The shared runner of rnnlab.nn: parity with torch.nn over layouts, packing, layers and
directions; sequence layers == a manual loop over the one-step cell; input and option errors."""

from __future__ import annotations

import itertools
import re
import warnings

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

import rnnlab.nn as rn

I, H, T, B = 4, 5, 5, 3
DT = torch.float64
MODES = ("plain", "hx", "packed_unsorted", "packed_sorted", "unbatched")
LENGTHS = {"packed_unsorted": [3, 5, 1], "packed_sorted": [5, 4, 2]}


def _torch_layer(family: str, layers: int, bidir: bool, batch_first: bool, bias: bool, variant):
    torch.manual_seed(0)
    common = {"num_layers": layers, "bias": bias, "batch_first": batch_first,
              "bidirectional": bidir, "dtype": DT}
    if family == "lstm":
        return nn.LSTM(I, H, proj_size=variant, **common)
    if family == "gru":
        return nn.GRU(I, H, **common)
    return nn.RNN(I, H, nonlinearity=variant, **common)


def _state_sizes(module: nn.Module) -> list[int]:
    P = getattr(module, "proj_size", 0) or module.hidden_size
    return [P, module.hidden_size] if isinstance(module, nn.LSTM | rn.LSTM) else [H]


def _inputs(module: nn.Module, mode: str, seed: int = 1):
    """x (leaf), the hx given to the module (leaves or None)."""
    g = torch.Generator().manual_seed(seed)
    LD = module.num_layers * (2 if module.bidirectional else 1)
    if mode == "unbatched":
        x = torch.randn(T, I, generator=g, dtype=DT)
        hx = [torch.randn(LD, s, generator=g, dtype=DT) for s in _state_sizes(module)]
    else:
        x = torch.randn(B, T, I, generator=g, dtype=DT) if module.batch_first else torch.randn(
            T, B, I, generator=g, dtype=DT)
        hx = [torch.randn(LD, B, s, generator=g, dtype=DT) for s in _state_sizes(module)]
    if mode in ("plain", "packed_sorted"):
        hx = []
    for t in [x, *hx]:
        t.requires_grad_(True)
    return x, hx


def _forward(module: nn.Module, mode: str, x, hx):
    """Run module; return (output tensor, [final states], extra facts to compare)."""
    arg = None if not hx else (hx[0] if len(hx) == 1 else tuple(hx))
    facts = ()
    if mode.startswith("packed"):
        packed = pack_padded_sequence(x, torch.tensor(LENGTHS[mode]), module.batch_first,
                                      enforce_sorted=mode == "packed_sorted")
        out, state = module(packed, arg)
        assert isinstance(out, PackedSequence)
        facts = (out.batch_sizes, out.sorted_indices, out.unsorted_indices)
        out = out.data
    else:
        out, state = module(x, arg)
    states = list(state) if isinstance(state, tuple) else [state]
    return out, states, facts


def _grads(module: nn.Module, mode: str, x, hx):
    out, states, facts = _forward(module, mode, x, hx)
    g = torch.Generator().manual_seed(7)
    loss = sum((t * torch.randn(t.shape, generator=g, dtype=DT)).sum() for t in [out, *states])
    leaves = [x, *hx]
    params = dict(module.named_parameters())
    grads = torch.autograd.grad(loss, leaves + list(params.values()))
    n = len(leaves)
    return out, states, facts, grads[:n], dict(zip(params, grads[n:], strict=True))


GRID = [
    (family, variant, layers, bidir, bf, bias, mode)
    for family, variants in (("lstm", (0, 3)), ("gru", (None,)), ("rnn", ("tanh", "relu")))
    for variant, layers, bidir, bf, bias, mode in itertools.product(
        variants, (1, 2), (False, True), (False, True), (True, False), MODES
    )
]


@pytest.mark.parametrize("backend", rn.BACKENDS)
@pytest.mark.parametrize(
    ("family", "variant", "layers", "bidir", "batch_first", "bias", "mode"), GRID
)
def test_parity_with_torch(backend, family, variant, layers, bidir, batch_first, bias, mode):
    theirs = _torch_layer(family, layers, bidir, batch_first, bias, variant)
    ours = rn.from_torch(theirs, backend=backend)
    assert ours.backend == backend
    x1, hx1 = _inputs(theirs, mode)
    x2, hx2 = _inputs(ours, mode)
    out1, st1, facts1, gin1, gp1 = _grads(theirs, mode, x1, hx1)
    out2, st2, facts2, gin2, gp2 = _grads(ours, mode, x2, hx2)
    torch.testing.assert_close(out2, out1, rtol=0, atol=1e-6)
    for a, b in zip(st2, st1, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    for a, b in zip(facts2, facts1, strict=True):
        assert (a is None and b is None) or torch.equal(a, b)
    for a, b in zip(gin2, gin1, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    assert gp2.keys() == gp1.keys()
    for name in gp1:
        torch.testing.assert_close(gp2[name], gp1[name], rtol=0, atol=1e-6, msg=name)


# ----------------------------------------------------------------------------- manual loop

LSTM_VARIANTS = [
    {"forget_gate": fg, "coupled": cp, "peephole": ph, "layer_norm": ln, "proj_size": ps}
    for (fg, cp), ph, ln, ps in itertools.product(
        ((True, False), (False, False), (True, True)), (False, True), (False, True), (0, 2)
    )
]
LOOP_CASES = (
    [("rnn", {"nonlinearity": n}) for n in ("tanh", "relu", "sigmoid")]
    + [("gru", {"reset_after": r}) for r in (True, False)]
    + [("lstm", v) for v in LSTM_VARIANTS]
)
LAYERS = {"rnn": (rn.RNN, rn.RNNCell), "gru": (rn.GRU, rn.GRUCell), "lstm": (rn.LSTM, rn.LSTMCell)}


def cell_of(layer: rn.RecurrentLayer, family: str, options: dict, k: int, d: int):
    """The one-step cell holding the weights of layer k, direction d."""
    cell_cls = LAYERS[family][1]
    D = layer.num_directions
    in_size = layer.input_size if k == 0 else (layer.proj_size or layer.hidden_size) * D
    cell = cell_cls(in_size, layer.hidden_size, layer.bias, dtype=DT, **options)
    suffix = f"_l{k}" + ("_reverse" if d else "")
    cell.load_state_dict({n.removesuffix(suffix): p for n, p in layer.state_dict().items()
                          if n.endswith(suffix)})
    return cell


def manual_row(layer, family, options, x_row, states_row):
    """Loop the cells over one unbatched sequence x_row (L, I), both directions, every layer.

    states_row: list of (L*D, size) initial states; returns (out (L, D*P), finals)."""
    D = layer.num_directions
    finals = [[] for _ in states_row]
    seq = x_row
    for k in range(layer.num_layers):
        outs = []
        for d in range(D):
            cell = cell_of(layer, family, options, k, d)
            state = tuple(s[k * D + d] for s in states_row)
            steps = []
            for x_t in (seq.flip(0) if d else seq):
                new = cell(x_t, state[0] if len(state) == 1 else state)
                state = (new,) if isinstance(new, torch.Tensor) else new
                steps.append(state[0])
            out = torch.stack(steps)
            outs.append(out.flip(0) if d else out)
            for f, s in zip(finals, state, strict=True):
                f.append(s)
        seq = torch.cat(outs, -1)
    return seq, [torch.stack(f) for f in finals]


@pytest.mark.parametrize(("family", "options"), LOOP_CASES)
def test_layer_equals_manual_cell_loop(family, options):
    """2 layers, bidirectional, packed with unsorted lengths, given hx: row by row."""
    torch.manual_seed(3)
    layer_cls = LAYERS[family][0]
    layer = layer_cls(I, H, 2, bidirectional=True, dtype=DT, **options)
    with torch.no_grad():  # move LN gains etc. away from their init values
        for p in layer.parameters():
            p.add_(0.3 * torch.randn_like(p))
    lengths = [3, 5, 1]
    x = torch.randn(T, B, I, dtype=DT)
    sizes = [layer.proj_size or H, H] if family == "lstm" else [H]
    hx = [torch.randn(4, B, s, dtype=DT) for s in sizes]
    packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
    out, state = layer(packed, hx[0] if len(hx) == 1 else tuple(hx))
    out, _ = pad_packed_sequence(out)
    states = list(state) if isinstance(state, tuple) else [state]
    for b, L in enumerate(lengths):
        want_out, want_states = manual_row(layer, family, options, x[:L, b],
                                           [s[:, b] for s in hx])
        torch.testing.assert_close(out[:L, b], want_out, rtol=0, atol=1e-10)
        assert torch.all(out[L:, b] == 0)
        for got, want in zip(states, want_states, strict=True):
            torch.testing.assert_close(got[:, b], want, rtol=0, atol=1e-10)


def _packed_run(layer, x, hx, lengths):
    packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
    out, state = layer(packed, hx[0] if len(hx) == 1 else tuple(hx))
    return [out.data, *(state if isinstance(state, tuple) else (state,))]


@pytest.mark.parametrize(("family", "options"), LOOP_CASES)
def test_backends_agree(family, options):
    """backend="bptt" == backend="reference": 2 layers, bidirectional, packed, given hx;
    outputs, final states and the gradients of input, hx and every parameter."""
    torch.manual_seed(4)
    layer_cls = LAYERS[family][0]
    results = []
    for backend in rn.BACKENDS:
        torch.manual_seed(4)
        layer = layer_cls(I, H, 2, bidirectional=True, dtype=DT, backend=backend, **options)
        with torch.no_grad():
            for p in layer.parameters():
                p.add_(0.3 * torch.randn_like(p))
        x = torch.randn(T, B, I, dtype=DT, requires_grad=True)
        sizes = [layer.proj_size or H, H] if family == "lstm" else [H]
        hx = [torch.randn(4, B, s, dtype=DT, requires_grad=True) for s in sizes]
        outs = _packed_run(layer, x, hx, [3, 5, 1])
        g = torch.Generator().manual_seed(7)
        loss = sum((t * torch.randn(t.shape, generator=g, dtype=DT)).sum() for t in outs)
        names, params = zip(*layer.named_parameters(), strict=True)
        grads = torch.autograd.grad(loss, [x, *hx, *params])
        results.append((outs, grads, names))
    (outs_b, grads_b, names), (outs_r, grads_r, _) = results
    for a, b in zip(outs_b, outs_r, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)
    labels = ["x"] + [f"hx[{k}]" for k in range(len(grads_b) - len(names) - 1)] + list(names)
    for label, a, b in zip(labels, grads_b, grads_r, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10, msg=label)


# ----------------------------------------------------------------------------- layout, misc


@pytest.mark.parametrize(("ours", "theirs"), [
    (lambda: rn.LSTM(4, 5, 2, batch_first=True, proj_size=2),
     lambda: nn.LSTM(4, 5, 2, batch_first=True, proj_size=2)),
    (lambda: rn.GRU(4, 5, bias=False, bidirectional=True),
     lambda: nn.GRU(4, 5, bias=False, bidirectional=True)),
    (lambda: rn.RNN(4, 5, 3, dropout=0.5), lambda: nn.RNN(4, 5, 3, dropout=0.5)),
])
def test_names_shapes_order_and_repr_match_torch(ours, theirs):
    a, b = ours(), theirs()
    assert [(n, p.shape) for n, p in a.named_parameters()] == [
        (n, p.shape) for n, p in b.named_parameters()]
    assert repr(a) == repr(b)
    assert [[p.shape for p in ws] for ws in a.all_weights] == [
        [p.shape for p in ws] for ws in b.all_weights]
    a.flatten_parameters()  # a no-op, for drop-in compatibility
    a.load_state_dict(b.state_dict())


def test_reset_parameters_uniform_bound_and_dtype():
    layer = rn.GRU(4, 16, 2, dtype=DT)
    for p in layer.parameters():
        assert p.dtype == DT
        assert p.abs().max() <= 0.25
    before = layer.weight_hh_l1.detach().clone()
    layer.reset_parameters()
    assert not torch.equal(before, layer.weight_hh_l1)


def test_dropout_between_layers_only_in_training():
    torch.manual_seed(0)
    layer = rn.LSTM(4, 5, 2, dropout=0.5, dtype=DT)
    x = torch.randn(T, B, I, dtype=DT)
    layer.train()
    assert not torch.equal(layer(x)[0], layer(x)[0])
    layer.eval()
    torch.testing.assert_close(layer(x)[0], layer(x)[0], rtol=0, atol=0)
    layer.dropout = 1.0  # everything into layer 1 is dropped: same as a zero input there
    layer.train()
    out, _ = layer(x)
    top = rn.LSTM(5, 5, dtype=DT)
    top.load_state_dict({n.replace("_l1", "_l0"): p for n, p in layer.state_dict().items()
                         if n.endswith("_l1")})
    torch.testing.assert_close(out, top(torch.zeros(T, B, 5, dtype=DT))[0])


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="num_layers=1"):
        rn.RNN(4, 5, dropout=0.3)


def test_batch_first_and_unbatched_shapes():
    layer = rn.LSTM(4, 5, 2, batch_first=True, bidirectional=True, proj_size=3, dtype=DT)
    out, (h, c) = layer(torch.randn(B, T, I, dtype=DT))
    assert out.shape == (B, T, 6) and h.shape == (4, B, 3) and c.shape == (4, B, 5)
    out, (h, c) = layer(torch.randn(T, I, dtype=DT))
    assert out.shape == (T, 6) and h.shape == (4, 3) and c.shape == (4, 5)


# ----------------------------------------------------------------------------- errors

def _msg(*parts: str) -> str:
    return ".*".join(re.escape(p) for p in parts)


@pytest.mark.parametrize("cls", [rn.RNN, rn.GRU, rn.LSTM])
def test_input_errors_name_expected_and_received(cls):
    layer = cls(4, 5, 2, dtype=DT)
    with pytest.raises(ValueError, match=_msg("Expected input to be 2D or 3D", "4D")):
        layer(torch.zeros(1, 2, 3, 4, dtype=DT))
    with pytest.raises(ValueError, match=_msg("Expected input to be 2D or 3D", "1D")):
        layer(torch.zeros(4, dtype=DT))
    with pytest.raises(ValueError, match=_msg("Expected 4, got 6")):
        layer(torch.zeros(T, B, 6, dtype=DT))
    with pytest.raises(ValueError, match=_msg("torch.float32", "does not match", "torch.float64")):
        layer(torch.zeros(T, B, 4))


def test_hx_shape_errors():
    rnn = rn.RNN(4, 5, 2, dtype=DT)
    x = torch.zeros(T, B, I, dtype=DT)
    with pytest.raises(ValueError, match=_msg("Expected hidden size (2, 3, 5), got [1, 3, 5]")):
        rnn(x, torch.zeros(1, B, 5, dtype=DT))
    with pytest.raises(ValueError, match=_msg("unbatched", "2-D", "3-D")):
        rnn(torch.zeros(T, I, dtype=DT), torch.zeros(2, 1, 5, dtype=DT))
    with pytest.raises(ValueError, match="hidden dtype"):
        rnn(x, torch.zeros(2, B, 5))
    lstm = rn.LSTM(4, 5, proj_size=2, bidirectional=True, dtype=DT)
    h, c = torch.zeros(2, B, 2, dtype=DT), torch.zeros(2, B, 5, dtype=DT)
    with pytest.raises(ValueError, match=_msg("Expected hidden[0] size (2, 3, 2), got [2, 3, 5]")):
        lstm(x, (c, c))
    with pytest.raises(ValueError, match=_msg("Expected hidden[1] size (2, 3, 5), got [2, 3, 2]")):
        lstm(x, (h, h))
    with pytest.raises(ValueError, match="tuple of 2"):
        lstm(x, h)
    packed = pack_padded_sequence(x, torch.tensor([5, 2, 1]))
    with pytest.raises(ValueError, match=_msg("Expected hidden[0] size (2, 3, 2), got [2, 2, 2]")):
        lstm(packed, (h[:, :2], c[:, :2]))


@pytest.mark.parametrize(("make", "match"), [
    (lambda: rn.RNN(0, 5), "input_size"),
    (lambda: rn.GRU(4, -1), "hidden_size"),
    (lambda: rn.LSTM(4, 5, 0), "num_layers"),
    (lambda: rn.RNN(4, 5, nonlinearity="softsign"), "nonlinearity"),
    (lambda: rn.GRU(4, 5, backend="cudnn"), "backend"),
    (lambda: rn.LSTM(4, 5, dropout=1.5), "dropout"),
    (lambda: rn.LSTM(4, 5, dropout=-0.1), "dropout"),
    (lambda: rn.LSTM(4, 5, proj_size=5), "proj_size has to be smaller"),
    (lambda: rn.LSTM(4, 5, proj_size=-1), "proj_size"),
    (lambda: rn.LSTM(4, 5, coupled=True, forget_gate=False), "coupled"),
    (lambda: rn.LSTM(4, 5, forget_bias=float("nan")), "forget_bias"),
    (lambda: rn.LSTMCell(4, 5, proj_size=7), "proj_size"),
    (lambda: rn.LSTMCell(4, 5, coupled=True, forget_gate=False), "coupled"),
    (lambda: rn.RNNCell(4, 0), "hidden_size"),
    (lambda: rn.RNNCell(4, 5, nonlinearity="gelu"), "nonlinearity"),
])
def test_invalid_options_raise_value_error(make, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=match):
            make()


def test_proj_size_with_layer_norm_is_fine():
    layer = rn.LSTM(4, 5, proj_size=2, layer_norm=True, dtype=DT)
    out, (h, c) = layer(torch.randn(T, B, I, dtype=DT))
    assert out.shape == (T, B, 2) and h.shape == (1, B, 2) and c.shape == (1, B, 5)
