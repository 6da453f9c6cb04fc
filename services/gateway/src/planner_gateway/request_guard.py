"""What every request outside the uploads must be before any endpoint sees it.

- Its body is at most `max_bytes` (1 MiB by default: the largest JSON command is a brief of
  20,000 characters), refused with 413 as it arrives, never read whole first.
- A JSON body holds only what JSON and PostgreSQL can store: Python's parser (and so
  FastAPI's) accepts `NaN`, `Infinity` and numbers like `1e309` (an infinity once read),
  and strings with `\\u0000` or a lone surrogate (`\\ud800`); jsonb and text columns refuse
  all of them, and an event carrying one would stall every consumer that stores it. Integers
  beyond +-2^53 are refused too: no JavaScript client reads them back exactly.
- The query string and the path carry no NUL character (PostgreSQL text refuses it).

Each refusal is a 422 `invalid_value` naming the field, in the API's one error shape. The
checked body is handed on unchanged, so the endpoint parses the same bytes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from planner_gateway.body_limit import CLOSE, content_length, drop_rest
from planner_gateway.errors import ErrorDetail, code_for, error_response
from planner_shared.events import text_problem

MAX_SAFE_INTEGER = 2**53


class _Refused:
    """Stands in for a number the parser read that JSON cannot carry, so its path is found."""

    def __init__(self, text: str) -> None:
        self.text = text


def _constant(text: str) -> _Refused:
    return _Refused(text)


def _float(text: str) -> float | _Refused:
    value = float(text)
    return value if math.isfinite(value) else _Refused(text)


def _int(text: str) -> int | _Refused:
    # Python refuses to read integers of more than 4,300 digits; refuse long ones first.
    if len(text.lstrip("-")) > 16:
        return _Refused(text)
    value = int(text)
    return value if abs(value) <= MAX_SAFE_INTEGER else _Refused(text)


def _problem(value: Any, path: str) -> tuple[str, str, str | None] | None:
    """(field, reason, offending value) of the first value that cannot be stored."""
    if isinstance(value, _Refused):
        return (
            path,
            "must be a finite number within +-2^53 (got a value JSON cannot carry)",
            (value.text[:40]),
        )
    if isinstance(value, str):
        problem = text_problem(value)
        return None if problem is None else (path, f"must be valid text: {problem}", None)
    if isinstance(value, dict):
        for key, item in value.items():
            if (problem := text_problem(key)) is not None:
                return path or "body", f"has a key that {problem}", None
            found = _problem(item, f"{path}.{key}" if path else key)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _problem(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def check_json(body: bytes) -> ErrorDetail | None:
    """The first unstorable value in a JSON body; None when there is none or it is not JSON
    (the endpoint then answers `invalid_json` as usual)."""
    try:
        data = json.loads(body, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except (ValueError, RecursionError):
        return None
    found = _problem(data, "")
    if found is None:
        return None
    field, message, value = found
    return ErrorDetail(field=field or "body", message=message, value=value, location="body")


def check_query(scope: Scope) -> ErrorDetail | None:
    path: str = scope.get("path", "")
    if "\x00" in path:
        return ErrorDetail(field="path", message="must not contain a NUL character")
    query = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        return ErrorDetail(
            field="query", message="must not contain a NUL character (%00)", location="query"
        )
    return None


def _refusal(detail: ErrorDetail) -> Any:
    return error_response(
        422, "invalid_value", f"{detail.field}: {detail.message}", details=[detail]
    )


def _is_json(headers: Headers) -> bool:
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


class RequestGuard:
    def __init__(self, app: ASGIApp, *, max_bytes: int, skip_paths: Collection[str]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.skip_paths = frozenset(skip_paths)

    def _too_large(self) -> Any:
        return error_response(
            413,
            code_for(413),
            f"the request body is larger than the {self.max_bytes:,}-byte limit "
            "(uploads have their own limit)",
            headers=CLOSE,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if (detail := check_query(scope)) is not None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 4400})
                return
            await _refusal(detail)(scope, receive, send)
            return
        if scope["type"] != "http" or scope["path"] in self.skip_paths:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = content_length(headers)
        if declared is not None and declared > self.max_bytes:
            if declared <= 2 * self.max_bytes:
                await drop_rest(receive, self.max_bytes)
            await self._too_large()(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away before sending its body: nothing to answer.
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                if message.get("more_body", False):
                    await drop_rest(receive, self.max_bytes)
                await self._too_large()(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body and _is_json(headers) and (detail := check_json(body)) is not None:
            await _refusal(detail)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
