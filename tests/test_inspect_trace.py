"""Traces: the re-run equals the real forward for every family and LSTM variant (2 layers,
bidirectional, lengths); dL/dh_t and dL/dc_t equal gradients taken through the real layers;
the model is left as it was; gate saturation counts what it should."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from rnnlab.errors import UserError
from rnnlab.inspect import gate_saturation, trace
from rnnlab.models import ModelConfig, build_model
from rnnlab.nn import GRU, LSTM, RNN
from rnnlab.tasks import make_task
from rnnlab.tasks.base import TaskSpec

SPEC = TaskSpec("tokens", 7, "classes", 3, many_to_many=False, bidirectional_ok=True)
LM_SPEC = TaskSpec("tokens", 7, "classes", 7, many_to_many=True)
B, T = 4, 6
LENGTHS = torch.tensor([6, 2, 4, 5])

# (family, options, expected gates)
VARIANTS = [
    ("rnn", {}, ()),
    ("rnn", {"nonlinearity": "relu"}, ()),
    ("gru", {}, ("r", "z", "n")),
    ("gru", {"reset_after": False}, ("r", "z", "n")),
    ("lstm", {}, ("i", "f", "g", "o")),
    ("lstm", {"forget_gate": False}, ("i", "g", "o")),
    ("lstm", {"coupled": True}, ("i", "f", "g", "o")),
    ("lstm", {"peephole": True}, ("i", "f", "g", "o")),
    ("lstm", {"layer_norm": True}, ("i", "f", "g", "o")),
    ("lstm", {"proj_size": 3}, ("i", "f", "g", "o")),
    ("lstm", {"forget_gate": False, "peephole": True, "proj_size": 2}, ("i", "g", "o")),
    (
        "lstm",
        {"coupled": True, "peephole": True, "layer_norm": True, "proj_size": 3},
        ("i", "f", "g", "o"),
    ),
]


def variant_id(v: tuple) -> str:
    return v[0] + "-" + "-".join(f"{k}={val}" for k, val in v[1].items())


def make_model(family: str, opts: dict, spec: TaskSpec = SPEC, seed: int = 0, **config):
    torch.manual_seed(seed)
    cfg = ModelConfig(family=family, hidden_size=5, **(config | opts))
    # float64: the re-run and the real (hand-written backward) path agree to ~1e-15
    return build_model(cfg, spec).double()


def tokens(seed: int = 1, batch: int = B, steps: int = T) -> Tensor:
    return torch.randint(0, 7, (batch, steps), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_trace_reproduces_the_real_forward(variant: tuple) -> None:
    family, opts, gates = variant
    model = make_model(family, opts, num_layers=2, bidirectional=True)
    x = tokens()
    tr = trace(model, x, LENGTHS)
    with torch.no_grad():
        out, state = model(x, LENGTHS)
        # the real layer's own output, both directions of the top layer
        v = model.encoder(x, torch.float64)
        real, _ = model.stack.run_recurrent(v, LENGTHS)  # (B, T, 2P)
    torch.testing.assert_close(tr.output, out, atol=1e-12, rtol=0)
    traced_top = torch.cat([tr.h(-1, 0), tr.h(-1, 1)], -1).transpose(0, 1)
    torch.testing.assert_close(traced_top, real, atol=1e-12, rtol=0)
    real_finals = state if isinstance(state, tuple) else (state,)
    traced_finals = tr.final_state if isinstance(tr.final_state, tuple) else (tr.final_state,)
    for a, b in zip(traced_finals, real_finals, strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=0)
    assert tr.rerun_error < 1e-12
    # layout: (T, B, ·) per (layer, direction), the gates the variant has, zeros past lengths
    P = opts.get("proj_size") or 5
    assert tr.keys == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert tr.gate_names == gates
    outside = ~tr.mask
    for key in tr.keys:
        layer, d = key
        assert tr.h(layer, d).shape == (T, B, P)
        assert set(tr.gates(layer, d)) == set(gates)
        tensors = [tr.h(layer, d), tr.dh(layer, d), *tr.gates(layer, d).values()]
        if family == "lstm":
            assert tr.c(layer, d).shape == (T, B, 5)
            tensors += [tr.c(layer, d), tr.dc(layer, d)]
        for t in tensors:
            assert bool((t[outside] == 0).all())
        if opts.get("coupled"):  # the coupled cell's input gate is 1 - f, on real steps
            g = tr.gates(layer, d)
            torch.testing.assert_close((g["i"] + g["f"])[tr.mask], torch.ones_like(g["i"][tr.mask]))


def test_trace_of_a_language_model_and_of_bare_layers() -> None:
    model = make_model("lstm", {"peephole": True}, spec=LM_SPEC, num_layers=2)
    x = tokens()
    tr = trace(model, x, LENGTHS)
    with torch.no_grad():
        out, _ = model(x, LENGTHS)
    torch.testing.assert_close(tr.output, out, atol=1e-12, rtol=0)
    assert tr.mask.sum(0).tolist() == LENGTHS.tolist()
    # every sequence shorter than the padded input: the trace still has the input's T steps
    short = torch.tensor([4, 2, 3, 1])
    tr = trace(model, x, short)
    with torch.no_grad():
        out, _ = model(x, short)
    torch.testing.assert_close(tr.output, out, atol=1e-12, rtol=0)
    assert tr.h(1).shape[0] == T and tr.mask.sum(0).tolist() == short.tolist()
    assert bool((tr.dh(0)[4:] == 0).all()) and bool((tr.dh(0)[0] != 0).any())

    torch.manual_seed(3)
    for layer in (RNN(3, 4, num_layers=2, bidirectional=True), GRU(3, 4), LSTM(3, 5, proj_size=2)):
        layer = layer.double()
        xf = torch.randn(T, B, 3, dtype=torch.float64)
        tr = trace(layer, xf, LENGTHS)
        with torch.no_grad():
            packed = torch.nn.utils.rnn.pack_padded_sequence(xf, LENGTHS, enforce_sorted=False)
            real, _ = torch.nn.utils.rnn.pad_packed_sequence(layer(packed)[0], total_length=T)
        torch.testing.assert_close(tr.output, real, atol=1e-12, rtol=0)
        # unbatched (T, I) input: one row
        tr1 = trace(layer, xf[:, 0])
        with torch.no_grad():
            real1, _ = layer(xf[:, 0])
        torch.testing.assert_close(tr1.output, real1, atol=1e-12, rtol=0)
        assert tr1.h(0).shape[1] == 1


# -- gradients against the real layers ------------------------------------------------------


def single_layers(stack: RNN | GRU | LSTM) -> list:
    """One-layer, one-direction copies of each layer of a unidirectional stack (real layers)."""
    layers = []
    for k in range(stack.num_layers):
        width = stack.input_size if k == 0 else (stack.proj_size or stack.hidden_size)
        if isinstance(stack, LSTM):
            one = LSTM(
                width,
                stack.hidden_size,
                proj_size=stack.proj_size,
                forget_gate=stack.forget_gate,
                peephole=stack.peephole,
                coupled=stack.coupled,
                layer_norm=stack.layer_norm,
            )
        elif isinstance(stack, GRU):
            one = GRU(width, stack.hidden_size, reset_after=stack.reset_after)
        else:
            one = RNN(width, stack.hidden_size, nonlinearity=stack.nonlinearity)
        one = one.double()
        with torch.no_grad():
            for name, p in one.named_parameters():
                p.copy_(getattr(stack, name.replace("_l0", f"_l{k}")))
        layers.append(one)
    return layers


def as_tuple(state: Tensor | tuple) -> tuple[Tensor, ...]:
    return state if isinstance(state, tuple) else (state,)


def grad_of_state(layer, x: Tensor, t: int, downstream) -> tuple[Tensor, ...]:
    """dL/d(state after step t) of ``layer`` on x (T, B, I), by splitting the real run at t:
    the state becomes a leaf, the rest of the sequence runs from it, and the loss is
    ``downstream(outputs of every step)``."""
    with torch.no_grad():
        before, state = layer(x[: t + 1])
    leaves = tuple(s.clone().requires_grad_(True) for s in as_tuple(state))
    hx = leaves[0] if len(leaves) == 1 else leaves
    parts = [before[:t], leaves[0]]  # the layer's output at step t is its h
    if t + 1 < x.shape[0]:
        parts.append(layer(x[t + 1 :], hx)[0])
    loss = downstream(torch.cat(parts))
    grads = torch.autograd.grad(loss, leaves, allow_unused=True)  # c_T is used by no step
    return tuple(
        torch.zeros_like(s[0]) if g is None else g[0] for g, s in zip(grads, leaves, strict=True)
    )


def total_cell_grad(
    partial_dc: Tensor, dh: Tensor, o: Tensor, c: Tensor, layer: LSTM, k: int, suffix: str = ""
) -> Tensor:
    """dL/dc_t in total from the split's partial one (h_t held fixed): add the path through
    h_t = W_hr (o * tanh(c_t)), with o = sigmoid(a_o + p_o * c_t) for peepholes (no LN)."""
    u = dh @ getattr(layer, f"weight_hr_l{k}{suffix}") if layer.proj_size else dh
    total = partial_dc + u * o * (1 - torch.tanh(c) ** 2)
    if layer.peephole:
        p_o = getattr(layer, f"weight_peephole_l{k}{suffix}")[-1]
        total = total + u * torch.tanh(c) * o * (1 - o) * p_o
    return total


@pytest.mark.parametrize(
    "stack",
    [
        lambda: RNN(3, 4, num_layers=2),
        lambda: GRU(3, 4, num_layers=2, reset_after=False),
        lambda: LSTM(3, 4, num_layers=2),
        lambda: LSTM(3, 5, num_layers=2, proj_size=2, peephole=True),
        lambda: LSTM(3, 4, num_layers=2, forget_gate=False, peephole=True),
        lambda: LSTM(3, 4, num_layers=2, coupled=True, layer_norm=True),
    ],
    ids=["rnn", "gru-reset-before", "lstm", "lstmp-peep", "lstm1997-peep", "cifg-ln"],
)
def test_gradients_are_total_derivatives_through_the_unrolled_graph(stack) -> None:
    """dL/dh_t and dL/dc_t from the trace against the real (hand-written backward) layers,
    run in two pieces around step t with that step's state as a leaf."""
    torch.manual_seed(0)
    stack = stack().double()
    x = torch.randn(T, 2, 3, dtype=torch.float64)
    P = stack.proj_size or stack.hidden_size
    weights = torch.randn(T, 2, P, dtype=torch.float64)  # every step's output enters the loss

    def loss_fn(out: Tensor) -> Tensor:
        return (out * weights).sum()

    tr = trace(stack, x, loss_fn=loss_fn)
    first, second = single_layers(stack)
    with torch.no_grad():
        mid = first(x)[0]
    check_cell = isinstance(stack, LSTM) and not stack.layer_norm
    for t in (0, 2, T - 1):
        # layer 1 (top): the loss reads its outputs directly; layer 0: through its own later
        # steps and through layer 1
        for k, got in (
            (1, grad_of_state(second, mid, t, loss_fn)),
            (0, grad_of_state(first, x, t, lambda out: loss_fn(second(out)[0]))),
        ):
            torch.testing.assert_close(tr.dh(k)[t], got[0], atol=1e-12, rtol=1e-10)
            if check_cell:
                o, c = tr.gates(k)["o"][t], tr.c(k)[t]
                expected = total_cell_grad(got[1], got[0], o, c, stack, k)
                torch.testing.assert_close(tr.dc(k)[t], expected, atol=1e-12, rtol=1e-10)


