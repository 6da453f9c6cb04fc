"""`forecast_frame` on flat weekly panels: ragged series (different lengths and starts) are
each fitted on their own weeks, dates and integer weeks, what is refused, the intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner_forecast.ensemble import EngineConfig, forecast_panel
from planner_forecast.frame import COLUMNS, forecast_frame
from planner_forecast.panel import NotWeeklyError

H = 6


def _series(n: int, level: float, seed: int, season: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (
        level
        + season * np.sin(2 * np.pi * t / 52)
        + 0.02 * level * t / 52
        + rng.normal(0, 0.03 * level, n)
    )


def _long(series: dict[str, np.ndarray], ends: dict[str, pd.Timestamp]) -> pd.DataFrame:
    parts = []
    for key, y in series.items():
        ds = pd.date_range(end=ends[key], periods=y.size, freq="7D")
        parts.append(pd.DataFrame({"unique_id": key, "ds": ds, "y": y}))
    return pd.concat(parts, ignore_index=True)


def _ragged() -> pd.DataFrame:
    series = {
        "long": _series(170, 200.0, 1, season=40.0),
        "mid": _series(90, 50.0, 2),
        "short": _series(30, 10.0, 3),
    }
    # Different last weeks, and the short one's weeks end on a Wednesday.
    ends = {
        "long": pd.Timestamp("2024-06-02"),
        "mid": pd.Timestamp("2024-03-03"),
        "short": pd.Timestamp("2024-05-15"),
    }
    return _long(series, ends)


def test_each_series_of_a_ragged_panel_is_forecast_from_its_own_end() -> None:
    frame = _ragged()
    out = forecast_frame(frame, H)
    assert list(out.columns) == list(COLUMNS)
    assert len(out) == 3 * H
    for key, group in frame.groupby("unique_id"):
        mine = out[out["unique_id"] == key]
        expected = pd.date_range(group["ds"].max() + pd.Timedelta(days=7), periods=H, freq="7D")
        assert list(mine["ds"]) == list(expected)
        # Forecast at its own level: no zeros or other series' weeks were fitted.
        level = group["y"].iloc[-13:].mean()
        assert np.abs(mine["point"].to_numpy() - level).max() < 0.25 * level
    assert np.isfinite(out[list(COLUMNS[2:])].to_numpy()).all()
    assert (out["lo-95"] <= out["lo-80"]).all()
    assert (out["lo-80"] <= out["point"]).all()
    assert (out["point"] <= out["hi-80"]).all()
    assert (out["hi-80"] <= out["hi-95"]).all()


def test_a_series_in_a_ragged_panel_gets_the_forecast_it_gets_alone() -> None:
    # With the plain mean of the members (no pooled choice), a series' forecast depends on
    # its own weeks only: the same in the ragged panel as forecast alone.
    frame = _ragged()
    config = EngineConfig(combination="mean")
    together = forecast_frame(frame, H, config)
    for key in ("mid", "short"):
        alone = forecast_frame(frame[frame["unique_id"] == key], H, config)
        mine = together[together["unique_id"] == key].reset_index(drop=True)
        assert np.allclose(mine["point"], alone["point"], rtol=1e-9, atol=1e-9)


def test_a_late_start_is_not_a_stretch_of_zero_weeks() -> None:
    rng = np.random.default_rng(4)
    wide = pd.DataFrame(
        {
            "old": 30 + rng.normal(0, 1, 150),
            "new": np.r_[np.full(100, np.nan), 20 + rng.normal(0, 1, 50)],
        }
    )
    result = forecast_panel(wide, H, EngineConfig())
    new = result.ids.index("new")
    assert not result.intermittent.any()
    assert result.diagnostics["series_weeks"] == [50, 150]
    assert np.abs(result.point[new, -1] - 20).max() < 3
    # The same weeks padded with zeros (what a zero-filled panel would fit) look intermittent.
    zeros = forecast_panel(wide.fillna(0.0), H, EngineConfig())
    assert zeros.intermittent[new]
    # Origins are weeks before each series' end; one that leaves the 50-week series fewer than
    # `min_history_weeks` before it has no backtest there, the long series has both windows.
    windows = result.windows
    assert windows == 2
    short = EngineConfig(backtest_step=20)
    late = forecast_panel(wide, H, short)
    assert np.isnan(late.point[new, 0]).all()  # cut at 50 - 40 = 10 weeks < 16
    assert np.isfinite(late.point[new, 1]).all()
    assert np.isfinite(late.point[1 - new, :2]).all()


def test_integer_weeks_and_gaps() -> None:
    y = _series(80, 100.0, 5)
    frame = pd.DataFrame({"unique_id": "a", "ds": np.arange(1000, 1080), "y": y})
    frame = frame.drop(index=[40, 41])  # two weeks missing inside: interpolated
    out = forecast_frame(frame, H)
    assert out["ds"].tolist() == list(range(1080, 1080 + H))
    assert np.isfinite(out["point"]).all()


def test_what_is_refused() -> None:
    daily = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=60, freq="D"), "y": 1.0}
    )
    with pytest.raises(NotWeeklyError, match=r"looks daily .*weekly series only"):
        forecast_frame(daily, H)
    monthly = pd.DataFrame(
        {"unique_id": "m", "ds": pd.date_range("2020-01-01", periods=36, freq="MS"), "y": 1.0}
    )
    with pytest.raises(NotWeeklyError, match="series m looks monthly \\(dates 31 days apart\\)"):
        forecast_frame(monthly, H)
    twice = pd.DataFrame({"unique_id": "a", "ds": [1, 2, 2, 3], "y": 1.0})
    with pytest.raises(ValueError, match="more than one row"):
        forecast_frame(twice, H)
    with pytest.raises(ValueError, match="no column y"):
        forecast_frame(twice.drop(columns="y"), H)


def test_a_very_short_series_still_gets_a_forecast() -> None:
    frame = pd.concat(
        [
            pd.DataFrame(
                {"unique_id": "tiny", "ds": np.arange(8), "y": [5.0, 6, 5, 7, 6, 6, 7, 6]}
            ),
            pd.DataFrame({"unique_id": "big", "ds": np.arange(60), "y": _series(60, 40.0, 6)}),
        ]
    )
    out = forecast_frame(frame, H)
    tiny = out[out["unique_id"] == "tiny"]
    assert tiny["ds"].tolist() == list(range(8, 8 + H))
    assert np.isfinite(tiny["point"]).all()
    assert 4 < tiny["point"].mean() < 8
