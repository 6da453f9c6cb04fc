"""Part C: §13/§14 variance, §15 allocation plan, §16 replenishment approvals, §17 markdown
analysis; over the gateway's queries (§20, the design's approvals, is approvals.py).

Every path takes any id of the workflow (`wf_`, `fc_`, `al_`, `md_`, or our UUID).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway import repository
from planner_gateway.auth import CurrentPrincipal, Planner
from planner_gateway.deps import WriteSession
from planner_gateway.errors import ApiError
from planner_gateway.schemas.resources import (
    ManufacturingOrderRead,
    MarkdownRead,
    StoreAllocationRead,
)
from planner_gateway.v1 import ids, lookup, plan_data, units
from planner_gateway.v1.messages import timestamp
from planner_gateway.v1.schemas import (
    AllocationAnswer,
    DcWarning,
    HighVarianceStore,
    MarkdownAnswer,
    ReplenishmentApproval,
    ReplenishmentApprovalBody,
    ReplenishmentWeek,
    Shipment,
    StoreAllocation,
    StoreVariance,
    VarianceSummary,
    WeekBody,
    WeekVariance,
)
from planner_shared.db.frontend_v1 import UploadedMarkdownHistory, UploadedSafetyStock
from planner_shared.db.models import Allocation, Category, Store, VarianceCheck, WeeklyActual
from planner_shared.markdown import (
    lift_per_markdown_point,
    sell_through_after_markdown,
)
from planner_shared.parameters import SeasonParameters

router = APIRouter()

# The contract's bands: above 20 % a variance is high (the design's threshold, 0.20).
DEFAULT_THRESHOLD = 0.20
# The design's demand lift per markdown point (expected lift = markdown x 1.5), shown when no
# markdown history was uploaded (the domain then prices with the elasticity alone).
DEFAULT_LIFT_PER_POINT = 1.5


# ---------------------------------------------------------------- §13, §14 variance
async def _verdict(
    session: AsyncSession, workflow_id: UUID, week: int, pct: float
) -> tuple[bool, str | None]:
    """Whether the week was over the threshold and what followed: the stored check's word,
    else the default threshold's (no action known)."""
    check = await session.scalar(
        select(VarianceCheck).where(
            VarianceCheck.workflow_id == workflow_id, VarianceCheck.week_number == week
        )
    )
    if check is None:
        return abs(pct) > DEFAULT_THRESHOLD * 100, None
    started = week in await repository.runs_started_by_week(session, workflow_id)
    return check.exceeded, "reforecast_triggered" if started else "none"


async def _store_variance(
    session: AsyncSession, p: plan_data.Plan, actual: plan_data.Actuals, week: int, forecast: float
) -> list[StoreVariance]:
    """Each store's weeks so far against its share of the forecast."""
    shares = await plan_data.store_shares(session, p)
    stores = {s.id: s for s in await session.scalars(select(Store).order_by(Store.code))}
    by_store: defaultdict[UUID, float] = defaultdict(float)
    for n in range(1, week + 1):
        for store, units_ in actual.by_week_store.get(n, {}).items():
            by_store[store] += units_
    return [
        StoreVariance(
            store_id=s.code,
            store_name=s.name,
            forecasted=round(forecast * shares.get(s.id, 0.0), 2),
            actual=by_store.get(s.id, 0.0),
            variance_pct=plan_data.signed_variance_pct(
                by_store.get(s.id, 0.0), forecast * shares.get(s.id, 0.0)
            ),
        )
        for s in stores.values()
    ]


