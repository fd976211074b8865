"""Quality per wall-second: rnnlab's LSTM against torch.nn.LSTM on Tiny Shakespeare, side by side.

    python -m benchmarks.shakespeare --minutes 5            # both, one after the other
    python -m benchmarks.shakespeare --minutes 2 --only rnnlab --seq-len 50 --dropout 0
    python -m benchmarks.shakespeare --check-run runs/shakespeare   # re-score a trained run

Both contenders get the same everything but the recurrent layer: rnnlab's text task cuts the
training split into ``--batch-size`` contiguous streams (state carried across batches), the model
is embedding -> LSTM -> dropout -> linear, the rnnlab LSTM starts from the torch LSTM's weights
(``from_torch``), Adam with gradient clipping, and a learning rate that warms up, then follows
half a cosine from ``--lr`` to ``--min-lr`` over the wall-clock budget (so it ends exactly when
time runs out). Evaluation is :func:`rnnlab.train.evaluate` on the validation split, which the
text task yields as ONE stream (batch 1, state carried over all of it) — the same number
``rnnlab evaluate RUN --split valid`` prints. Set OMP_NUM_THREADS (or --threads) for the machine.
``--check-run RUN`` re-scores a run of ``rnnlab train`` independently: its weights copied into a
torch.nn.LSTM that reads the whole validation text in one call (no chunks, no carried-state
plumbing), beside ``rnnlab evaluate``'s number, and the loss per 10,000-character segment.
The defaults are the recipe of the best 10-minute run in docs/results.md (2x256, batch 64,
seq_len 25, lr 5e-3, dropout 0.1).
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from torch import nn

from rnnlab.nn import from_torch, to_torch
from rnnlab.tasks import make_task
from rnnlab.train import LRSchedule, TrainConfig
from rnnlab.train.checkpoint import load_checkpoint, rebuild_model
from rnnlab.train.evaluate import evaluate

DEFAULT_PATH = "../shared/data/tinyshakespeare.txt"  # from the repository root, as in README


class CharLM(nn.Module):
    """ids (B, T) -> embedding -> LSTM -> dropout -> linear -> logits (B, T, V), final state."""

    def __init__(self, vocab: int, emb: int, lstm: nn.Module, dropout: float) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.lstm = lstm  # batch-first torch.nn.LSTM or rnnlab.nn.LSTM
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(lstm.hidden_size, vocab)

    def forward(self, x, lengths=None, state=None):  # the signature rnnlab's evaluate() calls
        out, state = self.lstm(self.embedding(x), state)
        return self.head(self.dropout(out)), state


def build(kind: str, vocab: int, args: argparse.Namespace) -> CharLM:
    """The same initial weights for both kinds: seed, build torch's, convert if asked."""
    torch.manual_seed(args.seed)
    lstm = nn.LSTM(args.emb, args.hidden, args.layers, batch_first=True,
                   dropout=args.dropout if args.layers > 1 else 0.0)
    model = CharLM(vocab, args.emb, lstm, args.dropout)
    if kind == "rnnlab":
        model.lstm = from_torch(lstm)  # backend "bptt": the hand-written backward
    return model


def train(model: CharLM, task, args: argparse.Namespace) -> dict[str, float]:
    """Train for ``args.minutes`` of wall time; returns steps, chars and chars/s."""
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    # rnnlab's schedule: linear warmup, then a cosine over the wall-clock budget (no step count).
    schedule = LRSchedule(optimizer, TrainConfig(
        lr=args.lr, min_lr=args.min_lr, warmup_steps=args.warmup, schedule="cosine", steps=0,
        minutes=args.minutes))
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    step = chars = epoch = 0
    start = time.perf_counter()
    while True:
        state = None  # each pass over the data starts new streams
        for batch in task.batches("train", args.batch_size, seed=args.seed + epoch):
            elapsed = time.perf_counter() - start
            if elapsed >= args.minutes * 60:
                return {"steps": step, "chars": chars, "chars_per_s": chars / elapsed}
            schedule.apply(step, elapsed)
            logits, state = model(batch.x, state=state if batch.carry_state else None)
            loss = loss_fn(logits.flatten(0, 1), batch.y.flatten())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            state = tuple(s.detach() for s in state)  # truncated BPTT: the value goes on
            step, chars = step + 1, chars + batch.x.numel()
            if args.log_every and step % args.log_every == 0:
                print(f"  step {step}  loss {loss.item():.3f}  {elapsed:.0f} s", flush=True)
        epoch += 1


