"""Cue-word next-word prediction: an early word decides the last one.

    starving Alice drives to the nearest market and then quietly buys  food
    ^cue     '---------------- gap = 11 words -------------------'     ^answer

Each sentence is ``CUE NAME <filler> VERB ANSWER``. The cue (starving, thirsty, sleepy, cold,
...) decides the answer (food, water, coffee, blankets, ...); everything between them — a
name, filler phrases from a small generated vocabulary, a final verb (buys, gets, ... or
"to buy", "to get", ...) — is drawn independently of the cue, so it carries no information
about the answer. ``gap`` is the number of words strictly between the cue and the answer (an
int, or a (lo, hi) range drawn uniformly per sentence; at least 2: the name and the verb).

Token inputs, next-word prediction at every step (many-to-many over the generator's fixed
vocabulary); the loss averages every step, the score looks at the last word: ``accuracy`` is
the fraction of sentences whose last word (the answer) is the arg-max prediction, ``chance``
is 1 / n_answers.

Memory horizon: the cue is gap + 1 words before the answer, so a model that sees only the last
k input words cannot beat chance once gap + 1 > k, while a model that remembers the cue can
answer at any gap. ``task.at_gap(g)`` gives the same task (same vocabulary) with the gap fixed,
for accuracy-vs-gap charts; ``batch.extra["gap"]`` holds each sentence's gap. The gap is the
task's adjustable lag (:class:`~rnnlab.tasks.lagged.AdjustableLag`), counted in words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from rnnlab.errors import UserError
from rnnlab.tasks.base import Batch, Split, TaskParams, TaskSpec
from rnnlab.tasks.common import (
    MAX_EVAL,
    MAX_LENGTH,
    Example,
    GeneratedTask,
    check_range,
    collate,
    last_step,
    ratio,
    token_ce,
)
from rnnlab.tasks.lagged import AdjustableLag

CUES = ("starving", "thirsty", "sleepy", "cold", "sick", "dirty", "bored", "injured")
ANSWERS = ("food", "water", "coffee", "blankets", "medicine", "soap", "games", "bandages")
NAMES = ("Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Henry")
VERBS = ("buys", "gets", "wants", "needs", "orders", "finds")  # right before the answer
INFINITIVES = ("buy", "get", "find", "order")  # "... to buy ANSWER", a two-word verb phrase
ADVERBS = ("quickly", "slowly", "quietly", "finally", "soon", "then", "happily", "calmly")
DAYS = ("Monday", "Tuesday", "Friday", "Sunday")
EVENTS = ("work", "school", "lunch", "dinner")
VEHICLES = ("bus", "car", "bike", "train")
PREPOSITIONS = ("near", "past", "along", "behind", "beside", "across")
NOUNS = ("river", "park", "bridge", "road", "church", "square", "harbour", "hill")
ADJECTIVES = ("old", "big", "small", "new", "busy", "quiet", "nearest", "green")
MOTIONS = ("drives", "walks", "runs", "cycles", "hurries", "rushes")
PLACES = ("store", "market", "shop", "mall", "kiosk", "station")
PAD = "<pad>"
MIN_GAP = 2  # the name and the verb
MAX_CHUNK = 6
PASSAGE_GAP = 12  # the gap of the sentences a gate trace shows (if trained on it)


def _pick(rng: np.random.Generator, words: tuple[str, ...]) -> str:
    return words[int(rng.integers(len(words)))]


def filler_chunk(rng: np.random.Generator, n: int) -> list[str]:
    """A phrase of exactly n words (1 <= n <= 6) that may stand between subject and verb."""
    if n == 1:
        return [_pick(rng, ADVERBS)]
    if n == 2:
        head, words = [("with", NAMES), ("on", DAYS), ("after", EVENTS), ("by", VEHICLES)][
            int(rng.integers(4))
        ]
        return [head, _pick(rng, words)]
    if n == 3:
        return [_pick(rng, PREPOSITIONS), "the", _pick(rng, NOUNS)]
    if n == 4:
        return [_pick(rng, PREPOSITIONS), "the", _pick(rng, ADJECTIVES), _pick(rng, NOUNS)]
    if n == 5:
        return [_pick(rng, MOTIONS), "to", "the", _pick(rng, PLACES), "and"]
    return [_pick(rng, MOTIONS), "to", "the", _pick(rng, ADJECTIVES), _pick(rng, PLACES), "and"]


def filler(rng: np.random.Generator, n: int) -> list[str]:
    """n words of filler: random phrases whose lengths add up to n."""
    words: list[str] = []
    previous: list[str] = []
    while len(words) < n:
        chunk = filler_chunk(rng, int(rng.integers(1, min(MAX_CHUNK, n - len(words)) + 1)))
        if chunk == previous:  # "finally finally": draw once more
            chunk = filler_chunk(rng, len(chunk))
        words += chunk
        previous = chunk
    return words


def _vocabulary() -> tuple[str, ...]:
    rest = {"with", "on", "after", "by", "to", "the", "and"}
    for group in (NAMES, VERBS, INFINITIVES, ADVERBS, DAYS, EVENTS, VEHICLES, PREPOSITIONS, NOUNS,
                  ADJECTIVES, MOTIONS, PLACES):
        rest.update(group)
    return (PAD, *CUES, *ANSWERS, *sorted(rest - set(CUES) - set(ANSWERS)))


VOCAB = _vocabulary()


@dataclass
class CueWordParams(TaskParams):
    gap: tuple[int, ...] | int = (2, 20)  # words between cue and answer: an int or a (lo, hi) range
    n_answers: int = 4  # cue/answer pairs in use (2-8); chance accuracy is 1 / n_answers
    eval_size: int = 1000  # sentences in each fixed valid/test set

    def check(self) -> None:
        gap = self.gap
        if isinstance(gap, tuple):
            if len(gap) != 2 or gap[0] > gap[1]:
                raise UserError(f"task 'cue-word': gap = {gap!r} must be an int or (lo, hi)")
            lo, hi = gap
        else:
            lo = hi = gap
        check_range("cue-word", "gap", lo, MIN_GAP, MAX_LENGTH)
        check_range("cue-word", "gap", hi, MIN_GAP, MAX_LENGTH)
        check_range("cue-word", "n_answers", self.n_answers, 2, len(CUES))
        check_range("cue-word", "eval_size", self.eval_size, 1, MAX_EVAL)


class CueWordTask(GeneratedTask, AdjustableLag):
    """Predict the next word; the last word is set by a cue gap + 1 words earlier."""

    name = "cue-word"
    description = "Cue-word prediction: an early cue word decides the last word, after a filler gap"
    Params = CueWordParams
    params: CueWordParams
    lag_name = "gap"
    lag_unit = "words"
    lag_axis = "gap: words between the cue and the answer"

    def setup(self) -> None:
        self.spec = TaskSpec("tokens", len(VOCAB), "classes", len(VOCAB), True, vocab=VOCAB)
        self.labels = VOCAB
        self._ids = {word: i for i, word in enumerate(VOCAB)}

    @property
    def chance(self) -> float:
        """Accuracy of a model that knows the possible answers but not the cue."""
        return 1.0 / self.params.n_answers

    @property
    def gap_range(self) -> tuple[int, int]:
        gap = self.params.gap
        return (gap, gap) if isinstance(gap, int) else (gap[0], gap[1])

    def at_gap(self, gap: int | tuple[int, int]) -> CueWordTask:
        """The same task (same vocabulary and answers) with another gap, e.g. for test sets."""
        return CueWordTask(**{**self.params.to_dict(), "gap": gap})

    # -- the adjustable lag: the gap -------------------------------------------------------------

    @property
    def lag_range(self) -> tuple[int, int]:
        return self.gap_range

    def lags_to_probe(self, windows: Sequence[int] = ()) -> list[int]:
        """Every gap up to 6, the gaps around each window MLP's window edge, and six more
        spread evenly up to the longest trained gap."""
        lo, hi = self.gap_range
        gaps = set(range(lo, min(hi, 6) + 1))
        gaps |= {g for w in windows for g in (w - 1, w, w + 1) if lo <= g <= hi}
        gaps |= {round(g) for g in np.linspace(min(hi, 8), hi, 6)}
        return sorted(gaps)

    def probe_passage(self, size: int) -> Batch:
        """``size`` test sentences at gap 12 (or the trained gap nearest to it); the cue is
        each sentence's first word."""
        lo, hi = self.gap_range
        batch = next(iter(self.at_gap(min(hi, max(lo, PASSAGE_GAP))).batches("test", size)))
        batch.extra["cue"] = batch.x[:, 0]
        return batch

    def sentence(self, rng: np.random.Generator) -> list[str]:
        lo, hi = self.gap_range
        gap = int(rng.integers(lo, hi + 1))
        cue = int(rng.integers(self.params.n_answers))
        # The verb phrase is "buys" or "to buy"; the latter needs a gap of at least 3.
        if gap >= 3 and rng.random() < 0.5:
            verb = ["to", _pick(rng, INFINITIVES)]
        else:
            verb = [_pick(rng, VERBS)]
        middle = [_pick(rng, NAMES), *filler(rng, gap - 1 - len(verb)), *verb]
        return [CUES[cue], *middle, ANSWERS[cue]]

    def sample(self, rng: np.random.Generator, split: Split) -> Example:
        ids = np.array([self._ids[w] for w in self.sentence(rng)], dtype=np.int64)
        return Example(ids[:-1], ids[1:])

    def collate(self, examples: list[Example]) -> Batch:
        batch = collate(examples, tokens=True, per_step=True)
        batch.extra["gap"] = torch.tensor([len(e.x) - 1 for e in examples], dtype=torch.int64)
        return batch

    def encode(self, text: str) -> Tensor:
        """(n,) word ids of a prompt such as "Starving, Alice drives to the store to buy".

        Punctuation is dropped and case is forgiven (cues are lower case, names capitalised);
        a word outside the vocabulary is a UserError naming it.
        """
        ids, unknown = [], []
        for word in re.findall(r"[A-Za-z]+", text):
            forms = (word, word.lower(), word.capitalize())
            match = next((w for w in forms if w in self._ids), None)
            if match is None:
                unknown.append(word)
            else:
                ids.append(self._ids[match])
        if unknown:
            raise UserError(
                f"prompt has word(s) not in the cue-word vocabulary: {', '.join(unknown[:10])}"
            )
        return torch.tensor(ids, dtype=torch.int64)

    def decode(self, ids: Tensor | np.ndarray | list[int]) -> str:
        return " ".join(VOCAB[int(i)] for i in ids if int(i) != 0)

    # -- loss and scores: output (B, T, V) logits ---------------------------------------------

    def loss(self, output: Tensor, batch: Batch) -> Tensor:
        ce, mask = token_ce(output, batch)
        return (ce * mask).sum() / mask.sum()

    def score(self, output: Tensor, batch: Batch) -> dict[str, float]:
        with torch.no_grad():
            ce, mask = token_ce(output, batch)
            rows, end = torch.arange(batch.size), last_step(batch)
            logits, answer = output[rows, end].float(), batch.y[rows, end]
            return {
                "loss_sum": float((ce * mask).sum()),
                "steps": float(mask.sum()),
                "answer_loss_sum": float(F.cross_entropy(logits, answer, reduction="sum")),
                "correct": float((logits.argmax(-1) == answer).sum()),
                "count": float(batch.size),
            }

    def summarize(self, sums: dict[str, float]) -> dict[str, float]:
        return {
            "loss": ratio(sums["loss_sum"], sums["steps"]),  # nats per word, every step
            "accuracy": ratio(sums["correct"], sums["count"]),  # on the last word
            "answer_loss": ratio(sums["answer_loss_sum"], sums["count"]),
            "chance": self.chance,
        }
