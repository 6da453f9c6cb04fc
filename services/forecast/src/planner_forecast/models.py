"""The single models the ensemble combines: Prophet, SARIMAX and the naive baselines.

Every function takes plain arrays (NaN marks a week with no record) and returns a
`ModelForecast`, so they can run in a worker process and be refitted on truncated histories by
the backtest without any shared state.
"""

from __future__ import annotations

import functools
import logging
import warnings
from dataclasses import dataclass
from datetime import timedelta
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import pandas as pd

from planner_forecast.metrics import FloatArray

SEASON_PERIOD = 52
Z_80 = NormalDist().inv_cdf(0.90)
Z_95 = NormalDist().inv_cdf(0.975)

ModelName = Literal["prophet", "arima", "seasonal_naive"]
MODEL_NAMES: tuple[ModelName, ...] = ("prophet", "arima", "seasonal_naive")

# (p, q) pairs tried for the ARIMA part; small on purpose: weekly retail series are short and
# a larger search mostly buys overfitting and fit time.
_ARMA_CANDIDATES: tuple[tuple[int, int], ...] = ((0, 0), (1, 0), (0, 1), (1, 1), (2, 0))


@dataclass(frozen=True)
class ModelForecast:
    point: FloatArray
    lower_80: FloatArray
    upper_80: FloatArray
    lower_95: FloatArray
    upper_95: FloatArray


@dataclass(frozen=True)
class ArimaSpec:
    order: tuple[int, int, int]
    seasonal_order: tuple[int, int, int, int]
    trend: str
    aic: float


def _normal_forecast(point: FloatArray, sd: FloatArray) -> ModelForecast:
    return ModelForecast(
        point=point,
        lower_80=point - Z_80 * sd,
        upper_80=point + Z_80 * sd,
        lower_95=point - Z_95 * sd,
        upper_95=point + Z_95 * sd,
    )


def _last_finite(y: FloatArray) -> float:
    finite = y[np.isfinite(y)]
    return float(finite[-1]) if finite.size else 0.0


def seasonal_naive(y: FloatArray, steps: int, period: int = SEASON_PERIOD) -> ModelForecast:
    """The value one season earlier; the last value when the history is shorter than a season.

    Intervals assume normal errors with the spread of the in-sample seasonal (or one-step)
    differences, growing with the number of seasons (or weeks) ahead, as for a random walk.
    """
    n = y.size
    horizon = np.arange(1, steps + 1)
    if n >= period:
        source = y[n - period + (horizon - 1) % period]
        point = np.where(np.isfinite(source), source, _last_finite(y))
        residuals = y[period:] - y[:-period]
        growth = np.ceil(horizon / period)
    else:
        point = np.full(steps, _last_finite(y))
        residuals = np.diff(y)
        growth = horizon.astype(float)
    residuals = residuals[np.isfinite(residuals)]
    spread = float(residuals.std(ddof=1)) if residuals.size > 1 else float(np.nanstd(y))
    return _normal_forecast(point.astype(float), spread * np.sqrt(growth))


def mean_forecast(y: FloatArray, steps: int) -> ModelForecast:
    """History mean with the spread of a new observation around an estimated mean."""
    finite = y[np.isfinite(y)]
    mean = float(finite.mean()) if finite.size else 0.0
    sd = float(finite.std(ddof=1)) if finite.size > 1 else 0.0
    spread = sd * np.sqrt(1.0 + 1.0 / max(finite.size, 1))
    return _normal_forecast(np.full(steps, mean), np.full(steps, spread))


# ----------------------------------------------------------------------------- Prophet
@functools.cache
def _quiet_prophet_logging() -> None:
    # cmdstanpy configures its own logger on first use (INFO to stderr, per Stan chain), and
    # prophet.plot complains about plotly at import time: silence both before prophet loads.
    # Prophet's own warnings are about choices made here on purpose (yearly seasonality on a
    # backtest fold a little under two years), so only its errors get through.
    # prophet.forecaster sets its logger to INFO on import, hence the order.
    logging.getLogger("prophet.plot").setLevel(logging.CRITICAL)
    import prophet  # noqa: F401
    from cmdstanpy.utils import get_logger

    logging.getLogger("prophet").setLevel(logging.ERROR)
    get_logger().setLevel(logging.WARNING)


