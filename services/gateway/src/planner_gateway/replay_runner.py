"""Drives replays: one task per replayed season, step after step (services.replay).

A step that fed a week or took a decision is followed at once by the next; one that found
the season at work waits `poll_seconds`. The replay's row holds how far it got, so the runner
keeps nothing that matters: a gateway that starts resumes every open replay (`resume`), and
a second gateway driving the same replay finds the row locked and waits (`busy`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

from planner_gateway.errors import ApiError
from planner_gateway.services import replay
from planner_shared.bus.router import MessageContext
from planner_shared.datasets.csv_formats import CsvValidationError
from planner_shared.db.engine import transaction
from planner_shared.runtime import Runtime

log = logging.getLogger(__name__)

T = TypeVar("T")


class ReplayRunner:
    def __init__(self, runtime: Runtime, poll_seconds: float) -> None:
        self._runtime = runtime
        self._poll = poll_seconds
        self._tasks: dict[UUID, asyncio.Task[None]] = {}

    async def _in_transaction(self, step: Callable[[MessageContext], Awaitable[T]]) -> T:
        runtime = self._runtime
        async with transaction(runtime.sessionmaker) as session:
            uow = MessageContext(
                session=session,
                settings=runtime.settings,
                publisher=runtime.publisher,
                producer=runtime.name,
            )
            return await step(uow)

    def start(self, workflow_id: UUID) -> None:
        """Drive the replay unless this gateway already does."""
        task = self._tasks.get(workflow_id)
        if task is None or task.done():
            self._tasks[workflow_id] = asyncio.create_task(
                self._drive(workflow_id), name=f"replay-{workflow_id}"
            )

    async def resume(self) -> None:
        """Every replay a stopped gateway left open."""
        for workflow_id in await self._in_transaction(lambda uow: replay.open_replays(uow.session)):
            log.info("resuming the replay of %s", workflow_id)
            self.start(workflow_id)

    async def _drive(self, workflow_id: UUID) -> None:
        while True:
            try:
                step = await self._in_transaction(lambda uow: replay.advance(uow, workflow_id))
            except (ApiError, CsvValidationError) as exc:
                # The upload refused the week: the replay ends, saying why.
                await self._in_transaction(
                    functools.partial(replay.fail, workflow_id=workflow_id, reason=str(exc))
                )
                return
            except Exception:
                # An outage (the database, Redis): the step rolled back; try again.
                log.exception("replay of %s: step failed; retrying", workflow_id)
                await asyncio.sleep(self._poll * 5)
                continue
            if step.over:
                return
            if not step.moved:
                await asyncio.sleep(self._poll)

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
