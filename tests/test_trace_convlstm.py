"""Traces of the ConvLSTM: the re-run equals the layer (output, h_n, c_n), its recorded gates
equal the reference step's, dL/dh_t and the gradient flow equal autograd's through a manual
loop, gate saturation and unit activity count channels x pixels, and the video model traces."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from rnnlab.bptt.reference import conv_lstm_step
from rnnlab.errors import UserError
from rnnlab.inspect import (
    find_recurrent_layer,
    flow_from_trace,
    gate_saturation,
    gradient_flow,
    trace,
    unit_activity,
)
from rnnlab.inspect.rerun import rerun_layer
from rnnlab.models import ModelConfig, build_model
from rnnlab.nn import ConvLSTM
from rnnlab.tasks import make_task

B, T, C, HF, WF, H = 2, 4, 2, 6, 6, 3
GATES = ("i", "f", "g", "o")


def layer_and_input(num_layers: int, peephole: bool, frame: bool = False,
                    batch_first: bool = True) -> tuple[ConvLSTM, Tensor, tuple[Tensor, Tensor]]:
    torch.manual_seed(0)
    layer = ConvLSTM(C, H, 3, num_layers=num_layers, batch_first=batch_first,
                     peephole=peephole, frame_size=(HF, WF) if frame else None).double()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(B, T, C, HF, WF, generator=g, dtype=torch.double)
    if not batch_first:
        x = x.transpose(0, 1)
    hx = tuple(torch.randn(num_layers, B, H, HF, WF, generator=g, dtype=torch.double)
               for _ in range(2))
    return layer, x, hx


def manual_loop(layer: ConvLSTM, x: Tensor, hx: tuple[Tensor, Tensor]
                ) -> tuple[Tensor, list[list[Tensor]], list[list[Tensor]], list[list[dict]]]:
    """x (B, T, ...) stepped by hand through the reference cell: the top layer's output
    (B, T, H, Hf, Wf) and, per layer and step, h_t, c_t and the recorded gates."""
    states = [(hx[0][k], hx[1][k]) for k in range(layer.num_layers)]
    hs, cs, gates = ([[] for _ in states] for _ in range(3))
    outs = []
    for t in range(x.shape[1]):
        inp = x[:, t]
        for k in range(layer.num_layers):
            record: dict[str, Tensor] = {}
            h, c = conv_lstm_step(inp, *states[k], layer.weights(k), record=record)
            states[k] = (h, c)
            hs[k].append(h)
            cs[k].append(c)
            gates[k].append(record)
            inp = h
        outs.append(inp)
    return torch.stack(outs, 1), hs, cs, gates


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("peephole,frame", [(False, False), (True, False), (True, True)])
@pytest.mark.parametrize("given", [True, False])
def test_rerun_equals_the_layer(num_layers: int, peephole: bool, frame: bool,
                                given: bool) -> None:
    layer, x, hx = layer_and_input(num_layers, peephole, frame)
    state = hx if given else None
    out, (h_n, c_n) = layer(x, state)
    re_out, (re_h, re_c), rec = rerun_layer(layer, x, state)
    torch.testing.assert_close(re_out, out, rtol=0, atol=1e-12)
    torch.testing.assert_close(re_h, h_n, rtol=0, atol=1e-12)
    torch.testing.assert_close(re_c, c_n, rtol=0, atol=1e-12)
    assert set(rec.steps) == {(k, 0) for k in range(num_layers)}
    for steps in rec.steps.values():
        assert set(steps) == {"h", "c", *GATES}
        assert all(len(v) == T and v[0].shape == (B, H, HF, WF) for v in steps.values())
    assert rec.mask.shape == (T, B) and bool(rec.mask.all())


def test_rerun_takes_the_time_major_layout() -> None:
    layer, x, hx = layer_and_input(2, True, batch_first=False)
    out, (h_n, c_n) = layer(x, hx)
    re_out, (re_h, re_c), _ = rerun_layer(layer, x, hx)
    torch.testing.assert_close(re_out, out, rtol=0, atol=1e-12)
    torch.testing.assert_close(re_h, h_n, rtol=0, atol=1e-12)
    torch.testing.assert_close(re_c, c_n, rtol=0, atol=1e-12)


@pytest.mark.parametrize("peephole", [False, True])
def test_recorded_steps_equal_the_reference_step(peephole: bool) -> None:
    layer, x, hx = layer_and_input(2, peephole)
    _, hs, cs, gates = manual_loop(layer, x, hx)
    _, _, rec = rerun_layer(layer, x, hx)
    for k in range(2):
        steps = rec.steps[(k, 0)]
        for t in range(T):
            torch.testing.assert_close(steps["h"][t], hs[k][t], rtol=0, atol=1e-12)
            torch.testing.assert_close(steps["c"][t], cs[k][t], rtol=0, atol=1e-12)
            for g in GATES:
                torch.testing.assert_close(steps[g][t], gates[k][t][g], rtol=0, atol=1e-12)


def test_trace_gradients_and_flow_equal_autograd() -> None:
    """dL/dh_t and dL/dc_t of both layers, their norms over channels and pixels and the
    gradient flow by distance equal torch.autograd.grad through a manual loop."""
    layer, x, hx = layer_and_input(2, True)
    weights = torch.randn(B, T, H, HF, WF, generator=torch.Generator().manual_seed(2),
                          dtype=torch.double)

    def loss_fn(out: Tensor) -> Tensor:
        return (out * weights).sum()

    out, hs, cs, _ = manual_loop(layer, x, hx)
    flat = [t for k in range(2) for t in hs[k] + cs[k]]
    grads = torch.autograd.grad(loss_fn(out), flat)
    tr = trace(layer, x, state=hx, loss_fn=loss_fn)
    assert tr.family == "convlstm" and tr.gate_names == GATES and tr.rerun_error < 1e-12
    for k in range(2):
        dh = torch.stack(grads[2 * k * T : (2 * k + 1) * T])  # (T, B, H, Hf, Wf)
        dc = torch.stack(grads[(2 * k + 1) * T : (2 * k + 2) * T])
        torch.testing.assert_close(tr.dh(k), dh, rtol=0, atol=1e-12)
        torch.testing.assert_close(tr.dc(k), dc, rtol=0, atol=1e-12)
        flow = flow_from_trace(tr, layer=k)
        norms = dh.flatten(2).norm(dim=-1).mean(1)  # (T,): the batch mean at each step
        cell = dc.flatten(2).norm(dim=-1).mean(1)
        assert flow["distance"] == list(range(T))
        assert flow["norm"] == pytest.approx(norms.flip(0).tolist(), rel=1e-12)
        assert flow["cell_norm"] == pytest.approx(cell.flip(0).tolist(), rel=1e-12)
    summary = tr.summary()["layers"]["l0"]
    expected = torch.stack(grads[:T]).flatten(2).norm(dim=-1).mean()
    assert summary["mean_grad_h_norm"] == pytest.approx(float(expected), rel=1e-12)


def test_gate_saturation_counts_channels_and_pixels() -> None:
    layer, x, hx = layer_and_input(2, False)
    tr = trace(layer, x, state=hx, grads=False)
    sat = gate_saturation(tr, low=0.4, high=0.6)
    assert set(sat) == {0, 1} and set(sat[0]) == {"i", "f", "o"}  # sigmoid gates only
    for k in range(2):
        for g in ("i", "f", "o"):
            v = tr.gates(k)[g]
            assert v.shape == (T, B, H, HF, WF)
            assert sat[k][g]["count"] == T * B * H * HF * WF
            assert sat[k][g]["low"] == pytest.approx(float((v < 0.4).double().mean()))
            assert sat[k][g]["high"] == pytest.approx(float((v > 0.6).double().mean()))


class TokenConvLSTM(nn.Module):
    """Tokens -> embedded as maps -> a ConvLSTM -> pooled -> logits: a token model with a
    ConvLSTM inside, to hold unit activity to its definition for maps."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(5, C * HF * WF)
        self.rnn = ConvLSTM(C, H, 3, batch_first=True)
        self.head = nn.Linear(H, 5)

    def forward(self, x: Tensor, lengths: Tensor | None = None, state=None):
        frames = self.embed(x).view(*x.shape, C, HF, WF)
        out, state = self.rnn(frames, state)
        return self.head(out.mean((-2, -1))), state


