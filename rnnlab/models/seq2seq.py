"""Sequence to sequence: an encoder stack, a decoder stack, and attention between them.

Sutskever et al. 2014 (no attention), Bahdanau et al. 2015 (additive attention, the context
feeds the decoder's input), Luong et al. 2015 (multiplicative "general" attention on the
decoder's output)::

    source (B, S) ─embed─▶ encoder (any rnnlab stack, may be bidirectional) ─▶ memory (B, S, M)
                                │ final states of its last layer ─▶ bridge (tanh Linear)
                                ▼
    <bos> y_1 .. y_{T-1} ─embed─▶ decoder (a one-way rnnlab stack), initial state = bridge
      none:      logits_t = W_o h_t
      bahdanau:  c_t = attend(h_{t-1}; memory); h_t = dec([emb(y_{t-1}); c_t]);
                 logits_t = W_o [h_t; c_t]                       (h_0: tanh Linear of the summary)
      luong:     h_t = dec(emb(y_{t-1})); c_t = attend(h_t; memory);
                 logits_t = W_o tanh(W_c [c_t; h_t])             (no input feeding)

The encoder and decoder are :mod:`rnnlab.nn` layers built from the config exactly as the other
models build them (a uniform stack, or a layer list; ``decoder_layers`` gives the decoder its
own list, else it is the encoder's stack read one way), so the hand-written BPTT trains both.
The bridge maps the encoder's last layer's final states (h, and c for an LSTM; both
directions) to every decoder layer's initial states, so encoder and decoder may differ in
family, width and depth.

**What stepping costs.** Without attention and with Luong's, teacher forcing runs the decoder
over all T target steps in one call (one hand-written forward and backward through time).
Bahdanau's context depends on the previous decoder state, so there (and in every decoding at
inference) the decoder is called on length-1 chunks, passing its state back: T calls of the
layer, each its own autograd node, with the per-call overhead (argument checks, the input
projection, the kernel launch) paid T times — several times slower per token than one call on
the whole sequence, with the same memory order. Recurrent dropout and DropConnect masks are
drawn per call, so per step there, not per sequence.

forward(x, lengths, state=None, target=None) → (logits (B, T, V), None): with ``target``
(B, T) in training mode, teacher-forced; with ``target`` in eval mode, the greedy decoding of
T steps (the task's scores are those of free-running translation); without it, greedy
decoding of up to ``max_output_len`` steps. Beam search: :mod:`rnnlab.models.decoding`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import Tensor, nn

from rnnlab.errors import UserError
from rnnlab.models.attention import make_attention
from rnnlab.models.config import ModelConfig
from rnnlab.models.layer_spec import LayerSpec
from rnnlab.models.layer_stack import LayerStack, layers_title
from rnnlab.models.recurrent_stack import InputEncoder, RecurrentStack, SequenceModel, check_lengths
from rnnlab.nn.families import family
from rnnlab.tasks.base import TaskSpec

PAD_ID, BOS_ID, EOS_ID = 0, 1, 2  # rnnlab.tasks.translation's markers


def decoder_config(config: ModelConfig) -> ModelConfig:
    """The decoder's config: ``decoder_layers``, else the encoder's stack read one way."""
    around = dict(dropout=config.dropout, backend=config.backend)
    if config.decoder_layers:
        return ModelConfig(layers=config.decoder_layers, **around)
    if config.layers:
        one_way = [LayerSpec(s.kind, s.size, tuple(o for o in s.options if o[0] != "bidirectional"))
                   for s in config.layer_specs]
        return ModelConfig(layers=tuple(str(s) for s in one_way), **around)
    return replace(config, bidirectional=False, attention="none", max_output_len=0)


def recurrent_layers(stack: nn.Module) -> list[nn.Module]:
    """The rnnlab recurrent layers of a stack, in order (a uniform stack has one, L deep)."""
    return list(stack.recurrent_layers) if isinstance(stack, LayerStack) else [stack.rnn]


def layer_states(stack: nn.Module, state: Any) -> list[Any]:
    """A stack's state as one entry per recurrent layer."""
    return list(state) if isinstance(stack, LayerStack) else [state]


def _as_tuple(state: Any) -> tuple[Tensor, ...]:
    return tuple(state) if isinstance(state, tuple | list) else (state,)


