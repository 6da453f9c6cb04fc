"""A request body limit enforced while the body arrives, for the upload endpoints.

FastAPI parses a multipart form (spooling each file) before the endpoint runs, so a limit the
endpoint checks only applies once the whole body is in. This middleware refuses a declared
`Content-Length` over the limit before the app reads anything, and otherwise counts the bytes
as the ASGI server hands them over (chunked uploads declare no length) and stops the app at
the first chunk past the limit. Both answer 413 in the API's one error shape, with
`Connection: close`.

An HTTP/1.1 client sends its whole body before it reads the answer, and a server that closes
with body bytes unread resets the connection: the client then sees a broken connection, not
the 413. So before answering, the rest of an oversize body is read and dropped (never parsed
or stored), up to as much again as the limit; past that, or when the client asked
`Expect: 100-continue` and so sent nothing yet, the answer goes at once.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from planner_gateway.errors import code_for, error_response

CLOSE = {"Connection": "close"}


class BodyTooLargeError(HTTPException):
    """Raised from `receive` mid-body; FastAPI lets HTTPExceptions out of its body parsing
    (others become a 400) and the error handler renders it as every other error."""

    def __init__(self, message: str) -> None:
        super().__init__(413, message, headers=CLOSE)


class BodyLimit:
    def __init__(
        self, app: ASGIApp, *, max_bytes: int, paths: Collection[str], message: str
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.paths = frozenset(paths)
        self.message = message

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = content_length(headers)
        if declared is not None and declared > self.max_bytes:
            waiting = headers.get("expect", "").lower() == "100-continue"
            if not waiting and declared <= 2 * self.max_bytes:
                await drop_rest(receive, self.max_bytes)
            response = error_response(413, code_for(413), self.message, headers=CLOSE)
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    if message.get("more_body", False):
                        await drop_rest(receive, self.max_bytes)
                    raise BodyTooLargeError(self.message)
            return message

        await self.app(scope, limited, send)


async def drop_rest(receive: Receive, budget: int) -> None:
    """Read and discard the rest of the body, at most about `budget` bytes of it."""
    while budget >= 0:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        budget -= len(message.get("body", b""))


def content_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    try:
        return None if value is None else int(value)
    except ValueError:
        return None
