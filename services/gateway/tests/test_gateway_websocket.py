"""The WebSocket relay over real uvicorn servers on loopback, with the `websockets` client."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from planner_gateway.settings import GatewaySettings
from planner_gateway.state import GatewayState
from planner_shared.db.models import WorkflowEvent
from planner_shared.events import (
    AgentFailed,
    AgentFailedPayload,
    AgentProgress,
    AgentProgressPayload,
    AgentStarted,
    AgentStartedPayload,
    ApprovalPending,
    ApprovalPendingPayload,
    EventBase,
    ForecastFailed,
    ForecastFailedPayload,
    ManufacturingLine,
    ManufacturingProposal,
    StateChangedPayload,
    WorkflowCompleted,
    WorkflowCompletedPayload,
    WorkflowStateChanged,
)
from planner_shared.workflow import WorkflowState
from planner_tools.testing.gateway import (
    READER,
    TOKEN,
    Server,
    Sessions,
    count,
    new_workflow,
    serve,
    wait_until,
)


def _client(url: str, **options: Any) -> connect:
    return connect(url, proxy=None, open_timeout=5, **options)


async def _recv(ws: ClientConnection, within: float = 5.0) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), within))
    return message


async def _recv_events(ws: ClientConnection, n: int) -> list[dict[str, Any]]:
    """The next n event messages, skipping heartbeats."""
    received: list[dict[str, Any]] = []
    while len(received) < n:
        message = await _recv(ws, 10.0)
        if message["type"] != "ping":
            received.append(message)
    return received


async def _drain(ws: ClientConnection) -> tuple[int, int | None]:
    """Read until the server closes: the messages that came first, and the close code."""
    received = 0
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 5.0)
            received += 1
    except ConnectionClosed as closed:
        return received, closed.rcvd.code if closed.rcvd else None


async def _closed_with(ws: ClientConnection) -> int | None:
    return (await _drain(ws))[1]


def _progress(workflow_id: UUID, i: int, message: str | None = None) -> AgentProgress:
    return AgentProgress(
        workflow_id=workflow_id,
        producer="forecast",
        payload=AgentProgressPayload(agent="demand", message=message or f"step {i}", progress=0.5),
    )


def _state(server: Server) -> GatewayState:
    return server.runtime.part(GatewayState)


@pytest.fixture
def ws_settings(gateway_settings: GatewaySettings) -> GatewaySettings:
    return gateway_settings.model_copy(update={"reader_block_ms": 50})


async def test_every_event_type_in_order(
    ws_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    workflow_id = await new_workflow(sessionmaker, "forecasting")
    proposal = ManufacturingProposal(
        quantity=1000,
        min_quantity=800,
        max_quantity=1200,
        lines=[
            ManufacturingLine(
                category_code="DRESS",
                forecast_units=900,
                safety_stock_pct=0.15,
                stock_on_hand=35,
                quantity=1000,
            )
        ],
        rationale="forecast x 1.15 minus stock",
    )
    events: list[EventBase] = [
        AgentStarted(
            workflow_id=workflow_id,
            producer="agents",
            payload=AgentStartedPayload(agent="demand", task="review the forecast"),
        ),
        _progress(workflow_id, 1),
        WorkflowStateChanged(
            workflow_id=workflow_id,
            producer="agents",
            payload=StateChangedPayload(
                from_state=WorkflowState.FORECASTING,
                to_state=WorkflowState.AWAITING_MANUFACTURING_APPROVAL,
                reason="forecast done",
            ),
        ),
        ApprovalPending(
            workflow_id=workflow_id,
            producer="approvals",
            payload=ApprovalPendingPayload(approval_id=uuid4(), proposal=proposal),
        ),
        AgentFailed(
            workflow_id=workflow_id,
            producer="agents",
            payload=AgentFailedPayload(agent="pricing", reason="no sell-through yet"),
        ),
        ForecastFailed(
            workflow_id=workflow_id,
            producer="forecast",
            payload=ForecastFailedPayload(reason="history too short", retryable=True),
        ),
        WorkflowCompleted(
            workflow_id=workflow_id,
            producer="agents",
            payload=WorkflowCompletedPayload(summary="season planned", manufacturing_quantity=900),
        ),
    ]
    other = await new_workflow(sessionmaker, "forecasting")
    async with serve(ws_settings) as server, _client(server.ws(workflow_id)) as ws:
        await server.runtime.publisher.publish(_progress(other, 0, "someone else's"))
        for event in events:
            await server.runtime.publisher.publish(event)
        received = await _recv_events(ws, len(events))
        assert [m["event_id"] for m in received] == [str(e.event_id) for e in events]
        assert [m["type"] for m in received] == [
            "agent_started",
            "agent_progress",
            "agent_progress",
            "human_input_required",
            "error",
            "error",
            "workflow_complete",
        ]
        for message, event in zip(received, events, strict=True):
            assert message["workflow_id"] == str(workflow_id)
            assert message["event_type"] == event.type
            assert message["timestamp"] == event.occurred_at.isoformat()
        started, progress, changed, pending, agent_failed, failed, done = received
        assert started["agent"] == "Demand Agent"
        assert started["agent_key"] == "demand"
        assert progress["progress_pct"] == 50
        assert changed["data"]["to_state"] == "awaiting_manufacturing_approval"
        assert changed["message"].startswith("workflow forecasting -> awaiting_manufacturing")
        assert pending["action"] == "approve_manufacturing_order"
        assert pending["agent"] == "Inventory Agent"
        assert pending["options"] == ["accept", "modify"]
        assert pending["data"]["quantity"] == 1000
        assert pending["endpoint"] == "/api/approvals/manufacturing"
        assert agent_failed["error_message"] == "no sell-through yet"
        assert failed["error_message"] == "history too short"
        assert failed["retryable"] is True
        assert done["result"]["manufacturing_quantity"] == 900
        with pytest.raises(TimeoutError):
            await _recv(ws, within=0.3)
    assert await count(sessionmaker, WorkflowEvent) == len(events) + 1


async def test_refusals_and_close_codes(
    ws_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    workflow_id = await new_workflow(sessionmaker)
    async with serve(ws_settings) as server:
        base = f"ws://127.0.0.1:{server.port}/ws/workflows/{workflow_id}"
        for url in (base, f"{base}?token=wrong"):
            async with _client(url) as ws:
                assert await _closed_with(ws) == 4401
        async with _client(server.ws(uuid4())) as ws:
            assert await _closed_with(ws) == 4404
        async with _client(server.ws("not-a-uuid")) as ws:
            assert await _closed_with(ws) == 4404
        async with _client(server.ws(workflow_id, f"token={TOKEN}&since={uuid4()}")) as ws:
            assert await _closed_with(ws) == 4400
        async with _client(server.ws(workflow_id, f"token={TOKEN}&since=yesterday")) as ws:
            assert await _closed_with(ws) == 4400

        # The same key in a header, or as subprotocols (what a browser can send).
        async with _client(base, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
            await server.runtime.publisher.publish(_progress(workflow_id, 1))
            assert (await _recv(ws))["type"] == "agent_progress"
        async with _client(base, subprotocols=["bearer", TOKEN]) as ws:
            assert ws.subprotocol == "bearer"
            await server.runtime.publisher.publish(_progress(workflow_id, 2))
            assert (await _recv(ws))["type"] == "agent_progress"
        # The Phase 3 design's path.
        design = f"ws://127.0.0.1:{server.port}/api/workflows/{workflow_id}/stream"
        async with _client(f"{design}?token={TOKEN}&since=start") as ws:
            assert len(await _recv_events(ws, 2)) == 2


async def test_heartbeat_and_bad_client_frames(
    ws_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings = ws_settings.model_copy(
        update={"ws_heartbeat_seconds": 0.2, "ws_pong_timeout_seconds": 0.3}
    )
    workflow_id = await new_workflow(sessionmaker)
    async with (
        serve(settings) as server,
        _client(server.ws(workflow_id)) as polite,
        _client(server.ws(workflow_id)) as silent,
    ):
        await polite.send("this is not json")
        invalid = await _recv(polite)
        assert (invalid["type"], invalid["code"], invalid["event_id"]) == (
            "error",
            "invalid_json",
            None,
        )
        await polite.send(json.dumps({"type": "subscribe"}))
        assert (await _recv(polite))["code"] == "unknown_message_type"
        await polite.send(json.dumps([1, 2]))
        array = await _recv(polite)
        assert (array["code"], array["error_message"]) == (
            "invalid_json",
            "messages must be JSON objects",
        )
        await polite.send(json.dumps({"kind": "pong"}))
        untyped = await _recv(polite)
        assert untyped["code"] == "unknown_message_type"
        assert untyped["error_message"].startswith("a message needs a type")
        await polite.send(json.dumps({"type": "ping"}))
        assert (await _recv(polite))["type"] == "pong"

        pings = 0
        loop = asyncio.get_running_loop()
        until = loop.time() + 1.2
        while loop.time() < until:
            message = await _recv(polite)
            if message["type"] == "ping":
                pings += 1
                await polite.send(json.dumps({"type": "pong"}))
        assert pings >= 4
        # The silent client never answered a ping: it is not closed for that, and keeps
        # getting the pings (information) and the events.
        silent_pings = 0
        while silent_pings < 4:
            message = await _recv(silent)
            assert message["type"] == "ping", message
            silent_pings += 1
        await polite.send("pong")  # a bare-text pong is accepted silently too
        await server.runtime.publisher.publish(_progress(workflow_id, 1))
        assert (await _recv_events(polite, 1))[0]["type"] == "agent_progress"
        assert (await _recv_events(silent, 1))[0]["type"] == "agent_progress"


async def test_an_oversize_client_message_closes_the_connection_with_1009(
    ws_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    workflow_id = await new_workflow(sessionmaker)
    limit = ws_settings.ws_max_message_bytes
    assert limit == 64 * 1024
    big = json.dumps({"type": "pong", "pad": "x" * (5 * 1024 * 1024)})
    async with serve(ws_settings) as server, _client(server.ws(workflow_id), max_size=None) as ws:
        # Just under the limit is still read and answered.
        near = json.dumps({"type": "ping", "pad": "x" * (limit - 100)})
        await ws.send(near)
        assert (await _recv(ws))["type"] == "pong"
        await ws.send(big)
        assert await _closed_with(ws) == 1009
        # uvicorn's own words: refused by the protocol, before the app read a byte of it.
        assert ws.close_reason == f"frame exceeds limit of {limit} bytes"
    # Under a server started without the cap (uvicorn's own 16 MiB), the socket refuses it.
    small = ws_settings.model_copy(update={"ws_max_message_bytes": 1024})
    async with (
        serve(small, ws_max_size=16 * 1024 * 1024) as server,
        _client(server.ws(workflow_id), max_size=None) as ws,
    ):
        await ws.send(json.dumps({"type": "ping", "pad": "x" * 900}))
        assert (await _recv(ws))["type"] == "pong"
        await ws.send(json.dumps({"type": "ping", "pad": "x" * 2048}))
        assert await _closed_with(ws) == 1009
        assert ws.close_reason == "messages are limited to 1,024 bytes"


async def test_a_live_connection_is_subscribed_once_its_handshake_completes(
    ws_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    # A client that connects without ?since= and then acts must see every event that follows;
    # the connection may not still be checking the workflow when the client thinks it is open.
    workflow_id = await new_workflow(sessionmaker)
    async with serve(ws_settings) as server:
        hub = _state(server).hub
        for _ in range(5):
            async with _client(server.ws(workflow_id)) as ws:
                assert hub.has_subscribers(workflow_id)
                event = _progress(workflow_id, 0)
                await server.runtime.publisher.publish(event)
                assert (await _recv(ws))["event_id"] == str(event.event_id)


async def test_resume_after_reconnect_without_gaps_or_duplicates(
    ws_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    workflow_id = await new_workflow(sessionmaker)
    published: list[str] = []

    async def publish(server: Server, n: int) -> None:
        for _ in range(n):
            event = _progress(workflow_id, len(published))
            published.append(str(event.event_id))
            await server.runtime.publisher.publish(event)

    async with serve(ws_settings) as server:
        async with _client(server.ws(workflow_id)) as ws:
            await publish(server, 5)
            first = [m["event_id"] for m in await _recv_events(ws, 3)]
        assert first == published[:3]
        await publish(server, 4)

        async def stored() -> bool:
            return await count(sessionmaker, WorkflowEvent) == len(published)

        await wait_until(stored)
        since = first[-1]
        async with _client(server.ws(workflow_id, f"token={TOKEN}&since={since}")) as ws:
            # Events published while the client reads its replay must follow it exactly once.
            publishing = asyncio.create_task(publish(server, 5))
            resumed = [m["event_id"] for m in await _recv_events(ws, len(published) - 3 + 5)]
            await publishing
            with pytest.raises(TimeoutError):
                await _recv(ws, within=0.3)
        assert resumed == published[3:]
        async with _client(server.ws(workflow_id, f"token={TOKEN}&since=start")) as ws:
            everything = [m["event_id"] for m in await _recv_events(ws, len(published))]
        assert everything == published


async def test_a_long_history_replays_its_newest_events_and_says_what_it_left_out(
    ws_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings = ws_settings.model_copy(update={"ws_replay_limit": 3})
    workflow_id = await new_workflow(sessionmaker)
    events = [_progress(workflow_id, i) for i in range(6)]
    ids = [str(e.event_id) for e in events]
    async with serve(settings) as server:
        for event in events[:5]:
            await server.runtime.publisher.publish(event)

        async def stored() -> bool:
            return await count(sessionmaker, WorkflowEvent) == 5

        await wait_until(stored)
        async with _client(server.ws(workflow_id, f"token={TOKEN}&since=start")) as ws:
            notice, *replayed = await _recv_events(ws, 4)
            await server.runtime.publisher.publish(events[5])
            live = await _recv_events(ws, 1)
        assert (notice["type"], notice["code"], notice["event_id"]) == (
            "error",
            "replay_truncated",
            None,
        )
        assert (notice["skipped"], notice["replay_limit"]) == (2, 3)
        assert notice["first_replayed_event_id"] == ids[2]
        assert "2 older events were not replayed" in notice["error_message"]
        assert [m["event_id"] for m in replayed + live] == ids[2:]

        # The skipped events are where the notice points, just before the replayed ones.
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{server.port}", trust_env=False
        ) as http:
            page = (await http.get(notice["events_url"], headers=READER)).json()
        listed = [e["event_id"] for e in page["events"]]
        assert listed[: listed.index(ids[2])] == ids[:2]

        # Within the limit the replay is whole and nothing is announced.
        async with _client(server.ws(workflow_id, f"token={TOKEN}&since={ids[2]}")) as ws:
            resumed = await _recv_events(ws, 3)
        assert [m["event_id"] for m in resumed] == ids[3:]


async def test_a_slow_client_is_dropped_without_holding_up_the_others(
    ws_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings = ws_settings.model_copy(update={"ws_queue_size": 16})
    workflow_id = await new_workflow(sessionmaker)
    filler = os.urandom(12_000).hex()  # incompressible, 24 kB per message
    async with serve(settings) as server:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", server.port))
        async with (
            _client(server.ws(workflow_id), sock=sock, max_queue=1, compression=None) as slow,
            _client(server.ws(workflow_id), compression=None) as fast,
        ):
            published: list[str] = []
            fast_got: list[str] = []

            async def read_fast() -> None:
                while True:
                    fast_got.append((await _recv(fast))["event_id"])

            reader = asyncio.create_task(read_fast())
            hub = _state(server).hub
            extra = 0
            while extra < 5 and len(published) < 800:
                event = _progress(workflow_id, len(published), filler)
                published.append(str(event.event_id))
                await server.runtime.publisher.publish(event)
                await asyncio.sleep(0.004)
                if hub.dropped_slow:
                    extra += 1
            assert hub.dropped_slow == 1, f"slow client not dropped after {len(published)} events"

            async def fast_has_all() -> bool:
                return len(fast_got) == len(published)

            await wait_until(fast_has_all)
            reader.cancel()
            assert fast_got == published
            delivered, code = await _drain(slow)
            assert code == 4429
            assert delivered < len(published)
            assert hub.connection_count == 1


async def test_two_replicas_both_deliver_every_event_and_store_it_once(
    ws_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    workflow_id = await new_workflow(sessionmaker)
    async with (
        serve(ws_settings) as one,
        serve(ws_settings) as two,
        _client(one.ws(workflow_id)) as a,
        _client(two.ws(workflow_id)) as b,
    ):
        events = [_progress(workflow_id, i) for i in range(40)]
        publishers: list[Callable[[EventBase], Any]] = [
            one.runtime.publisher.publish,
            two.runtime.publisher.publish,
        ]
        for i, event in enumerate(events):
            await publishers[i % 2](event)
        expected = [str(e.event_id) for e in events]
        got_a, got_b = await asyncio.gather(_recv_events(a, 40), _recv_events(b, 40))
        assert [m["event_id"] for m in got_a] == expected
        assert [m["event_id"] for m in got_b] == expected
    async with sessionmaker() as session:
        stored = (await session.scalars(select(WorkflowEvent.event_id))).all()
    assert sorted(str(e) for e in stored) == sorted(expected)