async def _variance(session: AsyncSession, raw_id: str, week: int) -> WeekVariance:
    season = await lookup.season(session, raw_id, "variance")
    w = season.require_workflow(f"variance of {raw_id}")
    p = await plan_data.plan(session, w.id, season.parameters, f"variance of {raw_id}")
    if not 1 <= week <= season.parameters.forecast_horizon_weeks:
        raise ApiError(
            404,
            f"week {week} not found: the season has weeks "
            f"1-{season.parameters.forecast_horizon_weeks}",
        )
    actual = await plan_data.actuals(session, p)
    missing = [n for n in range(1, week + 1) if n not in actual.by_week]
    if missing:
        raise ApiError(
            404,
            f"variance for week {week} not found: no actuals for week "
            f"{', '.join(str(n) for n in missing)} (upload sales_data while the season runs)",
        )
    forecast = sum(p.weeks[n].point for n in range(1, week + 1) if n in p.weeks)
    sold = sum(actual.by_week[n] for n in range(1, week + 1))
    pct = plan_data.signed_variance_pct(sold, forecast)
    exceeded, action = await _verdict(session, w.id, week, pct)
    lines = await _store_variance(session, p, actual, week, forecast)
    return WeekVariance(
        forecast_id=ids.forecast_id(season.v1_id),
        workflow_id=season.v1_id,
        week_number=week,
        week=week,
        forecasted_cumulative=round(forecast, 2),
        actual_cumulative=sold,
        forecast_units=round(forecast, 2),
        forecasted_units=round(forecast, 2),
        actual_units=sold,
        variance_pct=pct,
        variance_percentage=pct,
        threshold_exceeded=exceeded,
        action_taken=action,
        actuals_source="uploaded" if actual.source.get(week) == "uploaded" else "history",
        store_level_variance=lines,
    )


@router.get(
    "/variance/{workflow_id}/week/{week_number}",
    response_model=WeekVariance,
    summary="§13 Cumulative variance through a week, in percent, per store too",
)
async def week_variance(
    workflow_id: str, week_number: int, _: CurrentPrincipal, session: WriteSession
) -> WeekVariance:
    return await _variance(session, workflow_id, week_number)


@router.get(
    "/variance/{workflow_id}/summary",
    response_model=VarianceSummary,
    summary="§14 Store variance through the latest week with actuals, in percent",
)
async def variance_summary(
    workflow_id: str, _: CurrentPrincipal, session: WriteSession
) -> VarianceSummary:
    season = await lookup.season(session, workflow_id, "variance")
    w = season.require_workflow(f"variance of {workflow_id}")
    p = await plan_data.plan(session, w.id, season.parameters, f"variance of {workflow_id}")
    actual = await plan_data.actuals(session, p)
    week = 0
    while week + 1 in actual.by_week:
        week += 1
    if week == 0:
        raise ApiError(404, f"variance of {workflow_id} not found: no actuals for week 1 yet")
    detail = await _variance(session, workflow_id, week)
    values = [s.variance_pct for s in detail.store_level_variance]
    high = [s for s in detail.store_level_variance if abs(s.variance_pct) > DEFAULT_THRESHOLD * 100]
    return VarianceSummary(
        workflow_id=season.v1_id,
        week_number=week,
        average_variance_percentage=round(statistics.fmean(values), 2) if values else 0.0,
        max_variance_percentage=max(values, default=0.0),
        min_variance_percentage=min(values, default=0.0),
        stores_above_threshold=len(high),
        total_stores=len(values),
        high_variance_stores=[
            HighVarianceStore(
                store_id=s.store_id, store_name=s.store_name, variance_percentage=s.variance_pct
            )
            for s in sorted(high, key=lambda s: -abs(s.variance_pct))
        ],
        timestamp=timestamp(),
    )


# ---------------------------------------------------------------- §15 allocation
@dataclass(frozen=True)
class _PlannedStore:
    """A store as the manufacturing plan sized it (its reasoning), over the categories."""

    safety_stock_units: int
    lead_time_days: int | None
    transit_weeks: int
    last_replenishment_week: int | None


