"""The memory-mapped token file: same tokens as the whole text, cached, bounded memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections import Counter

import numpy as np
import pytest

from rnnlab.errors import UserError
from rnnlab.tasks import make_task, token_file
from rnnlab.tasks.token_file import UNK, cache_dir, load_tokens, tokenize

# Multi-byte characters (2, 3 and 4 bytes in UTF-8), words with apostrophes, punctuation and
# newlines: with a chunk of a few bytes every kind of boundary falls inside a chunk somewhere.
TEXT = ("Ça va? L'été, naïve café — 東京 🚀 don't stop.\nIt's the end of the line, isn't it?\n"
        "  tabs\tand  spaces  \r\n") * 9


def reference(text: str, level: str, split: float, min_count: int) -> tuple[list[int], tuple]:
    """The tokens and vocabulary as the text task built them from the whole text in memory."""
    tokens = tokenize(text, level)
    n_train = int(len(tokens) * split)
    counts = Counter(tokens[:n_train])
    vocab = (UNK, *sorted(t for t, n in counts.items() if n >= min_count))
    ids = {t: i for i, t in enumerate(vocab)}
    return [ids.get(t, 0) for t in tokens], vocab


@pytest.mark.parametrize("level", ["char", "word"])
@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 1 << 20])
@pytest.mark.parametrize(("split", "min_count"), [(0.9, 1), (0.5, 3)])
def test_chunked_tokens_equal_the_whole_text(tmp_path, monkeypatch, level, chunk, split,
                                             min_count):
    monkeypatch.setattr(token_file, "CHUNK_BYTES", chunk)
    path = tmp_path / "t.txt"
    path.write_text(TEXT, encoding="utf-8")
    got = load_tokens(str(path), level, split, min_count)
    ids, vocab = reference(TEXT, level, split, min_count)
    assert got.vocab == vocab
    assert got.ids.tolist() == ids
    assert got.n_train == int(len(ids) * split)
    assert isinstance(got.ids, np.memmap) and got.dtype == np.uint8


def test_dtype_grows_with_the_vocabulary(tmp_path):
    path = tmp_path / "many.txt"
    path.write_text("".join(chr(0x4E00 + i) for i in range(300)) * 2, encoding="utf-8")
    got = load_tokens(str(path), "char", 0.9, 1)
    assert got.ids.dtype == np.uint16 and len(got.vocab) == 301


def test_second_load_comes_from_the_cache(tmp_path, monkeypatch):
    path = tmp_path / "t.txt"
    path.write_text(TEXT, encoding="utf-8")
    first = load_tokens(str(path), "word", 0.9, 1)
    entries = sorted(p.name for p in (cache_dir() / "tokens").iterdir())

    def no_build(*args: object) -> None:
        raise AssertionError("rebuilt although the cache holds this file")

    monkeypatch.setattr(token_file, "_build", no_build)
    again = load_tokens(str(path), "word", 0.9, 1)
    assert again.vocab == first.vocab and np.array_equal(again.ids, first.ids)
    assert sorted(p.name for p in (cache_dir() / "tokens").iterdir()) == entries
    assert not any(name.endswith((".tmp", ".scratch")) for name in entries)
    path.write_text(TEXT + "more", encoding="utf-8")  # new content, new key: a build
    with pytest.raises(AssertionError, match="rebuilt"):
        load_tokens(str(path), "word", 0.9, 1)


def _entry(path, level="char"):
    load_tokens(str(path), level, 0.9, 1)
    metas = sorted((cache_dir() / "tokens").glob("*.json"), key=os.path.getmtime)
    meta = metas[-1]
    return meta, meta.with_suffix(".ids")


@pytest.mark.parametrize("damage", ["truncate", "out_of_range", "bad_json", "vocab_type",
                                    "dtype", "n_train"])
def test_a_damaged_cache_entry_is_rebuilt_not_trusted(tmp_path, damage):
    path = tmp_path / f"{damage}.txt"
    path.write_text(TEXT + damage, encoding="utf-8")
    meta, ids = _entry(path)
    expected, vocab = reference(TEXT + damage, "char", 0.9, 1)
    info = json.loads(meta.read_text())
    if damage == "truncate":
        ids.write_bytes(ids.read_bytes()[:-3])
    elif damage == "out_of_range":
        ids.write_bytes(b"\xff" + ids.read_bytes()[1:])
    elif damage == "bad_json":
        meta.write_text("{not json")
    elif damage == "vocab_type":
        meta.write_text(json.dumps({**info, "vocab": [UNK, 3]}))
    elif damage == "dtype":
        meta.write_text(json.dumps({**info, "dtype": "float64"}))
    else:
        meta.write_text(json.dumps({**info, "n_train": info["n_tokens"] + 5}))
    got = load_tokens(str(path), "char", 0.9, 1)
    assert got.ids.tolist() == expected and got.vocab == vocab


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs a POSIX user whom permissions bind (not root)")
def test_a_read_only_cache_folder_still_works(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    monkeypatch.setenv("RNNLAB_CACHE_DIR", str(locked / "cache"))
    path = tmp_path / "t.txt"
    path.write_text(TEXT, encoding="utf-8")
    try:
        got = load_tokens(str(path), "char", 0.9, 1)
        assert got.ids.tolist() == reference(TEXT, "char", 0.9, 1)[0]
    finally:
        locked.chmod(0o700)


def test_bad_utf8_offset_counts_bytes_of_earlier_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(token_file, "CHUNK_BYTES", 5)
    path = tmp_path / "bad.txt"
    path.write_bytes("héllo wörld ".encode() * 3 + b"\xff rest")
    with pytest.raises(UserError, match=r"bad byte at offset 42\)"):
        load_tokens(str(path), "char", 0.9, 1)
    path.write_bytes(b"x" * 11 + b"\x00" + b"y" * 20)  # a NUL in the third chunk
    with pytest.raises(UserError, match="binary"):
        load_tokens(str(path), "char", 0.9, 1)


def test_whitespace_only_file_at_word_level(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text(" \t  \r  " * 10, encoding="utf-8")
    with pytest.raises(UserError, match="holds no word tokens"):
        make_task("text", path=str(path), level="word", seq_len=2)


MEASURE = textwrap.dedent("""
    import resource, sys
    from rnnlab.tasks import make_task
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    task = make_task("text", path=sys.argv[1], seq_len=64)
    for i, batch in zip(range(50), task.batches("train", 32)):
        pass
    for i, batch in zip(range(50), task.batches("valid", 1)):
        pass
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
""")


def test_memory_does_not_grow_with_the_corpus(tmp_path):
    """A 48 MB corpus costs one chunk of working memory (76 MB measured), not ~25 bytes per byte
    (1.25 GB measured before the token file)."""
    path = tmp_path / "big.txt"
    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"abcdefghij klmnop\n", dtype=np.uint8)
    path.write_bytes(letters[rng.integers(0, len(letters), 48 << 20)].tobytes())
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    grown = []
    for _ in range(2):  # a cold build, then a cache hit
        out = subprocess.run([sys.executable, "-c", MEASURE, str(path)], env=env,
                             capture_output=True, text=True, timeout=300, check=True)
        grown.append(int(out.stdout.split()[-1]))
    assert grown[0] < 150e6, f"building the token file grew RSS by {grown[0] / 1e6:.0f} MB"
    assert grown[1] < 60e6, f"mapping the cached token file grew RSS by {grown[1] / 1e6:.0f} MB"
