"""What the gateway holds while it runs: the hub, the reply registry and the stream reader."""

from __future__ import annotations

from dataclasses import dataclass

from planner_gateway.relay.hub import ConnectionHub
from planner_gateway.relay.messages import encode, to_message
from planner_gateway.relay.reader import StreamReader
from planner_gateway.relay.replies import ReplyRegistry
from planner_gateway.settings import GatewaySettings
from planner_shared.events import EventBase
from planner_shared.runtime import Runtime


@dataclass
class GatewayState:
    settings: GatewaySettings
    hub: ConnectionHub
    replies: ReplyRegistry
    reader: StreamReader

    @classmethod
    def build(cls, runtime: Runtime, settings: GatewaySettings) -> GatewayState:
        hub = ConnectionHub(settings.ws_queue_size)
        replies = ReplyRegistry()

        def on_event(event: EventBase) -> None:
            replies.resolve(event)
            # Most events have nobody watching their workflow: build no message for them.
            if event.workflow_id is not None and hub.has_subscribers(event.workflow_id):
                hub.publish(event.workflow_id, encode(to_message(event)))

        reader = StreamReader(
            redis=runtime.redis,
            sessionmaker=runtime.sessionmaker,
            settings=settings,
            on_event=on_event,
            block_ms=settings.reader_block_ms,
            catchup_seconds=settings.history_catchup_seconds,
        )
        return cls(settings=settings, hub=hub, replies=replies, reader=reader)
