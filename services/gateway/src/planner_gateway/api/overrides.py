"""Forecast overrides of a season: add, list, withdraw (docs/overrides.md)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from planner_gateway import overrides
from planner_gateway.access import refuse_foreign_write
from planner_gateway.auth import CurrentPrincipal, SeasonWriter
from planner_gateway.deps import ReadSession, UnitOfWork
from planner_gateway.errors import responses
from planner_gateway.repository import get_workflow
from planner_gateway.schemas.overrides import OverrideCreate, OverrideList, OverrideRead

router = APIRouter(prefix="/workflows/{workflow_id}/forecast-overrides", tags=["forecast"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OverrideRead,
    responses=responses(404, 409),
    summary="Adjust the forecast of a category, cluster or store for chosen weeks (% or units)",
)
async def add_override(
    workflow_id: UUID, body: OverrideCreate, principal: SeasonWriter, unit: UnitOfWork
) -> OverrideRead:
    workflow = await get_workflow(unit.session, workflow_id, lock=True)
    refuse_foreign_write(workflow.created_by, principal, workflow.id, "override the forecast of")
    made = await overrides.create(unit.session, workflow, body, principal.name)
    unit.emit(overrides.announcement(made, "made", principal.name, made.reason, unit.producer))
    return made


@router.get(
    "",
    response_model=OverrideList,
    responses=responses(404),
    summary="The season's forecast overrides, withdrawn ones included: who, when, why",
)
async def list_overrides(
    workflow_id: UUID, _: CurrentPrincipal, session: ReadSession
) -> OverrideList:
    await get_workflow(session, workflow_id)
    return await overrides.listed(session, workflow_id)


@router.delete(
    "/{override_id}",
    response_model=OverrideRead,
    responses=responses(404, 409),
    summary="Withdraw an override (recorded, not erased): the statistical forecast applies again",
)
async def withdraw_override(
    workflow_id: UUID,
    override_id: UUID,
    principal: SeasonWriter,
    unit: UnitOfWork,
    reason: Annotated[str | None, Query(max_length=2000, description="Why.")] = None,
) -> OverrideRead:
    workflow = await get_workflow(unit.session, workflow_id, lock=True)
    refuse_foreign_write(workflow.created_by, principal, workflow.id, "withdraw an override of")
    withdrawn = await overrides.withdraw(
        unit.session, workflow, override_id, principal.name, reason
    )
    why = f"withdrew {withdrawn.reason!r}" + (f" ({reason})" if reason else "")
    unit.emit(overrides.announcement(withdrawn, "withdrawn", principal.name, why, unit.producer))
    return withdrawn
