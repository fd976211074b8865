r"""Traces: what every step of a recurrent layer computed, and how much the loss depends on it.

:func:`trace` runs a model (any rnnlab model with one rnnlab.nn RNN/LSTM/GRU/ConvLSTM layer
inside, e.g. ``model.stack.rnn``) or a bare layer on an input and returns a :class:`Trace`
holding, per layer k, direction d and time step t:

* the gate activations (LSTM: i, f, g, o as the variant has them — the coupled cell records
  i = 1 - f, the 1997 cell has no f; GRU: r, z, n; ConvLSTM: i, f, g, o; Elman: none),
* the states: h (the layer's output at t; LSTMP: the projected h) and, for the LSTM and the
  ConvLSTM, c,
* the gradients :math:`\partial L/\partial h_t` and :math:`\partial L/\partial c_t`: total
  derivatives through the whole unrolled graph, i.e. everything the loss owes to that step's
  state, via the next steps of the same direction *and* via the layers above.

How it is computed. During the model's own forward pass a forward hook on the layer re-runs it
step by step through the reference step functions of :mod:`rnnlab.bptt.reference` (the single
definition of each cell's math) with the layer's own parameters (:mod:`rnnlab.inspect.rerun`),
keeps every step's state tensor, and hands the re-run's output to the rest of the model in
place of the real one. So the
encoder, packing, last-step selection and head stay the model's own code, the loss is computed
from an output that depends on the kept step tensors, and ``torch.autograd.grad`` of the loss
with respect to those tensors gives the gradients. The real output is still computed and the
largest difference to the re-run is kept as ``Trace.rerun_error`` (it should be float noise).

Conventions:

* every tensor is time-major (T, B, ·) in *input order*, · being the units (H,) of a vector
  layer or the maps (H, Hf, Wf) of a ConvLSTM (channels x pixels); for the backward
  direction (d = 1), position t holds the state after it has read x_t (coming from the end of
  the sequence), exactly where the layer puts it in its output;
* steps past a sequence's length (``lengths``) are zero in every tensor; ``Trace.mask``
  (T, B) says which steps are real;
* the model runs in eval mode (dropout off) and is put back in the mode it was in; parameters
  and their ``.grad`` are not touched (the gradients come from ``torch.autograd.grad``, which
  does not accumulate into ``.grad``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from rnnlab.errors import UserError
from rnnlab.inspect.rerun import (
    Key,
    Recording,
    TracedLayer,
    is_traced_layer,
    output_data,
    rerun_layer,
    step_mask,
    traced_family,
)
from rnnlab.inspect.saturation import gate_saturation
from rnnlab.nn.families import family
from rnnlab.nn.flip import flip_sequences
from rnnlab.tasks.base import Batch, Task


def key_name(key: Key) -> str:
    """``(1, 1)`` -> ``"l1_reverse"``: the suffix torch gives that layer's parameters."""
    return f"l{key[0]}" + ("_reverse" if key[1] else "")


def per_unit(values: Tensor) -> Tensor:
    """(T, B, H) values as they are; maps (T, B, H, Hf, Wf) averaged over the pixels, a unit
    being a channel."""
    return values.flatten(3).mean(-1) if values.dim() > 3 else values


def step_norms(values: Tensor) -> Tensor:
    """(T, B) L2 norms of (T, B, ·) values at each step and row: over the units, or over the
    channels *and* pixels of maps."""
    return values.flatten(2).norm(dim=-1)


# ----------------------------------------------------------------------------- the trace


