"""What the sequence-to-sequence tasks share: character vocabularies, batches, loss and scores.

A translation task maps a source string to a target string, one character per token:

    x (B, S) source ids, padded with <pad> (id 0), ``lengths`` (B,) when they differ
    y (B, T) target ids, the target's characters then <eos>, padded with <pad>; ``mask`` marks
      the real steps (the characters and the <eos>)
    model_inputs["target"] = y: what the decoder reads (shifted right behind <bos>) when it is
      trained by teacher forcing

Both vocabularies start with the four markers ``<pad> <bos> <eos> <unk>`` (ids 0-3), then the
characters, sorted; they are stored in the task spec (``spec.vocab`` the source's,
``spec.target_vocab`` the target's), so a checkpoint can translate without the data
(:class:`CharVocab`). A character outside the vocabulary becomes <unk>.

The model's output is (B, T, V) logits, one row per target step: under teacher forcing in
training, and in evaluation the logits of its own greedy decoding for T steps (each step fed
the model's previous choice), so the scores are those of free-running translation. Metrics:
``loss`` (nats per target token), ``exact_match`` (the whole output equals the target; also
``accuracy``, for ``--stop-when``), ``token_accuracy``, ``cer`` (character error rate: edit
distance over target characters) and, when sacrebleu is installed, corpus ``bleu`` and
``chrf`` (BLEU over characters for the char-level generated tasks, over 13a words for
parallel files). Outputs longer than T are cut at T steps (so CER is then a lower bound); an
output that is not finished by then never matches exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnlab.errors import UserError
from rnnlab.tasks.base import Batch, Task, TaskSpec
from rnnlab.tasks.common import Example, ratio, step_mask

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
MARKERS = (PAD, BOS, EOS, UNK)
PAD_ID, BOS_ID, EOS_ID, UNK_ID = range(4)


class CharVocab:
    """Characters to ids and back; ids 0-3 are ``<pad> <bos> <eos> <unk>``."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = tuple(tokens)
        if self.tokens[:4] != MARKERS:
            raise ValueError(f"a CharVocab starts with {MARKERS}, got {self.tokens[:4]}")
        self.ids = {t: i for i, t in enumerate(self.tokens)}

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> CharVocab:
        chars: set[str] = set()
        for text in texts:
            chars.update(text)
        return cls((*MARKERS, *sorted(chars)))

    def __len__(self) -> int:
        return len(self.tokens)

    def unknown(self, text: str) -> list[str]:
        """The characters of ``text`` outside the vocabulary, in order of first appearance."""
        return list(dict.fromkeys(ch for ch in text if ch not in self.ids))

    def encode(self, text: str, eos: bool = False) -> list[int]:
        ids = [self.ids.get(ch, UNK_ID) for ch in text]
        return [*ids, EOS_ID] if eos else ids

    def decode(self, ids: Iterable[int]) -> str:
        """The characters up to the first <eos>; <pad> and <bos> dropped, <unk> shown as ``?``."""
        out = []
        for i in ids:
            i = int(i)
            if i == EOS_ID:
                break
            if i in (PAD_ID, BOS_ID):
                continue
            out.append("?" if i == UNK_ID else self.tokens[i])
        return "".join(out)


def seq2seq_spec(source: CharVocab, target: CharVocab, max_target_len: int) -> TaskSpec:
    """The spec of a character-level translation task (the encoder may read both ways)."""
    return TaskSpec("tokens", len(source), "classes", len(target), True, vocab=source.tokens,
                    bidirectional_ok=True, seq2seq=True, target_vocab=target.tokens,
                    max_target_len=max_target_len)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions each cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _sacrebleu_metrics(tokenize: str) -> tuple[Any, Any] | None:
    try:
        from sacrebleu.metrics import BLEU, CHRF
    except ImportError:  # an optional extra: rnnlab[translate]
        return None
    return BLEU(tokenize=tokenize), CHRF()


