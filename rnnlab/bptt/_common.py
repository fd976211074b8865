"""Small helpers shared by the hand-written sequence Functions of Elman, GRU and LSTM.

* argument checks that give one clear :class:`~rnnlab.errors.UserError` (a ``ValueError``);
* the ``batch_sizes`` bookkeeping of packed input (see :mod:`rnnlab.bptt.reference`): the
  number of running rows per step as plain ints, zeroing the rows that have finished, and
  gathering each row's final state;
* :func:`run_single_state`, the body of ``elman_sequence`` and ``gru_sequence``: the choice
  between the hand-written Function and the autograd reference loop;
* :func:`needs_autograd_path`, the one seam where the hand-written Functions give way to the
  reference loop, and :func:`differentiable_grads`, their backward when a graph of the
  gradient is being built (double backward).

Why the bookkeeping is this simple: ``batch_sizes`` is non-increasing, so the rows running at
step t were also running at step t - 1, and their previous state is just ``out[t - 1, :rows]``.
A row whose last step is t has its final state in ``out[t]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import torch
from torch import Tensor

from rnnlab.bptt import BACKENDS
from rnnlab.bptt.masks import NO_MASKS, Masks, check_masks, masked_inputs
from rnnlab.bptt.reference import run_reference
from rnnlab.errors import UserError

Sizes = Tensor | Sequence[int] | None  # batch_sizes as a tensor, as ints, or None (all B rows)


def check_choice(what: str, value: str, choices: Sequence[str]) -> None:
    """Raise a UserError naming the valid choices unless ``value`` is one of them."""
    if value not in choices:
        raise UserError(f"unknown {what} {value!r}; choose one of {', '.join(choices)}")


def check_shapes(x: Tensor, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor, gates: int) -> None:
    """Check x (T, B, I), h0 (B, H), weight_ih (gates*H, I) and weight_hh (gates*H, H)."""
    if x.dim() != 3 or x.shape[0] == 0:
        raise UserError(f"x must be (T, B, I) with T >= 1, got shape {tuple(x.shape)}")
    B, I = x.shape[1], x.shape[2]
    if h0.dim() != 2 or h0.shape[0] != B:
        raise UserError(f"h0 must be (B={B}, H), got shape {tuple(h0.shape)}")
    H = h0.shape[1]
    if weight_ih.shape != (gates * H, I) or weight_hh.shape != (gates * H, H):
        raise UserError(
            f"weights must be weight_ih ({gates * H}, {I}) and weight_hh ({gates * H}, {H}), "
            f"got {tuple(weight_ih.shape)} and {tuple(weight_hh.shape)}"
        )


def step_sizes(batch_sizes: Tensor | Sequence[int] | None, T: int, B: int) -> tuple[int, ...]:
    """The number of running rows at each step, as Python ints (B at every step if None).

    Converting once, up front, keeps tensor-to-int syncs out of the per-step loops.
    """
    if batch_sizes is None:
        return (B,) * T
    sizes = tuple(int(n) for n in torch.as_tensor(batch_sizes).reshape(-1).tolist())
    if len(sizes) != T:
        raise UserError(f"batch_sizes has {len(sizes)} entries but x has T={T} steps")
    if any(not 0 <= n <= B for n in sizes):
        raise UserError(f"batch_sizes must lie in [0, B={B}], got {list(sizes)}")
    if any(later > earlier for earlier, later in pairwise(sizes)):
        raise UserError(
            f"batch_sizes must be non-increasing (rows sorted by decreasing length), "
            f"got {list(sizes)}"
        )
    return sizes


def zero_finished_rows(seq: Tensor, sizes: Sequence[int]) -> None:
    """Set ``seq[t, sizes[t]:] = 0`` for every step t, in place; seq is (T, B, ...)."""
    B = seq.shape[1]
    for t, rows in enumerate(sizes):
        if rows < B:
            seq[t, rows:] = 0


def final_state(out: Tensor, h0: Tensor, sizes: Sequence[int]) -> Tensor:
    """Each row's state after its own last step: ``out[len_b - 1, b]``, or ``h0[b]`` if len_b = 0.

    The rows that stop after step t are ``sizes[t + 1] : sizes[t]``. Returns a new (B, H)
    tensor (never a view of ``out``, which autograd would refuse as a second output).
    """
    h_T = h0.clone()
    for t, rows in enumerate(sizes):
        rows_next = sizes[t + 1] if t + 1 < len(sizes) else 0
        if rows_next < rows:
            h_T[rows_next:rows] = out[t, rows_next:rows]
    return h_T


def previous_states(h0: Tensor, out: Tensor) -> Tensor:
    """(T, B, H): h_{t-1} for every step t, i.e. h0 followed by out[:-1].

    Rows that were not running at t - 1 hold zeros, which is harmless: they are not running at
    t either, and their pre-activation gradients are zero.
    """
    return torch.cat((h0.unsqueeze(0), out[:-1]))


def needs_autograd_path(x: Tensor) -> bool:
    """True where the hand-written Functions must give way to the autograd reference loop.

    * an empty batch (B = 0): torch returns empty outputs, and the fused buffers cannot be
      reshaped from zero elements;
    * torch.func transforms (grad, vjp, jvp, vmap, hessian): the reference is plain torch ops,
      which every transform knows, so the answers are right rather than refused;
    * tracing and compiling (torch.jit.trace, torch.onnx, torch.compile, torch.export): they
      record torch ops, and the Functions' ``out=`` writes into views do not trace.

    Each test is a flag lookup, so the eager fast path pays next to nothing for it.
    """
    return (
        x.shape[1] == 0
        or torch._C._are_functorch_transforms_active()
        or torch.jit.is_tracing()
        or torch.compiler.is_compiling()
    )


def differentiable_grads(
    run: Callable[..., tuple[Tensor, ...]],
    inputs: Sequence[Tensor | None],
    needs: Sequence[bool],
    grad_outputs: Sequence[Tensor],
) -> tuple[Tensor | None, ...]:
    """The gradients of ``run(*inputs)`` w.r.t. the ``needs`` inputs, themselves differentiable.

    A hand-written backward computes numbers, not a graph, so when autograd builds a graph
    of the gradient (``create_graph=True``: gradient penalties, Hessian-vector products,
    gradgradcheck) the backward calls this instead: it re-runs the forward on the autograd
    reference path (same parameters, same math) and differentiates that with
    ``create_graph=True``. The cost, one more forward and an autograd backward, is paid only
    then; ``torch.is_grad_enabled()`` inside a backward tells the two cases apart.
    """
    wrt = [t for t, need in zip(inputs, needs, strict=True) if need and t is not None]
    with torch.enable_grad():
        outs = run(*inputs)
    grads = iter(torch.autograd.grad(outs, wrt, grad_outputs, create_graph=True,
                                     allow_unused=True, materialize_grads=True))
    return tuple(next(grads) if need and t is not None else None
                 for t, need in zip(inputs, needs, strict=True))


def reference_single_state(
    step: Callable[..., Tensor],
    x: Tensor,
    h0: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None,
    bias_hh: Tensor | None,
    option: Any,
    batch_sizes: Sizes,
    masks: Masks = NO_MASKS,
) -> tuple[Tensor, Tensor]:
    """The autograd loop of a one-state family: ``(out, h_T)`` of ``step`` over x; of
    ``masks`` only the in-loop ones act here (:meth:`~rnnlab.bptt.masks.Masks.in_loop`)."""

    def reference_step(x_t: Tensor, h: Tensor, h_in: Tensor | None = None) -> Tensor:
        return step(x_t, h, weight_ih, weight_hh, bias_ih, bias_hh, option, h_in=h_in)

    out, (h,) = run_reference(reference_step, x, (h0,), batch_sizes, masks=masks)
    return out, h


def add_optional(a: Tensor | None, b: Tensor | None) -> Tensor | None:
    """a + b where either may be None (an absent bias)."""
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def run_single_state(
    function: type[torch.autograd.Function],
    step: Callable[..., Tensor],
    x: Tensor,
    h0: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None,
    bias_hh: Tensor | None,
    option: Any,
    *,
    gates: int,
    batch_sizes: Tensor | None,
    backend: str,
    masks: Masks = NO_MASKS,
    infer: Callable[..., tuple[Tensor, Tensor] | None] | None = None,
) -> tuple[Tensor, Tensor]:
    """Run a layer whose one state is h (Elman, GRU) over x (T, B, I): (out (T, B, H), h_T).

    Checks ``backend``, the shapes (``gates`` blocks of H rows per weight) and ``batch_sizes``,
    then runs ``function.apply(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, sizes, option,
    masks)`` (``backend="bptt"``, the hand-written backward), or the autograd loop of
    :func:`~rnnlab.bptt.reference.run_reference` over
    ``step(x_t, h, weight_ih, weight_hh, bias_ih, bias_hh, option)`` (``"reference"``, and
    wherever :func:`needs_autograd_path` says so).
    ``option`` is the family's one option (Elman: the nonlinearity; GRU: reset_after).
    ``masks``: fixed regulariser masks (:mod:`rnnlab.bptt.masks`); x and W_hh are masked
    here, around either path.
    ``infer``: the family's inference mode, tried with the arguments of ``function.apply``
    where no gradient can be asked for (grad mode off, or no input requires one); it returns
    None where it does not cover the call, and the Function runs.
    """
    check_choice("backend", backend, BACKENDS)
    check_shapes(x, h0, weight_ih, weight_hh, gates=gates)
    check_masks(masks, x, weight_hh, h0.shape[1], None)
    sizes = step_sizes(batch_sizes, x.shape[0], x.shape[1])
    x, weight_hh = masked_inputs(x, weight_hh, masks)  # x̃ = m_x x, W̃_hh = M W_hh
    if backend == "reference" or needs_autograd_path(x):
        return reference_single_state(step, x, h0, weight_ih, weight_hh, bias_ih, bias_hh,
                                      option, batch_sizes, masks)
    args = (x, h0, weight_ih, weight_hh, bias_ih, bias_hh, sizes, option, masks)
    if infer is not None and not needs_grad(x, h0, weight_ih, weight_hh, bias_ih, bias_hh):
        result = infer(*args)
        if result is not None:
            return result
    return function.apply(*args)


def needs_grad(*tensors: Tensor | None) -> bool:
    """Whether autograd would ask for a gradient of any of these tensors (so a Function must
    keep what its backward reads)."""
    return torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors)


def _onednn_linear() -> Callable[..., Tensor] | None:
    """torch's oneDNN linear (``torch.ops.mkldnn._linear_pointwise``), or None where this
    torch has no oneDNN or no such op."""
    if not torch.backends.mkldnn.is_available():
        return None
    try:
        return torch.ops.mkldnn._linear_pointwise
    except (AttributeError, RuntimeError):
        return None


_LINEAR = _onednn_linear()


def input_product(x2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    r"""The input part of every step at once, :math:`X W^T (+ b)` for the T·B rows of ``x2``.

    On the CPU in float32, outside autograd, it runs oneDNN's linear rather than MKL's
    ``addmm``: (3200 x 512) by (512 x 2048) on two threads of an AMD EPYC measured 207 against
    184 GFLOP/s (2026-12-04), and this product is half of an LSTM layer's FLOPs in inference.
    Anywhere else (float64, autograd recording, no oneDNN), ``addmm`` / ``mm``.
    """
    float32 = all(t is None or t.dtype == torch.float32 for t in (x2, weight, bias))
    onednn = _LINEAR is not None and x2.device.type == "cpu" and float32
    if onednn and not needs_grad(x2, weight, bias):
        return _LINEAR(x2.contiguous(), weight.contiguous(), bias, "none", [], "")
    if bias is not None:
        return torch.addmm(bias, x2, weight.t())
    return torch.mm(x2, weight.t())