@dataclass
class Trace:
    """Per (layer, direction): states, gates and gradients, each (T, B, ·) in input order
    (· = (H,), or the maps (H, Hf, Wf) of a ConvLSTM; shapes below are for units).

    Read with the accessors, e.g. ``trace.gates(layer=0, direction=0)["f"]`` (T, B, H),
    ``trace.h(1)``, ``trace.dc(0, 1)``; ``layer`` may be negative (-1 = the top layer).
    ``grad_hidden``/``grad_cell`` are empty when traced with ``grads=False``.
    """

    family: str  # "rnn" | "lstm" | "gru" | "convlstm"
    gate_names: tuple[str, ...]  # the gates recorded, e.g. ("i", "f", "g", "o"); () for Elman
    num_layers: int
    num_directions: int
    mask: Tensor  # (T, B) bool: the steps within each sequence's length
    lengths: Tensor | None  # (B,) int64, or None when every sequence has T steps
    hidden: dict[Key, Tensor]  # h (T, B, P), P = proj_size or H
    cell: dict[Key, Tensor]  # c (T, B, H), LSTM and ConvLSTM only
    gate_values: dict[Key, dict[str, Tensor]]  # gate name -> (T, B, H)
    grad_hidden: dict[Key, Tensor]  # dL/dh_t (T, B, P)
    grad_cell: dict[Key, Tensor]  # dL/dc_t (T, B, H), LSTM and ConvLSTM only
    output: Tensor  # the model's (or layer's) output, from the re-run, detached
    final_state: Any  # the final state the model returned (to carry into the next chunk)
    loss: float | None  # the loss the gradients are of (None with grads=False)
    rerun_error: float  # max |real layer output - re-run output|: float noise if faithful

    @property
    def keys(self) -> list[Key]:
        """Every (layer, direction), layer-major."""
        return [(k, d) for k in range(self.num_layers) for d in range(self.num_directions)]

    @property
    def steps(self) -> int:
        return int(self.mask.shape[0])

    @property
    def state_kinds(self) -> tuple[str, ...]:
        """The states the family keeps: ("c", "h") for the LSTM and ConvLSTM, else ("h",)."""
        return family(self.family).state_kinds

    def _key(self, layer: int, direction: int) -> Key:
        if not -self.num_layers <= layer < self.num_layers:
            raise UserError(f"layer {layer} out of range: the trace has {self.num_layers}")
        if direction not in range(self.num_directions):
            raise UserError(
                f"direction {direction} out of range: the trace has {self.num_directions}"
            )
        return (layer % self.num_layers, direction)

    def h(self, layer: int = 0, direction: int = 0) -> Tensor:
        """Hidden states (T, B, P)."""
        return self.hidden[self._key(layer, direction)]

    def c(self, layer: int = 0, direction: int = 0) -> Tensor:
        """Cell states (T, B, H) of an LSTM."""
        if "c" not in self.state_kinds:
            raise UserError(f"a {self.family} has no cell state; only the LSTM and ConvLSTM do")
        return self.cell[self._key(layer, direction)]

    def gates(self, layer: int = 0, direction: int = 0) -> dict[str, Tensor]:
        """Gate activations by name, each (T, B, H)."""
        return self.gate_values[self._key(layer, direction)]

    def dh(self, layer: int = 0, direction: int = 0) -> Tensor:
        """dL/dh_t (T, B, P), the total derivative of the loss with respect to each h_t."""
        if not self.grad_hidden:
            raise UserError("this trace was made with grads=False: it holds no gradients")
        return self.grad_hidden[self._key(layer, direction)]

    def dc(self, layer: int = 0, direction: int = 0) -> Tensor:
        """dL/dc_t (T, B, H) of an LSTM."""
        if "c" not in self.state_kinds:
            raise UserError(f"a {self.family} has no cell state; only the LSTM and ConvLSTM do")
        if not self.grad_cell:
            raise UserError("this trace was made with grads=False: it holds no gradients")
        return self.grad_cell[self._key(layer, direction)]

    def masked_mean(self, values: Tensor) -> float:
        """Mean of (T, B, ·) ``values`` over the real steps only (and every unit, or every
        channel and pixel)."""
        m = step_mask(self.mask.to(values.dtype), values)
        count = m.sum() * math.prod(values.shape[2:])
        return float((values * m).sum() / count) if count > 0 else float("nan")

    def to_numpy(self) -> dict[str, Any]:
        """Plain data: ``{"family", "gate_names", "mask" (T, B), "lengths", "loss",
        "layers": {"l0": {"h", "c", "dh", "dc", "gates": {name: (T, B, H)}}, "l0_reverse": ...}}``
        with numpy arrays; absent parts (c for non-LSTM, gradients with grads=False) left out.
        """

        def arr(t: Tensor) -> np.ndarray:
            return t.detach().cpu().numpy()

        layers: dict[str, Any] = {}
        for key in self.keys:
            entry: dict[str, Any] = {"h": arr(self.hidden[key])}
            if key in self.cell:
                entry["c"] = arr(self.cell[key])
            if key in self.grad_hidden:
                entry["dh"] = arr(self.grad_hidden[key])
            if key in self.grad_cell:
                entry["dc"] = arr(self.grad_cell[key])
            entry["gates"] = {g: arr(v) for g, v in self.gate_values[key].items()}
            layers[key_name(key)] = entry
        return {
            "family": self.family,
            "gate_names": list(self.gate_names),
            "mask": arr(self.mask),
            "lengths": None if self.lengths is None else self.lengths.tolist(),
            "loss": self.loss,
            "layers": layers,
        }

    def summary(self) -> dict[str, Any]:
        """Per layer/direction (``"l0"``, ``"l0_reverse"``, ...): mean |h|, mean |c|, the mean
        of each gate, and the mean ||dL/dh_t|| (maps: over channels and pixels) over the real
        steps; plus the gate saturation
        (:func:`~rnnlab.inspect.saturation.gate_saturation`), the loss and the re-run error.
        """
        out: dict[str, Any] = {}
        for key in self.keys:
            entry: dict[str, Any] = {"mean_abs_h": self.masked_mean(self.hidden[key].abs())}
            if key in self.cell:
                entry["mean_abs_c"] = self.masked_mean(self.cell[key].abs())
            entry["gate_mean"] = {g: self.masked_mean(v) for g, v in self.gate_values[key].items()}
            if key in self.grad_hidden:
                norms = step_norms(self.grad_hidden[key])[:, :, None]  # (T, B, 1)
                entry["mean_grad_h_norm"] = self.masked_mean(norms)
            out[key_name(key)] = entry
        return {
            "family": self.family,
            "layers": out,
            "saturation": gate_saturation(self) if self.gate_names else {},
            "loss": self.loss,
            "rerun_error": self.rerun_error,
        }


