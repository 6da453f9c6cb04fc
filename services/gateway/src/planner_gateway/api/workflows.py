"""Workflows: start a season, re-forecast, cancel, and read state.

Commands are written to the outbox in the same transaction as the row they concern, so a
workflow the API answered for is never without its event (the relay publishes it). The
orchestrator in the agents service owns the state machine from there on; the gateway refuses
up front only what the state machine would refuse anyway (409), to answer clearly.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway import SERVICE_NAME, overrides
from planner_gateway.access import refuse_foreign_write
from planner_gateway.auth import CurrentPrincipal, Planner, Principal, SeasonWriter
from planner_gateway.deps import ReadSession, UnitOfWork
from planner_gateway.errors import ApiError, ErrorDetail, one_of, responses, wrong_state
from planner_gateway.idempotency import IdempotencyKeyHeader, claim, digest, replayed, settle
from planner_gateway.repository import get_workflow
from planner_gateway.schemas.bounds import PG_BIGINT_MAX
from planner_gateway.schemas.workflows import (
    CancelCreate,
    CommandAccepted,
    ReforecastCreate,
    WorkflowCreate,
    WorkflowCreated,
    WorkflowPage,
    WorkflowRead,
    WorkflowSummary,
)
from planner_gateway.season_checks import refuse_season_before_history
from planner_gateway.season_filters import NameFilter, StateFilter, season_filters
from planner_gateway.services import seasons
from planner_shared.db.models import AgentRun, IdempotencyKey, Workflow
from planner_shared.events import (
    CancelRequested,
    CancelRequestedPayload,
    EventBase,
    ReforecastRequested,
    ReforecastRequestedPayload,
)
from planner_shared.parameters import season_start_problem
from planner_shared.workflow import TERMINAL_STATES, WorkflowState, can_transition

router = APIRouter(prefix="/workflows", tags=["workflows"])


def websocket_url(request: Request, workflow_id: UUID) -> str:
    # Starlette gives a websocket route's URL the ws:// (or wss://) scheme itself.
    return str(request.url_for("workflow_socket", workflow_id=str(workflow_id)))


def _refuse_in_state(workflow: Workflow, target: WorkflowState, what: str) -> WorkflowState:
    state = WorkflowState(workflow.state)
    if can_transition(state, target):
        return state
    allowed = {s for s in WorkflowState if can_transition(s, target)}
    needs = (
        "a workflow that has not ended"
        if allowed == set(WorkflowState) - TERMINAL_STATES
        else one_of(sorted(s.value for s in allowed))
    )
    raise wrong_state(workflow.id, state.value, f"a {what}", needs)


async def _claim(
    session: AsyncSession,
    principal: Principal,
    key: str | None,
    endpoint: str,
    body: BaseModel | None,
) -> IdempotencyKey | None:
    """The Idempotency-Key's row in this request's transaction (planner_gateway.idempotency)."""
    if key is None:
        return None
    return await claim(session, principal, key, endpoint, digest(endpoint, body))


def _accepted(
    key_row: IdempotencyKey | None, workflow: Workflow, state: WorkflowState, event: EventBase
) -> CommandAccepted:
    accepted = CommandAccepted(
        workflow_id=workflow.id, state=state, event_id=event.event_id, event_type=event.type
    )
    if key_row is not None:
        settle(key_row, 202, accepted.model_dump(mode="json"))
    return accepted


@router.post(
    "/forecast",
    status_code=status.HTTP_201_CREATED,
    response_model=WorkflowCreated,
    responses=responses(),
    summary="Start a season workflow from a brief or from confirmed parameters",
)
async def start_forecast(
    body: WorkflowCreate,
    principal: Planner,
    uow: UnitOfWork,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> WorkflowCreated | JSONResponse:
    session = uow.session
    key_row = await _claim(session, principal, idempotency_key, "workflows/forecast", body)
    if key_row is not None and key_row.status_code is not None:
        return replayed(key_row)
    if body.parameters is not None and (
        problem := season_start_problem(body.parameters.season_start_date, date.today())
    ):
        raise ApiError(
            422,
            problem,
            details=[ErrorDetail(field="parameters.season_start_date", message=problem)],
        )
    if body.parameters is not None:
        await refuse_season_before_history(session, body.parameters, body.categories())
    workflow, event = await seasons.create_workflow(
        uow,
        requested_by=principal.name,
        brief=body.brief,
        parameters=body.parameters,
        codes=body.categories(),
        name=body.name,
    )
    await overrides.create_with_season(session, workflow, body.forecast_overrides, principal.name)
    response.headers["Location"] = f"/api/workflows/{workflow.id}"
    created = WorkflowCreated(
        workflow_id=workflow.id,
        state=WorkflowState.CREATED,
        status=WorkflowState.CREATED,
        websocket_url=websocket_url(request, workflow.id),
        event_id=event.event_id,
    )
    if key_row is not None:
        settle(key_row, 201, created.model_dump(mode="json"))
    return created


@router.post(
    "/reforecast",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CommandAccepted,
    responses=responses(404, 409),
    summary="Re-forecast the rest of the season (in season only)",
)
async def reforecast(
    body: ReforecastCreate,
    principal: SeasonWriter,
    uow: UnitOfWork,
    idempotency_key: IdempotencyKeyHeader = None,
) -> CommandAccepted | JSONResponse:
    session = uow.session
    key_row = await _claim(session, principal, idempotency_key, "workflows/reforecast", body)
    if key_row is not None and key_row.status_code is not None:
        return replayed(key_row)
    workflow = await get_workflow(session, body.workflow_id, lock=True)
    refuse_foreign_write(workflow.created_by, principal, workflow.id, "re-forecast")
    state = _refuse_in_state(workflow, WorkflowState.REFORECASTING, "re-forecast")
    event = ReforecastRequested(
        workflow_id=workflow.id,
        producer=SERVICE_NAME,
        payload=ReforecastRequestedPayload(reason=body.reason, requested_by=principal.name),
    )
    uow.emit(event)
    return _accepted(key_row, workflow, state, event)


@router.post(
    "/{workflow_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CommandAccepted,
    responses=responses(404, 409),
    summary="Cancel a workflow that has not finished (its planner, or an operator)",
)
async def cancel(
    workflow_id: UUID,
    principal: SeasonWriter,
    uow: UnitOfWork,
    body: CancelCreate | None = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> CommandAccepted | JSONResponse:
    session = uow.session
    key_row = await _claim(
        session, principal, idempotency_key, f"workflows/{workflow_id}/cancel", body
    )
    if key_row is not None and key_row.status_code is not None:
        return replayed(key_row)
    workflow = await get_workflow(session, workflow_id, lock=True)
    refuse_foreign_write(workflow.created_by, principal, workflow.id, "cancel")
    state = _refuse_in_state(workflow, WorkflowState.CANCELLED, "cancellation")
    event = CancelRequested(
        workflow_id=workflow.id,
        producer=SERVICE_NAME,
        payload=CancelRequestedPayload(
            reason=body.reason if body else None, requested_by=principal.name
        ),
    )
    uow.emit(event)
    return _accepted(key_row, workflow, state, event)


async def _current_agent(session: AsyncSession, workflow_id: UUID) -> str | None:
    agent: str | None = await session.scalar(
        select(AgentRun.agent)
        .where(AgentRun.workflow_id == workflow_id, AgentRun.completed_at.is_(None))
        .order_by(AgentRun.started_at.desc())
        .limit(1)
    )
    return agent


@router.get(
    "/{workflow_id}",
    response_model=WorkflowRead,
    responses=responses(404),
    summary="A workflow's state, parameters, timestamps and pending human input",
)
async def read_workflow(
    workflow_id: UUID, _: CurrentPrincipal, session: ReadSession, request: Request
) -> WorkflowRead:
    w = await get_workflow(session, workflow_id)
    state = WorkflowState(w.state)
    return WorkflowRead(
        workflow_id=w.id,
        name=w.name,
        state=state,
        status=state,
        brief=w.brief,
        parameters=w.parameters,
        extraction=w.extraction,
        category_codes=w.category_codes,
        pending_input=w.pending_input,
        current_agent=None if state in TERMINAL_STATES else await _current_agent(session, w.id),
        error=w.error,
        error_message=w.error,
        created_by=w.created_by,
        created_at=w.created_at,
        updated_at=w.updated_at,
        completed_at=w.completed_at,
        websocket_url=websocket_url(request, w.id),
    )


def _encode_cursor(created_at: datetime, workflow_id: UUID) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{workflow_id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        created, _, raw_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(created), UUID(raw_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(
            422,
            "invalid cursor",
            details=[ErrorDetail(field="cursor", message="use next_cursor of a previous page")],
        ) from None


def _summary(w: Workflow) -> WorkflowSummary:
    parameters: dict[str, Any] = w.parameters or {}
    state = WorkflowState(w.state)
    return WorkflowSummary(
        workflow_id=w.id,
        name=w.name,
        state=state,
        status=state,
        created_by=w.created_by,
        season_start_date=parameters.get("season_start_date"),
        forecast_horizon_weeks=parameters.get("forecast_horizon_weeks"),
        waiting_for=(w.pending_input or {}).get("kind"),
        error=w.error,
        created_at=w.created_at,
        updated_at=w.updated_at,
        completed_at=w.completed_at,
    )


@router.get(
    "",
    response_model=WorkflowPage,
    responses=responses(),
    summary="Workflows, newest first; page by offset or by cursor; filter by state and name",
)
async def list_workflows(
    _: CurrentPrincipal,
    session: ReadSession,
    state: StateFilter = None,
    name: NameFilter = None,
    created_by: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int | None, Query(ge=0, le=PG_BIGINT_MAX)] = None,
    cursor: str | None = None,
) -> WorkflowPage:
    if offset is not None and cursor is not None:
        raise ApiError(
            422,
            "page by offset or by cursor, not both",
            details=[ErrorDetail(field="cursor", message="drop offset when using a cursor")],
        )
    filters = season_filters(state, name)
    if created_by:
        filters.append(Workflow.created_by == created_by)
    total = await session.scalar(select(func.count()).select_from(Workflow).where(*filters))
    query = (
        select(Workflow).where(*filters).order_by(Workflow.created_at.desc(), Workflow.id.desc())
    )
    if cursor is not None:
        created_at, last_id = _decode_cursor(cursor)
        query = query.where(tuple_(Workflow.created_at, Workflow.id) < tuple_(created_at, last_id))
    elif offset:
        query = query.offset(offset)
    rows = list((await session.scalars(query.limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return WorkflowPage(
        items=[_summary(w) for w in rows],
        total=total or 0,
        limit=limit,
        offset=None if cursor is not None else (offset or 0),
        next_cursor=_encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None,
    )
