"""WebSocket `/ws/workflows/{workflow_id}`: a workflow's events, live, with resume.

The protocol (authentication, `since`, the replay limit, heartbeat, rate limit, close codes)
is in docs/websocket.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import select

from planner_gateway.auth import websocket_principal
from planner_gateway.deps import get_state
from planner_gateway.frame_budget import CLIENT_BURST, CLIENT_DROP_LIMIT, CLIENT_RATE, CLOSE_POLICY
from planner_gateway.relay import replay
from planner_gateway.relay.hub import Subscription
from planner_gateway.relay.messages import Frame, control
from planner_gateway.relay.replay import CLOSE_TRY_AGAIN, SocketBusyError, SocketReads
from planner_gateway.settings import GatewaySettings
from planner_shared.db.models import Workflow, WorkflowEvent

log = logging.getLogger(__name__)

CLOSE_BAD_SINCE = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_UNKNOWN_WORKFLOW = 4404
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
SINCE_START = {"start", "0", "beginning"}
CLOSE_TIMEOUT_SECONDS = 2.0

router = APIRouter()


class _CloseError(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class _ClientGoneError(Exception):
    pass


class WorkflowConnection:
    """One client: send, receive and heartbeat loops in one task group, cancelled together."""

    def __init__(
        self,
        websocket: WebSocket,
        subscription: Subscription,
        settings: GatewaySettings,
        replay: AsyncIterator[list[Frame]] | None,
    ) -> None:
        self._ws = websocket
        self._subscription = subscription
        self._settings = settings
        self._replay = replay
        self._workflow_id = str(subscription.workflow_id)
        self._send_lock = asyncio.Lock()
        self._tokens = float(CLIENT_BURST)
        self._refilled = asyncio.get_running_loop().time()
        self._dropped = 0

    async def serve(self) -> None:
        closing: _CloseError | None = None
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._send_loop())
                group.create_task(self._receive_loop())
                group.create_task(self._heartbeat_loop())
                group.create_task(self._watch_drop())
        except* _ClientGoneError:
            pass
        except* _CloseError as requested:
            first = requested.exceptions[0]
            assert isinstance(first, _CloseError)
            closing = first
        except* Exception as failed:
            log.error("websocket of %s failed", self._workflow_id, exc_info=failed.exceptions[0])
            closing = _CloseError(CLOSE_INTERNAL, "internal error")
        if closing is not None:
            await self._close(closing.code, closing.reason)

    async def _close(self, code: int, reason: str) -> None:
        # A client that stopped reading may never drain the close frame: do not wait forever.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._ws.close(code, reason[:120]), CLOSE_TIMEOUT_SECONDS)

    async def send(self, message: dict[str, Any]) -> None:
        await self._send_text(json.dumps(message))

    async def _send_text(self, text: str) -> None:
        try:
            async with self._send_lock:
                await self._ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise _ClientGoneError from exc

    async def _send_loop(self) -> None:
        replayed: set[str] = set()
        if self._replay is not None:
            try:
                async for page in self._replay:
                    for frame in page:
                        if frame.event_id is not None:
                            replayed.add(frame.event_id)
                        await self._send_text(frame.text)
            except SocketBusyError as busy:
                raise _CloseError(CLOSE_TRY_AGAIN, str(busy)) from None
            self._replay = None
        queue = self._subscription.queue
        while True:
            frame = await queue.get()
            if frame.event_id in replayed:
                continue
            await self._send_text(frame.text)

    async def _receive_loop(self) -> None:
        while True:
            frame = await self._ws.receive()
            if frame["type"] == "websocket.disconnect":
                raise _ClientGoneError
            data: bytes = frame.get("bytes") or (frame.get("text") or "").encode()
            limit = self._settings.ws_max_message_bytes
            if len(data) > limit:
                raise _CloseError(CLOSE_TOO_BIG, f"messages are limited to {limit:,} bytes")
            if not await self._within_rate():
                continue
            await self._on_client_message(data.decode("utf-8", errors="replace"))

    async def _within_rate(self) -> bool:
        """Spend a token on this message; False (and dropped) when the client is over its
        budget, closing it once it has gone on for CLIENT_DROP_LIMIT messages."""
        now = asyncio.get_running_loop().time()
        self._tokens = min(CLIENT_BURST, self._tokens + (now - self._refilled) * CLIENT_RATE)
        self._refilled = now
        if self._tokens >= 1:
            self._tokens -= 1
            self._dropped = 0
            return True
        self._dropped += 1
        if self._dropped == 1:
            await self._reply_error(
                "rate_limited",
                f"at most {CLIENT_RATE:g} messages a second (bursts of {CLIENT_BURST}); "
                "the ones over are dropped unanswered",
            )
        if self._dropped >= CLIENT_DROP_LIMIT:
            raise _CloseError(CLOSE_POLICY, "too many messages")
        return False

    async def _on_client_message(self, text: str) -> None:
        if text.strip() == "pong":
            return  # the bare-text pong of the Phase 3 design's clients
        try:
            data = json.loads(text)
        except RecursionError:
            # Deep nesting inside the size limit ("[[[[..."): refused like any unreadable frame.
            await self._reply_error("invalid_json", "the message is nested too deeply")
            return
        except ValueError:
            data = None
        if not isinstance(data, dict):
            await self._reply_error("invalid_json", "messages must be JSON objects")
            return
        kind = data.get("type")
        if kind == "pong":
            return
        if kind == "ping":
            await self.send(control("pong", self._workflow_id))
        else:
            what = f"unknown message type {kind!r}" if "type" in data else "a message needs a type"
            await self._reply_error(
                "unknown_message_type", f"{what}: the server accepts 'pong' and 'ping'"
            )

    async def _reply_error(self, code: str, text: str) -> None:
        await self.send(control("error", self._workflow_id, code=code, error_message=text))

    async def _heartbeat_loop(self) -> None:
        # Information only: protocol-level pings (uvicorn's) decide liveness, so a client that
        # never answers this message is not dropped for it.
        interval = self._settings.ws_heartbeat_seconds
        while True:
            await asyncio.sleep(interval)
            await self.send(control("ping", self._workflow_id))

    async def _watch_drop(self) -> None:
        await self._subscription.dropped.wait()
        raise _CloseError(self._subscription.drop_code, self._subscription.drop_reason)


async def _since_seq(reads: SocketReads, workflow_id: UUID, since: str | None) -> int | None:
    """The history position to replay from: None for live only; raises _CloseError if unknown."""
    if since is None or since == "":
        return None
    if since.lower() in SINCE_START:
        return 0
    try:
        event_id = UUID(since)
    except ValueError:
        raise _CloseError(CLOSE_BAD_SINCE, "since must be an event_id or 'start'") from None
    async with reads.session() as session:
        seq = await session.scalar(
            select(WorkflowEvent.seq).where(
                WorkflowEvent.event_id == event_id, WorkflowEvent.workflow_id == workflow_id
            )
        )
    if seq is None:
        raise _CloseError(CLOSE_BAD_SINCE, f"event {since} is not in this workflow's history")
    return int(seq)


async def _workflow_exists(reads: SocketReads, raw_id: str) -> UUID:
    try:
        workflow_id = UUID(raw_id)
    except ValueError:
        raise _CloseError(CLOSE_UNKNOWN_WORKFLOW, "unknown workflow") from None
    async with reads.session() as session:
        if await session.get(Workflow, workflow_id) is None:
            raise _CloseError(CLOSE_UNKNOWN_WORKFLOW, "unknown workflow")
    return workflow_id


async def _replay(
    reads: SocketReads, workflow_id: UUID, after: int | None, limit: int
) -> AsyncIterator[list[Frame]]:
    """The history after `after`, a page at a time (nothing for a live-only connection)."""
    if after is None:
        return
    plan = await replay.plan(reads, workflow_id, after, limit)
    async for page in replay.pages(reads, plan):
        yield page


@router.websocket("/ws/workflows/{workflow_id}", name="workflow_socket")
@router.websocket("/api/workflows/{workflow_id}/stream", name="workflow_stream")
async def workflow_socket(websocket: WebSocket, workflow_id: str, since: str | None = None) -> None:
    state = get_state(websocket)
    principal, subprotocol = await websocket_principal(websocket)
    try:
        if principal is None:
            raise _CloseError(CLOSE_UNAUTHORIZED, "missing or unknown API key")
        workflow = await _workflow_exists(state.socket_reads, workflow_id)
        after = await _since_seq(state.socket_reads, workflow, since)
    except SocketBusyError as busy:
        await websocket.accept(subprotocol=subprotocol)
        await websocket.close(CLOSE_TRY_AGAIN, str(busy))
        return
    except _CloseError as refused:
        # Accept before refusing: a close code is only visible to the client after the
        # handshake (a refused handshake is a bare HTTP 403 that browsers do not expose).
        await websocket.accept(subprotocol=subprotocol)
        await websocket.close(refused.code, refused.reason)
        return
    # Subscribe before the handshake completes: once the client sees its connection open,
    # every event relayed from then on reaches it, even one published right away.
    subscription = state.hub.subscribe(workflow)
    try:
        await websocket.accept(subprotocol=subprotocol)
        history = _replay(state.socket_reads, workflow, after, state.settings.ws_replay_limit)
        connection = WorkflowConnection(websocket, subscription, state.settings, history)
        log.info("websocket opened for %s by %s (since %s)", workflow, principal.name, after)
        await connection.serve()
    finally:
        state.hub.unsubscribe(subscription)
