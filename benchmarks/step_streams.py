"""StepStreams at length: resident memory every 100,000 steps of a model fed one step at a time.

    PYTHONPATH=$PWD python -m benchmarks.step_streams                 # 1,000,000 steps
    PYTHONPATH=$PWD python -m benchmarks.step_streams --steps 200000

A 2-layer LSTM language model of 8 units over 11 tokens, 4 streams, one stream reset every 997
steps (:class:`rnnlab.models.StepStreams`). Memory that grows with the steps would mean a graph
or a state kept alive per step; it should stay flat after the first steps warm the allocator.
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from rnnlab.models import ModelConfig, StepStreams, build_model
from rnnlab.tasks.base import TaskSpec


def rss_mib() -> float:
    """Resident memory now, from /proc (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=100_000)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    spec = TaskSpec("tokens", 11, "classes", 11, True)
    model = build_model(ModelConfig(family="lstm", hidden_size=8, num_layers=2), spec).eval()
    streams = StepStreams(model, 4)
    x = torch.tensor([1, 2, 3, 4])
    start = time.perf_counter()
    print("| steps | RSS MiB | seconds |\n|---:|---:|---:|")
    for i in range(args.steps + 1):
        if i % args.every == 0:
            print(f"| {i:,} | {rss_mib():.1f} | {time.perf_counter() - start:.0f} |", flush=True)
        if i % 997 == 0:
            streams.reset(i % 4)
        streams.step(x)


if __name__ == "__main__":
    main()