def _planned_stores(orders: list[ManufacturingOrderRead]) -> dict[str, _PlannedStore]:
    rows: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for order in orders:
        for store, row in ((order.reasoning or {}).get("stores") or {}).items():
            if isinstance(row, dict):
                rows[store].append(row)
    planned = {}
    for store, mine in rows.items():
        units_ = [float(r["safety_stock_units"]) for r in mine if "safety_stock_units" in r]
        days = [int(r["lead_time_days"]) for r in mine if r.get("lead_time_days") is not None]
        last = [int(r["last_replenishment_week"]) for r in mine if "last_replenishment_week" in r]
        planned[store] = _PlannedStore(
            safety_stock_units=round(sum(units_)),
            lead_time_days=max(days) if days else None,
            transit_weeks=max((int(r.get("transit_weeks") or 1) for r in mine), default=1),
            last_replenishment_week=min(last) if last else None,
        )
    return planned


@dataclass(frozen=True)
class _StoreFacts:
    """What the allocation's store lines read besides the plan."""

    stores: dict[str, Store]
    planned: dict[str, _PlannedStore]
    safety: dict[str, UploadedSafetyStock]
    sold: dict[UUID, int]
    shares: dict[UUID, float]
    season_total: float
    horizon: int
    weeks_sold: int


def _store_line(
    line: StoreAllocationRead, facts: _StoreFacts, holdback: int, initial_total: int
) -> tuple[StoreAllocation, int]:
    """A store's line of the plan, and the units it holds now."""
    store = facts.stores[line.store_id]
    on_hand = line.total_season_allocation - int(facts.sold.get(store.id, 0))
    weekly = facts.shares.get(store.id, 0.0) * facts.season_total / facts.horizon
    s = facts.safety.get(line.store_id)
    mine = facts.planned.get(line.store_id)
    answer = StoreAllocation(
        store_id=line.store_id,
        store_name=line.store_name,
        cluster_id=str(line.cluster_id) if line.cluster_id else "",
        season_total=line.total_season_allocation,
        initial_allocation=line.initial_allocation,
        dc_holdback=round(holdback * line.initial_allocation / initial_total),
        current_inventory=on_hand,
        weeks_of_supply=round(on_hand / weekly, 2) if weekly > 0 else 0.0,
        lead_time_days=mine.lead_time_days if mine else None,
        safety_stock_units=mine.safety_stock_units if mine else None,
        reorder_point=s.reorder_point if s else None,
    )
    return answer, on_hand


def _store_warnings(
    line: StoreAllocationRead,
    on_hand: int,
    facts: _StoreFacts,
    params: SeasonParameters,
    holdback: int,
) -> Iterator[DcWarning]:
    s = facts.safety.get(line.store_id)
    mine = facts.planned.get(line.store_id)
    if s is not None and on_hand < s.reorder_point:
        yield DcWarning(
            week_number=max(facts.weeks_sold, 1),
            dc_remaining=0,
            message=f"{line.store_id} holds {on_hand:,} units, below its reorder "
            f"point {s.reorder_point:,}",
            severity="warning",
        )
    if (
        mine is not None
        and mine.transit_weeks > 1
        and params.replenishment_strategy.value != "none"
    ):
        yield DcWarning(
            week_number=mine.last_replenishment_week or 1,
            dc_remaining=holdback,
            message=f"{line.store_id}: a {mine.lead_time_days}-day lead time puts a "
            f"delivery {mine.transit_weeks} weeks in transit; it is replenished at the "
            f"latest at the end of week {mine.last_replenishment_week} of "
            f"{params.forecast_horizon_weeks}",
            severity="info",
        )


async def _store_facts(
    session: AsyncSession,
    workflow_id: UUID,
    orders: list[ManufacturingOrderRead],
    params: SeasonParameters,
    what: str,
) -> _StoreFacts:
    stores = {s.code: s for s in await session.scalars(select(Store))}
    by_id = {s.id: s for s in stores.values()}
    # The reorder point is shown and warned on here only: no part of planning reads it.
    safety = {
        by_id[r.store_id].code: r
        for r in await session.scalars(
            select(UploadedSafetyStock).where(UploadedSafetyStock.workflow_id == workflow_id)
        )
    }
    sold = dict(
        (
            await session.execute(
                select(WeeklyActual.store_id, func.sum(WeeklyActual.units_sold))
                .where(WeeklyActual.workflow_id == workflow_id)
                .group_by(WeeklyActual.store_id)
            )
        ).all()
    )
    p = await plan_data.plan(session, workflow_id, params, what)
    return _StoreFacts(
        stores=stores,
        planned=_planned_stores(orders),
        safety=safety,
        sold=sold,
        shares=await plan_data.store_shares(session, p),
        season_total=p.season_total,
        horizon=params.forecast_horizon_weeks,
        weeks_sold=len(await repository.weeks_with_actuals(session, workflow_id)),
    )


