"""A whole season through the gateway only, with the five services as separate processes.

Brief -> parameters -> forecast -> manufacturing approval (modified) -> allocation -> twelve
weekly uploads (week 4's drift re-forecasts by itself) -> markdown approval at week 6 ->
workflow_complete; then everything the API stores about the season is checked.
"""

from __future__ import annotations

import pytest

from planner_client import GatewayClient, WorkflowFeed
from planner_tools.testing.stack import Stack

from . import season as s
from .replay_season import replay_spring_2025

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e"), pytest.mark.timeout(900)]


async def test_a_season_from_brief_to_completion(e2e_stack: Stack) -> None:
    async with GatewayClient(e2e_stack.gateway_url) as client:
        season = s.Season(client)
        try:
            parameters = await s.extract_parameters(client)
            await s.start(season, parameters)
            async with WorkflowFeed(client, season.wid) as feed:
                season.feed = feed
                await s.approve_manufacturing(season)
                await s.wait_allocated(season)
                await s.play_in_season(season)
                await s.wait_complete(season)
                await s.check_season(season)
        finally:
            print(f"season timings: {season.timings()}")
    assert feed.connections == 1, "the socket dropped although every service stayed up"
    assert e2e_stack.dead() == []


async def test_a_past_season_replayed_from_the_history(e2e_stack: Stack) -> None:
    """tests/e2e/replay_season.py: in this module, to share its five services."""
    await replay_spring_2025(e2e_stack)
