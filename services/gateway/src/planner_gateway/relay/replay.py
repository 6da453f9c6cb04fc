"""What the sockets read from the database: the handshake's checks and the replay, bounded.

A replay used to be one query for up to `ws_replay_limit` events, and every socket opening at
once took a pool connection for its checks and its history: two hundred of them emptied the
pool, handshakes failed with HTTP 500 and every REST request waited. Now:

- every read of the sockets goes through `SocketReads`, a gate that lets `ws_db_concurrency`
  of them use the pool at once (the rest of the pool stays with REST requests). A handshake
  waits up to `ws_handshake_wait_seconds` for its turn, then is refused with close code 1013
  (try again later); so is one whose database does not answer. Never an HTTP 500.
- a replay is read a page (`PAGE` events) at a time, each page a short query of its own, and
  sent before the next is read: no connection is held while a client reads its history.

Which events a replay holds is fixed when it starts (`plan`): the newest `limit` after the
client's position, up to the newest stored then; what is stored later comes live.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_gateway.errors import outage_of
from planner_gateway.relay.messages import Frame, control, encode, to_message
from planner_shared.db.models import WorkflowEvent
from planner_shared.events import event_from_dict

PAGE = 200
CLOSE_TRY_AGAIN = 1013


class SocketBusyError(Exception):
    """No database read for this socket now: close it with 1013 and this reason."""


class SocketReads:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], concurrency: int, wait: float
    ) -> None:
        self._sessionmaker = sessionmaker
        self._gate = asyncio.Semaphore(concurrency)
        self.wait = wait
        self.refused = 0

    @asynccontextmanager
    async def session(self, wait: float | None = None) -> AsyncIterator[AsyncSession]:
        """A session once the gate lets this socket in; `SocketBusyError` if it does not
        within `wait` seconds (default `ws_handshake_wait_seconds`) or the database fails."""
        try:
            async with asyncio.timeout(self.wait if wait is None else wait):
                await self._gate.acquire()
        except TimeoutError:
            self.refused += 1
            raise SocketBusyError("too many connections opening at once; retry shortly") from None
        try:
            async with self._sessionmaker() as session:
                yield session
        except Exception as exc:
            if outage_of(exc) is None:
                raise
            self.refused += 1
            raise SocketBusyError("the database is not answering; retry shortly") from exc
        finally:
            self._gate.release()


@dataclass(frozen=True)
class ReplayPlan:
    workflow_id: UUID
    after: int
    """The client's position: events with a greater seq are replayed."""
    start: int
    """Replayed are the events with start < seq <= end."""
    end: int
    skipped: int
    limit: int


async def plan(reads: SocketReads, workflow_id: UUID, after: int, limit: int) -> ReplayPlan:
    async with reads.session() as session:
        in_history = WorkflowEvent.workflow_id == workflow_id, WorkflowEvent.seq > after
        total, newest = (
            await session.execute(
                select(func.count(), func.max(WorkflowEvent.seq)).where(*in_history)
            )
        ).one()
        start: int | None = after
        if total > limit:
            # The seq just before the newest `limit`: the replay starts after it.
            start = await session.scalar(
                select(WorkflowEvent.seq)
                .where(*in_history)
                .order_by(WorkflowEvent.seq.desc())
                .offset(limit)
                .limit(1)
            )
    return ReplayPlan(
        workflow_id,
        after,
        int(start or after),
        int(newest or after),
        max(0, int(total) - limit),
        limit,
    )


async def pages(reads: SocketReads, replay: ReplayPlan) -> AsyncIterator[list[Frame]]:
    """The replay's frames, a page at a time; first a `replay_truncated` notice when older
    events were left out."""
    position = replay.start
    first = True
    while position < replay.end:
        async with reads.session() as session:
            rows = (
                await session.execute(
                    select(WorkflowEvent.seq, WorkflowEvent.envelope)
                    .where(
                        WorkflowEvent.workflow_id == replay.workflow_id,
                        WorkflowEvent.seq > position,
                        WorkflowEvent.seq <= replay.end,
                    )
                    .order_by(WorkflowEvent.seq)
                    .limit(PAGE)
                )
            ).all()
        if not rows:
            return
        messages = [to_message(event_from_dict(envelope)) for _seq, envelope in rows]
        frames = [encode(message) for message in messages]
        if first and replay.skipped:
            frames.insert(0, encode(_truncated(replay, messages[0])))
        first = False
        position = int(rows[-1][0])
        yield frames


def _truncated(replay: ReplayPlan, first: dict[str, Any]) -> dict[str, Any]:
    url = f"/api/workflows/{replay.workflow_id}/events?after={replay.after}"
    return control(
        "error",
        str(replay.workflow_id),
        code="replay_truncated",
        error_message=(
            f"{replay.skipped} older events were not replayed (the replay holds the newest "
            f"{replay.limit}); GET {url} lists them, up to event {first['event_id']} where the "
            "replay starts"
        ),
        skipped=replay.skipped,
        replay_limit=replay.limit,
        events_url=url,
        first_replayed_event_id=first["event_id"],
    )
