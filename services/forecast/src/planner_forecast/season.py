"""Season forecasting: fit every category in the process pool, then clusters and the order."""

from __future__ import annotations

import asyncio
import math
from concurrent.futures import Executor
from typing import Any

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from planner_forecast import repository as repo
from planner_forecast.clustering import ClusteringResult, cluster_stores
from planner_forecast.ensemble import (
    ForecastResult,
    ReforecastResult,
    forecast_series,
    reforecast_with_actuals,
)
from planner_forecast.manufacturing import manufacturing_quantity
from planner_forecast.settings import ForecastSettings
from planner_shared.db.models import Category, ManufacturingOrder
from planner_shared.events import (
    CategoryForecastSummary,
    ForecastCompletedPayload,
    ForecastRequested,
    ManufacturingLine,
    ManufacturingRecommendation,
)

Progress = Any  # async (message, fraction) -> None


def _weeks(result: ForecastResult, first_week: int) -> list[dict[str, Any]]:
    return [
        {
            "week_number": first_week + i,
            "week_start": result.week_starts[i],
            "point": result.point[i],
            "lower_80": result.lower_80[i],
            "upper_80": result.upper_80[i],
            "lower_95": result.lower_95[i],
            "upper_95": result.upper_95[i],
            "baseline": result.baseline[i],
        }
        for i in range(len(result.point))
    ]


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 0.0


async def run_forecast(
    session: AsyncSession,
    event: ForecastRequested,
    pool: Executor,
    settings: ForecastSettings,
    progress: Progress,
) -> ForecastCompletedPayload:
    request = event.payload
    params = request.parameters
    assert event.workflow_id is not None
    categories = await repo.categories(session, request.category_codes)
    weeks_done = request.actuals_through_week
    previous = (
        {
            f.category_id: f.season_total
            for f in await repo.forecasts_of_run(session, event.workflow_id)
        }
        if request.run_number > 1
        else {}
    )
    actuals = await repo.actuals(session, event.workflow_id, weeks_done) if weeks_done else None
    loop = asyncio.get_running_loop()

    async def fit(category: Category, fn: Any, *args: Any) -> tuple[Category, Any]:
        return category, await loop.run_in_executor(pool, fn, *args)

    fits = []
    # Categories a re-forecast has no actuals for: their weeks so far are unknown (not
    # reported, rather than zero sold), so they keep a forecast fitted on their history.
    unreported: set[str] = set()
    for category in categories:
        # Only the history before the season: a past season is planned as a backtest.
        history = await repo.category_history(session, category.id, params.season_start_date)
        by_week = (
            actuals[actuals.category_id == category.id].groupby("week_number")["units_sold"].sum()
            if weeks_done and actuals is not None
            else None
        )
        if by_week is not None and by_week.empty:
            unreported.add(category.code)
        if by_week is not None and not by_week.empty:
            series = pd.Series(
                [float(v) for v in by_week.to_numpy()],
                index=pd.DatetimeIndex(
                    [
                        pd.Timestamp(repo.week_start(params.season_start_date, int(w)))
                        for w in by_week.index
                    ]
                ),
            )
            fits.append(
                fit(
                    category,
                    reforecast_with_actuals,
                    history,
                    series,
                    params.forecast_horizon_weeks,
                    params.season_start_date,
                    previous.get(category.id),
                )
            )
        else:
            fits.append(
                fit(
                    category,
                    forecast_series,
                    history,
                    params.forecast_horizon_weeks,
                    params.season_start_date,
                )
            )

    summaries: list[CategoryForecastSummary] = []
    results: dict[str, ForecastResult] = {}
    await progress(f"Fitting Prophet and ARIMA for {len(categories)} categories", 0.0)
    for done, finished in enumerate(asyncio.as_completed(fits), start=1):
        category, outcome = await finished
        if isinstance(outcome, ReforecastResult):
            result, total = outcome.remaining, outcome.season_total
            extra = {
                "weeks_elapsed": outcome.weeks_elapsed,
                "actual_to_date": outcome.actual_to_date,
                "previous_season_total": outcome.previous_season_total,
                "change_pct": outcome.change_pct,
            }
            first_week = outcome.weeks_elapsed + 1
            # Bounds of the season = actuals so far (known) + bounds of the rest.
            offset = outcome.actual_to_date
        elif category.code in unreported:
            result = outcome.model_copy(
                update={"fallback_reason": _unreported_reason(category.code, weeks_done, outcome)}
            )
            total, first_week, offset = outcome.season_total, 1, 0.0
            before = previous.get(category.id)
            extra = {
                # The run is made after week k like its other categories, so the next
                # variance check compares weeks k+1 onwards against it.
                "weeks_elapsed": weeks_done,
                "actual_to_date": None,
                "previous_season_total": before,
                "change_pct": (total - before) / before if before else None,
            }
        else:
            result, total, extra, first_week, offset = outcome, outcome.season_total, {}, 1, 0.0
        results[category.code] = result
        await repo.replace_forecast(
            session,
            workflow_id=event.workflow_id,
            run_number=request.run_number,
            category_id=category.id,
            reason=request.reason,
            season_total=total,
            method=result.method,
            diagnostics={
                "weights": result.weights,
                "backtest_wape": {k: _finite(v) for k, v in result.backtest_wape.items()},
                "fallback_reason": result.fallback_reason,
                "baseline_total": result.baseline_total,
                **extra,
                "model": result.diagnostics,
            },
            weeks=_weeks(result, first_week),
        )
        summaries.append(
            CategoryForecastSummary(
                category_code=category.code,
                season_total=total,
                lower_80=offset + result.season_lower_80,
                upper_80=offset + result.season_upper_80,
                lower_95=offset + result.season_lower_95,
                upper_95=offset + result.season_upper_95,
                method=result.method,
                weights=result.weights,
                backtest_wape={k: _finite(v) for k, v in result.backtest_wape.items()},
                fallback_reason=result.fallback_reason,
            )
        )
        weights = ", ".join(f"{_readable(k)} {v:.2f}" for k, v in result.weights.items())
        await progress(
            f"{category.name} ({category.code}): {total:,.0f} units over the season "
            f"({_readable(result.method)}{f', weights {weights}' if weights else ''})",
            done / len(categories),
        )

    summaries.sort(key=lambda s: s.category_code)
    season_total = sum(s.season_total for s in summaries)
    clusters = 0
    recommendation = None
    if request.run_number == 1:
        clustering = await cluster(
            session, event.workflow_id, settings, before=params.season_start_date
        )
        clusters = clustering.k
        await progress(
            f"Clustered the stores into {clustering.k} groups: "
            + "; ".join(f"{c.name} ({c.size})" for c in clustering.clusters),
            None,
        )
        recommendation = await plan_manufacturing(
            session, event.workflow_id, categories, summaries, settings
        )
    previous_total = sum(previous.values()) if previous else None
    return ForecastCompletedPayload(
        run_number=request.run_number,
        reason=request.reason,
        season_total=season_total,
        previous_season_total=previous_total,
        categories=summaries,
        cluster_count=clusters,
        manufacturing=recommendation,
    )


