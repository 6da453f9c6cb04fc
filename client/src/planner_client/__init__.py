"""A small Python client of the gateway's public API: REST over httpx, a workflow's live feed
over its WebSocket.

It talks to the gateway only, over HTTP and WebSockets, as the frontend does, and imports
nothing of the services: the demo, the end-to-end tests and the benchmarks use it, and any
script may. Every call raises `ApiError` with the API's own error code and message.

`WorkflowFeed` keeps every message of a workflow in arrival order (stamped with this process's
monotonic clock in `_received`) and answers the server's heartbeat. If the connection drops
it reconnects with `?since=<last event_id>`, so the server replays exactly what was missed.
`first(predicate, after=mark)` looks at the messages from position `mark` on, those already
received included, so a waiter never misses a message that arrived before it started waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

Message = dict[str, Any]
Match = Callable[[Message], bool]

# The development keys (refused by a production gateway).
PLANNER_KEY = "dev-planner-key"
APPROVER_KEY = "dev-approver-key"
OPERATOR_KEY = "dev-operator-key"

# Close codes no retry can fix: unknown key, unknown workflow, unknown `since` event.
REFUSED = frozenset({4400, 4401, 4404})
RECONNECT_SECONDS = 60.0
RECONNECT_MAX_DELAY = 2.0


class ApiError(RuntimeError):
    """An error answer of the API: its status, and the `{"error": {code, message, details}}`
    it carries."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        self.status = status
        self.code: str | None = error.get("code")
        self.message: str = error.get("message") or str(body)[:500]
        self.details: list[dict[str, Any]] = error.get("details") or []
        super().__init__(f"{method} {path} answered {status}: {self.message}")


class FeedClosedError(RuntimeError):
    """The feed stopped for good (refused, or no reconnection in time): nothing more comes."""


