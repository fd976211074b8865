"""The trace's step-by-step re-run with every regulariser on: zoneout mixes the states of each
step (in eval mode d_t = z), learned initial states start it, dropout and weight-drop are off
in eval mode and, in training mode, the layer's own masks (same seed) are used."""

from __future__ import annotations

import pytest
import torch

from rnnlab.errors import UserError
from rnnlab.inspect import trace
from rnnlab.inspect.rerun import rerun_layer
from rnnlab.models import ModelConfig, build_model
from rnnlab.nn import GRU, LSTM, RNN
from rnnlab.tasks.base import TaskSpec

SPEC = TaskSpec("tokens", 7, "classes", 3, many_to_many=False, bidirectional_ok=True)
LENGTHS = torch.tensor([6, 2, 4, 5])
EVERY = {"zoneout": 0.3, "recurrent_dropout": 0.25, "weight_drop": 0.4, "learn_init": True}
FAMILIES = [
    ("rnn", {}),
    ("gru", {}),
    ("gru", {"reset_after": False}),
    ("lstm", {"zoneout_cell": 0.2}),
    ("lstm", {"zoneout_cell": 0.2, "proj_size": 3, "peephole": True}),
]


def _randomise_initial_states(model: torch.nn.Module) -> None:
    """Learned initial states start at zero; move them so that they matter."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "initial_" in name:
                p.normal_()


@pytest.mark.parametrize(("family", "opts"), FAMILIES, ids=lambda v: str(v))
def test_trace_reproduces_the_layer_with_every_regulariser(family: str, opts: dict) -> None:
    torch.manual_seed(0)
    config = ModelConfig(family=family, hidden_size=5, num_layers=2, bidirectional=True,
                         **EVERY, **opts)
    model = build_model(config, SPEC).double()
    _randomise_initial_states(model)
    x = torch.randint(0, 7, (4, 6), generator=torch.Generator().manual_seed(1))
    model.train()
    tr = trace(model, x, LENGTHS)
    assert model.training  # put back
    model.eval()
    with torch.no_grad():
        out, state = model(x, LENGTHS)
    assert tr.rerun_error < 1e-12
    torch.testing.assert_close(tr.output, out, atol=1e-12, rtol=0)
    finals = state if isinstance(state, tuple) else (state,)
    traced = tr.final_state if isinstance(tr.final_state, tuple) else (tr.final_state,)
    for a, b in zip(traced, finals, strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=0)


def test_without_zoneout_mixing_the_rerun_would_differ() -> None:
    """The test above is not vacuous: zoneout in eval changes the layer's output."""
    torch.manual_seed(0)
    layer = LSTM(3, 4, zoneout=0.5, zoneout_cell=0.5).double().eval()
    plain = LSTM(3, 4).double().eval()
    plain.load_state_dict(layer.state_dict())
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    assert (layer(x)[0] - plain(x)[0]).abs().max() > 1e-3
    out, _, _ = rerun_layer(layer, x, None)
    torch.testing.assert_close(out, layer(x)[0], atol=1e-12, rtol=0)


@pytest.mark.parametrize("cls", [RNN, GRU, LSTM], ids=lambda c: c.__name__)
def test_rerun_in_training_uses_the_layers_own_masks(cls: type) -> None:
    """Weight-drop and zoneout in training: the same seed draws the same masks for the layer
    and for the re-run (the layer's sample_masks, in the layer's order)."""
    extra = {"zoneout_cell": 0.3} if cls is LSTM else {}
    torch.manual_seed(0)
    layer = cls(3, 4, num_layers=2, bidirectional=True, zoneout=0.3, weight_drop=0.5,
                **extra).double().train()
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    torch.manual_seed(7)
    real, _ = layer(x)
    torch.manual_seed(7)
    again, _, _ = rerun_layer(layer, x, None)
    torch.testing.assert_close(again, real, atol=1e-12, rtol=0)


def test_rerun_of_recurrent_dropout_in_training_is_refused() -> None:
    layer = GRU(3, 4, recurrent_dropout=0.5).train()
    with pytest.raises(UserError, match="eval mode"):
        rerun_layer(layer, torch.randn(5, 2, 3), None)
    rerun_layer(layer.eval(), torch.randn(5, 2, 3), None)  # eval: no mask, fine


def _grad_of_state(layer, x: torch.Tensor, t: int, loss_fn) -> tuple[torch.Tensor, ...]:
    """dL/d(state after step t) of the real layer, run in two pieces around step t (the
    first from its learned initial state, the second from the state after t as a leaf)."""
    with torch.no_grad():
        before, state = layer(x[: t + 1])
    leaves = tuple(s.clone().requires_grad_(True) for s in (
        state if isinstance(state, tuple) else (state,)))
    parts = [before[:t], leaves[0]]
    if t + 1 < x.shape[0]:
        parts.append(layer(x[t + 1:], leaves[0] if len(leaves) == 1 else leaves)[0])
    grads = torch.autograd.grad(loss_fn(torch.cat(parts)), leaves, allow_unused=True)
    return tuple(torch.zeros_like(s[0]) if g is None else g[0]
                 for g, s in zip(grads, leaves, strict=True))


@pytest.mark.parametrize("make", [
    lambda: RNN(3, 4, zoneout=0.3, learn_init=True, weight_drop=0.5, recurrent_dropout=0.2),
    lambda: GRU(3, 4, zoneout=0.3, learn_init=True, weight_drop=0.5, recurrent_dropout=0.2),
    lambda: LSTM(3, 4, zoneout=0.3, zoneout_cell=0.4, learn_init=True, weight_drop=0.5),
], ids=["rnn", "gru", "lstm"])
def test_gradients_with_zoneout_are_total_derivatives(make) -> None:
    """dL/dh_t (and, with zoneout on c, dL/dc_t: the zoned c feeds only the next step, as
    h̃_t reads the unzoned c̃_t) from the trace against the real layer split at step t."""
    torch.manual_seed(0)
    layer = make().double().eval()
    _randomise_initial_states(layer)
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    weights = torch.randn(5, 2, 4, dtype=torch.float64)

    def loss_fn(out: torch.Tensor) -> torch.Tensor:
        return (out * weights).sum()

    tr = trace(layer, x, loss_fn=loss_fn)
    for t in (0, 2, 4):
        got = _grad_of_state(layer, x, t, loss_fn)
        torch.testing.assert_close(tr.dh(0)[t], got[0], atol=1e-12, rtol=1e-10)
        if isinstance(layer, LSTM):
            torch.testing.assert_close(tr.dc(0)[t], got[1], atol=1e-12, rtol=1e-10)
