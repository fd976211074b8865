"""Peak memory and speed of language modelling on a large corpus (issue 10: bounded memory).

    PYTHONPATH=$PWD python -m benchmarks.text_memory                  # 1 GiB generated, 1 minute
    PYTHONPATH=$PWD python -m benchmarks.text_memory --size-mb 200 --minutes 0.5
    PYTHONPATH=$PWD python -m benchmarks.text_memory --file corpus.txt --level word

Three child processes, each measured on its own with ``os.wait4`` (peak resident memory,
``ru_maxrss``, of that child alone):

1. ``import rnnlab``, torch and numpy, nothing else: the floor every run pays;
2. the cold start: the text task tokenises the file into its token file (a fresh cache);
3. ``rnnlab train --task text`` for ``--minutes`` from that cache, with checkpoints in a
   temporary run folder; tokens/s is the training tokens of the last logged step over its time.

The generated corpus is words of a 5,000-word made-up lexicon drawn with Zipf-like
frequencies, with punctuation and line breaks, so that char- and word-level both have a
realistic alphabet and vocabulary. Nothing is downloaded. Before the token file, ``rnnlab
train --task text`` peaked at about 25 bytes of RAM per byte of text (5.0 GB for 200 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BLOCK_WORDS = 2_000_000  # words generated per block: ~12 MB of text


def generate_corpus(path: Path, size_bytes: int, seed: int = 0) -> None:
    """Write ``size_bytes`` of made-up English-like text to ``path`` (see the docstring)."""
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"etaoinshrdlcumwfgypbvkjxqz", dtype=np.uint8)
    weights = 1.0 / np.arange(1, len(letters) + 1) ** 0.8
    lexicon = [bytes(rng.choice(letters, size=int(rng.integers(1, 11)), p=weights / weights.sum()))
               for _ in range(5000)]
    lexicon = np.array([*lexicon, b",", b".", b"\n"], dtype=object)
    freq = 1.0 / np.arange(1, len(lexicon) + 1) ** 1.1
    freq[-3:] = [0.05, 0.04, 0.03]  # punctuation and line breaks at about a sentence's rate
    freq /= freq.sum()
    written = 0
    with open(path, "wb") as f:
        while written < size_bytes:
            words = lexicon[rng.choice(len(lexicon), size=BLOCK_WORDS, p=freq)]
            block = b" ".join(words)[: size_bytes - written]
            f.write(block)
            written += len(block)


def run_child(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, stdout) of one child process."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} ... failed ({child.returncode}):\n{text}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024, text  # ru_maxrss is in KiB


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", help="a text file to use instead of a generated one")
    parser.add_argument("--size-mb", type=float, default=1024, help="generated corpus size, MiB")
    parser.add_argument("--minutes", type=float, default=1.0, help="training time")
    parser.add_argument("--level", choices=["char", "word"], default="char")
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="rnnlab-text-memory-") as scratch:
        work = Path(scratch)
        if args.file:
            corpus = Path(args.file)
        else:
            corpus = work / "corpus.txt"
            start = time.perf_counter()
            generate_corpus(corpus, int(args.size_mb * 2**20))
            print(f"generated {corpus.stat().st_size / 2**20:,.0f} MiB in "
                  f"{time.perf_counter() - start:.0f} s")
        env = {**os.environ, "RNNLAB_CACHE_DIR": str(work / "cache")}
        py = sys.executable
        floor = run_child([py, "-c", "import numpy, torch, rnnlab.tasks, rnnlab.train"], env)
        build = run_child([py, "-c", "import sys; from rnnlab.tasks import make_task; "
                           f"t = make_task('text', path=sys.argv[1], level='{args.level}'); "
                           "print(len(t.vocab), t.tokens.n_tokens)", str(corpus)], env)
        vocab, n_tokens = build[2].split()[-2:]
        train = run_child([py, "-m", "rnnlab", "train", "--task", "text",
                           "-p", f"path={corpus}", "-p", f"level={args.level}",
                           "--hidden-size", str(args.hidden_size),
                           "--batch-size", str(args.batch_size), "--minutes", str(args.minutes),
                           "--eval-every", "500", "--eval-batches", "20",
                           "--out-dir", str(work / "run"), "--no-progress"], env)
        lines = (work / "run" / "metrics.jsonl").read_text().splitlines()
        last = [row for row in map(json.loads, lines) if "tokens" in row][-1]
        rate = last["tokens"] / last["time"]  # the time includes its evaluations
        on_disk = sum(f.stat().st_size for f in (work / "cache" / "tokens").glob("*.ids"))

    print(f"\ncorpus: {args.level} level, {int(n_tokens):,} tokens, vocabulary {int(vocab):,}")
    print("| stage | seconds | peak RSS MB |\n|---|---|---|")
    print(f"| import rnnlab, torch, numpy | {floor[0]:.1f} | {floor[1]:,.0f} |")
    print(f"| tokenise into the token file (cold cache) | {build[0]:.1f} | {build[1]:,.0f} |")
    print(f"| train {args.minutes:g} min from the cache | {train[0]:.1f} | {train[1]:,.0f} |")
    print(f"\ntraining: {last['step']} steps, {rate:,.0f} tokens/s "
          f"(batch {args.batch_size}, LSTM {args.hidden_size}); "
          f"token file {on_disk / 2**20:,.0f} MiB on disk")


if __name__ == "__main__":
    main()
