"""A recurrent layer re-run step by step through the reference cells, every step kept.

:func:`rerun_layer` recomputes ``layer(input, hx)`` of an rnnlab.nn RNN, LSTM or GRU through
the reference step functions of :mod:`rnnlab.bptt.reference` (the single definition of each
cell's math) with the layer's own parameters, and returns, next to the output and final state,
a :class:`Recording` of every step: the states h (and c) and the gate activations. They are
the very tensors of the autograd graph, so gradients with respect to them are total
derivatives. Input and output come in every layout the layer takes (time-major, batch-first,
unbatched, packed), so the re-run can stand in for the layer inside any model
(:func:`rnnlab.inspect.trace.trace` does exactly that).

Conventions:

* the recorded steps are in *processing order*: for the backward direction (d = 1), step 0 is
  the last element of each sequence; :func:`reverse_steps` with ``Recording.reverse_index``
  brings them back to input order (the map is its own inverse);
* a row past its length keeps its state and emits zeros; its recorded steps are garbage that
  the caller masks with ``Recording.mask``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from rnnlab.bptt.reference import elman_step, gru_step, lstm_step
from rnnlab.errors import UserError
from rnnlab.nn import GRU, LSTM, RNN, RecurrentLayer
from rnnlab.nn.lstm import lstm_weights

Key = tuple[int, int]  # (layer, direction)
States = tuple[Tensor, ...]
# One step of one direction: (x_t (B, I), states, record) -> new states; ``record`` (a dict
# or None) receives the gate activations.
Step = Callable[[Tensor, States, dict[str, Tensor] | None], States]

# torch's parameter names: {short}_l{k}, {short}_l{k}_reverse
_PARAM_NAME = re.compile(r"^(?P<short>.+)_l(?P<layer>\d+)(?P<reverse>_reverse)?$")


# ----------------------------------------------------------------------------- the family


def family_of(layer: RecurrentLayer) -> tuple[str, tuple[str, ...]]:
    """("rnn" | "lstm" | "gru", the gate names a trace records, in display order)."""
    if isinstance(layer, LSTM):
        return "lstm", ("i", "f", "g", "o") if layer.forget_gate else ("i", "g", "o")
    if isinstance(layer, GRU):
        return "gru", ("r", "z", "n")
    if isinstance(layer, RNN):
        return "rnn", ()
    raise UserError(f"cannot trace a {type(layer).__name__}: not an rnnlab RNN, LSTM or GRU")


def direction_params(layer: RecurrentLayer, k: int, direction: int) -> dict[str, Tensor]:
    """The parameters of layer ``k``, ``direction``, by short name (``weight_ih``, ...).

    Read from the torch-style names (``weight_ih_l0_reverse``), so any parameter a variant adds
    (peepholes, layer-norm gains, projection) comes along without inspect knowing about it.
    """
    params = {}
    for name, p in layer.named_parameters(recurse=False):
        m = _PARAM_NAME.match(name)
        if m and int(m["layer"]) == k and bool(m["reverse"]) == bool(direction):
            params[m["short"]] = p
    return params


def make_step(layer: RecurrentLayer, params: dict[str, Tensor]) -> Step:
    """The reference step function of ``layer``'s family, bound to its options and ``params``."""
    if isinstance(layer, LSTM):
        w = lstm_weights(params)

        def lstm(x: Tensor, states: States, record: dict[str, Tensor] | None) -> States:
            return lstm_step(
                x, states[0], states[1], w, layer.forget_gate, layer.coupled, record=record
            )

        return lstm
    w_ih, w_hh = params["weight_ih"], params["weight_hh"]
    b_ih, b_hh = params.get("bias_ih"), params.get("bias_hh")
    if isinstance(layer, GRU):

        def gru(x: Tensor, states: States, record: dict[str, Tensor] | None) -> States:
            return (gru_step(x, states[0], w_ih, w_hh, b_ih, b_hh, layer.reset_after, record),)

        return gru

    def elman(x: Tensor, states: States, record: dict[str, Tensor] | None) -> States:
        return (elman_step(x, states[0], w_ih, w_hh, b_ih, b_hh, layer.nonlinearity),)

    return elman


# ----------------------------------------------------------------------------- the re-run


@dataclass
class Recording:
    """Every step of one re-run of the layer."""

    steps: dict[Key, dict[str, list[Tensor]]]  # "h", "c", gate -> T tensors, processing order
    mask: Tensor  # (T, B) bool: the steps within each sequence's length
    reverse_index: Tensor | None  # (T, B): t -> L_b - 1 - t within each length; None: flip


def reverse_steps(x: Tensor, index: Tensor | None) -> Tensor:
    """Reverse (T, B, F) in time, each row within its own length when ``index`` is given.

    The map is its own inverse, so it also brings the backward direction back to input order.
    """
    if index is None:
        return x.flip(0)
    return x.gather(0, index[:, :, None].expand(-1, -1, x.shape[-1]))


