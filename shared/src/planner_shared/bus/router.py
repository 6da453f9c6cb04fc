"""Maps event types to the plain async functions that handle them.

Handlers know nothing of FastStream or Redis. Most get the event and a MessageContext (an
open transaction plus `emit`). A handler whose work is long (a model fit, an LLM run) is
registered with `phased` and gets a `Delivery` instead (`planner_shared.bus.delivery`): it
reads, computes with no transaction open, then commits in a short one. Either kind runs
directly in tests through `delivery.deliver`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.bus.outbox import add_to_outbox
from planner_shared.bus.publisher import EventPublisher
from planner_shared.events import Domain, EventBase
from planner_shared.settings import PlannerSettings

EventT = TypeVar("EventT", bound=EventBase)


@dataclass
class MessageContext:
    """What a handler may touch: the transaction, and the ways to emit events."""

    session: AsyncSession
    settings: PlannerSettings
    publisher: EventPublisher | None
    producer: str
    emitted: list[EventBase] = field(default_factory=list)
    # Progress already published by an earlier attempt of the same delivery (a phased
    # handler that replays its decision): not published twice.
    progress_seen: set[str] | None = None
    # Set by `abandon()`: a phased handler's transaction rolls back instead of committing.
    abandoned: bool = False

    def abandon(self) -> None:
        """Roll this delivery's transaction back when its block ends, and mark nothing
        processed: the handler will decide again (after an agent run, say). Honoured by
        `Delivery.transaction()` only."""
        self.abandoned = True

    def emit(self, *events: EventBase) -> None:
        """Stage events in the outbox: they are published only if the handler commits."""
        add_to_outbox(self.session, self.settings, events)
        self.emitted.extend(events)

    async def progress(self, event: EventBase) -> None:
        """Publish at once, outside the transaction: progress is ephemeral and must be seen
        while the work is still running, so it cannot wait for the commit."""
        await publish_progress(self.publisher, event, self.progress_seen)


async def publish_progress(
    publisher: EventPublisher | None, event: EventBase, seen: set[str] | None = None
) -> None:
    """Publish a progress event now; once only, when `seen` holds what was published."""
    if seen is not None:
        key = f"{event.type}:{event.payload.model_dump_json()}"
        if key in seen:
            return
        seen.add(key)
    if publisher is not None:
        await publisher.publish(event)


Handler = Callable[[Any, Any], Awaitable[None]]
GivesUp = Callable[[Any, str, str], EventBase]
"""(the request, why it failed for good, the producer) -> the failure event to send."""


@dataclass(frozen=True)
class Route:
    handler: Handler
    # True: the handler takes a Delivery and opens its own short transaction.
    phased: bool = False
    # A request that is dead-lettered still gets an answer: whoever waits on it (the
    # orchestrator, for a forecast) learns it failed for good instead of waiting forever.
    gives_up: GivesUp | None = None


class EventRouter:
    def __init__(self, concurrency: int = 1) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        # New messages a replica of this service works on at once: 1 unless its handlers wait
        # on something with room for more (the forecast service's process pool).
        self.concurrency = concurrency
        self._routes: dict[str, Route] = {}
        self._domains: set[Domain] = set()

    def on(
        self, event_cls: type[EventT], *, gives_up: GivesUp | None = None
    ) -> Callable[[Callable[[EventT, MessageContext], Awaitable[None]]], Handler]:
        """Register a handler that runs inside the message transaction; `gives_up` makes
        the event sent when the message is dead-lettered (see `Route`)."""

        def register(fn: Callable[[EventT, MessageContext], Awaitable[None]]) -> Handler:
            self._add(event_cls, Route(fn, gives_up=gives_up))
            return fn

        return register

    def phased(
        self, event_cls: type[EventT], *, gives_up: GivesUp | None = None
    ) -> Callable[[Callable[[EventT, Any], Awaitable[None]]], Handler]:
        """Register a handler that does long work outside any transaction: it gets a
        `Delivery` and commits its effects in the delivery's short transaction."""

        def register(fn: Callable[[EventT, Any], Awaitable[None]]) -> Handler:
            self._add(event_cls, Route(fn, phased=True, gives_up=gives_up))
            return fn

        return register

    def _add(self, event_cls: type[EventBase], route: Route) -> None:
        event_type = event_cls.model_fields["type"].default
        if event_type in self._routes:
            raise ValueError(f"a handler for {event_type} is already registered")
        self._routes[event_type] = route
        self._domains.add(event_cls.domain)

    def route_for(self, event: EventBase) -> Route | None:
        return self._routes.get(event.type)

    def handler_for(self, event: EventBase) -> Handler | None:
        route = self._routes.get(event.type)
        return route.handler if route is not None else None

    @property
    def domains(self) -> set[Domain]:
        return set(self._domains)

    @property
    def event_types(self) -> list[str]:
        return sorted(self._routes)
