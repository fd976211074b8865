"""Gradient flow: exact numbers for a linear unit, vanishing gradients of a tanh Elman net
against an LSTM with forget bias 1 at initialisation, and the loss placed at the end."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from rnnlab.inspect import (
    compare_gradient_flow,
    decay_per_step,
    flow_from_trace,
    gradient_flow,
    loss_at_end,
    trace,
)
from rnnlab.models import ModelConfig, build_model
from rnnlab.nn import RNN
from rnnlab.tasks import make_task
from rnnlab.tasks.base import Batch


def linear_forecaster(w: float = 0.9):
    """A 1-unit relu Elman forecaster for the adding task's spec, h_t = relu(w h + x1 + x2),
    read out as y = h_T: with positive inputs relu is the identity, so dL/dh_t = w^(T-t)
    dL/dh_T exactly."""
    task = make_task("adding", T=22, eval_size=4)
    config = ModelConfig(family="rnn", hidden_size=1, nonlinearity="relu")
    model = build_model(config, task.spec).double()  # before setting w: 0.9 exactly in float64
    with torch.no_grad():
        model.stack.rnn.weight_hh_l0.fill_(w)
        model.stack.rnn.weight_ih_l0.fill_(1.0)
        model.stack.rnn.bias_ih_l0.zero_()
        model.stack.rnn.bias_hh_l0.zero_()
        model.head.weight.fill_(1.0)
        model.head.bias.zero_()
    return task, model


def test_exact_flow_of_a_linear_unit_with_lengths() -> None:
    task, model = linear_forecaster(0.9)
    T = 12
    lengths = torch.tensor([T, T - 3])
    x = torch.rand(2, T, 2, dtype=torch.float64) + 0.1
    x[1, T - 3 :] = 0.0  # padding
    y = torch.tensor([[0.3], [0.7]], dtype=torch.float64)
    result = gradient_flow(model, task, batch=Batch(x, y, lengths=lengths))

    # the unit's values by hand, and the MSE gradient at each row's last step
    h_end = torch.zeros(2, dtype=torch.float64)
    for b, L in enumerate(lengths.tolist()):
        for t in range(L):
            h_end[b] = 0.9 * h_end[b] + x[b, t].sum()
    g = (2 * (h_end - y[:, 0]) / 2).abs()  # d mean((h - y)^2) / dh, B = 2
    assert result["distance"] == list(range(T))
    assert result["rows"] == [2] * (T - 3) + [1] * 3
    for d in range(T):
        mean_g = g.mean() if d < T - 3 else g[0]  # only the long row reaches d >= T - 3
        assert result["norm"][d] == pytest.approx(float(mean_g) * 0.9**d, rel=1e-10)
    for d in range(T - 3):
        assert result["relative"][d] == pytest.approx(0.9**d, rel=1e-10)
    assert result["loss"] == pytest.approx(float(((h_end - y[:, 0]) ** 2).mean()), rel=1e-10)
    assert result["cell_norm"] is None  # an Elman net has no cell
    assert decay_per_step({"relative": [1.0, 0.5, 0.25]}) == pytest.approx(0.5)


def test_flow_from_trace_at_a_chosen_loss_step() -> None:
    """A loss at step s: distance counts back from s, and steps after s get no gradient."""
    layer = RNN(1, 1, nonlinearity="relu").double()
    with torch.no_grad():
        layer.weight_hh_l0.fill_(0.5)
        layer.weight_ih_l0.fill_(1.0)
        layer.bias_ih_l0.zero_()
        layer.bias_hh_l0.zero_()
    x = torch.rand(8, 3, 1, dtype=torch.float64) + 0.1
    tr = trace(layer, x, loss_fn=lambda out: out[4].sum())
    flow = flow_from_trace(tr, loss_step=torch.full((3,), 4))
    assert flow["relative"] == pytest.approx([0.5**d for d in range(5)], rel=1e-12)
    assert bool((tr.dh(0)[5:] == 0).all())


def test_loss_at_end_scores_only_the_last_word() -> None:
    task = make_task("cue-word", gap=(3, 7), eval_size=16)
    batch = next(iter(task.batches("test", 16)))
    torch.manual_seed(0)
    model = build_model(ModelConfig(family="gru", hidden_size=8), task.spec)
    result = gradient_flow(model, task, batch=batch)
    with torch.no_grad():
        out, _ = model(batch.x, batch.lengths)
    rows, last = torch.arange(16), batch.lengths - 1
    answer_loss = F.cross_entropy(out[rows, last], batch.y[rows, last])
    assert result["loss"] == pytest.approx(float(answer_loss), rel=1e-5)
    assert loss_at_end(task, batch).mask.sum().item() == 16
    # the full loss (every step) is a different loss with a different flow
    full = gradient_flow(model, task, batch=batch, at_end=False)
    assert full["loss"] != pytest.approx(result["loss"])


def test_elman_gradients_vanish_where_the_lstms_survive() -> None:
    """Cue-word sentences of 100 steps (gap 99), loss on the answer only, at initialisation
    with the same seed: the tanh Elman net's gradient 99 steps back is a vanishing fraction
    of the one at the loss; the LSTM's (forget bias 1) is orders of magnitude larger."""
    task = make_task("cue-word", gap=99, eval_size=16)
    for seed in range(3):
        models = {}
        for family in ("rnn", "lstm"):
            torch.manual_seed(seed)
            models[family] = build_model(ModelConfig(family=family, hidden_size=32), task.spec)
        flows = compare_gradient_flow(models, task, batch_size=16, seed=seed)
        rnn, lstm = flows["rnn"], flows["lstm"]
        assert len(rnn["relative"]) == len(lstm["relative"]) == 100
        assert rnn["rows"] == lstm["rows"]  # the same batch for both
        far_rnn, far_lstm = rnn["relative"][99], lstm["relative"][99]
        assert far_rnn < 1e-12  # float32 may even underflow to 0
        assert far_lstm > 1e4 * max(far_rnn, 1e-30)
        # 30 steps back nothing underflows: the LSTM keeps at least 100x more of its gradient
        assert lstm["relative"][30] > 100 * rnn["relative"][30]
        assert lstm["cell_relative"][30] > 100 * rnn["relative"][30]
        assert 0 < decay_per_step(lstm) < 1
        assert math.isnan(decay_per_step({"relative": [1.0, 0.0]}))
