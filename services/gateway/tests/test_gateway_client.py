"""planner_client against a real gateway on a loopback port: errors as the API words
them, and a feed that survives a dropped connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import pytest
import redis.asyncio as aioredis

from planner_client import (
    ApiError,
    FeedClosedError,
    GatewayClient,
    WorkflowFeed,
    is_event,
)
from planner_gateway.settings import GatewaySettings
from planner_shared.db.models import WorkflowEvent
from planner_shared.events import AgentProgress, AgentProgressPayload
from planner_tools.testing.gateway import Server, Sessions, count, new_workflow, serve, wait_until

PLANNER_KEY = "planner-key-0123456789"
APPROVER_KEY = "approver-key-0123456789"


def client_of(
    url: str, planner_key: str = PLANNER_KEY, approver_key: str = APPROVER_KEY
) -> GatewayClient:
    return GatewayClient(
        url,
        planner_key=planner_key,
        approver_key=approver_key,
        operator_key="operator-key-0123456789",
    )


def _progress(workflow_id: UUID, text: str) -> AgentProgress:
    return AgentProgress(
        workflow_id=workflow_id,
        producer="forecast",
        payload=AgentProgressPayload(agent="demand", message=text, progress=0.5),
    )


class CuttableLink:
    """A TCP relay in front of the gateway: `cut()` drops every connection through it and
    refuses new ones, as a network outage would, until `restore()`."""

    def __init__(self, target_port: int) -> None:
        self._target_port = target_port
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self.port = 0

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        self._writers = []
        await self._server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target_port)
        self._writers += [writer, up_writer]

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            finally:
                sink.close()

        await asyncio.gather(
            pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True
        )


@contextlib.asynccontextmanager
async def link_to(server: Server) -> AsyncIterator[CuttableLink]:
    link = CuttableLink(server.port)
    await link.restore()
    try:
        yield link
    finally:
        await link.cut()


@pytest.fixture
def settings(gateway_settings: GatewaySettings) -> GatewaySettings:
    # A fast heartbeat: a feed that did not answer the pings would be dropped (4408) within
    # the test's last second.
    return gateway_settings.model_copy(
        update={"reader_block_ms": 50, "ws_heartbeat_seconds": 0.2, "ws_pong_timeout_seconds": 0.5}
    )


async def test_api_errors_carry_the_apis_status_code_and_message(
    settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    workflow_id = await new_workflow(sessionmaker, "awaiting_manufacturing_approval")
    async with serve(settings) as server:
        url = f"http://127.0.0.1:{server.port}"
        async with client_of(url) as client:
            assert (await client.workflow(workflow_id))[
                "state"
            ] == "awaiting_manufacturing_approval"

            unknown = uuid4()
            with pytest.raises(ApiError) as missing:
                await client.workflow(unknown)
            assert (missing.value.status, missing.value.code) == (404, "not_found")
            assert str(unknown) in missing.value.message
            assert str(missing.value) == f"GET /api/workflows/{unknown} answered 404: " + (
                missing.value.message
            )

            with pytest.raises(ApiError) as invalid:
                await client.decide("manufacturing", workflow_id, "modify")
            assert (invalid.value.status, invalid.value.code) == (422, "validation_error")
            assert any("needs a value" in d["message"] for d in invalid.value.details)

        async with client_of(url, approver_key=PLANNER_KEY) as client:
            with pytest.raises(ApiError) as forbidden:
                await client.decide("manufacturing", workflow_id, "accept")
            assert (forbidden.value.status, forbidden.value.code) == (403, "forbidden")
            assert "approver role" in forbidden.value.message

        async with client_of(url, planner_key="not-a-key") as client:
            with pytest.raises(ApiError) as unauthorized:
                await client.get("/api/stores")
            assert (unauthorized.value.status, unauthorized.value.code) == (401, "unauthorized")


async def test_the_feed_resumes_after_a_dropped_connection_without_gaps_or_duplicates(
    settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    workflow_id = await new_workflow(sessionmaker, "forecasting")
    published: list[str] = []

    async def publish(server: Server, n: int) -> list[str]:
        ids = []
        for _ in range(n):
            event = _progress(workflow_id, f"step {len(published)}")
            published.append(str(event.event_id))
            ids.append(str(event.event_id))
            await server.runtime.publisher.publish(event)
        return ids

    def received(feed: WorkflowFeed) -> list[str]:
        return [m["event_id"] for m in feed.messages]

    async with serve(settings) as server, link_to(server) as link:
        client = client_of(f"http://127.0.0.1:{link.port}")
        async with client, WorkflowFeed(client, workflow_id, reconnect_seconds=30) as feed:
            before = await publish(server, 3)
            await feed.first(lambda m: m.get("event_id") == before[-1], within=10)

            await link.cut()
            during = await publish(server, 4)

            async def stored() -> bool:
                return await count(sessionmaker, WorkflowEvent) == len(published)

            await wait_until(stored)
            await link.restore()
            await wait_until(lambda: feed.connections == 2)
            after = await publish(server, 3)
            await feed.first(lambda m: m.get("event_id") == after[-1], within=10)
            await asyncio.sleep(1.0)  # room for a duplicate, or a heartbeat drop, to show

        assert received(feed) == published
        # The second connection started after the last event of the first one: the server
        # replayed exactly the events of the outage.
        assert [m["event_id"] for m in feed.replayed(1)] == during
        assert feed.connections == 2, feed.closes
        assert feed.pings_answered > 0
        assert all(is_event("agent.progress")(m) for m in feed.messages)


async def test_a_refused_feed_ends_at_once_without_retrying(
    settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    workflow_id = await new_workflow(sessionmaker)
    async with serve(settings) as server:
        client = client_of(f"http://127.0.0.1:{server.port}", planner_key="not-a-key")
        async with client, WorkflowFeed(client, workflow_id) as feed:
            with pytest.raises(FeedClosedError, match="4401"):
                await feed.first(lambda m: True, within=5)
        assert feed.connections == 1
