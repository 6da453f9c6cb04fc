"""What the gateway holds while it runs: the hub, the reply registry, the stream reader and
the pool that parses uploads, and the gate of the sockets' database reads."""

from __future__ import annotations

from dataclasses import dataclass

from planner_gateway.handlers import relay_handler
from planner_gateway.parse_pool import ParsePool
from planner_gateway.relay.hub import ConnectionHub
from planner_gateway.relay.reader import StreamReader
from planner_gateway.relay.replay import SocketReads
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
    parses: ParsePool
    socket_reads: SocketReads

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
        parses = ParsePool(settings.upload_parse_workers, settings.upload_parse_queue)
        socket_reads = SocketReads(
            runtime.sessionmaker, settings.ws_db_concurrency, settings.ws_handshake_wait_seconds
        )
        return cls(
            settings=settings,
            hub=hub,
            replies=replies,
            reader=reader,
            sign_ins=SignInGuard(runtime.redis, settings),
            parses=parses,
            socket_reads=socket_reads,
        )
