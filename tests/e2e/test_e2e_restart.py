"""The same season, with services SIGKILLed and restarted while the season runs.

- The forecast service dies in the middle of fitting the first forecast: its replacement
  claims the unfinished request from the dead consumer and redoes the work.
- The agents service dies while the manufacturing order awaits its decision and is down when
  the decision is made: on restart it finds the decision on the bus and allocates.
- The gateway dies right after accepting week 4's upload, while the variance check and the
  re-forecast it starts run: the restarted gateway stores what it missed in the history, and
  the planner's socket, reconnecting with `?since=`, receives every event it missed.

The season completes with every effect exactly once (one forecast per run, one manufacturing
order, one allocation per store, one decision per approval) and no event lost.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from planner_client import GatewayClient, Message, WorkflowFeed, is_event
from planner_tools.testing.stack import Stack

from . import season as s

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e"), pytest.mark.timeout(900)]

OUTAGE_SECONDS = 2.0  # plus the restart: the week's variance check takes well under a second


def forecasting(message: Message) -> bool:
    """The forecast service reports progress: work under way, nothing committed yet."""
    return bool(message["type"] == "agent_progress" and message["agent_key"] == "forecast")


async def restart(stack: Stack, name: str, season: s.Season) -> None:
    started = time.monotonic()
    await asyncio.to_thread(stack.start, [name])
    season.lap(f"{name} restarted ({time.monotonic() - started:.1f}s to ready)")


async def test_a_season_survives_services_killed_mid_work(e2e_stack: Stack) -> None:
    async def gateway_outage() -> None:
        # Once the upload is on the bus (the socket shows it), the gateway dies; the forecast
        # service checks the week and the orchestrator starts the re-forecast while it is down.
        await s.expect(
            season.socket,
            is_event("actuals.uploaded", week_number=s.DRIFT_WEEK),
            "week 4 upload",
            within=10,
        )
        e2e_stack["gateway"].kill()
        await asyncio.sleep(OUTAGE_SECONDS)
        await restart(e2e_stack, "gateway", season)

    async with GatewayClient(e2e_stack.gateway_url) as client:
        season = s.Season(client)
        try:
            parameters = await s.extract_parameters(client)
            await s.start(season, parameters)
            async with WorkflowFeed(client, season.wid) as feed:
                season.feed = feed
                first = await s.expect(feed, forecasting, "forecast progress", within=60)
                e2e_stack["forecast"].kill()
                await restart(e2e_stack, "forecast", season)

                ask = await s.manufacturing_request(season)
                # The run was redone from the start by the replacement, once.
                run_1 = feed.messages[: feed.messages.index(ask)]
                again = [m for m in run_1 if forecasting(m) and m["message"] == first["message"]]
                assert len(again) == 2, feed.recent()
                assert len([m for m in run_1 if is_event("forecast.completed")(m)]) == 1

                e2e_stack["agents"].kill()
                await s.decide_manufacturing(season, ask)
                workflow = await client.workflow(season.wid)
                # Nobody acted on the decision yet: the orchestrator is down.
                assert workflow["state"] == "awaiting_manufacturing_approval", workflow
                await restart(e2e_stack, "agents", season)

                await s.wait_allocated(season)
                await s.play_in_season(season, meanwhile={s.DRIFT_WEEK: gateway_outage})
                await s.wait_complete(season)
                await s.check_season(season)
        finally:
            print(f"season timings: {season.timings()}")
    assert feed.connections == 2, "the socket must have reconnected once, after the outage"
    # The reconnected socket replayed, from the history, what happened during the outage.
    missed = {m["event_type"] for m in feed.replayed(1)}
    assert "variance.checked" in missed, missed
    assert {name: e2e_stack[name].starts for name in ("forecast", "agents", "gateway")} == {
        "forecast": 2,
        "agents": 2,
        "gateway": 2,
    }
    assert e2e_stack.dead() == []