async def _replenishment(
    session: AsyncSession, workflow_id: UUID, codes: dict[UUID, str], holdback: int
) -> tuple[list[ReplenishmentWeek], list[DcWarning]]:
    """The DC's shipments week by week, and a warning each week it runs low."""
    shipments: defaultdict[int, list[Shipment]] = defaultdict(list)
    for week, store_id, units_ in await session.execute(
        select(Allocation.week_number, Allocation.store_id, func.sum(Allocation.units))
        .where(Allocation.workflow_id == workflow_id, Allocation.kind == "replenishment")
        .group_by(Allocation.week_number, Allocation.store_id)
        .order_by(Allocation.week_number)
    ):
        if units_:
            shipments[week].append(
                Shipment(
                    store_id=codes[store_id], quantity=int(units_), reason="replenish_to_forecast"
                )
            )
    remaining = holdback
    weeks: list[ReplenishmentWeek] = []
    warnings: list[DcWarning] = []
    for week in sorted(shipments):
        shipped = sum(s.quantity for s in shipments[week])
        remaining -= shipped
        weeks.append(
            ReplenishmentWeek(
                week_number=week,
                shipments=sorted(shipments[week], key=lambda s: s.store_id),
                total_shipped=shipped,
                dc_remaining=max(remaining, 0),
            )
        )
        if holdback and remaining <= 0.1 * holdback:
            warnings.append(
                DcWarning(
                    week_number=week,
                    dc_remaining=max(remaining, 0),
                    message=f"week {week}: the DC holds {max(remaining, 0):,} units, "
                    f"{'nothing' if remaining <= 0 else 'under 10 %'} of its holdback",
                    severity="critical" if remaining <= 0 else "warning",
                )
            )
    return weeks, warnings


async def _allocation(session: AsyncSession, raw_id: str) -> AllocationAnswer:
    season = await lookup.season(session, raw_id, "allocation")
    w = season.require_workflow(f"allocation {raw_id}")
    plan = await repository.allocation_plan(session, w.id)
    if plan is None:
        raise ApiError(
            404,
            f"allocation {raw_id} not found: the manufacturing order is not approved and "
            f"allocated yet (workflow {season.v1_id} is {season.status})",
        )
    params = season.parameters
    orders = await repository.manufacturing_orders(session, w.id)
    facts = await _store_facts(session, w.id, orders, params, f"allocation {raw_id}")
    holdback = plan.holdback_total or 0
    lines: list[StoreAllocation] = []
    warnings: list[DcWarning] = []
    for line in plan.store_allocations:
        answer, on_hand = _store_line(line, facts, holdback, plan.initial_allocation_total or 1)
        lines.append(answer)
        warnings.extend(_store_warnings(line, on_hand, facts, params, holdback))
    codes = {s.id: s.code for s in facts.stores.values()}
    weeks, low = await _replenishment(session, w.id, codes, holdback)
    strategy = units.strategy_to_v1(params.replenishment_strategy.value)
    return AllocationAnswer(
        allocation_id=ids.allocation_id(season.v1_id),
        forecast_id=ids.forecast_id(season.v1_id),
        workflow_id=season.v1_id,
        manufacturing_order=plan.manufacturing_qty or 0,
        total_units_allocated=plan.initial_allocation_total + plan.replenishment_total,
        safety_stock_pct=units.fraction(sum(o.safety_stock_pct for o in orders) / len(orders))
        if orders
        else None,
        dc_holdback_pct=units.holdback_to_v1(params.dc_holdback_percentage),
        replenishment_strategy=strategy,
        strategy=strategy,
        initial_allocation_total=plan.initial_allocation_total,
        dc_holdback_total=holdback,
        store_allocations=lines,
        replenishment_plan=weeks,
        dc_inventory_warnings=warnings + low,
    )


