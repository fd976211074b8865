"""Tracing, exporting and compiling rnnlab layers: torch.jit.trace, torch.onnx.export (checked
with onnxruntime, the optional ``onnx`` extra), torch.export and torch.compile either give the
layer's own numbers, for other lengths and batches too, or refuse with a clear error."""

from __future__ import annotations

import io
import warnings

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

import rnnlab.nn as rn
from rnnlab.nn.torch_kernel import TraceError

TORCH_CONFIGS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "bias": False}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {}),
    ("GRU", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
]
VARIANTS = [
    ("LSTM", {"peephole": True}),
    ("LSTM", {"layer_norm": True}),
    ("LSTM", {"coupled": True}),
    ("LSTM", {"forget_gate": False}),
    ("GRU", {"reset_after": False}),
    ("RNN", {"nonlinearity": "sigmoid"}),
]


def config_id(config: tuple) -> str:
    family, options = config
    return "-".join([family, *(f"{k}={v}" for k, v in options.items())])


def make(config: tuple) -> torch.nn.Module:
    family, options = config
    torch.manual_seed(0)
    return getattr(rn, family)(3, 4, **options).eval()


def seq(T: int, B: int, batch_first: bool = False) -> torch.Tensor:
    g = torch.Generator().manual_seed(T * 100 + B)
    return torch.randn((B, T, 3) if batch_first else (T, B, 3), generator=g)


# ----------------------------------------------------------------------------- ONNX


def onnx_export(layer: torch.nn.Module, x: torch.Tensor, **kwargs: object) -> bytes:
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(layer, (x,), f, dynamo=False, **kwargs)
    return f.getvalue()


@pytest.mark.parametrize("config", TORCH_CONFIGS, ids=config_id)
def test_onnx_export_uses_onnx_rnn_ops_and_matches_for_other_lengths(config: tuple) -> None:
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    family, options = config
    layer = make(config)
    bf = options.get("batch_first", False)
    time_axis, batch_axis = (1, 0) if bf else (0, 1)
    axes = {time_axis: "T", batch_axis: "B"}
    model = onnx_export(layer, seq(4, 2, bf), input_names=["x"], output_names=["out", "h"],
                        dynamic_axes={"x": axes, "out": axes})
    graph = onnx.load_from_string(model).graph
    assert [i.name for i in graph.input] == ["x"]
    assert {"LSTM": "LSTM", "GRU": "GRU", "RNN": "RNN"}[family] in {n.op_type for n in graph.node}
    session = ort.InferenceSession(model)
    for T, B in [(4, 2), (9, 5), (1, 1)]:
        x = seq(T, B, bf)
        (got,) = session.run(["out"], {"x": x.numpy()})
        want = layer(x)[0].detach().numpy()
        assert got.shape == want.shape
        assert abs(got - want).max() < 1e-5


def test_onnx_export_with_initial_states_as_inputs() -> None:
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    layer = make(("LSTM", {"num_layers": 2}))
    h0, c0 = torch.randn(2, 3, 4), torch.randn(2, 3, 4)
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(layer, (seq(5, 3), (h0, c0)), f, dynamo=False,
                          input_names=["x", "h0", "c0"], output_names=["out", "hn", "cn"],
                          dynamic_axes={"x": {0: "T"}, "out": {0: "T"}})
    session = ort.InferenceSession(f.getvalue())
    x = seq(8, 3)
    got = session.run(None, {"x": x.numpy(), "h0": h0.numpy(), "c0": c0.numpy()})
    out, (hn, cn) = layer(x, (h0, c0))
    for a, b in zip(got, (out, hn, cn), strict=True):
        assert abs(a - b.detach().numpy()).max() < 1e-5


@pytest.mark.parametrize("config", VARIANTS, ids=config_id)
def test_onnx_export_of_a_variant_torch_lacks_is_refused(config: tuple) -> None:
    with pytest.raises(TraceError, match=r"no torch\.nn equivalent"):
        onnx_export(make(config), seq(4, 2))


