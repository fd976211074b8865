"""The equations of a configuration's cell, as matplotlib mathtext lines, drawn beside it.

They follow ``rnnlab.bptt.reference`` term by term and only the enabled variant: peephole
terms only with ``peephole``, ``i = 1 - f`` for CIFG, no f for the 1997 cell, LN terms with
``layer_norm``, ``W_hr`` with a projection, r before or after ``W_hn`` for the GRU. Each gate's
line is printed in that gate's colour in the diagram.
"""

from __future__ import annotations

from rnnlab.models.config import ModelConfig
from rnnlab.models.layer_stack import layer_config, layer_text
from rnnlab.viz.diagrams.canvas import Canvas
from rnnlab.viz.diagrams.drawing import Line, drawing_of
from rnnlab.viz.diagrams.regularisers import regulariser_equations
from rnnlab.viz.diagrams.style import BELT, FONT, FONT_SMALL, GATE_KINDS, INK, KINDS, MUTED


def _gate(name: str) -> str:
    return KINDS[GATE_KINDS[name]].edge


def lstm_equations(config: ModelConfig) -> list[Line]:
    """a, the gates, c_t and h_t of the LSTM variant of ``config``, in evaluation order."""
    if config.layer_norm:
        a = (r"$a = \gamma_{ih}\,\mathrm{LN}(W_{ih}x_t) + \gamma_{hh}\,\mathrm{LN}(W_{hh}h_{t-1})"
             r" + b_{ih} + b_{hh}$")
    else:
        a = r"$a = W_{ih}x_t + b_{ih} + W_{hh}h_{t-1} + b_{hh}$"
    lines: list[Line] = [(a, INK)]

    def peep(name: str, c: str) -> str:
        return rf" + p_{name} \odot {c}" if config.peephole else ""

    if config.coupled:
        lines.append((rf"$f_t = \sigma(a_f{peep('f', 'c_{t-1}')})$", _gate("f")))
        lines.append((r"$i_t = 1 - f_t$", KINDS["coupled"].edge))
    else:
        lines.append((rf"$i_t = \sigma(a_i{peep('i', 'c_{t-1}')})$", _gate("i")))
        if config.forget_gate:
            lines.append((rf"$f_t = \sigma(a_f{peep('f', 'c_{t-1}')})$", _gate("f")))
    lines.append((r"$g_t = \tanh(a_g)$", _gate("g")))
    if config.forget_gate:
        lines.append((r"$c_t = f_t \odot c_{t-1} + i_t \odot g_t$", BELT))
    else:
        lines.append((r"$c_t = c_{t-1} + i_t \odot g_t$", BELT))
    lines.append((rf"$o_t = \sigma(a_o{peep('o', 'c_t')})$", _gate("o")))
    squashed = r"\tanh(c_t)"
    if config.layer_norm:
        squashed = r"\tanh(\gamma_c\,\mathrm{LN}(c_t) + \beta_c)"
    if config.proj_size:
        lines.append((rf"$h_t = W_{{hr}}\,(o_t \odot {squashed})$", INK))
    else:
        lines.append((rf"$h_t = o_t \odot {squashed}$", INK))
    return lines


def conv_lstm_equations(config: ModelConfig) -> list[Line]:
    """The ConvLSTM's (Shi et al. 2015): convolutions ∗ for the products, Hadamard peepholes."""

    def peep(name: str, c: str) -> str:
        return rf" + W_{{c{name}}} \odot {c}" if config.peephole else ""

    return [
        (r"$a = W_x \ast x_t + b_{ih} + W_h \ast h_{t-1} + b_{hh}$", INK),
        (rf"$i_t = \sigma(a_i{peep('i', 'c_{t-1}')})$", _gate("i")),
        (rf"$f_t = \sigma(a_f{peep('f', 'c_{t-1}')})$", _gate("f")),
        (r"$g_t = \tanh(a_g)$", _gate("g")),
        (r"$c_t = f_t \odot c_{t-1} + i_t \odot g_t$", BELT),
        (rf"$o_t = \sigma(a_o{peep('o', 'c_t')})$", _gate("o")),
        (r"$h_t = o_t \odot \tanh(c_t)$", INK),
    ]


