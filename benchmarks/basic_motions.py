"""BasicMotions from ``fit(X, y)``: the LSTM beside the GRU and the window MLP, over seeds.

    PYTHONPATH=$PWD python -m benchmarks.basic_motions                 # seeds 0-4, all three
    PYTHONPATH=$PWD python -m benchmarks.basic_motions --seeds 0 --only gru

sktime ships BasicMotions (4 activities from a smartwatch: 6 channels x 100 steps, 40 training
and 40 test series). Every model gets the recipe of docs/results.md's LSTM (batch 8, lr 0.01,
400 steps, clipping at 1, cosine to 5e-4, no validation split); the recurrent ones are
bidirectional with 32 units, the window MLP sees the whole series at once (window 100: 600
inputs) through two hidden layers of 64. Prints test accuracy per seed, mean and minimum.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rnnlab import SequenceClassifier

RECIPE = {"steps": 400, "batch_size": 8, "lr": 0.01, "validation_fraction": 0.0,
          "train_options": {"clip_grad_norm": 1.0, "schedule": "cosine", "min_lr": 5e-4}}
MODELS = {
    "lstm": {"family": "lstm", "hidden_size": 32, "bidirectional": True},
    "gru": {"family": "gru", "hidden_size": 32, "bidirectional": True},
    "mlp": {"family": "mlp", "hidden_size": 64, "num_layers": 2, "model_options": {"window": 100}},
}


def load() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test), X as (N, T=100, F=6)."""
    from sktime.datasets import load_basic_motions

    out = []
    for split in ("train", "test"):
        X, y = load_basic_motions(split=split, return_X_y=True, return_type="numpy3D")
        out += [X.transpose(0, 2, 1), y]
    return tuple(out)  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--only", default=",".join(MODELS), help="comma-separated models")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    X_train, y_train, X_test, y_test = load()
    print("| model | parameters | test accuracy by seed | mean | min | seconds per fit |")
    print("|---|---:|---|---:|---:|---:|")
    for name in args.only.split(","):
        scores, seconds, params = [], [], 0
        for seed in seeds:
            start = time.perf_counter()
            clf = SequenceClassifier(**MODELS[name], **RECIPE, seed=seed).fit(X_train, y_train)
            seconds.append(time.perf_counter() - start)
            scores.append(clf.score(X_test, y_test))
            params = clf.model_.num_parameters
        shown = ", ".join(f"{s:.3f}" for s in scores)
        print(f"| {name} | {params:,} | {shown} | {np.mean(scores):.3f} | {min(scores):.3f} | "
              f"{np.median(seconds):.0f} |", flush=True)


if __name__ == "__main__":
    main()
