"""Speed and memory of rnnlab's layers against torch.nn, side by side in one run.

    python -m benchmarks.speed                          # the whole grid (make bench), minutes
    python -m benchmarks.speed --sizes 32x100x512 --only lstm --repeats 10
    python -m benchmarks.speed --smoke                  # tiny sizes: does every row run? (CI)

For every size (B batch, T steps, I = H features and hidden units; one layer, or two, or
bidirectional) and every contender — torch.nn.RNN/LSTM/GRU, a naive Python loop over
torch.nn.LSTMCell, and rnnlab's layer for every family and variant — it prints, for a training
step (forward + backward of ``out.sum()``) and for inference (forward under ``no_grad``):

- the median time over ``--repeats`` interleaved rounds: the contenders of one family take turns,
  so that noise from other processes on a shared machine hits all of them alike (``--best``:
  the fastest round instead, the least disturbed one where others load the machine);
- tokens/s (B * T per step) and the achieved GFLOP/s of the matrix products, as a fraction of
  the machine's matmul peak, which is measured first, in the same run, with the same threads;
- the ratio of medians to the torch.nn layer of the same family and size (< 1: rnnlab faster);
- the kernel that ran: ``torch`` (torch.nn), ``loop`` (the LSTMCell loop), or rnnlab's
  ``last_kernel`` (``fused``: torch's kernel, which ``backend="auto"`` picks where the
  configuration is torch's and it is the faster one; ``bptt``: the hand-written path with its
  loops in Python; ``bptt-cpp``: the same with its loops in compiled C++,
  rnnlab/bptt/lstm_core.cpp, gru_core.cpp and elman_core.cpp). The rows "... bptt" and
  "... fused" force the other kernel of a layer torch has, so both show; the rows "... python"
  force the Python loops (``RNNLAB_NO_CPP=1`` during their calls) where the C++ core would
  run, and the rows "... unpacked" the C++ loops with plain per-step products instead of
  recurrent weights packed once per call (``RNNLAB_NO_PACKED_GEMM=1``,
  rnnlab/bptt/packed_gemm.h);
- the extra memory of a training step: bytes in use (glibc's ``mallinfo2``: heap and mmapped
  blocks) after the forward pass or after backward, whichever is more, minus before the step.
  torch's CPU allocator hands every tensor to ``malloc``, so this counts what the step holds.

FLOPs count the matrix products only, as 2 m n k each: per layer and direction, the gate
pre-activations ``2 B T G H (I + R)`` (G gates, R = H or the projection size) plus the
projection ``2 B T H P``; a training step is three times the forward (the backward computes
the input and the weight gradients). Element-wise work is left out, so the GFLOP/s of small
sizes understate the work done.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from rnnlab.nn import GRU, LSTM, RNN, from_torch

# -- what is measured -------------------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    B: int
    T: int
    H: int  # hidden units; the input has as many features
    layers: int = 1
    bidirectional: bool = False

    @property
    def name(self) -> str:
        extra = f" x{self.layers} layers" if self.layers > 1 else ""
        extra += " bidirectional" if self.bidirectional else ""
        return f"B {self.B}, T {self.T}, H {self.H}{extra}"


GRID = (
    Size(32, 100, 128),
    Size(32, 100, 512),
    Size(64, 50, 1024),
    Size(1, 1000, 128),
    Size(32, 100, 256, layers=2),
    Size(32, 100, 256, bidirectional=True),
)
SMOKE = (Size(2, 3, 4), Size(2, 3, 4, layers=2), Size(2, 3, 4, bidirectional=True))


@dataclass(frozen=True)
class Variant:
    label: str
    family: str  # rnn | lstm | gru: which torch.nn layer it is compared with
    options: dict[str, Any] = field(default_factory=dict)  # rnnlab options
    twin: bool = False  # torch.nn has exactly this layer: copy its weights (from_torch)
    proj: bool = False  # projection to H / 2 (torch's proj_size)
    backend: str = "auto"  # rnnlab's backend (rnnlab.nn.backend); "auto" is the default
    python_loops: bool = False  # the hand-written path with its loops in Python, not C++
    unpacked: bool = False  # the C++ loops without the packed recurrent weights


VARIANTS = (
    Variant("LSTM", "lstm", twin=True),
    Variant("LSTM bptt", "lstm", twin=True, backend="bptt"),
    Variant("LSTM peephole", "lstm", {"peephole": True}),
    Variant("LSTM peephole python", "lstm", {"peephole": True}, python_loops=True),
    Variant("LSTM peephole unpacked", "lstm", {"peephole": True}, unpacked=True),
    Variant("LSTM coupled (CIFG)", "lstm", {"coupled": True}),
    Variant("LSTM coupled (CIFG) python", "lstm", {"coupled": True}, python_loops=True),
    Variant("LSTM no forget gate", "lstm", {"forget_gate": False}),
    Variant("LSTM no forget gate python", "lstm", {"forget_gate": False}, python_loops=True),
    Variant("LSTM layer norm", "lstm", {"layer_norm": True}),
    Variant("LSTM layer norm python", "lstm", {"layer_norm": True}, python_loops=True),
    Variant("LSTM layer norm unpacked", "lstm", {"layer_norm": True}, unpacked=True),
    Variant("LSTM projection", "lstm", twin=True, proj=True),
    Variant("LSTM projection python", "lstm", twin=True, proj=True, python_loops=True),
    Variant("LSTM projection bptt", "lstm", twin=True, proj=True, backend="bptt"),
    Variant("GRU", "gru", twin=True),
    Variant("GRU python", "gru", twin=True, python_loops=True),
    Variant("GRU unpacked", "gru", twin=True, unpacked=True),
    Variant("GRU fused", "gru", twin=True, backend="fused"),
    Variant("GRU reset before", "gru", {"reset_after": False}),
    Variant("GRU reset before python", "gru", {"reset_after": False}, python_loops=True),
    Variant("Elman tanh", "rnn", twin=True),
    Variant("Elman tanh python", "rnn", twin=True, python_loops=True),
    Variant("Elman tanh fused", "rnn", twin=True, backend="fused"),
)
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
TORCH = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
OURS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


class LSTMCellLoop(nn.Module):
    """The naive baseline: torch.nn.LSTMCell called once per step from Python."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.cell = nn.LSTMCell(size, size)

    def forward(self, x: Tensor) -> tuple[Tensor, None]:
        h = c = x.new_zeros(x.shape[1], self.cell.hidden_size)
        outputs = []
        for x_t in x:  # (B, I)
            h, c = self.cell(x_t, (h, c))
            outputs.append(h)
        return torch.stack(outputs), None