def test_backward_direction_gradients_with_lengths() -> None:
    """The reverse direction of row b is a forward layer (reverse weights) on that row read
    backwards within its own length; its gradients must land at the same input positions."""
    torch.manual_seed(1)
    layer = LSTM(3, 4, bidirectional=True, peephole=True).double()
    x = torch.randn(T, B, 3, dtype=torch.float64)
    weights = torch.randn(T, B, 8, dtype=torch.float64)
    tr = trace(layer, x, LENGTHS, loss_fn=lambda out: (out * weights).sum())
    backward = LSTM(3, 4, peephole=True).double()
    with torch.no_grad():
        for name, p in backward.named_parameters():
            p.copy_(getattr(layer, name + "_reverse"))
    for b, L in enumerate(LENGTHS.tolist()):
        xr = x[:L, b : b + 1].flip(0)  # (L, 1, 3)
        wr = weights[:L, b : b + 1, 4:].flip(0)
        for j in (0, L - 1):  # step j of the reversed run is input position L - 1 - j
            dh, dc = grad_of_state(backward, xr, j, lambda out, wr=wr: (out * wr).sum())
            s = L - 1 - j
            torch.testing.assert_close(tr.dh(0, 1)[s, b], dh[0], atol=1e-12, rtol=1e-10)
            o, c = tr.gates(0, 1)["o"][s, b], tr.c(0, 1)[s, b]
            expected = total_cell_grad(dc[0], dh[0], o, c, layer, 0, "_reverse")
            torch.testing.assert_close(tr.dc(0, 1)[s, b], expected, atol=1e-12, rtol=1e-10)


