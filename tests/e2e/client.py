"""What a planner's frontend does: the gateway's HTTP API and a workflow's WebSocket, nothing else.

`WorkflowFeed` follows `/ws/workflows/{id}` from the start of the history, answers the
server's heartbeat pings, and reconnects with `?since=<last event_id>` if the socket drops,
so a test can wait for "the next message like this" after any action it takes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

PLANNER_KEY = "dev-planner-key"
APPROVER_KEY = "dev-approver-key"
ADMIN_KEY = "dev-admin-key"

Message = dict[str, Any]
Match = Callable[[Message], bool]


class WorkflowFailedError(AssertionError):
    """The workflow reported an error on its socket while the test waited for progress."""


class GatewayClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._http = httpx.AsyncClient(base_url=base_url, timeout=60.0)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self, method: str, path: str, key: str = ADMIN_KEY, expect: int = 200, **kwargs: Any
    ) -> Any:
        response = await self._http.request(
            method, path, headers={"Authorization": f"Bearer {key}"}, **kwargs
        )
        assert response.status_code == expect, (
            f"{method} {path}: HTTP {response.status_code}, expected {expect}: {response.text}"
        )
        return response.json()

    async def get(self, path: str, **params: Any) -> Any:
        return await self.request("GET", path, params=params or None)

    async def extract(self, brief: str, reference_date: str) -> Any:
        return await self.request(
            "POST",
            "/api/parameters/extract",
            PLANNER_KEY,
            json={"brief": brief, "reference_date": reference_date},
        )

    async def start_season(self, parameters: dict[str, Any]) -> Any:
        body = {"parameters": parameters}
        return await self.request(
            "POST", "/api/workflows/forecast", PLANNER_KEY, expect=201, json=body
        )

    async def decide(self, kind: str, workflow_id: UUID, **decision: Any) -> Any:
        return await self.request(
            "POST",
            f"/api/approvals/{kind}",
            APPROVER_KEY,
            json={"workflow_id": str(workflow_id), **decision},
        )

    async def upload_week(self, workflow_id: UUID, path: Path, week_number: int) -> Any:
        content = await asyncio.to_thread(path.read_bytes)
        return await self.request(
            "POST",
            "/api/data/weekly-actuals",
            PLANNER_KEY,
            expect=202,
            data={"workflow_id": str(workflow_id), "week_number": str(week_number)},
            files={"file": (path.name, content, "text/csv")},
        )

    async def workflow(self, workflow_id: UUID) -> Any:
        return await self.get(f"/api/workflows/{workflow_id}")

    async def events(self, workflow_id: UUID) -> list[dict[str, Any]]:
        """The whole stored history, every page."""
        events: list[dict[str, Any]] = []
        after = 0
        while True:
            page = await self.get(f"/api/workflows/{workflow_id}/events", after=after, limit=1000)
            events.extend(page["events"])
            if page["next_after"] is None:
                return events
            after = page["next_after"]

    async def wait_state(
        self, workflow_id: UUID, states: set[str], feed: WorkflowFeed, within: float
    ) -> dict[str, Any]:
        """Poll the workflow until it is in one of `states`; fail at once if it failed."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            workflow = await self.workflow(workflow_id)
            if workflow["state"] in states:
                return dict(workflow)
            if workflow["state"] in {"failed", "cancelled"}:
                raise WorkflowFailedError(
                    f"workflow {workflow['state']}: {workflow['error']}\n{feed.recent()}"
                )
            feed.raise_if_failed()
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"workflow still {workflow['state']} after {within:.0f}s, waiting for "
                    f"{sorted(states)}\n{feed.recent()}"
                )
            await asyncio.sleep(0.2)


