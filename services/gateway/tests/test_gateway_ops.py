"""Operator endpoints and /api/health, with a real consumer group dead-lettering a message."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from planner_shared.bus.streams import dlq_name, stream_for
from planner_shared.events import AgentProgress
from planner_shared.runtime import open_runtime, stop_tasks
from planner_shared.settings import PlannerSettings, ServiceSettings
from planner_tools.testing.bus_probe import GROUP, bus_router, new_workflow, progress
from planner_tools.testing.gateway import (
    OPERATOR,
    PLANNER,
    READER,
    Gateway,
    Sessions,
    events_on,
    wait_until,
)


async def stop_reader(gateway: Gateway) -> None:
    """Stop this gateway's stream reader, as a crash of it would, with the app still up."""
    [reader] = [t for t in asyncio.all_tasks() if t.get_name() == "gateway-stream-reader"]
    await stop_tasks([reader], gateway.runtime.redis)
    assert reader.cancelled()


async def test_health_aggregates_dependencies(gateway: Gateway) -> None:
    response = await gateway.client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "outbox", "stream_reader", "websockets"}
    assert body["checks"]["stream_reader"]["status"] == "ok"
    assert body["checks"]["outbox"]["data"] == {"backlog": 0}

    await stop_reader(gateway)
    down = await gateway.client.get("/api/health")
    assert down.status_code == 503
    assert down.json()["status"] == "unhealthy"
    assert down.json()["checks"]["stream_reader"]["status"] == "error"
    # Without the reader an answer over the bus cannot arrive: refuse at once.
    extract = await gateway.client.post(
        "/api/parameters/extract", json={"brief": "spring"}, headers=PLANNER
    )
    assert extract.status_code == 503
    assert extract.json()["error"]["code"] == "reader_unavailable"


async def test_ready_requires_the_stream_reader(gateway: Gateway) -> None:
    ready = await gateway.client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "stream_reader": "ok"}

    await stop_reader(gateway)
    down = await gateway.client.get("/ready")
    assert down.status_code == 503
    assert down.json()["status"] == "not_ready"
    assert down.json()["checks"] == {
        "database": "ok",
        "redis": "ok",
        "stream_reader": "error: not reading",
    }
    health = await gateway.client.get("/api/health")
    assert health.status_code == 503
    assert health.json()["checks"]["stream_reader"]["detail"] == "not reading"


async def test_streams_dead_letters_replay_and_lag(
    gateway: Gateway,
    service_settings,
    settings: PlannerSettings,
    sessionmaker: Sessions,
    redis_client: aioredis.Redis,
) -> None:
    probe_settings: ServiceSettings = service_settings()
    stream = stream_for(settings, AgentProgress)
    workflow_id = await new_workflow(sessionmaker)
    doomed = progress(workflow_id, "fail")
    async with open_runtime(GROUP, probe_settings, bus_router) as probe:
        await probe.publisher.publish(doomed)

        async def dead_lettered() -> bool:
            return int(await redis_client.xlen(dlq_name(stream))) == 1

        await wait_until(dead_lettered)

    for headers, status in ((PLANNER, 403), (READER, 403), ({}, 401)):
        assert (await gateway.client.get("/api/ops/streams", headers=headers)).status_code == status

    streams = (await gateway.client.get("/api/ops/streams", headers=OPERATOR)).json()["streams"]
    agents = next(s for s in streams if s["domain"] == "agents")
    assert agents["stream"] == stream
    assert agents["length"] == 1
    assert agents["dead_letters"] == 1

    recent = (
        await gateway.client.get("/api/ops/streams/agents/events?count=5", headers=OPERATOR)
    ).json()
    [entry] = recent["entries"]
    assert entry["event"]["event_id"] == str(doomed.event_id)
    assert entry["error"] is None
    assert recent["next_before"] is None
    older = await gateway.client.get(
        f"/api/ops/streams/agents/events?before={entry['message_id']}", headers=OPERATOR
    )
    assert older.json()["entries"] == []
    for bad in ("/api/ops/streams/nowhere/events", "/api/ops/streams/agents/events?before=x"):
        assert (await gateway.client.get(bad, headers=OPERATOR)).status_code == 422

    letters = (await gateway.client.get("/api/ops/dead-letters", headers=OPERATOR)).json()
    [letter] = letters["dead_letters"]
    assert letter["event_id"] == str(doomed.event_id)
    assert letter["group"] == GROUP
    assert letter["stream"] == stream
    assert "asked to fail" in letter["error"]
    only_forecast = await gateway.client.get(
        "/api/ops/dead-letters?domain=forecast", headers=OPERATOR
    )
    assert only_forecast.json()["dead_letters"] == []

    lag = (await gateway.client.get("/api/ops/lag", headers=OPERATOR)).json()
    [group] = lag["groups"]
    assert (group["stream"], group["group"], group["pending"], group["lag"]) == (
        stream,
        GROUP,
        0,
        0,
    )

    replay_url = f"/api/ops/dead-letters/agents/{letter['dlq_message_id']}/replay"
    assert (await gateway.client.post(replay_url, headers=READER)).status_code == 403
    replayed = await gateway.client.post(replay_url, headers=OPERATOR)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["replayed"]["event_id"] == str(doomed.event_id)
    assert int(await redis_client.xlen(dlq_name(stream))) == 0
    copies = [e for e in await events_on(redis_client, stream) if e.event_id == doomed.event_id]
    assert len(copies) == 2
    lag_after = (await gateway.client.get("/api/ops/lag", headers=OPERATOR)).json()
    assert lag_after["total_lag"] == 1
    again = await gateway.client.post(replay_url, headers=OPERATOR)
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "not_found"


async def test_a_dead_letter_that_is_not_an_event_is_not_replayed(
    gateway: Gateway, settings: PlannerSettings, redis_client: aioredis.Redis
) -> None:
    stream = stream_for(settings, AgentProgress)
    dlq_id = (
        await redis_client.xadd(
            dlq_name(stream),
            {"stream": stream, "group": "g", "message_id": "1-0", "error": "bad", "body": b"{"},
        )
    ).decode()
    response = await gateway.client.post(
        f"/api/ops/dead-letters/agents/{dlq_id}/replay", headers=OPERATOR
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_replayable"
    assert int(await redis_client.xlen(dlq_name(stream))) == 1
