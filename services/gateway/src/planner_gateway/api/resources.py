"""Read endpoints over the stored results: reference data and each workflow's plan.

Any valid key may read. Paths are per workflow (`/api/workflows/{id}/forecasts`, ...) where
the Phase 2 frontend used per-forecast ids (`/api/forecasts/{id}`): a season here is one
workflow, and re-forecasts are runs of it.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from planner_gateway import repository
from planner_gateway.auth import CurrentPrincipal
from planner_gateway.deps import ReadSession
from planner_gateway.errors import ApiError, not_found, responses
from planner_gateway.schemas.bounds import PG_BIGINT_MAX, PG_INT_MAX
from planner_gateway.schemas.resources import (
    AllocationPlanRead,
    ApprovalList,
    CategoryList,
    ClusterList,
    EventPage,
    ForecastList,
    MarkdownList,
    StoreList,
    VarianceList,
    WorkflowResults,
)

router = APIRouter(tags=["resources"])


@router.get("/stores", response_model=StoreList, responses=responses(), summary="All stores")
async def list_stores(_: CurrentPrincipal, session: ReadSession) -> StoreList:
    stores = await repository.stores(session)
    return StoreList(stores=stores, count=len(stores))


@router.get(
    "/categories", response_model=CategoryList, responses=responses(), summary="All categories"
)
async def list_categories(_: CurrentPrincipal, session: ReadSession) -> CategoryList:
    return CategoryList(categories=await repository.categories(session))


@router.get(
    "/workflows/{workflow_id}/forecasts",
    response_model=ForecastList,
    responses=responses(404),
    summary="Demand forecasts per category with weekly points and 80%/95% intervals",
)
async def workflow_forecasts(
    workflow_id: UUID,
    _: CurrentPrincipal,
    session: ReadSession,
    run_number: Annotated[
        int | None, Query(ge=1, le=PG_INT_MAX, description="Default: the latest run.")
    ] = None,
    all_runs: bool = False,
) -> ForecastList:
    await repository.get_workflow(session, workflow_id)
    runs = [r.run_number for r in await repository.forecast_runs(session, workflow_id)]
    if run_number is not None and run_number not in runs:
        raise not_found(f"forecast run {run_number} of workflow {workflow_id}")
    selected = runs if all_runs else [run_number or runs[-1]] if runs else []
    return ForecastList(
        workflow_id=workflow_id,
        run_numbers=runs,
        forecasts=await repository.forecasts(session, workflow_id, selected),
    )


@router.get(
    "/workflows/{workflow_id}/clusters",
    response_model=ClusterList,
    responses=responses(404),
    summary="Store clusters of the workflow, with members and their share of the allocation",
)
async def workflow_clusters(
    workflow_id: UUID, _: CurrentPrincipal, session: ReadSession
) -> ClusterList:
    await repository.get_workflow(session, workflow_id)
    return ClusterList(
        workflow_id=workflow_id, clusters=await repository.clusters(session, workflow_id)
    )


@router.get(
    "/workflows/{workflow_id}/allocations",
    response_model=AllocationPlanRead,
    responses=responses(404),
    summary="The allocation plan: per store initial units and replenishments, DC holdback",
)
async def workflow_allocations(
    workflow_id: UUID, _: CurrentPrincipal, session: ReadSession
) -> AllocationPlanRead:
    await repository.get_workflow(session, workflow_id)
    plan = await repository.allocation_plan(session, workflow_id)
    if plan is None:
        raise ApiError(
            404,
            f"workflow {workflow_id} has no allocation yet (it follows the manufacturing approval)",
        )
    return plan


@router.get(
    "/workflows/{workflow_id}/variance",
    response_model=VarianceList,
    responses=responses(404),
    summary="Variance checks of the season, or of one week with ?week=",
)
async def workflow_variance(
    workflow_id: UUID,
    _: CurrentPrincipal,
    session: ReadSession,
    week: Annotated[int | None, Query(ge=1, le=52)] = None,
) -> VarianceList:
    await repository.get_workflow(session, workflow_id)
    checks = await repository.variance_checks(session, workflow_id, week)
    if week is not None and not checks:
        raise not_found(f"variance check of week {week}")
    return VarianceList(
        workflow_id=workflow_id,
        weeks_with_actuals=await repository.weeks_with_actuals(session, workflow_id),
        checks=checks,
    )


@router.get(
    "/workflows/{workflow_id}/markdowns",
    response_model=MarkdownList,
    responses=responses(404),
    summary="Markdown proposals at the checkpoint and their decisions",
)
async def workflow_markdowns(
    workflow_id: UUID, _: CurrentPrincipal, session: ReadSession
) -> MarkdownList:
    await repository.get_workflow(session, workflow_id)
    return MarkdownList(
        workflow_id=workflow_id, markdowns=await repository.markdowns(session, workflow_id)
    )


@router.get(
    "/workflows/{workflow_id}/approvals",
    response_model=ApprovalList,
    responses=responses(404),
    summary="Approvals of the workflow: proposal, bounds, and who decided what and when",
)
async def workflow_approvals(
    workflow_id: UUID, _: CurrentPrincipal, session: ReadSession
) -> ApprovalList:
    await repository.get_workflow(session, workflow_id)
    return ApprovalList(
        workflow_id=workflow_id, approvals=await repository.approvals(session, workflow_id)
    )


@router.get(
    "/workflows/{workflow_id}/events",
    response_model=EventPage,
    responses=responses(404),
    summary="The stored event history of the workflow, oldest first",
)
async def workflow_events(
    workflow_id: UUID,
    _: CurrentPrincipal,
    session: ReadSession,
    after: Annotated[
        int,
        Query(ge=0, le=PG_BIGINT_MAX, description="Return events with seq greater than this."),
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    type: Annotated[list[str] | None, Query(description="Only these event types.")] = None,
) -> EventPage:
    await repository.get_workflow(session, workflow_id)
    events = await repository.history(
        session, workflow_id, after=after, limit=limit, types=type or ()
    )
    return EventPage(
        workflow_id=workflow_id,
        events=events,
        next_after=events[-1].seq if len(events) == limit else None,
    )


@router.get(
    "/workflows/{workflow_id}/results",
    response_model=WorkflowResults,
    responses=responses(404),
    summary="Everything the season has produced: forecasts, clusters, orders, allocation, "
    "variance checks and approvals",
)
async def workflow_results(
    workflow_id: UUID, _: CurrentPrincipal, session: ReadSession
) -> WorkflowResults:
    workflow = await repository.get_workflow(session, workflow_id)
    runs = await repository.forecast_runs(session, workflow_id)
    return WorkflowResults(
        workflow_id=workflow.id,
        state=workflow.state,
        status=workflow.state,
        parameters=workflow.parameters,
        forecast_runs=runs,
        forecasts=await repository.forecasts(
            session, workflow_id, [runs[-1].run_number] if runs else []
        ),
        clusters=await repository.clusters(session, workflow_id),
        manufacturing_orders=await repository.manufacturing_orders(session, workflow_id),
        allocation=await repository.allocation_plan(session, workflow_id, with_stores=False),
        variance_checks=await repository.variance_checks(session, workflow_id),
        approvals=await repository.approvals(session, workflow_id),
        completed_at=workflow.completed_at,
    )
