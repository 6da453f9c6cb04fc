"""Contract v1 (docs/frontend-v1.md): the API of the study's React client,
mounted at `/api/v1` as an adapter over the gateway's own queries and commands.

Modules by role: `ids` (v1 ids <-> our UUIDs), `units` (every unit, enum and state
translation), `errors` (the `detail` error bodies), `schemas` (the wire shapes), and one
router per resource: `parameters`, `workflows`, `stream` (the WebSocket), `forecasts`
(forecasts and clusters), `uploads`, `season` (variance, allocations, markdowns),
`approvals` (the design's approvals), `catalog` (categories, stores, health, and the 404
of undefined paths).
docs/frontend-v1.md has the whole mapping.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from planner_gateway.v1 import (
    approvals,
    catalog,
    forecasts,
    parameters,
    season,
    stream,
    uploads,
    workflows,
)
from planner_gateway.v1.errors import V1ErrorBodies
from planner_gateway.v1.limits import UPLOAD_MARK, RestorePath, V1UploadLimit

PREFIX = "/api/v1"
TAG = "frontend contract v1"


class V1Error(BaseModel):
    """Every v1 error answer (errors.py): a string `detail`, our code, each problem."""

    detail: str
    code: str | None = None
    errors: list[dict[str, Any]] | None = None


# Declared on every v1 path, so the document says what the client gets: the string `detail`,
# not FastAPI's default validation body (a list under `detail`).
V1_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": V1Error, "description": "Invalid input; `detail` says what, `errors` each"}
}


def router() -> APIRouter:
    v1 = APIRouter(prefix=PREFIX, tags=[TAG], responses=V1_ERRORS)
    for resource in (parameters, workflows, forecasts, uploads, season, approvals, catalog):
        v1.include_router(resource.router)
    # Last: the paths the contract names without a shape, after every defined path.
    v1.include_router(catalog.undefined_router())
    return v1


def install_inner(app: FastAPI) -> None:
    """First of all middleware (innermost): the v1 upload paths back for routing."""
    app.add_middleware(RestorePath)


def install(app: FastAPI, *, max_upload_bytes: int, too_large: str) -> None:
    """The v1 middleware: the upload limit, then the error bodies outside it (so a 413
    gets a `detail` too). Call before the CORS middleware is added, so CORS wraps both."""
    app.add_middleware(V1UploadLimit, max_bytes=max_upload_bytes, message=too_large)
    app.add_middleware(V1ErrorBodies)


__all__ = ["PREFIX", "TAG", "UPLOAD_MARK", "install", "install_inner", "router", "stream"]
