"""Property-based tests (hypothesis): whatever the input, rnnlab answers with success or its own
one-line error, never a traceback, a hang or a half-written output (issue 10, deliver 4)."""

from __future__ import annotations

import io
import json
import math
import shutil
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from rnnlab.cli import build_parser, main  # noqa: E402
from rnnlab.errors import UserError  # noqa: E402

FAST = settings(max_examples=25, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

# Values that broke rnnlab when fuzzed: huge, negative, non-finite, tiny, not numbers at all.
NASTY = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e9", "1e39", "-1", "nan", "inf", "1e-45", "", "x", "0", "2**64", " 3"]),
    st.text(max_size=8),
)
NUMERIC_FLAGS = {
    "train": ["--batch-size", "--num-layers", "--hidden-size", "--lr", "--weight-decay",
              "--forget-bias", "--seed", "--eval-seed", "--steps", "--momentum", "--dropout",
              "--window", "--embedding-dim", "--proj-size", "--gamma", "--max-bad-steps",
              "--clip-grad-norm", "--minutes"],
    "generate": ["--length", "--temperature", "--top-k", "--seed"],
    "predict": ["--top-k"],
    "compare": ["--budget", "--seeds", "--steps", "--minutes", "--batch-size", "--lr",
                "--eval-size"],
    "heatmap": ["--max-tokens", "--count", "--layer"],
    "evaluate": ["--batch-size", "--max-batches"],
    "draw": ["--steps", "--input-size", "--output-size"],
}  # fmt: skip
PARSER = build_parser()  # parsing does not change the parser: one for every example
REQUIRED = {"generate": ["ckpt", "--prompt", "a"], "predict": ["ckpt", "--prompt", "a"],
            "heatmap": ["ckpt", "--text", "a"], "evaluate": ["ckpt"], "draw": ["-o", "x.svg"]}


def run_cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with redirect_stderr(err), redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse: a usage error
            code = int(e.code or 0)
    return code, err.getvalue()


def assert_own_error(code: int, err: str) -> None:
    assert "Traceback" not in err, err
    if code != 0:
        assert code == 2, (code, err)
        assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("command, flag", [(c, f) for c, flags in NUMERIC_FLAGS.items()
                                           for f in flags])
@settings(max_examples=8, deadline=None, database=None)
@given(value=NASTY)
def test_numeric_flags_parse_or_fail_in_one_line(command: str, flag: str, value: str) -> None:
    argv = [command, *REQUIRED.get(command, []), f"{flag}={value}"]
    err = io.StringIO()
    with redirect_stderr(err):
        try:
            args = PARSER.parse_args(argv)
        except SystemExit as e:
            assert e.code == 2
            assert len(err.getvalue().strip().splitlines()) == 1, err.getvalue()
            return
    parsed = getattr(args, flag[2:].replace("-", "_"))
    if isinstance(parsed, float):  # whatever parses is finite and far from float32's limit
        assert math.isfinite(parsed) and abs(parsed) <= 1e30
    if isinstance(parsed, int):
        assert abs(parsed) < 2**63
    if flag in ("--top-k", "--length", "--batch-size", "--steps", "--seed", "--budget"):
        assert parsed >= 0


@pytest.fixture(scope="module")
def text_ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    corpus = root / "corpus.txt"
    corpus.write_text("to be or not to be, that is the question.\n" * 30, encoding="utf-8")
    code = main(["train", "--task", "text", "-p", f"path={corpus}", "-p", "seq_len=16",
                 "--hidden-size", "8", "--embedding-dim", "4", "--steps", "2", "--batch-size",
                 "4", "--progress", "false", "--out-dir", str(root / "run")])
    assert code == 0
    return root / "run" / "last"


@settings(max_examples=12, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(prompt=st.text(max_size=20), top_k=st.sampled_from([-1, 0, 1, 3, 10**7]),
       length=st.integers(-2, 30),
       temperature=st.sampled_from(["0", "0.5", "1", "nan", "1e-45", "-1", "1e9"]))
def test_predict_and_generate_with_any_prompt(
    text_ckpt: Path, prompt: str, top_k: int, length: int, temperature: str
) -> None:
    assert_own_error(*run_cli(["predict", str(text_ckpt), "--prompt", prompt,
                               "--top-k", str(top_k)]))
    assert_own_error(*run_cli(["generate", str(text_ckpt), "--prompt", prompt, "--length",
                               str(length), "--temperature", temperature]))


@FAST
@given(content=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_the_text_loader_takes_any_bytes(content: bytes) -> None:
    from rnnlab.tasks import make_task

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.txt"
        path.write_bytes(content)
        try:
            make_task("text", path=str(path), seq_len="8")
        except UserError as e:
            assert "\n" not in str(e).strip()


CSV_CELL = st.one_of(st.floats(allow_nan=True).map(repr), st.text(max_size=6),
                     st.sampled_from(["", "NA", "1e400", '"', "1,2"]))


@FAST
@given(header=st.lists(st.text(max_size=5), min_size=0, max_size=3),
       rows=st.lists(st.lists(CSV_CELL, max_size=3), max_size=30),
       column=st.sampled_from(["", "value", "x"]))
def test_the_csv_loader_takes_any_table(header: list[str], rows: list[list[str]],
                                        column: str) -> None:
    from rnnlab.tasks.forecast import load_csv

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "series.csv"
        path.write_text("\n".join(",".join(r) for r in [header, *rows]), encoding="utf-8")
        try:
            values = load_csv(str(path), column)
        except UserError as e:
            assert "\n" not in str(e).strip()
        else:
            assert all(math.isfinite(v) for v in values)


@FAST
@given(content=st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                  st.integers(-(2**40), 2**40)), max_size=50))
def test_the_array_loader_takes_any_numbers(content: list[float]) -> None:
    from rnnlab.tasks import make_task

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "series.csv"
        path.write_text("value\n" + "\n".join(repr(v) for v in content), encoding="utf-8")
        try:
            make_task("forecast", series=str(path))
        except UserError as e:
            assert "\n" not in str(e).strip()


JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**65), 2**65),
              st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8)),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=6), children, max_size=3)),
    max_leaves=8,
)


def _paths(meta: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(meta, dict):
        for k, v in meta.items():
            out += _paths(v, (*prefix, k))
    return out


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_checkpoint_with_any_field_changed_loads_or_is_refused(
    text_ckpt: Path, data: Any
) -> None:
    from rnnlab.train import load_checkpoint, rebuild_model

    meta = json.loads((text_ckpt / "config.json").read_text())
    # the top two levels, where a crafted value meets rnnlab's code first
    where = data.draw(st.sampled_from([p for p in _paths(meta) if len(p) <= 2]))
    value = data.draw(JSON_VALUE)
    target = meta
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "ckpt"
        shutil.copytree(text_ckpt, ckpt)
        (ckpt / "config.json").write_text(json.dumps(meta))
        try:
            loaded = load_checkpoint(ckpt)
            rebuild_model(loaded)
            _ = (loaded.train_config, loaded.task_params, loaded.task_name, loaded.step)
        except UserError as e:
            assert "\n" not in str(e).strip()
