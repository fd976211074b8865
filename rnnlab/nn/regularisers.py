r"""The recurrent regularisers of the sequence layers :class:`~rnnlab.nn.RNN`, ``LSTM``, ``GRU``:
one :class:`Regulariser` record each in :data:`REGULARISERS`, the table every consumer reads.

Options of every layer (``zoneout_cell`` of the LSTM only), all off by default:

* ``recurrent_dropout=p``: variational dropout (Gal & Ghahramani 2016, "A Theoretically
  Grounded Application of Dropout in Recurrent Neural Networks"). In training, one Bernoulli
  mask per sequence (per batch row and feature, the same at every step) on the layer's inputs
  and one on :math:`h_{t-1}` where it feeds the recurrent matmul, each scaled by 1/(1-p):
  :math:`a_t = W_{ih} (m_x \odot x_t) + W_{hh} (m_h \odot h_{t-1}) + b`.
* ``weight_drop=p``: DropConnect on the recurrent weights (Merity, Keskar & Socher 2017,
  "Regularizing and Optimizing LSTM Language Models", AWD-LSTM). In training, one mask per
  forward call on ``weight_hh``, shared by the batch and every step:
  :math:`\tilde W_{hh} = M \odot W_{hh} / (1 - p)`. The parameter stays a plain
  ``nn.Parameter`` and the ``state_dict`` is unchanged.
* ``zoneout=z`` (on h) and ``zoneout_cell=z`` (on the LSTM's c): Krueger et al. 2017,
  "Zoneout: Regularizing RNNs by Randomly Preserving Hidden Activations". In training, per
  step and unit, the previous value is kept with probability z:
  :math:`h_t = d_t \odot h_{t-1} + (1 - d_t) \odot \tilde h_t`, :math:`d_t \sim
  \mathrm{Bernoulli}(z)` fresh at every step, :math:`\tilde h_t` the cell's new state; in
  evaluation the expectation :math:`h_t = z\,h_{t-1} + (1 - z)\,\tilde h_t`. With a
  projection (LSTMP) zoneout on h acts on the projected h.
* ``learn_init=True``: learnable initial states, parameters ``initial_h_l{k}[_reverse]``
  (P,) and, for the LSTM, ``initial_c_l{k}[_reverse]`` (H,), zero at first, expanded over
  the batch when no state is passed to ``forward`` (a passed state is used as given).

Dropout and DropConnect are the identity in evaluation; zoneout and learned initial states
change what the layer computes at inference too, so torch's kernel (``backend="fused"``,
``torch.jit.trace``/ONNX, ``to_torch``) cannot stand in for a layer with them.

The masks are drawn here, once per forward and per layer and direction, from torch's global
RNG (as ``nn.Dropout`` draws), and handed as fixed :class:`~rnnlab.bptt.masks.Masks` to
whichever path runs, so every backend sees the same masks for the same seed.

**The table.** The layers' keywords and checks, their ``repr``, the family options of
``ModelConfig`` (:mod:`rnnlab.nn.families.regularisers`), the layers' docstrings
(:func:`documented`), the diagrams' titles and equations (:mod:`rnnlab.viz.diagrams.regularisers`),
which kernels can run (:func:`in_loop`, :func:`in_effect`, :func:`torch_lacks`) and the
messages about them all read :data:`REGULARISERS`. A new regulariser is a record here, its
mask in :mod:`rnnlab.bptt.masks` and :func:`sample_masks`, its math where it acts (the
hand-written loops for an in-loop mask) and its ``ModelConfig`` field.
"""

from __future__ import annotations

import numbers
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, TypeVar

from torch import Tensor

from rnnlab.bptt.masks import NO_MASKS, Masks
from rnnlab.errors import UserError
from rnnlab.nn.checks import check_bool
from rnnlab.nn.layer_view import LayerView


def check_probability(name: str, value: Any) -> float:
    """Return ``value`` as a float in [0, 1), else raise UserError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise UserError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


Equation = tuple[str, str]  # (mathtext, role): role "cell" (the c path), "note" or "main"


@dataclass(frozen=True)
class Regulariser:
    """One regulariser: everything the layers, configs, diagrams and messages need of it."""

    name: str  # the layer's keyword, its attribute and the ModelConfig field
    default: float | bool  # off
    check: Callable[[str, Any], Any]  # check(name, value) -> the value, or raises
    text: str  # variant text when on, "{:g}" for the value: "zoneout {:g}"
    doc: str  # one docstring line, with its equation (reST math)
    paper: str | None  # where it comes from, named in the diagrams
    # where it acts: "outside" (around the kernel: the C++ loops still run), "training" (in the
    # loop, in training only), "always" (in the loop, in evaluation too)
    acts: Literal["outside", "training", "always"]
    in_inference: bool  # changes what the layer computes in evaluation (torch has no such)
    equations: tuple[Equation, ...]  # for the diagrams; "{value}", "{paper}" filled in
    cell_only: bool = False  # only for a family with a cell state c (the LSTM)
    cell_text: str | None = None  # the variant text for a family with c, if it differs
    cell_equations: tuple[Equation, ...] | None = None  # the same, for the equations
    # parameters it adds to one layer and direction, given the state sizes ((P,) or (P, H))
    # when on (learned initial states); DDP must be told they can sit out a step
    parameters: Callable[[tuple[int, ...]], int] | None = None

    def text_for(self, cell: bool) -> str:
        """The variant text for a family with (``cell``) or without a cell state."""
        return self.cell_text if cell and self.cell_text else self.text

    def diagram_equations(self, value: Any, cell: bool) -> tuple[Equation, ...]:
        """Its lines of a diagram's equations panel, at ``value``."""
        lines = self.cell_equations if cell and self.cell_equations else self.equations
        return tuple((text.replace("{value}", f"{value:g}").replace("{paper}", self.paper or ""),
                      role) for text, role in lines)

    def for_family(self, cell: bool) -> bool:
        """Whether a family with (``cell``) or without a cell state reads it."""
        return cell or not self.cell_only