def find_recurrent_layer(model: nn.Module, module: int | None = None) -> TracedLayer:
    """The one rnnlab.nn RNN/LSTM/GRU/ConvLSTM layer of ``model`` (or ``model`` itself); with
    ``module``, the one at that position (0 = nearest the input) of a model with several (a
    layer list)."""
    if is_traced_layer(model):
        return model
    found = [m for m in model.modules() if is_traced_layer(m)]
    if module is not None and found:
        if not 0 <= module < len(found):
            raise UserError(f"{type(model).__name__} has {len(found)} recurrent layer(s); "
                            f"module must be in 0..{len(found) - 1}, got {module}")
        return found[module]
    if not found:
        raise UserError(
            f"{type(model).__name__} has no rnnlab RNN/LSTM/GRU/ConvLSTM layer: nothing to "
            "trace (a feed-forward model keeps no state over time)"
        )
    if len(found) > 1:
        raise UserError(f"{type(model).__name__} has {len(found)} recurrent layers; choose "
                        "one with module=N (0 = nearest the input)")
    return found[0]


@dataclass
class _Capture:
    """What the forward hook captures during the model's one forward pass."""

    recording: Recording | None = None  # the re-run's steps; None until the layer has run
    rerun_error: float = 0.0  # max |real layer output - re-run output|


def _input_steps(model: nn.Module, layer: TracedLayer, x: Tensor) -> int:
    """T of the input as the caller sees it (models are batch-first)."""
    if model is not layer:
        return int(x.shape[1])
    batched = x.dim() == 2 + layer.feature_dims
    return int(x.shape[1]) if layer.batch_first and batched else int(x.shape[0])


