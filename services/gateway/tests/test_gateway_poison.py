"""Issue 12, points 1 and 6: values JSON and PostgreSQL cannot hold are refused at the edge,
and no single event can stall the gateway's stream reader."""

from __future__ import annotations

import json
from typing import cast
from uuid import uuid4

import pytest
import redis.asyncio as aioredis
from faststream.redis.parser.binary import BinaryMessageFormatV1
from redis.typing import EncodableT, FieldT
from sqlalchemy import select, text

from planner_gateway.relay.reader import DEAD_LETTER_GROUP
from planner_gateway.settings import GatewaySettings
from planner_shared.bus.streams import DATA_FIELD, dlq_name, stream_for
from planner_shared.db.models import WorkflowEvent
from planner_shared.events import AgentProgress, AgentProgressPayload, DecisionSubmitted
from planner_shared.settings import PlannerSettings
from planner_tools.testing.gateway import (
    APPROVER,
    OPERATOR,
    PLANNER,
    Gateway,
    Sessions,
    new_workflow,
    running_gateway,
    wait_until,
)

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("number", ["Infinity", "-Infinity", "NaN", "1e309", "-1e309"])
async def test_a_decision_with_a_number_json_cannot_carry_is_refused(
    gateway: Gateway, sessionmaker: Sessions, number: str
) -> None:
    workflow_id = await new_workflow(sessionmaker, "awaiting_manufacturing_approval")
    body = f'{{"workflow_id": "{workflow_id}", "action": "modify", "value": {number}}}'
    response = await gateway.client.post(
        "/api/approvals/manufacturing", content=body, headers=APPROVER | JSON
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_value"
    assert error["details"][0]["field"] == "value"
    assert "finite number" in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"brief": "spring\\u0000 season"}', "brief"),
        ('{"brief": "spring \\ud800 season"}', "brief"),
        ('{"brief": "spring", "reference_date": "2027-01-0\\u0000"}', "reference_date"),
        ('{"brief": "spring", "\\u0000": 1}', "body"),
    ],
)
async def test_text_postgresql_cannot_store_is_refused(
    gateway: Gateway, body: str, field: str
) -> None:
    response = await gateway.client.post(
        "/api/parameters/extract", content=body, headers=PLANNER | JSON
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_value"
    assert error["details"][0]["field"] == field


async def test_a_workflow_with_a_nul_in_its_categories_or_filters_is_refused(
    gateway: Gateway,
) -> None:
    body = {"brief": "spring", "category_codes": ["KNIT\x00"]}
    response = await gateway.client.post(
        "/api/workflows/forecast", content=json.dumps(body), headers=PLANNER | JSON
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "category_codes.0"
    listed = await gateway.client.get("/api/workflows?created_by=pat%00", headers=PLANNER)
    assert listed.status_code == 422
    assert listed.json()["error"]["code"] == "invalid_value"


async def test_bodies_outside_uploads_are_capped(gateway: Gateway) -> None:
    limit = cast(GatewaySettings, gateway.runtime.settings).max_body_bytes
    big = b'{"brief": "' + b"x" * limit + b'"}'
    response = await gateway.client.post(
        "/api/parameters/extract", content=big, headers=PLANNER | JSON
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"

    async def chunks():
        for _ in range(limit // 1000 + 2):
            yield b"x" * 1000

    streamed = await gateway.client.post(
        "/api/parameters/extract", content=chunks(), headers=PLANNER | JSON
    )
    assert streamed.status_code == 413


async def _entry(envelope: str) -> dict[FieldT, EncodableT]:
    """A stream entry as FastStream's publisher writes it, around any JSON at all."""
    data = await BinaryMessageFormatV1.encode(
        message=envelope.encode(), reply_to=None, headers={}, correlation_id=str(uuid4())
    )
    return {DATA_FIELD: data}


async def test_a_poison_entry_is_dead_lettered_and_the_reader_goes_on(
    gateway: Gateway,
    settings: PlannerSettings,
    sessionmaker: Sessions,
    redis_client: aioredis.Redis,
) -> None:
    workflow_id = await new_workflow(sessionmaker, "awaiting_manufacturing_approval")
    stream = stream_for(settings, DecisionSubmitted)
    # What a producer without the event checks wrote before: jsonb cannot store this.
    poison = json.dumps(
        {
            "event_id": str(uuid4()),
            "type": "approval.decision_submitted",
            "workflow_id": str(workflow_id),
            "occurred_at": "2027-01-01T00:00:00Z",
            "producer": "gateway",
            "payload": {
                "kind": "manufacturing",
                "action": "modify",
                "value": float("inf"),
                "decided_by": "ann",
            },
        }
    )
    assert "Infinity" in poison
    await redis_client.xadd(stream, await _entry(poison))
    good = AgentProgress(
        workflow_id=workflow_id,
        producer="test",
        payload=AgentProgressPayload(agent="forecast", message="after the poison"),
    )
    await gateway.publisher.publish(good)

    async def stored() -> bool:
        async with sessionmaker() as session:
            found = await session.scalar(
                select(WorkflowEvent.event_id).where(WorkflowEvent.event_id == good.event_id)
            )
        return found is not None

    await wait_until(stored)
    assert (await gateway.client.get("/ready")).status_code == 200
    letters = (
        await gateway.client.get("/api/ops/dead-letters?domain=approvals", headers=OPERATOR)
    ).json()["dead_letters"]
    [letter] = letters
    assert letter["group"] == DEAD_LETTER_GROUP
    assert "finite number" in letter["error"]
    assert int(await redis_client.xlen(dlq_name(stream))) == 1


async def test_an_event_the_database_refuses_is_dead_lettered_not_retried_forever(
    gateway: Gateway,
    settings: PlannerSettings,
    sessionmaker: Sessions,
    redis_client: aioredis.Redis,
) -> None:
    workflow_id = await new_workflow(sessionmaker)
    refused = AgentProgress(
        workflow_id=workflow_id,
        producer="test",
        payload=AgentProgressPayload(agent="forecast", message="refused by the database"),
    )
    after = AgentProgress(
        workflow_id=workflow_id,
        producer="test",
        payload=AgentProgressPayload(agent="forecast", message="stored after it"),
    )
    # A trigger stands in for any row PostgreSQL refuses while it answers everything else.
    trigger = f"refuse_{uuid4().hex[:8]}"
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text(
                f"CREATE FUNCTION {trigger}() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.event_id = '{refused.event_id}' THEN "
                "RAISE EXCEPTION 'this row is refused'; END IF; RETURN NEW; END $$ "
                "LANGUAGE plpgsql"
            )
        )
        await session.execute(
            text(
                f"CREATE TRIGGER {trigger} BEFORE INSERT ON workflow_events "
                f"FOR EACH ROW EXECUTE FUNCTION {trigger}()"
            )
        )
    try:
        await gateway.publisher.publish(refused)
        await gateway.publisher.publish(after)

        async def stored() -> bool:
            async with sessionmaker() as session:
                ids = set(
                    await session.scalars(
                        select(WorkflowEvent.event_id).where(
                            WorkflowEvent.workflow_id == workflow_id
                        )
                    )
                )
            return after.event_id in ids

        await wait_until(stored)
    finally:
        async with sessionmaker() as session, session.begin():
            await session.execute(text(f"DROP TRIGGER {trigger} ON workflow_events"))
            await session.execute(text(f"DROP FUNCTION {trigger}()"))
    stream = stream_for(settings, AgentProgress)
    letters = (
        await gateway.client.get("/api/ops/dead-letters?domain=agents", headers=OPERATOR)
    ).json()["dead_letters"]
    [letter] = letters
    assert letter["event_id"] == str(refused.event_id)
    assert "this row is refused" in letter["error"]
    assert (await gateway.client.get("/ready")).status_code == 200

    # Replayed once the cause is gone, the event reaches the history.
    replayed = await gateway.client.post(
        f"/api/ops/dead-letters/agents/{letter['dlq_message_id']}/replay", headers=OPERATOR
    )
    assert replayed.status_code == 200

    async def in_history() -> bool:
        async with sessionmaker() as session:
            found = await session.scalar(
                select(WorkflowEvent.event_id).where(WorkflowEvent.event_id == refused.event_id)
            )
        return found is not None

    await wait_until(in_history)
    assert int(await redis_client.xlen(dlq_name(stream))) == 0


async def test_a_restarted_gateway_becomes_ready_past_a_poison_entry(
    gateway_settings: GatewaySettings,
    settings: PlannerSettings,
    sessionmaker: Sessions,
    redis_client: aioredis.Redis,
) -> None:
    """The entry is already on the stream when the gateway starts: its catch-up (which stores
    what the history lacks) dead-letters it instead of retrying it forever."""
    workflow_id = await new_workflow(sessionmaker, "awaiting_manufacturing_approval")
    stream = stream_for(settings, DecisionSubmitted)
    poison = json.dumps(
        {
            "event_id": str(uuid4()),
            "type": "approval.decision_submitted",
            "workflow_id": str(workflow_id),
            "occurred_at": "2027-01-01T00:00:00Z",
            "producer": "gateway",
            "payload": {
                "kind": "manufacturing",
                "action": "modify",
                "value": float("inf"),
                "decided_by": "ann",
            },
        }
    )
    await redis_client.xadd(stream, await _entry(poison))
    async with running_gateway(gateway_settings) as gateway:
        assert (await gateway.client.get("/ready")).status_code == 200
        letters = (
            await gateway.client.get("/api/ops/dead-letters?domain=approvals", headers=OPERATOR)
        ).json()["dead_letters"]
    assert [letter["group"] for letter in letters] == [DEAD_LETTER_GROUP]
