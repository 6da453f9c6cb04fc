"""The gateway's repository: the reads behind its endpoints (every table, as API read models;
the read side may read all) and the workflow lookups its commands lock."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.errors import ApiError, not_found
from planner_gateway.schemas.resources import (
    AllocationPlanRead,
    ApprovalRead,
    CategoryRead,
    ClusterRead,
    EventRead,
    ForecastRead,
    ForecastRunSummary,
    ForecastWeekRead,
    ManufacturingOrderRead,
    MarkdownRead,
    StoreAllocationRead,
    StoreRead,
    VarianceRead,
)
from planner_shared.db.models import (
    Allocation,
    Approval,
    Category,
    Forecast,
    ForecastWeek,
    ManufacturingOrder,
    Store,
    StoreCluster,
    StoreClusterMember,
    VarianceCheck,
    WeeklyActual,
    Workflow,
    WorkflowEvent,
)
from planner_shared.events import ForecastRequestedPayload, MarkdownLine


async def get_workflow(session: AsyncSession, workflow_id: UUID, *, lock: bool = False) -> Workflow:
    query = select(Workflow).where(Workflow.id == workflow_id)
    if lock:
        query = query.with_for_update()
    workflow = await session.scalar(query)
    if workflow is None:
        raise not_found(f"workflow {workflow_id}")
    return workflow


async def category_codes(session: AsyncSession) -> dict[UUID, str]:
    rows = await session.execute(select(Category.id, Category.code))
    return {row.id: row.code for row in rows}


async def stores(session: AsyncSession) -> list[StoreRead]:
    rows = (await session.scalars(select(Store).order_by(Store.code))).all()
    return [
        StoreRead(
            store_id=s.code,
            id=s.id,
            name=s.name,
            region=s.region,
            size_sqft=s.size_sqft,
            weekly_traffic=s.weekly_traffic,
            format=s.format,
        )
        for s in rows
    ]


async def categories(session: AsyncSession) -> list[CategoryRead]:
    rows = (await session.scalars(select(Category).order_by(Category.code))).all()
    return [
        CategoryRead(
            id=c.code,
            uuid=c.id,
            name=c.name,
            unit_price=c.unit_price,
            price_elasticity=c.price_elasticity,
            stock_on_hand=c.stock_on_hand,
        )
        for c in rows
    ]


# ---------------------------------------------------------------- forecasts
async def forecast_runs(session: AsyncSession, workflow_id: UUID) -> list[ForecastRunSummary]:
    rows = await session.execute(
        select(
            Forecast.run_number,
            func.min(Forecast.reason).label("reason"),
            func.sum(Forecast.season_total).label("total"),
            func.count().label("categories"),
        )
        .where(Forecast.workflow_id == workflow_id)
        .group_by(Forecast.run_number)
        .order_by(Forecast.run_number)
    )
    return [
        ForecastRunSummary(
            run_number=r.run_number,
            reason=r.reason,
            season_total=float(r.total),
            categories=r.categories,
        )
        for r in rows
    ]


async def forecasts(
    session: AsyncSession, workflow_id: UUID, run_numbers: Sequence[int]
) -> list[ForecastRead]:
    if not run_numbers:
        return []
    rows = (
        await session.execute(
            select(Forecast, Category.code, Category.name)
            .join(Category, Category.id == Forecast.category_id)
            .where(Forecast.workflow_id == workflow_id, Forecast.run_number.in_(run_numbers))
            .order_by(Forecast.run_number, Category.code)
        )
    ).all()
    weeks: defaultdict[UUID, list[ForecastWeek]] = defaultdict(list)
    if rows:
        for week in await session.scalars(
            select(ForecastWeek)
            .where(ForecastWeek.forecast_id.in_([r.Forecast.id for r in rows]))
            .order_by(ForecastWeek.week_number)
        ):
            weeks[week.forecast_id].append(week)
    return [
        ForecastRead(
            forecast_id=r.Forecast.id,
            category_code=r.code,
            category_name=r.name,
            run_number=r.Forecast.run_number,
            reason=r.Forecast.reason,
            total_season_demand=r.Forecast.season_total,
            forecasting_method=r.Forecast.method,
            diagnostics=r.Forecast.diagnostics,
            created_at=r.Forecast.created_at,
            weekly_demand_curve=[
                ForecastWeekRead(
                    week_number=w.week_number,
                    week_start_date=w.week_start,
                    forecasted_units=w.point,
                    lower_80=w.lower_80,
                    upper_80=w.upper_80,
                    lower_95=w.lower_95,
                    upper_95=w.upper_95,
                    baseline_units=w.baseline,
                )
                for w in weeks[r.Forecast.id]
            ],
        )
        for r in rows
    ]


async def manufacturing_orders(
    session: AsyncSession, workflow_id: UUID
) -> list[ManufacturingOrderRead]:
    rows = await session.execute(
        select(ManufacturingOrder, Category.code)
        .join(Category, Category.id == ManufacturingOrder.category_id)
        .where(ManufacturingOrder.workflow_id == workflow_id)
        .order_by(Category.code)
    )
    return [
        ManufacturingOrderRead(
            category_code=r.code,
            forecast_units=r.ManufacturingOrder.forecast_units,
            safety_stock_pct=r.ManufacturingOrder.safety_stock_pct,
            stock_on_hand=r.ManufacturingOrder.stock_on_hand,
            recommended_quantity=r.ManufacturingOrder.recommended_quantity,
            approved_quantity=r.ManufacturingOrder.approved_quantity,
            reasoning=r.ManufacturingOrder.reasoning,
        )
        for r in rows
    ]


# ---------------------------------------------------------------- clusters and allocation
async def _cluster_of_store(
    session: AsyncSession, workflow_id: UUID
) -> tuple[list[StoreCluster], dict[UUID, StoreCluster]]:
    clusters = list(
        (
            await session.scalars(
                select(StoreCluster)
                .where(StoreCluster.workflow_id == workflow_id)
                .order_by(StoreCluster.label)
            )
        ).all()
    )
    by_id = {c.id: c for c in clusters}
    members = await session.execute(
        select(StoreClusterMember.store_id, StoreClusterMember.cluster_id).where(
            StoreClusterMember.workflow_id == workflow_id
        )
    )
    return clusters, {m.store_id: by_id[m.cluster_id] for m in members if m.cluster_id in by_id}


async def _store_index(session: AsyncSession) -> dict[UUID, Store]:
    return {s.id: s for s in await session.scalars(select(Store))}


async def clusters(session: AsyncSession, workflow_id: UUID) -> list[ClusterRead]:
    cluster_rows, cluster_of = await _cluster_of_store(session, workflow_id)
    store_index = await _store_index(session)
    initial = await session.execute(
        select(Allocation.store_id, func.sum(Allocation.units).label("units"))
        .where(Allocation.workflow_id == workflow_id, Allocation.kind == "initial")
        .group_by(Allocation.store_id)
    )
    units_by_cluster: defaultdict[UUID, int] = defaultdict(int)
    allocated_total = 0
    for row in initial:
        allocated_total += int(row.units)
        if (cluster := cluster_of.get(row.store_id)) is not None:
            units_by_cluster[cluster.id] += int(row.units)
    members: defaultdict[UUID, list[str]] = defaultdict(list)
    for store_id, cluster in cluster_of.items():
        members[cluster.id].append(store_index[store_id].code)
    return [
        ClusterRead(
            cluster_id=c.id,
            label=c.label,
            cluster_name=c.name,
            profile=c.profile,
            silhouette=c.silhouette,
            store_count=len(members[c.id]),
            stores=sorted(members[c.id]),
            total_units=units_by_cluster[c.id] if allocated_total else None,
            allocation_fraction=(
                round(units_by_cluster[c.id] / allocated_total, 4) if allocated_total else None
            ),
        )
        for c in cluster_rows
    ]


def _ordered(orders: list[ManufacturingOrderRead]) -> int | None:
    """The order's units: as approved, else as recommended; None before any order."""
    approved = [o.approved_quantity for o in orders if o.approved_quantity is not None]
    return sum(approved) if approved else (sum(o.recommended_quantity for o in orders) or None)