REGULARISERS: tuple[Regulariser, ...] = (
    Regulariser(
        "recurrent_dropout", 0.0, check_probability, "recurrent dropout {:g}",
        r"``recurrent_dropout=p``: variational dropout, :math:`a_t = W_{ih} (m_x \odot x_t) + "
        r"W_{hh} (m_h \odot h_{t-1}) + b`, masks of 0 or 1/(1-p) drawn once per sequence, in "
        "training",
        "Gal & Ghahramani 2016", acts="training", in_inference=False,
        equations=(
            (r"$W_{ih}\,x_t \to W_{ih}\,(m_x \odot x_t),\ \ W_{hh}\,h_{t-1} \to "
             r"W_{hh}\,(m_h \odot h_{t-1})$", "main"),
            (r"recurrent dropout $p = {value}$ ({paper}): $m_x, m_h$ drawn once "
             "per sequence, fixed over time", "note"),
        ),
    ),
    Regulariser(
        "weight_drop", 0.0, check_probability, "weight drop {:g}",
        r"``weight_drop=p``: DropConnect on the recurrent weights, :math:`\tilde W_{hh} = M "
        r"\odot W_{hh} / (1-p)`, one mask per forward, in training (AWD-LSTM's weight-drop; "
        "``weight_hh_l{k}`` stays a plain parameter)",
        "Merity et al. 2017", acts="outside", in_inference=False,
        equations=(
            (r"$\tilde W_{hh} = M \odot W_{hh} \,/\, (1 - p)$ in place of $W_{hh}$", "main"),
            (r"weight drop $p = {value}$ ({paper}): $M \sim \mathrm{Bernoulli}(1 - "
             "p)$, one draw per forward", "note"),
        ),
    ),
    Regulariser(
        "zoneout", 0.0, check_probability, "zoneout {:g}",
        r"``zoneout=z``: :math:`h_t = d_t \odot h_{t-1} + (1 - d_t) \odot \tilde h_t`, "
        r":math:`\tilde h_t` the cell's new h and :math:`d_t \sim \mathrm{Bernoulli}(z)` fresh "
        "at every step; in evaluation d_t = z",
        "Krueger et al. 2017", acts="always", in_inference=True,
        equations=(
            (r"$h_t = d_t \odot h_{t-1} + (1 - d_t) \odot \tilde h_t$", "main"),
            (r"zoneout $z = {value}$ ({paper}): $\tilde h_t$ is the $h_t$ above, "
             r"$d_t \sim \mathrm{Bernoulli}(z)$ per step (evaluation: $d_t = z$)", "note"),
        ),
    ),
    Regulariser(
        "zoneout_cell", 0.0, check_probability, "cell zoneout {:g}",
        r"``zoneout_cell=z``: the same on the cell state, :math:`c_t = d^c_t \odot c_{t-1} + "
        r"(1 - d^c_t) \odot \tilde c_t`",
        "Krueger et al. 2017", acts="always", in_inference=True, cell_only=True,
        equations=(
            (r"$c_t = d^c_t \odot c_{t-1} + (1 - d^c_t) \odot \tilde c_t$", "cell"),
            (r"cell zoneout $z_c = {value}$: $\tilde c_t$ is the $c_t$ above (evaluation: "
             r"$d^c_t = z_c$)", "note"),
        ),
    ),
    Regulariser(
        "learn_init", False, check_bool, "learned h0",
        r"``learn_init=True``: learnable initial states, parameters "
        r"``initial_h_l{k}[_reverse]`` (P,) (with a cell state also ``initial_c_l{k}[_reverse]`` "
        "(H,)), zero at first, used when no state is passed",
        None, acts="outside", in_inference=True, cell_text="learned h0, c0",
        equations=((r"$h_0 = \theta_h$: learned initial state (when none is given)", "main"),),
        cell_equations=((r"$h_0 = \theta_h$, $c_0 = \theta_c$: learned initial state (when "
                         "none is given)", "main"),),
        parameters=sum,
    ),
)
BY_NAME = {r.name: r for r in REGULARISERS}
TRAINING_ONLY_NOTE = "dropout masks act in training only"  # the diagrams' last line


