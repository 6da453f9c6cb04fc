"""A decision sent the moment the state reads awaiting is taken, whatever the bus's order.

The orchestrator moves the workflow to `awaiting_*_approval` and stages `approval.requested`
in one transaction; the planner can see that state and decide before the request has been
relayed and consumed by the approvals service. These tests run the gateway and the real
approvals service on real PostgreSQL and Redis, and let the decision overtake the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import select

from planner_approvals.app import SERVICE_NAME as APPROVALS
from planner_approvals.app import setup as approvals_setup
from planner_approvals.settings import ApprovalsSettings
from planner_gateway.settings import GatewaySettings
from planner_shared.db.engine import transaction
from planner_shared.db.models import Approval, ProcessedEvent, Workflow
from planner_shared.events import (
    ApprovalRequested,
    ApprovalRequestedPayload,
    ManufacturingProposal,
    MarkdownProposal,
)
from planner_shared.runtime import open_runtime
from planner_tools.testing.bus_probe import wait_for
from planner_tools.testing.gateway import (
    APPROVER,
    Gateway,
    Sessions,
    new_workflow,
    running_gateway,
)
from planner_tools.testing.proposals import knit_order, markdown_proposal

MANUFACTURING = knit_order()
MARKDOWN = markdown_proposal()


async def _await_decision(
    sessionmaker: Sessions,
    workflow_id: UUID,
    state: str,
    proposal: ManufacturingProposal | MarkdownProposal,
) -> ApprovalRequested:
    """What the orchestrator commits when it asks for a decision: the state, the proposal it
    waits on, and the request (returned here, for the test to deliver when it chooses)."""
    request = ApprovalRequested(
        workflow_id=workflow_id,
        producer="agents",
        payload=ApprovalRequestedPayload(proposal=proposal),
    )
    async with transaction(sessionmaker) as session:
        workflow = await session.get(Workflow, workflow_id, with_for_update=True)
        assert workflow is not None
        workflow.state = state
        workflow.pending_input = {
            "kind": proposal.kind,
            "proposal": proposal.model_dump(mode="json"),
            "request_event_id": str(request.event_id),
        }
    return request


async def _consumed(sessionmaker: Sessions, event_id: UUID) -> bool:
    async with sessionmaker() as session:
        found = await session.scalar(
            select(ProcessedEvent.event_id).where(
                ProcessedEvent.consumer_group == APPROVALS, ProcessedEvent.event_id == event_id
            )
        )
    return found is not None


async def _approvals_of(sessionmaker: Sessions, workflow_id: UUID) -> list[Approval]:
    async with sessionmaker() as session:
        return list(
            await session.scalars(select(Approval).where(Approval.workflow_id == workflow_id))
        )


async def test_decisions_sent_as_the_state_turns_awaiting_are_taken(
    gateway: Gateway,
    sessionmaker: Sessions,
    service_settings: Callable[..., Any],
) -> None:
    settings: ApprovalsSettings = service_settings(ApprovalsSettings)
    rounds = 12
    async with open_runtime(APPROVALS, settings, approvals_setup) as approvals:
        for n in range(rounds):
            workflow_id = await new_workflow(sessionmaker, "forecasting")
            request = await _await_decision(
                sessionmaker, workflow_id, "awaiting_manufacturing_approval", MANUFACTURING
            )
            state = await gateway.client.get(f"/api/workflows/{workflow_id}", headers=APPROVER)
            assert state.json()["state"] == "awaiting_manufacturing_approval"
            decide = gateway.client.post(
                "/api/approvals/manufacturing",
                json={"workflow_id": str(workflow_id), "action": "accept"},
                headers=APPROVER,
            )
            if n % 2:
                # The request and the decision race on the bus.
                decided, _ = await asyncio.gather(decide, approvals.publisher.publish(request))
            else:
                # The request arrives only after the decision has been answered.
                decided = await decide
                await approvals.publisher.publish(request)
            assert decided.status_code == 200, (n, decided.text)
            assert decided.json()["decided_value"] == 1000
            assert decided.json()["decided_by"] == "ann"

            # The late request finds the approval decided and opens no second one.
            await wait_for(partial(_consumed, sessionmaker, request.event_id))
            [approval] = await _approvals_of(sessionmaker, workflow_id)
            assert (approval.status, approval.decided_by) == ("decided", "ann")
            assert approval.request_event_id == request.event_id

        # The markdown decision, overtaking its request, the same way.
        workflow_id = await new_workflow(sessionmaker, "in_season")
        request = await _await_decision(
            sessionmaker, workflow_id, "awaiting_markdown_approval", MARKDOWN
        )
        decided = await gateway.client.post(
            "/api/approvals/markdown",
            json={
                "workflow_id": str(workflow_id),
                "action": "modify",
                "percentage": 25,
                "reason": "clear it faster",
            },
            headers=APPROVER,
        )
        assert decided.status_code == 200, decided.text
        assert decided.json()["decided_value"] == 25.0
        await approvals.publisher.publish(request)
        await wait_for(partial(_consumed, sessionmaker, request.event_id))
        again = await gateway.client.post(
            "/api/approvals/markdown",
            json={"workflow_id": str(workflow_id), "action": "accept"},
            headers=APPROVER,
        )
        assert again.status_code == 409, again.text
        assert len(await _approvals_of(sessionmaker, workflow_id)) == 1


async def test_a_decision_nobody_waits_for_is_still_refused(
    gateway: Gateway,
    sessionmaker: Sessions,
    service_settings: Callable[..., Any],
) -> None:
    settings: ApprovalsSettings = service_settings(ApprovalsSettings)
    async with open_runtime(APPROVALS, settings, approvals_setup):
        # In season, no markdown asked for; awaiting the other kind; awaiting with no proposal.
        in_season = await new_workflow(sessionmaker, "in_season")
        other_kind = await new_workflow(sessionmaker, "forecasting")
        await _await_decision(
            sessionmaker, other_kind, "awaiting_manufacturing_approval", MANUFACTURING
        )
        for workflow_id, path in [
            (in_season, "/api/approvals/markdown"),
            (other_kind, "/api/approvals/markdown"),
            (in_season, "/api/approvals/manufacturing"),
        ]:
            refused = await gateway.client.post(
                path, json={"workflow_id": str(workflow_id), "action": "accept"}, headers=APPROVER
            )
            assert refused.status_code == 404, refused.text
            assert refused.json()["error"]["code"] == "no_pending_approval"
        assert await _approvals_of(sessionmaker, in_season) == []
        assert await _approvals_of(sessionmaker, other_kind) == []


async def test_two_approvals_replicas_open_one_approval_each_time(
    gateway_settings: GatewaySettings,
    sessionmaker: Sessions,
    service_settings: Callable[..., Any],
) -> None:
    """The request and the decision taken by two replicas at once: one approval, decided."""
    first: ApprovalsSettings = service_settings(ApprovalsSettings, replica_name="one")
    second: ApprovalsSettings = service_settings(ApprovalsSettings, replica_name="two")
    # Eight decisions at once on a busy machine: time enough that only a stall is a 202.
    patient = gateway_settings.model_copy(update={"reply_timeout_seconds": 20.0})
    async with (
        running_gateway(patient) as gateway,
        open_runtime(APPROVALS, first, approvals_setup) as approvals,
        open_runtime(APPROVALS, second, approvals_setup),
    ):
        seasons = [await new_workflow(sessionmaker, "forecasting") for _ in range(8)]
        requests = [
            await _await_decision(
                sessionmaker, season, "awaiting_manufacturing_approval", MANUFACTURING
            )
            for season in seasons
        ]
        answers = await asyncio.gather(
            *(
                gateway.client.post(
                    "/api/approvals/manufacturing",
                    json={"workflow_id": str(season), "action": "accept"},
                    headers=APPROVER,
                )
                for season in seasons
            ),
            *(approvals.publisher.publish(request) for request in requests),
        )
        for answer in answers[: len(seasons)]:
            assert isinstance(answer, httpx.Response)
            assert answer.status_code == 200, answer.text
        for season, request in zip(seasons, requests, strict=True):
            await wait_for(partial(_consumed, sessionmaker, request.event_id))
            [approval] = await _approvals_of(sessionmaker, season)
            assert approval.status == "decided"
