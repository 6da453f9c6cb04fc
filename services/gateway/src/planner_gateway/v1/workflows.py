"""§6 create, §7 execute, §22 status and results of v1 workflows.

A v1 workflow is created `pending`: its parameters are translated and validated, the v1 id
and our UUID are reserved, and nothing runs. Execute creates the domain workflow with that
UUID and its `workflow.requested` command (the same code as `POST /api/workflows/forecast`);
repeating it changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

from fastapi import APIRouter, Request, status
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.access import refuse_foreign_write
from planner_gateway.auth import CurrentPrincipal, Planner, SeasonWriter
from planner_gateway.deps import UnitOfWork, WriteSession
from planner_gateway.errors import ApiError
from planner_gateway.relay.messages import AGENT_LABELS
from planner_gateway.services import seasons
from planner_gateway.v1 import catalog, ids, lookup, units
from planner_gateway.v1.schemas import (
    CreateBody,
    Created,
    V1Parameters,
    WorkflowResults,
    WorkflowStatus,
)
from planner_shared.db.frontend_v1 import V1Workflow
from planner_shared.db.models import AgentRun
from planner_shared.parameters import (
    DEFAULT_MARKDOWN_THRESHOLD,
    SeasonParameters,
    season_start_problem,
)
from planner_shared.workflow import TERMINAL_STATES, WorkflowState

router = APIRouter(prefix="/workflows")


def domain_parameters(p: V1Parameters) -> tuple[SeasonParameters, bool]:
    """The domain's parameters for the client's, and whether a markdown checkpoint was set.

    The client's end date is not checked against ours: its sources use start + 83 and
    start + 84 days; the domain derives start + 7 x weeks - 1 and the answers show that.
    A null checkpoint means "no markdown" (§5, §6): the domain season has no checkpoint (no
    sell-through check, no pricing step; it completes after its last week) and v1 reports
    the markdown as not applicable (§17).
    """
    if problem := season_start_problem(p.season_start_date, date.today()):
        raise ApiError(422, f"parameters.season_start_date: {problem}")
    if p.season_end_date is not None and p.season_end_date <= p.season_start_date:
        raise ApiError(422, "parameters.season_end_date must be after season_start_date")
    try:
        strategy = units.strategy_to_domain(p.replenishment_strategy)
    except ValueError as exc:
        raise ApiError(422, f"parameters.{exc}") from None
    markdown = p.markdown_checkpoint_week is not None
    try:
        parameters = SeasonParameters(
            forecast_horizon_weeks=p.forecast_horizon_weeks,
            season_start_date=p.season_start_date,
            replenishment_strategy=strategy,
            dc_holdback_percentage=units.holdback_to_domain(p.dc_holdback_percentage),
            markdown_checkpoint_week=p.markdown_checkpoint_week,
            markdown_threshold=(
                p.markdown_threshold
                if p.markdown_threshold is not None
                else DEFAULT_MARKDOWN_THRESHOLD
            ),
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or 'parameters'}: {e['msg']}"
            for e in exc.errors()
        )
        raise ApiError(422, f"invalid parameters: {problems}") from None
    return parameters, markdown


def websocket_url(request: Request, v1_id: str) -> str:
    return str(request.url_for("v1_workflow_stream", workflow_id=v1_id))


@router.post(
    "/forecast",
    status_code=status.HTTP_201_CREATED,
    response_model=Created,
    summary="§6 Create a pending workflow from the confirmed parameters",
)
async def create(
    body: CreateBody, principal: Planner, session: WriteSession, request: Request
) -> Created:
    parameters, markdown = domain_parameters(body.parameters)
    codes = await catalog.category_codes_for(session, body.category_id)
    row = await ids.create(
        session,
        {
            "workflow_id": uuid4(),
            "request": await request.json(),
            "parameters": parameters.model_dump(mode="json"),
            "category_codes": codes,
            "markdown_enabled": markdown,
            "created_by": principal.name,
            "executed_at": None,
        },
    )
    return Created(
        workflow_id=row.v1_id, status="pending", websocket_url=websocket_url(request, row.v1_id)
    )


async def _current_agent(session: AsyncSession, season: lookup.Season) -> str | None:
    if season.workflow is None or season.state in TERMINAL_STATES:
        return None
    agent = await session.scalar(
        select(AgentRun.agent)
        .where(AgentRun.workflow_id == season.workflow.id, AgentRun.completed_at.is_(None))
        .order_by(AgentRun.started_at.desc())
        .limit(1)
    )
    return AGENT_LABELS.get(agent, agent) if agent else None


async def status_of(session: AsyncSession, season: lookup.Season) -> WorkflowStatus:
    w = season.workflow
    return WorkflowStatus(
        workflow_id=season.v1_id,
        workflow_type="reforecast"
        if w is not None and w.state == WorkflowState.REFORECASTING
        else "forecast",
        status=season.status,
        current_agent=await _current_agent(session, season),
        progress_pct=0 if w is None else units.progress_pct(w.state),
        started_at=season.v1.executed_at,
        updated_at=w.updated_at if w else season.v1.created_at,
        completed_at=w.completed_at if w else None,
        error_message=w.error if w else None,
    )


@router.post(
    "/{workflow_id}/execute",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WorkflowStatus,
    summary="§7 Start a pending workflow (repeating it is harmless)",
)
async def execute(workflow_id: str, principal: SeasonWriter, uow: UnitOfWork) -> WorkflowStatus:
    session = uow.session
    season = await lookup.season(session, workflow_id, lock=True)
    refuse_foreign_write(season.owner, principal, season.v1_id, "execute")
    if season.workflow is None:
        v1: V1Workflow = season.v1
        workflow, _event = await seasons.create_workflow(
            uow,
            requested_by=principal.name,
            brief=None,
            parameters=season.parameters,
            codes=v1.category_codes,
            workflow_id=v1.workflow_id,
        )
        v1.executed_at = datetime.now(UTC)
        await session.flush()
        season = lookup.Season(v1, workflow)
        return WorkflowStatus(
            workflow_id=season.v1_id,
            workflow_type="forecast",
            status="running",
            current_agent=None,
            progress_pct=units.progress_pct(WorkflowState.CREATED),
            started_at=v1.executed_at,
            updated_at=v1.executed_at,
            completed_at=None,
            error_message=None,
        )
    return await status_of(session, season)


@router.get(
    "/{workflow_id}",
    response_model=WorkflowStatus,
    summary="§22 A workflow's status object",
)
async def read(workflow_id: str, _: CurrentPrincipal, session: WriteSession) -> WorkflowStatus:
    return await status_of(session, await lookup.season(session, workflow_id))


@router.get(
    "/{workflow_id}/results",
    response_model=WorkflowResults,
    summary="§22 The ids a finished pre-season produced (404 until then)",
)
async def results(workflow_id: str, _: CurrentPrincipal, session: WriteSession) -> WorkflowResults:
    season = await lookup.season(session, workflow_id)
    if season.status not in ("completed", "failed"):
        raise ApiError(404, f"results of workflow {season.v1_id} not found: it is {season.status}")
    w = season.require_workflow("results")
    done = season.status == "completed"
    output: dict[str, Any] = {"state": w.state, "parameters": w.parameters}
    return WorkflowResults(
        workflow_id=season.v1_id,
        status="completed" if done else "failed",
        forecast_id=ids.forecast_id(season.v1_id) if done else None,
        allocation_id=ids.allocation_id(season.v1_id) if done else None,
        markdown_id=ids.markdown_id(season.v1_id) if done and season.markdown_enabled else None,
        output_data=output,
        error_message=w.error,
    )
