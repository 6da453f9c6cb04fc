"""Issue 22, point 2: an uploaded file is parsed off the event loop, a bounded number at a
time, so the gateway goes on answering while a large file is read."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx

from planner_gateway.settings import GatewaySettings
from planner_gateway.state import GatewayState
from planner_tools.testing.gateway import PLANNER, Gateway, running_gateway, wait_until

UPLOAD = "/api/data/historical-sales"


def history_csv(n_bytes: int) -> bytes:
    """Weekly sales of made-up stores, about `n_bytes` long: valid to parse, seconds of it."""
    lines = [b"store_code,category_code,week_start,units"]
    size = 0
    monday = date(2020, 1, 6)
    i = 0
    while size < n_bytes:
        line = f"S{i // 100:05d},DRESS,{monday + timedelta(weeks=i % 100)},{i % 97}".encode()
        lines.append(line)
        size += len(line) + 1
        i += 1
    return b"\n".join(lines)


def _post(gateway: Gateway, content: bytes) -> asyncio.Task[httpx.Response]:
    return asyncio.create_task(
        gateway.client.post(
            UPLOAD, files={"file": ("history.csv", content, "text/csv")}, headers=PLANNER
        )
    )


async def _parsing(state: GatewayState) -> None:
    await wait_until(lambda: state.parses.running > 0, within=30)


def _settings(gateway_settings: GatewaySettings, **update: object) -> GatewaySettings:
    return gateway_settings.model_copy(
        update={"max_upload_bytes": 4 * 1024 * 1024, "max_body_bytes": 4 * 1024 * 1024} | update
    )


async def test_health_answers_while_a_large_file_is_parsed(
    gateway_settings: GatewaySettings,
) -> None:
    async with running_gateway(_settings(gateway_settings)) as gateway:
        state = gateway.runtime.part(GatewayState)
        upload = _post(gateway, history_csv(2 * 1024 * 1024))
        await _parsing(state)
        answered_during_parse = 0
        while state.parses.running and answered_during_parse < 5:
            health = await gateway.client.get("/health")
            assert health.status_code == 200
            # Counted only if the parse was still under way when the answer came back.
            answered_during_parse += bool(state.parses.running)
        assert answered_during_parse == 5
        response = await upload
        # The made-up stores are not loaded: refused by the checks after the parse.
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] != "uploads_busy"


async def test_parses_past_the_bound_are_refused_with_retry_after(
    gateway_settings: GatewaySettings,
) -> None:
    settings = _settings(gateway_settings, upload_parse_workers=1, upload_parse_queue=0)
    async with running_gateway(settings) as gateway:
        state = gateway.runtime.part(GatewayState)
        first = _post(gateway, history_csv(2 * 1024 * 1024))
        await _parsing(state)
        busy = await gateway.client.post(
            UPLOAD, files={"file": ("small.csv", history_csv(200), "text/csv")}, headers=PLANNER
        )
        assert state.parses.running == 1
        assert busy.status_code == 503, busy.text
        assert busy.json()["error"]["code"] == "uploads_busy"
        assert busy.headers["retry-after"] == "5"
        assert (await first).status_code == 422
        again = await gateway.client.post(
            UPLOAD, files={"file": ("small.csv", history_csv(200), "text/csv")}, headers=PLANNER
        )
        assert again.status_code == 422, again.text  # parsed this time; the stores are unknown
        assert state.parses.refused == 1
