"""spoken-digits from WAV recordings (-p recordings=DIR): the MFCCs, the speaker split, bad input.

The recordings here are made up: 3 speakers x 10 digits x 4 recordings at 8 kHz, each digit two
tones of its own, each speaker a pitch shift and a noise level of its own.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers_cli import assert_one_line_error

from rnnlab.cli import main
from rnnlab.errors import UserError
from rnnlab.models import ModelConfig, build_model
from rnnlab.tasks import make_task, mfcc, spoken_digits
from rnnlab.tasks.packaged import split_indices
from rnnlab.train import TrainConfig, evaluate, train
from rnnlab.utils import seed_everything

RATE = 8000
SPEAKERS = {"alice": (0.96, 0.01), "bob": (1.04, 0.02), "carol": (1.0, 0.03)}  # shift, noise
TAKES = 4  # recordings per speaker and digit

# -- the MFCC function --------------------------------------------------------------------------


def test_frame_sizes_and_frame_count() -> None:
    assert mfcc.frame_sizes(8000) == (200, 80) and mfcc.frame_sizes(16000) == (400, 160)
    assert mfcc.fft_size(200) == 256 and mfcc.fft_size(256) == 256
    for n in (200, 279, 280, 281, 3999):
        y = np.arange(n, dtype=np.float64)
        framed = mfcc.frames(y, 200, 80)
        assert framed.shape == (1 + (n - 200) // 80, 200)
        assert (framed[-1] == y[80 * (len(framed) - 1) :][:200]).all()
        assert mfcc.mfcc(y, 8000).shape == (1 + (n - 200) // 80, 13)


def test_preemphasis_and_hamming() -> None:
    assert np.allclose(mfcc.preemphasis(np.array([1.0, 2.0, 3.0])), [1.0, 2.0 - 0.97, 3.0 - 1.94])
    w = mfcc.hamming(201)
    assert np.isclose(w[0], 0.08) and np.isclose(w[-1], 0.08) and np.isclose(w[100], 1.0)
    assert np.allclose(w, np.hamming(201))  # numpy's, as an independent check


def test_mel_scale() -> None:
    f = np.array([0.0, 300.0, 1000.0, 4000.0])
    assert np.allclose(mfcc.hz(mfcc.mel(f)), f)
    assert abs(mfcc.mel(1000.0) - 1000.0) < 0.1  # the scale is made so that 1 kHz ~ 1000 mel


def centres(n_filters: int = 26, rate: int = RATE) -> np.ndarray:
    return mfcc.hz(np.linspace(0.0, mfcc.mel(rate / 2), n_filters + 2))[1:-1]


def test_filterbank_shape_rows_and_partition() -> None:
    bank = mfcc.mel_filterbank(26, 256, RATE)
    assert bank.shape == (26, 129)
    assert (bank >= 0).all() and (bank <= 1).all() and (bank.sum(1) > 0).all()  # no empty filter
    peaks = bank.argmax(1)
    assert (np.diff(peaks) >= 0).all()  # centres rise with the filter index
    # neighbouring triangles add up to 1 between the first and the last centre
    f = np.arange(129) * RATE / 256
    inside = (f >= centres()[0]) & (f <= centres()[-1])
    assert np.allclose(bank.sum(0)[inside], 1.0)
    assert bank[:, 0].sum() == 0 and bank[:, -1].sum() == 0  # 0 Hz and Nyquist: edges only


@pytest.mark.parametrize("m", [0, 3, 12, 25])
def test_a_tone_lands_in_its_filter(m: int) -> None:
    f0 = centres()[m]
    tone = np.sin(2 * np.pi * f0 * np.arange(4000) / RATE)
    power = mfcc.power_spectrum(mfcc.frames(tone, 200, 80) * mfcc.hamming(200), 256)
    energies = power @ mfcc.mel_filterbank(26, 256, RATE).T  # (T, 26)
    assert (energies.argmax(1) == m).all()


def test_dct_is_orthonormal() -> None:
    full = mfcc.dct_matrix(26, 26)
    assert np.allclose(full @ full.T, np.eye(26)) and np.allclose(full.T @ full, np.eye(26))
    kept = mfcc.dct_matrix(13, 26)
    assert np.allclose(kept, full[:13])
    assert np.allclose(kept[0], 1 / np.sqrt(26))
    scipy_fft = pytest.importorskip("scipy.fft")
    x = np.random.default_rng(0).normal(size=26)
    assert np.allclose(kept @ x, scipy_fft.dct(x, norm="ortho")[:13])


def test_silence_is_finite() -> None:
    out = mfcc.mfcc(np.zeros(4000), RATE)
    assert np.isfinite(out).all()
    # every log energy is ln(floor): only c0 = sqrt(M) ln(floor) is non-zero
    assert np.allclose(out[:, 0], np.sqrt(26) * np.log(mfcc.LOG_FLOOR))
    assert np.allclose(out[:, 1:], 0)


def test_mfcc_refuses_what_it_cannot_frame() -> None:
    with pytest.raises(ValueError, match="shorter than one frame"):
        mfcc.mfcc(np.zeros(199), RATE)
    with pytest.raises(ValueError, match="1-D"):
        mfcc.mfcc(np.zeros((400, 2)), RATE)


# -- a made-up recordings folder ----------------------------------------------------------------


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE, channels: int = 1,
              width: int = 2) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())


def utterance(digit: int, shift: float, noise: float, seconds: float,
              rng: np.random.Generator) -> np.ndarray:
    """Two tones of the digit's own (a quarter apart in pitch per digit), then int16."""
    t = np.arange(int(seconds * RATE)) / RATE
    first, second = 200 * 1.25**digit * shift, 200 * 1.25 ** ((3 * digit + 1) % 10) * shift
    x = np.where(t < seconds / 2, np.sin(2 * np.pi * first * t), np.sin(2 * np.pi * second * t))
    x = 0.5 * x * np.hanning(len(t)) + noise * rng.normal(size=len(t))
    return np.clip(x * 32767, -32768, 32767).astype("<i2")


