"""A trained model fed one step at a time, on many independent streams, in constant memory.

    streams = StepStreams(model, streams=4)     # 4 independent streams, all fresh
    y = streams.step(x_t)                       # x_t (4,) token ids or (4, F) features
    streams.reset(2)                            # stream 2 starts over; the others carry on
    y = streams.step(x_next)

This is how a model runs online — a speech frame, a sensor reading or a typed character at a
time — for as long as the input lasts. Each call runs the model on a (B, 1) chunk with the
state it returned last time:

    y_t, s_t = model(x_t, state=s_{t-1})        (s_0 = the model's own start: zeros, the
                                                 learned initial state, the MLP's empty window)

under ``torch.no_grad()``, so no graph is kept and memory stays flat however many steps run
(a test runs 100,000). The output is the model's output for that step: next-token logits
(B, V) for a language model, (B, K) for a classifier (its prediction given the stream so far)
or a forecaster.

A reset stream starts exactly as a new sequence would: at its next step it runs with
``state=None`` on its own rows, so whatever the model does at the start of a sequence (a
learned initial state, the window MLP's "before the start" tokens) it does here too. Models
that need the future of a stream — bidirectional layers, encoder-decoders, the next-frame
video model — cannot run step by step and are refused.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from rnnlab.errors import UserError
from rnnlab.models.recurrent_stack import state_batch_dim
from rnnlab.utils.device import model_device


def _needs_the_future(model: nn.Module) -> str:
    """Why ``model`` cannot run one step at a time, or "" if it can."""
    config = getattr(model, "config", None)
    spec = getattr(model, "spec", None)
    if config is None or spec is None:
        return "it is not an rnnlab sequence model (one with .config and .spec)"
    if spec.seq2seq:
        return "an encoder-decoder reads the whole source before it answers"
    if getattr(model, "predicts_frames", False):
        return "the next-frame video model reads a whole clip, then predicts the next ones"
    if config.bidirectional or any(layer.option("bidirectional")
                                   for layer in config.layer_specs):
        return "a bidirectional layer reads each sequence backwards from its end"
    return ""


def _take(state: Any, rows: Tensor, dim: int) -> Any:
    """The state of the streams ``rows`` (nested tuples/lists of tensors)."""
    if isinstance(state, Tensor):
        return state.index_select(dim, rows)
    return type(state)(_take(s, rows, dim) for s in state)


def _put(state: Any, rows: Tensor, part: Any, dim: int) -> Any:
    """``state`` with the streams ``rows`` replaced by ``part`` (a new object)."""
    if isinstance(state, Tensor):
        return state.index_copy(dim, rows, part)
    return type(state)(_put(s, rows, p, dim) for s, p in zip(state, part, strict=True))


class StepStreams:
    """``streams`` independent streams through ``model``, fed one step per :meth:`step`."""

    def __init__(self, model: nn.Module, streams: int = 1) -> None:
        why = _needs_the_future(model)
        if why:
            raise UserError(f"this model cannot run one step at a time: {why}")
        if isinstance(streams, bool) or not isinstance(streams, int) or streams < 1:
            raise UserError(f"streams must be a positive integer, got {streams!r}")
        self.model = model
        self.streams = streams
        self.spec = model.spec
        self.state: Any = None  # None until the first step: every stream is fresh
        self._fresh = torch.ones(streams, dtype=torch.bool)
        self._dim = state_batch_dim(model)
        self.steps = 0

    def reset(self, stream: int | None = None) -> None:
        """Start stream ``stream`` (or every stream, when None) over, as a new sequence."""
        if stream is None:
            self.state, self._fresh[:] = None, True
            return
        if isinstance(stream, bool) or not isinstance(stream, int) or not (
            0 <= stream < self.streams
        ):
            raise UserError(f"stream must be in 0..{self.streams - 1}, got {stream!r}")
        self._fresh[stream] = True

    def _check(self, x: Tensor | Any) -> Tensor:
        x = torch.as_tensor(x)
        B = self.streams
        if self.spec.input_kind == "tokens":
            if tuple(x.shape) != (B,) or x.dtype.is_floating_point or x.dtype == torch.bool:
                raise UserError(f"step() takes one token id per stream: shape ({B},) ints, "
                                f"got {tuple(x.shape)} {x.dtype}")
            if bool((x < 0).any()) or bool((x >= self.spec.input_size).any()):
                raise UserError(f"token ids must lie in 0..{self.spec.input_size - 1}")
            return x.long().view(B, 1)
        F = self.spec.input_size
        if tuple(x.shape) != (B, F):
            raise UserError(f"step() takes one feature vector per stream: shape ({B}, {F}), "
                            f"got {tuple(x.shape)}")
        return x.float().view(B, 1, F)

    @torch.no_grad()
    def step(self, x: Tensor | Any) -> Tensor:
        """Feed one step to every stream; return the model's outputs for it, (streams, K)."""
        x = self._check(x).to(model_device(self.model))
        was_training = self.model.training
        self.model.eval()
        try:
            out = self._run(x)
        finally:
            self.model.train(was_training)
        self._fresh[:] = False
        self.steps += 1
        return out

    def _run(self, x: Tensor) -> Tensor:
        fresh = self._fresh
        if self.state is None or bool(fresh.all()):
            out, self.state = self.model(x, None, None)
            return out.reshape(self.streams, -1)
        if not bool(fresh.any()):
            out, self.state = self.model(x, None, self.state)
            return out.reshape(self.streams, -1)
        # Some streams start over: those rows run from the model's own start, the others on.
        new, old = fresh.nonzero().view(-1), (~fresh).nonzero().view(-1)
        device = x.device
        new, old = new.to(device), old.to(device)
        out_new, state_new = self.model(x[new], None, None)
        out_old, state_old = self.model(x[old], None, _take(self.state, old, self._dim))
        state = _put(self.state, old, state_old, self._dim)
        self.state = _put(state, new, state_new, self._dim)
        out = torch.empty((self.streams, out_new[0].numel()), dtype=out_new.dtype,
                          device=device)
        out[new], out[old] = out_new.reshape(len(new), -1), out_old.reshape(len(old), -1)
        return out