@pytest.mark.slow  # the dynamo exporter takes ~5 s per model here
@pytest.mark.parametrize("config", [("LSTM", {}), ("LSTM", {"peephole": True})], ids=config_id)
def test_onnx_dynamo_export_is_right_for_its_length_and_refuses_others(config: tuple) -> None:
    pytest.importorskip("onnxscript")
    ort = pytest.importorskip("onnxruntime")
    layer = make(config)
    program = torch.onnx.export(layer, (seq(4, 2),), dynamo=True)
    session = ort.InferenceSession(program.model_proto.SerializeToString())
    name = session.get_inputs()[0].name
    got = session.run(None, {name: seq(4, 2).numpy()})[0]
    assert abs(got - layer(seq(4, 2))[0].detach().numpy()).max() < 1e-5
    with pytest.raises(Exception, match="dimensions"):  # onnxruntime: static T
        session.run(None, {name: seq(6, 2).numpy()})


# ----------------------------------------------------------------------------- jit.trace


@pytest.mark.parametrize("config", TORCH_CONFIGS, ids=config_id)
def test_jit_trace_holds_for_other_lengths_and_batches(config: tuple) -> None:
    layer = make(config)
    bf = config[1].get("batch_first", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TracerWarnings about shapes read as ints
        traced = torch.jit.trace(layer, (seq(4, 2, bf),))
    for T, B in [(4, 2), (7, 3), (1, 1)]:
        x = seq(T, B, bf)
        torch.testing.assert_close(traced(x)[0], layer(x)[0])


class PackedTagger(torch.nn.Module):
    """Packs padded input by length (unsorted), as user code does around a recurrent layer."""

    def __init__(self, layer: torch.nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, ...]:
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, h = self.layer(packed)
        return out.data, h[0] if isinstance(h, tuple) else h


@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
def test_jit_trace_of_packed_input_holds_for_other_lengths(family: str) -> None:
    model = PackedTagger(make((family, {"num_layers": 2, "bidirectional": True})))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(model, (seq(5, 3), torch.tensor([5, 3, 2])))
    x, lengths = seq(7, 4), torch.tensor([7, 2, 6, 1])
    for got, want in zip(traced(x, lengths), model(x, lengths), strict=True):
        torch.testing.assert_close(got, want)


@pytest.mark.parametrize("config", VARIANTS, ids=config_id)
def test_jit_trace_of_a_variant_is_refused(config: tuple) -> None:
    with pytest.raises(TraceError, match=r"torch\.export"):
        torch.jit.trace(make(config), (seq(4, 2),))


def test_jit_script_is_refused_with_torchs_own_error() -> None:
    """TorchScript cannot compile the Python layers (nor does rnnlab claim it): torch says so."""
    with pytest.raises(Exception):  # noqa: B017 - torch's frontend raises several types
        torch.jit.script(rn.LSTM(3, 4))


# ----------------------------------------------------------------------------- torch.export


@pytest.mark.parametrize("config", [TORCH_CONFIGS[3], VARIANTS[0], VARIANTS[4]], ids=config_id)
def test_torch_export_matches_and_guards_the_length(config: tuple) -> None:
    layer = make(config)
    program = torch.export.export(layer, (seq(4, 2),))
    torch.testing.assert_close(program.module()(seq(4, 2))[0], layer(seq(4, 2))[0])
    with pytest.raises(Exception, match="size"):  # a guard on T, not a wrong number
        program.module()(seq(6, 2))


# ----------------------------------------------------------------------------- torch.compile


@pytest.mark.slow  # compiling an unrolled loop takes 7-20 s here
@pytest.mark.parametrize("family", ["RNN", "LSTM", "GRU"])
def test_torch_compile_fullgraph_matches_eager(family: str) -> None:
    layer = make((family, {}))
    compiled = torch.compile(layer, fullgraph=True)
    torch.testing.assert_close(compiled(seq(5, 2))[0], layer(seq(5, 2))[0])
