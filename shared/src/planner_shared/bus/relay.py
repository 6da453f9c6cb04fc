"""The outbox relay: moves committed events to Redis and marks them sent.

One relay at a time publishes (a transaction-level advisory lock), so the streams keep the
order in which the events were committed. A crash after XADD and before the commit that marks
the row sent publishes that event again on restart: consumers are idempotent by event_id.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_shared.bus.publisher import EventPublisher
from planner_shared.db.engine import transaction
from planner_shared.db.models import OutboxMessage
from planner_shared.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISHED

log = logging.getLogger(__name__)

_RELAY_LOCK_KEY = 0x5EA5_0001


class OutboxRelay:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        publisher: EventPublisher,
        *,
        poll_seconds: float = 0.2,
        batch_size: int = 200,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._publisher = publisher
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows were sent."""
        async with transaction(self._sessionmaker) as session:
            locked = await session.scalar(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _RELAY_LOCK_KEY}
            )
            if not locked:
                return 0
            rows = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.published_at.is_(None))
                    .order_by(OutboxMessage.id)
                    .limit(self._batch_size)
                )
            ).all()
            for row in rows:
                await self._publisher.publish_raw(row.stream, row.envelope)
            if rows:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_([r.id for r in rows]))
                    .values(published_at=datetime.now(UTC))
                )
            OUTBOX_PUBLISHED.inc(len(rows))
            return len(rows)

    async def backlog(self) -> int:
        async with self._sessionmaker() as session:
            count = await session.scalar(
                select(func.count()).where(OutboxMessage.published_at.is_(None))
            )
        OUTBOX_BACKLOG.set(count or 0)
        return count or 0

    async def run(self) -> None:
        failures = 0
        while True:
            try:
                sent = await self.relay_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Back off while the database or Redis is down; one line per failure, with
                # the traceback only the first time, so the log stays readable.
                failures += 1
                log.warning(
                    "outbox relay failed (%s consecutive): %s: %s",
                    failures,
                    type(exc).__name__,
                    str(exc).splitlines()[0] if str(exc) else "",
                    exc_info=failures == 1,
                )
                await asyncio.sleep(min(self._poll_seconds * 2**failures, 5.0))
                continue
            failures = 0
            if sent < self._batch_size:
                await asyncio.sleep(self._poll_seconds)
