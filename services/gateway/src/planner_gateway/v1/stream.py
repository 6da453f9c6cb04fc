"""§8 WebSocket `/api/v1/workflows/{workflow_id}/stream`: a v1 workflow's messages, live.

Open it as soon as the workflow is created (before execute): the connection follows our
workflow's UUID in the gateway's hub, which receives the workflow's events from the moment
execute creates it. The key comes as `?token=` (what a browser can add), an Authorization
header, or the subprotocols `bearer, <key>`. A missing or unknown key, or an unknown id,
refuses the upgrade (HTTP 403 before the handshake) so the client stops after its retries
instead of reconnecting every 2 s; everything after the handshake is the contract's.

First message: `connection_established`. Then the translated messages (v1/messages.py);
if pre-season planning is already done when the socket opens (a reconnect), its
`workflow_complete` is sent at once. Any number of sockets may follow one workflow (the
client's development build opens two per tab).

Heartbeat: liveness is the protocol's own ping frames, sent by uvicorn, which browsers answer
by themselves. A `{"type": "ping"}` message every `ws_heartbeat_seconds` is information;
the client need not answer (a `pong` is accepted), and nothing closes a socket because no
pong came. Anything the client sends is read and ignored, within the budget of `/ws`
(`CLIENT_RATE` a second, bursts of `CLIENT_BURST`): past it one `error` message says so, the
excess is dropped, and `CLIENT_DROP_LIMIT` messages over it close the socket with 1008.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import select

from planner_gateway.auth import websocket_principal
from planner_gateway.deps import get_state
from planner_gateway.errors import ApiError
from planner_gateway.frame_budget import (
    CLIENT_BURST,
    CLIENT_DROP_LIMIT,
    CLIENT_RATE,
    CLOSE_POLICY,
    FrameBudget,
    Verdict,
)
from planner_gateway.relay.hub import Subscription
from planner_gateway.relay.replay import CLOSE_TRY_AGAIN, SocketBusyError
from planner_gateway.settings import GatewaySettings
from planner_gateway.v1 import lookup, units
from planner_gateway.v1.messages import StreamContext, timestamp, translate
from planner_shared.db.frontend_v1 import V1Workflow

log = logging.getLogger(__name__)

router = APIRouter()


class _GoneError(Exception):
    pass


class _ClosingError(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class V1Connection:
    def __init__(
        self,
        websocket: WebSocket,
        subscription: Subscription,
        settings: GatewaySettings,
        context: StreamContext,
        already_complete: bool,
    ) -> None:
        self._ws = websocket
        self._subscription = subscription
        self._settings = settings
        self._ctx = context
        self._already_complete = already_complete
        self._lock = asyncio.Lock()

    async def _send(self, message: dict[str, object]) -> None:
        try:
            async with self._lock:
                await self._ws.send_text(json.dumps(message))
        except (WebSocketDisconnect, RuntimeError) as exc:
            raise _GoneError from exc

    async def serve(self) -> None:
        close: tuple[int, str] | None = None
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._send_loop())
                group.create_task(self._receive_loop())
                group.create_task(self._heartbeat_loop())
                await self._subscription.dropped.wait()
                close = (self._subscription.drop_code, self._subscription.drop_reason)
                raise _GoneError
        except* _GoneError:
            pass
        except* _ClosingError as closing:
            first = closing.exceptions[0]
            assert isinstance(first, _ClosingError)
            close = (first.code, first.reason)
        if close is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(close[0], close[1][:120]), 2.0)

    async def _send_loop(self) -> None:
        await self._send(
            {
                "type": "connection_established",
                "workflow_id": self._ctx.v1_id,
                "timestamp": timestamp(),
            }
        )
        if self._already_complete:
            await self._send(self._ctx.complete())
        while True:
            frame = await self._subscription.queue.get()
            try:
                message = json.loads(frame.text)
            except ValueError:
                continue
            if self._ctx.executed_at is None:
                self._ctx.executed_at = await self._executed_at()
            for translated in translate(message, self._ctx):
                await self._send(translated)

    async def _executed_at(self) -> datetime | None:
        try:
            async with get_state(self._ws).socket_reads.session() as session:
                executed: datetime | None = await session.scalar(
                    select(V1Workflow.executed_at).where(V1Workflow.v1_id == self._ctx.v1_id)
                )
        except SocketBusyError:
            return None  # read again with the next message
        return executed

    async def _receive_loop(self) -> None:
        budget = FrameBudget(CLIENT_RATE, CLIENT_BURST, CLIENT_DROP_LIMIT)
        while True:
            frame = await self._ws.receive()
            if frame["type"] == "websocket.disconnect":
                raise _GoneError
            verdict = budget.spend()
            if verdict is Verdict.FIRST_DROP:
                await self._send(
                    {
                        "type": "error",
                        "workflow_id": self._ctx.v1_id,
                        "timestamp": timestamp(),
                        "agent": None,
                        "error_message": f"rate_limited: at most {CLIENT_RATE:g} messages a "
                        f"second (bursts of {CLIENT_BURST}); the ones over are dropped",
                    }
                )
            elif verdict is Verdict.CLOSE:
                raise _ClosingError(CLOSE_POLICY, "too many messages")

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.ws_heartbeat_seconds)
            await self._send(
                {"type": "ping", "workflow_id": self._ctx.v1_id, "timestamp": timestamp()}
            )


@router.websocket("/api/v1/workflows/{workflow_id}/stream", name="v1_workflow_stream")
async def workflow_stream(websocket: WebSocket, workflow_id: str) -> None:
    state = get_state(websocket)
    principal, subprotocol = await websocket_principal(websocket)
    if principal is None:
        await websocket.close(1008, "missing or unknown API key")  # refuses the upgrade
        return
    try:
        # Through the sockets' gate on the database, as /ws: a crowd of handshakes waits its
        # turn or is closed with 1013, and leaves the pool to the REST requests.
        async with state.socket_reads.session() as session:
            season = await lookup.season(session, workflow_id)
            holdback = season.parameters.dc_holdback_percentage
    except ApiError:
        await websocket.close(1008, "unknown workflow")
        return
    except SocketBusyError as busy:
        await websocket.accept(subprotocol=subprotocol)
        await websocket.close(CLOSE_TRY_AGAIN, str(busy))
        return
    context = StreamContext(
        v1_id=season.v1_id,
        markdown_enabled=season.markdown_enabled,
        holdback_fraction=units.holdback_to_v1(holdback),
        executed_at=season.v1.executed_at,
    )
    done = season.state is not None and season.state in units.PRE_SEASON_DONE
    subscription = state.hub.subscribe(season.v1.workflow_id)
    try:
        await websocket.accept(subprotocol=subprotocol)
        await V1Connection(websocket, subscription, state.settings, context, done).serve()
    finally:
        state.hub.unsubscribe(subscription)