def test_hand_computable_gradients_of_a_linear_unit() -> None:
    """h_t = relu(w h_{t-1} + x_t) with positive inputs is linear: dL/dh_t = w^(L-1-t) for a
    loss reading the last step of each row."""
    layer = RNN(1, 1, nonlinearity="relu").double()
    with torch.no_grad():
        layer.weight_hh_l0.fill_(0.9)
        layer.weight_ih_l0.fill_(1.0)
        layer.bias_ih_l0.zero_()
        layer.bias_hh_l0.zero_()
    x = torch.rand(T, 2, 1, dtype=torch.float64) + 0.1
    lengths = torch.tensor([T, 3])
    rows = torch.arange(2)

    def last_step(out: Tensor) -> Tensor:
        return out[lengths - 1, rows].sum()

    tr = trace(layer, x, lengths, loss_fn=last_step)
    for b, L in enumerate(lengths.tolist()):
        expected = 0.9 ** (L - 1 - torch.arange(L, dtype=torch.float64))
        torch.testing.assert_close(tr.dh(0)[:L, b, 0], expected)
        assert bool((tr.dh(0)[L:, b] == 0).all())


# -- losses, modes, parameters ----------------------------------------------------------------


def test_task_loss_and_custom_losses() -> None:
    task = make_task("cue-word", gap=(3, 6), eval_size=8)
    model = make_model("gru", {}, spec=task.spec)
    batch = next(iter(task.batches("test", 8)))
    assert batch.lengths is not None  # the gap range gives rows of different lengths
    tr = trace(model, batch, task=task)
    with torch.no_grad():
        out, _ = model(batch.x, batch.lengths)
    assert tr.loss == pytest.approx(float(task.loss(out, batch)), rel=1e-12)
    assert tr.mask.sum(0).tolist() == batch.lengths.tolist()

    target = torch.randn_like(out)
    tr2 = trace(model, batch.x, batch.lengths, loss_fn=torch.nn.functional.mse_loss, target=target)
    assert tr2.loss == pytest.approx(float(torch.nn.functional.mse_loss(out, target)))
    tr3 = trace(model, batch.x, batch.lengths)  # default: the sum of the output
    assert tr3.loss == pytest.approx(float(out.sum()))
    # the gradients follow the loss: the sum and the task loss weight the steps differently
    assert not torch.allclose(tr.dh(0), tr3.dh(0))


