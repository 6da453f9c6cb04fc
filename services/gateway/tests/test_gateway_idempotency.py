"""Issue 12, point 7: a command retried with the same Idempotency-Key gets the first answer
and takes effect once; a late answer is a 202 saying where to look, not a bare 504."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import redis.asyncio as aioredis

from planner_gateway.settings import GatewaySettings
from planner_shared.bus.streams import stream_for
from planner_shared.db.models import Workflow, WorkflowEvent
from planner_shared.events import (
    ApprovalDecided,
    ApprovalDecidedPayload,
    DecisionSubmitted,
    EventBase,
)
from planner_shared.settings import PlannerSettings
from planner_tools.testing.gateway import (
    APPROVER,
    PARAMETERS,
    PLANNER,
    Gateway,
    Sessions,
    count,
    events_on,
    new_workflow,
    responder,
    running_gateway,
    wait_until,
)


def _decided(event: EventBase) -> EventBase | None:
    if not isinstance(event, DecisionSubmitted):
        return None
    return event.caused(
        ApprovalDecided,
        ApprovalDecidedPayload(
            approval_id=uuid4(),
            kind=event.payload.kind,
            action=event.payload.action,
            proposed_value=1000.0,
            decided_value=1000.0,
            reason=None,
            decided_by=event.payload.decided_by,
            decided_at=datetime.now(UTC),
        ),
        "approvals",
    )


async def test_a_retried_decision_gets_the_first_answer(
    gateway: Gateway,
    sessionmaker: Sessions,
    redis_client: aioredis.Redis,
    settings: PlannerSettings,
) -> None:
    workflow_id = await new_workflow(sessionmaker, "awaiting_manufacturing_approval")
    body = {"workflow_id": str(workflow_id), "action": "accept"}
    key = {"Idempotency-Key": f"decide-{uuid4()}"}
    stream = stream_for(settings, DecisionSubmitted)
    async with responder(redis_client, gateway.publisher, stream, _decided) as requests:
        first = await gateway.client.post(
            "/api/approvals/manufacturing", json=body, headers=APPROVER | key
        )
        again = await gateway.client.post(
            "/api/approvals/manufacturing", json=body, headers=APPROVER | key
        )
    assert first.status_code == 200, first.text
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(requests) == 1
    other = await gateway.client.post(
        "/api/approvals/manufacturing",
        json=body | {"action": "modify", "value": 900, "reason": "x"},
        headers=APPROVER | key,
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


async def test_a_late_answer_is_202_and_a_retry_finds_it_without_deciding_twice(
    gateway_settings: GatewaySettings,
    sessionmaker: Sessions,
    redis_client: aioredis.Redis,
    settings: PlannerSettings,
) -> None:
    workflow_id = await new_workflow(sessionmaker, "awaiting_manufacturing_approval")
    body = {"workflow_id": str(workflow_id), "action": "accept"}
    key = {"Idempotency-Key": f"late-{uuid4()}"}
    stream = stream_for(settings, DecisionSubmitted)
    impatient = gateway_settings.model_copy(update={"reply_timeout_seconds": 0.3})
    async with running_gateway(impatient) as gateway:
        late = await gateway.client.post(
            "/api/approvals/manufacturing", json=body, headers=APPROVER | key
        )
        assert late.status_code == 202, late.text
        pending = late.json()
        assert pending["status"] == "pending"
        assert "same Idempotency-Key" in pending["retry"]
        request_id = UUID(pending["request_id"])

        # Still no answer: the retry sends the same command again (the same event_id, which
        # the approvals service applies at most once) and says pending again.
        still = await gateway.client.post(
            "/api/approvals/manufacturing", json=body, headers=APPROVER | key
        )
        assert still.status_code == 202
        assert still.json()["request_id"] == str(request_id)
        sent = [
            e for e in await events_on(redis_client, stream) if isinstance(e, DecisionSubmitted)
        ]
        assert {e.event_id for e in sent} == {request_id}

        # The service comes back and answers the first command; the gateway stores it.
        [command] = {e.event_id: e for e in sent}.values()
        answer = _decided(command)
        assert answer is not None
        await gateway.publisher.publish(answer)

        async def stored() -> bool:
            return await count(sessionmaker, WorkflowEvent) >= 1

        await wait_until(stored)
        done = await gateway.client.post(
            "/api/approvals/manufacturing", json=body, headers=APPROVER | key
        )
        assert done.status_code == 200, done.text
        assert done.json()["event_id"] == str(answer.event_id)
        sent_after = [
            e for e in await events_on(redis_client, stream) if isinstance(e, DecisionSubmitted)
        ]
        assert len(sent_after) == len(sent)


async def test_a_retried_start_creates_one_workflow(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    key = {"Idempotency-Key": f"start-{uuid4()}"}
    body = {"parameters": PARAMETERS}
    first = await gateway.client.post("/api/workflows/forecast", json=body, headers=PLANNER | key)
    again = await gateway.client.post("/api/workflows/forecast", json=body, headers=PLANNER | key)
    assert first.status_code == 201, first.text
    assert again.status_code == 201
    assert again.json()["workflow_id"] == first.json()["workflow_id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert await count(sessionmaker, Workflow) == 1
    without = await gateway.client.post("/api/workflows/forecast", json=body, headers=PLANNER)
    assert without.json()["workflow_id"] != first.json()["workflow_id"]