class GatewayClient:
    """The calls a season needs, each with the key of the role it needs; use as `async with`."""

    def __init__(
        self,
        base_url: str,
        *,
        planner_key: str = PLANNER_KEY,
        approver_key: str = APPROVER_KEY,
        operator_key: str = OPERATOR_KEY,
        timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.planner_key = planner_key
        self.approver_key = approver_key
        self.operator_key = operator_key
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)

    async def __aenter__(self) -> GatewayClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self, method: str, path: str, *, key: str | None = None, **kwargs: Any
    ) -> Any:
        """One call with `key` (default: the planner's); the decoded JSON body."""
        headers = {"Authorization": f"Bearer {key or self.planner_key}"}
        response = await self._http.request(method, path, headers=headers, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            raise ApiError(method, path, response.status_code, body)
        return body

    async def answers(self) -> bool:
        """True when the gateway is up and reading the bus."""
        try:
            response = await self._http.get("/api/health", timeout=3.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def get(self, path: str, **params: Any) -> Any:
        return await self.request("GET", path, params=params or None)

    async def extract(self, brief: str, reference_date: str | None = None) -> Message:
        body: Message = {"brief": brief}
        if reference_date:
            body["reference_date"] = reference_date
        result: Message = await self.request("POST", "/api/parameters/extract", json=body)
        return result

    async def start(
        self,
        *,
        parameters: Message | None = None,
        brief: str | None = None,
        name: str | None = None,
        category_codes: list[str] | None = None,
    ) -> Message:
        """Start a season's workflow from parameters (as extracted, perhaps edited) or a brief."""
        given = {
            "parameters": parameters,
            "brief": brief,
            "name": name,
            "category_codes": category_codes,
        }
        body = {k: v for k, v in given.items() if v}
        result: Message = await self.request("POST", "/api/workflows/forecast", json=body)
        return result

    async def workflow(self, workflow_id: UUID | str) -> Message:
        result: Message = await self.get(f"/api/workflows/{workflow_id}")
        return result

    async def events(self, workflow_id: UUID | str) -> list[Message]:
        """A workflow's whole stored history, every page."""
        events: list[Message] = []
        after = 0
        while True:
            page = await self.get(f"/api/workflows/{workflow_id}/events", after=after, limit=1000)
            events.extend(page["events"])
            if page["next_after"] is None:
                return events
            after = page["next_after"]

    async def decide(
        self,
        kind: str,
        workflow_id: UUID | str,
        action: str,
        *,
        value: float | None = None,
        reason: str | None = None,
    ) -> Message:
        """Answer the pending `kind` approval (manufacturing, markdown): accept, or modify to
        `value`."""
        body: Message = {"workflow_id": str(workflow_id), "action": action}
        if value is not None:
            body["value"] = value
        if reason:
            body["reason"] = reason
        result: Message = await self.request(
            "POST", f"/api/approvals/{kind}", key=self.approver_key, json=body
        )
        return result

    async def replay(
        self, workflow_id: UUID | str, weeks: int | str = "all", decisions: str = "automatic"
    ) -> Message:
        """Replay the season's weeks from the sales history (a past season)."""
        body = {"weeks": weeks, "decisions": decisions}
        result: Message = await self.request(
            "POST", f"/api/workflows/{workflow_id}/replay", json=body
        )
        return result

    async def report(self, workflow_id: UUID | str) -> Message:
        result: Message = await self.get(f"/api/workflows/{workflow_id}/report")
        return result

    async def sample_week(self, workflow_id: UUID | str, week: int) -> str:
        """The sample's week as the season's stores could sell it (a CSV to upload)."""
        text: str = await self.request(
            "GET", f"/api/workflows/{workflow_id}/sample-actuals.csv", params={"week": week}
        )
        return text

    async def upload_week(
        self,
        workflow_id: UUID | str,
        csv_file: Path,
        week_number: int | None = None,
        *,
        missing_as_zero: bool = False,
    ) -> Message:
        """Upload one week of actuals; without `week_number` the gateway reads it from the file.

        The file must cover every store and category of the season; `missing_as_zero` stores
        the pairs it leaves out as 0 units instead of having it refused."""
        content = await asyncio.to_thread(csv_file.read_bytes)
        data = {"workflow_id": str(workflow_id)}
        if week_number is not None:
            data["week_number"] = str(week_number)
        if missing_as_zero:
            data["missing_as_zero"] = "true"
        files = {"file": (csv_file.name, content, "text/csv")}
        result: Message = await self.request(
            "POST", "/api/data/weekly-actuals", data=data, files=files
        )
        return result

    async def dead_letters(self) -> list[Message]:
        body = await self.request("GET", "/api/ops/dead-letters", key=self.operator_key)
        letters: list[Message] = body["dead_letters"]
        return letters

    async def lag(self) -> Message:
        """Pending and unread messages per consumer group, with totals."""
        result: Message = await self.request("GET", "/api/ops/lag", key=self.operator_key)
        return result

    def websocket_url(self, workflow_id: UUID | str, since: str | None = "start") -> str:
        ws_base = "ws" + self.base_url.removeprefix("http")
        url = f"{ws_base}/ws/workflows/{workflow_id}?token={quote(self.planner_key)}"
        return url + (f"&since={quote(since)}" if since else "")


class WorkflowFeed:
    """A workflow's WebSocket messages, kept in order, resumed after a drop; `async with`.

    `since` is where the first connection starts: "start" (the whole history), an event id,
    or None (live only). Reconnections resume after the last event received.
    """

    def __init__(
        self,
        client: GatewayClient,
        workflow_id: UUID | str,
        *,
        on_message: Callable[[Message], None] | None = None,
        since: str | None = "start",
        reconnect_seconds: float = RECONNECT_SECONDS,
    ) -> None:
        self._client = client
        self._workflow_id = str(workflow_id)
        self._on_message = on_message
        self._since = since
        self._reconnect_seconds = reconnect_seconds
        self.messages: list[Message] = []
        self.pings_answered = 0
        # Per connection: when it opened, and the position of the first message it delivered.
        self.opened: list[tuple[datetime, int]] = []
        self.closes: list[str] = []  # how each connection ended, for error messages
        self._cond = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._ended: str | None = None

    async def __aenter__(self) -> WorkflowFeed:
        socket = await self._connect()
        self._task = asyncio.create_task(self._run(socket), name=f"feed-{self._workflow_id}")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            # A reader that crashed re-raises its error here rather than vanish.
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def connections(self) -> int:
        return len(self.opened)

    @property
    def last_event_id(self) -> str | None:
        """The newest event received; heartbeats and control errors carry none."""
        return next((m["event_id"] for m in reversed(self.messages) if m.get("event_id")), None)

    def mark(self) -> int:
        """A position for `first(after=)`: only messages from now on."""
        return len(self.messages)

    def failures(self) -> list[Message]:
        """The workflow's failures received so far (not the socket's own control errors)."""
        return [m for m in self.messages if is_failure(m)]

    def replayed(self, connection: int) -> list[Message]:
        """Messages that connection number `connection` (0-based) delivered of events that
        occurred before it opened: what the client missed while it was not connected."""
        opened_at, first = self.opened[connection]
        end = self.opened[connection + 1][1] if connection + 1 < len(self.opened) else None
        return [
            m
            for m in self.messages[first:end]
            if m.get("event_id") and datetime.fromisoformat(m["timestamp"]) < opened_at
        ]

    def recent(self, count: int = 25) -> str:
        """The last messages and how each connection ended, for an error message."""
        lines = [
            f"    {m.get('type', ''):<22} {m.get('event_type') or '':<32} "
            f"{str(m.get('message') or m.get('error_message') or '')[:110]}"
            for m in self.messages[-count:]
        ]
        closes = f"\nconnections ended: {self.closes}" if self.closes else ""
        return "last WebSocket messages:\n" + "\n".join(lines) + closes

    async def first(self, predicate: Match, *, after: int = 0, within: float = 300.0) -> Message:
        """The first message at or after position `after` that satisfies `predicate`, waiting
        at most `within` seconds (TimeoutError); FeedClosedError once nothing more can come."""
        position = after
        try:
            async with asyncio.timeout(within), self._cond:
                while True:
                    while position < len(self.messages):
                        message = self.messages[position]
                        position += 1
                        if predicate(message):
                            return message
                    if self._ended is not None:
                        raise FeedClosedError(f"the workflow feed ended: {self._ended}")
                    await self._cond.wait()
        except TimeoutError:
            raise TimeoutError(f"no such message within {within:g}s") from None

    async def _connect(self) -> ClientConnection:
        since = self.last_event_id or self._since
        socket = await connect(
            self._client.websocket_url(self._workflow_id, since),
            max_size=None,  # agent results can be large; the server bounds them
            open_timeout=15,
            # The gateway's own heartbeat checks the connection; a protocol-level one as well
            # would only add a way to drop a live connection whose peer is busy.
            ping_interval=None,
        )
        self.opened.append((datetime.now(UTC), len(self.messages)))
        return socket

    async def _run(self, socket: ClientConnection) -> None:
        try:
            while True:
                try:
                    async with socket:
                        async for raw in socket:
                            await self._receive(socket, raw)
                    reason = f"closed by the server ({socket.close_code} {socket.close_reason})"
                except ConnectionClosed as exc:
                    reason = f"connection lost ({exc})"
                self.closes.append(reason)
                if socket.close_code in REFUSED:
                    await self._end(reason)
                    return
                resumed = await self._reconnect()
                if resumed is None:
                    await self._end(f"{reason}; no reconnection in {self._reconnect_seconds:g}s")
                    return
                socket = resumed
        except Exception as exc:
            # A waiter must not sit out its timeout on a reader that is gone.
            await self._end(f"the feed's reader failed: {exc!r}")
            raise

    async def _reconnect(self) -> ClientConnection | None:
        """Resume after the last event received: the server replays what was missed."""
        deadline = time.monotonic() + self._reconnect_seconds
        delay = 0.25
        while time.monotonic() < deadline:
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_DELAY)
            try:
                return await self._connect()
            except (OSError, WebSocketException, TimeoutError) as exc:
                self.closes.append(f"reconnecting: {exc!r}")
        return None

    async def _receive(self, socket: ClientConnection, raw: str | bytes) -> None:
        message = json.loads(raw)
        if message.get("type") == "ping":
            await socket.send(json.dumps({"type": "pong"}))
            self.pings_answered += 1
            return
        if message.get("type") == "pong":
            return
        message["_received"] = time.monotonic()
        async with self._cond:
            self.messages.append(message)
            self._cond.notify_all()
        if self._on_message is not None:
            self._on_message(message)

    async def _end(self, reason: str) -> None:
        async with self._cond:
            self._ended = reason
            self._cond.notify_all()


# ---------------------------------------------------------------- message predicates
def is_event(event_type: str, **data: Any) -> Match:
    """Messages relaying bus event `event_type` whose payload has these values."""

    def match(message: Message) -> bool:
        if message.get("event_type") != event_type:
            return False
        payload = message.get("data") or message.get("result") or {}
        return all(payload.get(k) == v for k, v in data.items())

    return match


def needs_input(kind: str) -> Match:
    """The request for a decision of this kind (manufacturing, markdown)."""
    return lambda m: m.get("type") == "human_input_required" and m.get("kind") == kind


def is_failure(message: Message) -> bool:
    """A failure the workflow reported (an event), not the socket's answer to a bad frame."""
    return message.get("type") == "error" and message.get("event_id") is not None
