"""Issue 12, point 4: under a backlog no message is worked twice. Two replicas share a group;
each job takes longer than the claim idle time, as a forecast does; every job starts once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any
from uuid import UUID

import redis.asyncio as aioredis
from sqlalchemy import func, select

from planner_shared.bus.router import EventRouter, MessageContext
from planner_shared.bus.streams import dlq_name, stream_for
from planner_shared.db.models import ProcessedEvent
from planner_shared.events import AgentProgress
from planner_shared.runtime import Runtime, open_runtime
from planner_shared.settings import ServiceSettings
from planner_tools.testing.bus_probe import new_workflow, progress, wait_for

GROUP = "backlog-test"
JOBS = 12
# Twice the test settings' claim idle time (300 ms): a read-but-waiting message would be
# claimed by the other replica while the first job runs.
JOB_SECONDS = 0.6


async def test_a_backlog_is_worked_once_per_message(
    sessionmaker: Any,
    service_settings: Callable[..., Any],
    redis_client: aioredis.Redis,
) -> None:
    started: Counter[UUID] = Counter()

    @asynccontextmanager
    async def slow_router(runtime: Runtime) -> AsyncIterator[EventRouter]:
        router = EventRouter()

        @router.on(AgentProgress)
        async def work(event: AgentProgress, ctx: MessageContext) -> None:
            started[event.event_id] += 1
            await asyncio.sleep(JOB_SECONDS)

        yield router

    workflow_id = await new_workflow(sessionmaker)
    events = [progress(workflow_id, f"job {n}") for n in range(JOBS)]
    async with AsyncExitStack() as stack:
        replicas = [
            await stack.enter_async_context(
                open_runtime(
                    GROUP,
                    service_settings(ServiceSettings, replica_name=f"replica-{n}"),
                    slow_router,
                )
            )
            for n in (1, 2)
        ]
        # The whole backlog lands at once, before either replica has read any of it.
        for event in events:
            await replicas[0].publisher.publish(event)

        async def all_done() -> bool:
            async with sessionmaker() as session:
                done = await session.scalar(
                    select(func.count()).where(ProcessedEvent.consumer_group == GROUP)
                )
            return done == JOBS

        await wait_for(all_done, within=JOBS * JOB_SECONDS + 20)
        # Time for a late duplicate to show up, had a claimer taken a message in work.
        await asyncio.sleep(1.0)

    assert set(started) == {e.event_id for e in events}
    assert [n for n in started.values() if n > 1] == []
    stream = stream_for(replicas[0].settings, AgentProgress)
    assert int(await redis_client.xlen(dlq_name(stream))) == 0


async def test_a_router_with_room_for_more_works_that_many_at_once(
    sessionmaker: Any,
    service_settings: Callable[..., Any],
    redis_client: aioredis.Redis,
) -> None:
    """One replica whose router has `concurrency=3` (the forecast service's pool workers)
    holds three long jobs at once, never more, and still works each job once."""
    started: Counter[UUID] = Counter()
    running = 0
    most = 0

    @asynccontextmanager
    async def wide_router(runtime: Runtime) -> AsyncIterator[EventRouter]:
        router = EventRouter(concurrency=3)

        @router.on(AgentProgress)
        async def work(event: AgentProgress, ctx: MessageContext) -> None:
            nonlocal running, most
            started[event.event_id] += 1
            running += 1
            most = max(most, running)
            try:
                await asyncio.sleep(JOB_SECONDS)
            finally:
                running -= 1

        yield router

    group = f"{GROUP}-wide"
    workflow_id = await new_workflow(sessionmaker)
    events = [progress(workflow_id, f"job {n}") for n in range(6)]
    settings = service_settings(ServiceSettings, replica_name="wide-replica")
    async with open_runtime(group, settings, wide_router) as runtime:
        for event in events:
            await runtime.publisher.publish(event)

        async def all_done() -> bool:
            async with sessionmaker() as session:
                done = await session.scalar(
                    select(func.count()).where(ProcessedEvent.consumer_group == group)
                )
            return done == len(events)

        await wait_for(all_done, within=len(events) * JOB_SECONDS + 20)
        await asyncio.sleep(1.0)
    assert most == 3
    assert set(started) == {e.event_id for e in events}
    assert [n for n in started.values() if n > 1] == []
