"""Issue 12, point 10: while PostgreSQL or Redis does not answer, the gateway answers every
request, and with 503 and Retry-After, never 500; once the server is back, it serves again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from planner_gateway.settings import GatewaySettings
from planner_tools.testing.gateway import (
    APPROVER,
    OPERATOR,
    PARAMETERS,
    PLANNER,
    Gateway,
    Sessions,
    running_gateway,
    wait_until,
)
from planner_tools.testing.outage import TcpProxy

# Every request answers within this, outage or not (asyncpg's default would be a minute).
ANSWER_WITHIN = 20.0


@pytest.fixture
async def proxied(
    service_settings: Callable[..., Any], sessionmaker: Sessions
) -> AsyncIterator[tuple[Gateway, TcpProxy, TcpProxy]]:
    base: GatewaySettings = service_settings(GatewaySettings)
    async with (
        TcpProxy.for_url(base.database_url) as database,
        TcpProxy.for_url(base.redis_url) as redis,
    ):
        from planner_tools.testing.gateway import KEYS

        settings: GatewaySettings = service_settings(
            GatewaySettings,
            api_keys=KEYS,
            database_url=database.url_for(base.database_url),
            redis_url=redis.url_for(base.redis_url),
            reply_timeout_seconds=3.0,
            reader_block_ms=100,
        )
        async with running_gateway(settings) as gateway:
            yield gateway, database, redis


REQUESTS: list[tuple[str, str, dict[str, str], dict[str, Any] | None]] = [
    ("GET", "/api/workflows", PLANNER, None),
    ("POST", "/api/workflows/forecast", PLANNER, {"parameters": PARAMETERS}),
    ("GET", "/api/stores", PLANNER, None),
    ("GET", "/api/ops/streams", OPERATOR, None),
    ("GET", "/api/ops/lag", OPERATOR, None),
    (
        "POST",
        "/api/approvals/manufacturing",
        APPROVER,
        {"workflow_id": "6f1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e", "action": "accept"},
    ),
]


async def _answers(gateway: Gateway) -> list[tuple[str, int, str | None]]:
    seen = []
    for method, path, headers, body in REQUESTS:
        response = await asyncio.wait_for(
            gateway.client.request(method, path, headers=headers, json=body), ANSWER_WITHIN
        )
        seen.append((path, response.status_code, response.headers.get("retry-after")))
        if response.status_code >= 500:
            assert response.status_code == 503, (path, response.text)
            assert response.json()["error"]["code"] in {
                "service_unavailable",
                "reader_unavailable",
            }
    return seen


@pytest.mark.parametrize("down", ["database", "redis"])
async def test_an_outage_is_503_with_retry_after(
    proxied: tuple[Gateway, TcpProxy, TcpProxy], down: str
) -> None:
    gateway, database, redis = proxied
    before = await _answers(gateway)
    assert all(status < 500 for _path, status, _retry in before), before

    await (database if down == "database" else redis).cut()
    during = await _answers(gateway)
    failing = [(path, retry) for path, status, retry in during if status == 503]
    # What needs the dependency that is down fails, clearly, with a time to come back.
    needs = {
        "database": {"/api/workflows", "/api/workflows/forecast", "/api/stores"},
        "redis": {"/api/ops/streams", "/api/ops/lag"},
    }[down]
    assert needs <= {path for path, _retry in failing}, during
    assert all(retry is not None for path, retry in failing if path in needs), during
    assert (await gateway.client.get("/ready")).status_code == 503

    await (database if down == "database" else redis).restore()

    async def recovered() -> bool:
        return all(status < 500 for _path, status, _retry in await _answers(gateway))

    await wait_until(recovered, within=30)
    assert (await gateway.client.get("/ready")).status_code == 200