@router.get(
    "/allocations/{allocation_id}",
    response_model=AllocationAnswer,
    summary="§15 The allocation plan",
)
async def allocation(
    allocation_id: str, _: CurrentPrincipal, session: WriteSession
) -> AllocationAnswer:
    return await _allocation(session, allocation_id)


def _replenishment_approval(
    plan: AllocationAnswer, week: int, raw_id: str
) -> ReplenishmentApproval:
    found = next((w for w in plan.replenishment_plan if w.week_number == week), None)
    if found is None:
        raise ApiError(
            404,
            f"no replenishment for week {week} of {raw_id}: shipments are planned when the "
            "week's actuals arrive",
        )
    return ReplenishmentApproval(
        approval_id=f"rp_{plan.workflow_id.removeprefix('wf_')}_{week}",
        forecast_id=plan.forecast_id,
        week_number=week,
        total_units_approved=found.total_shipped,
        stores_affected=len(found.shipments),
        approved_at=timestamp(),
        status="approved",
    )


@router.post(
    "/approvals/replenishment",
    response_model=ReplenishmentApproval,
    summary="§16 Confirm a week's replenishment (Season Planner ships it by itself)",
)
async def approve_replenishment(
    body: ReplenishmentApprovalBody, _: Planner, session: WriteSession
) -> ReplenishmentApproval:
    return _replenishment_approval(
        await _allocation(session, body.forecast_id), body.week_number, body.forecast_id
    )


@router.post(
    "/allocations/{workflow_id}/approve",
    response_model=ReplenishmentApproval,
    summary="§16 Same as above",
)
async def approve_allocation_week(
    workflow_id: str, body: WeekBody, _: Planner, session: WriteSession
) -> ReplenishmentApproval:
    return _replenishment_approval(
        await _allocation(session, workflow_id), body.week_number, workflow_id
    )


@router.post("/allocations/{workflow_id}/reject", summary="§16 Refused: replenishment is automatic")
async def reject_allocation_week(
    workflow_id: str, body: WeekBody, _: Planner, session: WriteSession
) -> None:
    await _allocation(session, workflow_id)
    raise ApiError(
        409,
        f"week {body.week_number} cannot be rejected: Season Planner ships replenishment by "
        "itself from the forecast; re-forecast (POST /api/workflows/reforecast) to change it",
    )


# ---------------------------------------------------------------- §17 markdowns
async def _lift_per_point(
    session: AsyncSession, workflow_id: UUID, proposals: list[MarkdownRead]
) -> float | None:
    """The demand lift per markdown point the domain priced with (the newest proposal's);
    without a proposal (no markdown needed) the uploaded history's, by the same rule."""
    if proposals:
        return proposals[-1].demand_lift_per_point
    rows = await session.execute(
        select(UploadedMarkdownHistory.markdown_pct, UploadedMarkdownHistory.demand_lift_pct)
        .where(UploadedMarkdownHistory.workflow_id == workflow_id)
        .order_by(UploadedMarkdownHistory.row_number)
    )
    return lift_per_markdown_point((float(m), float(d)) for m, d in rows)


async def _unsold_value(session: AsyncSession, workflow_id: UUID) -> float:
    """Allocated units not yet sold, at full price, over the season's categories."""
    allocated = dict(
        (
            await session.execute(
                select(Allocation.category_id, func.sum(Allocation.units))
                .where(Allocation.workflow_id == workflow_id)
                .group_by(Allocation.category_id)
            )
        ).all()
    )
    sold = dict(
        (
            await session.execute(
                select(WeeklyActual.category_id, func.sum(WeeklyActual.units_sold))
                .where(WeeklyActual.workflow_id == workflow_id)
                .group_by(WeeklyActual.category_id)
            )
        ).all()
    )
    prices = dict((await session.execute(select(Category.id, Category.unit_price))).all())
    return sum(
        max(0, int(units_) - int(sold.get(c, 0))) * float(prices[c])
        for c, units_ in allocated.items()
    )


