"""The gallery: one diagram of every cell variant and layout, as in ``docs/diagrams/``.

Run ``python -m rnnlab.viz.diagrams docs/diagrams`` (add ``--png`` for PNG files too); it
also writes the README.md that lists the call behind each picture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnnlab.models.config import ModelConfig
from rnnlab.utils.atomic import atomic_write
from rnnlab.viz.diagrams.render import draw


@dataclass(frozen=True)
class Entry:
    """One gallery picture: file stem, what it shows, the config and the drawing options."""

    name: str
    caption: str
    config: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)


LSTM = {"family": "lstm", "hidden_size": 128}
ENTRIES = (
    Entry("lstm", "LSTM with forget gate (the default cell)", LSTM, {"equations": True}),
    Entry("lstm_1997", "The 1997 cell: no forget gate", {**LSTM, "forget_gate": False},
          {"equations": True}),
    Entry("lstm_peephole", "Peephole connections", {**LSTM, "peephole": True},
          {"equations": True}),
    Entry("lstm_coupled", "Coupled input-forget gate (CIFG)", {**LSTM, "coupled": True},
          {"equations": True}),
    Entry("lstm_layer_norm", "Layer-normalised LSTM", {**LSTM, "layer_norm": True},
          {"equations": True}),
    Entry("lstm_projection", "LSTM with projection (LSTMP)", {**LSTM, "proj_size": 64},
          {"equations": True}),
    Entry("gru", "GRU, reset after W_hn (torch/cuDNN)", {"family": "gru", "hidden_size": 128},
          {"equations": True}),
    Entry("gru_reset_before", "GRU, reset before W_hn (Cho et al. 2014)",
          {"family": "gru", "hidden_size": 128, "reset_after": False}, {"equations": True}),
    Entry("rnn_unrolled", "Elman RNN rolled and unrolled over 4 steps",
          {"family": "rnn", "hidden_size": 64}, {"steps": 4}),
    Entry("rnn_cell", "The Elman cell", {"family": "rnn", "hidden_size": 64},
          {"view": "cell", "equations": True}),
    Entry("lstm_unrolled", "LSTM unrolled: h and c pass between the copies", LSTM,
          {"view": "unrolled", "steps": 4}),
    Entry("mlp", "Window MLP on feature vectors",
          {"family": "mlp", "hidden_size": 32, "num_layers": 2, "window": 4},
          {"input_size": 3, "output_size": 1}),
    Entry("mlp_window_lm", "Fixed-window MLP language model (Bengio et al. 2003)",
          {"family": "mlp", "hidden_size": 128, "num_layers": 1, "window": 5,
           "embedding_dim": 32}, {"input_size": 10000, "output_size": 10000, "equations": True}),
    Entry("stack_bidirectional", "2-layer bidirectional LSTM with dense layers, and its cell",
          {**LSTM, "num_layers": 2, "bidirectional": True, "dense_before": (64,),
           "dense_after": (32,)}, {"input_size": 16, "output_size": 5}),
)


def command(entry: Entry, path: str) -> str:
    """The Python call that draws one entry."""
    fields = ", ".join(f"{k}={v!r}" for k, v in entry.config.items())
    options = "".join(f", {k}={v!r}" for k, v in entry.options.items())
    return f"draw(ModelConfig({fields}), {path!r}{options})"


INTRO = """\
# Diagrams

Every picture here was drawn by `rnnlab.viz.diagrams.draw` from a `ModelConfig` alone (the
same call the `rnnlab draw` command makes). Redraw them all with

    python -m rnnlab.viz.diagrams docs/diagrams

which also rewrites this file. Each picture below lists the Python call that drew it
(`from rnnlab.models.config import ModelConfig; from rnnlab.viz.diagrams import draw`).

Colours are the same in every picture: input gate green, forget gate red, candidate purple,
output gate blue, reset gate amber, update gate teal; the LSTM cell state is the thick orange
line, peephole connections are dashed magenta. In the SVG files every element has an `id`
(`gate-f`, `peephole-i`, `belt-add`, `cell-copy-2`, `layer-2-backward`, ...).
"""


def readme(formats: tuple[str, ...] = ("svg",)) -> str:
    """The gallery's README: an introduction, then each picture with its command."""
    parts = [INTRO]
    for entry in ENTRIES:
        name = f"{entry.name}.{formats[0]}"
        parts.append(f"## {entry.caption}\n\n![{entry.caption}]({name})\n\n"
                     f"```python\n{command(entry, 'docs/diagrams/' + name)}\n```\n")
    return "\n".join(parts)


def make_gallery(directory: str | Path, formats: tuple[str, ...] = ("svg",)) -> list[Path]:
    """Draw every entry into ``directory`` in each format, and its README.md.

    Returns the written paths.
    """
    directory = Path(directory)
    written = []
    for entry in ENTRIES:
        for fmt in formats:
            path = directory / f"{entry.name}.{fmt}"
            # The gallery is regenerated in place: its own files, drawn before the mark existed too.
            written.append(draw(ModelConfig(**entry.config), path, overwrite=True,
                                **entry.options))
    index = directory / "README.md"
    atomic_write(index, readme(formats))
    written.append(index)
    return written