class WorkflowFeed:
    """Every message of one workflow's socket, in arrival order, with waiting helpers."""

    def __init__(self, gateway_url: str, workflow_id: UUID, key: str = PLANNER_KEY) -> None:
        self._base = gateway_url.replace("http://", "ws://")
        self._workflow_id = workflow_id
        self._key = key
        self.messages: list[Message] = []
        self.pings_answered = 0
        self.connections = 0
        # Per connection: when it opened and the index of the first message it delivered.
        self.opened: list[tuple[datetime, int]] = []
        self.closes: list[str] = []  # how each connection ended, for failure messages
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._crashed: BaseException | None = None

    def _url(self) -> str:
        since = self.messages[-1]["event_id"] if self.messages else "start"
        return f"{self._base}/ws/workflows/{self._workflow_id}?token={self._key}&since={since}"

    async def __aenter__(self) -> WorkflowFeed:
        self._task = asyncio.create_task(self._run(), name=f"ws-{self._workflow_id}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        try:
            while not self._closing:
                try:
                    async with connect(self._url(), open_timeout=10, ping_interval=None) as ws:
                        self.connections += 1
                        self.opened.append((datetime.now(UTC), len(self.messages)))
                        await self._read(ws)
                    self.closes.append(f"closed {ws.close_code} {ws.close_reason}")
                except (WebSocketException, OSError, TimeoutError) as exc:
                    self.closes.append(repr(exc))
                # The gateway went away (or closed us): resume from the last event we hold.
                await asyncio.sleep(0.5)
        except Exception as exc:
            # A waiter must not sit out its timeout on a reader that is gone.
            self._crashed = exc
            async with self._changed:
                self._changed.notify_all()
            raise

    async def _read(self, ws: ClientConnection) -> None:
        async for raw in ws:
            message: Message = json.loads(raw)
            if message["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
                self.pings_answered += 1
                continue
            async with self._changed:
                self.messages.append(message)
                self._changed.notify_all()

    def mark(self) -> int:
        """A position to wait from: messages after it are the effect of what follows."""
        return len(self.messages)

    def replayed(self, connection: int) -> list[Message]:
        """Messages connection number `connection` (0-based) delivered of events that occurred
        before it opened: what the client missed while it was not connected."""
        opened_at, first = self.opened[connection]
        end = self.opened[connection + 1][1] if connection + 1 < len(self.opened) else None
        return [
            m
            for m in self.messages[first:end]
            if datetime.fromisoformat(m["timestamp"]) < opened_at
        ]

    def errors(self) -> list[Message]:
        return [m for m in self.messages if m["type"] == "error"]

    def raise_if_failed(self) -> None:
        if errors := self.errors():
            raise WorkflowFailedError(f"the workflow reported errors: {errors}\n{self.recent()}")

    def recent(self, count: int = 25) -> str:
        lines = [
            f"    {m['type']:<22} {m.get('event_type', ''):<32} {str(m.get('message'))[:110]}"
            for m in self.messages[-count:]
        ]
        closes = f"\nconnections ended: {self.closes}" if self.closes else ""
        return "last WebSocket messages:\n" + "\n".join(lines) + closes

    def _first(self, match: Match, after: int) -> Message | None:
        if self._crashed is not None:
            raise AssertionError(f"the WebSocket reader crashed: {self._crashed!r}")
        for message in self.messages[after:]:
            if match(message):
                return message
        self.raise_if_failed()
        return None

    async def expect(self, match: Match, what: str, *, after: int = 0, within: float) -> Message:
        """The first message after position `after` that matches; an `error` message fails."""
        try:
            async with asyncio.timeout(within), self._changed:
                while (message := self._first(match, after)) is None:
                    await self._changed.wait()
                return message
        except TimeoutError:
            raise AssertionError(
                f"no {what} on the WebSocket within {within:.0f}s\n{self.recent()}"
            ) from None


def is_event(event_type: str, **data: Any) -> Match:
    """A message relaying bus event `event_type` whose payload (`data`) has these values."""

    def match(message: Message) -> bool:
        if message.get("event_type") != event_type:
            return False
        payload = message.get("data") or message.get("result") or {}
        return all(payload.get(k) == v for k, v in data.items())

    return match


def needs_input(kind: str) -> Match:
    return lambda m: m["type"] == "human_input_required" and m.get("kind") == kind


@contextlib.asynccontextmanager
async def gateway_client(base_url: str) -> AsyncIterator[GatewayClient]:
    client = GatewayClient(base_url)
    try:
        yield client
    finally:
        await client.aclose()