def make_folder(root: Path, speakers: dict[str, tuple[float, float]] = SPEAKERS,
                takes: int = TAKES) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for speaker, (shift, noise) in speakers.items():
        for digit in range(10):
            for take in range(takes):
                seconds = rng.uniform(0.3, 0.5)
                samples = utterance(digit, shift, noise, seconds, rng)
                write_wav(root / f"{digit}_{speaker}_{take}.wav", samples)
    (root / "README.txt").write_text("not a recording: ignored\n")
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_folder(tmp_path_factory.mktemp("fsdd") / "recordings")


def speaker_of(name: str) -> str:
    return name.split("_")[1]


def read_mfcc(path: Path) -> np.ndarray:
    """A recording's MFCCs, read here apart from the task's loader."""
    with wave.open(str(path)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2") / 32768.0
    return mfcc.mfcc(x, RATE)


# -- the task on recordings ---------------------------------------------------------------------


def test_random_split_sizes_speakers_and_digits(folder: Path) -> None:
    task = make_task("spoken-digits", recordings=str(folder))
    assert task.speakers == ("alice", "bob", "carol") and task.test_speaker == ""
    assert task.split_sizes() == {"train": 84, "valid": 12, "test": 24}  # of 120: 70/10/20 %
    assert task.spec.input_size == 13 and task.labels == tuple("0123456789")
    names = sorted(p.name for p in folder.glob("*.wav"))
    parts = split_indices(120, (0.1, 0.2), 0)  # the same cut as the packaged data's
    for split, idx in zip(("train", "valid", "test"), parts, strict=True):
        assert task.files[split] == tuple(names[i] for i in idx)
        digits = [int(n[0]) for n in task.files[split]]
        assert task.data[split][1].tolist() == digits  # each recording keeps its digit
    every = task.files["train"] + task.files["valid"] + task.files["test"]
    assert sorted(every) == names
    assert {speaker_of(n) for n in task.files["test"]} == set(SPEAKERS)  # random: all speakers


def test_speaker_split_holds_out_the_last_speaker_by_default(folder: Path) -> None:
    task = make_task("spoken-digits", recordings=str(folder), split="speaker")
    assert task.test_speaker == "carol"
    assert sorted(task.files["test"]) == sorted(p.name for p in folder.glob("*_carol_*.wav"))
    assert task.split_sizes() == {"train": 72, "valid": 8, "test": 40}
    for split in ("train", "valid"):
        assert task.files[split] and "carol" not in {speaker_of(n) for n in task.files[split]}
    assert {speaker_of(n) for n in task.files["valid"] + task.files["train"]} == {"alice", "bob"}


def test_speaker_split_with_a_chosen_speaker_is_seeded(folder: Path) -> None:
    task = make_task("spoken-digits", recordings=str(folder), split="speaker",
                     test_speaker="alice", valid_fraction=0.25, split_seed=1)
    assert {speaker_of(n) for n in task.files["test"]} == {"alice"}
    assert len(task.files["test"]) == 40
    assert len(task.files["valid"]) == 20 and len(task.files["train"]) == 60
    again = make_task("spoken-digits", recordings=str(folder), split="speaker",
                      test_speaker="alice", valid_fraction=0.25, split_seed=1)
    other = make_task("spoken-digits", recordings=str(folder), split="speaker",
                      test_speaker="alice", valid_fraction=0.25, split_seed=2)
    assert again.files == task.files and other.files["valid"] != task.files["valid"]


def test_standardisation_uses_the_training_frames_only(folder: Path) -> None:
    task = make_task("spoken-digits", recordings=str(folder), split="speaker")
    frames = np.concatenate([read_mfcc(folder / n) for n in task.files["train"]])
    assert np.allclose(task.mean, frames.mean(0)) and np.allclose(task.std, frames.std(0))
    train_x = torch.cat([torch.from_numpy(x) for x in task.data["train"][0]])
    assert train_x.mean(0).abs().max() < 1e-4 and (train_x.std(0) - 1).abs().max() < 1e-2
    test_x = torch.cat([torch.from_numpy(x) for x in task.data["test"][0]])
    assert test_x.mean(0).abs().max() > 0.05  # the held-out speaker's own statistics differ
    batch = next(task.batches("test", 8))
    assert batch.lengths is not None and batch.x.shape[2] == 13 and batch.x.dtype == torch.float32
    # 0.3-0.5 s at 10 ms a frame, 25 ms long
    assert int(batch.lengths.min()) >= 28 and int(batch.lengths.max()) <= 48


def test_a_folder_is_read_once_per_process(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = make_task("spoken-digits", recordings=str(folder))
    hits = spoken_digits.load_recordings.cache_info().hits
    monkeypatch.chdir(folder.parent)  # a relative path to the same folder: the same entry
    second = make_task("spoken-digits", recordings=folder.name, split="speaker")
    assert spoken_digits.load_recordings.cache_info().hits == hits + 1
    assert first.params.recordings != second.params.recordings  # stored as the user gave it
    found = spoken_digits.load_recordings(str(folder.resolve()))
    assert not found.series[0].flags.writeable  # the cached arrays cannot be changed by a task


# -- bad input ----------------------------------------------------------------------------------


def one_line(error: pytest.ExceptionInfo[UserError], *words: str) -> None:
    text = str(error.value)
    assert "\n" not in text, text
    for word in words:
        assert word in text, text


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"split": "speaker"}, ["no speaker labels", "recordings=DIR"]),
        ({"test_speaker": "bob"}, ["test_speaker = 'bob'", "only with split=speaker"]),
        ({"split": "voices", "recordings": "x"}, ["split = 'voices'", "random, speaker"]),
    ],
)
def test_bad_parameters(params: dict[str, str], words: list[str]) -> None:
    with pytest.raises(UserError) as error:
        make_task("spoken-digits", **params)
    one_line(error, *words)


