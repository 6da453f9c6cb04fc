"""Fixtures of the gateway tests (the helpers live in planner_tools.testing.gateway)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import redis.asyncio as aioredis

from planner_gateway.settings import GatewaySettings
from planner_tools.testing.gateway import KEYS, Gateway, Sessions, running_gateway


@pytest.fixture
def gateway_settings(service_settings: Callable[..., Any]) -> GatewaySettings:
    settings: GatewaySettings = service_settings(
        GatewaySettings,
        api_keys=KEYS,
        reply_timeout_seconds=3.0,
        reader_block_ms=100,
        max_upload_bytes=64 * 1024,
        history_catchup_seconds=600,
    )
    return settings


@pytest.fixture
async def gateway(
    gateway_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> AsyncIterator[Gateway]:
    async with running_gateway(gateway_settings) as gw:
        yield gw
