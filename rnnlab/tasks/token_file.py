"""A text file tokenised once into a memory-mapped token file, in memory bounded by a chunk.

A corpus of N bytes used to cost ~25 N bytes of RAM (a Python list of tokens, a Counter, an
int64 array). Here the file is read in chunks of :data:`CHUNK_BYTES` (8 MiB) and never held whole:

1. **Pass 1** decodes each chunk (an incremental UTF-8 decoder, so a character split across
   chunks is fine), splits it into tokens and writes *provisional* ids to a scratch file — the
   code point for characters, the order of first appearance for words. A word never contains
   whitespace, so a chunk is cut at its last whitespace and the rest carried to the next one:
   the tokens are exactly those of the whole text.
2. The training split is the first ``n_train = int(N_tokens * split)`` tokens; their counts
   (``np.bincount`` over the scratch file, chunk by chunk) give the vocabulary:
   ``<unk>`` (id 0) plus the tokens seen at least ``min_count`` times, sorted.
3. **Pass 2** maps provisional ids to final ids (a lookup table) into the token file, in the
   smallest unsigned dtype that holds the vocabulary (uint8 for most character sets).

Peak memory is one chunk plus the distinct tokens, whatever the corpus size. The result is
cached under ``<cache>/tokens/<key>.ids`` + ``<key>.json``, the key being the SHA-256 of the
file's bytes and the tokeniser settings, so the next run on the same file maps it in no time.
The cache folder is ``$RNNLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/rnnlab``, else
``~/.cache/rnnlab``. A cache entry that does not check out (sizes, dtype, ids out of range) is
rebuilt, never trusted. A cache folder that cannot be made (a read-only home) is replaced by a
private folder in the temporary directory.

:func:`encode_tokens` turns another file into ids of a vocabulary already fixed (a trained
model's, from its checkpoint): one pass, tokens outside the vocabulary becoming ``<unk>``,
cached the same way (the key covers the vocabulary too). :class:`TokenArray` holds the ids of a
short text in memory and is read like a token file.

:func:`read_corpus` hashes a corpus's files once (:class:`Corpus`); both readers take it in
place of a path, so that a task can check the text's content hash (:attr:`Corpus.sha256`,
recorded in its checkpoints) before tokenising it, without hashing the files twice.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from rnnlab.errors import UserError
from rnnlab.utils.atomic import atomic_write
from rnnlab.utils.hashing import file_sha256

UNK = "<unk>"
WORD = re.compile(r"\w+(?:'\w+)*|[^\w\s]|\n")
CHUNK_BYTES = 1 << 23  # 8 MiB of text per chunk: ~60 MB of working memory at the peak
FORMAT = 1  # bump when the layout or the tokeniser changes: old cache entries are ignored
_SCAN = 1 << 22  # ids per numpy pass over a memory-mapped file


def tokenize(text: str, level: str) -> list[str]:
    """Characters, or words (letters/digits with inner apostrophes, punctuation, newlines)."""
    return list(text) if level == "char" else WORD.findall(text)


@dataclass(frozen=True)
class TokenFile:
    """Every token of a text file as ids in a file of unsigned ints, its vocabulary and split.

    Batches read their windows with :meth:`rows` (plain reads, so pages of the corpus do not
    pile up in the process's resident memory as a memory map's would); :attr:`ids` maps the
    whole file for inspection.
    """

    path: Path  # the token file: the training split, then the validation split
    dtype: np.dtype  # the smallest unsigned dtype that holds every id
    n_tokens: int
    vocab: tuple[str, ...]  # vocab[0] is <unk>
    n_train: int

    @property
    def ids(self) -> np.ndarray:
        """(n_tokens,) read-only memory map of every id."""
        return np.memmap(self.path, dtype=self.dtype, mode="r", shape=(self.n_tokens,))

    def rows(self, starts: np.ndarray, length: int) -> np.ndarray:
        """(len(starts), length) int64: ``ids[s : s + length]`` for each start ``s``."""
        out = np.empty((len(starts), length), dtype=self.dtype)
        size = self.dtype.itemsize
        with open(self.path, "rb", buffering=0) as f:
            for row, start in zip(out, starts, strict=True):
                f.seek(int(start) * size)
                if f.readinto(memoryview(row).cast("B")) != length * size:
                    raise UserError(f"token file {self.path} is shorter than it was; "
                                    "it changed during the run")
        return out.astype(np.int64)


@dataclass(frozen=True)
class TokenArray:
    """Token ids held in memory (a text given as a string), read as a :class:`TokenFile` is."""

    ids: np.ndarray  # (n_tokens,) int64
    vocab: tuple[str, ...]
    n_train: int = 0

    @property
    def n_tokens(self) -> int:
        return len(self.ids)

    def rows(self, starts: np.ndarray, length: int) -> np.ndarray:
        """(len(starts), length) int64: ``ids[s : s + length]`` for each start ``s``."""
        return np.stack([self.ids[int(s) : int(s) + length] for s in starts]).astype(np.int64)


def unknown_count(tokens: TokenFile | TokenArray) -> int:
    """How many of the tokens are ``<unk>`` (id 0)."""
    if isinstance(tokens, TokenArray):
        return int(np.count_nonzero(tokens.ids == 0))
    return sum(int(np.count_nonzero(part == 0))
               for part in _scan(tokens.path, tokens.dtype, tokens.n_tokens))


@dataclass(frozen=True)
class Corpus:
    """A text file, or a folder of ``.txt`` files read as one text, with each file's hash."""

    path: str  # as given
    files: tuple[Path, ...]  # corpus_files(path)
    hashes: tuple[tuple[str, str], ...]  # (the file's path inside the folder, or "", sha256)

    @property
    def sha256(self) -> str:
        """The text's content hash: a file's sha256; a folder's, the sha256 of its files'
        names and hashes (renaming, adding, removing or changing a file changes it)."""
        if len(self.hashes) == 1 and not self.hashes[0][0]:
            return self.hashes[0][1]
        return hashlib.sha256(json.dumps(self.hashes).encode()).hexdigest()


