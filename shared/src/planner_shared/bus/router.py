"""Maps event types to the plain async functions that handle them.

Handlers know nothing of FastStream or Redis: they get the event and a MessageContext (an
open transaction plus `emit`) and can be called directly in tests.
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

    def emit(self, *events: EventBase) -> None:
        """Stage events in the outbox: they are published only if the handler commits."""
        add_to_outbox(self.session, self.settings, events)
        self.emitted.extend(events)

    async def progress(self, event: EventBase) -> None:
        """Publish at once, outside the transaction: progress is ephemeral and must be seen
        while the work is still running, so it cannot wait for the commit."""
        if self.publisher is not None:
            await self.publisher.publish(event)


Handler = Callable[[Any, MessageContext], Awaitable[None]]


class EventRouter:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._domains: set[Domain] = set()

    def on(
        self, event_cls: type[EventT]
    ) -> Callable[[Callable[[EventT, MessageContext], Awaitable[None]]], Handler]:
        def register(fn: Callable[[EventT, MessageContext], Awaitable[None]]) -> Handler:
            event_type = event_cls.model_fields["type"].default
            if event_type in self._handlers:
                raise ValueError(f"a handler for {event_type} is already registered")
            self._handlers[event_type] = fn
            self._domains.add(event_cls.domain)
            return fn

        return register

    def handler_for(self, event: EventBase) -> Handler | None:
        return self._handlers.get(event.type)

    @property
    def domains(self) -> set[Domain]:
        return set(self._domains)

    @property
    def event_types(self) -> list[str]:
        return sorted(self._handlers)