class WithSwitch(nn.Module):
    """An rnnlab layer run with one of the cores' switches set to 1 during each call:
    ``RNNLAB_NO_CPP`` (rnnlab.bptt.cpp_core: the Python loops) or ``RNNLAB_NO_PACKED_GEMM``
    (rnnlab/bptt/packed_gemm.h: the C++ loops with plain, per-step-packed products)."""

    def __init__(self, layer: nn.Module, switch: str) -> None:
        super().__init__()
        self.layer = layer
        self.switch = switch

    @property
    def last_kernel(self) -> str | None:
        return self.layer.last_kernel

    def forward(self, x: Tensor) -> Any:
        before = os.environ.get(self.switch)
        os.environ[self.switch] = "1"
        try:
            return self.layer(x)
        finally:
            if before is None:
                del os.environ[self.switch]
            else:
                os.environ[self.switch] = before


def matmul_flops(family: str, size: Size, proj: bool, gates: int | None = None) -> float:
    """Multiply-adds x 2 of one forward pass (see the module docstring); ``gates``: the
    variant's gate blocks where they differ from the family's (3 for the LSTM cells without
    a forget gate or with i = 1 - f)."""
    gates, H = gates or GATES[family], size.H
    P = H // 2 if proj else 0
    out = P or H
    directions = 2 if size.bidirectional else 1
    total, features = 0.0, H
    for _ in range(size.layers):
        per_direction = 2 * size.B * size.T * gates * H * (features + out)
        per_direction += 2 * size.B * size.T * H * P
        total += directions * per_direction
        features = directions * out
    return total


