"""Optimizers and learning-rate schedules."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from test_train_helpers import (
    SignTask,
    make_model,
    weights,
)
from torch import nn

from rnnlab.errors import UserError
from rnnlab.train import LRSchedule, TrainConfig, build_optimizer, train
from rnnlab.train.config import OPTIMIZERS, SCHEDULES


def _optimizer(**kwargs: object) -> tuple[torch.optim.Optimizer, LRSchedule]:
    config = TrainConfig(**kwargs)  # type: ignore[arg-type]
    optimizer = build_optimizer(nn.Linear(2, 2).parameters(), config)
    return optimizer, LRSchedule(optimizer, config)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_each_optimizer_constructs_and_steps(name: str) -> None:
    task = SignTask()
    model = make_model(task)
    before = weights(model)
    config = TrainConfig(
        optimizer=name,
        momentum=0.9 if name in ("sgd", "rmsprop") else 0.0,
        weight_decay=1e-4,
        steps=3,
        device="cpu",
        progress=False,
    )
    result = train(model, task, config)
    assert result.steps == 3
    after = weights(model)
    assert all(not torch.equal(before[k], after[k]) for k in before)


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_each_schedule_constructs_and_steps_in_a_run(schedule: str) -> None:
    task = SignTask()
    model = make_model(task)
    lrs: list[float] = []
    config = TrainConfig(
        schedule=schedule,
        steps=6,
        warmup_steps=2,
        step_size=2,
        gamma=0.5,
        eval_every=2,
        plateau_patience=1,
        min_delta=10.0,
        device="cpu",
        progress=False,
    )
    train(model, task, config, callbacks=[lambda info: lrs.append(info.lr)])
    assert len(lrs) == 6 and lrs[0] == pytest.approx(0.5e-3)  # warmup: lr * 1/2
    if schedule == "none":
        assert lrs[1:] == [1e-3] * 5
    else:
        assert lrs[-1] < 1e-3


def test_warmup_then_cosine_down_to_min_lr() -> None:
    _, schedule = _optimizer(lr=1.0, schedule="cosine", warmup_steps=4, steps=14, min_lr=0.1)
    lrs = [schedule.lr_at(s) for s in range(16)]
    assert lrs[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert lrs[9] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.5)))  # halfway
    assert lrs[14] == pytest.approx(0.1) and lrs[15] == pytest.approx(0.1)  # flat at the floor
    assert all(a >= b for a, b in itertools.pairwise(lrs[3:]))


def test_cosine_without_a_step_count_follows_the_time_budget() -> None:
    _, schedule = _optimizer(lr=1.0, schedule="cosine", warmup_steps=2, steps=0, minutes=10,
                             min_lr=0.1)
    assert schedule.lr_at(0, elapsed=300) == pytest.approx(0.5)  # warmup still counts steps
    assert schedule.lr_at(5, elapsed=0) == pytest.approx(1.0)
    assert schedule.lr_at(5, elapsed=300) == pytest.approx(0.1 + 0.9 * 0.5)  # half the budget
    assert schedule.lr_at(5, elapsed=600) == pytest.approx(0.1)
    assert schedule.lr_at(5, elapsed=900) == pytest.approx(0.1)  # past the budget: the floor
    with pytest.raises(UserError, match="set steps, decay_steps or minutes"):
        TrainConfig(schedule="cosine", steps=0, epochs=3)


def test_step_schedule_and_apply() -> None:
    optimizer, schedule = _optimizer(lr=1.0, schedule="step", step_size=3, gamma=0.1)
    assert [schedule.lr_at(s) for s in (0, 2, 3, 6)] == pytest.approx([1.0, 1.0, 0.1, 0.01])
    assert schedule.apply(3) == pytest.approx(0.1)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1)


def test_plateau_drops_the_lr_after_patience_and_round_trips() -> None:
    _, schedule = _optimizer(lr=1.0, schedule="plateau", plateau_patience=2, gamma=0.5, min_lr=0.2)
    for improved in (True, False, False):  # two bad evaluations in a row
        schedule.observe(improved)
    assert schedule.lr_at(0) == pytest.approx(0.5)
    for _ in range(6):
        schedule.observe(False)
    assert schedule.lr_at(0) == pytest.approx(0.2)  # never below min_lr

    _, copy = _optimizer(lr=1.0, schedule="plateau", plateau_patience=2, gamma=0.5, min_lr=0.2)
    copy.load_state_dict(schedule.state_dict())
    assert copy.lr_at(0) == schedule.lr_at(0) and copy.bad_evals == schedule.bad_evals


def test_optimizer_errors_are_user_errors() -> None:
    with pytest.raises(UserError, match="unknown optimizer"):
        TrainConfig(optimizer="lbfgs")
    frozen = nn.Linear(2, 2).requires_grad_(False)
    with pytest.raises(UserError, match="no trainable parameters"):
        build_optimizer(frozen.parameters(), TrainConfig())


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd"])
def test_adam_adamw_and_sgd_run_torch_fused_kernel_on_cpu(name: str) -> None:
    optimizer = build_optimizer(nn.Linear(2, 2).parameters(), TrainConfig(optimizer=name))
    assert optimizer.defaults["fused"] is True


@pytest.mark.parametrize("name", ["adam", "sgd"])
def test_the_fused_step_equals_torch_default_loop(name: str) -> None:
    torch.manual_seed(0)
    a, b = nn.Linear(6, 5), nn.Linear(6, 5)
    b.load_state_dict(a.state_dict())
    config = TrainConfig(optimizer=name, lr=0.05, weight_decay=1e-3, momentum=0.5)
    fused = build_optimizer(a.parameters(), config)
    kind = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}[name]
    extra = {"momentum": 0.5} if name == "sgd" else {}
    plain = kind(b.parameters(), lr=0.05, weight_decay=1e-3, foreach=False, **extra)
    x = torch.randn(8, 6)
    for _ in range(5):
        for model, optimizer in ((a, fused), (b, plain)):
            optimizer.zero_grad()
            model(x).pow(2).sum().backward()
            optimizer.step()
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


def test_complex_parameters_fall_back_to_torch_loop() -> None:
    param = nn.Parameter(torch.randn(3, dtype=torch.complex64))
    optimizer = build_optimizer([param], TrainConfig(optimizer="adam"))
    assert not optimizer.defaults["fused"]
    param.grad = torch.ones_like(param)
    optimizer.step()
