"""Forward+backward time of rnnlab's layers against torch.nn, side by side in one run.

    python -m benchmarks.speed                 # the default grid
    python -m benchmarks.speed --T 200 --B 64 --H 512 --repeats 10

Prints, per family and backend, the median time of one forward+backward pass and its ratio to
torch.nn's layer with the same weights (ratio < 1 means rnnlab is faster). Measurements alternate
between the contenders so that noise from other processes on a shared machine hits both.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from rnnlab.nn import from_torch

FAMILIES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def time_pass(module: torch.nn.Module, x: torch.Tensor) -> float:
    """Seconds for one forward and backward pass of ``module`` on ``x``."""
    module.zero_grad(set_to_none=True)
    start = time.perf_counter()
    out, _ = module(x)
    out.sum().backward()
    return time.perf_counter() - start


def compare(family: str, T: int, B: int, I: int, H: int, layers: int, repeats: int) -> None:
    torch.manual_seed(0)
    reference = FAMILIES[family](I, H, num_layers=layers)
    contenders = {"torch.nn": reference}
    for backend in ("bptt", "reference"):
        ours = from_torch(reference)
        ours.backend = backend
        contenders[f"rnnlab/{backend}"] = ours
    x = torch.randn(T, B, I)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(2):  # warm-up
        for module in contenders.values():
            time_pass(module, x)
    for _ in range(repeats):
        for name, module in contenders.items():
            times[name].append(time_pass(module, x))
    base = statistics.median(times["torch.nn"])
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{family:5s} {name:18s} {med * 1e3:9.2f} ms   ratio {med / base:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--T", type=int, default=100, help="time steps")
    parser.add_argument("--B", type=int, default=32, help="batch size")
    parser.add_argument("--I", type=int, default=256, help="input features")
    parser.add_argument("--H", type=int, default=256, help="hidden units")
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--family", choices=sorted(FAMILIES), nargs="*", default=sorted(FAMILIES))
    args = parser.parse_args()
    print(
        f"T={args.T} B={args.B} I={args.I} H={args.H} layers={args.layers} "
        f"threads={torch.get_num_threads()} torch={torch.__version__}"
    )
    for family in args.family:
        compare(family, args.T, args.B, args.I, args.H, args.layers, args.repeats)


if __name__ == "__main__":
    main()