def prophet_forecast(
    dates: pd.DatetimeIndex,
    y: FloatArray,
    steps: int,
    *,
    yearly: bool,
    intervals: bool,
    samples: int = 1000,
    seed: int = 0,
) -> ModelForecast:
    """Prophet (linear trend, optional yearly seasonality, MAP fit) forecasting `steps` weeks.

    The season is multiplicative: retail peaks scale with the level (a category that grows
    20% sells 20% more at its peak, not the same extra units). In the rolling-origin
    benchmark (bench/forecast_accuracy.py) this cut Prophet's WAPE on the sample categories
    from 0.066 to 0.060 and left the Walmart stores unchanged (0.0446 -> 0.0444).

    Intervals come from Prophet's own predictive samples (trend changes plus noise), taken
    once and cut at the 80% and 95% quantiles; the backtest only needs points, so it skips them.
    """
    _quiet_prophet_logging()
    from prophet import Prophet

    model = Prophet(
        growth="linear",
        yearly_seasonality=yearly,
        weekly_seasonality=False,
        daily_seasonality=False,
        seasonality_mode="multiplicative",
        uncertainty_samples=samples if intervals else 0,
    )
    mask = np.isfinite(y)
    future = pd.DataFrame({"ds": [dates[-1] + timedelta(weeks=h) for h in range(1, steps + 1)]})
    with warnings.catch_warnings():
        # Prophet's own use of pandas APIs that newer pandas deprecates: not ours to fix, and
        # under `-W error` it would silently zero Prophet's weight.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"prophet\.")
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"prophet\.")
        model.fit(pd.DataFrame({"ds": dates[mask], "y": y[mask]}))
        if intervals:
            # Prophet draws from NumPy's global generator; seeding it keeps a re-run of the
            # same request (an at-least-once redelivery) identical to the first.
            np.random.seed(seed)
            draws = model.predictive_samples(future)["yhat"]
            quantiles = np.quantile(draws, [0.025, 0.10, 0.90, 0.975], axis=1)
        model.uncertainty_samples = 0
        point = model.predict(future)["yhat"].to_numpy(dtype=float)
    if not intervals:
        return _normal_forecast(point, np.zeros(steps))
    return ModelForecast(
        point=point,
        lower_80=np.minimum(quantiles[1], point),
        upper_80=np.maximum(quantiles[2], point),
        lower_95=np.minimum(quantiles[0], point),
        upper_95=np.maximum(quantiles[3], point),
    )


# ----------------------------------------------------------------------------- SARIMAX
class _StatsmodelsNoise(warnings.catch_warnings):
    """Silence the warnings statsmodels raises on routine optimiser trouble, and only those.

    Non-convergence or awkward start values on one candidate are expected while searching
    orders; the AIC and the backtest judge the result, not the warning.
    """

    def __enter__(self) -> None:
        from statsmodels.tools.sm_exceptions import (
            ConvergenceWarning,
            HessianInversionWarning,
            InterpolationWarning,
        )

        super().__enter__()
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", HessianInversionWarning)
        warnings.simplefilter("ignore", InterpolationWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module=r"statsmodels\.")
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"statsmodels\.")


def _differencing_order(y: FloatArray) -> int:
    """d in {0, 1} by the KPSS level-stationarity test at 5%, as auto.arima does."""
    from statsmodels.tsa.stattools import kpss

    finite = y[np.isfinite(y)]
    if finite.size < 8 or np.ptp(finite) == 0:
        return 0
    with _StatsmodelsNoise():
        result = kpss(finite, regression="c", nlags="auto", result_object=True)
    return 1 if result.pvalue < 0.05 else 0


@dataclass(frozen=True)
class _Fit:
    """A SARIMAX fitted to y / scale: its forecasts are multiplied back by `scale`."""

    result: Any
    scale: float

    @property
    def aic(self) -> float:
        """AIC in y's own units: every observation's density is 1 / scale that of y / scale."""
        observed = int(np.isfinite(self.result.model.endog).sum())
        return float(self.result.aic) + 2.0 * observed * float(np.log(self.scale))


def _scale(y: FloatArray) -> float:
    """y's spread, to fit on unit scale.

    statsmodels' optimiser stops far from the optimum on dollar sales (values ~1e6, variance
    ~1e8): on Walmart store 5 it left an MA coefficient at -0.17 where the optimum is -0.85.
    """
    finite = y[np.isfinite(y)]
    scale = float(np.std(finite)) if finite.size > 1 else 0.0
    return scale if np.isfinite(scale) and scale > 0.0 else 1.0


def _fit_sarimax(y: FloatArray, spec: ArimaSpec, *, simple_differencing: bool = False) -> _Fit:
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    scale = _scale(y)
    with _StatsmodelsNoise():
        model = SARIMAX(
            y / scale,
            order=spec.order,
            seasonal_order=spec.seasonal_order,
            trend=spec.trend,
            simple_differencing=simple_differencing,
        )
        # No parameter covariance: forecasts and their intervals come from the state-space
        # filter, and the default numerical OPG estimate costs most of the fit's time.
        return _Fit(model.fit(disp=False, maxiter=200, cov_type="none"), scale)


