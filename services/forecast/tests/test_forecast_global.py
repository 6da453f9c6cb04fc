"""The global LightGBM member (`lgbm`): trained across the panel inside the backtest,
deterministic, weighed by the combination like the statistical members."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner_forecast.ensemble import DEFAULT_MEMBERS, EngineConfig, forecast_panel
from planner_forecast.global_member import TRAINED, global_forecasts
from planner_forecast.models import build_member, has_native_intervals

H = 8


def _panel(weeks: int = 150, series: int = 12, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    data = {}
    for i in range(series):
        level = 20 + 30 * i
        shape = 1 + 0.4 * np.sin(2 * np.pi * t / 52)
        data[f"s{i:02d}"] = level * shape + rng.normal(0, 0.05 * level, weeks)
    return pd.DataFrame(data)


def test_the_global_member_learns_the_shared_season_and_is_deterministic() -> None:
    # Three years of history, forecast where the season climbs steeply (its phase 0).
    wide = _panel(156 + H)
    history, future = wide.iloc[:-H], wide.iloc[-H:].to_numpy().T
    TRAINED.clear()
    first = global_forecasts(history, (len(history),), H)[:, 0]
    TRAINED.clear()
    again = global_forecasts(history, (len(history),), H)[:, 0]
    assert np.array_equal(first, again)
    # Every series shares one season at its own scale: the global model follows it.
    naive = np.repeat(history.to_numpy()[-1][:, None], H, axis=1)
    assert np.abs(first - future).mean() < 0.5 * np.abs(naive - future).mean()


def test_the_global_member_is_backtested_and_weighed_like_the_others() -> None:
    wide = _panel()
    members = (*DEFAULT_MEMBERS, "lgbm")
    config = EngineConfig(members=members, calibration_windows=3)
    result = forecast_panel(wide, H, config)
    assert "lgbm" in result.member_names
    cube = result.members["lgbm"]
    first = result.windows - result.combination_windows
    assert first == 1
    # Trained before each of the combination's origins and for the season; not at the older
    # calibration-only origins, where the combination is renormalised over the others.
    assert np.isfinite(cube[:, first:]).all()
    assert np.isnan(cube[:, :first]).all()
    assert np.isfinite(result.point).all()
    assert np.allclose(result.weights.sum(axis=1), 1.0)
    assert np.isfinite(result.backtest_mae["lgbm"]).all()
    # No intervals of its own: the spread is the weighted statistical members'.
    assert not has_native_intervals("lgbm")
    assert (result.sd[:, -1] > 0).all()


def test_the_global_member_is_not_a_per_series_model() -> None:
    with pytest.raises(ValueError, match="whole panel"):
        build_member("lgbm", 52)


def test_short_series_get_no_global_forecast_before_they_have_weeks() -> None:
    wide = _panel(60, 3)
    wide.iloc[:55, 0] = np.nan  # a series of 5 weeks
    out = global_forecasts(wide, (50, 60), H)
    assert np.isnan(out[0]).all()
    assert np.isfinite(out[1:]).all()
