"""Text language modelling: splits, vocabulary, contiguous streams, bad files, metrics."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from rnnlab.errors import UserError
from rnnlab.tasks import make_task

TEXT = (
    "It was the best of times, it was the worst of times, it was the age of wisdom, "
    "it was the age of foolishness, it was the epoch of belief, it was the epoch of "
    "incredulity, it was the season of Light, it was the season of Darkness.\n"
) * 6 + "Zebra quartz jumps!\n"


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "book.txt"
    path.write_text(TEXT, encoding="utf-8")
    return str(path)


def test_char_split_vocab_and_unk(text_file):
    task = make_task("text", path=text_file, seq_len=20)
    n = len(TEXT)
    assert len(task.train_ids) == int(n * 0.9) and len(task.valid_ids) == n - int(n * 0.9)
    train_text = TEXT[: int(n * 0.9)]
    assert task.vocab[0] == "<unk>" and set(task.vocab[1:]) == set(train_text)
    # 'Z', 'q', 'z', 'j' and '!' occur only in the last line, the validation split
    assert task.decode(task.valid_ids[-20:]) == "<unk>ebra <unk>uart<unk> <unk>umps<unk>\n"
    assert (task.train_ids != 0).all()


def test_word_level_vocab_unk_and_prompts(text_file):
    task = make_task("text", path=text_file, level="word", seq_len=5)
    assert "times" in task.vocab and "," in task.vocab and "\n" in task.vocab
    assert "Zebra" not in task.vocab
    assert task.decode(task.valid_ids[-5:]) == "<unk> <unk> <unk> <unk>\n"
    ids = task.encode("it was the age of wisdom,")
    assert task.decode(ids) == "it was the age of wisdom ,"
    with pytest.raises(UserError, match=r"word.*'Zebra'.*'quartz'"):
        task.encode("Zebra was quartz")


def test_char_prompt_with_unknown_characters(text_file):
    task = make_task("text", path=text_file)
    assert task.decode(task.encode("it was")) == "it was"
    with pytest.raises(UserError, match=r"character.*'\?', 'Q'"):
        task.encode("Quite?")  # both named, sorted


def test_min_count_sends_rare_tokens_to_unk(text_file):
    task = make_task("text", path=text_file, level="word", min_count=6)
    train_words = task.tokenize(TEXT)[: len(task.train_ids)]
    assert train_words.count("wisdom") == 6 and "wisdom" in task.vocab
    assert train_words.count("Darkness") == 5 and "Darkness" not in task.vocab
    assert task.valid_ids[task.tokenize(TEXT)[len(task.train_ids) :].index("Darkness")] == 0
    assert "wisdom" not in make_task("text", path=text_file, level="word", min_count=7).vocab


def test_training_streams_are_contiguous_across_batches(text_file):
    task = make_task("text", path=text_file, seq_len=7)
    B = 3
    batches = list(task.batches("train", B, seed=0))
    assert [b.carry_state for b in batches] == [False] + [True] * (len(batches) - 1)
    assert all(b.x.shape[1] <= 7 for b in batches) and batches[0].x.shape == (B, 7)
    x = torch.cat([b.x for b in batches], dim=1)
    y = torch.cat([b.y for b in batches], dim=1)
    assert torch.equal(x[:, 1:], y[:, :-1])  # each row continues itself
    train = torch.from_numpy(task.train_ids.astype("int64"))
    steps = x.shape[1]
    # stream 0 starts at a seeded offset within the first seq_len tokens
    starts = [o for o in range(7) if torch.equal(train[o : o + steps], x[0])]
    assert starts
    offset = starts[0]
    for b in range(B):  # stream b is the b-th contiguous slice
        assert torch.equal(x[b], train[offset + b * steps : offset + (b + 1) * steps])
        assert torch.equal(y[b], train[offset + b * steps + 1 : offset + (b + 1) * steps + 1])
    assert B * steps >= len(train) - offset - B  # nothing but the remainder is left out


def test_training_pass_is_seeded(text_file):
    task = make_task("text", path=text_file, seq_len=10)
    first = [next(task.batches("train", 2, seed=s)).x for s in range(6)]
    assert torch.equal(first[0], next(task.batches("train", 2, seed=0)).x)
    assert any(not torch.equal(first[0], f) for f in first[1:])  # offsets differ


def test_validation_is_one_stream_over_every_token(text_file):
    task = make_task("text", path=text_file, seq_len=16)
    for split in ("valid", "test"):
        batches = list(task.batches(split, 32, seed=5))
        assert all(b.x.shape[0] == 1 for b in batches)
        assert [b.carry_state for b in batches] == [False] + [True] * (len(batches) - 1)
        y = torch.cat([b.y for b in batches], dim=1)[0]
        x = torch.cat([b.x for b in batches], dim=1)[0]
        valid = torch.from_numpy(task.valid_ids.astype("int64"))
        assert torch.equal(y, valid)  # each token scored once
        assert x[0] == task.train_ids[-1] and torch.equal(x[1:], y[:-1])


def test_metrics_for_perfect_and_uniform_outputs(text_file):
    task = make_task("text", path=text_file, seq_len=30)
    V = len(task.vocab)

    def run(fn):
        sums: dict[str, float] = {}
        for batch in task.batches("valid", 1):
            for k, v in task.score(fn(batch), batch).items():
                sums[k] = sums.get(k, 0.0) + v
        return task.summarize(sums)

    perfect = run(lambda b: F.one_hot(b.y, V).float() * 40)
    assert perfect["accuracy"] == 1.0 and perfect["loss"] < 1e-6
    assert perfect["perplexity"] == pytest.approx(1.0)
    uniform = run(lambda b: torch.zeros(*b.y.shape, V))
    assert uniform["loss"] == pytest.approx(math.log(V))
    assert uniform["bpc"] == pytest.approx(math.log2(V))
    assert uniform["perplexity"] == pytest.approx(V)
    batch = next(task.batches("train", 4))
    out = torch.zeros(*batch.y.shape, V, requires_grad=True)
    loss = task.loss(out, batch)
    loss.backward()
    assert loss.item() == pytest.approx(math.log(V)) and out.grad is not None
    word = make_task("text", path=text_file, level="word", seq_len=5)
    assert "bits_per_word" in word.summarize({"loss_sum": 2.0, "correct": 0.0, "count": 1.0})


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (None, "not found"),
        (b"", "empty"),
        (b"hello\x00world" * 20, "binary"),
        (b"caf\xe9 au lait " * 20, "not UTF-8"),
        (b"short text", "too short"),
    ],
)
def test_bad_files_raise_user_error(tmp_path, content, pattern):
    path = tmp_path / "data.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UserError, match=pattern):
        make_task("text", path=str(path), seq_len=50)


def test_a_directory_and_a_too_large_batch(tmp_path, text_file):
    with pytest.raises(UserError, match="not a file"):
        make_task("text", path=str(tmp_path))
    task = make_task("text", path=text_file, seq_len=5)
    with pytest.raises(UserError, match="batch size"):
        task.batches("train", 100000)


def test_params_round_trip_rebuilds_the_same_streams(text_file):
    import json

    task = make_task("text", path=text_file, level="word", seq_len=8, split=0.8)
    again = make_task("text", **json.loads(json.dumps(task.params.to_dict())))
    assert again.vocab == task.vocab
    for a, b in zip(task.batches("train", 2, 4), again.batches("train", 2, 4), strict=True):
        assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
