"""Character- and word-level language modelling on any UTF-8 text file.

The file is split into tokens (characters, or words: runs of letters/digits with inner
apostrophes, single punctuation marks and newlines), then the first ``split`` (0.9) of the
tokens are the training split and the rest — the end of the file — the validation split.
The vocabulary is ``<unk>`` (id 0) plus the training split's tokens seen at least ``min_count``
times; anything else becomes ``<unk>``.

Training batches are contiguous streams for truncated BPTT: the training split (from a small
seeded offset) is cut into B equal contiguous slices, stream b is row b of every batch, and
batch i holds steps i*seq_len .. (i+1)*seq_len - 1 of every stream; ``carry_state`` is True
after the first batch of a pass, so a model keeps its state across batches. "valid" (and
"test", the same held-out text) is ONE stream (batch size 1, whatever ``batch_size`` says)
that covers every validation token exactly once, in order, so state carries across all of it.

Memory: the file (or folder of ``.txt`` files) is tokenised once into a cached token file
(:mod:`rnnlab.tasks.token_file`) and each batch reads only its own window of it, so memory
does not grow with the corpus.

Metrics: ``loss`` (nats per token), ``bpc`` (bits per character, char level) or
``bits_per_word`` (word level), ``perplexity``, ``accuracy`` (next-token arg-max).

**Recorded, then checked.** The text is recorded by absolute path (``path``) and content hash
(``sha256``: a file's, or for a folder one hash of its files' names and hashes), which every
checkpoint stores; a task rebuilt from them (evaluate, resume) refuses a text that changed
unless ``allow_changed=true`` (then it is read in the training vocabulary, new tokens as
``<unk>``), and names a text that is not at its path any more (``-p path=`` where it is now).
A checkpoint without a hash (an older rnnlab) is not checked.

A checkpoint stores the vocabulary (in its task spec), so prompting, generating and scoring
other text need no training file; with ``keep_text`` (what ``LanguageModel.fit`` sets for a
text given as a string, which has no file) every checkpoint also holds the text itself,
:data:`TEXT_FILE`, so evaluating its splits needs nothing but the checkpoint either.
:class:`TextScoring` scores a trained model on another file (or text) with that vocabulary.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from rnnlab.errors import UserError
from rnnlab.tasks.base import Batch, Split, TaskParams, TaskSpec
from rnnlab.tasks.common import (
    MAX_LENGTH,
    ParamTask,
    check_batch_args,
    check_choice,
    check_range,
    make_rng,
    parse_params,
    ratio,
    token_ce,
)
from rnnlab.tasks.token_file import (
    UNK,
    WORD,
    TokenArray,
    check_text_file,
    encode_tokens,
    load_tokens,
    read_corpus,
    text_chunks,
    tokenize,
    unknown_count,
)

__all__ = ["TEXT_FILE", "UNK", "WORD", "TextCodec", "TextParams", "TextScoring", "TextTask",
           "read_text", "tokenize"]

TEXT_FILE = "text.txt"  # the text, in each checkpoint of a task with keep_text
log = logging.getLogger(__name__)


class TextCodec:
    """Prompts to token ids and back, from the vocabulary alone (no need for the text file).

    A checkpoint stores the vocabulary in its task spec, so a trained model can be prompted
    after its training file is gone: ``TextCodec(level, spec.vocab)``.
    """

    def __init__(self, level: str, vocab: tuple[str, ...]) -> None:
        self.level = level
        self.vocab = vocab
        self.ids = {t: i for i, t in enumerate(vocab)}

    def encode(self, text: str) -> Tensor:
        tokens = tokenize(text, self.level)
        unknown = sorted({t for t in tokens if t not in self.ids or t == UNK})
        if unknown:
            shown = ", ".join(repr(t) for t in unknown[:10]) + (" ..." if len(unknown) > 10 else "")
            kind = "character(s)" if self.level == "char" else "word(s)"
            raise UserError(f"prompt has {kind} not in the training vocabulary: {shown}")
        return torch.tensor([self.ids[t] for t in tokens], dtype=torch.int64)

    def decode(self, ids: Tensor | np.ndarray | list[int]) -> str:
        tokens = [self.vocab[int(i)] for i in ids]
        if self.level == "char":
            return "".join(tokens)
        return " ".join(tokens).replace(" \n ", "\n").replace(" \n", "\n").replace("\n ", "\n")


@dataclass
class TextParams(TaskParams):
    path: str = ""  # the UTF-8 text file, or a folder of .txt files (one text, sorted order)
    level: str = "char"  # char | word
    seq_len: int = 100  # steps per batch (the truncated-BPTT length)
    split: float = 0.9  # fraction of the tokens used for training; the rest is validation
    min_count: int = 1  # tokens seen fewer times in the training split become <unk>
    keep_text: bool = False  # copy the text (one file) into every checkpoint, as text.txt
    sha256: str = ""  # fitted: the text's content hash (a folder: of its files'); "" = unchecked
    allow_changed: bool = False  # use a text that changed since training (training vocabulary)

    def check(self) -> None:
        if not self.path:
            raise UserError("task 'text' needs a file: path=FILE")
        check_choice("text", "level", self.level, ("char", "word"))
        check_range("text", "seq_len", self.seq_len, 1, MAX_LENGTH)
        if not 0.0 < self.split < 1.0:
            raise UserError(f"task 'text': split = {self.split!r} must be between 0 and 1")
        check_range("text", "min_count", self.min_count, 1)


def read_text(path: str) -> str:
    """The whole file's text (for small files: parallel pairs, prompts); UserError for a
    missing, empty, binary or non-UTF-8 file. Language modelling never calls this: it reads
    windows of a token file (:mod:`rnnlab.tasks.token_file`)."""
    check_text_file(path, folder_ok=False)
    return "".join(text_chunks(path))


class TextTask(ParamTask):
    """Next-token prediction on a text file, in contiguous streams."""

    name = "text"
    description = "Character- or word-level language modelling on a UTF-8 text file"
    Params = TextParams
    params: TextParams

    def __init__(self, vocab: tuple[str, ...] | None = None, **params: Any) -> None:
        """``vocab``: the training vocabulary (a checkpoint's ``spec.vocab``), with which a text
        that changed since training is read when ``allow_changed`` is set."""
        self._vocab = tuple(vocab) if vocab is not None else None
        super().__init__(**params)

    def setup(self) -> None:
        p = self.params
        if p.keep_text and os.path.isdir(p.path):
            raise UserError(f"task 'text': keep_text keeps one file in each checkpoint; "
                            f"{p.path} is a folder")
        tokens = self._tokens()
        p = self.params  # with the absolute path and the hash
        # Held for the checkpoints: the file may be gone by the time they are saved (a
        # temporary file, or the last/ checkpoint that a rerun replaces).
        self.kept = Path(p.path).read_bytes() if p.keep_text else None
        n, n_train = len(tokens.ids), tokens.n_train
        if n_train < p.seq_len + 1 or n_train >= n:
            raise UserError(
                f"{p.path} is too short: {n} {p.level} tokens give {n_train} for "
                f"training, less than one training sequence of seq_len + 1 = {p.seq_len + 1} "
                "plus a validation part"
            )
        self.vocab: tuple[str, ...] = tokens.vocab
        self.codec = TextCodec(p.level, self.vocab)
        self.ids = self.codec.ids
        self.tokens = tokens  # the corpus stays on disk; batches read their windows
        ids = tokens.ids  # a memory map, for inspection only (reading it maps pages in)
        self.train_ids, self.valid_ids = ids[:n_train], ids[n_train:]
        self.spec = TaskSpec("tokens", len(self.vocab), "classes", len(self.vocab), True,
                             vocab=self.vocab)

    def _tokens(self) -> Any:
        """The token file of the text, checked against the recorded hash (module docstring);
        records the absolute path and, when the vocabulary is fitted here, the hash."""
        p = self.params
        if p.sha256 and not os.path.exists(p.path):
            raise UserError(f"the training text {p.path} is not there any more (moved or "
                            "deleted?): -p path=FILE uses it where it is now (its sha256 is "
                            "checked)")
        corpus = read_corpus(p.path)  # checks the text too; hashes its files once
        path, digest = os.path.abspath(p.path), corpus.sha256
        changed = bool(p.sha256) and digest != p.sha256
        if changed and not p.allow_changed:
            kind = "folder" if os.path.isdir(path) else "file"
            raise UserError(f"text {kind} {path} has changed since the model was trained "
                            f"(sha256 {digest[:12]}..., trained on {p.sha256[:12]}...); -p "
                            "allow_changed=true uses it anyway, in the training vocabulary")
        if changed and self._vocab is not None:  # a trained model's: keep its vocabulary
            log.warning("%s has changed since training; reading it in the training "
                        "vocabulary", path)
            tokens = encode_tokens(corpus, p.level, self._vocab)
            tokens = dataclasses.replace(tokens, n_train=int(tokens.n_tokens * p.split))
            self.params = dataclasses.replace(p, path=path)
            return tokens
        self.params = dataclasses.replace(p, path=path, sha256=digest)
        return load_tokens(corpus, p.level, p.split, p.min_count)

    def tokenize(self, text: str) -> list[str]:
        return tokenize(text, self.params.level)

    def checkpoint_files(self) -> dict[str, tuple[str, bytes]]:
        """The files each checkpoint keeps for this task: {name: (parameter, content)}."""
        return {TEXT_FILE: ("path", self.kept)} if self.kept is not None else {}

    # -- prompts -------------------------------------------------------------------------------

    def encode(self, text: str) -> Tensor:
        """(n,) token ids of a prompt; UserError naming any character/word not in the vocab."""
        return self.codec.encode(text)

    def decode(self, ids: Tensor | np.ndarray | list[int]) -> str:
        return self.codec.decode(ids)

    # -- batches -------------------------------------------------------------------------------

    def batches(self, split: Split, batch_size: int, seed: int = 0) -> Iterator[Batch]:
        check_batch_args(split, batch_size)
        rng = make_rng(seed, split)
        n_train = self.tokens.n_train
        if split == "train":
            streams = batch_size
            spare = n_train - 1 - streams  # at least one step per stream must remain
            if spare < 0:
                raise UserError(
                    f"batch size {batch_size} is too large for {n_train} training tokens"
                )
            first = int(rng.integers(0, min(self.params.seq_len - 1, spare) + 1))
            end = n_train
        else:  # one stream over the whole validation split, from the last training token
            first, end, streams = n_train - 1, self.tokens.n_tokens, 1
        return self._stream(first, end, streams)

    def _stream(self, first: int, end: int, streams: int) -> Iterator[Batch]:
        """Stream b is tokens ``first + b*steps`` .. ``first + (b+1)*steps`` (inputs, then the
        same shifted by one as targets); each batch reads only its (streams, seq_len + 1)."""
        steps = (end - first - 1) // streams
        rows = first + np.arange(streams) * steps
        L = self.params.seq_len
        for start in range(0, steps, L):
            window = self.tokens.rows(rows + start, min(L, steps - start) + 1)
            x, y = torch.from_numpy(window[:, :-1]), torch.from_numpy(window[:, 1:])
            yield Batch(x, y, carry_state=start > 0)

    # -- loss and scores -----------------------------------------------------------------------

    def loss(self, output: Tensor, batch: Batch) -> Tensor:
        # Every step is scored; a mask (the gradient probe's "loss at the end") narrows it.
        ce, mask = token_ce(output, batch)
        return ce[mask].mean()

    def score(self, output: Tensor, batch: Batch) -> dict[str, float]:
        with torch.no_grad():
            ce, _ = token_ce(output, batch)
            correct = (output.argmax(-1) == batch.y).sum()
            return {"loss_sum": float(ce.sum()), "correct": float(correct),
                    "count": float(ce.numel())}

    def summarize(self, sums: dict[str, float]) -> dict[str, float]:
        loss = ratio(sums["loss_sum"], sums["count"])
        bits = "bpc" if self.params.level == "char" else "bits_per_word"
        return {
            "loss": loss,  # nats per token
            bits: loss / math.log(2),
            "perplexity": math.exp(min(loss, 700.0)) if loss == loss else loss,
            "accuracy": ratio(sums["correct"], sums["count"]),
        }


class TextScoring(TextTask):
    """A trained model's text task on other text: the training vocabulary (from the checkpoint:
    ``spec.vocab``), tokens outside it as ``<unk>`` (``unknown`` counts them), and the whole
    text, as one stream, in every split — it is the evaluation set; its first token is context
    only. ``params`` are the checkpoint's (level and seq_len are used)."""

    def __init__(self, vocab: tuple[str, ...], params: dict[str, Any], *, path: str = "",
                 text: str | None = None) -> None:
        given = {**params, "path": path or "the text", "keep_text": False}
        self.params = parse_params(TextParams, self.name, given)
        p = self.params
        self.vocab = tuple(vocab)
        self.codec = TextCodec(p.level, self.vocab)
        self.ids = self.codec.ids
        if text is None:
            self.tokens: Any = encode_tokens(path, p.level, self.vocab)
        else:
            found = [self.ids.get(t, 0) for t in tokenize(text, p.level)]
            self.tokens = TokenArray(np.array(found, dtype=np.int64), self.vocab)
        n = self.tokens.n_tokens
        if n < 2:
            raise UserError(f"{p.path} has {n} {p.level} token(s): scoring needs at least two "
                            "(a token and the one after it)")
        self.unknown = unknown_count(self.tokens)
        self.spec = TaskSpec("tokens", len(self.vocab), "classes", len(self.vocab), True,
                             vocab=self.vocab)

    kept = None  # nothing is kept: a checkpoint of this task is never written

    def setup(self) -> None:  # everything is made in __init__, from the vocabulary
        pass

    def batches(self, split: Split, batch_size: int, seed: int = 0) -> Iterator[Batch]:
        check_batch_args(split, batch_size)
        return self._stream(0, self.tokens.n_tokens, 1)

    def counts(self) -> dict[str, float]:
        """The text's tokens, and how many (and what share) were not in the vocabulary."""
        n = self.tokens.n_tokens
        return {"tokens": float(n), "unknown_tokens": float(self.unknown),
                "unknown_share": self.unknown / n}
