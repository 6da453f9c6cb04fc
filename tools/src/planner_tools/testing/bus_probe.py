"""A tiny service for exercising the bus: its handler's behaviour is chosen by the event.

Run as `python -m planner_tools.testing.bus_probe` it is a separate consumer process that
tests can SIGKILL in the middle of a message.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from uuid import UUID, uuid4

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_shared.bus.router import EventRouter, MessageContext
from planner_shared.db.engine import transaction
from planner_shared.db.models import Workflow, WorkflowTransition
from planner_shared.events import (
    AgentCompleted,
    AgentCompletedPayload,
    AgentProgress,
    AgentProgressPayload,
)
from planner_shared.runtime import Runtime, open_runtime
from planner_shared.settings import ServiceSettings

GROUP = "bus-test"
FAILURES: dict[UUID, int] = {}


def build_router() -> EventRouter:
    router = EventRouter()

    @router.on(AgentProgress)
    async def on_progress(event: AgentProgress, ctx: MessageContext) -> None:
        command = event.payload.message
        if command == "fail":
            raise RuntimeError("asked to fail")
        if command == "fail-twice" and FAILURES.setdefault(event.event_id, 0) < 2:
            FAILURES[event.event_id] += 1
            raise RuntimeError("transient failure")
        if command == "block" and (marker := os.environ.get("BUS_PROBE_BLOCK_MARKER")):
            # Only the doomed process blocks: it says it has started, then hangs until killed.
            await asyncio.to_thread(_write_atomically, Path(marker), str(event.event_id))
            await asyncio.Event().wait()
        assert event.workflow_id is not None
        ctx.session.add(
            WorkflowTransition(
                workflow_id=event.workflow_id,
                from_state="created",
                to_state="created",
                accepted=True,
                event_id=event.event_id,
                event_type=event.type,
                reason="bus test effect",
            )
        )
        ctx.emit(
            event.caused(
                AgentCompleted,
                AgentCompletedPayload(agent="demand", summary=f"handled {command}"),
                GROUP,
            )
        )

    return router


def _write_atomically(path: Path, text: str) -> None:
    # The test waits for the file to exist and then kills this process: a plain write_text
    # could be seen (and killed) between creating the file and writing its content.
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    os.replace(partial, path)


@asynccontextmanager
async def bus_router(runtime: Runtime) -> AsyncIterator[EventRouter]:
    yield build_router()


async def new_workflow(sessionmaker: async_sessionmaker[AsyncSession]) -> UUID:
    async with transaction(sessionmaker) as session:
        workflow = Workflow(id=uuid4(), state="created", created_by="test", context={})
        session.add(workflow)
    return workflow.id


def progress(workflow_id: UUID, command: str) -> AgentProgress:
    return AgentProgress(
        workflow_id=workflow_id,
        producer="test",
        payload=AgentProgressPayload(agent="demand", message=command),
    )


async def effect_count(sessionmaker: async_sessionmaker[AsyncSession], event_id: UUID) -> int:
    async with sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).where(WorkflowTransition.event_id == event_id)
        )
    return count or 0


async def wait_for(
    predicate: Callable[[], Awaitable[bool]], within: float = 10.0, interval: float = 0.05
) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        if await predicate():
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(interval)


async def _serve_forever(consumer_name: str) -> None:
    settings = ServiceSettings(replica_name=consumer_name)
    async with open_runtime(GROUP, settings, bus_router):
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_serve_forever(sys.argv[1] if len(sys.argv) > 1 else "probe"))
