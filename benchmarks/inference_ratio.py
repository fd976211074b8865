"""Inference of rnnlab's LSTM cells against torch.nn.LSTM, for telling two checkouts apart.

    PYTHONPATH=$PWD python -m benchmarks.inference_ratio --sizes 32x100x512 --rounds 5
    PYTHONPATH=/other/checkout python benchmarks/inference_ratio.py   # that checkout's rnnlab

The full grid (``benchmarks.speed``) takes minutes; this takes about one, so that two checkouts
(each builds its own C++ core: the cache name carries the source's hash) can alternate, run
after run, and a change of code be told from a change of the machine. Printed per size and
cell: the median over rounds of (median rnnlab time / median torch.nn time), each median of
``--calls`` forward calls under ``torch.no_grad()``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

import rnnlab.nn as rn

CELLS = {"plain": {"backend": "bptt"}, "peephole": {"peephole": True},
         "coupled": {"coupled": True}, "layer norm": {"layer_norm": True}}


def median_seconds(fn: Callable[[], object], calls: int) -> float:
    """Median wall time of ``calls`` calls of ``fn`` after one warm-up call."""
    fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Print (and return, by size and cell) the ratios."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["1x1000x128", "32x100x128", "32x100x512"],
                        help="BxTxH, input size = H")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"rnnlab from {rn.__file__}, {args.threads} threads")
    result: dict[str, dict[str, float]] = {}
    for size in args.sizes:
        B, T, H = (int(n) for n in size.split("x"))
        x = torch.randn(B, T, H)
        ref = torch.nn.LSTM(H, H, batch_first=True)
        result[size] = {}
        for name, options in CELLS.items():
            layer = rn.LSTM(H, H, batch_first=True, **options)
            ratios = []
            with torch.no_grad():
                for _ in range(args.rounds):
                    ours = median_seconds(lambda: layer(x), args.calls)  # noqa: B023
                    theirs = median_seconds(lambda: ref(x), args.calls)  # noqa: B023
                    ratios.append(ours / theirs)
            result[size][name] = statistics.median(ratios)
        cells = ", ".join(f"{name} {ratio:.2f}x" for name, ratio in result[size].items())
        print(f"B {B}, T {T}, H {H}: {cells}", flush=True)
    return result


if __name__ == "__main__":
    main()
