"""The panel engine and the hierarchy on small synthetic panels: accuracy against the
baselines, the combination's choice, intermittent series, coherence, calibrated intervals,
the weekly-only rule and the shared panel cache."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from planner_forecast.ensemble import (
    EngineConfig,
    PanelForecast,
    best_subset,
    forecast_panel,
    stacked_weights,
)
from planner_forecast.hierarchy import forecast_hierarchy
from planner_forecast.manufacturing import StoreDemand, manufacturing_from_stores
from planner_forecast.panel import NotWeeklyError, bottom_panel, season_offset
from planner_forecast.rolling import FALLBACKS, FITS, FORWARDS, clear_caches
from planner_forecast.season import PanelCache
from planner_forecast.settings import ForecastSettings

WEEKS = 140
HORIZON = 8


def _seasonal_panel(stores: int = 6, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(WEEKS)
    data = {}
    for i in range(stores):
        level = 40 + 15 * i
        season = 0.3 * level * np.sin(2 * np.pi * (t / 52 + i / 10))
        for category in ("KNIT", "DRES"):
            trend = 0.05 * level * t / 52
            data[f"S{i:02d}|{category}"] = np.maximum(
                level + season + trend + rng.normal(0, 0.05 * level, WEEKS), 0
            )
    return pd.DataFrame(data, index=pd.date_range("2022-01-03", periods=WEEKS, freq="7D"))


def test_the_combination_beats_the_naive_forecasts_out_of_sample() -> None:
    panel = _seasonal_panel()
    history, future = panel.iloc[:-HORIZON], panel.iloc[-HORIZON:].to_numpy().T
    FALLBACKS.clear()
    clear_caches()
    result = forecast_panel(history, HORIZON, EngineConfig())
    # Every member fitted and rolled forward: none fell back to the last value.
    assert not FALLBACKS
    point = result.point[:, -1]
    naive = np.repeat(history.to_numpy()[-1][:, None], HORIZON, axis=1)
    error = np.abs(point - future).mean()
    assert error < np.abs(naive - future).mean()
    assert error < np.abs(result.members["seasonal_naive"][:, -1] - future).mean()
    # The season is the last window; every earlier one was scored against actuals.
    assert result.windows == 2
    assert np.isfinite(result.actual[:, :2]).all()
    assert np.isnan(result.actual[:, -1]).all()
    assert np.allclose(result.weights.sum(axis=1), 1.0)


def test_best_subset_picks_the_mean_that_backtests_best() -> None:
    actual = np.array([[10.0, 12.0], [20.0, 18.0]])
    high = actual + 2
    low = actual - 2
    wild = actual + 9
    backtest = np.stack([high, low, wild], axis=1)
    # high and low miss by 2 each, but their mean is exact.
    assert best_subset(backtest, actual, np.ones(2), [0, 1, 2]) == (0, 1)


def test_best_subset_scores_a_series_on_the_members_it_has() -> None:
    # Member 2 has no backtest on series 0 (too short for it): there a subset's mean is over
    # its other members, rather than the series dropping out of that subset's score.
    actual = np.array([[10.0], [20.0]])
    backtest = np.array([[[10.0], [14.0], [np.nan]], [[24.0], [20.0], [20.0]]])
    assert best_subset(backtest, actual, np.ones(2), [0, 1, 2], min_size=2) == (0, 2)
    # A series with no scored week at all does not count.
    unknown = np.array([[np.nan], [20.0]])
    assert best_subset(backtest, unknown, np.ones(2), [0, 1, 2], min_size=2) == (1, 2)


def test_stacked_weights_find_the_mix_that_fits_the_backtest() -> None:
    rng = np.random.default_rng(0)
    actual = rng.uniform(50, 150, size=(30, 13))
    high = actual * 1.10
    low = actual * 0.95
    wild = actual + rng.normal(0, 40, size=actual.shape)
    backtest = np.stack([high, low, wild], axis=1)
    # A third of `high` and two thirds of `low` is exact (1.10 / 3 + 0.95 * 2 / 3 = 1);
    # no equal-weight subset is.
    weights = stacked_weights(backtest, actual, np.ones(30), [0, 1, 2])
    assert np.allclose(weights, [1 / 3, 2 / 3, 0.0], atol=0.01)
    # A member that is not a candidate gets no weight; a thinned panel finds the same mix.
    assert stacked_weights(backtest, actual, np.ones(30), [0, 2])[1] == 0.0
    thinned = stacked_weights(backtest, actual, np.ones(30), [0, 1, 2], max_points=120)
    assert np.allclose(thinned, weights, atol=0.02)


def test_stacked_weights_leave_out_the_weeks_a_candidate_has_no_forecast_for() -> None:
    actual = np.array([[10.0, 10.0], [20.0, 20.0]])
    # Member 1 is exact where it forecasts; member 0 is off by 5 everywhere. Series 1 has no
    # forecast of member 1: its weeks are left out instead of counting as an error.
    backtest = np.array([[[15.0, 15.0], [10.0, 10.0]], [[25.0, 25.0], [np.nan, np.nan]]])
    assert np.allclose(stacked_weights(backtest, actual, np.ones(2), [0, 1]), [0.0, 1.0])
    # Nothing scored: equal weights over the candidates.
    unknown = np.full_like(actual, np.nan)
    assert np.allclose(stacked_weights(backtest, unknown, np.ones(2), [0, 1]), [0.5, 0.5])


def test_the_stacked_default_is_the_subset_mean_shrunk_toward_the_stacked_weights() -> None:
    panel = _seasonal_panel(stores=4)
    history = panel.iloc[:-HORIZON]
    subset = forecast_panel(history, HORIZON, EngineConfig(combination="cv_subset"))
    unshrunk = forecast_panel(history, HORIZON, EngineConfig(stack_share=0.0))
    default = forecast_panel(history, HORIZON, EngineConfig())
    # No share for the stacked weights: exactly the subset's mean.
    assert np.allclose(unshrunk.point, subset.point, equal_nan=True)
    assert np.allclose(default.weights.sum(axis=1), 1.0)
    assert (default.weights >= 0).all()
    # Half of the weight follows the stack, so the default differs from the plain mean and
    # its backtest MASE (what both minimise) is no worse than the subset's: the absolute error
    # is convex in the weights, and the subset's weights were among the stack's candidates.
    windows = default.windows
    known = default.actual[:, :windows]
    scale = np.abs(np.diff(history.to_numpy(), axis=0)).mean(axis=0)

    def mase(result: PanelForecast) -> float:
        error = np.abs(result.point[:, :windows] - known).mean(axis=(1, 2))
        return float(np.mean(error / scale))

    assert mase(default) <= mase(subset) + 1e-9
    assert not np.allclose(default.weights, subset.weights)


def test_mostly_zero_series_use_the_intermittent_models() -> None:
    rng = np.random.default_rng(0)
    panel = _seasonal_panel(stores=2).iloc[:, :2].copy()
    panel["S09|KNIT"] = (rng.random(WEEKS) < 0.15) * rng.integers(1, 4, WEEKS)
    result = forecast_panel(panel, HORIZON, EngineConfig())
    sparse = result.ids.index("S09|KNIT")
    assert result.intermittent[sparse]
    assert not result.intermittent[:sparse].any()
    used = {n for n, w in zip(result.member_names, result.weights[sparse], strict=True) if w > 0}
    assert used <= {"croston", "tsb", "imapa"}
    assert used
    assert 0 < result.point[sparse, -1].mean() < 1.5


def test_the_hierarchy_adds_up_and_its_intervals_are_calibrated() -> None:
    panel = _seasonal_panel(stores=8)
    clusters = {f"S{i:02d}": i % 2 for i in range(8)}
    result = forecast_hierarchy(panel, clusters, 4 + HORIZON, EngineConfig(), season_weeks=HORIZON)
    assert result.reconciliation == "mint_shrink"
    assert result.point.shape == (len(result.nodes), HORIZON)
    for category in ("KNIT", "DRES"):
        [total] = result.index("total", category)
        stores = result.index("store", category)
        clusters_ = result.index("cluster", category)
        assert len(stores) == 8
        assert len(clusters_) == 2
        assert np.allclose(result.point[total], result.point[stores].sum(axis=0))
        assert np.allclose(result.point[total], result.point[clusters_].sum(axis=0))
        assert result.season_total[total] == pytest.approx(result.season_total[stores].sum())
    assert (result.lower_95 <= result.lower_80).all()
    assert (result.upper_80 <= result.upper_95).all()
    assert (result.season_lower_95 <= result.season_total).all()
    # Calibrated on the backtest windows: the weekly intervals cover about what they say there.
    assert result.backtest_coverage["weekly_80"] == pytest.approx(0.80, abs=0.05)
    assert result.backtest_coverage["weekly_95"] == pytest.approx(0.95, abs=0.05)


def test_interval_widths_grow_with_the_forecast_level() -> None:
    # Two seasons and a half of a strong yearly season: the forecast's peak weeks sell about
    # twice its trough weeks. Their intervals are wider in proportion to the square root of
    # the level (count noise), not equal as the deseasonalised members' own spreads are.
    t = np.arange(140)
    rng = np.random.default_rng(5)
    data = {}
    for i in range(4):
        level = 100 + 20 * i
        seasonal = level * (1 + 0.35 * np.sin(2 * np.pi * t / 52))
        data[f"S{i:02d}|KNIT"] = np.maximum(seasonal + rng.normal(0, 0.04 * level, t.size), 0)
    panel = pd.DataFrame(data, index=pd.date_range("2022-01-03", periods=t.size, freq="7D"))
    result = forecast_hierarchy(panel, {f"S{i:02d}": 0 for i in range(4)}, 26, EngineConfig())
    store = result.index("store", "KNIT")[0]
    width = result.upper_80[store] - result.lower_80[store]
    point = result.point[store]
    peak, trough = int(np.argmax(point)), int(np.argmin(point))
    assert point[peak] > 1.6 * point[trough]
    ratio = width[peak] / width[trough]
    assert ratio == pytest.approx(np.sqrt(point[peak] / point[trough]), rel=0.25)
    assert ratio > 1.2


def test_a_monthly_history_is_refused_where_it_is_loaded() -> None:
    rows = pd.DataFrame(
        {
            "store_code": "S001",
            "category_code": "KNIT",
            "week_start": pd.date_range("2024-01-01", periods=12, freq="MS"),
            "units": 10.0,
        }
    )
    with pytest.raises(NotWeeklyError, match=r"monthly .*weekly series only"):
        bottom_panel(rows)


def test_gaps_inside_a_series_are_interpolated_and_before_its_start_are_zero() -> None:
    weeks = pd.date_range("2024-01-01", periods=4, freq="7D")
    rows = pd.DataFrame(
        {
            "store_code": ["S1", "S1", "S1", "S2", "S2"],
            "category_code": "KNIT",
            "week_start": [weeks[0], weeks[1], weeks[3], weeks[2], weeks[3]],
            "units": [10.0, 20.0, 40.0, 5.0, 7.0],
        }
    )
    panel = bottom_panel(rows)
    assert panel["S1|KNIT"].tolist() == [10.0, 20.0, 30.0, 40.0]
    assert panel["S2|KNIT"].tolist() == [0.0, 0.0, 5.0, 7.0]
    assert season_offset(weeks[-1], date(2024, 2, 5)) == 2
    with pytest.raises(ValueError, match="not after the last history week"):
        season_offset(weeks[-1], date(2024, 1, 1))


def test_store_safety_stocks_come_from_each_stores_interval() -> None:
    stores = [
        StoreDemand(store_code="A", season_total=100.0, lower_95=60.8, upper_95=139.2),
        StoreDemand(store_code="B", season_total=50.0, lower_95=49.0, upper_95=51.0),
    ]
    plan = manufacturing_from_stores("KNIT", stores, 10, service_level=0.9)
    # A: sigma 20, z(0.9) 1.2816 -> 25.6 %; B: a tight interval gets the 5 % floor.
    per_store = plan.reasoning["stores"]
    assert per_store["A"]["safety_stock_pct"] == pytest.approx(25.63, abs=0.01)
    assert per_store["B"]["safety_stock_pct"] == pytest.approx(5.0)
    assert plan.quantity == int(np.ceil(100 * 1.2563 + 50 * 1.05 - 10 - 1e-6))
    assert plan.forecast_units == 150.0


async def test_identical_panels_in_flight_share_one_fit() -> None:
    panel = _seasonal_panel(stores=2)
    cache = PanelCache(4)
    args = (panel, {"S00": 0, "S01": 1}, HORIZON, HORIZON, EngineConfig(), "wls_struct")
    key = PanelCache.key(*args)
    with ThreadPoolExecutor(2) as pool:
        (first, shared_a), (second, shared_b) = await asyncio.gather(
            cache.get(key, pool, *args), cache.get(key, pool, *args)
        )
        third, shared_c = await cache.get(key, pool, *args)
    assert first is second is third
    assert sorted([shared_a, shared_b]) == [False, True]
    assert shared_c
    other = PanelCache.key(panel * 2, *args[1:])
    assert other != key


def test_seasons_on_the_same_history_share_the_member_fits() -> None:
    panel = _seasonal_panel(stores=3)
    clear_caches()
    forecast_panel(panel, HORIZON, EngineConfig())
    fitted = FITS.misses
    core = len(EngineConfig().members)  # no series here is intermittent
    assert fitted == panel.shape[1] * core
    # Another horizon on the same history: every member's fit comes from the cache, and the
    # forecast is the one a cold run gives.
    longer = forecast_panel(panel, HORIZON + 4, EngineConfig())
    assert FITS.misses == fitted
    clear_caches()
    fresh = forecast_panel(panel, HORIZON + 4, EngineConfig())
    assert np.array_equal(longer.point, fresh.point)
    assert np.array_equal(longer.sd, fresh.sd)
    # A horizon in the same 26-week rounding: the forwards come from the cache too, cut.
    forwards = FORWARDS.misses
    shorter = forecast_panel(panel, HORIZON + 2, EngineConfig())
    assert FORWARDS.misses == forwards
    assert FORWARDS.hits > 0
    clear_caches()
    cold = forecast_panel(panel, HORIZON + 2, EngineConfig())
    assert np.array_equal(shorter.point, cold.point)
    assert np.array_equal(shorter.sd, cold.sd)
    # One series' history changes (a re-forecast's new week): only that series is refitted.
    changed = panel.copy()
    first = changed.columns[0]
    changed[first] = changed[first].where(changed.index != changed.index[-1], changed[first] + 5)
    before = FITS.misses
    forecast_panel(changed, HORIZON + 4, EngineConfig())
    assert FITS.misses - before == core


def test_the_backtest_rolls_the_whole_history_fit_from_each_origin() -> None:
    panel = _seasonal_panel(stores=2)
    result = forecast_panel(panel, HORIZON, EngineConfig(backtest_windows=2, backtest_step=6))
    n = len(panel)
    # Window k starts at its cutoff: its actuals are the history's weeks after it.
    assert np.array_equal(result.actual[:, 0], panel.iloc[n - 12 : n - 4].to_numpy().T)
    assert np.isnan(result.actual[:, 1, 6:]).all()  # weeks past the history
    assert np.array_equal(result.actual[:, 1, :6], panel.iloc[n - 6 :].to_numpy().T)
    # A seasonal member rolled to an origin keeps its yearly season (no re-decomposition).
    mstl = result.members["mstl"][:, 0]
    assert np.abs(mstl - result.actual[:, 0]).mean() < 0.2 * np.abs(result.actual[:, 0]).mean()


def test_prophet_is_an_optional_member() -> None:
    panel = _seasonal_panel(stores=1)
    config = EngineConfig(members=("auto_ets", "prophet"))
    result = forecast_panel(panel, HORIZON, config)
    assert "prophet" in result.member_names
    prophet = result.members["prophet"]
    assert np.isfinite(prophet).all()
    assert np.isfinite(result.sd).all()
    # Its backtest is scored like every member's, and it can be chosen.
    assert np.isfinite(result.backtest_mae["prophet"]).all()
    error = np.abs(prophet[:, 0] - result.actual[:, 0]).mean()
    assert error < np.abs(result.actual[:, 0]).mean() * 0.3


def test_the_members_setting_is_checked() -> None:
    assert ForecastSettings(members="auto_ets, prophet").engine_config().members == (
        "auto_ets",
        "prophet",
    )
    with pytest.raises(ValidationError, match="not fourier"):
        ForecastSettings(members="auto_ets,fourier")
    with pytest.raises(ValidationError, match="not croston"):
        ForecastSettings(members="croston")