def select_arima(y: FloatArray, *, seasonal: bool) -> ArimaSpec:
    """Pick a small (S)ARIMA by AIC.

    Seasonal means one seasonal difference at period 52 (last year's week as the base), which
    needs two full years to leave a usable differenced series. d comes from a KPSS test on the
    (seasonally differenced) series so that every candidate is scored on the same data and
    their AICs compare. A constant is kept while the total differencing is at most one: it is
    the mean without differencing and the drift (yearly growth) with one.
    """
    big_d = 1 if seasonal else 0
    base = y[SEASON_PERIOD:] - y[:-SEASON_PERIOD] if seasonal else y
    d = _differencing_order(base)
    trend = "c" if d + big_d <= 1 else "n"
    seasonal_order = (0, big_d, 0, SEASON_PERIOD if seasonal else 0)
    best: ArimaSpec | None = None
    failures: list[str] = []
    for p, q in _ARMA_CANDIDATES:
        spec = ArimaSpec(order=(p, d, q), seasonal_order=seasonal_order, trend=trend, aic=0.0)
        try:
            # Ranking needs only comparable AICs: differencing before the fit keeps the state
            # space small (no 52 seasonal lags), which makes selection ~10x faster.
            # `arima_forecast` fits the chosen spec the same way.
            aic = _fit_sarimax(y, spec, simple_differencing=True).aic
        except (ValueError, np.linalg.LinAlgError) as exc:
            failures.append(f"{spec.order}: {exc}")
            continue
        if np.isfinite(aic) and (best is None or aic < best.aic):
            best = ArimaSpec(spec.order, spec.seasonal_order, spec.trend, aic)
    if best is None:
        raise ValueError("no ARIMA candidate could be fitted: " + "; ".join(failures))
    return best


def _differencing_polynomial(spec: ArimaSpec) -> FloatArray:
    """Coefficients of (1 - B)^d (1 - B^s)^D, lowest power of the backshift B first."""
    poly = np.array([1.0])
    for _ in range(spec.order[1]):
        poly = np.convolve(poly, [1.0, -1.0])
    big_d, period = spec.seasonal_order[1], spec.seasonal_order[3]
    for _ in range(big_d):
        seasonal = np.zeros(period + 1)
        seasonal[[0, period]] = [1.0, -1.0]
        poly = np.convolve(poly, seasonal)
    return poly


def _state_space_forecast(y: FloatArray, steps: int, spec: ArimaSpec) -> ModelForecast:
    """Forecast from SARIMAX in full state-space form: exact, handles gaps, but slow with a
    seasonal difference (52 extra states in every Kalman step)."""
    fit = _fit_sarimax(y, spec)
    with _StatsmodelsNoise():
        prediction = fit.result.get_forecast(steps)
        point = fit.scale * np.asarray(prediction.predicted_mean, dtype=float)
        ci_80 = fit.scale * np.asarray(prediction.conf_int(alpha=0.20), dtype=float)
        ci_95 = fit.scale * np.asarray(prediction.conf_int(alpha=0.05), dtype=float)
    return ModelForecast(
        point=point,
        lower_80=ci_80[:, 0],
        upper_80=ci_80[:, 1],
        lower_95=ci_95[:, 0],
        upper_95=ci_95[:, 1],
    )


def _differenced_forecast(
    y: FloatArray, steps: int, spec: ArimaSpec, difference: FloatArray
) -> ModelForecast:
    """The same model fitted on the differenced series, its forecast integrated back.

    The ARMA part is fitted on w = (1 - B)^d (1 - B^52) y (a 2-3 state filter instead of
    ~55) and the level forecast rebuilt from y's last weeks: y_t = w_t - sum_k a_k y_(t-k).
    The forecast error of y is that of the full model phi(B) (1 - B)^d (1 - B^52) y =
    theta(B) e, so its variance is sigma^2 times the running sum of the squared MA(inf)
    weights. Measured against the state-space form on the sample categories and Walmart
    stores: the same points and interval widths to 4 digits, ~13x faster (a test checks it).
    """
    from statsmodels.tsa.arima_process import arma2ma

    lags = difference.size - 1
    fit = _fit_sarimax(y, spec, simple_differencing=True)
    result = fit.result
    with _StatsmodelsNoise():
        w = fit.scale * np.asarray(result.get_forecast(steps).predicted_mean, dtype=float)
    level = np.concatenate([y[-lags:], np.zeros(steps)])
    for h in range(steps):
        t = lags + h
        level[t] = w[h] - float(difference[1:] @ level[t - 1 :: -1][:lags])
    ar = np.convolve(result.polynomial_ar, difference)
    psi = arma2ma(ar, result.polynomial_ma, lags=steps)
    names: list[str] = result.model.param_names
    sigma2 = float(np.asarray(result.params)[names.index("sigma2")]) * fit.scale**2
    sd = np.sqrt(max(sigma2, 0.0) * np.cumsum(psi**2))
    return _normal_forecast(level[lags:], sd)


def arima_forecast(y: FloatArray, steps: int, spec: ArimaSpec) -> ModelForecast:
    """SARIMAX with a fixed spec; intervals are its analytic Gaussian forecast intervals.

    Fitted on the differenced series when the weeks the integration needs are all recorded
    (the usual case, and much faster); in full state-space form otherwise, which estimates a
    missing week instead.
    """
    difference = _differencing_polynomial(spec)
    lags = difference.size - 1
    if lags > 0 and y.size > lags and np.all(np.isfinite(y[-lags:])):
        forecast = _differenced_forecast(y, steps, spec, difference)
    else:
        forecast = _state_space_forecast(y, steps, spec)
    if not np.all(np.isfinite(forecast.point)):
        raise ValueError("SARIMAX produced a non-finite forecast")
    return forecast
