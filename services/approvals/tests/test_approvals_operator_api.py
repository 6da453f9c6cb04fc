"""Issue 12, point 9: a service's operator API (here the approvals service's, which lists
every decision with its rationale) answers only with the operator key; probes need none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from planner_approvals.app import create_app
from planner_approvals.settings import ApprovalsSettings


async def test_a_services_operator_api_needs_the_operator_key(
    service_settings: Callable[..., Any], sessionmaker: Any
) -> None:
    settings: ApprovalsSettings = service_settings(ApprovalsSettings)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://approvals") as client:
            assert (await client.get("/approvals")).status_code == 401
            wrong = await client.get("/approvals", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            key = settings.operator_key.get_secret_value()
            ok = await client.get("/approvals", headers={"Authorization": f"Bearer {key}"})
            assert ok.status_code == 200
            assert ok.json() == []
            # Probes need no key.
            assert (await client.get("/health")).status_code == 200
            assert (await client.get("/metrics")).status_code == 200