@torch.no_grad()
def check_run(path: str) -> None:
    """``rnnlab evaluate``'s whole-split loss against one torch.nn call over the whole text."""
    ckpt = load_checkpoint(path, load_state=False)
    model = rebuild_model(ckpt)  # embedding -> LSTM stack -> dropout -> head, eval mode
    task = make_task("text", **ckpt.task_params)
    chunked = evaluate(model, task, "valid")["loss"]
    y = torch.from_numpy(task.valid_ids)
    x = torch.cat([torch.from_numpy(task.train_ids[-1:]), y[:-1]]).unsqueeze(0)  # (1, N)
    h, _ = to_torch(model.stack.rnn).eval()(model.encoder.embedding(x))
    ce = F.cross_entropy(model.head(h)[0], y, reduction="none")
    print(f"rnnlab evaluate (chunks of {task.params.seq_len}, state carried): {chunked:.4f}")
    print(f"torch.nn.LSTM, same weights, one call over {len(y)} chars:      {ce.mean():.4f}")
    segments = " ".join(f"{ce[i : i + 10_000].mean():.3f}" for i in range(0, len(y), 10_000))
    print(f"per 10,000-char segment: {segments}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", default=DEFAULT_PATH)
    parser.add_argument("--minutes", type=float, default=5.0, help="training wall time, each")
    parser.add_argument("--only", choices=("rnnlab", "torch"), help="run one contender")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--emb", type=int, default=64)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seq-len", type=int, default=25, help="truncated-BPTT length")
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--min-lr", type=float, default=1e-4)
    parser.add_argument("--warmup", type=int, default=50, help="warmup steps")
    parser.add_argument("--clip", type=float, default=1.0, help="gradient norm clip")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch threads; 0 = leave as is")
    parser.add_argument("--log-every", type=int, default=0)
    parser.add_argument("--check-run", metavar="RUN", help="re-score a trained run and stop")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.check_run:
        return check_run(args.check_run)
    task = make_task("text", path=args.path, seq_len=args.seq_len)
    vocab = len(task.vocab)
    print(f"{args.layers}x{args.hidden} LSTM, emb {args.emb}, dropout {args.dropout}, batch "
          f"{args.batch_size}, seq {args.seq_len}, lr {args.lr} -> {args.min_lr} over "
          f"{args.minutes} min, threads {torch.get_num_threads()}, torch {torch.__version__}")
    results = {}
    for kind in (args.only,) if args.only else ("torch", "rnnlab"):
        model = build(kind, vocab, args)
        run = train(model, task, args)
        start = time.perf_counter()
        chunks = -(-10_000 // args.seq_len)  # the first 10,000 characters, in whole chunks
        first = evaluate(model, task, "valid", max_batches=chunks)["loss"]
        whole = evaluate(model, task, "valid")["loss"]  # the whole split, one stream
        results[kind] = run | {"first_10k": first, "valid": whole}
        print(f"{kind:7s} steps {run['steps']:6d}  chars {run['chars'] / 1e6:6.2f} M  "
              f"{run['chars_per_s']:8.0f} chars/s  valid (first 10k) {first:.4f}  "
              f"valid (whole split) {whole:.4f} nats/char  "
              f"(eval {time.perf_counter() - start:.0f} s)", flush=True)
    if len(results) == 2:
        ours, ref = results["rnnlab"], results["torch"]
        print(f"rnnlab / torch.nn: chars/s ratio {ours['chars_per_s'] / ref['chars_per_s']:.3f}, "
              f"valid {ours['valid']:.4f} vs {ref['valid']:.4f} "
              f"(difference {ours['valid'] - ref['valid']:+.4f} nats/char)")


if __name__ == "__main__":
    main()
