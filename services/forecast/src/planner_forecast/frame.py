"""The default engine on a flat weekly panel: `forecast_frame(df, h)`.

    from planner_forecast.frame import forecast_frame
    out = forecast_frame(df, h=13)  # df: unique_id, ds, y (one row per series and week)

Each series is forecast `h` weeks after its own last week by the default engine
(`ensemble.forecast_panel`: every member fitted once per series, the backtest from rolling
origins, the combination chosen on the whole panel), with no hierarchy. Series may have any
length and start and end on any week (a ragged panel): each is fitted on its own history only
(no zero or NaN padding is fitted), its backtest origins are the same number of weeks before
its own end, and a series too short for an origin simply has no backtest window there.

`ds` is either an integer week number (consecutive weeks differ by 1) or a date, the weeks of
a series 7 days apart (any weekday; series may use different weekdays). A week missing inside
a series is interpolated between its neighbours (unknown, not zero). Anything else (daily or
monthly dates, two rows for one week) is refused with a `ValueError` / `NotWeeklyError`.

An optional `group` column (one value per series, e.g. its category) names the groups whose
combination weights are chosen apart when `EngineConfig.group_weights` is on; without it the
groups are the kinds of series (groups.py).

Output: one row per series and forecast week, `unique_id, ds, point, lo-80, hi-80, lo-95,
hi-95`; `ds` continues each series' own weeks. The intervals are the combined members' own,
calibrated split-conformal style on the backtest windows (pooled over the panel, one
multiplier per level), as the hierarchy calibrates its levels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planner_forecast.ensemble import EngineConfig, PanelForecast, forecast_panel
from planner_forecast.metrics import FloatArray
from planner_forecast.models import Z_BY_LEVEL, conformal_multiplier, floored_multipliers
from planner_forecast.panel import NotWeeklyError, describe_spacing

COLUMNS = ("unique_id", "ds", "point", "lo-80", "hi-80", "lo-95", "hi-95")


def _week_numbers(frame: pd.DataFrame) -> tuple[Any, bool]:
    """Each row's week relative to its series' last week (0 = last, -1 = the one before)."""
    ds = frame["ds"]
    if pd.api.types.is_integer_dtype(ds):
        last = ds.groupby(frame["unique_id"]).transform("max")
        return (ds - last).to_numpy(dtype=np.int64), False
    dates = pd.to_datetime(ds)
    last = dates.groupby(frame["unique_id"]).transform("max")
    days = (dates - last).dt.days.to_numpy(dtype=np.int64)
    if np.any(days % 7 != 0):
        bad = frame.loc[days % 7 != 0, "unique_id"].iloc[0]
        mine = np.sort(np.unique(dates[frame["unique_id"] == bad].to_numpy()))
        gaps = np.diff(mine).astype("timedelta64[D]").astype(float)
        typical = float(np.median(gaps)) if gaps.size else 0.0
        raise NotWeeklyError(
            f"series {bad} looks {describe_spacing(typical)} (dates {typical:g} days apart), "
            "not weekly: forecast_frame takes weekly series only (dates 7 days apart, or "
            "integer weeks)"
        )
    return days // 7, True


def wide_panel(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any], bool]:
    """The flat panel as a wide frame aligned at each series' end (leading NaN for late
    starters, NaN for missing weeks), each series' last `ds`, and whether `ds` are dates."""
    missing = {"unique_id", "ds", "y"} - set(df.columns)
    if missing:
        raise ValueError(f"the frame has no column {', '.join(sorted(missing))}")
    frame = df[["unique_id", "ds", "y"]].dropna(subset=["ds"]).copy()
    frame["unique_id"] = frame["unique_id"].astype(str)
    frame["y"] = pd.to_numeric(frame["y"], errors="coerce").astype(float)
    if frame.empty:
        raise ValueError("the frame has no rows")
    offset, dated = _week_numbers(frame)
    frame["_week"] = offset
    if frame.duplicated(["unique_id", "_week"]).any():
        bad = frame.loc[frame.duplicated(["unique_id", "_week"]), "unique_id"].iloc[0]
        raise ValueError(f"series {bad} has more than one row for a week")
    last = frame.groupby("unique_id", sort=False)["ds"].max()
    if dated:
        last = pd.to_datetime(last)
    span = int(-frame["_week"].min()) + 1
    frame["_row"] = frame["_week"] + span - 1
    wide = frame.pivot(index="_row", columns="unique_id", values="y")
    wide = wide.reindex(range(span))
    ids = list(dict.fromkeys(frame["unique_id"]))
    wide = wide.loc[:, ids]
    # A series whose last week has no value: its last week with one is its end.
    values = wide.to_numpy(dtype=float)
    if not np.isfinite(values[-1]).all():
        raise ValueError(
            "every series needs a value (y) on its last week: "
            + ", ".join(c for c, ok in zip(ids, np.isfinite(values[-1]), strict=True) if not ok)
        )
    wide.index = pd.RangeIndex(span)
    return wide, {str(k): v for k, v in last.items()}, dated


