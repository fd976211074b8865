"""The probes of a sequence-to-sequence comparison: exact match against the source's length,
and where each attention model looks.

The point these make (Bahdanau et al. 2015): an encoder-decoder without attention must pass
the whole source through one fixed-size state (the bridge), so its exact match falls as the
sources get longer; with attention each output step reads every encoder output and the
accuracy holds. Both are measured on the test split (values never trained on), decoding
greedily, with the first seed's model of each kind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import torch

from rnnlab.compare.results import Run
from rnnlab.compare.specs import ModelSpec
from rnnlab.models.decoding import translate
from rnnlab.models.seq2seq import Seq2Seq
from rnnlab.tasks.base import Task
from rnnlab.tasks.translation import EOS
from rnnlab.viz.charts import Series
from rnnlab.viz.report import AttentionPanel, ReportData

BIN = 10  # characters per source-length bin
MAPS = 2  # attention maps per model: a short and a long test source
MIN_COUNT = 5  # a bin with fewer test sentences is too noisy to plot


def exact_match_by_length(model: Seq2Seq, task: Task, limit: int = 0, batch_size: int = 100,
                          bin_width: int = BIN) -> dict[int, tuple[int, int]]:
    """{bin start: (exact matches, sentences)} over up to ``limit`` test sentences (0 = all),
    the source lengths in bins of ``bin_width`` characters."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    seen = 0
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for batch in task.batches("test", batch_size):
                logits, _ = model(batch.x, batch.lengths, target=batch.y)  # greedy in eval
                lengths = (batch.lengths if batch.lengths is not None
                           else torch.full((batch.size,), batch.x.shape[1]))
                for n, out, ref in zip(lengths.tolist(), logits.argmax(-1).tolist(),
                                       batch.y.tolist(), strict=True):
                    hit = task.target.decode(out) == task.target.decode(ref)
                    counts[(n // bin_width) * bin_width][0] += int(hit)
                    counts[(n // bin_width) * bin_width][1] += 1
                seen += batch.size
                if limit and seen >= limit:
                    break
    finally:
        model.train(was_training)
    return {k: (v[0], v[1]) for k, v in sorted(counts.items())}


def _attention_panels(task: Task, label: str, model: Seq2Seq) -> list[AttentionPanel]:
    """Maps over the shortest and the longest source of the first test batch."""
    from rnnlab.viz.attention import attention_figure
    from rnnlab.viz.charts import to_svg

    batch = next(iter(task.batches("test", 64)))
    lengths = (batch.lengths if batch.lengths is not None
               else torch.full((batch.size,), batch.x.shape[1]))
    rows = [int(lengths.argmin()), int(lengths.argmax())][:MAPS]
    panels = []
    for row in dict.fromkeys(rows):
        ids = batch.x[row, : int(lengths[row])]
        source = task.source.decode(ids.tolist())
        result = translate(model, ids)
        if result.attention is None:
            return []
        tokens = [task.target.tokens[i] for i in result.ids] + ([EOS] if result.finished else [])
        output = task.target.decode(result.ids)
        truth = task.target.decode(batch.y[row].tolist())
        fig = attention_figure(source, tokens, result.attention,
                               title=f"{label}: {model.config.attention} attention")
        panels.append(AttentionPanel(label, source, output, truth, to_svg(fig)))
    return panels


def add_seq2seq_probes(task: Task, specs: Sequence[ModelSpec], runs: dict[str, list[Run]],
                       data: ReportData, limit: int) -> None:
    """The length chart and the attention maps (see :func:`length_sentence` for the reading)."""
    curves: dict[str, Series] = {}
    for spec in specs:
        model = runs[spec.label][0].model
        assert isinstance(model, Seq2Seq)
        counts = {k: v for k, v in exact_match_by_length(model, task, limit).items()
                  if v[1] >= MIN_COUNT}
        if counts:
            curves[spec.label] = Series(list(counts), [h / n for h, n in counts.values()])
        if model.attention is not None:
            data.attention.extend(_attention_panels(task, spec.label, model))
    if curves:
        data.length = curves


def length_sentence(curves: dict[str, Series]) -> str:
    """E.g. "On the longest test sources (60-69 characters), exact match is 96% for the GRU
    (attention=luong) and 18% for the GRU."."""
    last = max(x for s in curves.values() for x in s.x)
    at = {label: s.y[s.x.index(last)] for label, s in curves.items() if last in s.x}
    parts = [f"{100 * v:.0f}% for the {label}"
             for label, v in sorted(at.items(), key=lambda kv: -kv[1])]
    joined = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return (f"On the longest test sources ({last}-{last + BIN - 1} characters), exact match "
            f"is {joined}.")


__all__ = ["add_seq2seq_probes", "exact_match_by_length", "length_sentence"]
