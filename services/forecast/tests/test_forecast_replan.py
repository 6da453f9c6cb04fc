"""The order sized again after an override (docs/overrides.md): only while it awaits its
decision; a decision that came first stands and the proposal rows are left as they were."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import uuid4

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_forecast.replan import replan_order
from planner_forecast.settings import ForecastSettings
from planner_shared.db.engine import transaction
from planner_shared.db.models import Workflow
from planner_shared.events import ManufacturingReplanRequestedPayload
from planner_shared.parameters import SeasonParameters
from planner_tools.testing.bus_probe import new_workflow
from planner_tools.testing.checks import forecast_completed

Sessions = async_sessionmaker[AsyncSession]

REQUEST = ManufacturingReplanRequestedPayload(
    parameters=SeasonParameters(
        forecast_horizon_weeks=8,
        season_start_date=date(2027, 3, 1),
        replenishment_strategy="weekly",
        dc_holdback_percentage=30,
        markdown_checkpoint_week=4,
        markdown_threshold=0.6,
    ),
    categories=forecast_completed(uuid4(), 1).payload.categories,
    reason="forecast override by pat: cold spring",
)


async def test_an_order_decided_first_is_not_sized_again(
    service_settings: Callable[..., Any], sessionmaker: Sessions
) -> None:
    settings: ForecastSettings = service_settings(ForecastSettings)
    for state, words in (
        ("allocating", "decided before the override arrived (the season is allocating)"),
        ("awaiting_manufacturing_approval", "no proposed order to size again"),
    ):
        workflow_id = await new_workflow(sessionmaker)
        async with transaction(sessionmaker) as session:
            await session.execute(
                update(Workflow).where(Workflow.id == workflow_id).values(state=state)
            )
        async with transaction(sessionmaker) as session:
            answer = await replan_order(session, workflow_id, REQUEST, settings)
        assert answer.manufacturing is None
        assert answer.problem is not None
        assert words in answer.problem
        assert answer.reason == REQUEST.reason
        async with sessionmaker() as session:
            assert await session.scalar(
                select(Workflow.state).where(Workflow.id == workflow_id)
            ) == (state)