def _calibration(base: PanelForecast, floor: float) -> dict[int, float]:
    """Per level, the multiplier of the z-width that covers that share of the backtest's
    weekly actuals (the finite-sample conformal quantile; 1 with fewer than 10 scores),
    widened together until the 95 % one is at least `floor` (`floored_multipliers`)."""
    windows = base.windows
    actual = base.actual[:, :windows]
    sd = base.sd[:, :windows]
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.abs(actual - base.point[:, :windows]) / np.where(sd > 0, sd, np.nan)
    raw = {level: conformal_multiplier(score, level)[0] for level in (80, 95)}
    return floored_multipliers(raw, floor)


def _groups(df: pd.DataFrame, wide: pd.DataFrame) -> list[str] | None:
    """Each series' `group` (e.g. its category) if the frame has that column: the weights'
    groups when `EngineConfig.group_weights` is on (groups.py); else none."""
    if "group" not in df.columns:
        return None
    labels = df.assign(unique_id=df["unique_id"].astype(str)).groupby("unique_id")["group"].first()
    return [str(labels.get(str(key), "")) for key in wide.columns]


def forecast_frame(df: pd.DataFrame, h: int, config: EngineConfig | None = None) -> pd.DataFrame:
    """Forecast every series of a long weekly frame (unique_id, ds, y) `h` weeks ahead.

    Returns unique_id, ds, point, lo-80, hi-80, lo-95, hi-95: `h` rows per series, its
    weeks after its own last `ds`. See the module's docstring for what is accepted.
    """
    if h < 1:
        raise ValueError("h must be at least 1")
    config = config or EngineConfig()
    wide, last, dated = wide_panel(df)
    base = forecast_panel(wide, h, config, groups=_groups(df, wide))
    multiplier = _calibration(base, config.calibration_floor)
    point: FloatArray = base.point[:, -1]
    sd: FloatArray = base.sd[:, -1]
    rows = []
    steps = np.arange(1, h + 1)
    for i, key in enumerate(base.ids):
        end = last[key]
        ds = end + pd.to_timedelta(7 * steps, unit="D") if dated else int(end) + steps
        part = {"unique_id": key, "ds": ds, "point": point[i]}
        for level in (80, 95):
            half = Z_BY_LEVEL[level] * multiplier[level] * sd[i]
            part[f"lo-{level}"] = point[i] - half
            part[f"hi-{level}"] = point[i] + half
        rows.append(pd.DataFrame(part))
    out = pd.concat(rows, ignore_index=True)
    out.attrs["diagnostics"] = base.diagnostics | {
        "calibration": multiplier,
        "weights": dict(zip(base.member_names, base.weights.mean(axis=0).tolist(), strict=True)),
    }
    return out[list(COLUMNS)]
