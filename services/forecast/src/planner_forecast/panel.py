"""The store x category panel the engine fits, built from sales rows, weekly or refused.

Retail planning here is weekly: every history must lie on one grid of week starts 7 days
apart. A monthly or daily history is refused with `NotWeeklyError`, saying what it looks like,
at the point where the data is loaded, instead of being forecast as if its steps were weeks.

Inside the grid, a week with no record for a store series is interpolated between its
neighbours (an unreported week is unknown, not zero); before a series' first record it is 0
(the store did not sell the category yet), after its last it carries the last level.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd


class NotWeeklyError(ValueError):
    """The history is not weekly: the message says what its spacing is."""


def describe_spacing(days: float) -> str:
    """What a typical spacing of `days` between dates looks like ("monthly", ...)."""
    if 27 <= days <= 32:
        return "monthly"
    if 85 <= days <= 95:
        return "quarterly"
    if days == 1:
        return "daily"
    if 360 <= days <= 370:
        return "yearly"
    return f"{days:g}-day"


def weekly_grid(dates: pd.Series | pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The complete weekly grid from the first to the last date; refuses a non-weekly set."""
    unique = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates).dropna().unique())).sort_values()
    if unique.empty:
        return unique
    offsets = np.asarray((unique - unique[0]).days)
    if np.any(offsets % 7 != 0):
        gaps = np.diff(offsets)
        typical = float(np.median(gaps)) if gaps.size else 0.0
        raise NotWeeklyError(
            f"the sales history is {describe_spacing(typical)} (dates {typical:g} days apart, e.g. "
            f"{unique[0].date().isoformat()} and {unique[1].date().isoformat()}), not weekly: "
            "Season Planner forecasts weekly series only; load one row per store, category "
            "and week start, 7 days apart"
        )
    return pd.date_range(unique[0], unique[-1], freq="7D")


def bottom_panel(rows: pd.DataFrame) -> pd.DataFrame:
    """Wide panel (weeks x `store|category`) from rows store_code, category_code, week_start,
    units."""
    if rows.empty:
        return pd.DataFrame()
    frame = rows.assign(
        week_start=pd.to_datetime(rows["week_start"]),
        key=rows["store_code"].astype(str) + "|" + rows["category_code"].astype(str),
    )
    if frame.duplicated(["key", "week_start"]).any():
        raise ValueError("the sales history has more than one row for a store, category and week")
    grid = weekly_grid(frame["week_start"])
    wide = frame.pivot(index="week_start", columns="key", values="units").astype(float)
    wide = wide.reindex(grid).sort_index(axis=1)
    wide = wide.interpolate(limit_area="inside").ffill().fillna(0.0)
    wide.index.name = "week_start"
    return wide


def season_offset(last_week: pd.Timestamp, start: date) -> int:
    """Grid weeks from the last history week to the week nearest `start` (at least 1)."""
    steps = round((pd.Timestamp(start) - last_week).days / 7)
    if steps < 1:
        raise ValueError(
            f"season start {start.isoformat()} is not after the last history week "
            f"{last_week.date().isoformat()}"
        )
    return int(steps)


def week_starts(start: date, weeks: int) -> list[date]:
    return [start + timedelta(weeks=i) for i in range(weeks)]
