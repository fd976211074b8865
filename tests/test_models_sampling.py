"""Next-token distributions and sampling from token models."""

import pytest
import torch

from rnnlab.errors import UserError
from rnnlab.models import ModelConfig, build_model
from rnnlab.models.sampling import generate, next_token_distribution, sample_next
from rnnlab.tasks.base import TaskSpec

SPEC = TaskSpec("tokens", 7, "classes", 7, True, vocab=tuple("abcdefg"))


@pytest.mark.parametrize("family", ["mlp", "rnn", "lstm", "gru"])
def test_greedy_generation_equals_rereading_the_whole_sequence(family: str) -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(family=family, hidden_size=12, window=3), SPEC).eval()
    prompt = torch.tensor([1, 4, 2])
    new = generate(model, prompt, 6, temperature=0)
    ids = prompt.tolist()
    for token in new:  # the carried state must give what a full re-read gives
        out, _ = model(torch.tensor([ids]))
        assert int(out[0, -1].argmax()) == token
        ids.append(token)


def test_distribution_is_sorted_probabilities_of_the_softmax() -> None:
    torch.manual_seed(1)
    model = build_model(ModelConfig(family="gru", hidden_size=8), SPEC)
    top = next_token_distribution(model, torch.tensor([0, 3]), top_k=3)
    with torch.no_grad():
        out, _ = model.eval()(torch.tensor([[0, 3]]))
    probs = torch.softmax(out[0, -1], -1)
    assert [i for i, _ in top] == probs.argsort(descending=True)[:3].tolist()
    assert top[0][1] == pytest.approx(float(probs.max()))
    assert top[0][1] >= top[1][1] >= top[2][1]


def test_top_k_only_draws_the_k_best() -> None:
    logits = torch.tensor([0.0, 5.0, 4.0, -1.0, 3.0])
    gen = torch.Generator().manual_seed(0)
    drawn = {sample_next(logits, 10.0, 2, gen) for _ in range(200)}
    assert drawn == {1, 2}
    assert sample_next(logits, 0.0, 0, gen) == 1


def test_same_seed_same_sample_and_errors() -> None:
    torch.manual_seed(2)
    model = build_model(ModelConfig(family="lstm", hidden_size=8), SPEC)
    a = generate(model, torch.tensor([1]), 20, seed=5)
    assert a == generate(model, torch.tensor([1]), 20, seed=5)
    assert a != generate(model, torch.tensor([1]), 20, seed=6)
    with pytest.raises(UserError, match="empty"):
        generate(model, torch.tensor([], dtype=torch.long), 3)
    features = TaskSpec("features", 3, "classes", 2, False)
    with pytest.raises(UserError, match="does not predict tokens"):
        generate(build_model(ModelConfig(family="gru", hidden_size=4), features), torch.ones(2), 1)
