"""Exact match against input length, with and without attention (the point of attention).

    python -m benchmarks.seq2seq_length --task numbers --steps 3000 --out-dir runs/s2s-numbers
    python -m benchmarks.seq2seq_length --task dates --check-runs runs/s2s-dates   # re-score

For each ``--attention`` (default: none, luong, bahdanau) it trains the same encoder-decoder
(a bidirectional GRU encoder, a GRU decoder; ``--hidden-size``, ``--embedding-dim``) with
rnnlab's own loop (``rnnlab.train.train``; best/ picked by validation exact match) into
``OUT_DIR/<attention>``, then decodes every sentence of the test split greedily (its values
never trained on) and counts exact matches per source length (in characters, in bins of
``--bin``). It prints a table, writes ``OUT_DIR/length.json`` and the chart
``OUT_DIR/length.png``. ``--check-runs`` skips training and re-scores the runs there.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rnnlab.compare.seq2seq_probes import exact_match_by_length
from rnnlab.models import build_model
from rnnlab.models.config import ModelConfig
from rnnlab.models.seq2seq import Seq2Seq
from rnnlab.tasks import make_task
from rnnlab.tasks.translation import Seq2SeqTask
from rnnlab.train import TrainConfig, evaluate, train
from rnnlab.train.checkpoint import load_checkpoint, rebuild_model
from rnnlab.utils.atomic import atomic_write
from rnnlab.utils.seed import seed_everything
from rnnlab.viz.attention import length_chart


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", default="numbers", choices=("numbers", "dates"))
    parser.add_argument("--attention", default="none,luong,bahdanau")
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--embedding-dim", type=int, default=32)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--minutes", type=float, default=0.0, help="per model; 0 = no limit")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--eval-size", type=int, default=2000)
    parser.add_argument("--bin", type=int, default=10, help="input-length bin, characters")
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", default="runs/s2s-length")
    parser.add_argument("--check-runs", default="", help="re-score the runs in this folder")
    args = parser.parse_args()

    out = Path(args.check_runs or args.out_dir)
    task = make_task(args.task, eval_size=args.eval_size)
    assert isinstance(task, Seq2SeqTask)
    results: dict[str, dict] = {}
    for attention in args.attention.split(","):
        run = out / attention
        started = time.perf_counter()
        if args.check_runs:
            model = rebuild_model(load_checkpoint(run / "best", load_state=False))
        else:
            seed_everything(args.seed)
            config = ModelConfig(family="gru", hidden_size=args.hidden_size, bidirectional=True,
                                 embedding_dim=args.embedding_dim, attention=attention)
            model = build_model(config, task.spec)
            train(model, task, TrainConfig(
                steps=args.steps, minutes=args.minutes, batch_size=args.batch_size, lr=args.lr,
                clip_grad_norm=1.0, schedule="cosine", eval_every=args.eval_every,
                metric="exact_match", seed=args.seed, out_dir=str(run), overwrite=True,
                progress=False,
                tensorboard=False))
            model = rebuild_model(load_checkpoint(run / "best", load_state=False))
        assert isinstance(model, Seq2Seq)
        test = evaluate(model, task, "test", batch_size=100)
        bins = exact_match_by_length(model, task, bin_width=args.bin)
        results[attention] = {
            "describe": model.describe(), "test": test, "seconds": time.perf_counter() - started,
            "by_length": {str(k): {"exact": e, "count": n} for k, (e, n) in bins.items()},
        }
        print(f"{attention:9s} test exact match {100 * test['exact_match']:.2f}%  "
              f"cer {test['cer']:.4f}  " + "  ".join(
                  f"{k}-{k + args.bin - 1}: {100 * e / n:.1f}% ({n})"
                  for k, (e, n) in bins.items()), flush=True)
    atomic_write(out / "length.json", json.dumps(results, indent=1))
    curves = {f"{a} ({100 * r['test']['exact_match']:.1f}%)": {
        int(k) + args.bin // 2: v["exact"] / v["count"]
        for k, v in r["by_length"].items() if v["count"] >= 10}
        for a, r in results.items()}
    length_chart(curves, out / "length.png", overwrite=True,
                 title=f"{args.task}: test exact match against input length (GRU "
                       f"{args.hidden_size}, bidirectional encoder)")
    print(out / "length.png")


if __name__ == "__main__":
    main()
