"""A small client of the gateway's public API: REST over httpx, the live feed over WebSockets.

Used by `scripts/demo.py` and `bench/e2e_latency.py`; it talks to the gateway only, as the
frontend would, and imports nothing of the services.

`WorkflowFeed` keeps every message of a workflow in arrival order (stamped with the
monotonic clock in `_received`), answers the server's heartbeat, and resumes with
`?since=<last event_id>` if the connection drops. `first(predicate, after=mark)` looks at the
messages from `mark` on, those already received included, so a waiter never misses a message
that arrived before it started waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

Message = dict[str, Any]
PLANNER_KEY = "dev-planner-key"
APPROVER_KEY = "dev-approver-key"
RECONNECT_ATTEMPTS = 5


class ApiError(RuntimeError):
    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        self.status = status
        self.code = error.get("code")
        self.details = error.get("details") or []
        self.text = error.get("message") or str(body)[:500]
        super().__init__(f"{method} {path} answered {status}: {self.text}")


class FeedClosedError(RuntimeError):
    pass


class SeasonClient:
    """The calls a season needs; each raises ApiError with the API's own message."""

    def __init__(
        self,
        base_url: str,
        *,
        planner_key: str = PLANNER_KEY,
        approver_key: str = APPROVER_KEY,
        timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.planner_key = planner_key
        self.approver_key = approver_key
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)

    async def __aenter__(self) -> SeasonClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, key: str | None = None, **kwargs: Any) -> Any:
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
        return await self._call("GET", path, params=params or None)

    async def extract(self, brief: str, reference_date: str | None = None) -> Message:
        body: Message = {"brief": brief}
        if reference_date:
            body["reference_date"] = reference_date
        result: Message = await self._call("POST", "/api/parameters/extract", json=body)
        return result

    async def start(
        self, *, parameters: Message | None = None, brief: str | None = None
    ) -> Message:
        body = {k: v for k, v in {"parameters": parameters, "brief": brief}.items() if v}
        result: Message = await self._call("POST", "/api/workflows/forecast", json=body)
        return result

    async def workflow(self, workflow_id: str) -> Message:
        result: Message = await self._call("GET", f"/api/workflows/{workflow_id}")
        return result

    async def decide(
        self,
        kind: str,
        workflow_id: str,
        action: str,
        value: float | None = None,
        reason: str | None = None,
    ) -> Message:
        body: Message = {"workflow_id": workflow_id, "action": action}
        if value is not None:
            body["value"] = value
        if reason:
            body["reason"] = reason
        result: Message = await self._call(
            "POST", f"/api/approvals/{kind}", key=self.approver_key, json=body
        )
        return result

    async def upload_week(self, workflow_id: str, csv_file: Path) -> Message:
        content = await asyncio.to_thread(csv_file.read_bytes)
        files = {"file": (csv_file.name, content, "text/csv")}
        result: Message = await self._call(
            "POST", "/api/data/weekly-actuals", data={"workflow_id": workflow_id}, files=files
        )
        return result

    def websocket_url(self, workflow_id: str, since: str | None = "start") -> str:
        ws_base = "ws" + self.base_url.removeprefix("http")
        url = f"{ws_base}/ws/workflows/{workflow_id}?token={quote(self.planner_key)}"
        return url + (f"&since={quote(since)}" if since else "")


class WorkflowFeed:
    """A workflow's WebSocket messages, kept in order; use as `async with`."""

    def __init__(
        self,
        client: SeasonClient,
        workflow_id: str,
        *,
        on_message: Callable[[Message], None] | None = None,
        since: str | None = "start",
    ) -> None:
        self._client = client
        self._workflow_id = workflow_id
        self._on_message = on_message
        self._since = since
        self.messages: list[Message] = []
        self._cond = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._closed_reason: str | None = None

    async def __aenter__(self) -> WorkflowFeed:
        first = await self._connect(self._since)
        self._task = asyncio.create_task(self._run(first), name="workflow-feed")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def mark(self) -> int:
        """Position to pass to `first(after=)`: only messages from now on."""
        return len(self.messages)

    async def _connect(self, since: str | None) -> ClientConnection:
        return await connect(
            self._client.websocket_url(self._workflow_id, since),
            max_size=None,  # agent results can be large; the server bounds them
            open_timeout=15,
        )

    async def _run(self, socket: ClientConnection) -> None:
        while True:
            try:
                async with socket:
                    async for raw in socket:
                        await self._receive(socket, raw)
                reason = f"closed by the server ({socket.close_code} {socket.close_reason})"
            except ConnectionClosed as exc:
                reason = f"connection lost ({exc})"
            if socket.close_code in {4400, 4401, 4404}:  # refusals that a retry cannot fix
                await self._close(reason)
                return
            resumed = await self._reconnect()
            if resumed is None:
                await self._close(f"{reason}; reconnecting failed")
                return
            socket = resumed

    async def _reconnect(self) -> ClientConnection | None:
        """Resume after the last event received: the server replays what was missed."""
        for attempt in range(1, RECONNECT_ATTEMPTS + 1):
            await asyncio.sleep(min(0.25 * 2**attempt, 5.0))
            last = next((m["event_id"] for m in reversed(self.messages) if m.get("event_id")), None)
            try:
                return await self._connect(last or "start")
            except (OSError, InvalidHandshake, TimeoutError):
                continue
        return None

    async def _receive(self, socket: ClientConnection, raw: str | bytes) -> None:
        message = json.loads(raw)
        if message.get("type") == "ping":
            await socket.send(json.dumps({"type": "pong"}))
            return
        if message.get("type") == "pong":
            return
        message["_received"] = time.monotonic()
        async with self._cond:
            self.messages.append(message)
            self._cond.notify_all()
        if self._on_message is not None:
            self._on_message(message)

    async def _close(self, reason: str) -> None:
        async with self._cond:
            self._closed_reason = reason
            self._cond.notify_all()

    async def first(
        self, predicate: Callable[[Message], bool], *, after: int = 0, within: float = 300.0
    ) -> Message:
        """The first message at or after position `after` that satisfies `predicate`,
        waiting at most `within` seconds (TimeoutError)."""
        position = after

        async def scan() -> Message:
            nonlocal position
            async with self._cond:
                while True:
                    while position < len(self.messages):
                        message = self.messages[position]
                        position += 1
                        if predicate(message):
                            return message
                    if self._closed_reason is not None:
                        raise FeedClosedError(f"the workflow feed ended: {self._closed_reason}")
                    await self._cond.wait()

        return await asyncio.wait_for(scan(), within)


# ---------------------------------------------------------------- message predicates
def is_event(message: Message, event_type: str, **data: Any) -> bool:
    """A message relaying bus event `event_type` whose payload (`data`) has these values."""
    if message.get("event_type") != event_type:
        return False
    payload = message.get("data") or {}
    return all(payload.get(k) == v for k, v in data.items())


def is_approval(message: Message, kind: str) -> bool:
    return message.get("type") == "human_input_required" and message.get("kind") == kind


def is_failure(message: Message) -> bool:
    return message.get("type") == "error" and message.get("event_id") is not None
