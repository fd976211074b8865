"""A recurrent layer re-run step by step through the reference cells, every step kept.

:func:`rerun_layer` recomputes ``layer(input, hx)`` of an rnnlab.nn RNN, LSTM, GRU or ConvLSTM
through the layer's own reference step (:meth:`~rnnlab.nn.RecurrentLayer.step`, the single
definition of each cell's math in :mod:`rnnlab.bptt.reference`) with its own parameters
(:meth:`~rnnlab.nn.RecurrentLayer.direction_parameters`), and returns, next to the output
and final state, a :class:`Recording` of every step: the states h (and c) and the gate
activations. They are the very tensors of the autograd graph, so gradients with respect to
them are total derivatives. Input and output come in every layout the layer takes
(time-major, batch-first, unbatched, packed), so the re-run can stand in for the layer inside
any model (:func:`rnnlab.inspect.trace.trace` does exactly that).

A layer is re-run through its hooks only (``step``, ``direction_parameters``,
``recorded_gates``, ``initial_states``, ``sample_masks``, ``num_layers``,
``num_directions``, ``num_states``, ``feature_dims``, ``batch_first``), so the ConvLSTM
(:class:`rnnlab.nn.ConvLSTM`: one direction, no regularisers, steps of maps) runs through
the same loop: its recorded h, c and gates are maps (B, H, Hf, Wf) where a vector layer's
are (B, H).

Conventions:

* the recorded steps are in *processing order*: for the backward direction (d = 1), step 0 is
  the last element of each sequence; :func:`rnnlab.nn.flip.flip_sequences` with
  ``Recording.reverse_index`` brings them back to input order (the map is its own inverse);
* a row past its length keeps its state and emits zeros; its recorded steps are garbage that
  the caller masks with ``Recording.mask``;
* the layer's regularisers (:mod:`rnnlab.nn.regularisers`) act as in the layer: its learned
  initial states start the run when no state is given, its own masks
  (:meth:`~rnnlab.nn.RecurrentLayer.sample_masks`) drop inputs and recurrent weights, and
  zoneout mixes each step's states, h_t = d_t ⊙ h_{t-1} + (1 - d_t) ⊙ h̃_t (in eval mode, as a
  trace runs, d_t = z); the recorded h and c are the mixed states the next step reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from rnnlab.bptt.masks import NO_MASKS, STATES, Masks, masked_inputs
from rnnlab.errors import UserError
from rnnlab.nn import ConvLSTM, RecurrentLayer
from rnnlab.nn.families import Family, family_of_layer
from rnnlab.nn.flip import flip_sequences, reversal_index
from rnnlab.nn.regularisers import REGULARISERS

Key = tuple[int, int]  # (layer, direction)
States = tuple[Tensor, ...]
# One step of one direction: (x_t (B, I) or (B, C, Hf, Wf), states, record) -> new states;
# ``record`` (a dict or None) receives the gate activations.
Step = Callable[[Tensor, States, dict[str, Tensor] | None], States]
TracedLayer = RecurrentLayer | ConvLSTM  # the sequence layer of a recurrent family


def is_traced_layer(module: nn.Module) -> bool:
    """Whether ``module`` is the sequence layer of a registered recurrent family (an rnnlab
    RNN, LSTM, GRU or ConvLSTM), which :func:`rerun_layer` can re-run."""
    found = family_of_layer(module)
    return found is not None and found.layer is not None and isinstance(module, found.layer)


def traced_family(layer: TracedLayer) -> Family:
    """The family of ``layer``; UserError if it is not a layer a trace can re-run."""
    found = family_of_layer(layer)
    if not is_traced_layer(layer) or found is None:
        raise UserError(f"cannot trace a {type(layer).__name__}: not an rnnlab RNN, LSTM, GRU "
                        "or ConvLSTM")
    return found


def bound_step(layer: TracedLayer, params: dict[str, Tensor]) -> Step:
    """The layer's reference step (:meth:`RecurrentLayer.step`) bound to ``params``, the
    parameters of one layer and direction (W_hh with its weight-drop mask, if any)."""

    def step(x: Tensor, states: States, record: dict[str, Tensor] | None) -> States:
        return layer.step(x, states, params, record)

    return step


def regularised(
    layer: TracedLayer, index: int, seq: Tensor, params: dict[str, Tensor]
) -> tuple[Tensor, dict[str, Tensor], Masks]:
    """The layer's own regulariser masks of (layer, direction) ``index`` for the input ``seq``
    (:meth:`RecurrentLayer.sample_masks`), applied as the layer applies them: the input
    dropout on ``seq``, weight-drop on W_hh (:func:`rnnlab.bptt.masks.masked_inputs`); returns
    them with the masks, whose in-loop hooks :func:`run_direction` calls to mix each state.
    In eval mode (as a trace runs) only zoneout (d_t = z) is left, and the re-run equals the
    layer."""
    masks = layer.sample_masks(index, seq, params["weight_hh"])
    if masks.feeds:
        on = [r.name for r in REGULARISERS if r.acts == "training" and getattr(layer, r.name, 0)]
        raise UserError(
            f"cannot re-run a layer with {' or '.join(on)} step by step in training "
            "mode (the mask on h_{t-1} acts inside the cell's matmul); re-run it in eval mode, "
            "as trace does"
        )
    seq, weight_hh = masked_inputs(seq, params["weight_hh"], masks)
    return seq, params | {"weight_hh": weight_hh}, masks


# ----------------------------------------------------------------------------- the re-run


@dataclass
class Recording:
    """Every step of one re-run of the layer."""

    steps: dict[Key, dict[str, list[Tensor]]]  # "h", "c", gate -> T tensors, processing order
    mask: Tensor  # (T, B) bool: the steps within each sequence's length
    reverse_index: Tensor | None  # (T, B), rnnlab.nn.flip.reversal_index; None: a plain flip


def run_direction(
    step: Step, x: Tensor, states: States, mask: Tensor | None, record_gates: bool,
    masks: Masks = NO_MASKS,
) -> tuple[Tensor, States, dict[str, list[Tensor]]]:
    """Run ``step`` over x (T, B, I) (or (T, B, C, Hf, Wf)); rows past their length keep
    their state and emit zeros.

    ``masks``: the direction's regulariser masks, whose :meth:`~rnnlab.bptt.masks.Masks.mix`
    mixes each state whose update mixes (zoneout, Krueger et al. 2017: the state after step t
    is d_t ⊙ s_{t-1} + (1 - d_t) ⊙ s̃_t, s̃_t the cell's).

    Returns (out (T, B, P) (or (T, B, H, Hf, Wf)), final states, the per-step tensors: "h",
    "c" and each gate — the very tensors of the graph, so gradients with respect to them are
    the total derivatives).
    """
    steps: dict[str, list[Tensor]] = {}
    outs = []
    for t in range(x.shape[0]):
        record: dict[str, Tensor] | None = {} if record_gates else None
        new = step(x[t], states, record)
        # zoneout: s_t = d_t ⊙ s_{t-1} + (1 - d_t) ⊙ s̃_t for each state whose update mixes
        new = tuple(masks.mix(name, t, n, s)
                    for name, n, s in zip(STATES[: len(new)], new, states, strict=True))
        if mask is None:
            states = new
            outs.append(new[0])
        else:
            # torch.where, not slicing as the real layers do: the rows stay in place and a
            # finished row's (garbage) new state gets exactly zero gradient.
            m = mask[t].view(-1, *(1,) * (new[0].dim() - 1))  # (B, 1) or (B, 1, 1, 1)
            states = tuple(torch.where(m, n, s) for n, s in zip(new, states, strict=True))
            outs.append(torch.where(m, new[0], 0.0))
        named = {"h": new[0]} | ({"c": new[1]} if len(new) > 1 else {}) | (record or {})
        for name, value in named.items():
            steps.setdefault(name, []).append(value)
    return torch.stack(outs), states, steps


def rerun_layer(
    layer: TracedLayer, inp: Tensor | PackedSequence, hx: Any
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
        batched = inp.dim() == 2 + layer.feature_dims  # (T, B, I) or (T, B, C, Hf, Wf)
        x = inp.unsqueeze(1) if not batched else (inp.transpose(0, 1) if layer.batch_first else inp)
        lengths = None
    T, B = x.shape[:2]
    mask = index = None
    if lengths is not None:
        mask = torch.arange(T, device=x.device)[:, None] < lengths[None, :]  # (T, B)
        index = reversal_index(lengths, T)
    traced_family(layer)
    record_gates = bool(layer.recorded_gates())
    # no sorted_indices: the padded rows are in the caller's order, as hx is
    start = layer.initial_states(hx, x, B, batched)
    recorded: dict[Key, dict[str, list[Tensor]]] = {}
    finals: list[States] = []
    layer_input = x
    for k in range(layer.num_layers):
        outs = []
        for d in range(layer.num_directions):
            first = tuple(s[k * layer.num_directions + d] for s in start)
            seq = flip_sequences(layer_input, index) if d else layer_input
            seq, params, masks = regularised(
                layer, k * layer.num_directions + d, seq, layer.direction_parameters(k, d))
            out, last, steps = run_direction(bound_step(layer, params), seq, first, mask,
                                             record_gates, masks)
            outs.append(flip_sequences(out, index) if d else out)
            finals.append(last)
            recorded[(k, d)] = steps
        # No dropout between layers: traces run in eval mode, where the layer has none either.
        layer_input = torch.cat(outs, 2) if len(outs) > 1 else outs[0]  # the features
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


def step_mask(mask: Tensor, like: Tensor) -> Tensor:
    """``mask`` (T, B) shaped to broadcast over ``like`` (T, B, ·): (T, B, 1) for units,
    (T, B, 1, 1, 1) for maps."""
    return mask.reshape(*mask.shape, *(1,) * (like.dim() - 2))


def output_data(output: Tensor | PackedSequence) -> Tensor:
    """The tensor of a layer's output: itself, or the data of a PackedSequence."""
    return output.data if isinstance(output, PackedSequence) else output