class Seq2SeqTask(Task):
    """The loss, scores and batches of a character-level translation task.

    A subclass sets ``self.source``, ``self.target`` (CharVocab) and ``self.spec``
    (:func:`seq2seq_spec`), and yields ``Example(x=source ids, y=target ids + <eos>)``;
    ``pair_example`` makes one from two strings.
    """

    bleu_tokenize = "char"  # sacrebleu's tokenizer for BLEU: "char" or "13a" (words)
    source: CharVocab
    target: CharVocab

    def pair_example(self, source: str, target: str) -> Example:
        return Example(np.array(self.source.encode(source), dtype=np.int64),
                       np.array(self.target.encode(target, eos=True), dtype=np.int64))

    def collate(self, examples: list[Example]) -> Batch:
        S = max(len(e.x) for e in examples)
        T = max(len(e.y) for e in examples)
        x = torch.full((len(examples), S), PAD_ID, dtype=torch.int64)
        y = torch.full((len(examples), T), PAD_ID, dtype=torch.int64)
        for b, e in enumerate(examples):
            x[b, : len(e.x)] = torch.from_numpy(e.x)
            y[b, : len(e.y)] = torch.from_numpy(e.y)
        lengths = torch.tensor([len(e.x) for e in examples], dtype=torch.int64)
        same = bool((lengths == S).all())
        return Batch(x, y, lengths=None if same else lengths, mask=y != PAD_ID,
                     model_inputs={"target": y})

    # -- prompts (rnnlab translate) --------------------------------------------------------------

    def encode(self, text: str) -> Tensor:
        return torch.tensor(self.source.encode(text), dtype=torch.int64)

    def decode(self, ids: Iterable[int]) -> str:
        return self.target.decode(ids)

    # -- loss and scores -----------------------------------------------------------------------

    def _ce(self, output: Tensor, batch: Batch) -> tuple[Tensor, Tensor]:
        B, T = batch.y.shape
        if output.dim() != 3 or output.shape[:2] != (B, T):
            raise ValueError(f"a seq2seq task expects logits of shape ({B}, {T}, V), "
                             f"got {tuple(output.shape)}")
        ce = F.cross_entropy(output.reshape(B * T, -1).float(), batch.y.reshape(-1),
                             reduction="none")
        return ce.view(B, T), step_mask(batch, T)

    def loss(self, output: Tensor, batch: Batch) -> Tensor:
        ce, mask = self._ce(output, batch)
        return ce[mask].mean()

    def score(self, output: Tensor, batch: Batch) -> dict[str, float]:
        with torch.no_grad():
            ce, mask = self._ce(output, batch)
            predicted = output.argmax(-1)
            hyps = [self.target.decode(row) for row in predicted.tolist()]
            refs = [self.target.decode(row) for row in batch.y.tolist()]
            sums = {
                "loss_sum": float(ce[mask].sum()),
                "tokens": float(mask.sum()),
                "correct_tokens": float(((predicted == batch.y) & mask).sum()),
                "exact": float(sum(h == r for h, r in zip(hyps, refs, strict=True))),
                "count": float(len(refs)),
                "edits": float(sum(edit_distance(h, r) for h, r in zip(hyps, refs, strict=True))),
                "chars": float(sum(len(r) for r in refs)),
            }
            sums.update(self._sacrebleu_sums(hyps, refs))
        return sums

    def _sacrebleu_sums(self, hyps: list[str], refs: list[str]) -> dict[str, float]:
        """Summed sufficient statistics of corpus BLEU and chrF (they add over sentences)."""
        metrics = _sacrebleu_metrics(self.bleu_tokenize)
        if metrics is None:
            return {}
        out: dict[str, float] = {}
        for name, metric in zip(("bleu", "chrf"), metrics, strict=True):
            stats = np.array(metric._extract_corpus_statistics(hyps, [refs]), dtype=float)
            out.update({f"{name}_stat{i}": float(v) for i, v in enumerate(stats.sum(0))})
        return out

    def summarize(self, sums: dict[str, float]) -> dict[str, float]:
        exact = ratio(sums["exact"], sums["count"])
        out = {
            "loss": ratio(sums["loss_sum"], sums["tokens"]),
            "exact_match": exact,
            "accuracy": exact,
            "token_accuracy": ratio(sums["correct_tokens"], sums["tokens"]),
            "cer": ratio(sums["edits"], sums["chars"]),
        }
        metrics = _sacrebleu_metrics(self.bleu_tokenize)
        if metrics is not None and "bleu_stat0" in sums:
            for name, metric in zip(("bleu", "chrf"), metrics, strict=True):
                keys = sorted((k for k in sums if k.startswith(f"{name}_stat")),
                              key=lambda k: int(k.removeprefix(f"{name}_stat")))
                stats = [round(sums[k]) for k in keys]
                out[name] = float(metric._compute_score_from_stats(stats).score)
        return out


def check_prompt(vocab: CharVocab, text: str, where: str = "input") -> list[str]:
    """The characters of ``text`` outside ``vocab`` (each becomes <unk>); UserError if empty."""
    if not text:
        raise UserError(f"the {where} is empty: nothing to translate")
    return vocab.unknown(text)


def held_out_split(key: int, seed: int, valid_fraction: float, test_fraction: float) -> str:
    """The split a value (a day number, an integer) belongs to, fixed by ``seed``: a hash of
    (key, seed) in [0, 1) below ``test_fraction`` is test, below test + valid valid, else train.
    So test values are never trained on, whatever the training seed draws."""
    mask = (1 << 64) - 1
    z = (int(key) * 0x9E3779B97F4A7C15 + int(seed) * 0xD1B54A32D192ED03 + 1) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask  # splitmix64's finaliser
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    u = (z ^ (z >> 31)) / 2.0**64
    if u < test_fraction:
        return "test"
    return "valid" if u < test_fraction + valid_fraction else "train"


def need(module: str, task: str) -> Any:
    """Import an optional package of the ``translate`` extra, or say how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise UserError(f"task {task!r} needs the package {module.split('.')[0]!r}: "
                        "pip install 'rnnlab[translate]'") from None