def _call_layer(
    layer: TracedLayer, x: Tensor, lengths: Tensor | None, state: Any
) -> tuple[Tensor, Any]:
    """A bare layer on padded input with lengths: pack, run, pad back to the input's T."""
    if lengths is None:
        return layer(x, state)
    T = x.shape[1] if layer.batch_first else x.shape[0]
    packed = pack_padded_sequence(
        x, lengths.cpu(), batch_first=layer.batch_first, enforce_sorted=False
    )
    out, state = layer(packed, state)
    out, _ = pad_packed_sequence(out, batch_first=layer.batch_first, total_length=T)
    return out, state


def trace(
    model: nn.Module,
    x: Tensor | Batch,
    lengths: Tensor | None = None,
    *,
    state: Any = None,
    task: Task | None = None,
    loss_fn: Callable[..., Tensor] | None = None,
    target: Tensor | None = None,
    grads: bool = True,
    module: int | None = None,
) -> Trace:
    """Run ``model`` (an rnnlab model, or a bare rnnlab.nn RNN/LSTM/GRU/ConvLSTM) on ``x`` and
    trace it.

    Args:
        model: a model with one rnnlab.nn recurrent layer (or several, with ``module``), or
            such a layer.
        x: the model's input (token ids (B, T) or features (B, T, F); a layer: whatever it
            takes), or a task :class:`~rnnlab.tasks.base.Batch` (its lengths are used).
        lengths: (B,) lengths of padded sequences.
        state: the initial state, as the model's ``state=`` (or the layer's ``hx``).
        task: with a Batch, the loss is ``task.loss(output, batch)``.
        loss_fn: the loss is ``loss_fn(output)``, or ``loss_fn(output, target)`` when a
            ``target`` is given. Without task and loss_fn: the sum of the output.
        grads: False skips the gradients (no graph is built: cheaper, for long passages).
        module: which recurrent layer to trace in a model with several (a layer list),
            0 = nearest the input; the others run as they are.

    Returns:
        A :class:`Trace`; see the module docstring for the conventions.
    """
    batch: Batch | None = None
    if isinstance(x, Batch):
        batch, x = x, x.x
        lengths = batch.lengths if lengths is None else lengths
    if task is not None and batch is None:
        raise UserError("trace(task=...) needs x to be a Batch of that task")
    if target is not None and loss_fn is None:
        raise UserError("trace(target=...) needs a loss_fn(output, target)")
    layer = find_recurrent_layer(model, module)
    family_name, gate_names = traced_family(layer).name, layer.recorded_gates()
    capture = _Capture()

    def hook(module: nn.Module, args: tuple, kwargs: dict, output: Any) -> Any:
        if capture.recording is not None:
            raise UserError("the recurrent layer ran more than once in one forward pass")
        inp = args[0] if args else kwargs["input"]
        hx = args[1] if len(args) > 1 else kwargs.get("hx")
        if grads:
            # A fresh leaf: the graph exists even with frozen parameters or token inputs, and
            # backward stops here instead of running on into the encoder (not needed).
            if isinstance(inp, PackedSequence):
                inp = PackedSequence(inp.data.detach().requires_grad_(True), *inp[1:])
            else:
                inp = inp.detach().requires_grad_(True)
        new_output, new_state, capture.recording = rerun_layer(layer, inp, hx)
        diff = (output_data(output[0]) - output_data(new_output)).detach().abs()
        capture.rerun_error = float(diff.max()) if diff.numel() else 0.0
        return new_output, new_state

    was_training = model.training
    model.eval()
    handle = layer.register_forward_hook(hook, with_kwargs=True)
    try:
        with torch.enable_grad() if grads else torch.no_grad():
            if model is layer:
                output, final_state = _call_layer(layer, x, lengths, state)
            else:
                output, final_state = model(x, lengths=lengths, state=state)
            rec = capture.recording
            if rec is None:
                raise UserError(f"{type(model).__name__} never called its recurrent layer")
            loss_value, grad_of = None, {}
            if grads:
                if loss_fn is not None:
                    loss = loss_fn(output) if target is None else loss_fn(output, target)
                elif task is not None and batch is not None:
                    loss = task.loss(output, batch)
                else:
                    loss = output_data(output).sum()
                grad_of = _gradients(loss, rec)
                loss_value = float(loss.detach())
    finally:
        handle.remove()
        model.train(was_training)

    return _assemble(
        rec,
        grad_of,
        family=family_name,
        gate_names=gate_names,
        layer=layer,
        output=output,
        final_state=final_state,
        loss=loss_value,
        lengths=lengths,
        input_steps=_input_steps(model, layer, x),
        rerun_error=capture.rerun_error,
    )


