"""Issue 22, point 6: no API key reaches a log line, whether it came in a socket URL
(`?token=`), an access-log line or a message, and a socket connects without a key in its URL."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect

from planner_gateway.settings import GatewaySettings
from planner_shared.logging import REDACTED, JsonFormatter, redact
from planner_tools.testing.gateway import TOKEN, Sessions, new_workflow, serve


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ('"WebSocket /ws/workflows/1?token=abc123XYZ&since=start" [accepted]', "abc123XYZ"),
        ("GET /api/v1/stream?since=x&api_key=k-9_8.7 HTTP/1.1", "k-9_8.7"),
        ('{"message": "GET /x?Token=s3cr%2Bt\\" 200"}', "s3cr%2Bt"),
        ("Authorization: Bearer dev-admin-key", "dev-admin-key"),
        ("password=hunter2 and more", "hunter2"),
    ],
)
def test_redact_masks_every_credential_and_keeps_the_rest(line: str, secret: str) -> None:
    masked = redact(line)
    assert secret not in masked
    assert REDACTED in masked
    assert "since=" not in line or "since=" in masked


def test_redact_leaves_lines_without_secrets_alone() -> None:
    line = "GET /api/workflows?offset=20&sort_key=abc monkey=1 200"
    assert redact(line) == line


@contextlib.contextmanager
def log_lines() -> Iterator[io.StringIO]:
    """Every log line of the process, through the service's JSON formatter, at INFO (opened
    once the service has configured its logging, which replaces the root's handlers)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    # uvicorn's loggers as the gateway's process has them, whatever an earlier server in
    # this test process made of them.
    uvicorn_loggers = [logging.getLogger(name) for name in ("uvicorn.error", "uvicorn.access")]
    saved = [(log.level, log.propagate, log.disabled) for log in uvicorn_loggers]
    root_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for log in uvicorn_loggers:
        log.setLevel(logging.INFO)
        log.propagate, log.disabled = True, False
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(root_level)
        for log, (level, propagate, disabled) in zip(uvicorn_loggers, saved, strict=True):
            log.setLevel(level)
            log.propagate, log.disabled = propagate, disabled


async def _visit(socket_url: str, port: int) -> None:
    async with connect(socket_url, proxy=None, open_timeout=5) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        await ws.recv()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        await client.get(f"/api/workflows?token={TOKEN}")


async def test_socket_and_access_lines_carry_no_key(
    gateway_settings: GatewaySettings,
    sessionmaker: Sessions,
    redis_client: aioredis.Redis,
) -> None:
    workflow_id = await new_workflow(sessionmaker)
    async with serve(gateway_settings) as server:
        with log_lines() as captured:
            await _visit(server.ws(workflow_id), server.port)
            # uvicorn writes its handshake and access lines on its own beat: wait for them.
            for _ in range(100):
                if "/ws/" in captured.getvalue() and "uvicorn.access" in captured.getvalue():
                    break
                await asyncio.sleep(0.05)
    text = captured.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    # uvicorn's handshake line, with the URL the client asked for.
    socket_lines = [line for line in lines if "/ws/" in line["message"]]
    access_lines = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert socket_lines, text
    assert access_lines, text
    assert TOKEN not in text
    assert f"token={REDACTED}" in socket_lines[0]["message"]


async def test_a_socket_connects_with_the_key_in_a_subprotocol_not_the_url(
    gateway_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    workflow_id = await new_workflow(sessionmaker)
    async with serve(gateway_settings) as server:
        url = server.ws(workflow_id, query="")
        assert "token" not in url
        async with connect(
            url,
            proxy=None,
            open_timeout=5,
            subprotocols=["bearer", TOKEN],  # type: ignore[list-item]
        ) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await ws.recv())["type"] == "pong"
