"""Where `rnnlab train`'s time goes: the whole loop against the bare recurrent layer, side by side.

    python -m benchmarks.train_overhead                     # 2x256 char LSTM, batch 64, seq_len 25
    python -m benchmarks.train_overhead --rounds 5 --steps 40 --threads 2

Issue 12 asks that ``rnnlab train`` spend its time in the layers: data, loss, optimizer,
clipping and logging should cost little, so that training reaches >= 90 % of the bare layer's
tokens/s. Three contenders run on the same model (the Tiny Shakespeare recipe of
``benchmarks/shakespeare.py``: embedding 64 -> LSTM 2 x 256 -> dropout 0.1 -> linear, batch 64,
seq_len 25), in interleaved rounds so that noise from other processes hits all three alike:

- **layer**: the model's recurrent stack alone, forward and backward of ``out.sum()`` on a fixed
  (B, T, embedding) input: the floor no training loop can beat;
- **model loop**: a hand-written loop over the task's batches (embedding, stack, head, cross
  entropy, backward, clipping, Adam), state carried between batches as ``rnnlab train`` does;
- **rnnlab train**: :func:`rnnlab.train.train` itself (progress, metrics, schedule, the bad-step
  guard, everything), timed as the difference between a run of ``2 * steps`` and one of
  ``steps`` steps, so that set-up and the final evaluation cancel out.

Printed: median seconds per step, tokens/s (B * T per step) and each one's share of the layer's
tokens/s. The ratio "rnnlab train / layer" is issue 12's target (>= 0.90).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import torch
from torch import nn

from rnnlab.models import ModelConfig, build_model
from rnnlab.tasks import make_task
from rnnlab.train import TrainConfig, train

DEFAULT_PATH = "../shared/data/tinyshakespeare.txt"  # from the repository root, as in README


def time_layer(layer: nn.Module, x: torch.Tensor, steps: int) -> float:
    """Seconds per forward + backward of the stack alone."""
    start = time.perf_counter()
    for _ in range(steps):
        out, _ = layer(x)
        out.sum().backward()
    return (time.perf_counter() - start) / steps


def time_model_loop(model: nn.Module, task, batch_size: int, steps: int) -> float:
    """Seconds per step of a plain loop: the model, cross entropy, clipping, Adam."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    batches = task.batches("train", batch_size, seed=0)
    state = None
    model.train()
    start = time.perf_counter()
    for _ in range(steps):
        batch = next(batches)
        logits, state = model(batch.x, state=state)
        loss = loss_fn(logits.flatten(0, 1), batch.y.flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        state = tuple(s.detach() for s in state)
    return (time.perf_counter() - start) / steps


def time_rnnlab_train(model: nn.Module, task, batch_size: int, steps: int) -> float:
    """Seconds per step of rnnlab.train.train: (run of 2n steps - run of n steps) / n."""

    def run(n: int) -> float:
        config = TrainConfig(steps=n, batch_size=batch_size, lr=1e-3, clip_grad_norm=1.0,
                             eval_every=0, eval_batches=1, progress=False, seed=0)
        start = time.perf_counter()
        train(model, task, config)
        return time.perf_counter() - start

    return (run(2 * steps) - run(steps)) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", default=DEFAULT_PATH)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--emb", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seq-len", type=int, default=25)
    parser.add_argument("--steps", type=int, default=30, help="timed steps per contender and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch threads; 0 = torch's own")
    args = parser.parse_args()
    if not os.path.isfile(args.path):
        sys.exit(f"error: {args.path} not found (Tiny Shakespeare; give --path FILE)")
    if args.threads:
        torch.set_num_threads(args.threads)
    task = make_task("text", path=args.path, seq_len=args.seq_len)
    torch.manual_seed(0)
    config = ModelConfig(family="lstm", hidden_size=args.hidden, num_layers=args.layers,
                         embedding_dim=args.emb, dropout=0.1)
    model = build_model(config, task.spec)
    layer = model.stack.rnn
    x = torch.randn(args.batch_size, args.seq_len, args.emb)
    print(f"LSTM {args.layers} x {args.hidden}, embedding {args.emb}, batch {args.batch_size}, "
          f"seq_len {args.seq_len}, {torch.get_num_threads()} threads")
    contenders = {
        "layer": lambda: time_layer(layer, x, args.steps),
        "model loop": lambda: time_model_loop(model, task, args.batch_size, args.steps),
        "rnnlab train": lambda: time_rnnlab_train(model, task, args.batch_size, args.steps),
    }
    for run in contenders.values():  # warm-up: first calls allocate and pick kernels
        run()
    contenders["layer"]()
    training_kernel = layer.last_kernel  # rnnlab train ends in an evaluation (no grad)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, run in contenders.items():
            times[name].append(run())
    tokens = args.batch_size * args.seq_len
    floor = statistics.median(times["layer"])
    print(f"kernel of a training step: {training_kernel}")
    print(f"{'contender':<14}{'ms/step':>10}{'tokens/s':>12}{'share of layer':>16}")
    for name, seconds in times.items():
        median = statistics.median(seconds)
        print(f"{name:<14}{1e3 * median:>10.1f}{tokens / median:>12,.0f}{floor / median:>16.2f}")


if __name__ == "__main__":
    main()
