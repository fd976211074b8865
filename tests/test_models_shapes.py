"""Shapes for every family and every kind of task; many-to-one reads the last valid step."""

from __future__ import annotations

import pytest
import torch

from rnnlab.models import (
    Classifier,
    Forecaster,
    LanguageModel,
    ModelConfig,
    WindowMLP,
    build_model,
    count_parameters,
)
from rnnlab.models.stack_parts import last_valid_step
from rnnlab.tasks.base import TaskSpec

FAMILIES = ("mlp", "rnn", "lstm", "gru")
RECURRENT = ("rnn", "lstm", "gru")
B, T = 3, 6
LENGTHS = torch.tensor([6, 2, 4])

# name -> (spec, the recurrent model class build_model should pick)
SPECS: dict[str, tuple[TaskSpec, type]] = {
    "lm": (TaskSpec("tokens", 7, "classes", 7, many_to_many=True), LanguageModel),
    "token-classes": (TaskSpec("tokens", 7, "classes", 3, many_to_many=False), Classifier),
    "token-multilabel-per-step": (
        TaskSpec("tokens", 7, "multilabel", 4, many_to_many=True),
        LanguageModel,
    ),
    "feature-forecast": (TaskSpec("features", 2, "regression", 1, many_to_many=False), Forecaster),
    "feature-forecast-per-step": (
        TaskSpec("features", 2, "regression", 2, many_to_many=True),
        Forecaster,
    ),
    "feature-multilabel": (
        TaskSpec("features", 2, "multilabel", 5, many_to_many=False),
        Classifier,
    ),
    "feature-classes-per-step": (
        TaskSpec("features", 2, "classes", 3, many_to_many=True),
        Classifier,
    ),
}


def make_input(spec: TaskSpec, batch: int = B, steps: int = T) -> torch.Tensor:
    if spec.input_kind == "tokens":
        return torch.randint(0, spec.input_size, (batch, steps))
    return torch.randn(batch, steps, spec.input_size)


def small_config(family: str, **overrides) -> ModelConfig:
    return ModelConfig(family=family, **{"hidden_size": 5, "window": 3, **overrides})


@pytest.mark.parametrize("with_lengths", [False, True], ids=["full", "lengths"])
@pytest.mark.parametrize("spec_name", list(SPECS))
@pytest.mark.parametrize("family", FAMILIES)
def test_output_and_state_shapes(family: str, spec_name: str, with_lengths: bool) -> None:
    torch.manual_seed(0)
    spec, expected_class = SPECS[spec_name]
    config = small_config(family, num_layers=2, embedding_dim=4 if spec_name == "lm" else 0)
    model = build_model(config, spec)
    assert isinstance(model, WindowMLP if family == "mlp" else expected_class)
    assert model.config is config and model.spec is spec
    lengths = LENGTHS if with_lengths else None
    out, state = model(make_input(spec), lengths=lengths)

    K = spec.output_size
    assert out.shape == ((B, T, K) if spec.many_to_many else (B, K))
    assert torch.isfinite(out).all()
    if family == "mlp":
        rest = () if spec.input_kind == "tokens" else (spec.input_size,)
        assert state.shape == (B, config.window - 1, *rest)
    elif family == "lstm":
        h, c = state
        assert h.shape == c.shape == (2, B, 5)
    else:
        assert state.shape == (2, B, 5)


@pytest.mark.parametrize("family", FAMILIES)
def test_gradients_reach_every_parameter(family: str) -> None:
    torch.manual_seed(0)
    spec = SPECS["token-classes"][0]
    config = small_config(
        family, num_layers=2, embedding_dim=3, dense_before=(4,), dense_after=(4,)
    )
    model = build_model(config, spec)
    out, _ = model(make_input(spec), lengths=LENGTHS)
    out.square().sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("family", FAMILIES)