def gru_equations(config: ModelConfig) -> list[Line]:
    """r, z, n (reset after or before W_hn) and h_t."""
    if config.reset_after:
        n = r"$n_t = \tanh(W_{in}x_t + b_{in} + r_t \odot (W_{hn}h_{t-1} + b_{hn}))$"
    else:
        n = r"$n_t = \tanh(W_{in}x_t + b_{in} + W_{hn}(r_t \odot h_{t-1}) + b_{hn})$"
    return [
        (r"$r_t = \sigma(W_{ir}x_t + b_{ir} + W_{hr}h_{t-1} + b_{hr})$", _gate("r")),
        (r"$z_t = \sigma(W_{iz}x_t + b_{iz} + W_{hz}h_{t-1} + b_{hz})$", _gate("z")),
        (n, _gate("n")),
        (r"$h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$", INK),
    ]


def elman_equations(config: ModelConfig) -> list[Line]:
    """The one Elman line, with its nonlinearity written out."""
    phi = {"tanh": r"\tanh", "relu": r"\mathrm{relu}", "sigmoid": r"\sigma"}[config.nonlinearity]
    return [(rf"$h_t = {phi}(W_{{ih}}x_t + b_{{ih}} + W_{{hh}}h_{{t-1}} + b_{{hh}})$", INK)]


def mlp_equations(config: ModelConfig) -> list[Line]:
    """The window MLP: concatenated window, hidden layers, output."""
    k = config.window
    step = r"E\,w" if config.embedding_dim else "x"
    colour = _gate("g") if config.embedding_dim else INK
    if k == 1:
        lines = [(rf"$v = {step}_t$", colour)]
    else:
        lines = [(rf"$v = [{step}_{{t-{k - 1}}};\ \ldots;\ {step}_t]$", colour)]
    phi = {"tanh": r"\tanh", "relu": r"\mathrm{relu}", "sigmoid": r"\sigma"}[config.nonlinearity]
    L = config.num_layers
    if L >= 1:
        lines.append((rf"$h^{{(1)}} = {phi}(W_1 v + b_1)$", INK))
    if L >= 2:
        lines.append((rf"$h^{{(l)}} = {phi}(W_l h^{{(l-1)}} + b_l),\ l = 2..{L}$", INK))
    last = f"h^{{({L})}}" if L else "v"
    if config.embedding_dim:
        lines.append((rf"$P(w_{{t+1}}) = \mathrm{{softmax}}(W_o {last} + b_o)$", INK))
    else:
        lines.append((rf"$y_t = W_o {last} + b_o$", INK))
    return lines


def equations_for(config: ModelConfig) -> list[Line]:
    """The equations of the family and variant of ``config`` (its Drawing's), then those of
    the regularisers that are on; for a layer list, those of each different recurrent layer
    under its name (x_t: what it reads)."""
    if not config.layers:
        return drawing_of(config).equations(config) + regulariser_equations(config)
    lines: list[Line] = []
    seen: set[str] = set()
    for spec in config.layer_specs:
        if spec.recurrent and str(spec) not in seen:
            seen.add(str(spec))
            lines.append((layer_text(config, spec) + ":", MUTED))
            lines += equations_for(layer_config(config, spec))
    return lines


def draw_equations(canvas: Canvas, config: ModelConfig) -> None:
    """A heading and one line per equation, top-left at (0, 0), going down."""
    canvas.text(0.0, 0.0, "Equations", gid="equations-heading", ha="left", va="top",
                weight="bold", fontsize=FONT)
    y = -0.75
    lines = equations_for(config)
    for n, (tex, colour) in enumerate(lines):
        box = canvas.text(0.0, y, tex, gid=f"equation-{n}", ha="left", va="top", color=colour)
        y = box.y0 - 0.32
    symbols = [(r"\sigma", "σ: logistic sigmoid"), (r"\odot", "⊙: elementwise product"),
               (r"\mathrm{LN}", "LN: normalise to zero mean, unit variance")]
    notes = [text for symbol, text in symbols if any(symbol in tex for tex, _ in lines)]
    if notes:
        canvas.text(0.0, y - 0.1, "\n".join(notes), gid="equations-note", ha="left", va="top",
                    fontsize=FONT_SMALL, color=MUTED)
