"""Weekly demand forecast for one series: Prophet + SARIMAX + seasonal naive, weighted by backtest.

`forecast_series` is a top-level function over plain data (a pandas Series in, a frozen
pydantic model out), so a `ProcessPoolExecutor` can run it. How it decides:

1. Degenerate histories short-circuit with a `fallback_reason`: none at all, all zero, flat
   (zero variance) or shorter than `min_history_weeks` (history mean).
2. Otherwise every member model is refitted at a few rolling origins on the history (the
   backtest) and scored by WAPE over the weeks it forecast.
3. Weights are inverse backtest WAPE (a model that fails anywhere gets 0); `method` is
   "ensemble", or the model's name when only one is left. There is deliberately no switch to
   the best single model when it beat the weighting in the same backtest: three origins are
   too few to pick a winner, and in the rolling-origin benchmark (bench/forecast_accuracy.py,
   50 series) that switch made the ensemble worse on both the sample and the Walmart series
   (mean WAPE 0.0509 vs 0.0501 and 0.0410 vs 0.0395).
4. The weighted members are fitted on the whole history for the season's weeks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from planner_forecast.metrics import FloatArray, wape
from planner_forecast.models import (
    MODEL_NAMES,
    SEASON_PERIOD,
    ArimaSpec,
    ModelForecast,
    ModelName,
    arima_forecast,
    mean_forecast,
    prophet_forecast,
    seasonal_naive,
    select_arima,
)

_BACKTEST_MIN_TRAIN = 8


@dataclass(frozen=True)
class EnsembleConfig:
    backtest_origins: int = 3
    backtest_max_horizon: int = 13
    min_history_weeks: int = 12
    # Two full years before yearly seasonality is fitted: with one, the "season" is one
    # noisy sample of each week and the seasonal difference leaves nothing to fit.
    yearly_min_weeks: int = 2 * SEASON_PERIOD
    members: tuple[ModelName, ...] = MODEL_NAMES
    prophet_samples: int = 1000
    seed: int = 0


class ForecastResult(BaseModel):
    """One series' forecast for the season's weeks, with how it was made."""

    model_config = ConfigDict(frozen=True)

    week_starts: list[date]
    point: list[float]
    lower_80: list[float]
    upper_80: list[float]
    lower_95: list[float]
    upper_95: list[float]
    baseline: list[float]
    season_total: float
    # Sums of the weekly bounds: multi-week errors are dominated by a shared level error, so
    # treating the weeks as moving together is the honest (if conservative) season interval.
    season_lower_80: float
    season_upper_80: float
    season_lower_95: float
    season_upper_95: float
    baseline_total: float
    method: str
    weights: dict[str, float]
    backtest_wape: dict[str, float]
    fallback_reason: str | None = None
    diagnostics: dict[str, Any]


class ReforecastResult(BaseModel):
    """In-season re-forecast: the weeks so far as actuals, the rest forecast again."""

    model_config = ConfigDict(frozen=True)

    weeks_elapsed: int
    actual_to_date: float
    remaining: ForecastResult
    season_total: float
    previous_season_total: float | None
    change: float | None
    change_pct: float | None


@dataclass(frozen=True)
class _Weekly:
    dates: pd.DatetimeIndex
    y: FloatArray


def _weekly(history: pd.Series) -> _Weekly:
    """History on a complete weekly grid; a week with no record is NaN (unknown), not zero."""
    if history.empty:
        return _Weekly(pd.DatetimeIndex([]), np.array([], dtype=float))
    series = pd.Series(
        history.to_numpy(dtype=float), index=pd.DatetimeIndex(pd.to_datetime(history.index))
    ).sort_index()
    if series.index.has_duplicates:
        raise ValueError("history has more than one value for the same week")
    first = series.index[0]
    offsets = (series.index - first).days
    if np.any(offsets % 7 != 0):
        raise ValueError("history dates are not on one weekly grid (7 days apart)")
    grid = pd.date_range(first, series.index[-1], freq="7D")
    return _Weekly(grid, series.reindex(grid).to_numpy(dtype=float))


def _steps_to(start: date, last: pd.Timestamp) -> int:
    """Grid weeks from the last history week to the week nearest `start` (at least 1)."""
    steps = round((pd.Timestamp(start) - last).days / 7)
    if steps < 1:
        raise ValueError(
            f"season start {start.isoformat()} is not after the last history week "
            f"{last.date().isoformat()}"
        )
    return steps


def _combine(
    forecasts: dict[ModelName, ModelForecast], weights: dict[ModelName, float]
) -> ModelForecast:
    """Weighted average of the members' points and, quantile by quantile, of their bounds.

    Averaging quantiles (Vincentisation) rather than mixing the distributions keeps the
    combined interval as wide as the members' typical interval instead of widening it by their
    disagreement, which the backtest weights already account for. Backtest residuals were the
    alternative, but three origins give too few, strongly correlated errors to pin a 95% tail.
    """
    used = [name for name, weight in weights.items() if weight > 0]

    def mix(field: str) -> FloatArray:
        parts = [weights[name] * getattr(forecasts[name], field) for name in used]
        return np.asarray(np.sum(parts, axis=0), dtype=float)

    return ModelForecast(
        point=mix("point"),
        lower_80=mix("lower_80"),
        upper_80=mix("upper_80"),
        lower_95=mix("lower_95"),
        upper_95=mix("upper_95"),
    )


@dataclass(frozen=True)
class _Plan:
    yearly: bool
    arima: ArimaSpec | None
    arima_error: str | None


def _member_forecast(
    name: ModelName,
    data: _Weekly,
    steps: int,
    plan: _Plan,
    config: EnsembleConfig,
    *,
    intervals: bool,
) -> ModelForecast:
    if name == "prophet":
        return prophet_forecast(
            data.dates,
            data.y,
            steps,
            yearly=plan.yearly,
            intervals=intervals,
            samples=config.prophet_samples,
            seed=config.seed,
        )
    if name == "arima":
        if plan.arima is None:
            raise ValueError(plan.arima_error or "no ARIMA specification")
        return arima_forecast(data.y, steps, plan.arima)
    return seasonal_naive(data.y, steps)


@dataclass(frozen=True)
class _Backtest:
    horizon: int
    origins: list[int]
    wape: dict[ModelName, float]
    errors: dict[ModelName, str]


def _backtest(data: _Weekly, steps: int, plan: _Plan, config: EnsembleConfig) -> _Backtest:
    n = data.y.size
    horizon = max(
        1,
        min(
            steps, config.backtest_max_horizon, (n - _BACKTEST_MIN_TRAIN) // config.backtest_origins
        ),
    )
    origins = [
        n - horizon * k
        for k in range(config.backtest_origins, 0, -1)
        if n - horizon * k >= _BACKTEST_MIN_TRAIN
    ]
    actuals = [data.y[cut : cut + horizon] for cut in origins]
    forecasts: dict[ModelName, list[FloatArray]] = {}
    errors: dict[ModelName, str] = {}
    scores: dict[ModelName, float] = {}
    for name in config.members:
        try:
            forecasts[name] = [
                _member_forecast(
                    name,
                    _Weekly(data.dates[:cut], data.y[:cut]),
                    horizon,
                    plan,
                    config,
                    intervals=False,
                ).point
                for cut in origins
            ]
        except Exception as exc:  # any failure means weight 0, reported
            errors[name] = f"{type(exc).__name__}: {exc}"
            continue
        scores[name] = wape(np.concatenate(actuals), np.concatenate(forecasts[name]))
    return _Backtest(horizon, origins, scores, errors)


def inverse_error_weights(scores: Mapping[ModelName, float]) -> dict[ModelName, float]:
    """Weights proportional to 1 / backtest WAPE, summing to 1.

    A model with an infinite or NaN score gets none; models with a perfect score (0) share
    everything, since any finite weight on the others would only add error.
    """
    finite = {name: score for name, score in scores.items() if np.isfinite(score)}
    if not finite:
        return {}
    perfect = [name for name, score in finite.items() if score == 0.0]
    if perfect:
        return {name: (1.0 / len(perfect) if name in perfect else 0.0) for name in finite}
    inverse = {name: 1.0 / score for name, score in finite.items()}
    total = sum(inverse.values())
    return {name: value / total for name, value in inverse.items()}


def _choose_weights(bt: _Backtest) -> tuple[dict[ModelName, float], str, str]:
    """Weights, the method name and a sentence saying why."""
    weights = inverse_error_weights(bt.wape)
    if not weights:
        return {}, "", ""
    used = [name for name, weight in weights.items() if weight > 0]
    scores = ", ".join(f"{name} {bt.wape[name]:.4f}" for name in weights)
    if len(used) == 1:
        # The only model that backtested, or the only one with a perfect backtest.
        return weights, used[0], f"{used[0]} alone (backtest WAPE {scores})"
    return weights, "ensemble", f"inverse backtest WAPE weights (WAPE {scores})"


def _result(
    forecast: ModelForecast,
    baseline: ModelForecast,
    week_starts: list[date],
    *,
    method: str,
    weights: dict[str, float],
    backtest_wape: dict[str, float],
    fallback_reason: str | None,
    diagnostics: dict[str, Any],
) -> ForecastResult:
    point = np.clip(forecast.point, 0.0, None)
    lower_95 = np.clip(np.minimum(forecast.lower_95, forecast.lower_80), 0.0, None)
    lower_80 = np.clip(np.minimum(forecast.lower_80, forecast.point), 0.0, None)
    upper_80 = np.clip(np.maximum(forecast.upper_80, forecast.point), 0.0, None)
    upper_95 = np.clip(np.maximum(forecast.upper_95, forecast.upper_80), 0.0, None)
    base = np.clip(baseline.point, 0.0, None)
    return ForecastResult(
        week_starts=week_starts,
        point=point.tolist(),
        lower_80=lower_80.tolist(),
        upper_80=upper_80.tolist(),
        lower_95=lower_95.tolist(),
        upper_95=upper_95.tolist(),
        baseline=base.tolist(),
        season_total=float(point.sum()),
        season_lower_80=float(lower_80.sum()),
        season_upper_80=float(upper_80.sum()),
        season_lower_95=float(lower_95.sum()),
        season_upper_95=float(upper_95.sum()),
        baseline_total=float(base.sum()),
        method=method,
        weights=weights,
        backtest_wape=backtest_wape,
        fallback_reason=fallback_reason,
        diagnostics=diagnostics,
    )


def _flat(value: float, steps: int) -> ModelForecast:
    line = np.full(steps, value)
    return ModelForecast(line, line, line, line, line)


def forecast_series(
    history: pd.Series,
    horizon_weeks: int,
    season_start: date | None = None,
    config: EnsembleConfig | None = None,
) -> ForecastResult:
    """Forecast `horizon_weeks` weeks of a weekly series from `season_start`.

    `history` is indexed by week-start dates 7 days apart (gaps are allowed and treated as
    unknown). Without `season_start` the season follows the history directly; with it, any
    weeks between the two are forecast and dropped, and the season's weeks are placed on the
    history grid at the week nearest `season_start`.
    """
    if horizon_weeks < 1:
        raise ValueError("horizon_weeks must be at least 1")
    config = config or EnsembleConfig()
    data = _weekly(history)
    n = data.y.size
    finite = data.y[np.isfinite(data.y)]
    if n == 0:
        if season_start is None:
            raise ValueError("an empty history needs a season_start to date the forecast")
        start = season_start
        skip = 0
    else:
        start = season_start or (data.dates[-1] + timedelta(weeks=1)).date()
        skip = _steps_to(start, data.dates[-1]) - 1
    steps = skip + horizon_weeks
    week_starts = [start + timedelta(weeks=i) for i in range(horizon_weeks)]
    season = slice(skip, steps)
    diagnostics: dict[str, Any] = {"history_weeks": n, "observed_weeks": int(finite.size)}

    def season_part(f: ModelForecast) -> ModelForecast:
        return ModelForecast(
            f.point[season],
            f.lower_80[season],
            f.upper_80[season],
            f.lower_95[season],
            f.upper_95[season],
        )

    baseline = (
        season_part(seasonal_naive(data.y, steps)) if finite.size else _flat(0.0, horizon_weeks)
    )

    def fallback(forecast: ModelForecast, method: str, reason: str) -> ForecastResult:
        return _result(
            forecast,
            baseline,
            week_starts,
            method=method,
            weights={},
            backtest_wape={},
            fallback_reason=reason,
            diagnostics=diagnostics,
        )

    if finite.size == 0:
        return fallback(_flat(0.0, horizon_weeks), "zero", "no_history: no sales recorded")
    if np.all(finite == 0.0):
        return fallback(_flat(0.0, horizon_weeks), "zero", "all_zero: every recorded week is 0")
    if np.ptp(finite) == 0.0:
        return fallback(
            _flat(float(finite[0]), horizon_weeks),
            "flat",
            f"flat: every recorded week is {finite[0]:g}, no variation to model",
        )
    if finite.size < config.min_history_weeks:
        return fallback(
            season_part(mean_forecast(data.y, steps)),
            "mean",
            f"short_history: {finite.size} weeks recorded, fewer than "
            f"{config.min_history_weeks} needed to fit and backtest models",
        )

    yearly = n >= config.yearly_min_weeks
    arima_spec: ArimaSpec | None = None
    arima_error: str | None = None
    if "arima" in config.members:
        try:
            arima_spec = select_arima(data.y, seasonal=yearly)
        except Exception as exc:  # ARIMA then fails in the backtest: weight 0, reported
            arima_error = f"{type(exc).__name__}: {exc}"
    plan = _Plan(yearly=yearly, arima=arima_spec, arima_error=arima_error)
    diagnostics["yearly_seasonality"] = yearly
    if arima_spec is not None:
        diagnostics["arima"] = {
            "order": list(arima_spec.order),
            "seasonal_order": list(arima_spec.seasonal_order),
            "trend": arima_spec.trend,
            "aic": arima_spec.aic,
        }

    bt = _backtest(data, steps, plan, config)
    diagnostics["backtest"] = {"horizon_weeks": bt.horizon, "origins": len(bt.origins)}
    model_errors: dict[str, str] = {str(name): error for name, error in bt.errors.items()}
    weights, method, selection = _choose_weights(bt)

    forecasts: dict[ModelName, ModelForecast] = {}
    for name, weight in weights.items():
        if weight <= 0:
            continue
        try:
            forecasts[name] = season_part(
                _member_forecast(name, data, steps, plan, config, intervals=True)
            )
        except Exception as exc:  # a failed final fit drops the model, reported
            model_errors[name] = f"{type(exc).__name__}: {exc}"
    if model_errors:
        diagnostics["model_errors"] = model_errors
    # Every member is reported, a failed or unused one with weight 0.
    weights = {name: (weights[name] if name in forecasts else 0.0) for name in config.members}
    total_weight = sum(weights.values())
    backtest_wape = {str(name): float(score) for name, score in bt.wape.items()}
    if total_weight <= 0:
        return _result(
            season_part(seasonal_naive(data.y, steps)),
            baseline,
            week_starts,
            method="seasonal_naive",
            weights={},
            backtest_wape=backtest_wape,
            fallback_reason="models_failed: "
            + "; ".join(f"{k}: {v}" for k, v in model_errors.items()),
            diagnostics=diagnostics,
        )
    weights = {name: w / total_weight for name, w in weights.items()}
    diagnostics["selection"] = selection
    return _result(
        _combine(forecasts, weights),
        baseline,
        week_starts,
        method=method,
        weights={name: float(w) for name, w in weights.items()},
        backtest_wape=backtest_wape,
        fallback_reason=None,
        diagnostics=diagnostics,
    )


def reforecast_with_actuals(
    history: pd.Series,
    actuals: pd.Series,
    horizon_weeks: int,
    season_start: date,
    previous_season_total: float | None = None,
    config: EnsembleConfig | None = None,
) -> ReforecastResult:
    """Append the season's actuals (weeks 1..k) to the history and forecast weeks k+1..H.

    The new season total is the actual units so far plus the forecast of the remaining weeks.
    Actual weeks are placed on the history grid at the nearest week, and win over any history
    value for the same week.
    """
    if actuals.empty:
        raise ValueError("a re-forecast needs at least one week of actuals")
    actual_dates = pd.DatetimeIndex(pd.to_datetime(actuals.index))
    weeks = np.round((actual_dates - pd.Timestamp(season_start)).days / 7).astype(int)
    if np.any(weeks < 0) or np.any(weeks >= horizon_weeks):
        raise ValueError("actuals must fall inside the season's weeks")
    if len(set(weeks.tolist())) != len(weeks):
        raise ValueError("actuals have more than one value for the same season week")
    elapsed = int(weeks.max()) + 1
    actual_to_date = float(np.nansum(actuals.to_numpy(dtype=float)))

    data = _weekly(history)
    if data.y.size:
        anchor = data.dates[-1] + timedelta(weeks=_steps_to(season_start, data.dates[-1]))
    else:
        anchor = pd.Timestamp(season_start)
    in_season = pd.Series(
        actuals.to_numpy(dtype=float),
        index=pd.DatetimeIndex([anchor + timedelta(weeks=int(w)) for w in weeks]),
    )
    combined = pd.concat([pd.Series(data.y, index=data.dates), in_season])
    combined = combined[~combined.index.duplicated(keep="last")].sort_index()

    remaining_weeks = horizon_weeks - elapsed
    next_start = season_start + timedelta(weeks=elapsed)
    if remaining_weeks == 0:
        remaining = _result(
            _flat(0.0, 0),
            _flat(0.0, 0),
            [],
            method="season_complete",
            weights={},
            backtest_wape={},
            fallback_reason="season_complete: every week has actuals",
            diagnostics={"history_weeks": int(combined.size)},
        )
    else:
        remaining = forecast_series(combined, remaining_weeks, next_start, config)
    season_total = actual_to_date + remaining.season_total
    change = None if previous_season_total is None else season_total - previous_season_total
    change_pct = (
        change / previous_season_total if change is not None and previous_season_total else None
    )
    return ReforecastResult(
        weeks_elapsed=elapsed,
        actual_to_date=actual_to_date,
        remaining=remaining,
        season_total=season_total,
        previous_season_total=previous_season_total,
        change=change,
        change_pct=change_pct,
    )