class Bridge(nn.Module):
    """Encoder summary (B, U) → the initial states of every decoder layer, tanh(W s + b)."""

    def __init__(self, summary_size: int, layers: list[nn.Module], uniform: bool) -> None:
        super().__init__()
        self.uniform = uniform
        self.shapes = [(layer.num_layers, layer._state_sizes(), layer.num_states)
                       for layer in layers]
        self.maps = nn.ModuleList(
            nn.Linear(summary_size, depth * size)
            for depth, sizes, _ in self.shapes for size in sizes
        )

    def forward(self, summary: Tensor) -> Any:
        B, maps, states = summary.shape[0], iter(self.maps), []
        for depth, sizes, count in self.shapes:
            parts = tuple(
                torch.tanh(next(maps)(summary)).view(B, depth, size).transpose(0, 1).contiguous()
                for size in sizes
            )  # each (L, B, W), torch's layout
            states.append(parts[0] if count == 1 else parts)
        return states[0] if self.uniform else states


@dataclass
class Memory:
    """What the decoder reads of one encoded batch."""

    memory: Tensor  # (B, S, M) the encoder's outputs
    mask: Tensor  # (B, S) bool, the valid source steps
    keys: Tensor | None  # (B, S, ·) the attention's precomputed keys
    state: Any  # the decoder's state (torch form, or a list for a layer list)
    query: Tensor | None  # (B, Q) Bahdanau: the last decoder output, the next query

    def select(self, index: Tensor) -> Memory:
        """The same for rows ``index`` of the batch (beam search reorders and copies beams)."""
        def rows(t: Tensor | None, dim: int = 0) -> Tensor | None:
            return None if t is None else t.index_select(dim, index)

        def state_rows(s: Any) -> Any:
            if isinstance(s, Tensor):
                return s.index_select(1, index)
            return type(s)(state_rows(p) for p in s)

        return Memory(rows(self.memory), rows(self.mask), rows(self.keys),
                      state_rows(self.state), rows(self.query))


