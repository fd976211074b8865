"""The one runner behind every recurrent sequence layer of :mod:`rnnlab.nn`.

:class:`RecurrentLayer` plays the part of ``torch.nn.RNNBase``: it checks the arguments and the
input, converts every input layout (batch-first, unbatched 2-D, ``PackedSequence``) to the
time-major padded form of :mod:`rnnlab.bptt` (``x`` (T, B, I) plus ``batch_sizes``), runs each
layer and direction through the family's ``*_sequence`` function, applies dropout between
layers and collects the final states in torch's layout (num_layers * num_directions, B, ·).
A family (RNN, LSTM, GRU) supplies only

* ``_direction_shapes(layer_input_size)``: its parameters of one layer and direction,
  by short name (``weight_ih``, ``weight_hh``, ...), registered as ``{name}_l{k}[_reverse]``;
* ``_state_sizes()``: the width of each state (RNN/GRU: ``(H,)``; LSTM: ``(P, H)``);
* ``_run_direction(x, states, params, batch_sizes, masks)``: one call of its ``*_sequence``,
  with the regulariser masks of that layer and direction (:mod:`rnnlab.nn.regularisers`);
* optionally ``_init_direction(params)``: initialisation beyond torch's uniform one;
* ``torch_mode()``: torch's kernel name for its configuration ("LSTM", "GRU", "RNN_TANH",
  "RNN_RELU") or None for a variant torch lacks, and ``variant_name()``, the option that makes
  it one; used by ``backend="fused"``/``"auto"`` (:mod:`rnnlab.nn.backend`) and when the
  layer is traced (:mod:`rnnlab.nn.torch_kernel`);
* ``fused_on_cpu(data, training)``: whether ``backend="auto"`` picks torch's kernel on the CPU
  (where it is the faster one);
* ``step(x, states, params, record)``: one step of the reference cell (what a trace replays,
  :mod:`rnnlab.inspect.rerun`) and ``recorded_gates()``, the gates that step records;
* ``torch_class``, its twin in torch.nn, with ``_torch_options()`` / ``_options_from_torch()``
  (the family's arguments of the twin) and ``torch_unsupported()`` (the options the twin lacks),
  for :meth:`to_torch` and :meth:`from_torch`.

The recurrent regularisers (the table :data:`rnnlab.nn.regularisers.REGULARISERS`) live here
for every family: a family passes its ``**regularisers`` keywords on, they are checked and set
as attributes from the table, and the masks are drawn once per forward and per layer and
direction by :meth:`sample_masks` and handed to the family's sequence function.

The one-step cells have their own base, :class:`~rnnlab.nn.cell.RecurrentCell`.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, ClassVar, Unpack

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from rnnlab.bptt.masks import Masks
from rnnlab.nn import regularisers as regularisers_table
from rnnlab.nn.backend import check_layer_backend, choose_kernel, fused_mode, record_kernel
from rnnlab.nn.checks import (
    States,
    as_states,
    autocast_dtype,
    autocast_enabled,
    check_bool,
    check_dropout,
    check_dtype,
    check_features,
    check_init,
    check_input_dim,
    check_packed_dim,
    check_positive_int,
    check_proj_size,
    check_state,
    check_state_dims,
    check_steps,
    dropout_warning,
)
from rnnlab.nn.flip import flip_sequences, reversal_index
from rnnlab.nn.regularisers import CellRegulariserOptions
from rnnlab.nn.torch_kernel import check_traceable, is_tracing, run_torch_kernel
from rnnlab.nn.torch_twin import check_convertible, twin


class _Padding:
    """Where the rows of a padded time-major batch sit, given ``batch_sizes`` (T,).

    ``positions`` indexes the valid (t, b) cells of the flattened (T*B) grid in packed order;
    ``reverse`` (T, B) is the :func:`~rnnlab.nn.flip.reversal_index` of the rows' lengths.
    """

    def __init__(self, batch_sizes: Tensor, device: torch.device) -> None:
        T, B = len(batch_sizes), int(batch_sizes[0])
        sizes = batch_sizes.to(device)
        rows = torch.arange(B, device=device)
        valid = rows[None, :] < sizes[:, None]  # (T, B)
        self.shape = (T, B)
        self.positions = valid.flatten().nonzero().squeeze(1)
        self.reverse = reversal_index(valid.sum(0), T)

    def pad(self, data: Tensor) -> Tensor:
        """Packed data (N, F) -> padded (T, B, F) with zeros past each row's length."""
        T, B = self.shape
        grid = data.new_zeros(T * B, data.shape[-1]).index_copy(0, self.positions, data)
        return grid.view(T, B, -1)

    def pack(self, x: Tensor) -> Tensor:
        """Padded (T, B, F) -> packed data (N, F)."""
        return x.reshape(-1, x.shape[-1]).index_select(0, self.positions)


