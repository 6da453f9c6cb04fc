"""Shutting a service's background tasks down, including one that swallows a cancellation."""

from __future__ import annotations

import asyncio
import time

import redis.asyncio as aioredis

from planner_shared.runtime import RECANCEL_SECONDS, TASK_STOP_SECONDS, stop_tasks
from planner_shared.settings import PlannerSettings


async def _swallows_first_cancel(log: list[str]) -> None:
    # What Python 3.11's asyncio.wait_for does when the cancellation lands as its inner future
    # completes: the CancelledError never reaches the caller, and the task carries on.
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        log.append("swallowed")
    await asyncio.sleep(3600)


async def test_a_task_that_swallows_its_cancellation_is_cancelled_again(
    settings: PlannerSettings,
) -> None:
    log: list[str] = []
    stubborn = asyncio.create_task(_swallows_first_cancel(log), name="stubborn")
    plain = asyncio.create_task(asyncio.sleep(3600), name="plain")
    await asyncio.sleep(0)
    redis = aioredis.from_url(settings.redis_url)
    try:
        started = time.monotonic()
        await stop_tasks([stubborn, plain], redis)
        took = time.monotonic() - started
    finally:
        await redis.aclose()
    assert log == ["swallowed"]
    assert stubborn.cancelled()
    assert plain.cancelled()
    # Ended by the second cancel, not by the deadline and the connection-closing fallback.
    assert took < TASK_STOP_SECONDS
    assert took >= RECANCEL_SECONDS * 0.9
