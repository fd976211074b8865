r"""Forecast metrics and the classical forecasters a network is measured against.

Every function here forecasts one column (n,) from a set of origins: an origin ``o`` is the
index of the last observed value, and its forecast covers ``o + 1 .. o + H``; the result is
(N origins, H). Parameters are fitted on the training part ``values[:n_train]`` only and then
run, not refitted, over the series up to each origin.

- :func:`seasonal_naive`: :math:`\hat y_{o+h} = y_{o+h-m\lceil h/m\rceil}` (``m = 1``: the
  last value).
- :func:`arima_forecasts`: statsmodels' ARIMA ``order`` (with the seasonal order
  ``(0, 1, 1, m)`` when ``1 < m <= 24``, Box and Jenkins' "airline model"), exact MLE.
- :func:`ets_forecasts`: statsmodels' Holt-Winters exponential smoothing: additive damped
  trend, seasonality multiplicative for a positive series and additive otherwise (none when
  ``m = 1``), initial states estimated on the training part with the smoothing parameters;
  the fitted model is filtered once over the whole series and each origin forecasts from its
  states (additive seasons are refiltered up to each origin).

:func:`forecast_metrics` scores (N, H, K) forecasts: MAE, RMSE, sMAPE (in %, the mean of
:math:`200|e|/(|y|+|\hat y|)`, 0 where both are 0) and MASE (the MAE over each target's
in-sample seasonal-naive MAE, :func:`mase_scale`, averaged over targets).
"""

from __future__ import annotations

import warnings

import numpy as np

from rnnlab.tasks.packaged import require

MAX_ARIMA_SEASON = 24  # longer seasons (co2's 52 weeks) make the seasonal ARIMA too slow to fit


def mase_scale(train: np.ndarray, season: int) -> float:
    """The in-sample MAE of the seasonal naive forecast on ``train`` (1 if it is 0)."""
    m = season if len(train) > season else 1
    return float(np.mean(np.abs(train[m:] - train[:-m]))) or 1.0


def forecast_metrics(pred: np.ndarray, truth: np.ndarray, scale: np.ndarray) -> dict[str, float]:
    """MAE, RMSE, sMAPE and MASE of (N, H, K) forecasts; ``scale`` (K,) from mase_scale."""
    e = pred - truth
    den = np.abs(truth) + np.abs(pred)
    smape = np.where(den > 0, 200.0 * np.abs(e) / np.where(den > 0, den, 1.0), 0.0)
    return {
        "mase": float(np.mean(np.abs(e) / scale)),
        "rmse": float(np.sqrt(np.mean(e**2))),
        "mae": float(np.mean(np.abs(e))),
        "smape": float(np.mean(smape)),
    }


def seasonal_naive(values: np.ndarray, origins: np.ndarray, H: int, season: int) -> np.ndarray:
    h = np.arange(1, H + 1)
    back = h - season * np.ceil(h / season).astype(int)  # <= 0: a value at or before o
    return values[origins[:, None] + back[None, :]]


def arima_order(train: np.ndarray, order: tuple[int, ...]) -> tuple[int, int, int]:
    """``order``, or (2, d, 1) with d = 0 when an ADF test on ``train`` rejects a unit root
    at 5 %, else d = 1."""
    if order:
        p, d, q = order
        return p, d, q
    adfuller = require("statsmodels.tsa.stattools", "forecast").adfuller
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p_value = adfuller(train, autolag="AIC")[1]
    return (2, 0, 1) if p_value < 0.05 else (2, 1, 1)


def arima_forecasts(values: np.ndarray, n_train: int, origins: np.ndarray, H: int,
                    order: tuple[int, int, int], season: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(forecasts (N, H), fitted parameters).

    The fitted model is run over the whole series, and the h-step forecast from origin o is
    the state prediction a(o+1|o) carried h - 1 more steps through the transition.
    """
    arima = require("statsmodels.tsa.arima.model", "forecast")
    seasonal = (0, 1, 1, season) if 1 < season <= MAX_ARIMA_SEASON else (0, 0, 0, 0)
    trend = "n" if seasonal[3] else ("c" if order[1] == 0 else ("t" if order[1] == 1 else "n"))
    model = arima.ARIMA(values[:n_train], order=order, seasonal_order=seasonal, trend=trend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter from statsmodels
        try:  # exact MLE via the innovations algorithm: several times faster
            fitted = model.fit(method="innovations_mle")
        except (ValueError, np.linalg.LinAlgError):
            fitted = model.fit()
        applied = fitted.apply(values)
    ssm = applied.model.ssm
    state = applied.filter_results.predicted_state  # (k, n + 1): a(t | t-1)
    T, Z = ssm["transition"], ssm["design"]
    T, Z = (T[:, :, 0] if T.ndim == 3 else T), (Z[:, :, 0] if Z.ndim == 3 else Z)
    c = ssm["state_intercept"].reshape(len(T), -1)
    d = ssm["obs_intercept"].reshape(1, -1)
    a = state[:, origins + 1]
    out = np.empty((len(origins), H))
    for j in range(H):  # a is a(o + 1 + j | o)
        t = origins + 1 + j
        out[:, j] = (Z @ a + (d[:, np.minimum(t, d.shape[1] - 1)] if d.shape[1] > 1 else d))[0]
        a = T @ a + (c[:, np.minimum(t, c.shape[1] - 1)] if c.shape[1] > 1 else c)
    return out, np.asarray(fitted.params)


def ets_forecasts(values: np.ndarray, n_train: int, origins: np.ndarray, H: int,
                  season: int = 1) -> np.ndarray:
    """Holt-Winters forecasts (N, H), parameters fitted on the training part."""
    holtwinters = require("statsmodels.tsa.holtwinters", "forecast")
    seasonal = None if season <= 1 else ("mul" if values.min() > 0 else "add")
    options = {"trend": "add", "damped_trend": True, "seasonal": seasonal,
               "seasonal_periods": season if seasonal else None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = holtwinters.ExponentialSmoothing(
            values[:n_train], initialization_method="estimated", **options).fit()
        p = fitted.params
        known = {"initial_level": p["initial_level"], "initial_trend": p["initial_trend"]}
        smoothing = {"smoothing_level": p["smoothing_level"],
                     "smoothing_trend": p["smoothing_trend"], "damping_trend": p["damping_trend"]}
        if seasonal:
            known["initial_seasonal"] = p["initial_seasons"]
            smoothing["smoothing_seasonal"] = p["smoothing_seasonal"]
        if seasonal != "add":  # one pass over the series; the states at o are causal
            full = holtwinters.ExponentialSmoothing(
                values, initialization_method="known", **known, **options)
            run = full.fit(optimized=False, **smoothing)
            damp = np.cumsum(p["damping_trend"] ** np.arange(1, H + 1))  # phi + .. + phi^h
            out = run.level[origins, None] + damp[None, :] * run.trend[origins, None]
            if seasonal:
                h = np.arange(1, H + 1)
                back = h - season * np.ceil(h / season).astype(int)
                out = out * run.season[origins[:, None] + back[None, :]]
            return out
        out = np.empty((len(origins), H))  # additive seasons: refiltered up to each origin
        for i, o in enumerate(origins):
            model = holtwinters.ExponentialSmoothing(
                values[: o + 1], initialization_method="known", **known, **options)
            out[i] = model.fit(optimized=False, **smoothing).forecast(H)
    return out