# -- contenders -------------------------------------------------------------------------------


@dataclass
class Contender:
    label: str
    module: nn.Module
    flops: float  # forward
    is_reference: bool = False  # the torch.nn layer the family's ratios divide by


def family_contenders(family: str, size: Size) -> list[Contender]:
    """The torch.nn layer of ``family``, the naive loop (LSTM, one plain layer), and rnnlab's
    variants of the family, at ``size``."""
    common = {"num_layers": size.layers, "bidirectional": size.bidirectional}
    torch.manual_seed(0)
    reference = TORCH[family](size.H, size.H, **common)
    out = [Contender(f"torch.nn.{reference.__class__.__name__}", reference,
                     matmul_flops(family, size, False), is_reference=True)]
    if family == "lstm" and size.layers == 1 and not size.bidirectional:
        out.append(Contender("LSTMCell loop", LSTMCellLoop(size.H),
                             matmul_flops(family, size, False)))
    for v in VARIANTS:
        if v.family != family:
            continue
        if v.twin:
            twin = TORCH[family](size.H, size.H, proj_size=size.H // 2, **common) if v.proj \
                else reference
            module = from_torch(twin, backend=v.backend)
        else:
            module = OURS[family](size.H, size.H, **common, **v.options, backend=v.backend)
        if v.python_loops:
            module = WithSwitch(module, "RNNLAB_NO_CPP")
        if v.unpacked:
            module = WithSwitch(module, "RNNLAB_NO_PACKED_GEMM")
        three_gates = v.options.get("coupled") or v.options.get("forget_gate") is False
        flops = matmul_flops(family, size, v.proj, 3 if three_gates else None)
        out.append(Contender(f"rnnlab {v.label}", module, flops))
    return out


# -- timing and memory ------------------------------------------------------------------------


def train_step(module: nn.Module, x: Tensor) -> None:
    module.zero_grad(set_to_none=True)
    out, _ = module(x)
    out.sum().backward()


def infer_step(module: nn.Module, x: Tensor) -> None:
    with torch.no_grad():
        module(x)


def seconds(step: Callable[[nn.Module, Tensor], None], module: nn.Module, x: Tensor) -> float:
    start = time.perf_counter()
    step(module, x)
    return time.perf_counter() - start


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _bytes_in_use_fn() -> Callable[[], int] | None:
    """glibc's count of bytes handed out by malloc (heap + mmapped), or None elsewhere."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallinfo2"):
        return None
    libc.mallinfo2.restype = _MallInfo2

    def in_use() -> int:
        info = libc.mallinfo2()
        return int(info.uordblks + info.hblkhd)

    return in_use


BYTES_IN_USE = _bytes_in_use_fn()


def training_memory(module: nn.Module, x: Tensor) -> float | None:
    """Extra bytes a training step holds at its fullest (after forward or after backward)."""
    if BYTES_IN_USE is None:
        return None
    module.zero_grad(set_to_none=True)
    before = BYTES_IN_USE()
    out, _ = module(x)
    after_forward = BYTES_IN_USE()
    out.sum().backward()
    after_backward = BYTES_IN_USE()
    del out
    module.zero_grad(set_to_none=True)
    return max(after_forward, after_backward) - before


def matmul_peak(repeats: int, n: int = 1024) -> float:
    """GFLOP/s of the best of ``repeats`` n x n float32 matrix products."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = min(seconds(lambda _m, _x: torch.mm(a, b), nn.Identity(), a) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


@dataclass
class Row:
    size: str
    mode: str  # train | infer
    label: str
    ms: float
    tokens_per_s: float
    gflops: float
    peak_fraction: float
    ratio: float
    extra_mb: float | None
    kernel: str = ""  # what ran: torch.nn, the loop, or rnnlab's last_kernel (fused | bptt | ...)


def kernel_of(module: nn.Module) -> str:
    """The kernel a contender ran in its last call: rnnlab's ``last_kernel``, else its kind."""
    if hasattr(module, "last_kernel"):
        return str(module.last_kernel)
    return "loop" if isinstance(module, LSTMCellLoop) else "torch"


def measure(size: Size, family: str, repeats: int, peak: float,
            statistic: Callable[[list[float]], float] = statistics.median) -> list[Row]:
    """The rows of one family at one size; ``statistic`` of each contender's rounds (the
    median, or ``min`` with ``--best``)."""
    contenders = family_contenders(family, size)
    x = torch.randn(size.T, size.B, size.H)
    gc.collect()  # tensors die by reference count; what a cycle holds must not count as extra
    rows = []
    for mode, step, work in (("train", train_step, 3), ("infer", infer_step, 1)):
        times: dict[str, list[float]] = {c.label: [] for c in contenders}
        kernels = {}
        for c in contenders:  # warm-up
            step(c.module, x)
            kernels[c.label] = kernel_of(c.module)
        for _ in range(repeats):
            for c in contenders:
                times[c.label].append(seconds(step, c.module, x))
        base = statistic(times[next(c.label for c in contenders if c.is_reference)])
        for c in contenders:
            med = statistic(times[c.label])
            gflops = work * c.flops / med / 1e9
            memory = training_memory(c.module, x) if mode == "train" else None
            rows.append(Row(size.name, mode, c.label, 1e3 * med, size.B * size.T / med, gflops,
                            gflops / peak, med / base, None if memory is None else memory / 2**20,
                            kernels[c.label]))
    return rows


# -- the table --------------------------------------------------------------------------------

HEADER = ("size", "mode", "layer", "kernel", "median ms", "tokens/s", "GFLOP/s", "% of peak",
          "ratio to torch.nn", "extra MB")


def markdown_row(r: Row) -> str:
    memory = "n/a" if r.extra_mb is None else f"{r.extra_mb:.1f}"
    cells = (r.size, r.mode, r.label, r.kernel, f"{r.ms:.2f}", f"{r.tokens_per_s:,.0f}",
             f"{r.gflops:.1f}", f"{100 * r.peak_fraction:.0f}%", f"{r.ratio:.2f}x", memory)
    return "| " + " | ".join(cells) + " |"


def parse_size(text: str) -> Size:
    """``BxTxH``, optionally ``:2l`` (two layers) and/or ``:bi`` (bidirectional)."""
    shape, *flags = text.split(":")
    try:
        B, T, H = (int(v) for v in shape.split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a size is BxTxH[:2l][:bi], not {text!r}") from None
    layers = next((int(f[:-1]) for f in flags if f.endswith("l") and f[:-1].isdigit()), 1)
    return Size(B, T, H, layers=layers, bidirectional="bi" in flags)


def main(argv: Sequence[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=parse_size, nargs="+", default=None,
                        help="BxTxH[:2l][:bi] each; default: the grid of the module docstring")
    parser.add_argument("--only", choices=sorted(GATES), nargs="+", default=sorted(GATES),
                        help="families to measure")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds per mode")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--best", action="store_true",
                        help="the fastest round of each contender instead of the median: on a "
                             "machine that others load, the least disturbed round")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes and one round: checks that every row runs")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    sizes = args.sizes or (SMOKE if args.smoke else GRID)
    repeats = 1 if args.smoke else args.repeats
    peak = matmul_peak(3 if args.smoke else 10, n=64 if args.smoke else 1024)
    print(f"{time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}, float32; "
          f"matmul peak {peak:.1f} GFLOP/s; {'best' if args.best else 'medians'} of {repeats} "
          "interleaved rounds")
    print()
    header = tuple("best ms" if args.best and h == "median ms" else h for h in HEADER)
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    rows: list[Row] = []
    for size in sizes:
        for family in ("lstm", "gru", "rnn"):
            if family in args.only:
                for row in measure(size, family, repeats, peak,
                                   min if args.best else statistics.median):
                    print(markdown_row(row), flush=True)
                    rows.append(row)
    return rows


if __name__ == "__main__":
    main()
