"""The probes of ``rnnlab compare``, turned into report data: which gaps to test, gradient flow
before and after training, and gate heatmaps over a test passage.

All measuring is done by :mod:`rnnlab.inspect` (traces re-run the cells' reference math); this
module only picks the batches, the gaps, the rows and the words that explain them. What a task
offers for the probes (its lags, a passage whose cue is known) it says through
:class:`~rnnlab.tasks.lagged.AdjustableLag`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from rnnlab.compare.families import (
    gated_module,
    has_cell_state,
    has_gates,
    is_recurrent,
)
from rnnlab.compare.results import Run
from rnnlab.compare.specs import ModelSpec
from rnnlab.inspect import Trace, gradient_flow, trace
from rnnlab.inspect.gradient_flow import batch_of
from rnnlab.tasks.base import Batch, Task
from rnnlab.tasks.lagged import has_adjustable_lag
from rnnlab.viz import reading as reading_mod
from rnnlab.viz.charts import Series
from rnnlab.viz.heatmap import HeatRow
from rnnlab.viz.report import GatePanel, ReportData

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
CUE_PASSAGE = 128  # sequences of a task's own probe passage (the cue unit is chosen over them)
PASSAGE = {"words": 40, "chars": 160}  # tokens shown for other tasks


def horizon_gaps(task: Task, windows: Sequence[int] = ()) -> list[int]:
    """The gaps the memory horizon is measured at (the task's own choice, given the window
    MLPs' ``windows``); [] where the task has no lag to vary."""
    return task.lags_to_probe(windows) if has_adjustable_lag(task) else []


def _probe_task(task: Task) -> Task:
    """The task whose test batch the gradient probe uses: a task with a lag at its longest
    lag, so every row has the same length and the distance axis reaches the furthest cue."""
    return task.at_lag(task.lag_range[1]) if has_adjustable_lag(task) else task


def gradient_series(task: Task, initial: nn.Module | None, trained: nn.Module
                    ) -> tuple[Series, Series]:
    """||dL/dh_t|| relative to the loss step, against the distance, for the untrained and the
    trained weights, on the same test batch (loss at each sequence's last step), at the
    recurrent layer nearest the input (the only one, or a layer list's first)."""
    probe = _probe_task(task)
    batch = batch_of(probe, "test", 32)
    out = []
    for model in (initial if initial is not None else trained, trained):
        flow = gradient_flow(model, probe, batch=batch, module=0)
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


def gate_panel(task: Task, model: nn.Module, label: str, module: int | None = None
               ) -> GatePanel | None:
    """Gate activations (mean over units) and one telling unit over a test passage, for an
    LSTM or GRU model on a token task (``module``: which recurrent layer of a layer list);
    None for feature inputs."""
    vocab = task.spec.vocab
    if task.spec.input_kind != "tokens" or vocab is None:
        return None
    words = not (task.name == "text" and task.params.to_dict().get("level") == "char")
    own = task.probe_passage(CUE_PASSAGE) if has_adjustable_lag(task) else None
    batch = own if own is not None else _test_passage(task, words)
    tr = trace(model, batch, grads=False, module=module)
    row = 0
    length = int(batch.lengths[row]) if batch.lengths is not None else tr.steps
    tokens = [vocab[int(i)] for i in batch.x[row, :length]]
    gates = tr.gates(0, 0)
    rows = [HeatRow(GATE_LABELS.get(name, name), gates[name][:length, row].mean(-1).tolist(),
                    "signed" if name in SIGNED else "gate") for name in tr.gate_names]
    unit_row, note = _unit_row(tr, batch, length, vocab, label)
    rows.append(unit_row)
    return GatePanel(label, tokens, rows, words=words, note=note)


def _test_passage(task: Task, words: bool) -> Batch:
    """The start of the first test sequence: up to 40 words or 160 characters."""
    first = batch_of(task, "test", 8)
    n = PASSAGE["words" if words else "chars"]
    if first.lengths is not None:
        n = min(n, int(first.lengths[0]))
    y = first.y[:1, :n] if task.spec.many_to_many else first.y[:1]
    return Batch(first.x[:1, :n], y)


def _unit_row(tr: Trace, batch: Batch, length: int, vocab: Sequence[str], label: str
              ) -> tuple[HeatRow, str]:
    """The heatmap row of one telling unit of the first row, and the note that says why it
    is shown: the unit that best tells the cues apart where the passage knows its cues, else
    the one that varies most."""
    row = 0
    if has_cell_state(tr.family):
        values, kind = torch.tanh(tr.c(0, 0)), "cell unit {} (tanh c)"
    else:
        values, kind = tr.h(0, 0), "hidden unit {} (h)"
    if "cue" in batch.extra:
        unit, share = _cue_unit(values, batch.extra["cue"])
        note = _cue_note(tr.output, batch, vocab, label, kind.format(unit), share)
    else:
        unit = int(values[:length, row].var(0).argmax())
        note = f"The {kind.format(unit)} is the one whose value varies most over this passage."
    return HeatRow(kind.format(unit), values[:length, row, unit].tolist(), "signed"), note


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


def add_probes(task: Task, specs: Sequence[ModelSpec], runs: dict[str, list[Run]],
               data: ReportData, outcomes: Sequence[reading_mod.Outcome]) -> None:
    """Gradient flow (recurrent models, before and after training) and gate heatmaps (gated
    models), from the first seed's models, into ``data``; the gradient numbers the reading
    quotes into ``outcomes``."""
    recurrent = [(s, runs[s.label][0]) for s in specs if is_recurrent(s.config)]
    if recurrent:
        moments: dict[str, dict[str, Series]] = {"at initialisation": {}, "after training": {}}
        by_label = {o.label: o for o in outcomes}
        for spec, run in recurrent:
            before, after = gradient_series(task, run.initial, run.model)
            moments["at initialisation"][spec.label] = before
            moments["after training"][spec.label] = after
        # The reading quotes every model at one distance, the furthest all of them reach (they
        # differ where a model runs more steps than it reads: the next-frame ConvLSTM runs 2T).
        d = min(int(after.x[-1]) for after in moments["after training"].values())
        for label, after in moments["after training"].items():
            before, o = moments["at initialisation"][label], by_label[label]
            o.gradient_distance = d
            o.gradient_init, o.gradient_trained = float(before.y[d]), float(after.y[d])
        data.gradients = moments
    for spec, run in recurrent:
        if has_gates(spec.config):
            panel = gate_panel(task, run.model, spec.label, gated_module(spec.config))
            if panel is not None:
                data.gates.append(panel)


__all__ = ["add_probes", "gate_panel", "gradient_series", "horizon_gaps"]
