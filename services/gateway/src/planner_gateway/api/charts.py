"""The console's reads: season overviews, chart-ready series, store drill-down, markdown effect."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from sqlalchemy import select

from planner_gateway import charts
from planner_gateway.auth import CurrentPrincipal
from planner_gateway.deps import ReadSession
from planner_gateway.errors import ApiError, ErrorDetail, responses
from planner_gateway.schemas.bounds import PG_INT_MAX
from planner_gateway.schemas.charts import (
    AllocationChart,
    ForecastChart,
    MarkdownProjection,
    SeasonList,
    SeasonOverview,
    StoreDetail,
    WeeklyChart,
)
from planner_gateway.season_filters import NameFilter, StateFilter, season_filters
from planner_shared.db.models import Workflow
from planner_shared.parameters import PERCENT_SCHEMA, check_percent

router = APIRouter(tags=["console"])
WORKFLOW = "/workflows/{workflow_id}"


@router.get(
    "/seasons",
    response_model=SeasonList,
    responses=responses(),
    summary="Seasons, newest first: name, state, progress, pre-season done, who must act "
    "next; filter by state and name",
)
async def list_seasons(
    _: CurrentPrincipal,
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    state: StateFilter = None,
    name: NameFilter = None,
) -> SeasonList:
    ids = await session.scalars(
        select(Workflow.id)
        .where(*season_filters(state, name))
        .order_by(Workflow.created_at.desc(), Workflow.id.desc())
        .limit(limit)
    )
    return SeasonList(items=[await charts.overview(session, i) for i in list(ids)])


@router.get(
    WORKFLOW + "/overview",
    response_model=SeasonOverview,
    responses=responses(404),
    summary="One season at a glance, with the 'pre-season planning done' signal",
)
async def season_overview(
    workflow_id: UUID, _: CurrentPrincipal, session: ReadSession
) -> SeasonOverview:
    return await charts.overview(session, workflow_id, with_stock=True)


@router.get(
    WORKFLOW + "/charts/weekly",
    response_model=WeeklyChart,
    responses=responses(404),
    summary="Actual against forecast per week, by category and in total; variance, runs, "
    "sell-through, accuracy so far",
)
async def weekly_chart(workflow_id: UUID, _: CurrentPrincipal, session: ReadSession) -> WeeklyChart:
    return await charts.weekly_chart(session, workflow_id)


@router.get(
    WORKFLOW + "/charts/forecast",
    response_model=ForecastChart,
    responses=responses(404),
    summary="History and forecast per category with 80/95% bands, weights and backtest errors",
)
async def forecast_chart(
    workflow_id: UUID,
    _: CurrentPrincipal,
    session: ReadSession,
    run: Annotated[
        int | None,
        Query(ge=1, le=PG_INT_MAX, description="A run number; the newest by default."),
    ] = None,
) -> ForecastChart:
    return await charts.forecast_chart(session, workflow_id, run)


@router.get(
    WORKFLOW + "/charts/allocation",
    response_model=AllocationChart,
    responses=responses(404),
    summary="Allocation by cluster, initial and replenishment, and the DC balance by week",
)
async def allocation_chart(
    workflow_id: UUID, _: CurrentPrincipal, session: ReadSession
) -> AllocationChart:
    return await charts.allocation_chart(session, workflow_id)


@router.get(
    WORKFLOW + "/stores/{store_code}",
    response_model=StoreDetail,
    responses=responses(404),
    summary="One store of the season: allocation, replenishment and sales per category",
)
async def store_detail(
    workflow_id: UUID, store_code: str, _: CurrentPrincipal, session: ReadSession
) -> StoreDetail:
    return await charts.store_detail(session, workflow_id, store_code)


@router.get(
    WORKFLOW + "/markdowns/projection",
    response_model=MarkdownProjection,
    responses=responses(404, 409),
    summary="What a markdown is expected to do: projected sell-through and revenue",
)
async def markdown_projection(
    workflow_id: UUID,
    _: CurrentPrincipal,
    session: ReadSession,
    markdown_pct: Annotated[
        float,
        Query(
            ge=0,
            le=100,
            description="The markdown in percent (15 is 15%); a value between 0 and 1 is "
            "refused as a fraction.",
            json_schema_extra=PERCENT_SCHEMA,
        ),
    ],
    lines: Annotated[
        str | None,
        Query(
            max_length=2000,
            description="Per category, its own depth: `DRES:20,OUTW:0` (percent); the "
            "categories left out take `markdown_pct`.",
        ),
    ] = None,
) -> MarkdownProjection:
    try:
        check_percent("markdown_pct", markdown_pct)
    except ValueError as exc:
        raise ApiError(
            422, str(exc), details=[ErrorDetail(field="markdown_pct", message=str(exc))]
        ) from None
    depths = _depth_lines(lines)
    return await charts.markdown_projection(session, workflow_id, markdown_pct, depths)


def _depth_lines(text: str | None) -> dict[str, float]:
    """`DRES:20,OUTW:0` as {code: percent}; a 422 naming the first bad part."""
    depths: dict[str, float] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        code, _, value = part.partition(":")
        code = code.strip().upper()
        try:
            depth = float(value)
            if not code or not 0 <= depth <= 100:
                raise ValueError(f"a depth must be 0-100, got {value.strip()!r}")
            check_percent(f"the markdown of {code}", depth)
        except ValueError as exc:
            message = f"lines: {part.strip()!r} is not CODE:PERCENT ({exc})"
            raise ApiError(
                422, message, details=[ErrorDetail(field=f"lines.{code}", message=message)]
            ) from None
        depths[code] = depth
    return depths