def test_many_to_one_reads_last_valid_step(family: str, bidirectional: bool) -> None:
    """A padded batch gives, row by row, the output of each sequence run alone."""
    if family == "mlp" and bidirectional:
        pytest.skip("the window MLP has no bidirectional form")
    torch.manual_seed(0)
    spec = TaskSpec("features", 2, "classes", 3, many_to_many=False, bidirectional_ok=True)
    config = small_config(family, num_layers=2, bidirectional=bidirectional, dense_after=(4,))
    model = build_model(config, spec).eval()
    x = make_input(spec)
    for b, n in enumerate(LENGTHS.tolist()):
        x[b, n:] = 100.0  # garbage past the end must not matter
    out, _ = model(x, lengths=LENGTHS)
    for b, n in enumerate(LENGTHS.tolist()):
        alone, _ = model(x[b : b + 1, :n])
        torch.testing.assert_close(out[b : b + 1], alone, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("family", RECURRENT)
def test_many_to_many_padded_batch_equals_sequences_alone(family: str) -> None:
    torch.manual_seed(0)
    spec = SPECS["lm"][0]
    model = build_model(small_config(family, embedding_dim=4), spec).eval()
    x = make_input(spec)
    out, state = model(x, lengths=LENGTHS)
    for b, n in enumerate(LENGTHS.tolist()):
        alone, alone_state = model(x[b : b + 1, :n])
        torch.testing.assert_close(out[b : b + 1, :n], alone, rtol=1e-5, atol=1e-6)
        # The final state is the one after each sequence's own last step.
        first = state[0] if family == "lstm" else state
        alone_first = alone_state[0] if family == "lstm" else alone_state
        torch.testing.assert_close(first[:, b], alone_first[:, 0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("proj_size", [0, 3])
@pytest.mark.parametrize("family", RECURRENT)
def test_bidirectional_summary_is_forward_last_and_backward_first(
    family: str, proj_size: int
) -> None:
    if proj_size and family != "lstm":
        pytest.skip("projection is an LSTM option")
    torch.manual_seed(0)
    spec = TaskSpec("features", 2, "classes", 3, many_to_many=False, bidirectional_ok=True)
    config = small_config(family, num_layers=2, bidirectional=True, proj_size=proj_size)
    stack = build_model(config, spec).eval().stack
    x = make_input(spec)
    summary, state = stack(x, lengths=LENGTHS, last_only=True)
    out, _ = stack.run_recurrent(x, LENGTHS)
    W = out.shape[-1] // 2
    rows = torch.arange(B)
    expected = torch.cat([out[rows, LENGTHS - 1, :W], out[:, 0, W:]], dim=-1)
    torch.testing.assert_close(summary, expected)
    # ... which is what torch's h_n holds for the last layer: forward, then backward.
    h_n = state[0] if family == "lstm" else state
    torch.testing.assert_close(summary, torch.cat([h_n[-2], h_n[-1]], dim=-1))


def test_last_valid_step_on_a_known_tensor() -> None:
    out = torch.arange(2 * 4 * 2, dtype=torch.float).reshape(2, 4, 2)  # W = 1 per direction
    lengths = torch.tensor([4, 2])
    one = last_valid_step(out[..., :1], lengths, directions=1)
    assert one.squeeze(-1).tolist() == [out[0, 3, 0].item(), out[1, 1, 0].item()]
    two = last_valid_step(out, lengths, directions=2)
    assert two.tolist() == [
        [out[0, 3, 0].item(), out[0, 0, 1].item()],
        [out[1, 1, 0].item(), out[1, 0, 1].item()],
    ]


@pytest.mark.parametrize("family", FAMILIES)
def test_num_parameters_and_describe(family: str) -> None:
    spec = SPECS["lm"][0]
    config = small_config(family, num_layers=2, embedding_dim=4, dropout=0.25, peephole=True)
    model = build_model(config, spec)
    n = sum(p.numel() for p in model.parameters())
    assert model.num_parameters == n == count_parameters(model)
    text = model.describe()
    assert "\n" not in text
    assert f"{n:,} parameters" in text
    name = {"mlp": "window MLP", "rnn": "Elman RNN", "lstm": "LSTM", "gru": "GRU"}[family]
    assert text.startswith(name)
    assert "language model" in text
    assert "x 5" in text and "embedding 4" in text and "dropout 0.25" in text
    if family == "lstm":
        assert "peephole" in text
    if family == "mlp":
        assert "window 3" in text


def test_config_options_reach_the_layers() -> None:
    spec = SPECS["feature-forecast"][0]
    lstm = build_model(
        small_config(
            "lstm", backend="reference", peephole=True, coupled=True, layer_norm=True, proj_size=2
        ),
        spec,
    )
    assert lstm.stack.rnn.backend == "reference"
    assert lstm.stack.rnn.peephole and lstm.stack.rnn.coupled and lstm.stack.rnn.layer_norm
    assert lstm.stack.rnn.proj_size == 2 and lstm.head.in_features == 2
    gru = build_model(small_config("gru", reset_after=False), spec)
    assert gru.stack.rnn.reset_after is False
    rnn = build_model(small_config("rnn", nonlinearity="sigmoid"), spec)
    assert rnn.stack.rnn.nonlinearity == "sigmoid"
    one_hot = build_model(small_config("gru"), SPECS["lm"][0])
    assert one_hot.encoder.embedding is None and one_hot.stack.rnn.input_size == 7


@pytest.mark.parametrize("family", FAMILIES)
def test_dropout_acts_in_training_only(family: str) -> None:
    torch.manual_seed(0)
    spec = SPECS["feature-forecast-per-step"][0]
    model = build_model(small_config(family, dropout=0.5), spec)
    x = make_input(spec)
    assert not torch.equal(model(x)[0], model(x)[0])
    model.eval()
    assert torch.equal(model(x)[0], model(x)[0])
