"""Request/reply over the bus, answered through the process's one stream reader.

The gateway publishes a command directly (no state of its own to commit) and waits for an
event whose `causation_id` is the command's `event_id` and whose type is one of the expected
answers; other events caused by the command (progress, say) are not answers. Every gateway
replica reads every stream, so the replica that asked is the one that sees the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from planner_shared.events import EventBase


class ReplyRegistry:
    def __init__(self) -> None:
        self._pending: dict[
            UUID, tuple[tuple[type[EventBase], ...], asyncio.Future[EventBase]]
        ] = {}

    @contextmanager
    def expect(
        self, request_id: UUID, answers: tuple[type[EventBase], ...]
    ) -> Iterator[asyncio.Future[EventBase]]:
        future: asyncio.Future[EventBase] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (answers, future)
        try:
            yield future
        finally:
            self._pending.pop(request_id, None)
            future.cancel()

    def resolve(self, event: EventBase) -> bool:
        if event.causation_id is None:
            return False
        waiting = self._pending.get(event.causation_id)
        if waiting is None:
            return False
        answers, future = waiting
        if not isinstance(event, answers) or future.done():
            return False
        future.set_result(event)
        return True

    @property
    def waiting(self) -> int:
        return len(self._pending)
