"""Fan-out of workflow messages to WebSocket connections, one bounded queue per connection.

`publish` never waits: a connection whose queue is full is dropped (its `dropped` event is set
and it leaves the hub), so one slow client cannot hold up the reader or the other clients.
It queues one already-encoded `Frame` for every connection, so an event costs one
serialisation however many clients follow the workflow; `has_subscribers` lets the caller
skip building the message at all when none does.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from uuid import UUID

from planner_gateway.metrics import WS_CONNECTIONS, WS_DROPPED, WS_MESSAGES
from planner_gateway.relay.messages import Frame


class Subscription:
    def __init__(self, workflow_id: UUID, queue_size: int) -> None:
        self.workflow_id = workflow_id
        self.queue: asyncio.Queue[Frame] = asyncio.Queue(maxsize=queue_size)
        self.dropped = asyncio.Event()
        self.drop_code = 1000
        self.drop_reason = ""

    def drop(self, code: int, reason: str) -> None:
        if not self.dropped.is_set():
            self.drop_code = code
            self.drop_reason = reason
            self.dropped.set()


class ConnectionHub:
    CLOSE_TOO_SLOW = 4429
    CLOSE_GOING_AWAY = 1001

    def __init__(self, queue_size: int) -> None:
        self._queue_size = queue_size
        self._subscriptions: defaultdict[UUID, set[Subscription]] = defaultdict(set)
        self.dropped_slow = 0

    def subscribe(self, workflow_id: UUID) -> Subscription:
        subscription = Subscription(workflow_id, self._queue_size)
        self._subscriptions[workflow_id].add(subscription)
        WS_CONNECTIONS.inc()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        members = self._subscriptions.get(subscription.workflow_id)
        if members is not None and subscription in members:
            members.discard(subscription)
            WS_CONNECTIONS.dec()
            if not members:
                del self._subscriptions[subscription.workflow_id]

    def has_subscribers(self, workflow_id: UUID) -> bool:
        return workflow_id in self._subscriptions

    def publish(self, workflow_id: UUID, frame: Frame) -> int:
        """Queue the frame for every connection of the workflow; returns how many got it."""
        delivered = 0
        for subscription in list(self._subscriptions.get(workflow_id, ())):
            try:
                subscription.queue.put_nowait(frame)
            except asyncio.QueueFull:
                self.dropped_slow += 1
                WS_DROPPED.labels("too_slow").inc()
                subscription.drop(
                    self.CLOSE_TOO_SLOW,
                    f"client too slow: {self._queue_size} messages waiting; reconnect with ?since=",
                )
                self.unsubscribe(subscription)
                continue
            delivered += 1
        WS_MESSAGES.inc(delivered)
        return delivered

    def close_all(self) -> None:
        for members in list(self._subscriptions.values()):
            for subscription in list(members):
                subscription.drop(self.CLOSE_GOING_AWAY, "server shutting down")
                self.unsubscribe(subscription)

    @property
    def connection_count(self) -> int:
        return sum(len(members) for members in self._subscriptions.values())
