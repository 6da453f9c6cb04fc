"""Issue 22, point 10: an event delivered again (the outbox publishing a day again after a
Redis loss, or any at-least-once redelivery) reaches an open socket once."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any
from uuid import UUID

import redis.asyncio as aioredis
from sqlalchemy import func, update
from websockets.asyncio.client import ClientConnection, connect

from planner_gateway.relay.dedupe import REPUBLISHED_AFTER, RecentIds
from planner_gateway.settings import GatewaySettings
from planner_gateway.state import GatewayState
from planner_shared.db.engine import transaction
from planner_shared.db.models import WorkflowEvent
from planner_shared.events import AgentProgress, AgentProgressPayload
from planner_tools.testing.gateway import Server, Sessions, new_workflow, serve


def _progress(workflow_id: UUID, i: int) -> AgentProgress:
    return AgentProgress(
        workflow_id=workflow_id,
        producer="forecast",
        payload=AgentProgressPayload(agent="demand", message=f"step {i}", progress=0.5),
    )


async def _next_event(ws: ClientConnection) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message["type"] != "ping":
            return message


def _reader_of(server: Server) -> Any:
    return server.runtime.part(GatewayState).reader


def test_recent_ids_forget_the_oldest_first() -> None:
    ids = RecentIds(size=3)
    events = [UUID(int=i) for i in range(5)]
    ids.update(events[:3])
    ids.add(events[0])  # seen again: now the newest
    ids.add(events[3])
    assert events[1] not in ids
    assert all(e in ids for e in (events[0], events[2], events[3]))
    assert len(ids) == 3


async def test_an_event_published_again_is_not_sent_again(
    gateway_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    workflow_id = await new_workflow(sessionmaker)
    settings = gateway_settings.model_copy(update={"reader_block_ms": 50})
    first, second, third = (_progress(workflow_id, i) for i in range(3))
    async with (
        serve(settings) as server,
        connect(server.ws(workflow_id), proxy=None, open_timeout=5) as ws,
    ):
        publisher = server.runtime.publisher
        await publisher.publish(first)
        assert (await _next_event(ws))["event_id"] == str(first.event_id)
        # The outbox's re-drive publishes the same event (same event_id) again.
        await publisher.publish(first)
        await publisher.publish(second)
        assert (await _next_event(ws))["event_id"] == str(second.event_id)
        assert _reader_of(server).duplicates_dropped == 1

    # A gateway started later remembers nothing, but the history says the event is old.
    async with transaction(sessionmaker) as session:
        await session.execute(
            update(WorkflowEvent)
            .where(WorkflowEvent.workflow_id == workflow_id)
            .values(stored_at=func.now() - REPUBLISHED_AFTER - timedelta(minutes=1))
        )
    async with (
        serve(settings) as server,
        connect(server.ws(workflow_id), proxy=None, open_timeout=5) as ws,
    ):
        publisher = server.runtime.publisher
        await publisher.publish(first)
        await publisher.publish(second)
        await publisher.publish(third)
        assert (await _next_event(ws))["event_id"] == str(third.event_id)
        assert _reader_of(server).duplicates_dropped == 2
