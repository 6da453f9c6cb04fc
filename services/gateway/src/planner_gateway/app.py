"""Composition root of the gateway service.

The shared runtime gives the lifespan (database, Redis, broker, outbox relay) and the operator
endpoints (/health, /ready, /metrics); the gateway's setup adds its stream reader (which /ready
requires to be alive) and the WebSocket hub. It needs no consumer group: the reader reads every
stream itself. Upload bodies are limited while they arrive (`body_limit`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from planner_gateway import SERVICE_NAME, api, v1
from planner_gateway.api import data, socket
from planner_gateway.body_limit import BodyLimit
from planner_gateway.console_static import mount_console
from planner_gateway.errors import install_error_handlers
from planner_gateway.openapi_statuses import declare_edge_statuses
from planner_gateway.outage import OutageAnswer
from planner_gateway.replay_runner import ReplayRunner
from planner_gateway.request_guard import RequestGuard
from planner_gateway.settings import GatewaySettings
from planner_gateway.state import GatewayState
from planner_shared.bus.router import EventRouter
from planner_shared.runtime import Runtime, create_service_app

log = logging.getLogger(__name__)

READER_STARTUP_SECONDS = 15.0

DESCRIPTION = """
The API a planner (or the frontend) drives a season with.

**Keys.** Every `/api` endpoint but `/api/health` needs `Authorization: Bearer <key>`
(press *Authorize*). Roles: `planner` starts, re-forecasts and cancels workflows, extracts
parameters and uploads data; `approver` decides approvals; `operator` sees the bus. Any key
reads. Development keys: `dev-planner-key`, `dev-approver-key`, `dev-operator-key`,
`dev-admin-key` (all roles).

**Console sessions.** `POST /api/session` with `{"api_key": ...}` exchanges a key for an
HttpOnly session cookie (the console at `/` signs in so); every endpoint and the WebSocket
accept it, and a write made with it must send the session's `X-CSRF-Token` (the
`planner_csrf` cookie). `GET /api/me` says who is calling; `DELETE /api/session` signs out.

**Units.** A field ending in `_pct` or `_percentage` is in percent (45 is 45%); every other
share is a fraction (0.45 is 45%), named `_fraction` where it could be read either way; the
schema's `x-unit` says which. A value that looks like the other unit is refused with 422.

**A season.** `POST /api/parameters/extract` with the brief, then `POST /api/workflows/forecast`
with the confirmed parameters; follow `websocket_url?token=<key>&since=start`. Answer
`human_input_required` with `POST /api/approvals/manufacturing`; upload each week with
`POST /api/data/weekly-actuals`; answer the markdown with `POST /api/approvals/markdown`.

**WebSocket** `/ws/workflows/{workflow_id}?token=&since=`: messages `agent_started`,
`agent_progress`, `agent_completed`, `human_input_required`, `workflow_complete`, `error`, each
with `type`, `workflow_id`, `timestamp`, `event_id`; `{"type": "ping"}` every 30 s, answer
`{"type": "pong"}` if you like: it is never required, liveness is the protocol's own ping
frames. `since` replays at most the newest `PLANNER_GATEWAY_WS_REPLAY_LIMIT` events (1000);
a longer history starts with an `error` of code `replay_truncated` giving `skipped` and the
`events_url` that lists them. Close codes: 4401 bad key, 4404 unknown workflow, 4400 unknown
`since`, 4429 too slow, 1013 try again later (server busy), 1009 a client message over
`PLANNER_GATEWAY_WS_MAX_MESSAGE_BYTES` (64 KiB).

**Contract v1** (`/api/v1`, tag *frontend contract v1*): the study's React client, as
docs/frontend-v1.md describes it (the § numbers in its summaries are the sections listed
there); ids `wf_...`, fractions where the client reads fractions, errors `{"detail": "..."}`.

**Errors** (under `/api`) always look like `{"error": {"code", "message", "details": [...]}}`.
A body that is not JSON is 422 `invalid_json` (with the character where parsing failed); a
JSON endpoint sent another Content-Type (form data, text/plain) is 415
`unsupported_media_type`.
"""


async def _wait_until_live(state: GatewayState) -> None:
    deadline = asyncio.get_running_loop().time() + READER_STARTUP_SECONDS
    while not state.reader.caught_up:
        if asyncio.get_running_loop().time() > deadline:
            log.warning("stream reader not live after %ss; serving anyway", READER_STARTUP_SECONDS)
            return
        await asyncio.sleep(0.02)


@asynccontextmanager
async def setup(runtime: Runtime) -> AsyncIterator[EventRouter | None]:
    settings = runtime.settings
    assert isinstance(settings, GatewaySettings)
    state = GatewayState.build(runtime, settings)
    runtime.attach(state)
    runtime.spawn(state.reader.run(), f"{SERVICE_NAME}-stream-reader")
    # Without its reader the gateway serves no live events and no answers over the bus.
    runtime.require("stream_reader", state.reader.problem)
    await _wait_until_live(state)
    replays = ReplayRunner(runtime, settings.replay_poll_seconds)
    runtime.attach(replays)
    # A restart picks up the replays it left: their rows say how far each got.
    runtime.spawn(replays.resume(), f"{SERVICE_NAME}-replays")
    try:
        yield None
    finally:
        await replays.close()
        state.hub.close_all()
        state.parses.close()


API_PREFIXES = (api.PREFIX,)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    app = create_service_app(
        SERVICE_NAME,
        settings,
        setup,
        # The study's React client: contract v1, an adapter over the same domain.
        routers=[api.router(), v1.router(), socket.router, v1.stream.router],
        title="Season Planner API",
        description=DESCRIPTION,
        protect_routers=False,
    )
    v1.install_inner(app)
    app.add_middleware(OutageAnswer)
    # Added before CORS, so CORS wraps them and a 413 or 422 carries the CORS headers too.
    app.add_middleware(
        RequestGuard,
        max_bytes=settings.max_body_bytes,
        skip_paths=data.upload_paths(API_PREFIXES) | {v1.UPLOAD_MARK},
    )
    app.add_middleware(
        BodyLimit,
        max_bytes=data.body_limit_bytes(settings.max_upload_bytes),
        paths=data.upload_paths(API_PREFIXES),
        message=data.too_large(settings.max_upload_bytes),
    )
    v1.install(
        app,
        max_upload_bytes=data.body_limit_bytes(settings.max_upload_bytes),
        too_large=data.too_large(settings.max_upload_bytes),
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-CSRF-Token"],
        allow_credentials=False,
        max_age=600,
    )
    install_error_handlers(app)
    declare_edge_statuses(app)
    # Last: the console answers only the paths nothing else does.
    mount_console(app, settings)
    return app