def _gradients(loss: Tensor, rec: Recording) -> dict[tuple[Key, str], list[Tensor | None]]:
    """dL/d(each recorded h_t, c_t), as lists in processing order per (key, "h" | "c")."""
    wanted = [
        (key, name) for key, steps in rec.steps.items() for name in ("h", "c") if name in steps
    ]
    tensors = [t for key, name in wanted for t in rec.steps[key][name]]
    if loss.requires_grad:
        grads = list(torch.autograd.grad(loss, tensors, allow_unused=True))
    else:  # a loss that does not depend on the model: every gradient is zero
        grads = [None] * len(tensors)
    out, start = {}, 0
    for key, name in wanted:
        n = len(rec.steps[key][name])
        out[(key, name)] = grads[start : start + n]
        start += n
    return out


def _assemble(
    rec: Recording,
    grad_of: dict[tuple[Key, str], list[Tensor | None]],
    *,
    family: str,
    gate_names: tuple[str, ...],
    layer: TracedLayer,
    output: Any,
    final_state: Any,
    loss: float | None,
    lengths: Tensor | None,
    input_steps: int,
    rerun_error: float,
) -> Trace:
    """Stack the recorded steps into (T, B, ·), back in input order, zero past each length."""
    mask = rec.mask
    # A packed batch whose longest sequence is shorter than the padded input has fewer steps:
    # pad the trace back to the caller's T (the extra steps are not real).
    extra = input_steps - mask.shape[0]

    def finish(values: list[Tensor], d: int) -> Tensor:
        v = torch.stack([t.detach() for t in values])  # (T, B, ·), processing order
        if d:
            v = flip_sequences(v, rec.reverse_index)
        v = v * step_mask(mask.to(v.dtype), v)
        return torch.nn.functional.pad(v, (0, 0) * (v.dim() - 1) + (0, extra)) if extra > 0 else v

    def finish_grads(grads: list[Tensor | None], like: list[Tensor], d: int) -> Tensor:
        filled = [torch.zeros_like(t) if g is None else g for g, t in zip(grads, like, strict=True)]
        return finish(filled, d)

    hidden, cell, gates, grad_h, grad_c = {}, {}, {}, {}, {}
    for key, steps in rec.steps.items():
        d = key[1]
        hidden[key] = finish(steps["h"], d)
        if "c" in steps:
            cell[key] = finish(steps["c"], d)
        gates[key] = {g: finish(steps[g], d) for g in gate_names}
        if (key, "h") in grad_of:
            grad_h[key] = finish_grads(grad_of[(key, "h")], steps["h"], d)
        if (key, "c") in grad_of:
            grad_c[key] = finish_grads(grad_of[(key, "c")], steps["c"], d)
    if extra > 0:
        mask = torch.cat([mask, mask.new_zeros(extra, mask.shape[1])])
    return Trace(
        family=family,
        gate_names=gate_names,
        num_layers=layer.num_layers,
        num_directions=layer.num_directions,
        mask=mask,
        lengths=None if lengths is None else lengths.detach().cpu().long(),
        hidden=hidden,
        cell=cell,
        gate_values=gates,
        grad_hidden=grad_h,
        grad_cell=grad_c,
        output=output_data(output).detach(),
        final_state=_detach(final_state),
        loss=loss,
        rerun_error=rerun_error,
    )


def _detach(state: Any) -> Any:
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, tuple | list):
        return type(state)(_detach(s) for s in state)
    return state
