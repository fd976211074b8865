"""generate prints as it samples (issue 10, deliver 5): the text equals what the whole run
would print, and what was sampled before a Ctrl-C is on the screen."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab.cli import main, write_stream
from rnnlab.tasks.text import TextCodec

WORDS = ("\n", "to", "be", "or", "not", ",", "that")


@settings(max_examples=60, deadline=None, database=None)
@given(level=st.sampled_from(["char", "word"]),
       prompt=st.lists(st.integers(0, len(WORDS) - 1), min_size=1, max_size=5),
       tokens=st.lists(st.integers(0, len(WORDS) - 1), max_size=80),
       chunk=st.integers(1, 20))
def test_the_streamed_text_is_the_whole_text(
    level: str, prompt: list[int], tokens: list[int], chunk: int
) -> None:
    codec = TextCodec(level, WORDS)
    out = io.StringIO()
    write_stream(codec, prompt, iter(tokens), out, chunk=chunk)
    assert out.getvalue() == codec.decode(prompt + tokens)


def test_text_sampled_before_ctrl_c_is_already_written() -> None:
    codec = TextCodec("char", tuple("abc"))

    def tokens():  # type: ignore[no-untyped-def]
        for i in range(1000):
            if i == 40:
                raise KeyboardInterrupt
            yield i % 3

    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        write_stream(codec, [0], tokens(), out, chunk=16)
    assert len(out.getvalue()) >= 1 + 32  # the prompt and two whole pieces


def test_generate_prints_the_same_text_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rnnlab.models.sampling import generate
    from rnnlab.tasks import prompt_codec
    from rnnlab.train import load_checkpoint, rebuild_model

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("to be or not to be,\nthat is the question.\n" * 30, encoding="utf-8")
    assert main(["train", "--task", "text", "-p", f"path={corpus}", "-p", "seq_len=16",
                 "-p", "level=word", "--hidden-size", "8", "--embedding-dim", "4", "--steps",
                 "2", "--batch-size", "4", "--progress", "false",
                 "--out-dir", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    assert main(["generate", str(tmp_path / "run"), "--prompt", "to be", "--length", "60",
                 "--seed", "3"]) == 0
    streamed = capsys.readouterr().out
    ckpt = load_checkpoint(tmp_path / "run", load_state=False)
    codec = prompt_codec(ckpt.task_name, ckpt.task_params, ckpt.task_spec)
    ids = codec.encode("to be")
    new = generate(rebuild_model(ckpt), ids, 60, seed=3)
    assert streamed == codec.decode([*ids.tolist(), *new]) + "\n"


def test_heatmap_reads_only_the_passage_of_a_huge_file(tmp_path: Path) -> None:
    import time

    from rnnlab.cli import _read_passage

    big = tmp_path / "corpus.txt"
    with open(big, "wb") as f:
        f.write(("ROMEO: but soft, what light through yonder window breaks? é\n" * 2000).encode())
        f.truncate(2**30)  # 1 GB (sparse): reading it all would take seconds and a gigabyte
    start = time.perf_counter()
    passage = _read_passage(str(big), max_tokens=10)
    assert time.perf_counter() - start < 0.5
    assert passage.startswith("ROMEO: but soft") and len(passage) == 400


def test_a_passage_cut_inside_a_character_is_still_text(tmp_path: Path) -> None:
    from rnnlab.cli import _read_passage

    path = tmp_path / "p.txt"
    path.write_text("é" * 1000, encoding="utf-8")  # 2 bytes each: 160 bytes cut at a boundary
    assert _read_passage(str(path), 1) == "é" * 40
    path.write_bytes(b"\xff\xfe bad")
    with pytest.raises(Exception, match="not UTF-8"):
        _read_passage(str(path), 1)
