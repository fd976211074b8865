"""Data-parallel training (rnnlab.train.distributed, rnnlab.train.launch): two CPU processes on
localhost train as one process does, only rank 0 writes, a killed rank stops the job cleanly and
its last checkpoint resumes, with another number of processes too.

Every multi-process run is a real ``rnnlab train --nproc 2`` (torchrun's elastic agent, gloo on
the loopback interface) in a subprocess with a timeout, so a hang fails the test instead of
blocking the suite. The single-process reference runs in this process.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from helpers_cli import assert_one_line_error, one_line_error

from rnnlab.cli import main
from rnnlab.errors import UserError
from rnnlab.tasks import make_task
from rnnlab.tasks.base import Batch
from rnnlab.train import TrainConfig, load_checkpoint, train
from rnnlab.train.distributed import Job

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 240  # seconds for one multi-process run: far above its ~10 s, far below a hang
RTOL = 1e-5

# A small hand-written LSTM on the cue-word task, whose sentences differ in length: the shards
# hold different numbers of scored words, so the loss weighting is exercised.
CUE = ["train", "--task", "cue-word", "--family", "lstm", "--hidden-size", "12",
       "--embedding-dim", "8", "--batch-size", "8", "--lr", "0.01", "--log-every", "1",
       "--eval-every", "5", "--eval-batches", "2", "--no-progress", "--no-tensorboard",
       "--device", "cpu"]  # fmt: skip


def run_cli(argv: list[str], *, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    """``python -m rnnlab ARGV`` in a subprocess (where --nproc launches its workers)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH",
                                                                                  "")]),
           "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "rnnlab", *argv], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=ROOT)


def records(out_dir: Path, split: str) -> list[dict[str, float]]:
    lines = (out_dir / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["split"] == split]


def assert_same_curve(one: Path, two: Path, split: str = "train", key: str = "loss") -> None:
    a, b = records(one, split), records(two, split)
    assert [r["step"] for r in a] == [r["step"] for r in b] and a
    for ra, rb in zip(a, b, strict=True):
        assert rb[key] == pytest.approx(ra[key], rel=RTOL), (ra, rb)
        assert ra["sequences"] == rb["sequences"] and ra["tokens"] == rb["tokens"]


def text_file(tmp_path: Path) -> Path:
    rng = random.Random(0)
    words = ("the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "far", "from", "home",
             "while", "birds", "sang")
    path = tmp_path / "story.txt"
    path.write_text(" ".join(rng.choice(words) for _ in range(1500)) + "\n")
    return path


# -- two processes train as one -----------------------------------------------------------------


