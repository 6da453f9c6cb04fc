"""Scenarios: fork a season, change levers, compare with the live plan, adopt one."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from planner_gateway import scenarios
from planner_gateway.access import refuse_foreign_write
from planner_gateway.auth import CurrentPrincipal, SeasonWriter
from planner_gateway.deps import ReadSession, StateDep, WriteSession
from planner_gateway.errors import responses
from planner_gateway.repository import get_workflow
from planner_gateway.schemas.scenarios import (
    AdoptionRead,
    ScenarioList,
    ScenarioRead,
    ScenarioRequest,
)

router = APIRouter(tags=["scenarios"])


@router.post(
    "/workflows/{workflow_id}/scenarios",
    response_model=ScenarioRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(404, 409),
    summary="Fork the season as it stands, change levers, and evaluate it on the ledger "
    "beside the live plan (sell-through, lost sales, leftover, revenue, margin, the DC's "
    "empty week, each with its 80 % band); nothing of the season changes",
)
async def create_scenario(
    workflow_id: UUID,
    body: ScenarioRequest,
    principal: SeasonWriter,
    session: WriteSession,
    state: StateDep,
) -> ScenarioRead:
    workflow = await get_workflow(session, workflow_id)
    refuse_foreign_write(workflow.created_by, principal, workflow.id, "build scenarios of")
    return await scenarios.create(
        session, workflow_id, body, principal.name, state.settings.transfer_cost_per_unit
    )


@router.get(
    "/workflows/{workflow_id}/scenarios",
    response_model=ScenarioList,
    responses=responses(404),
    summary="The season's scenarios, oldest first",
)
async def list_scenarios(
    workflow_id: UUID, _: CurrentPrincipal, session: ReadSession
) -> ScenarioList:
    await get_workflow(session, workflow_id)
    return ScenarioList(
        workflow_id=workflow_id, scenarios=await scenarios.listed(session, workflow_id)
    )


@router.get(
    "/workflows/{workflow_id}/scenarios/{scenario_id}",
    response_model=ScenarioRead,
    responses=responses(404),
    summary="One scenario with its evaluation",
)
async def get_scenario(
    workflow_id: UUID, scenario_id: UUID, _: CurrentPrincipal, session: ReadSession
) -> ScenarioRead:
    return scenarios.read(await scenarios.one(session, workflow_id, scenario_id))


@router.post(
    "/workflows/{workflow_id}/scenarios/{scenario_id}/adopt",
    response_model=AdoptionRead,
    responses=responses(404, 409),
    summary="Adopt a scenario: records it and answers the pending decision its levers make "
    "(the body the approver submits; the approval still gates)",
)
async def adopt_scenario(
    workflow_id: UUID, scenario_id: UUID, principal: SeasonWriter, session: WriteSession
) -> AdoptionRead:
    workflow = await get_workflow(session, workflow_id)
    refuse_foreign_write(workflow.created_by, principal, workflow.id, "adopt scenarios of")
    return await scenarios.adopt(session, workflow_id, scenario_id, principal.name)