def _checkpoint_outcome(
    proposals: list[MarkdownRead], memory: dict[str, Any], params: SeasonParameters
) -> tuple[float, float, float, float, str, str] | None:
    """Sell-through, target, elasticity, depth, status and reasoning of the checkpoint: the
    newest proposal's, else the passed checkpoint's (no markdown); None before it."""
    if proposals:
        m = proposals[-1]
        percent = (
            m.decided_markdown_pct
            if m.decided_markdown_pct is not None
            else m.recommended_markdown_pct
        )
        return (
            m.sell_through_fraction,
            m.target_sell_through_fraction,
            m.elasticity_coefficient,
            percent,
            m.status,
            m.reasoning,
        )
    if "sell_through" not in memory:
        return None
    actual = float(memory["sell_through"])
    target = float(memory.get("target", params.markdown_threshold))
    reasoning = (
        f"sell-through {actual:.1%} at week {params.markdown_checkpoint_week} meets "
        f"the target {target:.0%}"
    )
    return actual, target, 0.0, 0.0, "not_needed", reasoning


def _risk_assessment(lift: float, uploaded: bool, proposals: list[MarkdownRead]) -> str:
    source = (
        "(from the uploaded markdown history)"
        if uploaded
        else "(the design's default: no markdown history uploaded)"
    )
    elasticity = (
        f"; elasticity from the {proposals[-1].elasticity_source}"
        if proposals and proposals[-1].elasticity_source
        else ""
    )
    return f"demand lift {lift:.2f} per markdown point {source}{elasticity}"


@router.get(
    "/markdowns/{markdown_id}", response_model=MarkdownAnswer, summary="§17 The markdown analysis"
)
async def markdown(markdown_id: str, _: CurrentPrincipal, session: WriteSession) -> MarkdownAnswer:
    season = await lookup.season(session, markdown_id, "markdown")
    if not season.markdown_enabled:
        raise ApiError(
            404,
            f"markdown {markdown_id} not applicable: the workflow was created without a "
            "markdown checkpoint",
        )
    w = season.require_workflow(f"markdown {markdown_id}")
    params = season.parameters
    proposals = await repository.markdowns(session, w.id)
    memory = await repository.latest_payload(session, w.id, "sell_through.computed")
    found = _checkpoint_outcome(proposals, memory, params)
    if found is None:
        raise ApiError(
            404,
            f"markdown {markdown_id} not found: the analysis runs at the checkpoint, week "
            f"{params.markdown_checkpoint_week}, once its actuals are in",
        )
    actual, target, elasticity, percent, status, reasoning = found
    markdown_fraction = units.fraction(percent)
    uploaded_lift = await _lift_per_point(session, w.id, proposals)
    lift = DEFAULT_LIFT_PER_POINT if uploaded_lift is None else uploaded_lift
    after = sell_through_after_markdown(actual, lift, markdown_fraction)
    gap = round(target - actual, 6)
    return MarkdownAnswer(
        markdown_id=ids.markdown_id(season.v1_id),
        workflow_id=season.v1_id,
        forecast_id=ids.forecast_id(season.v1_id),
        markdown_checkpoint_week=params.markdown_checkpoint_week,
        markdown_threshold=target,
        actual_sell_through=actual,
        gap=gap,
        elasticity_coefficient=elasticity,
        expected_impact=round(max(gap, 0.0) * elasticity, 6),
        recommended_markdown_percentage=markdown_fraction,
        expected_sell_through_after_markdown=round(after, 6),
        expected_margin_reduction=round(markdown_fraction * await _unsold_value(session, w.id)),
        decision="APPLY_MARKDOWN" if markdown_fraction > 0 else "NO_MARKDOWN_NEEDED",
        status=status,
        justification=reasoning,
        risk_assessment=_risk_assessment(lift, uploaded_lift is not None, proposals),
        timestamp=timestamp(),
    )
