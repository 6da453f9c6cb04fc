"""What the gateway holds while it runs: the hub, the reply registry and the stream reader."""

from __future__ import annotations

from dataclasses import dataclass

from planner_gateway.handlers import relay_handler
from planner_gateway.relay.hub import ConnectionHub
from planner_gateway.relay.reader import StreamReader
from planner_gateway.relay.replies import ReplyRegistry
from planner_gateway.settings import GatewaySettings
from planner_gateway.sign_in_guard import SignInGuard
from planner_shared.runtime import Runtime


@dataclass
class GatewayState:
    settings: GatewaySettings
    hub: ConnectionHub
    replies: ReplyRegistry
    reader: StreamReader
    sign_ins: SignInGuard

    @classmethod
    def build(cls, runtime: Runtime, settings: GatewaySettings) -> GatewayState:
        hub = ConnectionHub(settings.ws_queue_size)
        replies = ReplyRegistry()

        reader = StreamReader(
            redis=runtime.redis,
            sessionmaker=runtime.sessionmaker,
            settings=settings,
            on_event=relay_handler(hub, replies),
            block_ms=settings.reader_block_ms,
            catchup_seconds=settings.history_catchup_seconds,
        )
        return cls(
            settings=settings,
            hub=hub,
            replies=replies,
            reader=reader,
            sign_ins=SignInGuard(runtime.redis, settings),
        )
