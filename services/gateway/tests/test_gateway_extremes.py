"""Issue 22, point 7: numbers past what PostgreSQL's columns hold and a deeply nested socket
frame get a specific 4xx or close code, never a 500 or 1011."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect

from planner_gateway.settings import GatewaySettings
from planner_tools.testing.gateway import PLANNER, Gateway, Sessions, new_workflow, serve

TWO_TO_63 = 2**63


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        (f"/api/workflows?offset={TWO_TO_63}", "offset"),
        ("/api/workflows/{workflow}/events?after={big}", "after"),
        ("/api/workflows/{workflow}/events?after={huge}", "after"),
        ("/api/workflows/{workflow}/forecasts?run_number={int32}", "run_number"),
        ("/api/workflows/{workflow}/charts/forecast?run={int32}", "run"),
    ],
)
async def test_numbers_past_the_columns_are_a_422_naming_the_parameter(
    gateway: Gateway, sessionmaker: Sessions, path: str, parameter: str
) -> None:
    workflow = await new_workflow(sessionmaker)
    url = path.format(workflow=workflow, big=TWO_TO_63, huge=10**30, int32=2**31)
    response = await gateway.client.get(url, headers=PLANNER)
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["field"] == parameter
    # The largest value that fits is still an ordinary (empty) answer.
    fits = url.replace(str(TWO_TO_63), str(TWO_TO_63 - 1))
    if fits != url:
        assert (await gateway.client.get(fits, headers=PLANNER)).status_code == 200


async def test_a_deeply_nested_frame_is_answered_invalid_json_and_the_socket_stays_open(
    gateway_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    workflow_id = await new_workflow(sessionmaker)
    frame = "[" * 30_000 + "]" * 30_000  # 60 KB, under the 64 KiB message limit
    assert len(frame) < gateway_settings.ws_max_message_bytes
    async with (
        serve(gateway_settings) as server,
        connect(server.ws(workflow_id), proxy=None, open_timeout=5) as ws,
    ):
        await ws.send(frame)
        answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert answer["type"] == "error"
        assert answer["code"] == "invalid_json"
        assert "nested" in answer["error_message"]
        # Still served: a ping is answered on the same connection.
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "pong"
