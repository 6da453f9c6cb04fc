"""A past season of the sample replayed through the API: the end-to-end test's and
`scripts/replay_season.py`'s one way of doing it (docs/replay.md).

The season is planned from parameters (spring 2025 lies inside the sample's history, which
runs from 2023-03-06 to 2026-02-23), the replay is asked for at once (it waits for the plan),
and the replay's progress is polled until it finishes; `on_week` runs once when the replay
has fed a given week (the restart test kills the gateway there).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from planner_client import ApiError, GatewayClient

SPRING_2025: dict[str, Any] = {
    "forecast_horizon_weeks": 12,
    "season_start_date": "2025-03-03",
    "replenishment_strategy": "weekly",
    "dc_holdback_percentage": 45.0,
    "markdown_checkpoint_week": 6,
    "markdown_threshold": 0.6,
}


@dataclass
class ReplayRun:
    workflow_id: str
    report: dict[str, Any] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    laps: list[tuple[str, float]] = field(default_factory=list)

    def timings(self) -> str:
        return ", ".join(f"{label} at {at:.1f}s" for label, at in self.laps)


async def _status(client: GatewayClient, workflow_id: str) -> dict[str, Any] | None:
    """The replay's progress, or None while the gateway does not answer (a restart)."""
    try:
        found: dict[str, Any] = await client.get(f"/api/workflows/{workflow_id}/replay")
    except (httpx.HTTPError, ApiError):
        return None
    return found


async def play(
    client: GatewayClient,
    parameters: dict[str, Any],
    *,
    name: str,
    categories: list[str] | None = None,
    decisions: str = "automatic",
    within: float = 600.0,
    on_week: tuple[int, Callable[[], Awaitable[None]]] | None = None,
) -> ReplayRun:
    created = await client.start(parameters=parameters, name=name, category_codes=categories)
    run = ReplayRun(created["workflow_id"])
    started = time.monotonic()
    await client.replay(run.workflow_id, "all", decisions)
    seen: tuple[str, int] | None = None
    while time.monotonic() - started < within:
        status = await _status(client, run.workflow_id)
        if status is not None:
            run.status = status
            now = (status["status"], status["weeks_done"])
            if now != seen:
                run.laps.append((f"{now[0]} week {now[1]}", time.monotonic() - started))
                seen = now
            if status["status"] in ("finished", "failed"):
                break
            if on_week is not None and status["weeks_done"] >= on_week[0]:
                hook, on_week = on_week[1], None
                await hook()
        await asyncio.sleep(0.5)
    run.seconds = time.monotonic() - started
    run.report = await client.report(run.workflow_id)
    return run
