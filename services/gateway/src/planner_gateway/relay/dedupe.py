"""Which events the gateway has already relayed, so a second delivery is not sent again.

Delivery on the bus is at least once, and after a Redis loss the services publish again a
day of outbox events (planner_shared.bus.recovery): without this, every open socket would get
each of them a second time. Two checks, since either alone falls short:

- `RecentIds`: the event ids this process relayed lately, a bounded set (the oldest forgotten
  first). It covers what was relayed before the loss, whichever replica stored it first.
- The history: an event whose `workflow_events` row was stored more than
  `REPUBLISHED_AFTER` ago was relayed then (by this process, or by the one that ran before a
  restart). A row stored more recently may have been stored by another replica a moment
  earlier; that one is relayed, as every replica must fan out every event to its own clients.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from datetime import timedelta
from uuid import UUID

REMEMBERED = 50_000
"""Event ids remembered per process: hours of a busy gateway's traffic, a few MB."""

REPUBLISHED_AFTER = timedelta(minutes=10)
"""A history row older than this was relayed when it was stored."""


class RecentIds:
    def __init__(self, size: int = REMEMBERED) -> None:
        self._size = size
        self._ids: OrderedDict[UUID, None] = OrderedDict()

    def __contains__(self, event_id: UUID) -> bool:
        return event_id in self._ids

    def add(self, event_id: UUID) -> None:
        self._ids[event_id] = None
        self._ids.move_to_end(event_id)
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)

    def update(self, event_ids: Iterable[UUID]) -> None:
        for event_id in event_ids:
            self.add(event_id)

    def __len__(self) -> int:
        return len(self._ids)
