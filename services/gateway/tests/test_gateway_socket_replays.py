"""Issue 22, point 4: many sockets replaying at once get their history a page at a time
through a gate on the database; REST requests go on meanwhile, and a socket that cannot be
served is closed with 1013, never refused with an HTTP 500."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import UUID

import httpx
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from planner_gateway.relay.replay import CLOSE_TRY_AGAIN, PAGE
from planner_gateway.settings import GatewaySettings
from planner_gateway.state import GatewayState
from planner_shared.events import AgentProgress, AgentProgressPayload
from planner_tools.testing.gateway import (
    PLANNER,
    Server,
    Sessions,
    new_workflow,
    serve,
    wait_until,
)
from planner_tools.testing.outage import TcpProxy

HISTORY = PAGE + 50  # two pages
SOCKETS = 60


async def _history(server: Server, workflow_id: UUID, n: int) -> list[str]:
    events = [
        AgentProgress(
            workflow_id=workflow_id,
            producer="forecast",
            payload=AgentProgressPayload(agent="demand", message=f"step {i}", progress=0.5),
        )
        for i in range(n)
    ]
    for event in events:
        await server.runtime.publisher.publish(event)

    async def stored() -> bool:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            page = await client.get(
                f"/api/workflows/{workflow_id}/events?limit=1000", headers=PLANNER
            )
        return len(page.json()["events"]) == n

    await wait_until(stored, within=60)
    return [str(e.event_id) for e in events]


async def _replayed(ws: ClientConnection, n: int) -> list[str]:
    ids: list[str] = []
    while len(ids) < n:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if message.get("event_id"):
            ids.append(message["event_id"])
    return ids


async def _one_replay(server: Server, workflow_id: UUID, n: int) -> list[str] | int:
    """The replayed event ids, or the close code if the socket was closed instead."""
    try:
        async with connect(
            server.ws(workflow_id, "token=reader-key-0123456789&since=start"),
            proxy=None,
            open_timeout=60,
        ) as ws:
            return await _replayed(ws, n)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else -1


async def test_many_replays_at_once_each_get_the_whole_history_and_rest_goes_on(
    gateway_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    workflow_id = await new_workflow(sessionmaker)
    settings = gateway_settings.model_copy(
        update={"reader_block_ms": 50, "ws_db_concurrency": 2, "ws_handshake_wait_seconds": 60}
    )
    async with serve(settings) as server:
        expected = await _history(server, workflow_id, HISTORY)
        replays = [
            asyncio.create_task(_one_replay(server, workflow_id, HISTORY)) for _ in range(SOCKETS)
        ]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            rest = await client.get("/api/workflows", headers=PLANNER)
        assert rest.status_code == 200
        # The REST answer came while replays were still being served.
        assert not all(task.done() for task in replays)
        results = await asyncio.gather(*replays)
    assert all(result == expected for result in results), [
        r for r in results if not isinstance(r, list)
    ]


async def test_a_socket_that_cannot_read_the_database_is_closed_with_1013(
    gateway_settings: GatewaySettings, sessionmaker: Sessions
) -> None:
    workflow_id = await new_workflow(sessionmaker)
    # Its turn never comes: the gate is held by others for longer than it waits.
    settings = gateway_settings.model_copy(
        update={"ws_db_concurrency": 1, "ws_handshake_wait_seconds": 0.2}
    )
    async with serve(settings) as server:
        reads = server.runtime.part(GatewayState).socket_reads
        async with reads.session(wait=5):
            assert await _one_replay(server, workflow_id, 1) == CLOSE_TRY_AGAIN
        assert reads.refused == 1

    # The database does not answer.
    async with TcpProxy.for_url(gateway_settings.database_url) as database:
        proxied = gateway_settings.model_copy(
            update={"database_url": database.url_for(gateway_settings.database_url)}
        )
        async with serve(proxied) as server:
            await database.cut()
            assert await _one_replay(server, workflow_id, 1) == CLOSE_TRY_AGAIN


async def test_the_v1_stream_handshake_goes_through_the_same_gate(
    gateway_settings: GatewaySettings,
) -> None:
    """Its lookup waits for the gate like /ws's: held past the wait, 1013; free, the read
    runs (an unknown workflow then refuses the upgrade)."""
    settings = gateway_settings.model_copy(
        update={"ws_db_concurrency": 1, "ws_handshake_wait_seconds": 0.2}
    )
    async with serve(settings) as server:
        url = f"ws://127.0.0.1:{server.port}/api/v1/workflows/wf_unknown/stream"
        url += "?token=reader-key-0123456789"
        reads = server.runtime.part(GatewayState).socket_reads
        async with reads.session(wait=5):
            with pytest.raises(ConnectionClosed) as closed:
                async with connect(url, proxy=None, open_timeout=30) as ws:
                    await asyncio.wait_for(ws.recv(), 30)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == CLOSE_TRY_AGAIN
        assert reads.refused == 1
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, proxy=None, open_timeout=30):
                pass
        assert refused.value.response.status_code == 403
        assert reads.refused == 1
