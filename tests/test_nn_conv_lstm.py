"""rnnlab.nn.ConvLSTM and ConvLSTMCell: the layer against a manual loop over the cell, the
backends (bptt == reference, "fused" refused), layouts, shapes and bad arguments."""

from __future__ import annotations

import pytest
import torch

from rnnlab.errors import UserError
from rnnlab.nn import ConvLSTM, ConvLSTMCell, FusedKernelError

B, T, C, HF, WF, H = 2, 3, 2, 5, 4, 3


def video(batch_first: bool = True) -> torch.Tensor:
    x = torch.randn(B, T, C, HF, WF, generator=torch.Generator().manual_seed(0))
    return x if batch_first else x.transpose(0, 1)


@pytest.mark.parametrize("peephole,frame", [(False, None), (True, None), (True, (HF, WF))])
def test_layer_equals_loop_over_cells(peephole: bool, frame: tuple[int, int] | None) -> None:
    """Two layers, batch-first, with a given state: the layer equals two cells stepped by hand
    (the cells hold the layer's weights)."""
    torch.manual_seed(0)
    layer = ConvLSTM(C, H, 3, num_layers=2, batch_first=True, peephole=peephole,
                     frame_size=frame)
    cells = [ConvLSTMCell(C if k == 0 else H, H, 3, peephole=peephole, frame_size=frame)
             for k in range(2)]
    for k, cell in enumerate(cells):
        cell.load_state_dict({n: p for n, p in layer.direction_parameters(k).items()})
    x = video()
    h0 = torch.randn(2, B, H, HF, WF)
    c0 = torch.randn(2, B, H, HF, WF)
    out, (h_n, c_n) = layer(x, (h0, c0))
    states = [(h0[k], c0[k]) for k in range(2)]
    outs = []
    for t in range(T):
        inp = x[:, t]
        for k, cell in enumerate(cells):
            states[k] = cell(inp, states[k])
            inp = states[k][0]
        outs.append(inp)
    torch.testing.assert_close(out, torch.stack(outs, 1))
    torch.testing.assert_close(h_n, torch.stack([s[0] for s in states]))
    torch.testing.assert_close(c_n, torch.stack([s[1] for s in states]))
    assert out.shape == (B, T, H, HF, WF) and h_n.shape == (2, B, H, HF, WF)


def test_backends_agree_and_say_which_ran() -> None:
    torch.manual_seed(0)
    layers = {b: ConvLSTM(C, H, 3, peephole=True, backend=b) for b in ("bptt", "reference")}
    layers["reference"].load_state_dict(layers["bptt"].state_dict())
    results = {}
    for name, layer in layers.items():
        x = video(batch_first=False).requires_grad_()
        out, (h, c) = layer(x)
        (out.sum() + h.square().sum() + c.sum()).backward()
        results[name] = [out, h, c, x.grad] + [p.grad for p in layer.parameters()]
        assert layer.last_kernel == name
    for a, b in zip(results["bptt"], results["reference"], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    auto = ConvLSTM(C, H)
    auto(video(batch_first=False))
    assert auto.last_kernel == "bptt"


def test_time_first_equals_batch_first() -> None:
    torch.manual_seed(0)
    first = ConvLSTM(C, H, 3, batch_first=True)
    time_major = ConvLSTM(C, H, 3)
    time_major.load_state_dict(first.state_dict())
    torch.testing.assert_close(first(video())[0], time_major(video(False))[0].transpose(0, 1))


def test_parameters_and_forget_bias() -> None:
    layer = ConvLSTM(C, H, 5, peephole=True, forget_bias=2.0)
    shapes = {n: tuple(p.shape) for n, p in layer.named_parameters()}
    assert shapes == {"weight_ih_l0": (4 * H, C, 5, 5), "weight_hh_l0": (4 * H, H, 5, 5),
                      "bias_ih_l0": (4 * H,), "bias_hh_l0": (4 * H,),
                      "weight_peephole_l0": (3, H, 1, 1)}
    bias = layer.bias_ih_l0 + layer.bias_hh_l0
    assert torch.equal(bias[H : 2 * H], torch.full((H,), 2.0))


def test_fused_is_refused() -> None:
    with pytest.raises(FusedKernelError, match="torch has no ConvLSTM"):
        ConvLSTM(C, H, backend="fused")


@pytest.mark.parametrize("kwargs,match", [
    ({"kernel_size": 4}, "odd"),
    ({"frame_size": (4, 4)}, "peephole=True"),
    ({"backend": "cudnn"}, "backend"),
])
def test_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(UserError, match=match):
        ConvLSTM(C, H, **kwargs)


def test_bad_inputs() -> None:
    layer = ConvLSTM(C, H, batch_first=True, peephole=True, frame_size=(HF, WF))
    with pytest.raises(UserError, match="expected input"):
        layer(torch.zeros(B, T, C * HF * WF))
    with pytest.raises(UserError, match="channels"):
        layer(torch.zeros(B, T, C + 1, HF, WF))
    with pytest.raises(UserError, match="frame_size"):
        layer(torch.zeros(B, T, C, HF + 1, WF))
    with pytest.raises(UserError, match="h_0 and c_0"):
        layer(video(), (torch.zeros(1, B, H, HF, WF), torch.zeros(1, B, H, 1, 1)))
