"""The ensemble forecast on series with known answers, its fallbacks and its re-forecast."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from planner_forecast.ensemble import (
    EnsembleConfig,
    ForecastResult,
    forecast_series,
    inverse_error_weights,
    reforecast_with_actuals,
)
from planner_forecast.metrics import wape
from planner_forecast.models import (
    ArimaSpec,
    _fit_sarimax,
    _state_space_forecast,
    arima_forecast,
    select_arima,
)
from planner_forecast.parallel import init_worker

START = date(2022, 1, 3)  # a Monday, like the service's week starts


def weekly(values: np.ndarray, start: date = START) -> pd.Series:
    index = pd.DatetimeIndex([start + timedelta(weeks=i) for i in range(len(values))])
    return pd.Series(values, index=index)


def trend_and_season(weeks: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(weeks)
    truth = 1000.0 + 3.0 * t + 200.0 * np.sin(2 * np.pi * t / 52.18)
    rng = np.random.default_rng(seed)
    return truth, truth + rng.normal(0.0, noise, weeks)


def assert_well_formed(result: ForecastResult, horizon: int) -> None:
    assert len(result.week_starts) == horizon
    for name in ("point", "lower_80", "upper_80", "lower_95", "upper_95", "baseline"):
        assert len(getattr(result, name)) == horizon
    bands = np.array(
        [result.lower_95, result.lower_80, result.point, result.upper_80, result.upper_95]
    )
    assert np.all(bands >= 0)
    assert np.all(np.diff(bands, axis=0) >= -1e-9), "bands must nest around the point"
    assert result.season_total == pytest.approx(sum(result.point))


def test_recovers_known_trend_and_yearly_seasonality() -> None:
    truth, observed = trend_and_season(156 + 13, noise=25.0, seed=1)
    result = forecast_series(weekly(observed[:156]), 13)

    assert_well_formed(result, 13)
    assert result.fallback_reason is None
    assert result.diagnostics["yearly_seasonality"] is True
    future = truth[156:]
    # Within 3% week by week on average and 2% on the season: trend and season both found.
    assert np.mean(np.abs(np.array(result.point) - future) / future) < 0.03
    assert result.season_total == pytest.approx(future.sum(), rel=0.02)
    assert set(result.backtest_wape) == {"prophet", "arima", "seasonal_naive"}
    # Weights are exactly inverse backtest WAPE, with no switch to a single model.
    inverse = {name: 1.0 / score for name, score in result.backtest_wape.items()}
    total = sum(inverse.values())
    assert result.weights == pytest.approx({name: v / total for name, v in inverse.items()})
    assert result.method == "ensemble"
    # Seasonal naive repeats last year's level and misses a year of trend: it must lose.
    assert result.backtest_wape["seasonal_naive"] > min(result.backtest_wape.values())
    assert wape(future, np.array(result.point)) < wape(future, np.array(result.baseline))
    assert result.week_starts[0] == START + timedelta(weeks=156)


def test_weights_favour_the_model_the_series_is_built_for() -> None:
    # A spiky pattern that repeats exactly every 52 weeks: last year's week (seasonal naive
    # and the seasonally differenced ARIMA) is right, Prophet's smooth Fourier season is not.
    rng = np.random.default_rng(7)
    pattern = 500.0 + rng.choice([0.0, 0.0, 0.0, 900.0], size=52)
    series = np.tile(pattern, 3) + rng.normal(0.0, 5.0, 156)
    result = forecast_series(weekly(series), 13)

    wapes = result.backtest_wape
    assert wapes["prophet"] > 2 * min(wapes["seasonal_naive"], wapes["arima"])
    best = min(wapes, key=lambda name: wapes[name])
    assert max(result.weights, key=lambda name: result.weights[name]) == best
    assert result.weights["prophet"] < result.weights[best]
    assert result.method in {"ensemble", best}
    assert result.diagnostics["selection"]


def test_inverse_error_weights() -> None:
    weights = inverse_error_weights({"prophet": 0.1, "arima": 0.2, "seasonal_naive": np.inf})
    assert weights == pytest.approx({"prophet": 2 / 3, "arima": 1 / 3})
    assert inverse_error_weights({"prophet": 0.0, "arima": 0.2}) == {"prophet": 1.0, "arima": 0.0}
    assert inverse_error_weights({"arima": np.nan}) == {}


def seasonal_ma_dollars(seed: int) -> np.ndarray:
    """Dollar-scale weekly sales from y_t = y_(t-52) + 5000 + e_t - 0.6 e_(t-1), sd(e) = 20000."""
    rng = np.random.default_rng(seed)
    e = rng.normal(0.0, 20_000.0, 157)
    y = np.empty(156)
    y[:52] = 1_000_000.0 + 300_000.0 * np.sin(2 * np.pi * np.arange(52) / 52) + e[1:53]
    for t in range(52, 156):
        y[t] = y[t - 52] + 5_000.0 + e[t + 1] - 0.6 * e[t]
    return y


def test_arima_recovers_known_coefficients_on_dollar_scale() -> None:
    # Fitted on the raw dollars, statsmodels' optimiser stopped at an MA coefficient of -0.45
    # (differenced) and -0.02 (state-space form) on this series.
    y = seasonal_ma_dollars(3)
    spec = ArimaSpec(order=(0, 0, 1), seasonal_order=(0, 1, 0, 52), trend="c", aic=0.0)
    for simple_differencing in (True, False):
        fit = _fit_sarimax(y, spec, simple_differencing=simple_differencing)
        drift, theta, sigma2 = np.asarray(fit.result.params) * [fit.scale, 1.0, fit.scale**2]
        assert theta == pytest.approx(-0.6, abs=0.1)
        assert drift == pytest.approx(5_000.0, abs=3_000.0)
        assert np.sqrt(sigma2) == pytest.approx(20_000.0, rel=0.1)
    assert select_arima(y, seasonal=True).order == (0, 0, 1)


def test_differenced_arima_forecast_equals_the_state_space_form() -> None:
    y = seasonal_ma_dollars(1)[:130]
    spec = select_arima(y, seasonal=True)
    fast = arima_forecast(y, 13, spec)
    exact = _state_space_forecast(y, 13, spec)
    for field in ("point", "lower_80", "upper_80", "lower_95", "upper_95"):
        assert getattr(fast, field) == pytest.approx(getattr(exact, field), rel=1e-3)
    # A week missing in the last year leaves the differences undefined: the state-space form
    # estimates it, and the forecast barely moves.
    gap = y.copy()
    gap[-10] = np.nan
    gapped = arima_forecast(gap, 13, spec)
    assert np.all(np.isfinite(gapped.point))
    assert gapped.point == pytest.approx(exact.point, rel=0.03)


def test_intervals_cover_the_truth_at_about_the_stated_rate() -> None:
    horizon = 13
    inside_80 = inside_95 = total = 0
    for seed in range(6):
        rng = np.random.default_rng(100 + seed)
        values = 400.0 + rng.normal(0.0, 40.0, 90 + horizon)
        result = forecast_series(weekly(values[:90]), horizon)
        future = values[90:]
        inside_80 += int(
            np.sum((future >= result.lower_80) & (future <= np.array(result.upper_80)))
        )
        inside_95 += int(
            np.sum((future >= result.lower_95) & (future <= np.array(result.upper_95)))
        )
        total += horizon
    # 78 weeks of Gaussian noise: a calibrated 80% band covers 0.70-0.90 of them with ~95%
    # probability; the models' extra trend uncertainty may widen it a little, hence 0.97.
    assert 0.68 <= inside_80 / total <= 0.97
    assert inside_95 / total >= 0.88


def test_short_history_falls_back_to_the_mean_with_a_reason() -> None:
    values = np.array([10.0, 12.0, 9.0, 11.0, 13.0, 8.0, 10.0, 11.0])
    result = forecast_series(weekly(values), 6)

    assert_well_formed(result, 6)
    assert result.method == "mean"
    assert result.fallback_reason is not None
    assert result.fallback_reason.startswith("short_history")
    assert result.point == pytest.approx([values.mean()] * 6)
    assert result.weights == {}


def test_flat_series_gives_a_flat_forecast() -> None:
    result = forecast_series(weekly(np.full(40, 25.0)), 4)

    assert result.method == "flat"
    assert result.fallback_reason is not None
    assert result.fallback_reason.startswith("flat")
    assert result.point == [25.0] * 4
    assert result.lower_95 == result.upper_95 == [25.0] * 4


def test_all_zero_and_empty_histories_forecast_zero() -> None:
    zero = forecast_series(weekly(np.zeros(30)), 3)
    assert (zero.method, zero.point) == ("zero", [0.0] * 3)
    assert zero.fallback_reason is not None
    assert zero.fallback_reason.startswith("all_zero")

    empty = forecast_series(pd.Series(dtype=float), 3, season_start=date(2024, 3, 4))
    assert empty.fallback_reason is not None
    assert empty.fallback_reason.startswith("no_history")
    assert empty.week_starts[0] == date(2024, 3, 4)


def test_non_negative_intervals_on_a_series_near_zero() -> None:
    rng = np.random.default_rng(3)
    values = np.clip(rng.normal(2.0, 3.0, 60), 0.0, None)
    result = forecast_series(weekly(values), 8)
    assert_well_formed(result, 8)


def test_season_start_after_a_gap_forecasts_the_season_weeks() -> None:
    _, observed = trend_and_season(60, noise=10.0, seed=4)
    season_start = START + timedelta(weeks=60 + 5)
    result = forecast_series(weekly(observed), 6, season_start=season_start)

    assert result.week_starts == [season_start + timedelta(weeks=i) for i in range(6)]
    with pytest.raises(ValueError, match="not after the last history week"):
        forecast_series(weekly(observed), 6, season_start=START + timedelta(weeks=10))


def test_irregular_dates_are_refused() -> None:
    series = pd.Series(
        [1.0, 2.0, 3.0], index=pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-10"])
    )
    with pytest.raises(ValueError, match="weekly grid"):
        forecast_series(series, 2)


def test_reforecast_adds_actuals_to_the_remaining_forecast() -> None:
    _, observed = trend_and_season(70, noise=10.0, seed=5)
    history = weekly(observed[:60])
    season_start = START + timedelta(weeks=60)
    first = forecast_series(history, 10, season_start=season_start)
    # The season runs 30% hot for its first four weeks.
    actual_values = np.array(first.point[:4]) * 1.3
    actuals = weekly(actual_values, start=season_start)

    again = reforecast_with_actuals(
        history, actuals, 10, season_start, previous_season_total=first.season_total
    )

    assert again.weeks_elapsed == 4
    assert again.actual_to_date == pytest.approx(actual_values.sum())
    assert again.remaining.week_starts[0] == season_start + timedelta(weeks=4)
    assert len(again.remaining.point) == 6
    assert again.season_total == pytest.approx(actual_values.sum() + again.remaining.season_total)
    assert again.change == pytest.approx(again.season_total - first.season_total)
    assert again.change is not None
    assert again.change > 0, "a hot start must raise the season total"


def test_runs_in_a_worker_process_and_is_deterministic() -> None:
    _, observed = trend_and_season(40, noise=20.0, seed=6)
    history = weekly(observed)
    config = EnsembleConfig(prophet_samples=300)
    local = forecast_series(history, 4, None, config)
    with ProcessPoolExecutor(max_workers=1, initializer=init_worker) as pool:
        remote = pool.submit(forecast_series, history, 4, None, config).result()

    assert remote == local
    assert pickle.loads(pickle.dumps(remote)) == remote
