"""rnnlab.utils: small helpers shared by the training loop, the probes and the command line."""

from rnnlab.utils.device import model_device
from rnnlab.utils.seed import get_rng_state, preserve_rng, seed_everything, set_rng_state

__all__ = ["get_rng_state", "model_device", "preserve_rng", "seed_everything", "set_rng_state"]