async def allocation_plan(
    session: AsyncSession, workflow_id: UUID, *, with_stores: bool = True
) -> AllocationPlanRead | None:
    rows = (
        await session.execute(
            select(
                Allocation.store_id,
                Allocation.category_id,
                Allocation.kind,
                Allocation.week_number,
                Allocation.units,
            ).where(Allocation.workflow_id == workflow_id)
        )
    ).all()
    if not rows:
        return None
    codes = await category_codes(session)
    store_index = await _store_index(session)
    _clusters, cluster_of = await _cluster_of_store(session, workflow_id)
    initial: defaultdict[UUID, dict[str, int]] = defaultdict(dict)
    replenished: defaultdict[UUID, int] = defaultdict(int)
    by_category: defaultdict[str, int] = defaultdict(int)
    by_week: defaultdict[str, int] = defaultdict(int)
    for row in rows:
        code = codes[row.category_id]
        if row.kind == "initial":
            initial[row.store_id][code] = initial[row.store_id].get(code, 0) + row.units
            by_category[code] += row.units
        else:
            replenished[row.store_id] += row.units
            by_week[str(row.week_number)] += row.units
    manufacturing_qty = _ordered(await manufacturing_orders(session, workflow_id))
    initial_total = sum(by_category.values())
    store_ids = sorted(set(initial) | set(replenished), key=lambda s: store_index[s].code)
    lines = [
        StoreAllocationRead(
            store_id=store_index[s].code,
            store_name=store_index[s].name,
            cluster_id=cluster_of[s].id if s in cluster_of else None,
            cluster_name=cluster_of[s].name if s in cluster_of else None,
            initial_allocation=sum(initial[s].values()),
            replenishment_units=replenished[s],
            total_season_allocation=sum(initial[s].values()) + replenished[s],
            by_category=dict(sorted(initial[s].items())),
        )
        for s in store_ids
    ]
    return AllocationPlanRead(
        workflow_id=workflow_id,
        manufacturing_qty=manufacturing_qty,
        initial_allocation_total=initial_total,
        holdback_total=None if manufacturing_qty is None else manufacturing_qty - initial_total,
        replenishment_total=sum(replenished.values()),
        by_category=dict(sorted(by_category.items())),
        replenishment_by_week=dict(sorted(by_week.items(), key=lambda kv: int(kv[0]))),
        store_count=len(lines),
        store_allocations=lines if with_stores else [],
    )


