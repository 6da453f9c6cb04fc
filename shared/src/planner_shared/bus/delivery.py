"""Running one event through its handler: in one transaction, or in phases around long work.

An ordinary handler runs inside the message transaction: its effects, its outgoing events
(outbox) and the `processed_events` mark commit together. A phased handler (a forecast fit,
an LLM agent run) must not hold that transaction, nor the rows it locks, while it computes:
it reads its inputs in `Delivery.read()`, computes with no transaction open, and commits in
`Delivery.transaction()`, which checks again that the event is not processed yet and commits
the results, the mark and the outbox in one short transaction. What it decided on may have
changed while it computed, so the commit re-reads and re-checks what it writes over.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_shared.bus.publisher import EventPublisher
from planner_shared.bus.router import MessageContext, Route, publish_progress
from planner_shared.db.engine import transaction
from planner_shared.db.models import ProcessedEvent
from planner_shared.events import EventBase
from planner_shared.settings import PlannerSettings


class AlreadyProcessedError(Exception):
    """The event was processed meanwhile (another replica, an earlier delivery): this
    delivery's work is dropped."""


class _AbandonedError(Exception):
    """Rolls back a transaction its handler abandoned (`MessageContext.abandon`)."""


@dataclass
class Delivery:
    """One delivery of an event to a phased handler.

    `read()` is a short transaction for the inputs, rolled back at its end. `transaction()`
    is the message transaction: it refuses an event already processed (`AlreadyProcessedError`)
    and, when its block completes, writes the processed mark and commits. A block that raises
    rolls back and may be tried again, as does one whose handler called `ctx.abandon()`;
    once one has committed, no other may open.
    """

    event: EventBase
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: PlannerSettings
    publisher: EventPublisher | None
    producer: str
    group: str | None
    emitted: list[EventBase] = field(default_factory=list)
    committed: bool = False
    _progress_seen: set[str] = field(default_factory=set)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; its transaction is rolled back when the block ends."""
        async with self.sessionmaker() as session:
            yield session

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A short transaction of its own, committed at once, for what must be seen while
        the work runs (an agent marked running); not the handler's effects."""
        async with transaction(self.sessionmaker) as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MessageContext]:
        if self.committed:
            raise RuntimeError("this delivery has already committed")
        try:
            async with transaction(self.sessionmaker) as session:
                if await self._processed(session):
                    raise AlreadyProcessedError(str(self.event.event_id))
                ctx = MessageContext(
                    session=session,
                    settings=self.settings,
                    publisher=self.publisher,
                    producer=self.producer,
                    progress_seen=self._progress_seen,
                )
                yield ctx
                if ctx.abandoned:
                    raise _AbandonedError
                if self.group is not None:
                    session.add(
                        ProcessedEvent(consumer_group=self.group, event_id=self.event.event_id)
                    )
                await session.flush()
        except _AbandonedError:
            return
        self.committed = True
        self.emitted = ctx.emitted

    async def progress(self, event: EventBase) -> None:
        """Publish at once (see MessageContext.progress)."""
        await publish_progress(self.publisher, event, self._progress_seen)

    async def _processed(self, session: AsyncSession) -> bool:
        if self.group is None:
            return False
        found = await session.get(ProcessedEvent, (self.group, self.event.event_id))
        return found is not None


async def run_route(
    route: Route,
    event: EventBase,
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: PlannerSettings,
    publisher: EventPublisher | None,
    producer: str,
    group: str | None,
) -> list[EventBase] | None:
    """Handle one event as the consumer does; the events it emitted, or None when the
    event was already processed by `group` (no group: no processed mark is kept)."""
    if not route.phased:
        async with transaction(sessionmaker) as session:
            if group is not None:
                done = await session.get(ProcessedEvent, (group, event.event_id))
                if done is not None:
                    return None
            ctx = MessageContext(
                session=session, settings=settings, publisher=publisher, producer=producer
            )
            await route.handler(event, ctx)
            if group is not None:
                session.add(ProcessedEvent(consumer_group=group, event_id=event.event_id))
            await session.flush()
        return ctx.emitted
    delivery = Delivery(
        event=event,
        sessionmaker=sessionmaker,
        settings=settings,
        publisher=publisher,
        producer=producer,
        group=group,
    )
    async with delivery.read() as session:
        if await delivery._processed(session):
            return None
    try:
        await route.handler(event, delivery)
        if not delivery.committed:
            # The handler found nothing to do: the event is still processed, once.
            async with delivery.transaction():
                pass
    except AlreadyProcessedError:
        return None
    return delivery.emitted
