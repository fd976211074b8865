"""``Forecaster``: an rnnlab network forecasting a series, in scikit-learn's (and sktime's) style.

    from rnnlab import Forecaster
    f = Forecaster(horizon=12, window=24, season=12, log=True, family="gru").fit(y)
    f.predict()                 # the 12 values after the end of y (indexed by date for pandas)
    f.predict(24, y=newer)      # from the end of a newer stretch of the same series
    f.backtest()                # rolling-origin MASE, RMSE, MAE, sMAPE beside the baselines
    f.save("runs/air"); Forecaster.load("runs/air").predict()

It is the ``forecast`` task (:mod:`rnnlab.tasks.forecast`) on a series from Python, trained by
:func:`rnnlab.train.train`, so it splits, scales and scores as ``rnnlab train --task forecast``
does: the last ``test_size`` of the series is the backtest span and ``valid_size`` before it
validation; the network trains on the rest and forecasts from the end of all of it.

``y``: a pandas Series or DataFrame (one column per target; a DatetimeIndex or PeriodIndex
gives the dates, which order the steps and continue into the forecast), or an array (n,) or
(n, K). ``X``: other columns the network reads (inputs whose past it sees; their future is
unknown, so such a model forecasts at most ``horizon`` steps), as long as ``y``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnnlab.errors import UserError
from rnnlab.estimators.base import NetworkEstimator, _json_params, _known_params
from rnnlab.models import build_model
from rnnlab.tasks.array_data import to_numpy
from rnnlab.tasks.forecast import ForecastTask
from rnnlab.tasks.forecast_baselines import forecast_metrics
from rnnlab.tasks.forecast_data import Series, series_from_json, spacing
from rnnlab.train import checkpoint_meta, load_checkpoint, rebuild_model, train
from rnnlab.train.backtest import backtest, forecast_future
from rnnlab.train.checkpoint import kept_files, save_checkpoint
from rnnlab.utils import seed_everything

# the hyper-parameters that are the forecast task's parameters of the same names
FORECAST_PARAMS = ("horizon", "window", "strategy", "season", "relative", "log", "test_size",
                   "valid_size")


class Forecaster(NetworkEstimator):
    """Forecast the next ``horizon`` values of a series from its last ``window`` steps.

    Forecasting: ``horizon``, ``window``, ``strategy`` (direct: all horizon steps at once;
    recursive: one step, fed back), ``season`` (the seasonal naive baseline and MASE; 0 = 1),
    ``relative`` (predict the change from the window's last value: trending series), ``log``
    (model the logarithm: swings that grow with the level), ``test_size`` and ``valid_size``
    (the held-out tail and the validation span before it: fractions or numbers of steps).
    Model and training: as :class:`~rnnlab.SequenceClassifier`.

    Fitted attributes: ``model_``, ``task_`` (the fitted task with the series: scaling, MASE
    scale, columns), ``columns_`` (targets, then inputs), ``n_targets_``, ``history_``,
    ``stop_reason_``, ``n_steps_``.
    """

    def __init__(
        self,
        horizon: int = 1,
        window: int = 20,
        strategy: str = "direct",
        season: int = 0,
        relative: bool = False,
        log: bool = False,
        test_size: float = 0.2,
        valid_size: float = 0.1,
        family: str = "lstm",
        hidden_size: int = 64,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        layers: str = "",
        model_options: dict[str, Any] | None = None,
        lr: float = 5e-3,
        batch_size: int = 32,
        steps: int | None = None,
        epochs: int = 0,
        minutes: float = 0.0,
        patience: int = 0,
        train_options: dict[str, Any] | None = None,
        seed: int = 0,
        device: str = "cpu",
        out_dir: str | os.PathLike[str] | None = None,
        verbose: bool = False,
    ) -> None:
        self.horizon = horizon
        self.window = window
        self.strategy = strategy
        self.season = season
        self.relative = relative
        self.log = log
        self.test_size = test_size
        self.valid_size = valid_size
        self.family = family
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.layers = layers
        self.model_options = model_options
        self.lr = lr
        self.batch_size = batch_size
        self.steps = steps
        self.epochs = epochs
        self.minutes = minutes
        self.patience = patience
        self.train_options = train_options
        self.seed = seed
        self.device = device
        self.out_dir = out_dir
        self.verbose = verbose

    def _task_params(self, targets: Sequence[str]) -> dict[str, Any]:
        return {"series": "", "target": ",".join(targets),
                **{k: getattr(self, k) for k in FORECAST_PARAMS}}

    def fit(self, y: Any, X: Any = None, *, callbacks: Sequence[Any] | None = None
            ) -> Forecaster:
        """Train on the series ``y`` (and inputs ``X``); see the module docstring. Returns
        self."""
        series, targets = as_series(y, X)
        task = ForecastTask(data=series, **self._task_params(targets))
        model_config, train_config = self.model_config(), self.train_config()
        seed_everything(self.seed)  # the initial weights are part of the seed
        model = build_model(model_config, task.spec)
        result = train(model, task, train_config, callbacks=callbacks)
        self._set_fitted(model, task, train_config, _is_pandas(y))
        self.history_ = result.history
        self.stop_reason_ = result.stop_reason
        self.n_steps_ = result.steps
        return self

    def _set_fitted(self, model: Any, task: ForecastTask, train_config: Any, pandas: bool
                    ) -> None:
        self.model_ = model.eval()
        self.task_ = task
        self.train_config_ = train_config
        self.columns_ = tuple(task.data.columns)
        self.n_targets_ = task.K
        self._pandas = pandas  # fitted on pandas: forecasts come back as pandas, by date

    # -- forecasts --------------------------------------------------------------------------

    def predict(self, horizon: int | None = None, y: Any = None, X: Any = None) -> Any:
        """The ``horizon`` (default: the model's) values after the end of the fitted series, or
        of ``y`` (and ``X``): a newer stretch of the same columns, at least ``window`` long,
        scaled with the fitted statistics. A pandas Series (one target) or DataFrame indexed
        by the forecast's dates (or by the steps after the last) when fitted on pandas, else
        an array (horizon,) or (horizon, K)."""
        self._check_fitted()
        steps = self.task_.params.horizon if horizon is None else horizon
        if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
            raise UserError(f"horizon must be a whole number >= 1, got {steps!r}")
        task = self._history(y, X)
        result = forecast_future(self.model_, task, int(steps))
        values = result.values if self.n_targets_ > 1 else result.values[:, 0]
        if not self._pandas:
            return values
        import pandas as pd

        index = (pd.DatetimeIndex(result.dates) if all(result.dates)
                 else pd.RangeIndex(len(task.values), len(task.values) + int(steps)))
        if self.n_targets_ > 1:
            return pd.DataFrame(values, index=index, columns=list(result.columns))
        return pd.Series(values, index=index, name=result.columns[0])

    def _history(self, y: Any, X: Any) -> ForecastTask:
        if y is None:
            if X is not None:
                raise UserError("X without y: give the newer stretch of the series as y too")
            return self.task_
        series, _ = as_series(y, X)
        if _is_pandas(y) and tuple(series.columns) != self.columns_:
            raise UserError(f"the new series has columns {', '.join(series.columns)}; the model "
                            f"was fitted on {', '.join(self.columns_)}")
        return self.task_.on(series)

    def score(self, y: Any, X: Any = None) -> float:
        """Minus the MASE of the forecast of the ``len(y)`` values after the end of the fitted
        series against ``y``, their truth (greater is better, as scikit-learn's scores are;
        MASE scaled by the training part's seasonal naive error)."""
        truth, _ = as_series(y, X)
        values = truth.values[:, : self.n_targets_]
        forecast = self.predict(len(values))
        forecast = np.asarray(forecast, dtype=np.float64).reshape(len(values), self.n_targets_)
        scale = np.array(self.task_.params.mase_scale)
        return -forecast_metrics(forecast[None], values[None], scale)["mase"]

    def backtest(self, baselines: bool = True) -> dict[str, dict[str, float]]:
        """{'model': metrics, and each baseline's (last, seasonal, arima, ets)}: ``horizon``-step
        forecasts from every rolling origin of the held-out tail, scored by MASE, RMSE, MAE,
        sMAPE (what ``rnnlab evaluate RUN --split test`` prints)."""
        self._check_fitted()
        return backtest(self.model_, self.task_, baselines=baselines)

    # -- save, load -----------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write an rnnlab checkpoint folder with the series in it, so :meth:`load`,
        ``rnnlab forecast PATH`` and ``rnnlab evaluate PATH --split test`` forecast from the
        checkpoint alone (``-p series=FILE.csv``: from a CSV of the same columns). Returns the
        folder."""
        self._check_fitted()
        meta = checkpoint_meta(self.model_, self.task_, self.train_config_,
                               step=int(getattr(self, "n_steps_", 0)),
                               estimator={"class": type(self).__name__,
                                          "params": _json_params(self.get_params()),
                                          "pandas": bool(self._pandas)})
        # the series from Python is series.json, as in the checkpoints of the out_dir run
        return save_checkpoint(path, self.model_, meta, files=kept_files(self.task_))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Forecaster:
        """The forecaster saved at ``path`` (or the last/ or best/ checkpoint of its ``out_dir``
        run), or of any checkpoint of the ``forecast`` task (``rnnlab train --task forecast``:
        its series is read from its file)."""
        ckpt = load_checkpoint(path, load_state=False)
        if ckpt.task_name != ForecastTask.name:
            raise UserError(f"{ckpt.path} is a model of the task {ckpt.task_name!r}; a "
                            "Forecaster loads models of the 'forecast' task")
        saved = ckpt.meta.get("estimator") if isinstance(ckpt.meta.get("estimator"), dict) else {}
        series = series_from_json(saved.get("series"), ckpt.path)
        task = ForecastTask(data=series, **ckpt.task_params)
        params = _known_params(cls, saved.get("params"), ckpt.model_config)
        if not isinstance(saved.get("params"), dict):  # the command line's: from its task
            params.update({k: getattr(task.params, k) for k in FORECAST_PARAMS})
        estimator = cls(**params)
        # a command-line forecaster read a table (or a packaged series): pandas, by date
        pandas = saved.get("pandas") is True if saved else True
        estimator._set_fitted(rebuild_model(ckpt), task, ckpt.train_config, pandas)
        return estimator


# -- series from Python ------------------------------------------------------------------------


def _is_pandas(value: Any) -> bool:
    return hasattr(value, "index") and hasattr(value, "to_numpy")


def _columns(value: Any, name: str, prefix: str) -> tuple[np.ndarray, list[str]]:
    """(n, C) float64 values and column names of a Series, DataFrame, array or list."""
    array = np.asarray(to_numpy(value, name))
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[1] == 0:
        raise UserError(f"{name} must be a series (n,) or (n, columns); got shape {array.shape}")
    try:
        array = array.astype(np.float64)
    except (TypeError, ValueError):
        raise UserError(f"{name} must hold numbers, got dtype {array.dtype}") from None
    if hasattr(value, "columns"):
        names = [str(c) for c in value.columns]
    elif hasattr(value, "name") and value.name is not None:
        names = [str(value.name)]
    else:
        names = [prefix] if array.shape[1] == 1 else [f"{prefix}{i}" for i in range(array.shape[1])]
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        raise UserError(f"{name} holds NaN or inf (step {bad[0][0]}, column {names[bad[0][1]]!r}):"
                        " fill or drop the missing values first")
    return array, names


def _dates(value: Any) -> Any:
    """A DatetimeIndex from a pandas object's DatetimeIndex or PeriodIndex, else None."""
    index = getattr(value, "index", None)
    if index is None:
        return None
    import pandas as pd

    if isinstance(index, pd.PeriodIndex):
        return index.to_timestamp()
    if isinstance(index, pd.DatetimeIndex):
        return index.tz_convert(None) if index.tz is not None else index
    return None


def as_series(y: Any, X: Any = None) -> tuple[Series, list[str]]:
    """The forecast task's :class:`Series` (targets, then inputs, in date order) and the
    target names, from ``y`` and ``X``; one-line UserErrors for anything else."""
    values, targets = _columns(y, "y", "y")
    columns = list(targets)
    dates = _dates(y)
    if X is not None:
        inputs, names = _columns(X, "X", "x")
        if len(inputs) != len(values):
            raise UserError(f"X has {len(inputs)} steps, y has {len(values)}: they must match")
        twice = sorted(set(names) & set(targets))
        if twice:
            raise UserError(f"column {twice[0]!r} is both in y and in X")
        x_dates = _dates(X)
        if dates is not None and x_dates is not None and not x_dates.equals(dates):
            raise UserError("X and y have different dates in their index")
        values, columns = np.concatenate([values, inputs], axis=1), columns + names
    if len(values) < 3:
        raise UserError(f"y has {len(values)} steps: a series to forecast needs many more")
    series = Series(values, tuple(columns))
    if dates is not None:
        order = np.argsort(dates.to_numpy(), kind="stable")
        dates = dates[order]
        duplicated = np.flatnonzero(dates.duplicated())
        if len(duplicated):
            raise UserError(f"y's index has the date {dates[duplicated[0]]} twice")
        series.values, series.dates = values[order], dates
        series.freq = spacing(dates, "y")
    return series, targets
