"""The durable bus against real Redis and PostgreSQL: retries, dead letters, claims,
idempotency and the outbox."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from uuid import UUID

import redis.asyncio as aioredis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_shared.bus.consumer import DurableConsumer
from planner_shared.bus.outbox import add_to_outbox
from planner_shared.bus.streams import decode_entry, dlq_name, stream_for
from planner_shared.db.engine import transaction
from planner_shared.db.models import OutboxMessage
from planner_shared.events import AgentCompleted, AgentProgress, parse_event
from planner_shared.runtime import open_runtime
from planner_shared.settings import ServiceSettings
from planner_tools.testing.bus_probe import (
    GROUP,
    build_router,
    bus_router,
    effect_count,
    new_workflow,
    progress,
    wait_for,
)
from planner_tools.testing.streams import stream_entries

Sessions = async_sessionmaker[AsyncSession]


async def _events_on(redis: aioredis.Redis, stream: str) -> list[object]:
    return [
        parse_event(decode_entry(fields)) for _id, fields in await stream_entries(redis, stream)
    ]


async def _no_pending(redis: aioredis.Redis, stream: str) -> bool:
    info = await redis.xpending(stream, GROUP)
    return int(info["pending"]) == 0


async def test_handled_event_commits_effect_and_relays_what_it_emits(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings: ServiceSettings = service_settings()
    workflow_id = await new_workflow(sessionmaker)
    event = progress(workflow_id, "ok")
    stream = stream_for(settings, AgentProgress)
    async with open_runtime(GROUP, settings, bus_router) as runtime:
        await runtime.publisher.publish(event)

        async def completed_published() -> bool:
            return any(
                isinstance(e, AgentCompleted) and e.causation_id == event.event_id
                for e in await _events_on(redis_client, stream)
            )

        await wait_for(completed_published)
        assert await effect_count(sessionmaker, event.event_id) == 1
        await wait_for(lambda: _no_pending(redis_client, stream))


async def test_duplicate_delivery_has_no_second_effect(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings: ServiceSettings = service_settings()
    workflow_id = await new_workflow(sessionmaker)
    event = progress(workflow_id, "ok")
    stream = stream_for(settings, AgentProgress)
    async with open_runtime(GROUP, settings, bus_router) as runtime:
        await runtime.publisher.publish(event)
        await runtime.publisher.publish(event)
        await wait_for(lambda: _no_pending(redis_client, stream))
        await wait_for(lambda: _has_entries(redis_client, stream, 3))
    assert await effect_count(sessionmaker, event.event_id) == 1
    completions = [
        e for e in await _events_on(redis_client, stream) if isinstance(e, AgentCompleted)
    ]
    assert len(completions) == 1


async def _has_entries(redis: aioredis.Redis, stream: str, count: int) -> bool:
    return int(await redis.xlen(stream)) >= count


async def test_failing_handler_is_retried_until_it_succeeds(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings: ServiceSettings = service_settings()
    workflow_id = await new_workflow(sessionmaker)
    event = progress(workflow_id, "fail-twice")
    async with open_runtime(GROUP, settings, bus_router) as runtime:
        await runtime.publisher.publish(event)

        async def handled() -> bool:
            return await effect_count(sessionmaker, event.event_id) == 1

        await wait_for(handled)
    stream = stream_for(settings, AgentProgress)
    assert await redis_client.xlen(dlq_name(stream)) == 0


async def test_handler_that_keeps_failing_is_dead_lettered_with_its_error(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings: ServiceSettings = service_settings()
    workflow_id = await new_workflow(sessionmaker)
    event = progress(workflow_id, "fail")
    stream = stream_for(settings, AgentProgress)
    async with open_runtime(GROUP, settings, bus_router) as runtime:
        await runtime.publisher.publish(event)
        await wait_for(lambda: _has_entries(redis_client, dlq_name(stream), 1))
        await wait_for(lambda: _no_pending(redis_client, stream))
    [(_id, fields)] = await stream_entries(redis_client, dlq_name(stream))
    assert fields[b"error"] == b"RuntimeError: asked to fail"
    assert fields[b"event_id"].decode() == str(event.event_id)
    assert fields[b"group"].decode() == GROUP
    assert parse_event(fields[b"body"]) == event
    assert await effect_count(sessionmaker, event.event_id) == 0


async def test_message_that_is_not_an_event_is_dead_lettered_at_once(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings: ServiceSettings = service_settings()
    stream = stream_for(settings, AgentProgress)
    async with open_runtime(GROUP, settings, bus_router) as runtime:
        await runtime.publisher.publish_raw(stream, {"type": "agent.progress", "payload": {}})
        await wait_for(lambda: _has_entries(redis_client, dlq_name(stream), 1))
    [(_id, fields)] = await stream_entries(redis_client, dlq_name(stream))
    assert fields[b"error"].startswith(b"invalid event:")
    assert b"producer" in fields[b"error"]


async def test_committed_outbox_event_reaches_the_stream_after_a_crash_before_publish(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings: ServiceSettings = service_settings()
    workflow_id = await new_workflow(sessionmaker)
    event = progress(workflow_id, "ok")
    stream = stream_for(settings, AgentProgress)
    # The producer committed the event and died before any relay ran.
    async with transaction(sessionmaker) as session:
        add_to_outbox(session, settings, [event])
    assert await redis_client.xlen(stream) == 0

    async with open_runtime(GROUP, settings, bus_router):

        async def handled() -> bool:
            return await effect_count(sessionmaker, event.event_id) == 1

        await wait_for(handled)
    async with sessionmaker() as session:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.event_id == event.event_id)
        )
    assert row is not None
    assert row.published_at is not None


async def test_relay_crash_after_publish_before_marking_sent_causes_no_double_effect(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings: ServiceSettings = service_settings()
    workflow_id = await new_workflow(sessionmaker)
    event = progress(workflow_id, "ok")
    stream = stream_for(settings, AgentProgress)
    async with transaction(sessionmaker) as session:
        add_to_outbox(session, settings, [event])
    async with open_runtime(GROUP, settings, bus_router) as runtime:
        # A relay that XADDed the row and died before its commit: the row is still unsent,
        # so the live relay sends the same event again.
        await runtime.publisher.publish_raw(stream, event.model_dump(mode="json"))
        await wait_for(lambda: _has_entries(redis_client, stream, 3))
        await wait_for(lambda: _no_pending(redis_client, stream))
    progresses = [e for e in await _events_on(redis_client, stream) if isinstance(e, AgentProgress)]
    assert len(progresses) == 2
    assert await effect_count(sessionmaker, event.event_id) == 1


async def test_message_of_a_killed_consumer_is_claimed_by_another(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis, tmp_path: Path
) -> None:
    settings: ServiceSettings = service_settings()
    workflow_id = await new_workflow(sessionmaker)
    event = progress(workflow_id, "block")
    marker = tmp_path / "started"
    env = os.environ | {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "PLANNER_STREAM_PREFIX": settings.stream_prefix,
        "PLANNER_CLAIM_IDLE_MS": str(settings.claim_idle_ms),
        "PLANNER_MAX_DELIVERIES": str(settings.max_deliveries),
        "PLANNER_LOG_JSON": "false",
        "BUS_PROBE_BLOCK_MARKER": str(marker),
    }
    doomed = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "planner_tools.testing.bus_probe",
        "doomed",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        stream = stream_for(settings, AgentProgress)
        await wait_for(lambda: _group_exists(redis_client, stream), within=30)
        async with open_runtime(
            GROUP, settings.model_copy(update={"replica_name": "publisher"})
        ) as rt:
            await rt.publisher.publish(event)

        async def doomed_started() -> bool:
            return marker.exists()

        await wait_for(doomed_started, within=30)
        os.kill(doomed.pid, signal.SIGKILL)
        await asyncio.wait_for(doomed.wait(), 10)
        assert await effect_count(sessionmaker, event.event_id) == 0

        survivor = settings.model_copy(update={"replica_name": "survivor"})
        async with open_runtime(GROUP, survivor, bus_router):

            async def handled() -> bool:
                return await effect_count(sessionmaker, event.event_id) == 1

            await wait_for(handled)
        assert UUID(marker.read_text()) == event.event_id
    finally:
        if doomed.returncode is None:
            doomed.kill()
            await doomed.wait()


async def _group_exists(redis: aioredis.Redis, stream: str) -> bool:
    if not await redis.exists(stream):
        return False
    groups = await redis.xinfo_groups(stream)
    return any(g["name"].decode() == GROUP for g in groups)


async def test_consumers_of_departed_replicas_are_retired_unless_they_hold_messages(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings: ServiceSettings = service_settings()
    stream = stream_for(settings, AgentProgress)
    await redis_client.xgroup_create(stream, GROUP, id="0", mkstream=True)
    await redis_client.xadd(stream, {"data": b"{}"})
    # Two replicas that ran before: one left with nothing pending, one died holding a message.
    await redis_client.xgroup_createconsumer(stream, GROUP, "gone-clean")
    await redis_client.xreadgroup(GROUP, "died-holding", {stream: ">"}, count=1)
    await asyncio.sleep(0.05)

    consumer = DurableConsumer(
        redis=redis_client,
        sessionmaker=sessionmaker,
        settings=settings,
        group=GROUP,
        router=build_router(),
        publisher=None,
        producer="test",
        consumer_name="survivor",
    )
    await consumer.ensure_groups(retire_idle_ms=10)
    names = {c["name"] for c in await redis_client.xinfo_consumers(stream, GROUP)}
    assert {n.decode() if isinstance(n, bytes) else n for n in names} == {"died-holding"}