def run_direction(
    step: Step, x: Tensor, states: States, mask: Tensor | None, record_gates: bool
) -> tuple[Tensor, States, dict[str, list[Tensor]]]:
    """Run ``step`` over x (T, B, I); rows past their length keep their state and emit zeros.

    Returns (out (T, B, P), final states, the per-step tensors: "h", "c" and each gate — the
    very tensors of the graph, so gradients with respect to them are the total derivatives).
    """
    steps: dict[str, list[Tensor]] = {}
    outs = []
    for t in range(x.shape[0]):
        record: dict[str, Tensor] | None = {} if record_gates else None
        new = step(x[t], states, record)
        if mask is None:
            states = new
            outs.append(new[0])
        else:
            # torch.where, not slicing as the real layers do: the rows stay in place and a
            # finished row's (garbage) new state gets exactly zero gradient.
            m = mask[t][:, None]
            states = tuple(torch.where(m, n, s) for n, s in zip(new, states, strict=True))
            outs.append(torch.where(m, new[0], 0.0))
        named = {"h": new[0]} | ({"c": new[1]} if len(new) > 1 else {}) | (record or {})
        for name, value in named.items():
            steps.setdefault(name, []).append(value)
    return torch.stack(outs), states, steps


def _as_states(hx: Any, layer: RecurrentLayer, x: Tensor, batched: bool) -> States:
    """The initial states (L*D, B, ·) of every layer and direction, zeros when hx is None.

    No checks: the hook that re-runs the layer runs after the layer itself has checked hx.
    """
    LD = layer.num_layers * layer.num_directions
    sizes = (layer.proj_size or layer.hidden_size, layer.hidden_size)[: layer.num_states]
    if hx is None:
        return tuple(x.new_zeros(LD, x.shape[1], size) for size in sizes)
    states = (hx,) if isinstance(hx, Tensor) else tuple(hx)
    return states if batched else tuple(s.unsqueeze(1) for s in states)


def rerun_layer(
    layer: RecurrentLayer, inp: Tensor | PackedSequence, hx: Any
) -> tuple[Tensor | PackedSequence, Any, Recording]:
    """``layer(inp, hx)`` recomputed through the reference steps: (output, state, recording).

    Accepts and returns every layout the layer does (batch-first, unbatched, packed), so the
    output and state can replace the layer's own inside any model.
    """
    packed = isinstance(inp, PackedSequence)
    batched = True
    if packed:
        x, lengths = pad_packed_sequence(inp)  # (T, B, I), lengths in the caller's row order
        lengths = lengths.to(x.device)
    else:
        batched = inp.dim() == 3
        x = inp.unsqueeze(1) if not batched else (inp.transpose(0, 1) if layer.batch_first else inp)
        lengths = None
    T, B = x.shape[:2]
    mask = index = None
    if lengths is not None:
        t = torch.arange(T, device=x.device)[:, None]
        mask = t < lengths[None, :]  # (T, B)
        index = torch.where(mask, lengths[None, :] - 1 - t, t)
    _, gates = family_of(layer)
    start = _as_states(hx, layer, x, batched)
    recorded: dict[Key, dict[str, list[Tensor]]] = {}
    finals: list[States] = []
    layer_input = x
    for k in range(layer.num_layers):
        outs = []
        for d in range(layer.num_directions):
            step = make_step(layer, direction_params(layer, k, d))
            first = tuple(s[k * layer.num_directions + d] for s in start)
            seq = reverse_steps(layer_input, index) if d else layer_input
            out, last, steps = run_direction(step, seq, first, mask, bool(gates))
            outs.append(reverse_steps(out, index) if d else out)
            finals.append(last)
            recorded[(k, d)] = steps
        # No dropout between layers: traces run in eval mode, where the layer has none either.
        layer_input = torch.cat(outs, -1) if len(outs) > 1 else outs[0]
    out = layer_input
    state = tuple(torch.stack(s) for s in zip(*finals, strict=True))
    if packed:
        # The packed order of the input: at step t, its first batch_sizes[t] sorted rows.
        order = inp.sorted_indices
        if order is None:
            order = torch.arange(B, device=x.device)
        data = torch.cat([out[t, order[: int(n)]] for t, n in enumerate(inp.batch_sizes)])
        output: Tensor | PackedSequence = PackedSequence(
            data, inp.batch_sizes, inp.sorted_indices, inp.unsorted_indices
        )
    elif not batched:
        output = out.squeeze(1)
        state = tuple(s.squeeze(1) for s in state)
    else:
        output = out.transpose(0, 1) if layer.batch_first else out
    recording = Recording(
        steps=recorded,
        mask=mask if mask is not None else torch.ones(T, B, dtype=torch.bool, device=x.device),
        reverse_index=index,
    )
    return output, state[0] if layer.num_states == 1 else state, recording


def output_data(output: Tensor | PackedSequence) -> Tensor:
    """The tensor of a layer's output: itself, or the data of a PackedSequence."""
    return output.data if isinstance(output, PackedSequence) else output