def _unreported_reason(code: str, weeks_done: int, result: ForecastResult) -> str:
    weeks = "week 1" if weeks_done == 1 else f"weeks 1-{weeks_done}"
    reason = (
        f"no_actuals: no {code} actuals uploaded for {weeks}; forecast from its history "
        "alone for the whole season, as in the initial run"
    )
    return f"{reason}; {result.fallback_reason}" if result.fallback_reason else reason


async def store_features(
    session: AsyncSession, workflow_id: Any = None, before: Any = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    stores = await repo.stores(session)
    demand = await repo.store_demand(session, before=before)
    level = demand.groupby("store_id")["mean_weekly_units"].sum()
    # Store attributes uploaded for the workflow (contract v1 `store_profiles`) replace the
    # stored size and region, and their segment is one more feature of the clustering.
    profiles = await repo.uploaded_store_profiles(session, workflow_id) if workflow_id else {}
    columns: dict[str, list[Any]] = {
        "sales_level": [float(level.get(s.id, 0.0)) for s in stores],
        "size_sqft": [p.size_sqft if (p := profiles.get(s.id)) else s.size_sqft for s in stores],
        "weekly_traffic": [s.weekly_traffic for s in stores],
        "region": [p.region if (p := profiles.get(s.id)) else s.region for s in stores],
        "format": [s.format for s in stores],
    }
    if profiles:
        columns["segment"] = [p.segment if (p := profiles.get(s.id)) else "" for s in stores]
    frame = pd.DataFrame(columns, index=[s.code for s in stores])
    return frame, {s.code: s.id for s in stores}


async def cluster(
    session: AsyncSession, workflow_id: Any, settings: ForecastSettings, before: Any = None
) -> ClusteringResult:
    frame, ids = await store_features(session, workflow_id, before)
    result = cluster_stores(frame, k=settings.cluster_k)
    await repo.replace_clusters(
        session,
        workflow_id,
        [
            {
                "label": c.label,
                "name": c.name,
                "profile": c.model_dump(mode="json"),
                "silhouette": result.silhouette,
            }
            for c in result.clusters
        ],
        {ids[code]: label for code, label in result.labels.items()},
    )
    return result


async def plan_manufacturing(
    session: AsyncSession,
    workflow_id: Any,
    categories: list[Category],
    summaries: list[CategoryForecastSummary],
    settings: ForecastSettings,
) -> ManufacturingRecommendation:
    by_code = {c.code: c for c in categories}
    # Free DC stock uploaded for the workflow (contract v1 `dc_inventory`) is the stock on
    # hand of the categories it names; the others keep the catalogue's.
    dc_stock = await repo.uploaded_dc_stock(session, workflow_id)
    lines: list[ManufacturingLine] = []
    orders: list[ManufacturingOrder] = []
    for summary in summaries:
        category = by_code[summary.category_code]
        plan = manufacturing_quantity(
            summary.category_code,
            summary.season_total,
            summary.lower_95,
            summary.upper_95,
            dc_stock.get(category.id, category.stock_on_hand),
            service_level=settings.service_level,
        )
        lines.append(
            ManufacturingLine(
                category_code=plan.category_code,
                forecast_units=plan.forecast_units,
                safety_stock_pct=plan.safety_stock_pct,
                stock_on_hand=plan.stock_on_hand,
                quantity=plan.quantity,
            )
        )
        orders.append(
            ManufacturingOrder(
                workflow_id=workflow_id,
                category_id=category.id,
                forecast_units=plan.forecast_units,
                safety_stock_pct=plan.safety_stock_pct,
                stock_on_hand=plan.stock_on_hand,
                recommended_quantity=plan.quantity,
                reasoning=plan.reasoning,
            )
        )
    await repo.replace_manufacturing_orders(session, workflow_id, orders)
    return ManufacturingRecommendation(
        total_quantity=sum(line.quantity for line in lines), lines=lines
    )


def _readable(name: str) -> str:
    """A model or method name as a planner reads it: `seasonal_naive` -> `seasonal naive`."""
    return name.replace("_", " ")
