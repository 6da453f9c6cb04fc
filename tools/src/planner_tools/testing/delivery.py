"""Run one event through a service's router without Redis: what a handler does with it, in
the same phases and transactions as the consumer (planner_shared.bus.delivery)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_shared.bus.delivery import run_route
from planner_shared.bus.publisher import EventPublisher
from planner_shared.bus.router import EventRouter
from planner_shared.events import EventBase
from planner_shared.settings import PlannerSettings


async def deliver(
    router: EventRouter,
    event: EventBase,
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: PlannerSettings,
    producer: str,
    publisher: EventPublisher | None = None,
    group: str | None = None,
) -> list[EventBase] | None:
    """Run `event` through the router's handler, without Redis (tests, tools)."""
    route = router.route_for(event)
    if route is None:
        raise LookupError(f"no handler for {event.type}")
    return await run_route(
        route,
        event,
        sessionmaker=sessionmaker,
        settings=settings,
        publisher=publisher,
        producer=producer,
        group=group,
    )
