"""Shared test set-up.

The tests use small tensors, for which torch's intra-op threads cost far more than they give on
a 2-core machine (one test measured 11 ms with 1 thread and 70-340 ms with 2): run on one, from
collection on and again around every test, in case the code under test (``rnnlab --threads``,
a comparison run) changes the count.
"""

from collections.abc import Iterator

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Every test runs on one thread, and the count is put back after it."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
