"""Surviving a Redis that lost its data (a restart without persistence, a FLUSHALL, a failover
to an empty replica).

What is lost with Redis: the streams (events not yet consumed by every group), the consumer
groups (with what each had pending) and the dead letters. What is not: PostgreSQL holds every
event that went through the outbox (nearly all of them), and `processed_events` says which
group handled which. So recovery is:

1. **Groups.** `GroupWatch` checks every `bus_check_seconds` that the service's groups exist;
   a missing one is recreated (at `0`) and logged as an error. While Redis does not answer or
   a group is missing, the service's `/ready` fails.
2. **Events.** Every service keeps a marker key in Redis (`<prefix>.bus.intact`, no expiry).
   Found missing (at start-up, or at any check), Redis holds none of our data: the service
   that sets it again marks the outbox rows published within `redrive_window_hours`
   unpublished, and the outbox relay publishes them once more, in commit order. Consumers
   that had handled an event skip it (`processed_events`); the others handle it now, so
   stuck workflows move on and new ones start. `POST /api/ops/redrive` (gateway, operator
   key) does the same for any window, when the loss is older than the automatic one.

Not recoverable this way: what was published directly, outside the outbox (progress messages,
and the gateway's request/reply commands: the client saw a 503/202 and sends again with the
same Idempotency-Key), and the dead letters (their events are in the outbox if they came
through it, so a re-drive sends them again too).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import ResponseError
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_shared.db.engine import transaction
from planner_shared.db.models import OutboxMessage

log = logging.getLogger(__name__)


def marker_key(stream_prefix: str) -> str:
    """A key every service sets in Redis, with no expiry: only a Redis that lost its data
    lacks it once any service ran."""
    return f"{stream_prefix}.bus.intact"


async def redrive(
    sessionmaker: async_sessionmaker[AsyncSession],
    since: datetime,
    streams: list[str] | None = None,
) -> int:
    """Mark the outbox rows published since `since` (on `streams`, or all) unpublished, so
    the relay publishes them again in commit order; returns how many."""
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.published_at >= since)
        .values(published_at=None)
        .returning(OutboxMessage.id)
    )
    if streams is not None:
        statement = statement.where(OutboxMessage.stream.in_(streams))
    async with transaction(sessionmaker) as session:
        return len((await session.execute(statement)).all())


async def redrive_if_lost(
    sessionmaker: async_sessionmaker[AsyncSession],
    redis: aioredis.Redis,
    stream_prefix: str,
    streams: list[str],
    window: timedelta,
) -> int | None:
    """Re-drive the window's events when Redis lost its data; None when it did not.

    The marker missing means the Redis holds nothing of ours: a new Redis, or one that lost
    its data. The service that sets it again (SET NX, so exactly one per loss) re-drives the
    events published within `window`; on a new Redis with an empty outbox that is nothing.
    """
    key = marker_key(stream_prefix)
    if await redis.exists(key):
        return None
    if not await redis.set(key, datetime.now(UTC).isoformat(), nx=True):
        return None
    since = datetime.now(UTC) - window
    count = await redrive(sessionmaker, since, streams) if window > timedelta(0) else 0
    if count:
        log.error(
            "Redis holds none of the bus's data (lost with a restart without persistence, a "
            "FLUSHALL or a failover?): %s outbox events published since %s will be published "
            "again; see docs/bus.md, 'When Redis loses its data'",
            count,
            since.isoformat(),
        )
    return count


class ReaderControl(Protocol):
    """The stream readers of a service (its DurableConsumer's subscribers)."""

    def stopped(self) -> list[str]: ...

    async def restart_stopped(self) -> list[str]: ...


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class GroupWatch:
    """Keeps a service's consumer groups in place, and says when it cannot consume."""

    def __init__(
        self,
        *,
        redis: aioredis.Redis,
        sessionmaker: async_sessionmaker[AsyncSession],
        group: str,
        stream_prefix: str,
        streams: list[str],
        all_streams: list[str],
        interval: float,
        redrive_window: timedelta,
        readers: ReaderControl | None = None,
    ) -> None:
        self._redis = redis
        self._sessionmaker = sessionmaker
        self.group = group
        self._prefix = stream_prefix
        self.streams = streams
        self._all_streams = all_streams
        self._interval = interval
        self._window = redrive_window
        self._readers = readers
        self.recreated = 0
        self.redriven = 0
        self.last_check: float | None = None
        self.error: str | None = None

    def problem(self) -> str | None:
        """Why the service cannot consume right now, for /ready; None when it can."""
        if self.error is not None:
            return self.error
        if self.last_check is None:
            return "consumer groups not checked yet"
        if self._readers is not None and (stopped := self._readers.stopped()):
            return f"not reading {', '.join(stopped)}"
        if time.monotonic() - self.last_check > self._interval * 3 + 5:
            return "consumer groups not checked recently"
        return None

    async def missing_groups(self) -> list[str]:
        missing = []
        for stream in self.streams:
            try:
                groups = await self._redis.xinfo_groups(stream)
            except ResponseError:  # no such stream: no group either
                missing.append(stream)
                continue
            names = {_text(g["name"]) for g in groups}
            if self.group not in names:
                missing.append(stream)
        return missing

    async def check(self) -> list[str]:
        """Recreate missing groups; re-drive lost events when some were missing. Returns the
        streams whose group was recreated."""
        missing = await self.missing_groups()
        for stream in missing:
            with contextlib.suppress(ResponseError):  # another replica was quicker
                await self._redis.xgroup_create(stream, self.group, id="0", mkstream=True)
            self.recreated += 1
            log.error(
                "consumer group %s of %s was missing (Redis lost its data?): recreated at the "
                "start of the stream; see docs/bus.md, 'When Redis loses its data'",
                self.group,
                stream,
            )
        redriven = await redrive_if_lost(
            self._sessionmaker, self._redis, self._prefix, self._all_streams, self._window
        )
        self.redriven += redriven or 0
        if self._readers is not None and self._readers.stopped():
            await self._readers.restart_stopped()
        return missing

    async def run(self) -> None:
        while True:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.error = f"cannot check the consumer groups: {type(exc).__name__}"
                log.warning("consumer group check failed: %s: %s", type(exc).__name__, exc)
            else:
                self.error = None
                self.last_check = time.monotonic()
            await asyncio.sleep(self._interval)
