"""Issue 12, point 9: a service's own read endpoints (its `routers`) answer only with the
operator key; probes need none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi import APIRouter

from planner_shared.runtime import create_service_app
from planner_shared.settings import ServiceSettings


async def test_a_services_operator_api_needs_the_operator_key(
    service_settings: Callable[..., Any], sessionmaker: Any
) -> None:
    settings: ServiceSettings = service_settings(ServiceSettings)
    reads = APIRouter()

    @reads.get("/decisions")
    async def decisions() -> list[str]:
        return []

    app = create_service_app("operator-test", settings, routers=[reads])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            assert (await client.get("/decisions")).status_code == 401
            wrong = await client.get("/decisions", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            key = settings.operator_key.get_secret_value()
            ok = await client.get("/decisions", headers={"Authorization": f"Bearer {key}"})
            assert ok.status_code == 200
            assert ok.json() == []
            # Probes need no key.
            assert (await client.get("/health")).status_code == 200
            assert (await client.get("/metrics")).status_code == 200