def test_unit_activity_averages_each_channel_over_the_pixels() -> None:
    torch.manual_seed(0)
    model = TokenConvLSTM()
    vocab = list("abcde")
    passage = "abcdeedcbaab"
    whole = unit_activity(model, vocab, passage)
    chunked = unit_activity(model, vocab, passage, chunk_len=5)  # the state carried over
    ids = torch.tensor([[vocab.index(ch) for ch in passage]])
    tr = trace(model, ids, grads=False)
    for kind, maps in [("h", tr.h(0)), ("c", tr.c(0)), ("f", tr.gates(0)["f"])]:
        expected = maps[:, 0].mean((-2, -1)).numpy()  # (N, H): a unit is a channel
        assert whole.get(kind).shape == (len(passage), H)
        assert whole.get(kind) == pytest.approx(expected, abs=1e-6)
        assert chunked.get(kind) == pytest.approx(expected, abs=1e-5)


PARAMS = {"canvas": 12, "scale": 1, "frames": 4, "future": 4, "speeds": (1, 2), "eval_size": 4}


@pytest.mark.parametrize("question,module", [("speed", None), ("next-frame", 0)])
def test_the_video_model_traces_and_has_a_gradient_flow(question: str, module: int | None) -> None:
    """The model runs its ConvLSTM over the clip (for next frames: the encoder, module 0, then
    the forecaster's layers, each its own module, one step at a time): the trace follows every
    step of the encoder and stands in for it faithfully."""
    task = make_task("moving-digits", question=question, **PARAMS)
    batch = next(iter(task.batches("valid", 3)))
    torch.manual_seed(0)
    model = build_model(ModelConfig(family="convlstm", hidden_size=3, num_layers=2), task.spec)
    layers = [model.rnn, *getattr(model, "forecaster", [])]
    assert find_recurrent_layer(model, module) is layers[module or 0]
    if module is not None:
        with pytest.raises(UserError, match="has 3 recurrent layers; choose one with module"):
            find_recurrent_layer(model)
        # a forecaster layer runs once per predicted frame: a trace of it is refused
        with pytest.raises(UserError, match="ran more than once in one forward pass"):
            trace(model, batch, task=task, module=1)
    tr = trace(model, batch, task=task, module=module)
    assert tr.steps == 4 and tr.rerun_error < 1e-5
    assert tr.dh(0).shape == (4, 3, 3, 12, 12)
    flow = gradient_flow(model, task, batch=batch, module=module)
    assert flow["family"] == "convlstm" and len(flow["norm"]) == 4
    assert flow["relative"][0] == pytest.approx(1.0) and all(v >= 0 for v in flow["norm"])
    assert flow["cell_norm"] is not None


def test_heatmap_of_a_convlstm_checkpoint_refuses_in_one_line(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`rnnlab heatmap` colours a text passage unit by unit: a video model reads no text."""
    from helpers_cli import one_line_error

    from rnnlab.train.checkpoint import checkpoint_meta, save_checkpoint

    task = make_task("moving-digits", question="next-frame", **PARAMS)
    model = build_model(ModelConfig(family="convlstm", hidden_size=2), task.spec)
    save_checkpoint(tmp_path / "best", model, checkpoint_meta(model, task))
    one_line_error(capsys, ["heatmap", str(tmp_path / "best"), "--text", "abc",
                            "-o", str(tmp_path / "h.html")], "moving-digits", "tokens")
    assert not (tmp_path / "h.html").exists()
