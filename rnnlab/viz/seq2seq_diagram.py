"""The encoder-decoder drawn unrolled: encoder boxes, decoder boxes, the bridge, attention.

    x_1 .. x_S → [encoder] → [encoder] → ... ──bridge──▶ [decoder] → [decoder] → ... → y_t
                     ╲          ╲                          ▲            ▲
                      ╲──────────╲──── attention (α_tj) ───┘────────────┘   (bahdanau, luong)

The encoder row reads the source left to right (a bidirectional encoder also right to left,
drawn as a second arrow row); the decoder row emits one token per step and feeds it back.
With attention every decoder step reads every encoder output through the attention node.
"""

from __future__ import annotations

import os

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from rnnlab.models.config import ModelConfig
from rnnlab.models.layer_stack import layers_title
from rnnlab.models.seq2seq import decoder_config
from rnnlab.nn.families import family
from rnnlab.viz.attention import _write


def _stack_text(config: ModelConfig) -> str:
    if config.layers:
        return layers_title(config)
    both = ", bidirectional" if config.bidirectional else ""
    return (f"{family(config.family).display_name} {config.num_layers} x "
            f"{config.hidden_size}{both}")


def seq2seq_figure(config: ModelConfig, steps: int = 4) -> Figure:
    """The unrolled encoder-decoder of ``config`` with ``steps`` source and target steps."""
    S = T = max(2, min(steps, 12))
    fig = Figure(figsize=(1.3 * (S + T) + 2.5, 4.2))
    ax = fig.subplots()
    ax.set_xlim(-0.8, S + T + 1.2)
    ax.set_ylim(-0.6, 4.3)
    ax.axis("off")

    def box(x: float, y: float, text: str, colour: str, gid: str) -> None:
        patch = FancyBboxPatch((x - 0.38, y - 0.28), 0.76, 0.56, boxstyle="round,pad=0.03",
                               facecolor=colour, edgecolor="#333", linewidth=1.0, gid=gid)
        ax.add_patch(patch)
        ax.text(x, y, text, ha="center", va="center", fontsize=8)

    def arrow(a: tuple[float, float], b: tuple[float, float], gid: str, style: str = "-",
              colour: str = "#333", rad: float = 0.0) -> None:
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=9, color=colour,
                                     linestyle=style, connectionstyle=f"arc3,rad={rad}",
                                     linewidth=1.0, gid=gid))

    bidirectional = config.reads_ahead
    for j in range(S):
        box(j, 1.0, "enc", "#cfe3f7", f"encoder-{j}")
        ax.text(j, 0.0, f"x{j + 1}", ha="center", va="center", fontsize=8)
        arrow((j, 0.15), (j, 0.7), f"source-{j}")
        if j:
            arrow((j - 0.62, 1.08), (j - 0.38, 1.08), f"encoder-link-{j}")
            if bidirectional:
                arrow((j - 0.38, 0.9), (j - 0.62, 0.9), f"encoder-back-{j}", colour="#2a6")
    first = S + 0.6
    for t in range(T):
        x = first + t
        box(x, 1.0, "dec", "#f7dccf", f"decoder-{t}")
        ax.text(x, 0.0, "<bos>" if t == 0 else f"y{t}", ha="center", va="center", fontsize=8)
        arrow((x, 0.15), (x, 0.7), f"target-in-{t}")
        ax.text(x, 2.05, f"y{t + 1}", ha="center",
                va="center", fontsize=8)
        arrow((x, 1.3), (x, 1.9), f"output-{t}")
        if t:
            arrow((x - 0.62, 1.0), (x - 0.38, 1.0), f"decoder-link-{t}")
    arrow((S - 1 + 0.4, 1.0), (first - 0.4, 1.0), "bridge", colour="#a33", rad=-0.35)
    ax.text((S - 1 + first) / 2, 0.45, "bridge", ha="center", fontsize=7, color="#a33")
    if config.attention != "none":
        node = ((S - 1 + first) / 2, 3.3)
        ax.add_patch(FancyBboxPatch((node[0] - 0.6, node[1] - 0.22), 1.2, 0.44,
                                    boxstyle="round,pad=0.03", facecolor="#fff3b0",
                                    edgecolor="#a80", gid="attention"))
        ax.text(*node, f"{config.attention} α", ha="center", va="center", fontsize=8)
        for j in range(S):
            arrow((j, 1.3), (node[0] - 0.5, node[1] - 0.1), f"attention-memory-{j}",
                  style="--", colour="#a80")
        for t in range(T):
            x = first + t
            # Bahdanau's context enters the step's input; Luong's combines with its output.
            end = (x - 0.2, 0.72) if config.attention == "bahdanau" else (x + 0.2, 1.6)
            arrow((node[0] + 0.5, node[1] - 0.1), end, f"attention-context-{t}", style="--",
                  colour="#a80")
    dec = decoder_config(config)
    title = (f"encoder: {_stack_text(config)}    decoder: {_stack_text(dec)}    "
             f"attention: {config.attention}")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def draw_seq2seq(config: ModelConfig, path: str | os.PathLike[str], *, steps: int = 4,
                 overwrite: bool = False) -> str:
    """Write :func:`seq2seq_figure` to ``path`` (.png or .svg), atomically."""
    return _write(seq2seq_figure(config, steps), path, overwrite)
