"""Accuracy against the gap for trained cue-word (or lag 2c) checkpoints: the table in
docs/results.md.

    python -m benchmarks.results.memory_horizon RUN_DIR [RUN_DIR ...] --gaps 2 3 4 5 6 10 20 30

Each RUN_DIR is a run directory (its last/ checkpoint is read) or a checkpoint directory. For
every gap the task's test set is rebuilt at that fixed gap (``rnnlab.inspect.task_at_gap``) and
scored with the task's own metrics; one row per gap, one column per model, with the chance level
and the binomial standard error of each value.
"""

from __future__ import annotations

import argparse
import json

import torch

from rnnlab.inspect import memory_horizon
from rnnlab.models.config import FAMILY_NAMES
from rnnlab.tasks import make_task
from rnnlab.train import load_checkpoint, rebuild_model


def horizon_of(run: str, gaps: list[int], eval_size: int | None) -> tuple[str, dict]:
    """The model's name and ``memory_horizon``'s result for the checkpoint in ``run``."""
    ckpt = load_checkpoint(run, load_state=False)
    task = make_task(ckpt.task_name, **ckpt.task_params)
    model = rebuild_model(ckpt)
    config = ckpt.model_config
    name = FAMILY_NAMES[config.family] + (f" ({config.variant})" if config.variant else "")
    return name, memory_horizon(model, task, gaps, eval_size=eval_size, split="test")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run or checkpoint directories")
    parser.add_argument("--gaps", type=int, nargs="+", default=[2, 3, 4, 5, 6, 10, 20, 30])
    parser.add_argument("--eval-size", type=int, default=None, help="test items per gap")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON")
    args = parser.parse_args()
    torch.set_num_threads(1)

    results = [horizon_of(run, args.gaps, args.eval_size) for run in args.runs]
    if args.json:
        print(json.dumps({name: r for name, r in results}, default=str, indent=1))
        return
    chance = results[0][1]["chance"]
    print(f"chance = {chance:.3f}; each cell: accuracy on the test set at that gap (± stderr)\n")
    print("| gap | " + " | ".join(name for name, _ in results) + " |")
    print("|---:|" + "---:|" * len(results))
    for gap in args.gaps:
        cells = [f"{r['accuracy'][gap]:.3f} ± {r['stderr'][gap]:.3f}" for _, r in results]
        print(f"| {gap} | " + " | ".join(cells) + " |")
    print("| horizon | " + " | ".join(str(r["horizon"]) for _, r in results) + " |")


if __name__ == "__main__":
    main()