def test_trace_leaves_parameters_grads_and_mode_alone() -> None:
    model = make_model("lstm", {"peephole": True}, num_layers=2, dropout=0.5)
    model.train()
    for p in model.parameters():
        p.grad = torch.full_like(p, 7.0)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    x = tokens()
    tr = trace(model, x, LENGTHS)
    assert model.training
    for n, p in model.named_parameters():
        assert torch.equal(p, before[n])
        assert bool((p.grad == 7.0).all())
    # dropout was off: the trace equals the eval-mode forward, not a dropped-out one
    model.eval()
    with torch.no_grad():
        out, _ = model(x, LENGTHS)
    torch.testing.assert_close(tr.output, out, atol=1e-12, rtol=0)


def test_grads_false_and_errors() -> None:
    model = make_model("gru", {})
    tr = trace(model, tokens(), grads=False)
    assert tr.loss is None and tr.h(0).shape == (T, B, 5)
    with pytest.raises(UserError, match="grads=False"):
        tr.dh()
    with pytest.raises(UserError, match="only the LSTM"):
        tr.c()
    with pytest.raises(UserError, match="out of range"):
        tr.h(layer=3)
    mlp = build_model(ModelConfig(family="mlp", hidden_size=4), SPEC)
    with pytest.raises(UserError, match="nothing to trace"):
        trace(mlp, tokens())
    with pytest.raises(UserError, match="loss_fn"):
        trace(model, tokens(), target=torch.zeros(1))


