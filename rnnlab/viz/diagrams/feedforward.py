"""A feed-forward net as layers of units: the fixed-window MLP (language model).

Left to right: the window of the k most recent inputs (tokens through a shared embedding E,
concatenated — Bengio et al. 2003 — or input vectors concatenated), the hidden layers, and the
output layer (a softmax over the next token for token inputs). A layer of more than
:data:`MAX_UNITS` units shows its first and last units around an ellipsis; its caption gives
the real size and its parameter count. Everything the net knows of the past is the window.
"""

from __future__ import annotations

from rnnlab.models.config import ModelConfig
from rnnlab.viz.diagrams.blocks import count_mlp_blocks, mlp_input_width, size_text
from rnnlab.viz.diagrams.canvas import Canvas, Point
from rnnlab.viz.diagrams.style import FONT, FONT_SMALL, MUTED

MAX_UNITS = 8  # slots of a drawn layer: 4 units, an ellipsis, 3 units
UNIT_R = 0.2
UNIT_PITCH = 0.58
GROUP_R = 0.16  # units of one window position in the input column
GROUP_PITCH = 0.46
GROUP_GAP = 0.85
MAX_GROUPS = 6  # window positions drawn; more show the first 3 and last 2 around an ellipsis
COLUMN_GAP = 3.3


def slots(size: int | None, cap: int = MAX_UNITS) -> list[int | None]:
    """Indices of the units to draw, top to bottom; None marks the ellipsis."""
    if size is not None and size <= cap:
        return list(range(size))
    top = cap // 2
    return list(range(top)) + [None] + [-k for k in range(cap - top - 1, 0, -1)]


def _column(canvas: Canvas, x: float, size: int | None, name: str, kind: str) -> list[Point]:
    """One layer's units centred on y = 0; returns the centres of the drawn units."""
    layout = slots(size)
    top = (len(layout) - 1) * UNIT_PITCH / 2
    centres = []
    for n, index in enumerate(layout):
        y = top - n * UNIT_PITCH
        if index is None:
            canvas.ellipsis(x, y, gid=f"{name}-ellipsis")
            continue
        canvas.circle(x, y, UNIT_R, gid=f"{name}-unit-{n}", kind=kind)
        centres.append((x, y))
    return centres


def _window_positions(k: int) -> list[int | None]:
    """Which of the window's k positions to draw (0 = oldest); None marks the ellipsis."""
    return slots(k, MAX_GROUPS) if k > MAX_GROUPS else list(range(k))


def _step_label(symbol: str, position: int, k: int) -> str:
    """The input at window position ``position`` (0 = oldest): x_{t-4}, ..., x_t."""
    lag = k - 1 - (position % k)
    return f"${symbol}_{{t-{lag}}}$" if lag else f"${symbol}_t$"


def _input_column(
    canvas: Canvas, config: ModelConfig, x: float, input_size: int | None
) -> list[Point]:
    """The concatenated window: one small group of units per position (tokens via E)."""
    k = config.window
    per_step = config.embedding_dim or input_size
    group = slots(per_step, 3)
    height = (len(group) - 1) * GROUP_PITCH
    positions = _window_positions(k)
    total = len(positions) * (height + GROUP_GAP) - GROUP_GAP
    centres: list[Point] = []
    y = total / 2
    for n, position in enumerate(positions):
        cy = y - height / 2
        if position is None:
            canvas.ellipsis(x, cy, gid="window-ellipsis")
            if per_step:
                canvas.ellipsis(x - 2.6, cy, gid="token-ellipsis")
        else:
            canvas.box(x, cy, 2 * GROUP_R + 0.22, height + 2 * GROUP_R + 0.2,
                       gid=f"input-group-{n}", kind="group", lw=1.0, zorder=2)
            for m, index in enumerate(group):
                uy = y - m * GROUP_PITCH
                if index is None:
                    canvas.ellipsis(x, uy, gid=f"input-{n}-ellipsis", spacing=0.1)
                    continue
                canvas.circle(x, uy, GROUP_R, gid=f"input-{n}-unit-{m}",
                              kind="embedding" if config.embedding_dim else "input")
                centres.append((x, uy))
            _input_source(canvas, config, x, cy, n, position)
        y -= height + GROUP_GAP
    return centres