def read_corpus(path: str | Corpus) -> Corpus:
    """The files of ``path`` (:func:`corpus_files`) and their hashes; a Corpus is returned as
    it is. UserError as for :func:`corpus_files`."""
    if isinstance(path, Corpus):
        return path
    files = corpus_files(path)
    folder_given = os.path.isdir(path)
    hashes = tuple((p.relative_to(path).as_posix() if folder_given else "", file_sha256(p))
                   for p in files)
    return Corpus(path, tuple(files), hashes)


def cache_dir() -> Path:
    """Where token files are cached (see the module docstring)."""
    if os.environ.get("RNNLAB_CACHE_DIR"):
        return Path(os.environ["RNNLAB_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rnnlab"


def corpus_files(path: str) -> list[Path]:
    """The files of a corpus: ``path`` itself, or every ``*.txt`` file under the folder
    ``path`` (sorted by their path inside it, empty ones left out). UserError if there are
    none."""
    check_text_file(path)
    if os.path.isfile(path):
        return [Path(path)]
    found = sorted(p for p in Path(path).rglob("*.txt") if p.is_file() and p.stat().st_size)
    if not found:
        raise UserError(f"folder {path} holds no non-empty .txt file")
    return found


def load_tokens(path: str | Corpus, level: str, split: float, min_count: int) -> TokenFile:
    """The token file of ``path`` — a text file, or a folder of them read as one text in
    sorted order, a line break between files; or its :class:`Corpus` — built, or read from
    the cache; UserError for a missing, empty, binary or non-UTF-8 file."""
    corpus = read_corpus(path)
    files = list(corpus.files)
    settings = {"level": level, "split": split, "min_count": min_count}
    folder, key = _cache_entry(corpus, settings)
    cached = _read_cached(folder, key)
    if cached is not None:
        return cached
    return _build(files, level, split, min_count, folder, key)


def encode_tokens(path: str | Corpus, level: str, vocab: tuple[str, ...]) -> TokenFile:
    """The token file of ``path`` (a file, a folder or a Corpus, as :func:`load_tokens` reads
    it) in the ids of ``vocab`` (``vocab[0]`` is ``<unk>``, which any token outside it
    becomes), built or read from the cache; all of it is one split (``n_train`` is 0).
    UserError as for :func:`load_tokens`."""
    corpus = read_corpus(path)
    files = list(corpus.files)
    digest = hashlib.sha256(json.dumps(list(vocab)).encode()).hexdigest()
    folder, key = _cache_entry(corpus, {"level": level, "vocab": digest})
    cached = _read_cached(folder, key)
    if cached is not None and cached.vocab == vocab and cached.n_train == 0:
        return cached
    dtype = _dtype(len(vocab))
    ids = {t: i for i, t in enumerate(vocab) if i}  # <unk> itself is no token of a text
    n = 0

    def write_ids(handle: IO[bytes]) -> None:
        nonlocal n
        if level == "char":
            lookup = np.zeros(0x110000, dtype=dtype)  # code point -> id; 0 (<unk>) elsewhere
            for token, i in ids.items():
                if len(token) == 1:
                    lookup[ord(token)] = i
            for text in corpus_chunks(files):
                part = lookup[np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)]
                handle.write(memoryview(part))
                n += len(part)
            return
        for text in _word_pieces(corpus_chunks(files)):
            part = np.fromiter((ids.get(w, 0) for w in WORD.findall(text)), dtype=dtype)
            handle.write(memoryview(part))
            n += len(part)

    ids_path = folder / f"{key}.ids"
    atomic_write(ids_path, write_ids)
    if n == 0:  # only whitespace, at word level
        ids_path.unlink(missing_ok=True)
        raise UserError(f"{_where(files)} holds no {level} tokens")
    meta = {"format": FORMAT, "n_tokens": n, "n_train": 0, "vocab": list(vocab),
            "dtype": dtype.name}
    atomic_write(folder / f"{key}.json", json.dumps(meta))  # written last: entry complete
    return TokenFile(ids_path, dtype, n, vocab, 0)


def _cache_entry(corpus: Corpus, settings: dict[str, object]) -> tuple[Path, str]:
    """The cache folder and the key of the token file of ``corpus`` made with ``settings``."""
    # The key covers every file's place in the folder and its content: renaming, adding or
    # changing one makes another token file.
    hashes = [list(h) for h in corpus.hashes]
    settings = {"format": FORMAT, **settings, "word": WORD.pattern, "files": hashes}
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:32]
    try:
        folder = cache_dir() / "tokens"
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only home: a private folder in the temporary directory instead
        folder = Path(tempfile.gettempdir()) / f"rnnlab-{os.getuid()}" / "tokens"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder, key


