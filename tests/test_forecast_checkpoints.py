"""A forecast checkpoint cannot drift: its scaling and columns are recorded, its file is
recorded by absolute path and content hash, and a changed file is refused unless asked."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers_cli import one_line_error

from rnnlab.cli import main
from rnnlab.tasks import make_task

pytest.importorskip("statsmodels")


def write_series(path: Path, values: np.ndarray) -> Path:
    path.write_text("day,load\n" + "".join(f"{i},{float(v)!r}\n" for i, v in enumerate(values)))
    return path


def level_series(n: int, level: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return level + np.cumsum(rng.normal(0, 0.3, n)) * 0.2 + rng.normal(0, 2.0, n)


@pytest.fixture
def trained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """A forecaster trained from a CSV named by a *relative* path (as the issue's user did)."""
    monkeypatch.chdir(tmp_path)
    write_series(tmp_path / "load.csv", level_series(300, 11.5))
    code = main(["train", "--task", "forecast", "-p", "series=load.csv", "-p", "column=load",
                 "-p", "window=8", "--family", "gru", "--hidden-size", "8", "--steps", "30",
                 "--out-dir", "run", "--progress", "false"])
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    return tmp_path


def evaluate(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, float]:
    assert main(["evaluate", *args, "--split", "test", "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out.splitlines()[0])


def test_the_checkpoint_records_the_scaling_the_columns_and_the_file(trained: Path) -> None:
    meta = json.loads((trained / "run" / "last" / "config.json").read_text())
    params = meta["task"]["params"]
    path = str(trained / "load.csv")
    assert params["series"] == path and params["fitted_on"] == path  # absolute
    assert len(params["sha256"]) == 64
    assert params["target"] == "load" and params["inputs"] == "none"
    train = level_series(300, 11.5)[: 300 - 60 - 30]
    assert params["scale_mean"] == pytest.approx([train.mean()])
    assert params["scale_std"] == pytest.approx([train.std()])
    assert params["mase_scale"] == pytest.approx([np.mean(np.abs(np.diff(train)))])
    # rebuilt from its params, the task uses what they record, whatever the file holds
    rebuilt = make_task("forecast", **params)
    assert rebuilt.mean.tolist() == params["scale_mean"]


def test_a_grown_file_is_refused_and_allowed_only_with_the_recorded_scaling(
    trained: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = evaluate(capsys, "run")
    # The defect: 200 rows appended at another level moved the mean and std, and
    # evaluate silently reported a far worse RMSE. Now: one line naming the file, exit 2.
    grown = np.concatenate([level_series(300, 11.5), level_series(200, 14.0, seed=1)])
    write_series(trained / "load.csv", grown)
    err = one_line_error(capsys, ["evaluate", "run", "--split", "test"], "load.csv",
                         "changed", "allow_changed=true")
    assert str(trained / "load.csv") in err
    after = evaluate(capsys, "run", "-p", "allow_changed=true")
    params = json.loads((trained / "run" / "last" / "config.json").read_text())["task"]["params"]
    task = make_task("forecast", **{**params, "allow_changed": True})
    grown_train = grown[: task.n_train]
    assert task.mean[0] != pytest.approx(grown_train.mean())  # not re-fitted on the new rows
    # The model is scored on the grown file's tail with the scaling it was trained with.
    assert after["rmse"] < 3 * before["rmse"]


def test_from_another_directory_the_file_is_found(
    trained: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    here = evaluate(capsys, "run")
    elsewhere = trained / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert evaluate(capsys, str(trained / "run")) == here


def test_a_new_file_is_evaluated_with_the_recorded_scaling(
    trained: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_series(trained / "new.csv", level_series(150, 11.5, seed=3) + 0.5)
    metrics = evaluate(capsys, "run", "-p", "series=new.csv")
    assert np.isfinite(metrics["rmse"])
    params = json.loads((trained / "run" / "last" / "config.json").read_text())["task"]["params"]
    task = make_task("forecast", **{**params, "series": str(trained / "new.csv")})
    assert task.mean.tolist() == params["scale_mean"]  # recorded, not fitted on new.csv
    assert task.params.fitted_on == str(trained / "load.csv")


def test_an_edited_scaling_is_refused(trained: Path) -> None:
    from rnnlab.errors import UserError

    params = json.loads((trained / "run" / "last" / "config.json").read_text())["task"]["params"]
    with pytest.raises(UserError, match="recorded scaling"):
        make_task("forecast", **{**params, "scale_std": [0.0]})
    with pytest.raises(UserError, match="recorded scaling is for 2 columns, the data has 1"):
        make_task("forecast", **{**params, "scale_mean": [1.0, 2.0], "scale_std": [1.0, 1.0]})