def _input_source(
    canvas: Canvas, config: ModelConfig, x: float, y: float, n: int, pos: int
) -> None:
    """What feeds one window position: a token through E, or the input vector's name."""
    k = config.window
    if not config.embedding_dim:
        canvas.text(x - 0.5, y, _step_label("x", pos, k), gid=f"label-input-{n}", ha="right")
        return
    token = canvas.box(x - 2.6, y, 1.15, 0.5, _step_label("w", pos, k), gid=f"token-{n}",
                       kind="input", fontsize=FONT)
    canvas.arrow([token.right(), (x - 0.4, y)], gid=f"edge-embed-{n}")
    canvas.text((token.right()[0] + x - 0.4) / 2, y + 0.08, "$E$", gid=f"label-embed-{n}",
                va="bottom", fontsize=FONT_SMALL, color=MUTED)


def draw_feedforward(
    canvas: Canvas,
    config: ModelConfig,
    input_size: int | None = None,
    output_size: int | None = None,
) -> None:
    """Draw the window MLP of ``config`` as columns of units joined by their weights."""
    tokens = bool(config.embedding_dim)
    blocks = count_mlp_blocks(config, input_size, output_size)
    hidden = [b for b in blocks if b.name.startswith("hidden")]
    x = 0.0
    previous = _input_column(canvas, config, x, input_size)
    k = config.window
    width = mlp_input_width(config, input_size)
    per = size_text(config.embedding_dim or input_size, "I")
    whole = size_text(width, "I" if k == 1 else f"{k}·I")
    captions: list[tuple[float, str, str]] = [
        (x, "input-window", f"window of {k}\n{k} × {per} = {whole}")
    ]
    if tokens:
        vocabulary = size_text(input_size, "V")
        captions.append((x - 2.6, "tokens", f"previous tokens\nE: {vocabulary} × "
                         f"{config.embedding_dim}\n{blocks[0].count_text} params"))
    for number, block in enumerate(hidden, start=1):
        x += COLUMN_GAP
        units = _column(canvas, x, config.hidden_size, f"hidden{number}", "dense")
        _connect(canvas, previous, units, f"weights-{number}")
        previous = units
        captions.append((x, f"hidden{number}",
                         f"hidden {number}\n{config.hidden_size} {config.nonlinearity}\n"
                         f"{block.count_text} params"))
    x += COLUMN_GAP
    outputs = _column(canvas, x, output_size, "output", "output")
    _connect(canvas, previous, outputs, "weights-output")
    out_name = "softmax" if tokens else "output"
    size = size_text(output_size, "V" if tokens else "O")
    out_params = blocks[-1].count_text
    units_word = "unit" if output_size == 1 else "units"
    captions.append((x, "output", f"{out_name}\n{size} {units_word}\n{out_params} params"))
    target = "$P(w_{t+1} \\mid \\mathrm{window})$" if tokens else "$y_t$"
    canvas.arrow([(x + 0.45, 0.0), (x + 1.25, 0.0)], gid="edge-output")
    canvas.text(x + 1.37, 0.0, target, gid="label-output", ha="left")
    bottom = canvas.current_bounds.y0
    for cx, name, text in captions:
        canvas.text(cx, bottom - 0.45, text, gid=f"caption-{name}", va="top",
                    fontsize=FONT_SMALL, color=MUTED)


def _connect(canvas: Canvas, left: list[Point], right: list[Point], gid: str) -> None:
    """Every drawn unit of one layer to every drawn unit of the next (one element)."""
    segments = [((a[0] + 0.2, a[1]), (b[0] - UNIT_R, b[1])) for a in left for b in right]
    canvas.segments(segments, gid=gid, color="#9aa3ad", lw=0.55, alpha=0.8)
