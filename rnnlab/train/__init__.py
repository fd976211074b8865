"""rnnlab.train: the training loop, checkpoints, evaluation and metrics logging.

from rnnlab.train import TrainConfig, train
result = train(model, task, TrainConfig(steps=2000, out_dir="runs/lstm"))
result = train(model, task, TrainConfig(steps=4000, out_dir="runs/lstm"), resume=True)
"""

from rnnlab.models import detach_state
from rnnlab.train.checkpoint import (
    Checkpoint,
    apply_weights,
    checkpoint_meta,
    find_checkpoint,
    load_checkpoint,
    read_meta,
    rebuild_model,
    save_checkpoint,
)
from rnnlab.train.config import TrainConfig, parse_stop_when
from rnnlab.train.evaluate import count_tokens, evaluate
from rnnlab.train.loop import Callback, StepInfo, TrainResult, train
from rnnlab.train.metrics_log import MetricsLog, read_metrics
from rnnlab.train.optim import LRSchedule, build_optimizer
from rnnlab.train.session import resolve_device

__all__ = [
    "Callback",
    "Checkpoint",
    "LRSchedule",
    "MetricsLog",
    "StepInfo",
    "TrainConfig",
    "TrainResult",
    "apply_weights",
    "build_optimizer",
    "checkpoint_meta",
    "count_tokens",
    "detach_state",
    "evaluate",
    "find_checkpoint",
    "load_checkpoint",
    "parse_stop_when",
    "read_meta",
    "read_metrics",
    "rebuild_model",
    "resolve_device",
    "save_checkpoint",
    "train",
]
