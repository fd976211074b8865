"""Which of a task's metrics a comparison judges by, plots and tabulates."""

from __future__ import annotations

from rnnlab.tasks import Task

HIDDEN_METRICS = ("chance", "baseline", "count")  # constants, not results


def is_result(metric: str) -> bool:
    """Whether a metric is a model's result, not a constant of the task (``chance``,
    ``baseline`` or one of several baselines, ``baseline_mse``)."""
    return metric not in HIDDEN_METRICS and not metric.startswith("baseline_")


def choose_metrics(task: Task, metrics: dict[str, float]) -> tuple[str, list[str], list[str]]:
    """(main metric, learning-curve metrics, results-table metrics) for a task's metrics."""
    # Language models are judged by their loss (nats per token), classifiers by accuracy.
    main = "accuracy" if "accuracy" in metrics and task.name != "text" else "loss"
    if "exact_match" in metrics:  # a translation is right only when all of it is
        main = "exact_match"
    if "answer_loss" in metrics:  # the loss at the answer alone (cue-word) says more
        curves = ["accuracy", "answer_loss"]
    else:
        curves = [main] + (["loss"] if main != "loss" else [])
    table = [main] + [m for m in metrics if m != main and is_result(m)]
    return main, curves, table[:4]


__all__ = ["HIDDEN_METRICS", "choose_metrics", "is_result"]
