"""Looking inside recurrent networks: traces of every step, and probes built on them.

* :func:`trace` -> :class:`Trace`: per layer, direction and step, the gate activations, the
  states h and c, and the gradients dL/dh_t, dL/dc_t (total derivatives through the unrolled
  graph), from a faithful re-run through the reference cells;
  :func:`gate_saturation`: how often each gate is nearly closed or open;
* :func:`gradient_flow`, :func:`compare_gradient_flow`: ||dL/dh_t|| against the distance from
  a loss at the end of the sequence (vanishing gradients, RNN vs LSTM vs GRU);
* :func:`memory_horizon`: accuracy against the lag to bridge (cue-word gap, lag 2c's q);
* :func:`unit_activity`, :func:`find_interesting_units`: single units over a text passage.

Every probe returns plain data (lists, dicts, numpy arrays) for :mod:`rnnlab.viz` to draw.
"""

from rnnlab.inspect.gradient_flow import (
    compare_gradient_flow,
    decay_per_step,
    flow_from_trace,
    gradient_flow,
    loss_at_end,
)
from rnnlab.inspect.memory_horizon import (
    chance_level,
    evaluate_split,
    memory_horizon,
    task_at_gap,
)
from rnnlab.inspect.saturation import gate_saturation, saturation_table
from rnnlab.inspect.trace import Trace, find_recurrent_layer, trace
from rnnlab.inspect.unit_activity import (
    UnitActivity,
    find_interesting_units,
    text_features,
    unit_activity,
    unit_values,
)

__all__ = [
    "Trace",
    "UnitActivity",
    "chance_level",
    "compare_gradient_flow",
    "decay_per_step",
    "evaluate_split",
    "find_interesting_units",
    "find_recurrent_layer",
    "flow_from_trace",
    "gate_saturation",
    "gradient_flow",
    "loss_at_end",
    "memory_horizon",
    "saturation_table",
    "task_at_gap",
    "text_features",
    "trace",
    "unit_activity",
    "unit_values",
]
