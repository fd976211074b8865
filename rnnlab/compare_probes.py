"""The probes of ``rnnlab compare``, turned into report data: which gaps to test, gradient flow
before and after training, and gate heatmaps over a test passage.

All measuring is done by :mod:`rnnlab.inspect` (traces re-run the cells' reference math); this
module only picks the batches, the gaps, the rows and the words that explain them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor, nn

from rnnlab.inspect import gradient_flow, trace
from rnnlab.inspect.gradient_flow import batch_of
from rnnlab.tasks.base import Batch, Task
from rnnlab.viz.charts import Series
from rnnlab.viz.heatmap import HeatRow
from rnnlab.viz.report import GatePanel

# How the heatmap rows name each gate, and the colour scale of each.
GATE_LABELS = {
    "i": "input gate i",
    "f": "forget gate f (1 = keep)",
    "g": "candidate g",
    "o": "output gate o",
    "r": "reset gate r",
    "z": "update gate z (1 = keep)",
    "n": "candidate n",
}
SIGNED = ("g", "n")  # tanh-valued, in [-1, 1]
EXAMPLE_GAP = 12  # the cue-word sentence shown in the heatmaps has this gap (if trained on it)
PASSAGE = {"words": 40, "chars": 160}  # tokens shown for other tasks


def horizon_gaps(task: Task, windows: Sequence[int] = ()) -> list[int]:
    """The gaps the memory horizon is measured at; [] where the task has no lag to vary.

    cue-word: every gap up to 6, the gaps around each window MLP's window edge, and six more
    spread evenly up to the longest trained gap. lag (variant 2c): a quarter, half and all of q.
    """
    params = task.params.to_dict()
    if task.name == "cue-word":
        lo, hi = task.gap_range  # type: ignore[attr-defined]
        gaps = set(range(lo, min(hi, 6) + 1))
        gaps |= {g for w in windows for g in (w - 1, w, w + 1) if lo <= g <= hi}
        gaps |= {round(g) for g in np.linspace(min(hi, 8), hi, 6)}
        return sorted(gaps)
    if task.name == "lag" and params.get("variant") == "2c":
        q = int(params["q"])
        return sorted({max(1, q // 4), max(1, q // 2), q})
    return []


def _probe_task(task: Task) -> Task:
    """The task whose test batch the gradient probe uses: cue-word at its longest gap, so
    every row has the same length and the distance axis reaches the furthest cue."""
    if task.name == "cue-word":
        return task.at_gap(task.gap_range[1])  # type: ignore[attr-defined]
    return task


def gradient_series(task: Task, initial: nn.Module | None, trained: nn.Module
                    ) -> tuple[Series, Series]:
    """||dL/dh_t|| relative to the loss step, against the distance, for the untrained and the
    trained weights, on the same test batch (loss at each sequence's last step)."""
    probe = _probe_task(task)
    batch = batch_of(probe, "test", 32)
    out = []
    for model in (initial if initial is not None else trained, trained):
        flow = gradient_flow(model, probe, batch=batch)
        out.append(Series(flow["distance"], flow["relative"]))
    return out[0], out[1]


def _cue_unit(values: Tensor, cues: Tensor) -> tuple[int, float]:
    """The unit whose value after the last step best separates the cues: the largest share of
    its variance over sentences explained by the cue (between-cue / total variance)."""
    final = values[-1]  # (B, H)
    total = final.var(0, unbiased=False)
    means = torch.zeros_like(final)
    for cue in cues.unique():
        rows = cues == cue
        means[rows] = final[rows].mean(0)
    explained = means.var(0, unbiased=False) / total.clamp(min=1e-12)
    unit = int(explained.argmax())
    return unit, float(explained[unit])


def gate_panel(task: Task, model: nn.Module, label: str) -> GatePanel | None:
    """Gate activations (mean over units) and one telling unit over a test passage, for an
    LSTM or GRU model on a token task; None for feature inputs."""
    vocab = task.spec.vocab
    if task.spec.input_kind != "tokens" or vocab is None:
        return None
    words = not (task.name == "text" and task.params.to_dict().get("level") == "char")
    if task.name == "cue-word":
        lo, hi = task.gap_range  # type: ignore[attr-defined]
        batch = batch_of(task.at_gap(min(hi, max(lo, EXAMPLE_GAP))), "test", 128)  # type: ignore[attr-defined]
    else:
        first = batch_of(task, "test", 8)
        n = PASSAGE["words" if words else "chars"]
        if first.lengths is not None:
            n = min(n, int(first.lengths[0]))
        y = first.y[:1, :n] if task.spec.many_to_many else first.y[:1]
        batch = Batch(first.x[:1, :n], y)
    tr = trace(model, batch, grads=False)
    row = 0
    length = int(batch.lengths[row]) if batch.lengths is not None else tr.steps
    tokens = [vocab[int(i)] for i in batch.x[row, :length]]
    gates = tr.gates(0, 0)
    rows = [HeatRow(GATE_LABELS.get(name, name), gates[name][:length, row].mean(-1).tolist(),
                    "signed" if name in SIGNED else "gate") for name in tr.gate_names]
    if tr.family == "lstm":
        values, kind = torch.tanh(tr.c(0, 0)), "cell unit {} (tanh c)"
    else:
        values, kind = tr.h(0, 0), "hidden unit {} (h)"
    if task.name == "cue-word":
        unit, share = _cue_unit(values, batch.x[:, 0])
        note = _cue_note(tr.output, batch, vocab, label, kind.format(unit), share)
    else:
        unit = int(values[:length, row].var(0).argmax())
        note = f"The {kind.format(unit)} is the one whose value varies most over this passage."
    rows.append(HeatRow(kind.format(unit), values[:length, row, unit].tolist(), "signed"))
    return GatePanel(label, tokens, rows, words=words, note=note)


def _cue_note(output: Tensor, batch: Batch, vocab: Sequence[str], label: str, unit: str,
              share: float) -> str:
    """What the model predicts after the example sentence, and why this unit is shown."""
    last = output[0, -1].float().softmax(-1)
    guess = int(last.argmax())
    answer = vocab[int(batch.y[0, -1])]
    verdict = "right" if vocab[guess] == answer else f"the answer is \u201c{answer}\u201d"
    return (
        f"After this sentence the {label} predicts \u201c{vocab[guess]}\u201d with probability "
        f"{float(last[guess]):.2f} ({verdict}). The {unit} is the unit whose value after the "
        f"last word best tells the cues apart: the cue explains {share:.0%} of its variance "
        f"over {batch.size} test sentences."
    )
