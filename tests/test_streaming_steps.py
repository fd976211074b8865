"""StepStreams: one step at a time equals the whole sequence; resets; flat memory (issue 10)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch

from rnnlab.errors import UserError
from rnnlab.models import ModelConfig, StepStreams, build_model
from rnnlab.tasks.base import TaskSpec

LM = TaskSpec("tokens", 11, "classes", 11, True)
CLASSIFY = TaskSpec("features", 3, "classes", 4, False)
FORECAST = TaskSpec("features", 2, "regression", 2, True)

CONFIGS = {
    "lstm": ModelConfig(family="lstm", hidden_size=8, num_layers=2),
    "lstm-bptt-peephole": ModelConfig(family="lstm", hidden_size=6, peephole=True,
                                      backend="bptt"),
    "gru-learn-init": ModelConfig(family="gru", hidden_size=5, learn_init=True),
    "elman": ModelConfig(family="rnn", hidden_size=7),
    "layers": ModelConfig(layers="dense:6, lstm:5:peephole, gru:4"),
    "mlp": ModelConfig(family="mlp", hidden_size=6, window=3),
}


def _inputs(spec: TaskSpec, B: int, T: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    if spec.input_kind == "tokens":
        return torch.randint(0, spec.input_size, (B, T), generator=g)
    return torch.randn(B, T, spec.input_size, generator=g)


def _model(name: str, spec: TaskSpec):
    torch.manual_seed(0)
    model = build_model(CONFIGS[name], spec).eval()
    if name == "gru-learn-init":  # a learned start that is not zero, so a reset must use it
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.3)
    return model


def _prefix_outputs(model, x: torch.Tensor) -> torch.Tensor:
    """(B, T, K): the model's output after each prefix x[:, :t+1], from whole-sequence runs."""
    with torch.no_grad():
        if model.spec.many_to_many:
            return model(x)[0]
        return torch.stack([model(x[:, : t + 1])[0] for t in range(x.shape[1])], 1)


@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.parametrize("spec", [LM, CLASSIFY, FORECAST], ids=["lm", "classify", "forecast"])
def test_steps_equal_the_whole_sequence(name, spec):
    model = _model(name, spec)
    x = _inputs(spec, 3, 9)
    streams = StepStreams(model, 3)
    stepped = torch.stack([streams.step(x[:, t]) for t in range(9)], 1)
    torch.testing.assert_close(stepped, _prefix_outputs(model, x), rtol=1e-5, atol=1e-6)
    assert streams.steps == 9


@pytest.mark.parametrize("name", list(CONFIGS))
def test_a_reset_stream_starts_afresh_and_the_others_carry_on(name):
    model = _model(name, LM)
    first, second = _inputs(LM, 2, 5, seed=1), _inputs(LM, 2, 6, seed=2)
    streams = StepStreams(model, 2)
    for t in range(5):
        streams.step(first[:, t])
    streams.reset(1)
    stepped = torch.stack([streams.step(second[:, t]) for t in range(6)], 1)
    whole = _prefix_outputs(model, torch.cat([first, second], 1))[0, 5:]
    fresh = _prefix_outputs(model, second)[1]
    torch.testing.assert_close(stepped[0], whole, rtol=1e-5, atol=1e-6)  # stream 0 went on
    torch.testing.assert_close(stepped[1], fresh, rtol=1e-5, atol=1e-6)  # stream 1 began anew
    streams.reset()
    again = torch.stack([streams.step(second[:, t]) for t in range(6)], 1)
    torch.testing.assert_close(again, _prefix_outputs(model, second), rtol=1e-5, atol=1e-6)


def test_no_graph_is_kept_and_training_mode_comes_back():
    model = _model("lstm", LM).train()
    streams = StepStreams(model, 2)
    out = streams.step(torch.tensor([1, 2]))
    assert not out.requires_grad and all(not s.requires_grad for s in streams.state)
    assert model.training  # the step ran in eval mode (no dropout) and put it back


@pytest.mark.parametrize(
    ("config", "spec", "pattern"),
    [
        (ModelConfig(family="lstm", hidden_size=4, bidirectional=True),
         TaskSpec("tokens", 5, "classes", 2, False, bidirectional_ok=True), "bidirectional"),
        (ModelConfig(layers="gru:4:bidirectional, lstm:3"),
         TaskSpec("tokens", 5, "classes", 2, False, bidirectional_ok=True), "bidirectional"),
    ],
)
def test_models_that_need_the_future_are_refused(config, spec, pattern):
    with pytest.raises(UserError, match=pattern):
        StepStreams(build_model(config, spec))


def test_an_encoder_decoder_is_refused():
    from rnnlab.tasks import make_task

    task = make_task("dates", eval_size=10)
    with pytest.raises(UserError, match="encoder-decoder"):
        StepStreams(build_model(ModelConfig(family="gru", hidden_size=4), task.spec))


def test_bad_steps_and_streams_are_one_line_errors():
    streams = StepStreams(_model("lstm", LM), 2)
    for bad in (torch.tensor([1, 2, 3]), torch.tensor([0.5, 1.0]), torch.tensor([[1, 2]])):
        with pytest.raises(UserError, match="one token id per stream"):
            streams.step(bad)
    with pytest.raises(UserError, match=r"must lie in 0\.\.10"):
        streams.step(torch.tensor([1, 11]))
    for bad in (2, -1, True, "0"):
        with pytest.raises(UserError, match=r"stream must be in 0\.\.1"):
            streams.reset(bad)
    with pytest.raises(UserError, match="positive integer"):
        StepStreams(_model("lstm", LM), 0)
    features = StepStreams(_model("elman", CLASSIFY), 1)
    with pytest.raises(UserError, match=r"shape \(1, 3\)"):
        features.step(torch.zeros(3))
    with pytest.raises(UserError, match="not an rnnlab sequence model"):
        StepStreams(torch.nn.Linear(2, 2))


# Run in a fresh interpreter: in the middle of the test suite the allocator's arenas also
# hold what earlier tests left, and their growth is not this API's.
FLAT = textwrap.dedent("""
    import os, sys, torch
    from rnnlab.models import ModelConfig, StepStreams, build_model
    from rnnlab.tasks.base import TaskSpec
    torch.set_num_threads(1)

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    total, warmup = int(sys.argv[1]), int(sys.argv[2])
    torch.manual_seed(0)
    spec = TaskSpec("tokens", 11, "classes", 11, True)
    model = build_model(ModelConfig(family="lstm", hidden_size=8, num_layers=2), spec).eval()
    streams = StepStreams(model, 4)
    x = torch.tensor([1, 2, 3, 4])
    for i in range(total):
        if i == warmup:
            before = rss()
        if i % 997 == 0:
            streams.reset(i % 4)
        streams.step(x)
    assert streams.steps == total
    print(rss() - before)
""")


def _steps_at_flat_memory(total: int, warmup: int) -> None:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    out = subprocess.run([sys.executable, "-c", FLAT, str(total), str(warmup)], env=env,
                         capture_output=True, text=True, timeout=3600, check=True)
    grown = int(out.stdout.split()[-1])
    assert grown < 8 * 2**20, f"{total - warmup} steps grew memory by {grown / 2**20:.1f} MiB"


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads Linux's /proc")
def test_memory_stays_flat_over_many_steps():
    _steps_at_flat_memory(3_000, 500)


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads Linux's /proc")
def test_memory_stays_flat_over_100k_steps():
    _steps_at_flat_memory(100_000, 2_000)