def _where(files: list[Path]) -> str:
    return str(files[0]) if len(files) == 1 else f"{files[0].parent} ({len(files)} files)"


def check_text_file(path: str, folder_ok: bool = True) -> None:
    """UserError unless ``path`` is a non-empty regular file, or (``folder_ok``) a folder;
    the text itself is checked as it is read."""
    if not os.path.exists(path):
        raise UserError(f"text file not found: {path}")
    if os.path.isdir(path) and folder_ok:
        return
    if not os.path.isfile(path):
        raise UserError(f"not a file: {path}")
    if os.path.getsize(path) == 0:
        raise UserError(f"text file is empty: {path}")


def corpus_chunks(files: list[Path]) -> Iterator[str]:
    """The text of every file in turn (see :func:`text_chunks`), with a line break between
    two files where the first does not end with one, so no word runs across them."""
    last = "\n"
    for index, path in enumerate(files):
        if index and not last.endswith("\n"):
            yield "\n"
        for text in text_chunks(str(path)):
            last = text
            yield text


def text_chunks(path: str, chunk_bytes: int = CHUNK_BYTES) -> Iterator[str]:
    """The file's text, in pieces of about ``chunk_bytes``; UserError on NUL or bad UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0  # bytes of the file before this chunk
    with open(path, "rb") as f:
        while True:
            data = f.read(chunk_bytes)
            if b"\x00" in data:
                raise UserError(f"{path} looks binary (it contains NUL bytes), not text")
            pending = len(decoder.getstate()[0])  # bytes of a character cut by the last chunk
            try:
                text = decoder.decode(data, final=not data)
            except UnicodeDecodeError as e:
                at = offset - pending + e.start
                raise UserError(f"{path} is not UTF-8 text (bad byte at offset {at})") from None
            offset += len(data)
            if text:
                yield text
            if not data:
                return


def _word_pieces(chunks: Iterator[str]) -> Iterator[str]:
    """Chunks re-cut at whitespace, so that no word is split between two pieces."""
    carry = ""
    for chunk in chunks:
        text = carry + chunk
        # Any whitespace is a safe cut; these four are the ones text is made of.
        end = max(text.rfind(" "), text.rfind("\n"), text.rfind("\t"), text.rfind("\r"))
        if end < 0 and len(text) < 4 * CHUNK_BYTES:  # no whitespace yet: keep reading
            carry = text
            continue
        end = end if end >= 0 else len(text)
        carry = text[end:]
        yield text[:end]
    if carry:
        yield carry


def _provisional_ids(files: list[Path], level: str, scratch: Path
                     ) -> tuple[int, list[str] | None]:
    """Pass 1: write provisional ids (uint32) to ``scratch``; (count, words or None)."""
    n = 0
    index: dict[str, int] = {}
    with open(scratch, "wb") as out:
        if level == "char":
            for text in corpus_chunks(files):
                out.write(text.encode("utf-32-le"))  # these bytes are the uint32 code points
                n += len(text)
            return n, None
        for text in _word_pieces(corpus_chunks(files)):
            ids = np.fromiter((index.setdefault(w, len(index)) for w in WORD.findall(text)),
                              dtype=np.uint32)
            out.write(memoryview(ids))
            n += len(ids)
    return n, list(index)


def _scan(path: Path, dtype: np.dtype, stop: int) -> Iterator[np.ndarray]:
    """The first ``stop`` ids of ``path`` in pieces, by reads (not a memory map: see rows)."""
    with open(path, "rb") as f:
        for start in range(0, stop, _SCAN):
            part = np.fromfile(f, dtype=dtype, count=min(_SCAN, stop - start))
            if len(part) == 0:
                return
            yield part


def _build(files: list[Path], level: str, split: float, min_count: int, folder: Path,
           key: str) -> TokenFile:
    fd, name = tempfile.mkstemp(prefix=f".{key}.", suffix=".scratch", dir=folder)
    os.close(fd)
    scratch = Path(name)
    try:
        n, words = _provisional_ids(files, level, scratch)
        if n == 0:  # only whitespace, at word level
            raise UserError(f"{_where(files)} holds no {level} tokens")
        n_train = int(n * split)
        size = 0x110000 if words is None else len(words)
        counts = np.zeros(size, dtype=np.int64)
        for part in _scan(scratch, np.dtype(np.uint32), n_train):
            counts += np.bincount(part, minlength=size)
        kept = np.flatnonzero(counts >= min_count)
        names = [chr(c) for c in kept] if words is None else [words[i] for i in kept]
        order = sorted(range(len(names)), key=names.__getitem__)
        vocab = (UNK, *(names[i] for i in order))
        lookup = np.zeros(size, dtype=_dtype(len(vocab)))
        lookup[kept[order]] = np.arange(1, len(vocab))
        ids_path = folder / f"{key}.ids"

        def write_ids(handle: IO[bytes]) -> None:
            for part in _scan(scratch, np.dtype(np.uint32), n):
                handle.write(memoryview(lookup[part]))

        atomic_write(ids_path, write_ids)
        meta = {"format": FORMAT, "n_tokens": n, "n_train": n_train, "vocab": list(vocab),
                "dtype": lookup.dtype.name}
        atomic_write(folder / f"{key}.json", json.dumps(meta))  # written last: entry complete
    finally:
        with contextlib.suppress(OSError):
            scratch.unlink()
    return TokenFile(ids_path, lookup.dtype, n, vocab, n_train)


def _dtype(vocab_size: int) -> np.dtype:
    for dtype in (np.uint8, np.uint16, np.uint32):
        if vocab_size - 1 <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    raise UserError(f"a vocabulary of {vocab_size} tokens is too large")


def _read_cached(folder: Path, key: str) -> TokenFile | None:
    """The cache entry ``key`` if it is whole and consistent, else None (it will be rebuilt)."""
    meta_path, ids_path = folder / f"{key}.json", folder / f"{key}.ids"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        n, n_train, vocab = int(meta["n_tokens"]), int(meta["n_train"]), meta["vocab"]
        dtype = np.dtype(meta["dtype"])
        ok = (meta.get("format") == FORMAT and 0 <= n_train <= n and n > 0 and dtype.kind == "u"
              and isinstance(vocab, list) and vocab[:1] == [UNK]
              and all(isinstance(t, str) for t in vocab) and dtype == _dtype(len(vocab))
              and ids_path.stat().st_size == n * dtype.itemsize)
        if not ok:
            return None
        if any(int(part.max()) >= len(vocab) for part in _scan(ids_path, dtype, n)):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return TokenFile(ids_path, dtype, n, tuple(vocab), n_train)
