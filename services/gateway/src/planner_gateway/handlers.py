"""The gateway's bus side: the handler of every event its stream reader stores.

The gateway joins no consumer group (each replica reads every stream itself,
planner_gateway.relay.reader), so it has no EventRouter: one handler takes every event once
it is stored, answers the request waiting for it, and fans it out to the workflow's sockets.
"""

from __future__ import annotations

from collections.abc import Callable

from planner_gateway.relay.hub import ConnectionHub
from planner_gateway.relay.messages import encode, to_message
from planner_gateway.relay.replies import ReplyRegistry
from planner_shared.events import EventBase


def relay_handler(hub: ConnectionHub, replies: ReplyRegistry) -> Callable[[EventBase], None]:
    def on_event(event: EventBase) -> None:
        replies.resolve(event)
        # Most events have nobody watching their workflow: build no message for them.
        if event.workflow_id is not None and hub.has_subscribers(event.workflow_id):
            hub.publish(event.workflow_id, encode(to_message(event)))

    return on_event
