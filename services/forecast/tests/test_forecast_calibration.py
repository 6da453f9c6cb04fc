"""Interval calibration (issue 26): older backtest origins calibrate without changing the
combination, and the calibrated width never falls below the members' own at 95 %."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner_forecast.ensemble import EngineConfig, forecast_panel
from planner_forecast.frame import _calibration, forecast_frame
from planner_forecast.models import floored_multipliers

H = 8


def _panel(weeks: int, series: int = 5, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    data = {}
    for i in range(series):
        level = 50 + 10 * i
        data[f"s{i}"] = (
            level + 0.25 * level * np.sin(2 * np.pi * t / 52) + rng.normal(0, 0.05 * level, weeks)
        )
    return pd.DataFrame(data)


def test_floored_multipliers_keep_the_shape_and_floor_the_widest_level() -> None:
    # The backtest says 0.8 and 0.9: widened together until the 95 % one is the members' own.
    widened = floored_multipliers({80: 0.8, 95: 0.9}, 1.0)
    assert widened[95] == pytest.approx(1.0)
    assert widened[80] == pytest.approx(0.8 / 0.9)
    # Already wider than the members: the backtest's figures stand.
    assert floored_multipliers({80: 1.1, 95: 1.3}, 1.0) == {80: 1.1, 95: 1.3}
    # No floor: the conformal multipliers as they are (the rule before issue 26).
    assert floored_multipliers({80: 0.7, 95: 0.8}, 0.0) == {80: 0.7, 95: 0.8}


def test_older_origins_calibrate_but_do_not_change_the_forecast() -> None:
    wide = _panel(200)
    two = forecast_panel(wide, H, EngineConfig())
    four = forecast_panel(wide, H, EngineConfig(calibration_windows=4))
    # 200 weeks leave two seasons before four origins 13 weeks apart (200 - 52 >= 105).
    assert (two.windows, two.combination_windows) == (2, 2)
    assert (four.windows, four.combination_windows) == (4, 2)
    assert four.origins == (148, 161, 174, 187, 200)
    # The combination is chosen on the same two windows: same weights, same season.
    assert np.allclose(four.weights, two.weights)
    assert np.allclose(four.point[:, -1], two.point[:, -1])
    assert np.allclose(four.point[:, 2:], two.point)
    # The older windows are scored against their actuals too.
    assert np.isfinite(four.actual[:, :4]).all()
    assert np.isfinite(four.point[:, :2]).all()
    # A history too short for more windows keeps what it has.
    short = forecast_panel(_panel(140), H, EngineConfig(calibration_windows=4))
    assert short.windows == short.combination_windows == 2


def test_the_calibrated_width_is_never_below_the_members_own() -> None:
    wide = _panel(150)
    base = forecast_panel(wide, H, EngineConfig())
    raw = _calibration(base, 0.0)
    floored = _calibration(base, 1.0)
    assert floored[95] >= 1.0 - 1e-12
    assert floored[95] >= raw[95]
    # Same shape: the 80 % and 95 % multipliers keep their ratio.
    assert floored[80] / floored[95] == pytest.approx(raw[80] / raw[95])
    long = wide.reset_index(names="ds").melt(id_vars="ds", var_name="unique_id", value_name="y")
    out = forecast_frame(long, H)
    half = (out["hi-95"] - out["lo-95"]) / 2
    sd = base.sd[:, -1].reshape(-1)
    assert np.all(half.to_numpy() >= 1.959 * sd - 1e-9)
    assert out.attrs["diagnostics"]["calibration"][95] >= 1.0 - 1e-12


def test_seasonal_naive_on_less_than_a_season_repeats_the_last_week() -> None:
    # 40 weeks: there is no same week last year; statsforecast's seasonal naive would repeat
    # the history's first weeks (issue 26), the member forecasts the last value instead.
    from planner_forecast.models import build_member

    y = np.arange(40.0)
    fit = build_member("seasonal_naive", 52).new().fit(y=y)
    assert fit.predict(h=3)["mean"].tolist() == [39.0, 39.0, 39.0]
    assert fit.forward(y=y[:30], h=2)["mean"].tolist() == [29.0, 29.0]
    # With a season of history it is the same week last year, as before.
    long = np.arange(60.0)
    assert build_member("seasonal_naive", 52).new().fit(y=long).predict(h=2)["mean"].tolist() == [
        8.0,
        9.0,
    ]


def test_the_seasonal_naive_is_left_out_where_its_backtest_cannot_judge_it() -> None:
    # 60 weeks: the backtest origins (34 and 47 weeks in) have no same week last year, so the
    # seasonal naive is the last value there and last year's weeks in the season; it is not
    # fitted on such series. With a season before the oldest origin (80 weeks) it is.
    rng = np.random.default_rng(2)
    walks = pd.DataFrame({f"w{i}": 100 + np.cumsum(rng.normal(0, 3, 80)) for i in range(3)})
    young = forecast_panel(walks.iloc[-60:].reset_index(drop=True), H, EngineConfig())
    j = young.member_names.index("seasonal_naive")
    assert np.isnan(young.members["seasonal_naive"]).all()
    assert np.allclose(young.weights[:, j], 0.0)
    older = forecast_panel(walks, H, EngineConfig())
    assert np.isfinite(older.members["seasonal_naive"][:, -1]).all()
