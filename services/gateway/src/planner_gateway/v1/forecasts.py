"""§9 and §11 `GET /forecasts/{id}` (a forecast, workflow or alias id), §10 clusters, and the
design's `GET /forecasts` list."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway import repository
from planner_gateway.auth import CurrentPrincipal
from planner_gateway.deps import WriteSession
from planner_gateway.errors import ApiError
from planner_gateway.schemas.resources import ClusterRead
from planner_gateway.v1 import ids, lookup, plan_data, tiers, units
from planner_gateway.v1.schemas import ClusterAnswer, ClusterStore, CurveWeek, ForecastAnswer
from planner_shared.db.frontend_v1 import V1Workflow
from planner_shared.db.models import AgentRun, Allocation, Store, StoreCluster

router = APIRouter()

_SEASONS = {12: "Winter", 1: "Winter", 2: "Winter", 3: "Spring", 4: "Spring", 5: "Spring"}
_SEASONS |= {6: "Summer", 7: "Summer", 8: "Summer", 9: "Fall", 10: "Fall", 11: "Fall"}


def season_name(start: date) -> str:
    return f"{_SEASONS[start.month]} {start.year}"


def v1_parameters(season: lookup.Season) -> dict[str, Any]:
    p = season.parameters
    markdown = season.markdown_enabled
    return {
        "forecast_horizon_weeks": p.forecast_horizon_weeks,
        "season_start_date": p.season_start_date.isoformat(),
        "season_end_date": p.season_end_date.isoformat(),
        "replenishment_strategy": units.strategy_to_v1(p.replenishment_strategy.value),
        "dc_holdback_percentage": units.holdback_to_v1(p.dc_holdback_percentage),
        "markdown_checkpoint_week": p.markdown_checkpoint_week if markdown else None,
        "markdown_threshold": p.markdown_threshold if markdown else None,
    }


def _mape(diagnostics: dict[str, Any]) -> float | None:
    wape = diagnostics.get("backtest_wape") or {}
    weights = diagnostics.get("weights") or {}
    if weights and all(k in wape for k in weights):
        total = sum(float(w) for w in weights.values())
        if total > 0:
            return sum(float(w) * float(wape[k]) for k, w in weights.items()) / total
    return min((float(v) for v in wape.values()), default=None)


async def _demand_summary(session: AsyncSession, season: lookup.Season) -> str:
    summary = await session.scalar(
        select(AgentRun.summary)
        .where(
            AgentRun.workflow_id == season.v1.workflow_id,
            AgentRun.agent == "demand",
            AgentRun.completed_at.is_not(None),
        )
        .order_by(AgentRun.started_at.desc())
        .limit(1)
    )
    return summary or ""


def _curve_week(number: int, week: plan_data.WeekForecast, sold: float | None) -> CurveWeek:
    return CurveWeek(
        week_number=number,
        week_start_date=week.week_start,
        week_end_date=week.week_start + timedelta(days=6),
        forecasted_units=round(week.point, 2),
        demand_units=round(week.point, 2),
        confidence_lower=round(week.lower_95, 2),
        confidence_upper=round(week.upper_95, 2),
        actual_units=sold,
        variance_pct=None if sold is None else plan_data.signed_variance_pct(sold, week.point),
    )


def _cluster_distribution(clusters: list[ClusterRead]) -> dict[str, float]:
    """Each cluster's share of the units: its allocation's, else its share of demand."""
    share_total = sum(float(c.profile.get("demand_share", 0.0)) for c in clusters) or 1.0
    return {
        c.cluster_name: units.percent(
            c.allocation_fraction
            if c.allocation_fraction is not None
            else float(c.profile.get("demand_share", 0.0)) / share_total
        )
        for c in clusters
    }


async def forecast_answer(
    session: AsyncSession, season: lookup.Season, raw_id: str
) -> ForecastAnswer:
    w = season.require_workflow(f"forecast {raw_id}")
    params = season.parameters
    p = await plan_data.plan(session, w.id, params, f"forecast {raw_id}")
    actual = await plan_data.actuals(session, p)
    curve = [
        _curve_week(number, week, actual.by_week.get(number)) for number, week in p.weeks.items()
    ]
    methods = sorted({f.forecasting_method for f in p.latest})
    mapes = [m for f in p.latest if (m := _mape(f.diagnostics)) is not None]
    orders = await repository.manufacturing_orders(session, w.id)
    distribution = _cluster_distribution(await repository.clusters(session, w.id))
    peak = max(curve, key=lambda c: c.forecasted_units).week_number if curve else 1
    return ForecastAnswer(
        forecast_id=ids.forecast_id(season.v1_id),
        workflow_id=season.v1_id,
        category_id=",".join(f.category_code for f in p.latest),
        category_name=", ".join(f.category_name for f in p.latest),
        season=season_name(params.season_start_date),
        season_start_date=params.season_start_date,
        season_end_date=params.season_end_date,
        total_season_demand=round(p.season_total, 2),
        weekly_demand_curve=curve,
        forecasting_method=methods[0] if len(methods) == 1 else "ensemble",
        prophet_forecast=None,
        arima_forecast=None,
        peak_week=peak,
        adaptation_reasoning=await _demand_summary(session, season),
        season_parameters=v1_parameters(season),
        safety_stock_pct=(
            units.fraction(sum(o.safety_stock_pct for o in orders) / len(orders))
            if orders
            else None
        ),
        cluster_distribution=distribution,
        mape_percentage=None if not mapes else units.percent(sum(mapes) / len(mapes)),
        created_at=max(f.created_at for f in p.latest),
        run_number=p.latest[0].run_number,
    )


@router.get(
    "/forecasts/{forecast_id}",
    response_model=ForecastAnswer,
    summary="§9/§11 A workflow's forecast: fc_, wf_ or FORECAST_SPRING_2025 (the newest)",
)
async def read_forecast(
    forecast_id: str, _: CurrentPrincipal, session: WriteSession
) -> ForecastAnswer:
    season = await lookup.season(session, forecast_id, "forecast")
    return await forecast_answer(session, season, forecast_id)


@router.get(
    "/forecasts", response_model=list[ForecastAnswer], summary="Every v1 forecast, newest first"
)
async def list_forecasts(
    _: CurrentPrincipal, session: WriteSession, limit: Annotated[int, Query(ge=1, le=50)] = 20
) -> list[ForecastAnswer]:
    rows = await session.scalars(
        select(V1Workflow)
        .where(V1Workflow.executed_at.is_not(None))
        .order_by(V1Workflow.created_at.desc())
    )
    answers: list[ForecastAnswer] = []
    for row in rows:
        season = await lookup.season(session, row.v1_id)
        try:
            answers.append(await forecast_answer(session, season, ids.forecast_id(row.v1_id)))
        except ApiError:
            continue  # no forecast yet
        if len(answers) >= limit:
            break
    return answers


async def _clustered_workflow(session: AsyncSession, workflow_id: str | None) -> lookup.Season:
    if workflow_id:
        return await lookup.season(session, workflow_id)
    newest = await session.scalar(
        select(StoreCluster.workflow_id).order_by(StoreCluster.created_at.desc()).limit(1)
    )
    if newest is None:
        raise ApiError(404, "clusters not found: no workflow has clustered the stores yet")
    return await lookup.season(session, str(newest))


async def _initial_units(session: AsyncSession, workflow_id: UUID) -> dict[Any, int]:
    """Units of the first delivery, by store id."""
    initial: dict[Any, int] = {}
    for store_id, units_ in await session.execute(
        select(Allocation.store_id, Allocation.units).where(
            Allocation.workflow_id == workflow_id, Allocation.kind == "initial"
        )
    ):
        initial[store_id] = initial.get(store_id, 0) + int(units_)
    return initial


def _confidence(p: plan_data.Plan) -> float:
    """0-100: how narrow the season's 95 % band is against its forecast."""
    spread = sum(wk.upper_95 - wk.lower_95 for wk in p.weeks.values())
    point = sum(wk.point for wk in p.weeks.values())
    if point <= 0:
        return 0.0
    return round(max(0.0, min(100.0, 100.0 * (1 - spread / (2 * point)))), 1)


