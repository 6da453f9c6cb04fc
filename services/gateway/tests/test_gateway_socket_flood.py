"""Issue 12, "Also": 2,000 junk frames on one socket are not all answered; the client is
rate-limited, told once, then closed with 1008 if it goes on."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import redis.asyncio as aioredis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from planner_gateway.frame_budget import CLIENT_BURST, CLIENT_DROP_LIMIT, CLOSE_POLICY
from planner_gateway.settings import GatewaySettings
from planner_tools.testing.gateway import Sessions, new_workflow, serve


async def test_a_flood_of_frames_is_rate_limited_then_closed(
    gateway_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    workflow_id = await new_workflow(sessionmaker)
    async with (
        serve(gateway_settings) as server,
        connect(server.ws(workflow_id), proxy=None, open_timeout=5) as ws,
    ):
        for _ in range(2000):
            try:
                await ws.send("junk")
            except ConnectionClosed:
                break
        answers: list[dict[str, Any]] = []
        code = None
        try:
            while True:
                answers.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
    codes = [a.get("code") for a in answers if a["type"] == "error"]
    assert codes.count("rate_limited") == 1
    # The burst is answered (plus what refilled while the frames arrived), not 2,000.
    assert codes.count("invalid_json") < CLIENT_BURST + 10
    assert code == CLOSE_POLICY
    assert CLIENT_DROP_LIMIT < 2000
