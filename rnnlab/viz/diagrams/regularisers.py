r"""The recurrent regularisers in the diagrams: the title names them, the equations panel adds
their equations below the cell's (:mod:`rnnlab.nn.regularisers` has the same equations).

Only what is on, and only for a family that reads it (its record's options,
:mod:`rnnlab.nn.families.regularisers`), so every family's diagram gets them without a change
to its own drawing:

* recurrent dropout (Gal & Ghahramani 2016): :math:`m_x \odot x_t` and :math:`m_h \odot
  h_{t-1}` in the products with W_ih and W_hh, the masks fixed over the sequence;
* weight drop (Merity et al. 2017): :math:`\tilde W_{hh} = M \odot W_{hh} / (1 - p)`;
* zoneout (Krueger et al. 2017): :math:`h_t = d_t \odot h_{t-1} + (1 - d_t) \odot \tilde h_t`
  (and the same for the LSTM's c with its own rate), :math:`\tilde h_t` the cell's new state;
* learned initial states: :math:`h_0 = \theta_h` (LSTM also :math:`c_0 = \theta_c`).
"""

from __future__ import annotations

from rnnlab.models.config import ModelConfig
from rnnlab.nn.families import family
from rnnlab.nn.families.regularisers import regulariser_options
from rnnlab.viz.diagrams.drawing import Line
from rnnlab.viz.diagrams.style import BELT, INK, MUTED

PAPERS = {  # where each one comes from, named in the equations panel
    "recurrent_dropout": "Gal & Ghahramani 2016",
    "weight_drop": "Merity et al. 2017",
    "zoneout": "Krueger et al. 2017",
}
FIELDS = tuple(o.field for o in regulariser_options(cell=True))


def regularisers_on(config: ModelConfig) -> list[str]:
    """The regulariser fields that are on and that ``config``'s family reads, in order."""
    kind = family(config.family)
    return [name for name in FIELDS if kind.reads(name) and getattr(config, name)]


def title_part(config: ModelConfig) -> str:
    """The regularisers for the title, in the words of the variant text:
    ``"zoneout 0.1 + learned h0"``; empty when none is on (their papers are in the equations
    panel)."""
    options = {o.field: o for o in family(config.family).options}
    texts = (options[name].variant_text(getattr(config, name)) for name in regularisers_on(config))
    return " + ".join(t for t in texts if t)


def regulariser_equations(config: ModelConfig) -> list[Line]:
    """The equations of the regularisers that are on, to follow the cell's equations."""
    on = set(regularisers_on(config))
    lines: list[Line] = []
    if "recurrent_dropout" in on:
        lines += [
            (r"$W_{ih}\,x_t \to W_{ih}\,(m_x \odot x_t),\ \ W_{hh}\,h_{t-1} \to "
             r"W_{hh}\,(m_h \odot h_{t-1})$", INK),
            (rf"recurrent dropout $p = {config.recurrent_dropout:g}$ "
             rf"({PAPERS['recurrent_dropout']}): $m_x, m_h$ drawn once per sequence, fixed over "
             "time", MUTED),
        ]
    if "weight_drop" in on:
        lines += [
            (r"$\tilde W_{hh} = M \odot W_{hh} \,/\, (1 - p)$ in place of $W_{hh}$", INK),
            (rf"weight drop $p = {config.weight_drop:g}$ ({PAPERS['weight_drop']}): "
             r"$M \sim \mathrm{Bernoulli}(1 - p)$, one draw per forward", MUTED),
        ]
    if "zoneout" in on:
        lines += [
            (r"$h_t = d_t \odot h_{t-1} + (1 - d_t) \odot \tilde h_t$", INK),
            (rf"zoneout $z = {config.zoneout:g}$ ({PAPERS['zoneout']}): $\tilde h_t$ is the $h_t$ "
             r"above, $d_t \sim \mathrm{Bernoulli}(z)$ per step (evaluation: $d_t = z$)", MUTED),
        ]
    if "zoneout_cell" in on:
        lines += [
            (r"$c_t = d^c_t \odot c_{t-1} + (1 - d^c_t) \odot \tilde c_t$", BELT),
            (rf"cell zoneout $z_c = {config.zoneout_cell:g}$: $\tilde c_t$ is the $c_t$ above "
             r"(evaluation: $d^c_t = z_c$)", MUTED),
        ]
    if "learn_init" in on:
        cell = "c" in family(config.family).state_kinds
        lines.append((r"$h_0 = \theta_h$" + (r", $c_0 = \theta_c$" if cell else "")
                      + ": learned initial state (when none is given)", INK))
    if lines and ("recurrent_dropout" in on or "weight_drop" in on):
        lines.append(("dropout masks act in training only", MUTED))
    return lines