# ---------------------------------------------------------------- in season
async def variance_checks(
    session: AsyncSession, workflow_id: UUID, week: int | None = None
) -> list[VarianceRead]:
    query = select(VarianceCheck).where(VarianceCheck.workflow_id == workflow_id)
    if week is not None:
        query = query.where(VarianceCheck.week_number == week)
    rows = await session.scalars(query.order_by(VarianceCheck.week_number))
    checks = []
    for v in rows:
        # The forecast service stores the compared window beside the categories.
        categories = dict(v.by_category)
        compared = categories.pop("_compared_weeks", None)
        checks.append(
            VarianceRead(
                week_number=v.week_number,
                compared_weeks=compared,
                forecasted_cumulative=v.forecast_units,
                actual_cumulative=v.actual_units,
                variance_fraction=v.variance,
                threshold=v.threshold,
                threshold_exceeded=v.exceeded,
                by_category=categories,
                checked_at=v.created_at,
            )
        )
    return checks


async def weeks_with_actuals(session: AsyncSession, workflow_id: UUID) -> list[int]:
    rows = await session.scalars(
        select(WeeklyActual.week_number)
        .distinct()
        .where(WeeklyActual.workflow_id == workflow_id)
        .order_by(WeeklyActual.week_number)
    )
    return list(rows)


async def approvals(
    session: AsyncSession, workflow_id: UUID, kind: str | None = None
) -> list[ApprovalRead]:
    query = select(Approval).where(Approval.workflow_id == workflow_id)
    if kind is not None:
        query = query.where(Approval.kind == kind)
    rows = await session.scalars(query.order_by(Approval.created_at))
    return [
        ApprovalRead(
            approval_id=a.id,
            workflow_id=a.workflow_id,
            kind=a.kind,
            status=a.status,
            proposal=a.proposal,
            proposed_value=a.proposed_value,
            min_value=a.min_value,
            max_value=a.max_value,
            action=a.action,
            decided_value=a.decided_value,
            reason=a.reason,
            decided_by=a.decided_by,
            decided_at=a.decided_at,
            created_at=a.created_at,
            proposed_lines=proposed_lines(a.proposal),
            decided_lines=a.decided_lines or {},
        )
        for a in rows
    ]


