"""Issue 12, point 3: queued forecast work for a workflow that has ended is skipped, and a
season too far ahead is refused before any model is fitted."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_forecast.handlers import ForecastHandlers
from planner_forecast.settings import ForecastSettings
from planner_shared.db.engine import transaction
from planner_shared.db.models import Forecast, Workflow
from planner_shared.events import (
    AllocationRequested,
    AllocationRequestedPayload,
    ForecastFailed,
    ForecastRequested,
    ForecastRequestedPayload,
)
from planner_shared.parameters import MAX_WEEKS_AHEAD, SeasonParameters
from planner_tools.testing.delivery import deliver

Sessions = async_sessionmaker[AsyncSession]


class NoWorkExecutor(Executor):
    """An executor that records what it was asked to run and runs nothing."""

    def __init__(self) -> None:
        self.submitted: list[Callable[..., Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted.append(fn)
        future: Future[Any] = Future()
        future.set_exception(AssertionError("no model may be fitted here"))
        return future


def _parameters(start: date) -> SeasonParameters:
    return SeasonParameters(
        forecast_horizon_weeks=12,
        season_start_date=start,
        replenishment_strategy="weekly",
        dc_holdback_percentage=45,
        markdown_checkpoint_week=6,
        markdown_threshold=0.6,
    )


async def _workflow(sessions: Sessions, state: str) -> UUID:
    async with transaction(sessions) as session:
        workflow = Workflow(id=uuid4(), state=state, created_by="pat", context={})
        session.add(workflow)
    return workflow.id


@pytest.mark.parametrize("state", ["cancelled", "failed", "completed"])
async def test_a_forecast_queued_before_the_workflow_ended_is_skipped(
    sessionmaker: Sessions, service_settings: Callable[..., Any], state: str
) -> None:
    settings: ForecastSettings = service_settings(ForecastSettings)
    pool = NoWorkExecutor()
    handlers = ForecastHandlers(pool, settings)
    workflow_id = await _workflow(sessionmaker, state)
    start = date.today() + timedelta(weeks=4)
    forecast = ForecastRequested(
        workflow_id=workflow_id,
        producer="agents",
        payload=ForecastRequestedPayload(
            parameters=_parameters(start), run_number=1, reason="initial"
        ),
    )
    allocation = AllocationRequested(
        workflow_id=workflow_id,
        producer="agents",
        payload=AllocationRequestedPayload(parameters=_parameters(start), approved_quantity=100),
    )
    router = handlers.router()
    for event in (forecast, allocation):
        emitted = await deliver(
            router, event, sessionmaker=sessionmaker, settings=settings, producer="t"
        )
        assert emitted == []
    assert pool.submitted == []
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Forecast)) == 0


async def test_a_season_too_far_ahead_fails_without_fitting(
    sessionmaker: Sessions, service_settings: Callable[..., Any]
) -> None:
    settings: ForecastSettings = service_settings(ForecastSettings)
    pool = NoWorkExecutor()
    workflow_id = await _workflow(sessionmaker, "forecasting")
    start = date.today() + timedelta(weeks=MAX_WEEKS_AHEAD + 8)
    event = ForecastRequested(
        workflow_id=workflow_id,
        producer="agents",
        payload=ForecastRequestedPayload(
            parameters=_parameters(start), run_number=1, reason="initial"
        ),
    )
    emitted = await deliver(
        ForecastHandlers(pool, settings).router(),
        event,
        sessionmaker=sessionmaker,
        settings=settings,
        producer="t",
    )
    assert emitted is not None
    [failed] = emitted
    assert isinstance(failed, ForecastFailed)
    assert f"more than {MAX_WEEKS_AHEAD} weeks" in failed.payload.reason
    assert pool.submitted == []
