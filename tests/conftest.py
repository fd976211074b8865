"""Shared test set-up: threads, and the seeds of the learning tests.

Threads. The tests use small tensors, for which torch's intra-op threads cost far more than they
give on a 2-core machine (one test measured 11 ms with 1 thread and 70-340 ms with 2): run on one
by default, from collection on and again around every test, in case the code under test
(``rnnlab --threads``, a comparison run) changes the count. ``RNNLAB_TEST_THREADS=2`` runs them
on two instead — the learning tests must pass either way, since other thread counts split the
matmuls differently and so round differently.

Seeds. A test that trains a model and asserts on what it learned takes the ``seed`` fixture and
is marked ``learning``. It uses seed 0; ``RNNLAB_TEST_SEEDS=0,1,2,3,4`` runs it once per listed
seed (``make test-seeds``), which is how a learning test shows a real margin rather than one
lucky trajectory.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
import torch


def _threads() -> int:
    text = os.environ.get("RNNLAB_TEST_THREADS", "1")
    if not text.isdigit() or int(text) < 1:
        raise pytest.UsageError(f"RNNLAB_TEST_THREADS must be a positive integer, not {text!r}")
    return int(text)


def _seeds() -> list[int]:
    text = os.environ.get("RNNLAB_TEST_SEEDS", "").strip()
    if not text:
        return [0]
    try:
        seeds = [int(s) for s in text.split(",")]
    except ValueError:
        raise pytest.UsageError(
            f"RNNLAB_TEST_SEEDS must be a comma-separated list of integers, not {text!r}"
        ) from None
    if any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise pytest.UsageError(f"RNNLAB_TEST_SEEDS must list distinct seeds >= 0, not {text!r}")
    return seeds


THREADS = _threads()
SEEDS = _seeds()
torch.set_num_threads(THREADS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that asks for ``seed`` runs once per seed of ``RNNLAB_TEST_SEEDS``."""
    if "seed" in metafunc.fixturenames:
        metafunc.parametrize("seed", SEEDS, ids=[f"seed{s}" for s in SEEDS])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test with the ``seed`` fixture that is not marked ``learning`` (or the reverse) would
    drop out of ``make test-seeds`` or run it for nothing: refuse both."""
    for item in items:
        seeded = "seed" in getattr(item, "fixturenames", ())
        marked = item.get_closest_marker("learning") is not None
        if seeded != marked:
            raise pytest.UsageError(
                f"{item.nodeid}: a learning test takes the `seed` fixture and is marked "
                "`learning`; this one has only one of the two"
            )


@pytest.fixture(autouse=True, scope="session")
def token_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Token files (rnnlab/tasks/token_file.py) go to a folder of this session, not the
    user's cache; subprocesses inherit it."""
    before = os.environ.get("RNNLAB_CACHE_DIR")
    os.environ["RNNLAB_CACHE_DIR"] = str(tmp_path_factory.mktemp("rnnlab-cache"))
    yield
    if before is None:
        os.environ.pop("RNNLAB_CACHE_DIR", None)
    else:
        os.environ["RNNLAB_CACHE_DIR"] = before


@pytest.fixture(autouse=True)
def fixed_threads() -> Iterator[None]:
    """Every test runs on THREADS threads, and the count is put back after it."""
    before = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test: data is never fetched at run time."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a task tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
