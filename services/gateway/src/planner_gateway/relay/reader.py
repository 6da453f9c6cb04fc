"""The gateway's one stream reader per process.

It reads every domain stream with plain XREAD (no consumer group: each replica must see every
event), stores each event that belongs to a workflow in `workflow_events` (every replica
inserts; `ON CONFLICT (event_id) DO NOTHING` keeps one row) and only then hands the event on,
so anything a client has seen live is already in the history it can resume from.

No single entry can stop it. An entry that is not a valid event, or that the database refuses
to store while it answers everything else (a value jsonb cannot hold, say), goes to
`<stream>.dlq` with the error, under the group `gateway-reader`, and the reader goes on; the
operator API lists and replays it like any dead letter. Only an outage (the database or Redis
not answering) makes it wait and retry, so the history never skips an event it could store.

An event is relayed once: one delivered again (at-least-once delivery, or the outbox publishing
a day again after a Redis loss) is stored once and not handed on a second time
(planner_gateway.relay.dedupe); a reply is handed on again, where it is a no-op.

At startup it first stores what the history lacks: entries from shortly before the newest
stored event (at most `history_catchup_seconds` back) up to the streams' current ends, without
fanning them out, then reads live from those ends. A gateway restart thus leaves no hole in
the history as long as the streams still hold the entries.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, TypeVar, cast
from uuid import UUID

import redis.asyncio as aioredis
from pydantic import ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_gateway.metrics import EVENTS_RELAYED
from planner_gateway.relay.dedupe import REPUBLISHED_AFTER, RecentIds
from planner_shared.bus.consumer import write_dead_letter
from planner_shared.bus.streams import all_streams, decode_entry, dlq_name
from planner_shared.db.engine import transaction
from planner_shared.db.models import WorkflowEvent
from planner_shared.events import EventBase, parse_event
from planner_shared.settings import PlannerSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

BATCH = 500
DEAD_LETTER_GROUP = "gateway-reader"
# How many of a DLQ's newest entries are checked before dead-lettering again an entry the
# catch-up re-reads after a restart.
DEDUPE_WINDOW = 200
# Producers' clocks and Redis's may disagree a little; re-reading a minute costs nothing.
CATCHUP_MARGIN = timedelta(seconds=60)

Entry = tuple[bytes, dict[bytes, bytes]]


class Read(NamedTuple):
    stream: str
    message_id: bytes
    event: EventBase
    body: bytes

    @property
    def order(self) -> tuple[int, datetime]:
        return int(self.message_id.split(b"-", 1)[0]), self.event.occurred_at


class StreamReader:
    def __init__(
        self,
        *,
        redis: aioredis.Redis,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: PlannerSettings,
        on_event: Callable[[EventBase], None],
        block_ms: int = 1000,
        catchup_seconds: float = 3600.0,
    ) -> None:
        self._redis = redis
        self._sessionmaker = sessionmaker
        self._maxlen = settings.stream_maxlen
        self._on_event = on_event
        self._block_ms = block_ms
        self._catchup = timedelta(seconds=catchup_seconds)
        self.streams = all_streams(settings)
        self.positions: dict[str, str] = {}
        self.caught_up = False
        self.running = False
        self.last_poll: float | None = None
        self.failures = 0
        self.events_read = 0
        self.dead_lettered = 0
        self.duplicates_dropped = 0
        self._relayed = RecentIds()

    # ------------------------------------------------------------------ health
    def alive(self) -> bool:
        if not self.running or not self.caught_up or self.last_poll is None:
            return False
        return time.monotonic() - self.last_poll < self._block_ms / 1000 * 3 + 5

    def problem(self) -> str | None:
        """Why the reader is not alive, for /ready and /api/health; None when it is."""
        if self.alive():
            return None
        return "catching up with the streams" if not self.caught_up else "not reading"

    def poll_age_seconds(self) -> float | None:
        return None if self.last_poll is None else time.monotonic() - self.last_poll

    # ------------------------------------------------------------------ running
    async def run(self) -> None:
        self.running = True
        try:
            await self._run()
        finally:
            self.running = False

    async def _run(self) -> None:
        self.positions = await self._with_retry("catch up", self._catch_up)
        self.caught_up = True
        self.last_poll = time.monotonic()
        log.info("stream reader live on %s", ", ".join(self.streams))
        while True:
            try:
                response = await self._xread()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self._backoff("read", exc)
                continue
            self.failures = 0
            self.last_poll = time.monotonic()
            events = await self._with_retry("store events", functools.partial(self._take, response))
            for read in events:
                try:
                    self._on_event(read.event)
                except Exception:
                    log.exception("failed to relay event %s", read.event.event_id)
                if read.event.workflow_id is not None:
                    self._relayed.add(read.event.event_id)

    async def _take(self, response: list[tuple[bytes, list[Entry]]]) -> list[Read]:
        """Parse and store one XREAD answer, then move the positions past it; all again on a
        retry (storing and dead-lettering are idempotent), so an outage skips nothing."""
        per_stream: list[list[Read]] = []
        ends: dict[str, str] = {}
        for raw_stream, items in response:
            stream = raw_stream.decode()
            per_stream.append(await self._parse([(stream, mid, fields) for mid, fields in items]))
            ends[stream] = items[-1][0].decode()
        # XREAD answers stream by stream. Merging keeps each stream's own order and
        # interleaves the streams by Redis's clock (the entry id), then by the event's
        # time when two streams share a millisecond.
        events = list(heapq.merge(*per_stream, key=lambda read: read.order))
        stored = await self._store_each(events)
        fresh = await self._not_yet_relayed(events, stored)
        self.positions.update(ends)
        return fresh

    async def _not_yet_relayed(self, events: Sequence[Read], stored: set[UUID]) -> list[Read]:
        """The events to hand on: all but workflow events relayed before (see the module
        docstring of planner_gateway.relay.dedupe)."""
        again = {
            read.event.event_id
            for read in events
            if read.event.workflow_id is not None and read.event.event_id not in stored
        }
        seen = {event_id for event_id in again if event_id in self._relayed}
        if again - seen:
            async with self._sessionmaker() as session:
                seen |= set(
                    await session.scalars(
                        select(WorkflowEvent.event_id).where(
                            WorkflowEvent.event_id.in_(again - seen),
                            WorkflowEvent.stored_at < func.now() - REPUBLISHED_AFTER,
                        )
                    )
                )
        fresh: list[Read] = []
        for read in events:
            # An event delivered twice within one read is handed on once, too.
            if read.event.event_id in seen:
                self.duplicates_dropped += 1
                continue
            if read.event.workflow_id is not None:
                seen.add(read.event.event_id)
            fresh.append(read)
        if len(fresh) < len(events):
            log.info("dropped %s events relayed before", len(events) - len(fresh))
        return fresh

    async def _xread(self) -> list[tuple[bytes, list[Entry]]]:
        positions: dict[Any, Any] = dict(self.positions)
        response = await self._redis.xread(positions, count=BATCH, block=self._block_ms)
        return cast(list[tuple[bytes, list[Entry]]], response or [])

    async def _catch_up(self) -> dict[str, str]:
        ends: dict[str, str] = {}
        for stream in self.streams:
            last = cast(list[Entry], await self._redis.xrevrange(stream, count=1))
            ends[stream] = last[0][0].decode() if last else "0-0"
        if self._catchup.total_seconds() <= 0:
            return ends
        start = await self._catchup_start()
        start_id = f"{int(start.timestamp() * 1000)}-0"
        stored = 0
        for stream in self.streams:
            if ends[stream] == "0-0":
                continue
            low = start_id
            while True:
                items = cast(
                    list[Entry],
                    await self._redis.xrange(stream, min=low, max=ends[stream], count=BATCH),
                )
                events = await self._parse([(stream, mid, fields) for mid, fields in items])
                stored += len(await self._store_each(events))
                if len(items) < BATCH:
                    break
                low = "(" + items[-1][0].decode()
        if stored:
            log.info("stored %s events missing from the history", stored)
        return ends

    async def _catchup_start(self) -> datetime:
        async with self._sessionmaker() as session:
            newest: datetime | None = await session.scalar(
                select(func.max(WorkflowEvent.occurred_at))
            )
        floor = datetime.now(UTC) - self._catchup
        return floor if newest is None else max(floor, newest - CATCHUP_MARGIN)

    async def _parse(self, entries: Sequence[tuple[str, bytes, dict[bytes, bytes]]]) -> list[Read]:
        events: list[Read] = []
        for stream, message_id, fields in entries:
            body = fields.get(b"__data__", b"")
            try:
                body = decode_entry(fields)
                events.append(Read(stream, message_id, parse_event(body), body))
            except (ValidationError, KeyError, ValueError) as exc:
                await self._dead_letter(stream, message_id, body, f"invalid event: {exc}", None)
                continue
            EVENTS_RELAYED.labels(stream).inc()
        self.events_read += len(events)
        return events

    async def _store_each(self, events: Sequence[Read]) -> set[UUID]:
        """Store the batch; if the database refuses it while it answers, store the events one
        by one and dead-letter each it refuses, so one bad event holds up none of the rest.
        Raises (for `_with_retry` to wait) only while the database does not answer.
        Returns the ids of the events stored now (not those the history already held)."""
        try:
            return await self._store(events)
        except Exception:
            if not await self._database_answers():
                raise
        stored: set[UUID] = set()
        for read in events:
            try:
                stored |= await self._store([read])
            except Exception as exc:
                if not await self._database_answers():
                    raise
                await self._dead_letter(
                    read.stream,
                    read.message_id,
                    read.body,
                    f"not storable in workflow_events: {type(exc).__name__}: {exc}",
                    read.event,
                )
        return stored

    async def _database_answers(self) -> bool:
        try:
            async with self._sessionmaker() as session:
                await session.execute(text("SELECT 1"))
        except asyncio.CancelledError:
            raise
        except Exception:
            return False
        return True

    async def _dead_letter(
        self,
        stream: str,
        message_id: bytes,
        body: bytes,
        error: str,
        event: EventBase | None,
    ) -> None:
        """Dead-letter once: the catch-up after a restart reads recent entries again."""
        recent = cast(
            list[Entry], await self._redis.xrevrange(dlq_name(stream), count=DEDUPE_WINDOW)
        )
        mid = message_id.decode()
        for _dlq_id, fields in recent:
            if (
                fields.get(b"message_id", b"").decode() == mid
                and fields.get(b"group") == DEAD_LETTER_GROUP.encode()
            ):
                return
        await write_dead_letter(
            self._redis,
            stream=stream,
            group=DEAD_LETTER_GROUP,
            message_id=message_id,
            body=body,
            error=error,
            event=event,
            maxlen=self._maxlen,
        )
        self.dead_lettered += 1

    async def _store(self, events: Sequence[Read]) -> set[UUID]:
        rows = [
            {
                "event_id": read.event.event_id,
                "workflow_id": read.event.workflow_id,
                "type": read.event.type,
                "stream": read.stream,
                "occurred_at": read.event.occurred_at,
                "envelope": read.event.model_dump(mode="json"),
            }
            for read in events
            if read.event.workflow_id is not None
        ]
        if not rows:
            return set()
        async with transaction(self._sessionmaker) as session:
            result = await session.scalars(
                insert(WorkflowEvent)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["event_id"])
                .returning(WorkflowEvent.event_id)
            )
            return set(result.all())

    async def _with_retry(self, what: str, action: Callable[[], Awaitable[T]]) -> T:
        """Keep trying while the database or Redis is down: history must not skip events."""
        while True:
            try:
                result = await action()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self._backoff(what, exc)
                continue
            self.failures = 0
            return result

    async def _backoff(self, what: str, exc: Exception) -> None:
        self.failures += 1
        log.warning(
            "stream reader failed to %s (%s consecutive): %s: %s",
            what,
            self.failures,
            type(exc).__name__,
            exc,
            exc_info=self.failures == 1,
        )
        await asyncio.sleep(min(0.1 * 2**self.failures, 5.0))
