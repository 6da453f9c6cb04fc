"""The transactional outbox: events are rows written with the effects that caused them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.bus.streams import stream_for
from planner_shared.db.models import OutboxMessage
from planner_shared.events import EventBase
from planner_shared.settings import PlannerSettings


def add_to_outbox(
    session: AsyncSession, settings: PlannerSettings, events: Iterable[EventBase]
) -> None:
    """Stage events for publishing; they leave only if the surrounding transaction commits."""
    session.add_all(
        OutboxMessage(
            event_id=event.event_id,
            stream=stream_for(settings, event),
            type=event.type,
            envelope=event.model_dump(mode="json"),
        )
        for event in events
    )