def test_a_folder_that_is_missing_empty_or_a_file(tmp_path: Path) -> None:
    with pytest.raises(UserError) as error:
        make_task("spoken-digits", recordings=str(tmp_path / "nowhere"))
    one_line(error, "recordings", "nowhere", "no such folder")
    (tmp_path / "a.wav").write_bytes(b"")
    with pytest.raises(UserError) as error:
        make_task("spoken-digits", recordings=str(tmp_path / "a.wav"))
    one_line(error, "a.wav", "is not a folder")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no audio here")
    with pytest.raises(UserError) as error:
        make_task("spoken-digits", recordings=str(empty))
    one_line(error, "holds no .wav files", "7_jackson_32.wav")


def good(rate: int = RATE) -> np.ndarray:
    """0.3 s of a digit-like sound at ``rate`` Hz, as int16 samples."""
    t = np.arange(int(0.3 * rate)) / rate
    return (8000 * np.sin(2 * np.pi * 440 * t)).astype("<i2")


BAD_FILES = {
    "misnamed": ("seven_jackson_1.wav", lambda p: write_wav(p, good()),
                 ["seven_jackson_1.wav", "DIGIT_SPEAKER_INDEX.wav"]),
    "binary": ("1_bob_9.wav", lambda p: p.write_bytes(bytes(range(256)) * 8),
               ["1_bob_9.wav", "cannot be read as a WAV file"]),
    "no chunks": ("1_bob_9.wav", lambda p: p.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt "),
                  ["1_bob_9.wav", "cannot be read as a WAV file", "chunk"]),
    # wave raises EOFError (with no message) for a header cut short inside its fmt chunk
    "cut short": ("1_bob_9.wav",
                  lambda p: p.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00"),
                  ["1_bob_9.wav", "cannot be read as a WAV file (the file ends early)"]),
    "stereo": ("1_bob_9.wav", lambda p: write_wav(p, np.zeros(4000, "<i2"), channels=2),
               ["1_bob_9.wav", "2 channels", "mono"]),
    "8-bit": ("1_bob_9.wav", lambda p: write_wav(p, np.zeros(4000, "u1"), width=1),
              ["1_bob_9.wav", "8-bit samples", "16-bit PCM"]),
    "empty": ("1_bob_9.wav", lambda p: write_wav(p, np.zeros(0, "<i2")),
              ["1_bob_9.wav", "0 samples", "25 ms frame (200 samples at 8000 Hz)"]),
    "too short": ("1_bob_9.wav", lambda p: write_wav(p, np.zeros(150, "<i2")),
                  ["1_bob_9.wav", "150 samples"]),
    "other rate": ("9_zed_0.wav", lambda p: write_wav(p, good(16000), rate=16000),
                   ["9_zed_0.wav", "16000 Hz", "8000 Hz", "share one rate"]),
    "rate too low": ("1_bob_9.wav", lambda p: write_wav(p, np.zeros(400, "<i2"), rate=500),
                     ["1_bob_9.wav", "500 Hz", "at least 1000 Hz"]),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_named(tmp_path: Path, case: str) -> None:
    name, write, words = BAD_FILES[case]
    write_wav(tmp_path / "0_amy_0.wav", good())
    write(tmp_path / name)
    with pytest.raises(UserError) as error:
        make_task("spoken-digits", recordings=str(tmp_path))
    one_line(error, *words)


def test_an_unknown_test_speaker_lists_the_known_ones(folder: Path) -> None:
    with pytest.raises(UserError) as error:
        make_task("spoken-digits", recordings=str(folder), split="speaker", test_speaker="dave")
    one_line(error, "test_speaker = 'dave'", "alice, bob, carol")


def test_the_speaker_split_needs_two_speakers(tmp_path: Path) -> None:
    alone = make_folder(tmp_path / "alone", {"alice": (1.0, 0.01)}, takes=1)
    with pytest.raises(UserError) as error:
        make_task("spoken-digits", recordings=str(alone), split="speaker")
    one_line(error, "at least 2 speakers", "only alice")
    assert make_task("spoken-digits", recordings=str(alone)).split_sizes()["train"] == 7


def test_too_few_recordings_for_a_train_split(tmp_path: Path) -> None:
    for take in range(3):
        write_wav(tmp_path / f"{take}_amy_0.wav", good())
    with pytest.raises(UserError) as error:
        make_task("spoken-digits", recordings=str(tmp_path), valid_fraction=0.5,
                  test_fraction=0.5)
    one_line(error, "3 recording(s)", "too few for a train split")


# -- the command line ---------------------------------------------------------------------------


def test_rnnlab_train_on_a_recordings_folder(folder: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = main([
        "train", "--task", "spoken-digits", "-p", f"recordings={folder}", "-p", "split=speaker",
        "-p", "test_speaker=bob", "--family", "lstm", "--hidden-size", "8", "--steps", "3",
        "--batch-size", "8", "--eval-every", "3", "--progress", "false",
        "--out-dir", str(tmp_path / "run"),
    ])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "run" / "run.toml").is_file()


def test_rnnlab_train_on_a_missing_folder(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--task", "spoken-digits", "-p", f"recordings={tmp_path / 'gone'}",
                 "-p", "split=speaker", "--steps", "1", "--out-dir", str(tmp_path / "run")])
    assert_one_line_error(code, capsys.readouterr().err, "recordings", "no such folder")


# -- learning -----------------------------------------------------------------------------------


@pytest.mark.learning
def test_a_small_lstm_recognises_the_held_out_speaker(folder: Path, seed: int) -> None:
    """Chance is 1/10; trained on alice and bob only, an LSTM names carol's digits (test
    accuracy 1.0 for seeds 0-9: the made-up digits are easy, the point is the split works)."""
    task = make_task("spoken-digits", recordings=str(folder), split="speaker")
    seed_everything(seed)
    model = build_model(ModelConfig(family="lstm", hidden_size=16), task.spec)
    config = TrainConfig(steps=60, batch_size=16, lr=1e-2, eval_every=0, progress=False,
                         seed=seed)
    train(model, task, config)
    assert evaluate(model, task, "test", batch_size=40)["accuracy"] > 0.6