class Seq2Seq(SequenceModel):
    """Encoder-decoder with optional attention; see the module docstring.

    Attributes: ``source_embed``, ``target_embed`` (InputEncoder), ``encoder``, ``decoder``
    (RecurrentStack or LayerStack), ``bridge``, ``attention`` (or None), ``head``.
    """

    def __init__(self, config: ModelConfig, spec: TaskSpec) -> None:
        if not family(config.family).recurrent:
            raise UserError("the window MLP has no encoder-decoder form; use a recurrent family")
        if not spec.seq2seq or spec.target_vocab is None:
            raise UserError("a Seq2Seq model needs a sequence-to-sequence task")
        if config.tie_weights:
            raise UserError("tie_weights is for language models, not encoder-decoders")
        super().__init__(config, spec)
        V = len(spec.target_vocab)
        target_spec = TaskSpec("tokens", V, "classes", V, True)
        self.source_embed = InputEncoder(spec, config.embedding_dim)
        self.target_embed = InputEncoder(target_spec, config.embedding_dim)
        self.encoder = (LayerStack if config.layers else RecurrentStack)(
            config, self.source_embed.output_size)
        self.decoder_config = decoder_config(config)
        M = self.encoder.output_size
        feed = M if config.attention == "bahdanau" else 0
        self.decoder = (LayerStack if self.decoder_config.layers else RecurrentStack)(
            self.decoder_config, self.target_embed.output_size + feed)
        Q = self.decoder.output_size
        last = recurrent_layers(self.encoder)[-1]
        self.summary_size = (2 if last.bidirectional else 1) * sum(last._state_sizes())
        self.bridge = Bridge(self.summary_size, recurrent_layers(self.decoder),
                             uniform=not self.decoder_config.layers)
        self.attention = make_attention(config.attention, Q, M)
        self.query0 = nn.Linear(self.summary_size, Q) if config.attention == "bahdanau" else None
        self.combine = nn.Linear(M + Q, Q) if config.attention == "luong" else None
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(Q + feed, V)
        self.max_output_len = config.max_output_len or spec.max_target_len or 100

    @property
    def role(self) -> str:
        return "encoder-decoder"

    def describe(self) -> str:
        c = self.config
        body = layers_title(c) if c.layers else (
            family(c.family).display_name + (f" ({c.variant})" if c.variant else "")
            + f" {self.layers_text()}")
        dec = self.decoder_config
        dec_text = layers_title(dec) if dec.layers else (
            family(dec.family).display_name + f" {dec.num_layers} x {dec.hidden_size}")
        attention = "no attention" if c.attention == "none" else f"{c.attention} attention"
        return (f"seq2seq encoder {body}, decoder {dec_text}, {attention}; "
                f"{self.num_parameters:,} parameters")

    # -- encoding ----------------------------------------------------------------------------

    def encode(self, x: Tensor, lengths: Tensor | None = None) -> Memory:
        """Source ids (B, S) → the memory the decoder reads, and its initial state."""
        check_lengths(x, lengths)
        dtype = self.head.weight.dtype
        memory, final = self.encoder(self.source_embed(x, dtype), lengths)  # (B, S, M)
        B, S = x.shape
        if lengths is None:
            mask = torch.ones(B, S, dtype=torch.bool, device=x.device)
        else:
            mask = torch.arange(S, device=x.device)[None, :] < lengths.to(x.device)[:, None]
        summary = self._summary(final)  # (B, U)
        keys = self.attention.keys(memory) if self.attention is not None else None
        query = torch.tanh(self.query0(summary)) if self.query0 is not None else None
        return Memory(memory, mask, keys, self.bridge(summary), query)

    def _summary(self, final: Any) -> Tensor:
        """The last encoder layer's final states, both directions: (B, U)."""
        last = recurrent_layers(self.encoder)[-1]
        D = 2 if last.bidirectional else 1
        parts = [s[-D:].transpose(0, 1).reshape(s.shape[1], -1)
                 for s in _as_tuple(layer_states(self.encoder, final)[-1])]
        return torch.cat(parts, dim=-1)

    # -- decoding ----------------------------------------------------------------------------

    def step(self, ids: Tensor, mem: Memory) -> tuple[Tensor, Tensor | None, Memory]:
        """One decoder step: previous tokens (B,) → logits (B, V), attention (B, S) or None,
        the memory with the new state."""
        logits, alpha, state, query = self._decode(ids[:, None], mem, mem.state, mem.query)
        new = Memory(mem.memory, mem.mask, mem.keys, state, query)
        return logits[:, 0], None if alpha is None else alpha[:, 0], new

    def _decode(self, ids: Tensor, mem: Memory, state: Any, query: Tensor | None
                ) -> tuple[Tensor, Tensor | None, Any, Tensor | None]:
        """Decoder inputs (B, T) → logits (B, T, V), attention (B, T, S), final state, query.

        Without attention or with Luong's, one call of the decoder over all T steps; with
        Bahdanau's, T calls on length-1 chunks (each context needs the previous state).
        """
        e = self.target_embed(ids, self.head.weight.dtype)  # (B, T, E)
        if self.config.attention == "bahdanau":
            assert self.attention is not None and query is not None
            outs, alphas = [], []
            for t in range(ids.shape[1]):
                context, alpha = self.attention(query[:, None], mem.memory, mem.mask, mem.keys)
                h, state = self.decoder(torch.cat([e[:, t : t + 1], context], -1), None, state)
                query = h[:, 0]
                outs.append(torch.cat([h, context], -1))  # (B, 1, Q + M)
                alphas.append(alpha)
            return self.head(self.dropout(torch.cat(outs, 1))), torch.cat(alphas, 1), state, query
        h, state = self.decoder(e, None, state)  # (B, T, Q)
        if self.config.attention == "luong":
            assert self.attention is not None and self.combine is not None
            context, alpha = self.attention(h, mem.memory, mem.mask, mem.keys)
            h_tilde = torch.tanh(self.combine(torch.cat([context, h], -1)))
            return self.head(self.dropout(h_tilde)), alpha, state, query
        return self.head(self.dropout(h)), None, state, query

    def teacher_forced(self, mem: Memory, target: Tensor) -> tuple[Tensor, Tensor | None]:
        """Logits (B, T, V) of every target step given the true previous ones, attention."""
        bos = torch.full_like(target[:, :1], BOS_ID)
        logits, alpha, _, _ = self._decode(torch.cat([bos, target[:, :-1]], 1), mem,
                                           mem.state, mem.query)
        return logits, alpha

    def greedy(self, mem: Memory, steps: int, stop: bool = True
               ) -> tuple[Tensor, list[Tensor | None]]:
        """Logits (B, steps', V) of greedy decoding, and each step's attention (B, S).

        With ``stop``, it ends once every row has emitted <eos> (steps' <= steps)."""
        B = mem.memory.shape[0]
        ids = torch.full((B,), BOS_ID, dtype=torch.long, device=mem.memory.device)
        done = torch.zeros(B, dtype=torch.bool, device=ids.device)
        logits, alphas = [], []
        for _ in range(steps):
            out, alpha, mem = self.step(ids, mem)
            logits.append(out)
            alphas.append(alpha)
            ids = out.argmax(-1)
            done |= ids == EOS_ID
            if stop and bool(done.all()):
                break
        return torch.stack(logits, 1), alphas

    def forward(self, x: Tensor, lengths: Tensor | None = None, state: Any = None,
                target: Tensor | None = None) -> tuple[Tensor, None]:
        """See the module docstring: teacher-forced (training with ``target``) or greedy."""
        if state is not None:
            raise UserError("an encoder-decoder starts every batch afresh: it takes no state")
        mem = self.encode(x, lengths)
        if target is not None and self.training:
            return self.teacher_forced(mem, target)[0], None
        if target is not None:
            return self.greedy(mem, int(target.shape[1]), stop=False)[0], None
        return self.greedy(mem, self.max_output_len)[0], None
