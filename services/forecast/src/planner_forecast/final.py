"""The final forecast of a season's stores, as the buy and the allocation size them.

The forecast rows stay statistical; the planner's active overrides (docs/overrides.md) move
each store's season forecast and interval by what `planner_shared.overrides.adjust` does to
its weeks: the one rule the stock ledger and the charts apply too.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from planner_forecast import repository as repo
from planner_shared.db.models import Forecast
from planner_shared.events import CategoryForecastSummary
from planner_shared.overrides import load_active, store_factors, store_shares


async def final_store_rows(
    session: AsyncSession, workflow_id: UUID, forecasts: dict[str, Forecast]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Each category's store rows (season forecast and 95 % interval) of the final forecast:
    the statistical rows scaled by what the season's active overrides do to each store's
    season (planner_shared.overrides); and, per category, what the order's reasoning records
    of them (the overrides applied, the statistical forecast kept beside the final one)."""
    active = await load_active(session, workflow_id)
    # Run 1's weeks may have just been added in this transaction (sessions do not autoflush).
    await session.flush()
    points = await repo.forecast_weeks(session, [f.id for f in forecasts.values()])
    rows: dict[str, dict[str, Any]] = {}
    notes: dict[str, dict[str, Any]] = {}
    for code, forecast in forecasts.items():
        stat = forecast.diagnostics.get("stores", {})
        mine = [o for o in active if o.touches(code)]
        if not mine:
            rows[code] = stat
            continue
        stores = sorted(stat)
        weeks = points[points.forecast_id == forecast.id]
        factors = store_factors(
            code,
            dict(zip(weeks.week_number.astype(int), weeks.point.astype(float), strict=True)),
            store_shares(forecast.diagnostics, stores),
            stores,
            mine,
        )
        rows[code] = {store: _scaled(stat[store], *factors[store]) for store in stores}
        notes[code] = {
            "overrides": [str(o.id) for o in mine],
            "statistical_season_forecast": sum(float(r["season_total"]) for r in stat.values()),
        }
    return rows, notes


def _scaled(row: dict[str, Any], factor: float, added: float) -> dict[str, Any]:
    """A store row moved by an override: scaled by `factor`, or shifted by `added` units
    where the statistical forecast had none."""
    return row | {
        key: float(row[key]) * factor + added for key in ("season_total", "lower_95", "upper_95")
    }


def final_summary(
    summary: CategoryForecastSummary,
    rows: dict[str, Any],
    note: dict[str, Any] | None,
) -> CategoryForecastSummary:
    """The category's season forecast and intervals as the overrides moved its stores: the
    statistical summary scaled by final / statistical season total (the newsvendor sizes the
    order on this distribution). Unchanged without overrides."""
    statistical = float(note["statistical_season_forecast"]) if note else 0.0
    if statistical <= 0:
        return summary
    ratio = sum(float(r["season_total"]) for r in rows.values()) / statistical
    keys = ("season_total", "lower_80", "upper_80", "lower_95", "upper_95")
    return summary.model_copy(update={k: float(getattr(summary, k)) * ratio for k in keys})
