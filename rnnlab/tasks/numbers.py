"""Numbers written in words, in several languages -> digits ("quatre-vingt-dix-sept" -> "97").

Each example draws a number of digits uniformly from 1 .. the digits of ``max_value``, then a
number with that many digits (at most ``max_value``), so short and long inputs are equally
common; a language from ``languages``; the source is ``num2words(n, lang=...)`` (e.g. "nine
hundred and eighty-seven thousand, six hundred and fifty-four", "neunhundertsiebenundachtzig-
tausendsechshundertvierundfünfzig"), the target ``str(n)``.

Held out: every number belongs to one split by a hash of (n, ``split_seed``)
(:func:`~rnnlab.tasks.translation.held_out_split`); the test split's numbers are never trained
on, in any language. Needs num2words (``pip install 'rnnlab[translate]'``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from rnnlab.errors import UserError
from rnnlab.tasks.base import Split, TaskParams
from rnnlab.tasks.common import Example, GeneratedTask, check_range
from rnnlab.tasks.translation import CharVocab, Seq2SeqTask, held_out_split, need, seq2seq_spec

MAX_TRIES = 10_000


@dataclass
class NumbersParams(TaskParams):
    eval_size: int = 1000  # sequences in the valid and in the test split
    max_value: int = 999_999  # the largest number written
    languages: str = "en,fr,de,es"  # comma-separated num2words languages
    valid_fraction: float = 0.05  # share of the numbers held out for validation
    test_fraction: float = 0.1  # share of the numbers held out for the test split
    split_seed: int = 0  # which numbers are held out

    def check(self) -> None:
        check_range("numbers", "eval_size", self.eval_size, 1)
        check_range("numbers", "max_value", self.max_value, 9, 10**12)
        check_range("numbers", "valid_fraction", self.valid_fraction, 0.0, 0.5)
        check_range("numbers", "test_fraction", self.test_fraction, 0.0, 0.5)
        check_range("numbers", "split_seed", self.split_seed, 0)
        if not self.language_list():
            raise UserError("task 'numbers': languages is empty")

    def language_list(self) -> tuple[str, ...]:
        return tuple(lang.strip() for lang in self.languages.split(",") if lang.strip())


@functools.lru_cache(maxsize=1 << 18)
def _words(n: int, lang: str) -> str:
    from num2words import num2words

    return str(num2words(n, lang=lang))


class NumbersTask(Seq2SeqTask, GeneratedTask):
    """Integers written in words (several languages) -> digits."""

    name = "numbers"
    description = "Numbers written in words in several languages -> digits (seq2seq)"
    Params = NumbersParams
    params: NumbersParams

    def setup(self) -> None:
        p = self.params
        num2words = need("num2words", self.name)
        for lang in p.language_list():
            try:
                num2words.num2words(1, lang=lang)
            except NotImplementedError:
                raise UserError(f"task 'numbers': num2words has no language {lang!r}") from None
        self.digits = len(str(p.max_value))
        # Every character the words can hold: 0..1000, the powers of ten and their multiples.
        values = {*range(1001), *(k * 10**e for k in range(1, 10) for e in range(3, 13))}
        values = {v for v in values if v <= p.max_value} | {p.max_value}
        texts = [_words(v, lang) for v in sorted(values) for lang in p.language_list()]
        self.source = CharVocab.from_texts(texts)
        self.target = CharVocab.from_texts(["0123456789"])
        self.spec = seq2seq_spec(self.source, self.target, self.digits + 1)

    def split_of(self, n: int) -> str:
        p = self.params
        return held_out_split(n, p.split_seed, p.valid_fraction, p.test_fraction)

    def sample(self, rng: np.random.Generator, split: Split) -> Example:
        p = self.params
        for _ in range(MAX_TRIES):
            digits = int(rng.integers(1, self.digits + 1))
            lo = 0 if digits == 1 else 10 ** (digits - 1)
            n = int(rng.integers(lo, min(10**digits - 1, p.max_value) + 1))
            if self.split_of(n) == split:
                break
        else:
            raise UserError(f"task 'numbers': the {split} split holds (almost) no numbers; "
                            "raise its fraction")
        langs = p.language_list()
        lang = langs[int(rng.integers(len(langs)))]
        return self.pair_example(_words(n, lang), str(n))
