"""Outages answered as what they are: a 503 with Retry-After, on a connection that stays open.

An exception that reaches Starlette's outermost handler is rendered there and then raised
again, and uvicorn closes the connection of any request whose application raised: a client
with keep-alive saw its connection drop after the 503 without a `Connection: close`. So an
outage (`errors.outage_of`) is turned into its 503 here, inside the other middleware, and
nothing is raised past it: the connection is kept open, and the v1 error bodies and CORS wrap
the 503 like any answer.

`require_database` is the check before a request/reply over the bus whose answering service
needs PostgreSQL (extraction records what it handled in the same transaction as its answer):
while PostgreSQL does not answer, no answer can come, so the planner gets a 503 at once
instead of a 504 after the reply timeout.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from planner_gateway.errors import RETRY_AFTER_SECONDS, ApiError, outage_of, unavailable
from planner_shared.runtime import Runtime

log = logging.getLogger(__name__)

DATABASE_CHECK_SECONDS = 2.0


class OutageAnswer:
    """Pure ASGI, so WebSocket and streamed answers pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            what = outage_of(exc)
            if what is None or started:
                raise
            log.warning(
                "%s unavailable on %s %s: %s: %s",
                what,
                scope.get("method"),
                scope.get("path"),
                type(exc).__name__,
                exc,
            )
            await unavailable(what)(scope, receive, send)


async def require_database(runtime: Runtime, what: str) -> None:
    """503 at once when PostgreSQL does not answer within a moment; `what` names the service
    that needs it."""
    try:
        async with asyncio.timeout(DATABASE_CHECK_SECONDS):
            async with runtime.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except Exception as exc:
        if outage_of(exc) is None and not isinstance(exc, TimeoutError):
            raise
        raise ApiError(
            503,
            f"PostgreSQL is not answering, so the {what} service cannot answer; retry in "
            f"{RETRY_AFTER_SECONDS} seconds",
            code="service_unavailable",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None
