"""Training throughput of one process against N data-parallel processes on this machine.

    python -m benchmarks.distributed                          # 1 process x 1, x 2 threads; 2 x 1
    python -m benchmarks.distributed --hidden-size 512 --steps 40 --backend fused
    python -m benchmarks.distributed --setups 1x1,2x1,4x1 --path ../shared/data/tinyshakespeare.txt

Each setup ``PxT`` is one ``rnnlab train --nproc P`` with T threads per process
(``OMP_NUM_THREADS``), run as a subprocess, on the same character-level language model and the
same global batch (``--batch-size`` streams of Tiny Shakespeare, ``--seq-len`` characters per
truncated-BPTT chunk). The rate is read from the run's metrics.jsonl: training characters per
second of rank 0's clock between the first and the last logged step, so start-up (imports,
rendezvous, the first step) is left out; "wall" is the whole command, start-up included.
Every setup computes the same steps (same loss curve), so the rates compare like for like.
A shared machine is noisy: run it twice, and read differences under ~10% as noise.
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

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATH = "../shared/data/tinyshakespeare.txt"  # from the repository root, as in README


def parse_setups(text: str) -> list[tuple[int, int]]:
    """``"1x1,1x2,2x1"`` -> [(1, 1), (1, 2), (2, 1)]: processes x threads per process."""
    setups = []
    for item in text.split(","):
        procs, _, threads = item.strip().partition("x")
        setups.append((int(procs), int(threads or 1)))
    return setups


def run_setup(args: argparse.Namespace, procs: int, threads: int, out_dir: Path) -> dict:
    """One training run; its throughput and wall time."""
    argv = [
        sys.executable, "-m", "rnnlab", "train", "--task", "text", "-p", f"path={args.path}",
        "-p", f"seq_len={args.seq_len}", "--family", "lstm", "--num-layers", str(args.num_layers),
        "--hidden-size", str(args.hidden_size), "--embedding-dim", "64", "--backend",
        args.backend, "--batch-size", str(args.batch_size), "--steps", str(args.steps),
        "--log-every", str(args.log_every), "--eval-every", "0", "--eval-batches", "1",
        "--no-progress", "--no-tensorboard", "--device", "cpu", "--out-dir", str(out_dir),
        "--nproc", str(procs),
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": str(threads),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    start = time.perf_counter()
    subprocess.run(argv, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    lines = (out_dir / "metrics.jsonl").read_text().splitlines()
    train = [r for r in map(json.loads, lines) if r["split"] == "train"]
    first, last = train[0], train[-1]
    rate = (last["tokens"] - first["tokens"]) / (last["time"] - first["time"])
    return {"procs": procs, "threads": threads, "chars_per_s": rate, "wall": wall,
            "loss": last["loss"]}


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--path", default=DEFAULT_PATH, help="the training text")
    p.add_argument("--setups", default="1x1,1x2,2x1", help="processes x threads, comma-separated")
    p.add_argument("--hidden-size", type=int, default=256)
    p.add_argument("--num-layers", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64, help="the global batch")
    p.add_argument("--seq-len", type=int, default=50)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--backend", default="bptt", help="bptt (hand-written) | fused | auto")
    args = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for procs, threads in parse_setups(args.setups):
            rows.append(run_setup(args, procs, threads, Path(tmp) / f"{procs}x{threads}"))
    base = rows[0]["chars_per_s"]
    print(f"LSTM {args.num_layers}x{args.hidden_size}, backend {args.backend}, global batch "
          f"{args.batch_size} x {args.seq_len} chars, {args.steps} steps, {os.cpu_count()} cores")
    print("| processes x threads | chars/s (rank 0, after start-up) | vs first | wall s | "
          "last loss |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['procs']} x {r['threads']} | {r['chars_per_s']:,.0f} | "
              f"{r['chars_per_s'] / base:.2f} | {r['wall']:.1f} | {r['loss']:.4f} |")
    return rows


if __name__ == "__main__":
    main()
