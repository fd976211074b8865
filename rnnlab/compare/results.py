"""What a comparison produces: a :class:`Run` per model and seed, one :class:`CompareResult`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from rnnlab.train import TrainResult
from rnnlab.viz import reading as reading_mod
from rnnlab.viz.report import ReportData


@dataclass
class Run:
    """One model trained with one seed."""

    seed: int
    result: TrainResult
    test: dict[str, float]
    horizon: dict[str, Any] | None
    model: nn.Module
    initial: nn.Module | None  # the untrained weights (first seed, recurrent models)
    backtest: dict[str, float] | None = None  # forecast tasks: MASE, RMSE, MAE, sMAPE


@dataclass
class CompareResult:
    """The written report and everything it was made from."""

    path: Path
    wall_time: float  # seconds, the whole comparison
    reading: list[str]
    data: ReportData
    runs: dict[str, list[Run]]
    outcomes: list[reading_mod.Outcome]  # the numbers the reading was written from


__all__ = ["CompareResult", "Run"]
