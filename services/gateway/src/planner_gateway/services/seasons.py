"""A new season: the workflow row and its `workflow.requested` command.

`POST /api/workflows/forecast` and v1 `POST /workflows/{id}/execute` (with the id the v1
create reserved) both start a season here.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway import SERVICE_NAME
from planner_gateway.errors import ApiError, ErrorDetail
from planner_shared.bus.router import MessageContext
from planner_shared.db.models import Category, Workflow
from planner_shared.events import WorkflowRequested, WorkflowRequestedPayload
from planner_shared.parameters import SeasonParameters
from planner_shared.season_names import season_name
from planner_shared.workflow import WorkflowState


async def _unknown_categories(session: AsyncSession, codes: list[str]) -> list[str]:
    known = set(await session.scalars(select(Category.code).where(Category.code.in_(codes))))
    return [code for code in codes if code not in known]


async def create_workflow(
    uow: MessageContext,
    *,
    requested_by: str,
    brief: str | None,
    parameters: SeasonParameters | None,
    codes: list[str] | None,
    workflow_id: UUID | None = None,
    name: str | None = None,
) -> tuple[Workflow, WorkflowRequested]:
    """A new workflow and its `workflow.requested` command in the outbox; named `name`, else
    from the brief or its start (planner_shared.season_names)."""
    session = uow.session
    if codes and (unknown := await _unknown_categories(session, codes)):
        raise ApiError(
            422,
            f"unknown category {', '.join(unknown)}",
            details=[
                ErrorDetail(field="category_codes", value=code, message="no such category")
                for code in unknown
            ],
        )
    start = parameters.season_start_date if parameters else None
    workflow = Workflow(
        id=workflow_id or uuid4(),
        name=season_name(name, brief, start),
        state=WorkflowState.CREATED.value,
        brief=brief,
        parameters=parameters.model_dump(mode="json") if parameters else None,
        category_codes=codes,
        created_by=requested_by,
        context={},
    )
    session.add(workflow)
    event = WorkflowRequested(
        workflow_id=workflow.id,
        producer=SERVICE_NAME,
        payload=WorkflowRequestedPayload(
            brief=brief,
            parameters=parameters,
            category_codes=codes,
            requested_by=requested_by,
        ),
    )
    uow.emit(event)
    await session.flush()
    return workflow, event