def test_two_processes_match_one_hand_written_lstm(tmp_path: Path) -> None:
    """The fast parity test: the loss curve (and the validation scores, from rank 0) of two
    processes at the same global batch equal one process's; only rank 0 wrote, and printed."""
    one, two = tmp_path / "one", tmp_path / "two"
    assert main([*CUE, "--steps", "10", "--backend", "bptt", "--out-dir", str(one)]) == 0
    done = run_cli([*CUE, "--steps", "10", "--backend", "bptt", "--out-dir", str(two),
                    "--nproc", "2"])
    assert done.returncode == 0, done.stderr
    assert_same_curve(one, two)
    # validation split by batches over the two ranks, the sums added up
    assert_same_curve(one, two, "valid", "loss")
    assert_same_curve(one, two, "valid", "accuracy")
    assert done.stdout.count("stopped (steps) after 10 steps") == 1  # rank 1 stays quiet
    assert "rank1" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    run = (two / "run.toml").read_text()
    assert "nproc = 2" in run
    torch.testing.assert_close(load_checkpoint(two / "last").weights,
                               load_checkpoint(one / "last").weights, rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_two_processes_match_one_torch_backend(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    assert main([*CUE, "--steps", "10", "--backend", "fused", "--out-dir", str(one)]) == 0
    done = run_cli([*CUE, "--steps", "10", "--backend", "fused", "--out-dir", str(two),
                    "--nproc", "2"])
    assert done.returncode == 0, done.stderr
    assert_same_curve(one, two)


def text_args(path: Path, *more: str) -> list[str]:
    return ["train", "--task", "text", "-p", f"path={path}", "-p", "seq_len=12", "--family",
            "lstm", "--num-layers", "2", "--hidden-size", "16", "--embedding-dim", "8",
            "--batch-size", "4", "--lr", "0.01", "--log-every", "1", "--eval-every", "0",
            "--eval-batches", "3", "--no-progress", "--no-tensorboard", "--device", "cpu",
            "--learn-init", *more]  # fmt: skip


@pytest.mark.slow
def test_language_model_streams_and_resume_with_another_nproc(tmp_path: Path) -> None:
    """A text stream carries each rank's rows from chunk to chunk (truncated BPTT): two
    processes equal one; a run saved by two processes resumes on one, and the reverse, and
    the curve is still the uninterrupted one's (last/ holds every stream's state). The learned
    initial state is used by the first chunk only: a parameter that sits out the later steps
    must not trip DDP."""
    path = text_file(tmp_path)
    one, two, mixed = tmp_path / "one", tmp_path / "two", tmp_path / "mixed"
    assert main(text_args(path, "--steps", "12", "--out-dir", str(one))) == 0
    done = run_cli(text_args(path, "--steps", "12", "--out-dir", str(two), "--nproc", "2"))
    assert done.returncode == 0, done.stderr
    assert_same_curve(one, two)
    assert_same_curve(one, two, "valid", "loss")  # a validation stream: scored by rank 0

    done = run_cli(text_args(path, "--steps", "5", "--out-dir", str(mixed), "--nproc", "2"))
    assert done.returncode == 0, done.stderr
    saved = load_checkpoint(mixed / "last").state["carried_state"]
    assert saved[0].shape[1] == 4  # (layers, B, H): all 4 streams, not rank 0's 2
    code = main(["train", "--resume", "--out-dir", str(mixed), "--steps", "9", "--nproc", "1",
                 "--no-progress"])
    assert code == 0
    done = run_cli(["train", "--resume", "--out-dir", str(mixed), "--steps", "12",
                    "--nproc", "2", "--no-progress"])
    assert done.returncode == 0, done.stderr
    assert "changed settings" not in done.stderr  # nproc is not a change of the run
    assert_same_curve(one, mixed)


@pytest.mark.slow
def test_plain_torchrun_runs_rnnlab(tmp_path: Path) -> None:
    """``torchrun --nproc-per-node 2 -m rnnlab train ...`` works as well as --nproc."""
    one, two = tmp_path / "one", tmp_path / "two"
    assert main([*CUE, "--steps", "6", "--out-dir", str(one)]) == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GLOO_SOCKET_IFNAME": "lo"}
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
         "-m", "rnnlab", *CUE, "--steps", "6", "--out-dir", str(two)],
        capture_output=True, text=True, timeout=TIMEOUT, env=env, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_same_curve(one, two)


# -- a rank that dies ---------------------------------------------------------------------------


def _worker_pid(launcher: int, rank: int, deadline: float) -> int:
    """The pid of the worker of ``rank`` among the launcher's children (Linux /proc)."""
    while time.monotonic() < deadline:
        children = Path(f"/proc/{launcher}/task/{launcher}/children")
        for pid in children.read_text().split() if children.exists() else []:
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if f"RANK={rank}".encode() in environ:
                return int(pid)
        time.sleep(0.2)
    raise AssertionError(f"no worker of rank {rank} appeared")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds workers through /proc")
def test_killing_a_rank_stops_the_job_and_last_resumes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    job = subprocess.Popen(
        [sys.executable, "-m", "rnnlab", *CUE, "--steps", "1000000", "--save-every", "3",
         "--out-dir", str(out), "--nproc", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + TIMEOUT
        victim = _worker_pid(job.pid, 1, deadline)
        while not (out / "last").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert (out / "last").exists(), "no checkpoint was saved"
        os.kill(victim, signal.SIGKILL)
        _, err = job.communicate(timeout=60)  # the job stops: no hang on the lost peer
    finally:
        if job.poll() is None:
            job.kill()
            job.communicate()
    assert job.returncode != 0
    assert "rank 1" in err and ("SIGKILL" in err or "lost contact" in err), err
    assert "Traceback" not in err, err
    step = load_checkpoint(out / "last").meta["step"]
    assert step >= 3
    code = main(["train", "--resume", "--out-dir", str(out), "--steps", str(step + 2),
                 "--nproc", "1", "--no-progress"])
    assert code == 0
    assert load_checkpoint(out / "last").meta["step"] == step + 2


@pytest.mark.slow
def test_sigterm_to_the_launcher_saves_last_on_every_rank(tmp_path: Path) -> None:
    """SIGTERM (a scheduler) to `rnnlab train --nproc 2` reaches the workers through the
    agent: they agree to stop after the same step, save last/, and exit 130."""
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    job = subprocess.Popen(
        [sys.executable, "-m", "rnnlab", *CUE, "--steps", "1000000", "--save-every", "1000000",
         "--out-dir", str(out), "--nproc", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and not (
                (out / "metrics.jsonl").exists() and records(out, "train")):
            time.sleep(0.2)  # training has begun: the workers' handlers are in place
        job.send_signal(signal.SIGTERM)
        out_text, err = job.communicate(timeout=120)
    finally:
        if job.poll() is None:
            job.kill()
            job.communicate()
    assert job.returncode == 130, err
    assert "stopped (interrupted)" in out_text, (out_text, err)
    assert load_checkpoint(out / "last").meta["step"] >= 1


def test_a_different_signal_right_after_the_first_is_the_same_interrupt() -> None:
    """Ctrl-C reaches a torchrun worker as SIGINT and then as the agent's SIGTERM: one
    request. The same signal twice is the user insisting: stop at once."""
    from rnnlab.train.session import GracefulInterrupt

    interrupt = GracefulInterrupt()
    interrupt._handle(signal.SIGINT, None)
    interrupt._handle(signal.SIGTERM, None)  # the echo: ignored
    assert interrupt.requested
    with pytest.raises(KeyboardInterrupt):
        interrupt._handle(signal.SIGINT, None)


# -- the pieces, in this process ----------------------------------------------------------------


def test_shards_are_fixed_contiguous_rows_and_weights_give_the_global_mean() -> None:
    task = make_task("cue-word")
    batch = next(iter(task.batches("train", 8, seed=3)))
    assert batch.lengths is not None and len(set(batch.lengths.tolist())) > 1  # unequal shards
    jobs = [Job(rank=r, world=2) for r in range(2)]
    shards = [job.shard(batch) for job in jobs]
    assert torch.equal(torch.cat([s.x for s in shards]), batch.x)
    assert torch.equal(torch.cat([s.lengths for s in shards]), batch.lengths)
    torch.manual_seed(0)
    output = torch.randn(*batch.y.shape, task.spec.output_size)
    whole = task.loss(output, batch)
    parts = [task.loss(output[j.rows(8)[0]:j.rows(8)[1]], s) for j, s in zip(jobs, shards,
                                                                              strict=True)]
    weights = [j.loss_weight(task, batch) for j in jobs]
    assert weights[0] != pytest.approx(1.0)  # the shards do hold different numbers of words
    # DDP averages over the two ranks: (w0 * l0 + w1 * l1) / 2 is the global batch's mean
    combined = sum(w * p for w, p in zip(weights, parts, strict=True)) / 2
    torch.testing.assert_close(combined, whole)


def test_carried_state_rows_go_to_the_rank_that_owns_them() -> None:
    h = torch.arange(2 * 6 * 3.0).view(2, 6, 3)  # (layers, B, H)
    state = [(h, h + 100)]
    local = Job(rank=1, world=3).local_state(state, 1)
    torch.testing.assert_close(local[0][0], h[:, 2:4])
    torch.testing.assert_close(local[0][1], h[:, 2:4] + 100)
    assert Job().local_state(state, 1) is state  # one process: untouched


def test_single_process_job_is_a_no_op() -> None:
    job = Job()
    batch = Batch(torch.zeros(3, 2, dtype=torch.long), torch.zeros(3, 2, dtype=torch.long))
    assert job.shard(batch) is batch and job.sum(2.5) == 2.5 and job.any(True, False) == (
        True, False)
    assert job.main_value(1.5) == 1.5 and job.from_main(lambda: 7) == 7


def test_batch_size_must_split_evenly(capsys: pytest.CaptureFixture[str]) -> None:
    one_line_error(capsys, [*CUE, "--batch-size", "7", "--nproc", "2", "--steps", "1"],
                   "batch_size 7", "2 processes")


def test_nproc_is_range_checked(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*CUE, "--nproc", "0"])
    assert_one_line_error(exit_info.value.code, capsys.readouterr().err, "nproc")


def test_nproc_from_python_says_to_use_torchrun(tmp_path: Path) -> None:
    from rnnlab.models import ModelConfig, build_model

    task = make_task("cue-word")
    model = build_model(ModelConfig(hidden_size=4), task.spec)
    with pytest.raises(UserError, match="torchrun"):
        train(model, task, TrainConfig(steps=1, nproc=2, device="cpu", progress=False))


def test_benchmark_reads_its_setups() -> None:
    from benchmarks.distributed import parse_setups

    assert parse_setups("1x1, 1x2,2") == [(1, 1), (1, 2), (2, 1)]


def test_validation_shares_add_up_to_the_whole_split_and_streams_are_not_shared(
        tmp_path: Path) -> None:
    from rnnlab.models import ModelConfig, build_model
    from rnnlab.train.evaluate import score_sums

    task = make_task("cue-word")
    torch.manual_seed(0)
    model = build_model(ModelConfig(hidden_size=6, embedding_dim=4), task.spec)
    whole = score_sums(model, task, "valid", batch_size=16, max_batches=5)
    shares = [score_sums(model, task, "valid", batch_size=16, max_batches=5,
                         mine=lambda i, r=r: i % 2 == r) for r in range(2)]
    assert whole and all(shares)
    for key, value in whole.items():
        assert sum(s[key] for s in shares) == pytest.approx(value, rel=1e-12)  # type: ignore[index]

    text = make_task("text", path=str(text_file(tmp_path)), seq_len=10)
    model = build_model(ModelConfig(hidden_size=6, embedding_dim=4), text.spec)
    assert score_sums(model, text, "valid", mine=lambda i: True) is None  # carries its state
    assert score_sums(model, text, "valid")  # but scored whole, it is a split like any other
