"""The REST API under /api, one router per area, and the WebSocket (`socket`) beside it.

Every area module declares one `router`; `router()` here mounts them all under `PREFIX`, as
`planner_gateway.v1.router()` mounts the contract v1 resources under theirs.
"""

from __future__ import annotations

from fastapi import APIRouter

from planner_gateway.api import (
    charts,
    commands,
    data,
    ops,
    overrides,
    replay,
    report,
    resources,
    scenarios,
    seasons,
    session,
    stock,
    workflows,
)

PREFIX = "/api"


def router() -> APIRouter:
    api = APIRouter(prefix=PREFIX)
    for area in (
        workflows,
        replay,
        resources,
        commands,
        data,
        ops,
        session,
        charts,
        report,
        stock,
        scenarios,
        seasons,
        overrides,
    ):
        api.include_router(area.router)
    return api
