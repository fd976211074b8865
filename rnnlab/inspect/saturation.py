"""Gate saturation: how often each sigmoid gate sits near closed (< 0.1) or open (> 0.9).

A saturated gate acts as a switch: a forget gate near 1 keeps the cell (the long-memory
regime), near 0 wipes it; an input gate near 0 shields the cell from the input. Karpathy,
Johnson & Fei-Fei (2015) plot exactly these two shares per gate ("left/right saturated") to
show how differently trained gates behave.

Only the sigmoid gates are counted (LSTM i, f, o; GRU r, z): their range is (0, 1), where the
thresholds mean "closed" and "open". The tanh candidates (LSTM g, GRU n) live in (-1, 1) and are
not gates; pass ``gates=`` to count them anyway (against the same thresholds). A ConvLSTM's
gates are maps: every channel at every pixel counts as one activation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from torch import Tensor

from rnnlab.errors import UserError
from rnnlab.inspect.rerun import step_mask
from rnnlab.nn.families import family


class GateTrace(Protocol):
    """What :func:`gate_saturation` reads of a :class:`~rnnlab.inspect.trace.Trace` (which
    imports this module for its summary, so this module does not import it)."""

    family: str
    gate_names: tuple[str, ...]
    mask: Tensor  # (T, B) bool: the real steps
    num_layers: int
    num_directions: int

    def gates(self, layer: int, direction: int = 0) -> dict[str, Tensor]: ...


def gate_saturation(
    trace: GateTrace,
    low: float = 0.1,
    high: float = 0.9,
    gates: Sequence[str] | None = None,
) -> dict[int, dict[str, dict[str, float]]]:
    """Share of gate activations below ``low`` and above ``high``, per layer and gate.

    Both directions of a bidirectional layer are pooled; only the real steps (``trace.mask``)
    count. Returns ``{layer: {gate: {"low": share, "high": share, "count": n}}}`` with plain
    floats; ``count`` is the number of activations (steps x rows x units x directions; for
    a ConvLSTM, units = channels x pixels).
    """
    if not low <= high:
        raise UserError(f"gate_saturation needs low <= high, got low={low}, high={high}")
    if gates is None:  # the family's sigmoid gates that this trace recorded
        sigmoid = [g.name for g in family(trace.family).gates if g.squash == "sigmoid"]
        names = [g for g in trace.gate_names if g in sigmoid]
    else:
        names = list(gates)
    unknown = [g for g in names if g not in trace.gate_names]
    if unknown:
        raise UserError(f"no gate(s) {unknown} in a {trace.family} trace {trace.gate_names}")
    result: dict[int, dict[str, dict[str, float]]] = {}
    for layer in range(trace.num_layers):
        per_gate: dict[str, dict[str, float]] = {}
        for g in names:
            n_low = n_high = count = 0.0
            for d in range(trace.num_directions):
                v = trace.gates(layer, d)[g]  # (T, B, H), or maps (T, B, H, Hf, Wf)
                m = step_mask(trace.mask, v).expand_as(v)
                n_low += float(((v < low) & m).sum())
                n_high += float(((v > high) & m).sum())
                count += float(m.sum())
            per_gate[g] = {
                "low": n_low / count if count else float("nan"),
                "high": n_high / count if count else float("nan"),
                "count": count,
            }
        result[layer] = per_gate
    return result


def saturation_table(saturation: dict[int, dict[str, dict[str, float]]]) -> list[dict[str, object]]:
    """The nested result of :func:`gate_saturation` as rows (layer, gate, low, high) for tables."""
    return [
        {"layer": layer, "gate": g, "low": s["low"], "high": s["high"]}
        for layer, gates in saturation.items()
        for g, s in gates.items()
    ]
