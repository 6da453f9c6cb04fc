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
    serve,
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

    async def ready() -> bool:
        # The stream reader reconnects on its own beat, after the REST answers recover.
        return (await gateway.client.get("/ready")).status_code == 200

    await wait_until(ready, within=30)


async def test_extraction_during_a_database_outage_is_503_before_the_reply_timeout(
    service_settings: Callable[..., Any], sessionmaker: Sessions
) -> None:
    """Issue 22, point 8: the extraction service cannot answer without PostgreSQL, so the
    planner is told at once, not with a 504 once the reply timeout has run out."""
    base: GatewaySettings = service_settings(GatewaySettings)
    async with TcpProxy.for_url(base.database_url) as database:
        from planner_tools.testing.gateway import KEYS

        settings: GatewaySettings = service_settings(
            GatewaySettings,
            api_keys=KEYS,
            database_url=database.url_for(base.database_url),
            reply_timeout_seconds=60.0,
            reader_block_ms=100,
        )
        async with running_gateway(settings) as gateway:
            await database.cut()
            loop = asyncio.get_running_loop()
            started = loop.time()
            response = await asyncio.wait_for(
                gateway.client.post(
                    "/api/parameters/extract",
                    json={"brief": "A 12-week spring season starting 2027-03-01."},
                    headers=PLANNER,
                ),
                settings.reply_timeout_seconds,
            )
            elapsed = loop.time() - started
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == "5"
            assert "PostgreSQL" in response.json()["error"]["message"]
            assert elapsed < settings.reply_timeout_seconds / 2


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str
) -> tuple[int, dict[str, str]]:
    """One HTTP/1.1 request on an open connection; its status and headers (body read)."""
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: gateway\r\nAuthorization: {PLANNER['Authorization']}"
        "\r\n\r\n".encode()
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), ANSWER_WITHIN)
    status_line, *lines = head.decode().split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines if x)}
    await reader.readexactly(int(headers["content-length"]))
    return int(status_line.split()[1]), headers


async def test_a_503_keeps_the_connection_open_or_says_it_closes(
    service_settings: Callable[..., Any], sessionmaker: Sessions
) -> None:
    """Issue 22, point 8: a client with keep-alive is not left with a dropped connection."""
    base: GatewaySettings = service_settings(GatewaySettings)
    async with TcpProxy.for_url(base.database_url) as database:
        from planner_tools.testing.gateway import KEYS

        settings: GatewaySettings = service_settings(
            GatewaySettings,
            api_keys=KEYS,
            database_url=database.url_for(base.database_url),
            reader_block_ms=100,
        )
        async with serve(settings) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            try:
                assert (await _exchange(reader, writer, "/api/workflows"))[0] == 200
                await database.cut()
                for _ in range(3):
                    status, headers = await _exchange(reader, writer, "/api/workflows")
                    assert status == 503
                    assert headers["retry-after"] == "5"
                    assert headers.get("connection", "keep-alive").lower() != "close"
                await database.restore()

                async def served() -> bool:
                    return (await _exchange(reader, writer, "/api/workflows"))[0] == 200

                await wait_until(served, within=30)
            finally:
                writer.close()
