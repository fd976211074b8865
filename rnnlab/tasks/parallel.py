"""Any tab-separated parallel file: one ``source<TAB>target`` pair per line, character level.

Blank lines are skipped; a line without exactly one tab, with an empty side, or with a side
longer than ``max_len`` characters is refused with its file and line number. The pairs are
shuffled once by ``split_seed`` and cut into test (``test_fraction``), valid
(``valid_fraction``) and train (the rest); the vocabularies come from the training pairs (a
character seen only in valid/test becomes <unk>). "train" yields one shuffled epoch per pass.
BLEU is over words (sacrebleu's 13a tokenizer).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rnnlab.errors import UserError
from rnnlab.tasks.base import Batch, Split, TaskParams
from rnnlab.tasks.common import ParamTask, check_batch_args, check_range, make_rng
from rnnlab.tasks.text import read_text
from rnnlab.tasks.translation import CharVocab, Seq2SeqTask, seq2seq_spec


@dataclass
class ParallelParams(TaskParams):
    path: str = ""  # the UTF-8 file: source<TAB>target per line
    max_len: int = 200  # the longest side allowed, in characters
    valid_fraction: float = 0.1  # share of the pairs for validation
    test_fraction: float = 0.1  # share of the pairs for the test split
    split_seed: int = 0  # which pairs go to which split

    def check(self) -> None:
        if not self.path:
            raise UserError("task 'parallel' needs a file: -p path=FILE (source<TAB>target)")
        check_range("parallel", "max_len", self.max_len, 1)
        check_range("parallel", "valid_fraction", self.valid_fraction, 0.0, 0.5)
        check_range("parallel", "test_fraction", self.test_fraction, 0.0, 0.5)
        check_range("parallel", "split_seed", self.split_seed, 0)


def read_pairs(path: str, max_len: int) -> list[tuple[str, str]]:
    """The file's pairs; UserError naming the file and line of the first bad one."""
    pairs = []
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        tabs = line.count("\t")
        if tabs != 1:
            raise UserError(f"{where}: expected source<TAB>target, found "
                            f"{'no tab' if tabs == 0 else f'{tabs} tabs'}")
        source, target = line.split("\t")
        for side, text in (("source", source), ("target", target)):
            if not text.strip():
                raise UserError(f"{where}: the {side} side is empty")
            if len(text) > max_len:
                raise UserError(f"{where}: the {side} side has {len(text)} characters, more "
                                f"than max_len = {max_len} (raise it with -p max_len=N)")
        pairs.append((source, target))
    return pairs


class ParallelTask(Seq2SeqTask, ParamTask):
    """Translation between the two columns of a tab-separated file."""

    name = "parallel"
    description = "Character-level translation of a tab-separated parallel file (seq2seq)"
    Params = ParallelParams
    params: ParallelParams
    bleu_tokenize = "13a"

    def setup(self) -> None:
        p = self.params
        pairs = read_pairs(p.path, p.max_len)
        n_test = round(len(pairs) * p.test_fraction)
        n_valid = round(len(pairs) * p.valid_fraction)
        if len(pairs) - n_test - n_valid < 1 or (p.test_fraction and not n_test) or (
                p.valid_fraction and not n_valid):
            raise UserError(f"{p.path} has {len(pairs)} pair(s): too few for a train, valid "
                            "and test split")
        order = np.random.default_rng(p.split_seed).permutation(len(pairs))
        shuffled = [pairs[i] for i in order]
        self.pairs: dict[str, list[tuple[str, str]]] = {
            "test": shuffled[:n_test],
            "valid": shuffled[n_test : n_test + n_valid],
            "train": shuffled[n_test + n_valid :],
        }
        train = self.pairs["train"]
        self.source = CharVocab.from_texts(s for s, _ in train)
        self.target = CharVocab.from_texts(t for _, t in train)
        longest = max(len(t) for _, t in pairs) + 1
        self.spec = seq2seq_spec(self.source, self.target, longest)

    def batches(self, split: Split, batch_size: int, seed: int = 0) -> Iterator[Batch]:
        check_batch_args(split, batch_size)
        pairs = self.pairs[split]
        order = make_rng(seed, split).permutation(len(pairs)) if split == "train" else range(
            len(pairs))
        return self._batches(pairs, list(order), batch_size)

    def _batches(self, pairs: list[tuple[str, str]], order: list[int],
                 batch_size: int) -> Iterator[Batch]:
        for start in range(0, len(order), batch_size):
            chunk = [pairs[i] for i in order[start : start + batch_size]]
            yield self.collate([self.pair_example(s, t) for s, t in chunk])
