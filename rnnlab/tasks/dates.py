"""Human-readable dates -> ISO 8601: the classic attention exercise, generated offline.

Each example is one day between ``start_year``-01-01 and ``end_year``-12-31, drawn by faker
(``date_between_dates``, seeded per example from the task's generator), written by babel in
one of the formats below for one of the ``locales`` ("Wednesday, March 3, 2021", "3 Mar 2021",
"3/3/21", "mercredi 3 mars 2021", "3. März 2021", "3 de marzo de 2021", ...), and the target
is its ISO form "2021-03-03".

Formats: babel's full, long and medium forms of every locale, plus the numeric forms whose
field order is unambiguous across the locales used: en_US ``M/d/yy`` (month first, slashes),
de_DE ``dd.MM.y`` and ``dd.MM.yy`` (dots: day first), nl_NL ``dd-MM-y`` (dashes: day first).
The day-first slash forms (en_GB, fr, es, it, pt "03/04/2021") are left out: next to the US
form they would make "03/04/21" ambiguous. Two-digit years are unambiguous because the default
range spans one century (1950-2049: 50-99 are 19xx, 00-49 20xx).

Held out: every day belongs to one split by a hash of (day, ``split_seed``)
(:func:`~rnnlab.tasks.translation.held_out_split`); the test split's dates are never trained
on, in any format. Needs faker and babel (``pip install 'rnnlab[translate]'``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np

from rnnlab.errors import UserError
from rnnlab.tasks.base import Split, TaskParams
from rnnlab.tasks.common import Example, GeneratedTask, check_range
from rnnlab.tasks.translation import CharVocab, Seq2SeqTask, held_out_split, need, seq2seq_spec

NAMED = ("full", "long", "medium")
NUMERIC = {"en_US": ("M/d/yy",), "de_DE": ("dd.MM.y", "dd.MM.yy"), "nl_NL": ("dd-MM-y",)}
DEFAULT_LOCALES = "en_US,en_GB,fr_FR,de_DE,es_ES,it_IT,pt_PT,nl_NL"
MAX_TRIES = 10_000  # draws to find a day of a small split before giving up


@dataclass
class DatesParams(TaskParams):
    eval_size: int = 1000  # sequences in the valid and in the test split
    start_year: int = 1950  # first year of the dates
    end_year: int = 2049  # last year (a range of at most 100 years keeps "yy" unambiguous)
    locales: str = DEFAULT_LOCALES  # comma-separated babel locales the dates are written in
    valid_fraction: float = 0.05  # share of the days held out for validation
    test_fraction: float = 0.1  # share of the days held out for the test split
    split_seed: int = 0  # which days are held out

    def check(self) -> None:
        check_range("dates", "eval_size", self.eval_size, 1)
        check_range("dates", "start_year", self.start_year, 1, 9999)
        check_range("dates", "end_year", self.end_year, self.start_year, 9999)
        if self.end_year - self.start_year >= 100:
            raise UserError("task 'dates': start_year..end_year must span at most 100 years "
                            "(two-digit years would be ambiguous)")
        check_range("dates", "valid_fraction", self.valid_fraction, 0.0, 0.5)
        check_range("dates", "test_fraction", self.test_fraction, 0.0, 0.5)
        check_range("dates", "split_seed", self.split_seed, 0)
        if not self.locale_list():
            raise UserError("task 'dates': locales is empty")

    def locale_list(self) -> tuple[str, ...]:
        return tuple(loc.strip() for loc in self.locales.split(",") if loc.strip())


class DatesTask(Seq2SeqTask, GeneratedTask):
    """Dates in many human formats and locales -> ISO 8601."""

    name = "dates"
    description = "Dates written in many formats and locales -> ISO 8601 (seq2seq, needs faker)"
    Params = DatesParams
    params: DatesParams

    def setup(self) -> None:
        p = self.params
        self._babel = need("babel.dates", self.name)
        self._faker = need("faker", self.name).Faker()
        babel_core = need("babel", self.name)
        for loc in p.locale_list():
            try:
                babel_core.Locale.parse(loc)
            except (ValueError, babel_core.UnknownLocaleError):
                raise UserError(f"task 'dates': unknown locale {loc!r}") from None
        self.formats = [(loc, fmt) for loc in p.locale_list()
                        for fmt in (*NAMED, *NUMERIC.get(loc, ()))]
        self.first = datetime.date(p.start_year, 1, 1)
        self.last = datetime.date(p.end_year, 12, 31)
        # Every character a date can be written with: each month and weekday in each format.
        samples = [datetime.date(2021, m, d) for m in range(1, 13) for d in (1, 8, 15, 22, 28)]
        texts = [self.write(d, loc, fmt) for d in samples for loc, fmt in self.formats]
        self.source = CharVocab.from_texts([*texts, "0123456789"])
        self.target = CharVocab.from_texts(["0123456789-"])
        longest = max(len(str(p.end_year)), 4) + 6
        self.spec = seq2seq_spec(self.source, self.target, longest + 1)

    def write(self, day: datetime.date, locale: str, fmt: str) -> str:
        text = self._babel.format_date(day, format=fmt, locale=locale)
        return " ".join(text.split())  # babel's narrow no-break spaces become plain ones

    def split_of(self, day: datetime.date) -> str:
        p = self.params
        return held_out_split(day.toordinal(), p.split_seed, p.valid_fraction, p.test_fraction)

    def sample(self, rng: np.random.Generator, split: Split) -> Example:
        for _ in range(MAX_TRIES):
            self._faker.seed_instance(int(rng.integers(2**62)))
            day = self._faker.date_between_dates(self.first, self.last)
            if self.split_of(day) == split:
                break
        else:
            raise UserError(f"task 'dates': the {split} split holds (almost) no days; "
                            "raise its fraction")
        locale, fmt = self.formats[int(rng.integers(len(self.formats)))]
        return self.pair_example(self.write(day, locale, fmt), day.isoformat())