def proposed_lines(proposal: dict[str, Any]) -> dict[str, float]:
    """A proposal's lines per category: the order's units, or the markdown's depths."""
    field = "percentage" if proposal.get("kind") == "markdown" else "quantity"
    return {
        str(line["category_code"]): float(line[field])
        for line in proposal.get("lines") or []
        if isinstance(line, dict) and field in line
    }


async def markdowns(session: AsyncSession, workflow_id: UUID) -> list[MarkdownRead]:
    result = []
    for a in await approvals(session, workflow_id, kind="markdown"):
        p = a.proposal
        try:
            sell_through, target = float(p["sell_through"]), float(p["target"])
            result.append(
                MarkdownRead(
                    approval_id=a.approval_id,
                    status=a.status,
                    week_number=int(p["week_number"]),
                    sell_through_fraction=sell_through,
                    target_sell_through_fraction=target,
                    gap_fraction=round(target - sell_through, 6),
                    elasticity_coefficient=float(p["elasticity"]),
                    recommended_markdown_pct=float(p["percentage"]),
                    max_markdown_pct=float(p["max_percentage"]),
                    decided_markdown_pct=a.decided_value,
                    decided_by=a.decided_by,
                    decided_at=a.decided_at,
                    reasoning=str(p.get("rationale", "")),
                    elasticity_source=p.get("elasticity_source"),
                    demand_lift_per_point=(
                        float(p["demand_lift_per_point"])
                        if p.get("demand_lift_per_point") is not None
                        else None
                    ),
                    markdown_points_per_gap_point=float(p["elasticity"]),
                    lines=[MarkdownLine.model_validate(line) for line in p.get("lines") or []],
                    decided_lines=a.decided_lines,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ApiError(500, f"stored markdown proposal {a.approval_id} is malformed") from exc
    return result


async def history(
    session: AsyncSession,
    workflow_id: UUID,
    *,
    after: int,
    limit: int,
    types: Sequence[str] = (),
) -> list[EventRead]:
    query = select(WorkflowEvent).where(
        WorkflowEvent.workflow_id == workflow_id, WorkflowEvent.seq > after
    )
    if types:
        query = query.where(WorkflowEvent.type.in_(types))
    rows = await session.scalars(query.order_by(WorkflowEvent.seq).limit(limit))
    return [
        EventRead(
            seq=e.seq,
            event_id=e.event_id,
            type=e.type,
            stream=e.stream,
            occurred_at=e.occurred_at,
            envelope=e.envelope,
        )
        for e in rows
    ]


async def runs_started_by_week(session: AsyncSession, workflow_id: UUID) -> dict[int, int]:
    """Week -> the re-forecast run its check (or its correction) started, newest last, as the
    orchestrator recorded it on `forecast.requested` (`started_by_week`)."""
    envelopes = await session.scalars(
        select(WorkflowEvent.envelope)
        .where(
            WorkflowEvent.workflow_id == workflow_id,
            WorkflowEvent.type == "forecast.requested",
        )
        .order_by(WorkflowEvent.seq)
    )
    started: dict[int, int] = {}
    for envelope in envelopes:
        payload = ForecastRequestedPayload.model_validate(envelope["payload"])
        if payload.started_by_week is not None:
            started[payload.started_by_week] = payload.run_number
    return started


async def latest_payload(
    session: AsyncSession, workflow_id: UUID, event_type: str
) -> dict[str, Any]:
    """The payload of the workflow's newest event of a type, from the relayed history;
    empty when there is none. (The orchestrator's memory is its own: read the events.)"""
    envelope = await session.scalar(
        select(WorkflowEvent.envelope)
        .where(WorkflowEvent.workflow_id == workflow_id, WorkflowEvent.type == event_type)
        .order_by(WorkflowEvent.seq.desc())
        .limit(1)
    )
    payload: dict[str, Any] = (envelope or {}).get("payload") or {}
    return payload