def _cluster_store(
    s: Store,
    expected: float,
    sent: int | None,
    horizon: int,
    confidence: float,
    tier: tiers.SizeTier,
) -> ClusterStore:
    """A store of a cluster: its forecast share, and its status by the weeks its first
    delivery covers (two or more: active; one: warning; less: low stock)."""
    cover = None if not sent or expected <= 0 else sent / (expected / horizon)
    status = "Active" if cover is None or cover >= 2 else "Warning" if cover >= 1 else "Low Stock"
    return ClusterStore(
        store_id=s.code,
        store_name=s.name,
        location=s.region,
        forecast_units=round(expected, 1),
        confidence=confidence,
        status=status,
        size_tier=tier,
        size_sqft=s.size_sqft,
        income_level=None,
        foot_traffic=round(s.weekly_traffic / 7.0, 1),
        mall_location=s.format == "mall",
    )


@router.get(
    "/stores/clusters",
    response_model=list[ClusterAnswer],
    summary="§10 Store clusters of the newest clustered workflow (or ?workflow_id=), bare list",
)
async def clusters(
    _: CurrentPrincipal, session: WriteSession, workflow_id: str | None = None
) -> list[ClusterAnswer]:
    season = await _clustered_workflow(session, workflow_id)
    w = season.require_workflow("clusters")
    found = await repository.clusters(session, w.id)
    if not found:
        raise ApiError(404, f"clusters of workflow {season.v1_id} not found: not clustered yet")
    p = await plan_data.plan(session, w.id, season.parameters, f"clusters of {season.v1_id}")
    shares = await plan_data.store_shares(session, p)
    stores = {s.code: s for s in await session.scalars(select(Store))}
    initial = await _initial_units(session, w.id)
    confidence = _confidence(p)
    size_tier = tiers.size_tiers({code: s.size_sqft for code, s in stores.items()})
    fashion = tiers.fashion_tiers([c.label for c in sorted(found, key=lambda c: c.label)])
    horizon = season.parameters.forecast_horizon_weeks
    forecast_total = {
        c.cluster_id: sum(shares.get(stores[s].id, 0.0) for s in c.stores) * p.season_total
        for c in found
    }
    all_forecast = sum(forecast_total.values()) or 1.0
    answers = []
    for c in found:
        members = [
            _cluster_store(
                stores[code],
                shares.get(stores[code].id, 0.0) * p.season_total,
                initial.get(stores[code].id),
                horizon,
                confidence,
                size_tier[code],
            )
            for code in c.stores
        ]
        answers.append(
            ClusterAnswer(
                cluster_id=str(c.cluster_id),
                cluster_name=c.cluster_name,
                fashion_tier=fashion[c.label],
                store_count=c.store_count,
                total_units=float(c.total_units)
                if c.total_units is not None
                else round(forecast_total[c.cluster_id], 1),
                allocation_percentage=units.percent(
                    c.allocation_fraction
                    if c.allocation_fraction is not None
                    else forecast_total[c.cluster_id] / all_forecast
                ),
                stores=members,
            )
        )
    return answers