class RegulariserOptions(TypedDict, total=False):
    """The regulariser keywords of a layer without a cell state (RNN, GRU): see the table."""

    recurrent_dropout: float
    weight_drop: float
    zoneout: float
    learn_init: bool


class CellRegulariserOptions(RegulariserOptions, total=False):
    """The regulariser keywords of a layer with a cell state (LSTM)."""

    zoneout_cell: float


def for_family(cell: bool) -> tuple[Regulariser, ...]:
    """The regularisers a family with (``cell``) or without a cell state reads, in order."""
    return tuple(r for r in REGULARISERS if r.for_family(cell))


def settings(kind: str, cell: bool, given: dict[str, Any]) -> dict[str, Any]:
    """Every regulariser of the family checked, from the keywords ``given`` (the rest off);
    TypeError for a keyword the layer does not take, as Python says it."""
    known = {r.name: r for r in for_family(cell)}
    for name in given:
        if name not in known:
            raise TypeError(f"{kind}.__init__() got an unexpected keyword argument {name!r}")
    return {name: r.check(name, given.get(name, r.default)) for name, r in known.items()}


C = TypeVar("C", bound=type)


def documented(cls: C) -> C:
    """Append the regulariser options the layer ``cls`` takes to its docstring, from the table
    (so ``help()`` shows them though the signature says ``**regularisers``)."""
    cell = getattr(cls, "num_states", 1) == 2
    lines = "\n".join(textwrap.fill(r.doc + ";", 96, initial_indent="    * ",
                                    subsequent_indent="      ") for r in for_family(cell))
    cls.__doc__ = (cls.__doc__ or "").rstrip() + (
        "\n\n    Regularisers (keyword options, all off by default; "
        f":mod:`rnnlab.nn.regularisers`):\n\n{lines}\n")
    return cls


def _on(layer: LayerView, regulariser: Regulariser) -> bool:
    return bool(getattr(layer, regulariser.name, regulariser.default))


def _named(layer: LayerView, regulariser: Regulariser) -> str:
    return f"{regulariser.name}={getattr(layer, regulariser.name)}"


def in_effect(layer: LayerView) -> list[str]:
    """The regulariser options that change what ``layer`` computes in its current mode
    ("name=value"): those that act in inference always, the others in training."""
    return [_named(layer, r) for r in REGULARISERS
            if _on(layer, r) and (r.in_inference or layer.training)]


def torch_lacks(layer: LayerView) -> list[str]:
    """The regulariser options that change inference, which torch.nn's layers have no
    equivalent of."""
    return [_named(layer, r) for r in REGULARISERS if _on(layer, r) and r.in_inference]


def in_loop(layer: LayerView) -> list[str]:
    """The regularisers on whose masks act inside the recurrent loop in the layer's current
    mode (the C++ loops then leave the step to the Python loop)."""
    return [r.name for r in REGULARISERS if _on(layer, r)
            and (r.acts == "always" or (r.acts == "training" and layer.training))]


def training_only() -> list[str]:
    """The regularisers that are the identity in evaluation (for messages)."""
    return [r.name for r in REGULARISERS if not r.in_inference]


def sit_out_parameters(layer: LayerView) -> bool:
    """Whether some parameter of the layer can go unused in a step (a learned initial state
    while a stream passes its state): DDP must then search for them."""
    return any(_on(layer, r) and r.parameters is not None for r in REGULARISERS)


def _keep(shape: tuple[int, ...], p: float, like: Tensor) -> Tensor:
    """A dropout mask: 1/(1-p) with probability 1-p, else 0."""
    return like.new_empty(shape).bernoulli_(1 - p).div_(1 - p)


def _zoneout(shape: tuple[int, ...], z: float, training: bool, like: Tensor) -> Tensor:
    """d_t for every step: 1 (keep the previous value) with probability z in training; the
    expectation z in evaluation (one number, expanded)."""
    if training:
        return like.new_empty(shape).bernoulli_(z)
    return like.new_full((), z).expand(shape)


def sample_masks(layer: LayerView, x: Tensor, weight_hh: Tensor) -> Masks:
    """The masks of one layer direction for one forward on x (T, B, I) (dtype and device of
    x); ``weight_hh`` is the direction's (cast) recurrent weight."""
    T, B, I = x.shape
    sizes = layer._state_sizes()  # (P,) or (P, H)
    training = layer.training
    p = getattr(layer, "recurrent_dropout", 0.0)
    q = getattr(layer, "weight_drop", 0.0)
    z, zc = getattr(layer, "zoneout", 0.0), getattr(layer, "zoneout_cell", 0.0)
    if not (p or q or z or zc):
        return NO_MASKS
    return Masks(
        x=_keep((B, I), p, x) if p and training else None,
        h=_keep((B, sizes[0]), p, x) if p and training else None,
        weight_hh=_keep(tuple(weight_hh.shape), q, x) if q and training else None,
        zoneout_h=_zoneout((T, B, sizes[0]), z, training, x) if z else None,
        zoneout_c=_zoneout((T, B, sizes[1]), zc, training, x) if zc else None,
    )