def test_to_numpy_and_summary() -> None:
    model = make_model("lstm", {}, num_layers=1, bidirectional=True)
    tr = trace(model, tokens(), LENGTHS)
    data = tr.to_numpy()
    assert set(data["layers"]) == {"l0", "l0_reverse"}
    entry = data["layers"]["l0_reverse"]
    assert {"h", "c", "dh", "dc", "gates"} <= set(entry)
    assert entry["gates"]["f"].shape == (T, B, 5)
    assert data["lengths"] == LENGTHS.tolist()
    summary = tr.summary()
    f_mean = summary["layers"]["l0"]["gate_mean"]["f"]
    f = tr.gates(0, 0)["f"]
    assert f_mean == pytest.approx(float(f[tr.mask].mean()))
    assert set(summary["saturation"][0]) == {"i", "f", "o"}  # sigmoid gates only
    gru = trace(make_model("gru", {}), tokens()).to_numpy()
    assert "c" not in gru["layers"]["l0"] and set(gru["layers"]["l0"]["gates"]) == {"r", "z", "n"}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_trace_on_cuda() -> None:
    model = make_model("lstm", {}, num_layers=2).cuda()
    tr = trace(model, tokens().cuda(), LENGTHS)
    assert tr.h(1).device.type == "cuda" and tr.rerun_error < 1e-12


# -- gate saturation ---------------------------------------------------------------------------


def test_gate_saturation_counts_real_steps_per_gate() -> None:
    """Gates pinned by their biases: i = sigmoid(-10) ~ 0, f = sigmoid(10) ~ 1, o = 0.5."""
    layer = LSTM(2, 3, num_layers=2, bidirectional=True)
    with torch.no_grad():
        for name, p in layer.named_parameters():
            p.zero_()
            if name.startswith("bias_ih"):
                p[0:3], p[3:6] = -10.0, 10.0  # i, f blocks (order i, f, g, o)
    x = torch.randn(T, B, 2)
    tr = trace(layer, x, LENGTHS, grads=False)
    sat = gate_saturation(tr)
    real = int(LENGTHS.sum())
    for layer_index in (0, 1):
        assert sat[layer_index]["i"]["low"] == 1.0 and sat[layer_index]["i"]["high"] == 0.0
        assert sat[layer_index]["f"]["high"] == 1.0 and sat[layer_index]["f"]["low"] == 0.0
        assert sat[layer_index]["o"]["low"] == 0.0 and sat[layer_index]["o"]["high"] == 0.0
        assert sat[layer_index]["o"]["count"] == real * 3 * 2  # steps x units x directions
    # the thresholds are configurable: o = 0.5 is "closed" below 0.6
    assert gate_saturation(tr, low=0.6, high=0.95)[0]["o"]["low"] == 1.0
    assert set(gate_saturation(tr, gates=["g"])[0]) == {"g"}
    with pytest.raises(UserError):
        gate_saturation(tr, gates=["r"])
