"""The stack view: every block of a recurrent model, bottom (input) to top (output).

Each recurrent layer is a row of cell boxes, one per direction: the forward lane reads
t = 1 .. T, the backward lane T .. 1, and their outputs are concatenated before the next block.
Embedding and dense layers (``dense_before`` / ``dense_after``) sit below and above the stack;
a layer list (``ModelConfig.layers``) is drawn as written, each layer with its own family and
sizes.
Beside every block: its widths and its parameter count (computed from the config, see
:mod:`.parameters`).
"""

from __future__ import annotations

from dataclasses import dataclass

from rnnlab.models.config import ModelConfig
from rnnlab.nn.families import family
from rnnlab.viz.diagrams.blocks import Block, count_stack_blocks, size_text
from rnnlab.viz.diagrams.canvas import Canvas, Node
from rnnlab.viz.diagrams.drawing import drawing_of
from rnnlab.viz.diagrams.parameters import directions, output_width
from rnnlab.viz.diagrams.style import FONT, FONT_SMALL, INK, MUTED

GAP = 0.85  # vertical space between blocks (arrows run in it)
BOX_H = 1.0
LANE_X = 1.75  # centres of the forward and backward boxes of a bidirectional layer
NOTE_GAP = 0.7  # space between the widest block and the annotations beside the blocks


@dataclass
class _Row:
    """One drawn row: its boxes and the height at which its outputs leave."""

    boxes: list[Node]
    top: float


def _layer_note(config: ModelConfig, block: Block) -> str:
    """Widths and parameters of one recurrent layer, symbolic in I when I is unknown."""
    D, H = directions(config), config.hidden_size
    P = output_width(config)
    proj = f", P {P}" if P != H else ""  # an LSTMP's projection
    head = f"in {size_text(block.fan_in, 'I')} · H {H}{proj} · out {block.fan_out}"
    if block.params is not None and D > 1:
        return f"{head}\n2 × {block.params // 2:,} = {block.params:,} params"
    return f"{head}\n{block.count_text} params"


def _plain_box(canvas: Canvas, y: float, label: str, gid: str, kind: str) -> _Row:
    """A one-box row (embedding, dense or output layer), bottom edge at y."""
    w = canvas.measure(label, FONT)[0] + 0.8
    box = canvas.box(0.0, y + BOX_H * 0.35, max(w, 2.6), BOX_H * 0.7, label, gid=gid,
                     kind=kind, fontsize=FONT)
    return _Row([box], y + BOX_H * 0.7)


def _layer_row(canvas: Canvas, config: ModelConfig, y: float, number: int) -> _Row:
    """The cell boxes of one recurrent layer (one per direction), bottom edge at y."""
    name = family(config.family).layer.kind  # "RNN", "LSTM", "GRU"
    lanes = [("forward", "t: 1 → T")]
    if config.bidirectional:
        lanes.append(("backward", "t: T → 1"))
    xs = [-LANE_X, LANE_X] if config.bidirectional else [0.0]
    boxes = []
    for (lane, order), x in zip(lanes, xs, strict=True):
        gid = f"layer-{number}-{lane}"
        title = f"{name} layer {number}"
        width = max(canvas.measure(title, FONT, "bold")[0], canvas.measure(order, FONT_SMALL)[0])
        box = canvas.box(x, y + BOX_H / 2, max(width + 0.6, 2.9), BOX_H, gid=gid,
                         kind=drawing_of(config).box)
        canvas.text(x, y + BOX_H * 0.66, title, gid=f"{gid}-label", weight="bold")
        canvas.text(x, y + BOX_H * 0.28, f"{lane}  {order}" if len(lanes) > 1 else order,
                    gid=f"{gid}-sublabel", fontsize=FONT_SMALL, color=INK)
        boxes.append(box)
    return _Row(boxes, y + BOX_H)


def _connect(canvas: Canvas, below: _Row, above: _Row, gid: str) -> None:
    """Arrows from the outputs of one row into the inputs of the next."""
    if len(below.boxes) == 2 and len(above.boxes) == 1:  # concatenate the two lanes
        target = above.boxes[0]
        for side, box in zip((-1, 1), below.boxes, strict=True):
            x, y = target.left() if side < 0 else target.right()
            canvas.arrow([box.top(), (box.x, y), (x, y)], gid=f"{gid}-{'fb'[side > 0]}")
        return
    start = below.boxes[0].top()
    if len(above.boxes) == 1:
        canvas.arrow([start, above.boxes[0].bottom()], gid=gid)
        return
    mid = start[1] + GAP / 2
    canvas.dot(start[0], mid, gid=f"{gid}-split")
    for lane, box in zip("fb", above.boxes, strict=True):
        canvas.arrow([start, (start[0], mid), (box.x, mid), box.bottom()], gid=f"{gid}-{lane}")


def draw_stack(
    canvas: Canvas,
    config: ModelConfig,
    input_size: int | None = None,
    output_size: int | None = None,
) -> None:
    """Draw the block stack of a recurrent ``config`` with sizes and parameter counts."""
    blocks = count_stack_blocks(config, input_size, output_size)
    tokens = bool(config.embedding_dim)
    source = "tokens $w_t$" if tokens else "$x_t$"
    canvas.text(0.0, 0.0, source, gid="stack-input", va="bottom")
    width_note = (f"vocabulary {size_text(input_size, 'V')}" if tokens
                  else f"{size_text(input_size, 'I')} features per step")
    notes = [(0.18, width_note, "note-input")]
    below = _Row([Node("stack-input", 0.0, 0.15, 0.3, 0.15)], 0.38)  # the x_t label as a node
    y = below.top + GAP
    number = 0
    for block in blocks:
        key = block.name.replace(" ", "-")
        if block.name.startswith("layer"):
            number += 1
            layer = block.layer or config  # a layer list's layer has its own config
            row = _layer_row(canvas, layer, y, number)
            note = _layer_note(layer, block)
        elif block.name == "output":
            label = "softmax" if tokens else "output layer"
            row = _plain_box(canvas, y, label, "block-output", "output")
            note = (f"{block.fan_in} → {size_text(block.fan_out, 'V' if tokens else 'O')}\n"
                    f"{block.count_text} params")
        else:
            kind = "embedding" if block.name == "embedding" else "dense"
            label = "embedding $E$" if kind == "embedding" else f"dense {block.fan_out}"
            row = _plain_box(canvas, y, label, f"block-{key}", kind)
            note = (f"{size_text(block.fan_in, 'V' if kind == 'embedding' else 'I')} → "
                    f"{block.fan_out}\n{block.count_text} params")
        _connect(canvas, below, row, f"edge-into-{key}")
        notes.append(((y + row.top) / 2, note, f"note-{key}"))
        below = row
        y = row.top + GAP
        if block.name.startswith("layer") and len(row.boxes) == 2:
            concat = canvas.box(0.0, y + 0.22, 1.5, 0.44, "concat", gid=f"concat-{number}",
                                kind="op", fontsize=FONT_SMALL)
            _connect(canvas, row, _Row([concat], y + 0.44), f"edge-concat-{number}")
            below = _Row([concat], y + 0.44)
            y = below.top + GAP * 0.8
    top = below.top + GAP
    canvas.arrow([below.boxes[0].top(), (0.0, top)], gid="edge-out")
    canvas.text(0.0, top + 0.1, "$y_t$", gid="stack-output", va="bottom")
    x = canvas.current_bounds.x1 + NOTE_GAP
    for y, text, gid in notes:
        canvas.text(x, y, text, gid=gid, ha="left", fontsize=FONT_SMALL, color=MUTED)