class RecurrentLayer(nn.Module):
    """Base of :class:`~rnnlab.nn.RNN`, :class:`~rnnlab.nn.LSTM`, :class:`~rnnlab.nn.GRU`.

    Shapes (as ``torch.nn``): input (T, B, I), or (B, T, I) with ``batch_first``, or (T, I)
    unbatched, or a ``PackedSequence``; output (T, B, D*P) with D = 2 if bidirectional else 1
    and P the state width (proj_size or H); states (num_layers*D, B, ·), layer-major.
    A subclass sets its own options, then calls ``self._build()``.

    Regularisers: the keywords ``**regularisers`` of :data:`rnnlab.nn.regularisers.REGULARISERS`
    that the family reads (``num_states`` 2: those of a cell state too), each set as an
    attribute of the same name.
    """

    kind: ClassVar[str] = "RNN"  # name used in messages
    torch_class: ClassVar[type[nn.Module]] = nn.RNN  # the torch.nn twin (to_torch, from_torch)
    num_states: ClassVar[int] = 1  # 1 (h) or 2 (h, c)
    feature_dims: ClassVar[int] = 1  # dims of one row's input at one step: (I,)
    # Whether torch's CPU autocast runs this family in the lower precision (it lists
    # rnn_tanh, rnn_relu and lstm, not gru: measured with torch 2.13).
    cpu_autocast_lowers: ClassVar[bool] = True
    _initial_state_names: tuple[tuple[str, ...], ...] = ()

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        backend: str = "auto",
        init: str = "default",
        **regularisers: Unpack[CellRegulariserOptions],
    ) -> None:
        super().__init__()
        # torch's checks, in torch's order (RNNBase.__init__), with its types and messages
        self.dropout = check_dropout(dropout)
        if self.dropout > 0 and num_layers == 1:
            warnings.warn(dropout_warning(dropout, num_layers), stacklevel=3)
        self.bias = check_bool("bias", bias)
        self.batch_first = check_bool("batch_first", batch_first)
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.proj_size = check_proj_size(proj_size, self.hidden_size)
        # torch takes any truthy value; "False" would silently make a bidirectional layer
        self.bidirectional = check_bool("bidirectional", bidirectional)
        self.backend = check_layer_backend(backend)
        self.last_kernel: str | None = None  # "fused" | "bptt" | "bptt-cpp" | "reference"
        self.init = check_init(init)
        self._factory = {"device": device, "dtype": dtype}
        cell = self.num_states == 2
        for name, value in regularisers_table.settings(self.kind, cell, regularisers).items():
            setattr(self, name, value)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # a layer pickled before a regulariser existed has it off
        super().__setstate__(state)
        for r in regularisers_table.for_family(self.num_states == 2):
            self.__dict__.setdefault(r.name, r.default)

    # ------------------------------------------------------------------ family hooks

    def _direction_shapes(self, layer_input_size: int) -> dict[str, tuple[int, ...]]:
        raise NotImplementedError

    def _state_sizes(self) -> tuple[int, ...]:
        raise NotImplementedError

    def _run_direction(
        self, x: Tensor, states: States, params: dict[str, Tensor], batch_sizes: Tensor | None,
        masks: Masks,
    ) -> tuple[Tensor, States]:
        raise NotImplementedError

    def torch_mode(self) -> str | None:
        """torch's kernel for this configuration, or None if torch.nn has no such layer."""
        raise NotImplementedError

    def variant_name(self) -> str:
        """The option(s) that make this configuration one torch.nn lacks (for messages)."""
        raise NotImplementedError

    def fused_on_cpu(self, data: Tensor, training: bool) -> bool:
        """Whether backend="auto" runs torch's kernel on the CPU for ``data``, in training
        (autograd records the call) or not: only where it is faster than the hand-written path
        (measured: docs/benchmarks.md, "Speed of the layers"). torch's CPU GRU and RNN are
        loops of unfused cell ops, so by default not."""
        return False

    def bptt_runs_cpp(self, data: Tensor) -> bool:
        """Whether the hand-written path runs its loops in compiled C++ on ``data`` (so
        ``last_kernel`` says "bptt-cpp"); the families without a C++ core say no."""
        return False

    def prepare_kernels(self) -> None:
        """Build (or load from the cache) the compiled C++ core now if a training forward
        would run it, rather than in the first forward: a first build takes tens of seconds,
        which a training run should not count against its time budget. Asking whether the
        core covers the layer (:func:`rnnlab.bptt.cpp_core.runs`) is what builds it."""
        choose_kernel(self, self.weight_ih_l0.detach(), autocast_on=False)

    def _sequence_backend(self) -> str:
        """The backend handed to the family's ``*_sequence`` function."""
        return "reference" if self.backend == "reference" else "bptt"

    def _init_direction(self, params: dict[str, Tensor]) -> None:
        """Initialisation beyond torch's uniform one (none by default; skipped, where it would
        change torch's draw, with ``init="torch"``)."""

    def step(
        self, x: Tensor, states: States, params: dict[str, Tensor],
        record: dict[str, Tensor] | None = None,
    ) -> States:
        """One step of one direction through the family's reference cell
        (:mod:`rnnlab.bptt.reference`): x (B, I), states -> the new states.

        ``params`` are that direction's (:meth:`direction_parameters`); ``record``, when given,
        receives the gate activations (:meth:`recorded_gates`).
        """
        raise NotImplementedError

    def recorded_gates(self) -> tuple[str, ...]:
        """The gates :meth:`step` records, in display order (none for the Elman layer)."""
        return ()

    def _torch_options(self) -> dict[str, Any]:
        """The family's arguments of its torch.nn twin (LSTM: proj_size; RNN: nonlinearity)."""
        return {}

    @classmethod
    def _options_from_torch(cls, module: nn.Module) -> dict[str, Any]:
        """The family's arguments read back from a torch.nn twin (the inverse of the above)."""
        return {}

    def torch_unsupported(self) -> list[str]:
        """The options of this layer that torch.nn has no equivalent for (none by default)."""
        return []

    # ------------------------------------------------------------------ parameters

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _build(self) -> None:
        """Register the parameters of every layer and direction, then initialise them."""
        if self.backend == "fused":
            fused_mode(self)  # a configuration torch's kernel lacks fails here, not mid-run
        out_size = self.proj_size or self.hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[dict[str, str]] = []  # per (layer, direction): short -> full
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else out_size * self.num_directions
            for direction in range(self.num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                names = {}
                for short, shape in self._direction_shapes(layer_input).items():
                    full = short + suffix
                    self.register_parameter(full, nn.Parameter(torch.empty(shape, **self._factory)))
                    names[short] = full
                self._all_weights.append(names)
                self._flat_weights_names.extend(names.values())
        # learn_init: one learnable initial value per state, layer and direction (after the
        # weights, so torch's draw of the weights is unchanged); not among the flat weights
        initial_names = []
        state_names = ("h", "c")[: self.num_states]
        for index in range(len(self._all_weights) if self.learn_init else 0):
            layer, direction = divmod(index, self.num_directions)
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            names = tuple(f"initial_{s}{suffix}" for s in state_names)
            for name, size in zip(names, self._state_sizes(), strict=True):
                self.register_parameter(name, nn.Parameter(torch.empty(size, **self._factory)))
            initial_names.append(names)
        self._initial_state_names = tuple(initial_names)
        self.reset_parameters()

    def _params(self, index: int, dtype: torch.dtype | None = None) -> dict[str, Tensor]:
        """The parameters of one (layer, direction) by short name, cast to ``dtype`` if given."""
        params = {short: getattr(self, full) for short, full in self._all_weights[index].items()}
        if dtype is not None:
            params = {short: p.to(dtype) for short, p in params.items()}
        return params

    def direction_parameters(self, layer: int, direction: int = 0) -> dict[str, Tensor]:
        """The parameters of ``layer`` in ``direction`` (1: backward) by short name
        (``weight_ih``, ``weight_hh``, ... and whatever the variant adds), as :meth:`step`
        takes them."""
        return self._params(layer * self.num_directions + direction)

    def _autocast_dtype(self, x: Tensor) -> torch.dtype | None:
        """The dtype to compute in under autocast (None: autocast is off for x's device).

        torch.nn's layers are single ops that autocast casts as a whole: all inputs, states
        and weights to the autocast dtype (CPU: RNN, LSTM), or none of them (CPU: GRU). The
        layers here are made of many ops, which autocast would cast one by one into a mix
        of dtypes, so the layer makes torch's choice itself and runs with autocast off.
        float64 models are left alone, as autocast leaves float64 ops.
        """
        device = x.device.type
        if not autocast_enabled(device) or self.weight_ih_l0.dtype == torch.float64:
            return None
        if device == "cpu" and not self.cpu_autocast_lowers:
            return self.weight_ih_l0.dtype
        return autocast_dtype(device)

    @property
    def all_weights(self) -> list[list[nn.Parameter]]:
        """Parameters per (layer, direction), as ``torch.nn.RNNBase.all_weights``."""
        return [[getattr(self, n) for n in names.values()] for names in self._all_weights]

    def reset_parameters(self) -> None:
        """torch's init, U(-1/sqrt(H), 1/sqrt(H)) for every weight, then the family's; learned
        initial states (``learn_init``) start at zero.

        The parameters are registered, and so drawn, in torch.nn's order (per layer and
        direction: weight_ih, weight_hh, bias_ih, bias_hh, weight_hr), so with
        ``init="torch"`` and the same seed a layer starts from exactly torch.nn's weights.
        """
        bound = 1.0 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for name in self._flat_weights_names:
                getattr(self, name).uniform_(-bound, bound)
            for index in range(len(self._all_weights)):
                self._init_direction(self._params(index))
            for names in self._initial_state_names:
                for name in names:
                    getattr(self, name).zero_()

    def flatten_parameters(self) -> None:
        """No-op, kept so that code written for ``torch.nn`` (cuDNN) runs unchanged."""

    def to_torch(self) -> nn.Module:
        """The ``torch.nn`` equivalent with the same weights; UserError naming every option
        torch.nn cannot express."""
        check_convertible(self.kind, self.torch_unsupported() + self.regularisers_torch_lacks())
        return twin(
            self.torch_class, self, self.input_size, self.hidden_size, self.num_layers,
            bias=self.bias, batch_first=self.batch_first, dropout=self.dropout,
            bidirectional=self.bidirectional, **self._torch_options(),
        )

    @classmethod
    def from_torch(cls, module: nn.Module, *, backend: str = "auto") -> RecurrentLayer:
        """The equivalent of the torch.nn layer ``module`` (a ``torch_class``): every option
        torch has is carried over, the weights are copied, the training mode is kept."""
        return twin(
            cls, module, module.input_size, module.hidden_size, num_layers=module.num_layers,
            bias=module.bias, batch_first=module.batch_first, dropout=module.dropout,
            bidirectional=module.bidirectional, backend=backend,
            **cls._options_from_torch(module),
        )

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        for key, value in self._family_repr().items():
            s += f", {key}={value!r}"
        for r in regularisers_table.for_family(self.num_states == 2):
            if getattr(self, r.name):
                s += f", {r.name}={getattr(self, r.name)!r}"
        if self.backend != "auto":
            s += f", backend={self.backend!r}"
        if self.init != "default":
            s += f", init={self.init!r}"
        return s

    def _family_repr(self) -> dict[str, Any]:
        """Family options that differ from their defaults, for ``extra_repr``."""
        return {}

    # ------------------------------------------------------------------ regularisers

    def regularisers_in_effect(self) -> list[str]:
        """The regulariser options that change what the layer computes in its current mode
        (zoneout, learn_init; dropout and weight-drop in training), as "name=value"."""
        return regularisers_table.in_effect(self)

    def masks_in_loop(self) -> bool:
        """Whether a regulariser's mask acts inside the recurrent loop in the current mode
        (recurrent dropout on h in training, zoneout always): the compiled C++ loops do not
        take such masks, so the Python loop runs."""
        return bool(regularisers_table.in_loop(self))

    @property
    def ddp_find_unused_parameters(self) -> bool:
        """Whether DDP must look for parameters that sit out a step (learned initial states
        go unused while a stream passes its state)."""
        return regularisers_table.sit_out_parameters(self)

    def regularisers_torch_lacks(self) -> list[str]:
        """The regulariser options that change inference, which torch.nn's layers lack."""
        return regularisers_table.torch_lacks(self)

    def sample_masks(self, index: int, x: Tensor, weight_hh: Tensor) -> Masks:
        """The regulariser masks of (layer, direction) ``index`` for this forward on its input
        x (T, B, I_k): drawn from torch's global RNG in training, the zoneout expectation in
        evaluation, none when every regulariser is off (see :mod:`rnnlab.nn.regularisers`).
        Called once per layer and direction per forward, whichever backend runs, so replacing
        it fixes the masks of every path."""
        return regularisers_table.sample_masks(self, x, weight_hh)

    # ------------------------------------------------------------------ forward

    def forward(
        self, input: Tensor | PackedSequence, hx: Tensor | tuple[Tensor, ...] | None = None
    ) -> tuple[Tensor | PackedSequence, Tensor | tuple[Tensor, ...]]:
        """Run all layers and directions; returns ``(output, h_n)`` (LSTM: ``(h_n, c_n)``)."""
        weight = self.weight_ih_l0
        sorted_indices = unsorted_indices = padding = batch_sizes = None
        batched = True
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            check_dtype(self.kind, data, weight)
            check_packed_dim(data)
            check_features(data, self.input_size)
            if is_tracing():  # the padding bookkeeping reads sizes as ints: not traceable
                record_kernel(self, "fused")
                return self._forward_fused_packed(input, hx, check_traceable(self), None)
            compute = self._autocast_dtype(data)
            if self._choose(data, compute) == "fused":  # torch's kernel reads packed data as is
                return self._forward_fused_packed(input, hx, fused_mode(self), compute)
            padding = _Padding(batch_sizes, data.device)
            x = padding.pad(data)  # (T, B, I)
        else:
            check_input_dim(self.kind, input)
            check_dtype(self.kind, input, weight)
            check_features(input, self.input_size)
            batched = input.dim() == 3
            if not batched:
                x = input.unsqueeze(1)  # (T, 1, I)
            else:
                x = input.transpose(0, 1) if self.batch_first else input
            check_steps(x)
        states = self.initial_states(hx, x, x.shape[1], batched, sorted_indices)
        compute = self._autocast_dtype(x)
        if is_tracing():  # one torch op per layer stack, which traces and exports for any T
            record_kernel(self, "fused")
            out, finals = run_torch_kernel(self, check_traceable(self), x, states, None)
        elif padding is None and self._choose(x, compute) == "fused":
            out, finals = self._run_fused(fused_mode(self), x, states, None, compute)
        elif compute is None:
            out, finals = self._run(x.contiguous(), states, batch_sizes, padding)
        else:
            with torch.autocast(x.device.type, enabled=False):
                states = tuple(s.to(compute) for s in states)
                out, finals = self._run(x.to(compute).contiguous(), states, batch_sizes,
                                        padding, compute)
        if unsorted_indices is not None:
            finals = tuple(s.index_select(1, unsorted_indices) for s in finals)
        if padding is not None:
            output: Tensor | PackedSequence = PackedSequence(
                padding.pack(out), batch_sizes, sorted_indices, unsorted_indices
            )
        elif not batched:
            output = out.squeeze(1)
            finals = tuple(s.squeeze(1) for s in finals)
        else:
            output = out.transpose(0, 1) if self.batch_first else out
        return output, finals[0] if self.num_states == 1 else finals

    def _forward_fused_packed(
        self, input: PackedSequence, hx: Tensor | tuple[Tensor, ...] | None, mode: str,
        compute: torch.dtype | None,
    ) -> tuple[PackedSequence, Tensor | tuple[Tensor, ...]]:
        """Packed input through torch's kernel ``mode`` on the packed data, as torch.nn does
        (the batch size stays the tensor ``batch_sizes[0]``, so a trace follows it)."""
        data, batch_sizes, sorted_indices, unsorted_indices = input
        states = self.initial_states(hx, data, batch_sizes[0], True, sorted_indices)
        out, finals = self._run_fused(mode, data, states, batch_sizes, compute)
        if unsorted_indices is not None:
            finals = tuple(s.index_select(1, unsorted_indices) for s in finals)
        output = PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
        return output, finals[0] if self.num_states == 1 else finals

    def initial_states(
        self,
        hx: Tensor | tuple[Tensor, ...] | None,
        like: Tensor,
        B: int | Tensor,
        batched: bool,
        sorted_indices: Tensor | None = None,
    ) -> States:
        """Zero (dtype and device of ``like``) or checked user states, each
        (num_layers*D, B, size); permuted to the packed order when ``sorted_indices`` is given."""
        LD = self.num_layers * self.num_directions
        sizes = self._state_sizes()
        if hx is None and self.learn_init:  # each learned (size,) expanded over the batch
            per_state = zip(*self._initial_state_names, strict=True)  # names of h, then of c
            learned = [torch.stack([getattr(self, n) for n in names]) for names in per_state]
            return tuple(s.to(like.dtype)[:, None].expand(LD, B, s.shape[-1]) for s in learned)
        if hx is None:
            return tuple(like.new_zeros(LD, B, size) for size in sizes)
        states = as_states(hx, self.num_states, self.kind)
        labels = ("hidden",) if self.num_states == 1 else ("hidden[0]", "hidden[1]")
        check_state_dims(states, batched)
        if not batched:
            states = tuple(s.unsqueeze(1) for s in states)
        for label, s, size in zip(labels, states, sizes, strict=True):
            check_state(s, (LD, int(B), size), label, self.weight_ih_l0)
        if sorted_indices is not None:
            states = tuple(s.index_select(1, sorted_indices) for s in states)
        return states

    def _choose(self, data: Tensor, compute: torch.dtype | None) -> str:
        """Choose the kernel for ``data`` and record it (:mod:`rnnlab.nn.backend`)."""
        kernel = choose_kernel(self, data, compute is not None)
        record_kernel(self, kernel)
        return kernel

    def _run_fused(
        self, mode: str, x: Tensor, states: States, batch_sizes: Tensor | None,
        compute: torch.dtype | None,
    ) -> tuple[Tensor, States]:
        """torch's kernel over every layer and direction (x time-major or packed data);
        under autocast (``compute``) on inputs, states and weights cast to that dtype, the
        choice torch.nn's layer would make, with autocast off."""
        if compute is None:
            return run_torch_kernel(self, mode, x, states, batch_sizes)
        with torch.autocast(x.device.type, enabled=False):
            weights = [getattr(self, n).to(compute) for n in self._flat_weights_names]
            states = tuple(s.to(compute) for s in states)
            return run_torch_kernel(self, mode, x.to(compute), states, batch_sizes, weights)

    def _run(
        self, x: Tensor, states: States, batch_sizes: Tensor | None, padding: _Padding | None,
        dtype: torch.dtype | None = None,
    ) -> tuple[Tensor, States]:
        """Time-major core: x (T, B, I) -> (out (T, B, D*P), final states (L*D, B, ·)).

        ``dtype`` (autocast): the parameters are cast to it, as x and the states already are.
        """
        finals: list[States] = []
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for direction in range(self.num_directions):
                index = layer * self.num_directions + direction
                start = tuple(s[index] for s in states)
                flip = padding.reverse if padding is not None else None
                seq = flip_sequences(layer_input, flip) if direction else layer_input
                params = self._params(index, dtype)
                masks = self.sample_masks(index, seq, params["weight_hh"])
                out, last = self._run_direction(seq, start, params, batch_sizes, masks)
                outs.append(flip_sequences(out, flip) if direction else out)
                finals.append(last)
            layer_input = torch.cat(outs, -1) if len(outs) > 1 else outs[0]
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, training=True)
        return layer_input, tuple(torch.stack(s) for s in zip(*finals, strict=True))
