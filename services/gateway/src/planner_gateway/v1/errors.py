"""Contract v1 error bodies: every 4xx/5xx under `/api/v1` is JSON with a top-level string
`detail` (the client reads `message`, then `detail`, as strings; a list shows as
`[object Object]`).

The v1 endpoints raise the gateway's own `ApiError`, and FastAPI's validation and routing
errors are rendered by the gateway's handlers (planner_gateway.errors) in the `/api` shape
`{"error": {"code", "message", "details"}}`; this middleware, on `/api/v1` only, rewrites
such a body to `{"detail": <message and each detail, one string>, "code": <code>,
"errors": <details>}`. An exception nothing handled becomes 500 `{"detail": ...}` here, so
that it too reaches the client through the CORS middleware with a string `detail`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

V1_PREFIX = "/api/v1"


def _describe(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    where = item.get("field") or item.get("column")
    row = item.get("row")
    place = ", ".join(
        part for part in (f"row {row}" if row is not None else None, where) if part is not None
    )
    text = str(item.get("message", ""))
    return f"{place}: {text}" if place else text


def v1_body(body: Any, status_code: int) -> dict[str, Any]:
    """The v1 error body for an `/api` error body (or any JSON body of an error answer)."""
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return body
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or "error")
        details = error.get("details") or []
        described = [d for d in (_describe(item) for item in details) if d and d != message]
        # A validation answer says "the request has 2 problems": the problems are the news.
        text = "; ".join(described) if error.get("code") == "validation_error" else message
        if described and text == message:
            text = f"{message} ({'; '.join(described)})"
        return {"detail": text or message, "code": error.get("code"), "errors": details}
    return {"detail": f"request failed with status {status_code}"}


class V1ErrorBodies:
    """Pure ASGI, so streaming answers (WebSocket, large bodies) pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(V1_PREFIX):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []
        started = False

        async def capture(message: Message) -> None:
            nonlocal start, started
            if message["type"] == "http.response.start":
                if message["status"] < 400:
                    started = True
                    await send(message)
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await self._send_error(send, start, b"".join(chunks))
                started = True

        try:
            await self.app(scope, receive, capture)
        except Exception:
            log.exception("unhandled error on %s", scope.get("path"))
            if started:
                raise
            await self._send_json(send, 500, {"detail": "internal error; the incident was logged"})

    async def _send_error(self, send: Send, start: Message, raw: bytes) -> None:
        status_code = int(start["status"])
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", errors="replace").strip() or None
        if isinstance(body, str):
            rendered: dict[str, Any] = {"detail": body}
        else:
            rendered = v1_body(body, status_code)
        await self._send_json(send, status_code, rendered, headers)

    @staticmethod
    async def _send_json(
        send: Send,
        status_code: int,
        body: dict[str, Any],
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        data = json.dumps(body).encode()
        kept = [(k, v) for k, v in (headers or []) if k.lower() != b"content-type"]
        await send(
            {
                "type": "http.response.start",
                "status": status_code,
                "headers": [
                    *kept,
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(data)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})
