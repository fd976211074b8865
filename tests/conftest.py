"""Shared test set-up.

The tests use small tensors, for which torch's intra-op threads cost far more than they give on
a 2-core machine (one test measured 11 ms with 1 thread and 70-340 ms with 2): run on one.
"""

import torch

torch.set_num_threads(1)
