"""Forecast overrides: checked, stored, withdrawn and read (docs/overrides.md).

The gateway owns `forecast_overrides`; what an override does to the forecast is
`planner_shared.overrides`, which every reader of demand goes through. Each one made or
withdrawn through the API is announced (`forecast.overridden`, in the same transaction):
the orchestrator decides what it changes of the season.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.errors import ApiError, ErrorDetail, not_found, wrong_state
from planner_gateway.schemas.overrides import (
    OverrideCreate,
    OverrideList,
    OverrideRead,
    OverrideScope,
    OverrideSource,
)
from planner_shared.db.models import (
    Category,
    ForecastOverride,
    Store,
    StoreCluster,
    WeeklyActual,
    Workflow,
)
from planner_shared.events import ForecastOverridden, ForecastOverriddenPayload
from planner_shared.workflow import TERMINAL_STATES, WorkflowState

MIN_PERCENT, MAX_PERCENT = -100.0, 500.0
MAX_UNITS = 10_000_000.0

# The table's check constraint holds the scope; the API makes the two sources only.
SCOPES: dict[str, OverrideScope] = {"category": "category", "cluster": "cluster", "store": "store"}
SOURCES: dict[str, OverrideSource] = {"planner": "planner", "brief": "brief"}


def _refuse(field: str, message: str) -> ApiError:
    return ApiError(422, message, details=[ErrorDetail(field=field, message=message)])


def _check_amount(body: OverrideCreate) -> None:
    if (body.percent is None) == (body.units is None):
        raise _refuse(
            "percent",
            "give exactly one of percent (+10 is 10 % more) or units (added to each chosen "
            "week)" + (", not both" if body.percent is not None else ""),
        )
    name, value = ("percent", body.percent) if body.percent is not None else ("units", body.units)
    assert value is not None
    if not math.isfinite(value):
        raise _refuse(name, f"{name} must be a finite number, not {value}")
    if name == "percent" and not MIN_PERCENT <= value <= MAX_PERCENT:
        raise _refuse(
            "percent",
            f"percent must be between {MIN_PERCENT:g} and {MAX_PERCENT:g} (+10 is 10 % more), "
            f"not {value:g}",
        )
    if name == "units" and abs(value) > MAX_UNITS:
        raise _refuse("units", f"units must be within +/-{MAX_UNITS:,.0f} a week, not {value:g}")


def _weeks(body: OverrideCreate, horizon: int, weeks_in: int) -> list[int]:
    if body.weeks is None:
        chosen = list(range(weeks_in + 1, horizon + 1))
        if not chosen:
            raise _refuse("weeks", f"every week of the season is in (1-{horizon}): none to adjust")
        return chosen
    if not body.weeks:
        raise _refuse("weeks", "weeks must name at least one week (or be left out: every week)")
    for week in body.weeks:
        if not 1 <= week <= horizon:
            raise _refuse(
                "weeks", f"week {week} is outside the season: its weeks are 1 to {horizon}"
            )
        if week <= weeks_in:
            raise _refuse(
                "weeks",
                f"week {week} is already in (actuals uploaded through week {weeks_in}): an "
                "override changes weeks to come only",
            )
    return sorted(set(body.weeks))


@dataclass(frozen=True)
class _Scope:
    category: Category | None
    cluster: StoreCluster | None
    store: Store | None


async def _category(session: AsyncSession, field: str, text: str, codes: Sequence[str]) -> Category:
    """A category by its code or its name, either case, singular or plural."""
    wanted = text.strip().lower()
    for category in await session.scalars(select(Category).order_by(Category.code)):
        names = {category.code.lower(), category.name.lower(), category.name.lower().rstrip("s")}
        if wanted in names or wanted.rstrip("s") in names:
            if codes and category.code not in codes:
                raise _refuse(field, f"category {category.code} is not planned in this season")
            return category
    raise _refuse(
        field,
        f"unknown category {text!r}: the season's categories are {', '.join(codes) or 'none'}",
    )


async def _scope(session: AsyncSession, workflow: Workflow, body: OverrideCreate) -> _Scope:
    codes = list(workflow.category_codes or [])
    if not codes:
        codes = list(await session.scalars(select(Category.code).order_by(Category.code)))
    if body.scope == "category":
        if body.category_code is not None and body.category_code != body.code:
            raise _refuse("category_code", "a category override names its category in code")
        return _Scope(await _category(session, "code", body.code, codes), None, None)
    category = (
        await _category(session, "category_code", body.category_code, codes)
        if body.category_code is not None
        else None
    )
    if body.scope == "store":
        store = await session.scalar(select(Store).where(Store.code == body.code.strip()))
        if store is None:
            raise _refuse("code", f"unknown store {body.code!r}")
        return _Scope(category, None, store)
    clusters = list(
        await session.scalars(
            select(StoreCluster)
            .where(StoreCluster.workflow_id == workflow.id)
            .order_by(StoreCluster.label)
        )
    )
    if not clusters:
        raise _refuse("code", "the season has no store clusters yet: they come with run 1")
    for cluster in clusters:
        if body.code.strip() in (str(cluster.label), cluster.name):
            return _Scope(category, cluster, None)
    listed = "; ".join(f"{c.label} ({c.name})" for c in clusters)
    raise _refuse("code", f"unknown cluster {body.code!r}: the season's clusters are {listed}")


def takes_effect(state: str) -> str:
    """What an override made in `state` changes (docs/overrides.md, "When it arrives")."""
    if state in (WorkflowState.CREATED, WorkflowState.EXTRACTING):
        return (
            "before the buy: run 1 applies it to the order's proposal (and so the allocation), "
            "the stock ledger and the markdown"
        )
    if state == WorkflowState.FORECASTING:
        return (
            "before the buy: in the order's proposal if run 1 has not sized the order yet "
            "(overrides sent with the season request always are); the allocation, the stock "
            "ledger and the markdown use it in any case"
        )
    if state == WorkflowState.AWAITING_MANUFACTURING_APPROVAL:
        return (
            "the order is sized again on the final forecast and a new proposal replaces the "
            "one awaiting the decision (which is superseded with this override's reason); "
            "the allocation, the stock ledger's projection and the markdown use it at once"
        )
    if state == WorkflowState.ALLOCATING:
        return (
            "the order is decided: the allocation, the stock ledger's projection and the "
            "markdown use it at once"
        )
    return (
        "in season: the stock ledger's projection, the next replenishment and the markdown "
        "use it at once"
    )


async def create(
    session: AsyncSession, workflow: Workflow, body: OverrideCreate, who: str
) -> OverrideRead:
    if WorkflowState(workflow.state) in TERMINAL_STATES:
        raise wrong_state(
            workflow.id, workflow.state, "a forecast override", "a season that has not ended"
        )
    horizon = int((workflow.parameters or {}).get("forecast_horizon_weeks") or 0)
    if not horizon:
        raise wrong_state(
            workflow.id,
            workflow.state,
            "a forecast override",
            "the season's parameters",
            "wait for the brief to be read",
        )
    _check_amount(body)
    if not body.reason.strip():
        raise _refuse("reason", "say why: the reason is shown with the override")
    scope = await _scope(session, workflow, body)
    weeks_in = await _weeks_in(session, workflow.id)
    row = ForecastOverride(
        workflow_id=workflow.id,
        scope=body.scope,
        category_id=scope.category.id if scope.category else None,
        cluster_label=scope.cluster.label if scope.cluster else None,
        store_id=scope.store.id if scope.store else None,
        weeks=_weeks(body, horizon, weeks_in),
        percent=body.percent,
        units=body.units,
        reason=body.reason.strip(),
        source=body.source,
        created_by=who,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    await session.flush()
    [read] = await _reads(session, workflow.id, [row])
    return read.model_copy(update={"takes_effect": takes_effect(workflow.state)})


def announcement(
    read: OverrideRead, action: Literal["made", "withdrawn"], by: str, reason: str, producer: str
) -> ForecastOverridden:
    """The event that tells the season its final forecast changed (docs/overrides.md): the
    orchestrator decides what follows (while the order awaits its decision, a new proposal)."""
    amount = f"{read.percent:+g} %" if read.percent is not None else f"{read.units:+,g} units"
    scope = read.code if read.scope == "category" else f"{read.scope} {read.code}"
    if read.category_code and read.scope != "category":
        scope += f" ({read.category_code})"
    weeks = read.weeks
    span = (
        f"week {weeks[0]}"
        if len(weeks) == 1
        else f"weeks {weeks[0]}-{weeks[-1]}"
        if weeks == list(range(weeks[0], weeks[-1] + 1))
        else "weeks " + ", ".join(map(str, weeks))
    )
    return ForecastOverridden(
        workflow_id=read.workflow_id,
        producer=producer,
        payload=ForecastOverriddenPayload(
            override_id=read.id,
            action=action,
            by=by,
            reason=reason,
            summary=f"{scope} {amount} {span}",
        ),
    )


async def create_with_season(
    session: AsyncSession, workflow: Workflow, bodies: Sequence[OverrideCreate], who: str
) -> None:
    """The overrides a season is created with, in its transaction: run 1 cannot miss them.
    A refusal names the override (`forecast_overrides.<i>.<field>`) and creates nothing."""
    if bodies and not workflow.parameters:
        raise _refuse(
            "forecast_overrides",
            "forecast overrides need the confirmed parameters (the season's weeks): give "
            "`parameters`, or add them once the brief is read",
        )
    for i, body in enumerate(bodies):
        try:
            await create(session, workflow, body, who)
        except ApiError as error:
            details = [
                d.model_copy(update={"field": f"forecast_overrides.{i}.{d.field}"})
                for d in error.details
            ]
            raise ApiError(
                error.status_code, f"forecast override {i + 1}: {error.message}", details=details
            ) from None


async def withdraw(
    session: AsyncSession, workflow: Workflow, override_id: UUID, who: str, reason: str | None
) -> OverrideRead:
    row = await session.scalar(
        select(ForecastOverride)
        .where(ForecastOverride.id == override_id, ForecastOverride.workflow_id == workflow.id)
        .with_for_update()
    )
    if row is None:
        raise not_found(f"forecast override {override_id} of workflow {workflow.id}")
    if row.withdrawn_at is not None:
        raise ApiError(
            409,
            f"forecast override {override_id} was withdrawn by {row.withdrawn_by} at "
            f"{row.withdrawn_at.isoformat()}",
        )
    row.withdrawn_by = who
    row.withdrawn_at = datetime.now(UTC)
    row.withdrawn_reason = reason
    await session.flush()
    [read] = await _reads(session, workflow.id, [row])
    return read


async def listed(session: AsyncSession, workflow_id: UUID) -> OverrideList:
    rows = list(
        await session.scalars(
            select(ForecastOverride)
            .where(ForecastOverride.workflow_id == workflow_id)
            .order_by(ForecastOverride.created_at, ForecastOverride.id)
        )
    )
    return OverrideList(items=await _reads(session, workflow_id, rows))


async def _weeks_in(session: AsyncSession, workflow_id: UUID) -> int:
    weeks = set(
        await session.scalars(
            select(func.distinct(WeeklyActual.week_number)).where(
                WeeklyActual.workflow_id == workflow_id
            )
        )
    )
    count = 0
    while count + 1 in weeks:
        count += 1
    return count


async def _reads(
    session: AsyncSession, workflow_id: UUID, rows: Sequence[ForecastOverride]
) -> list[OverrideRead]:
    categories = {c.id: c for c in await session.scalars(select(Category))}
    stores = {s.id: s for s in await session.scalars(select(Store))}
    clusters = {
        c.label: c.name
        for c in await session.scalars(
            select(StoreCluster).where(StoreCluster.workflow_id == workflow_id)
        )
    }
    reads = []
    for row in rows:
        category = categories.get(row.category_id) if row.category_id else None
        code, name = (category.code, category.name) if category else ("", "")
        if row.scope == "cluster":
            label = row.cluster_label if row.cluster_label is not None else -1
            code, name = str(label), clusters.get(label, f"cluster {label}")
        elif row.scope == "store" and row.store_id in stores:
            code, name = stores[row.store_id].code, stores[row.store_id].name
        reads.append(
            OverrideRead(
                id=row.id,
                workflow_id=row.workflow_id,
                scope=SCOPES[row.scope],
                code=code,
                name=name,
                category_code=category.code if category else None,
                weeks=list(row.weeks),
                percent=row.percent,
                units=row.units,
                reason=row.reason,
                source=SOURCES[row.source],
                created_by=row.created_by,
                created_at=row.created_at,
                active=row.withdrawn_at is None,
                withdrawn_by=row.withdrawn_by,
                withdrawn_at=row.withdrawn_at,
                withdrawn_reason=row.withdrawn_reason,
            )
        )
    return reads
