"""Issue 22.1: what fails for good fails the workflow visibly. A forecast request whose
handler fails on every delivery is dead-lettered and answered with `forecast.failed`; the
orchestrator then fails the season with the reason, and the socket shows it as an `error`.
Real Redis and PostgreSQL: the consumer, its retries and the outbox as they run."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import redis.asyncio as aioredis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_agents.orchestrator import Orchestrator
from planner_forecast.handlers import forecast_given_up
from planner_gateway.relay.messages import to_message
from planner_shared.bus.router import EventRouter
from planner_shared.bus.streams import dlq_name, stream_for
from planner_shared.db.engine import transaction
from planner_shared.db.models import OutboxMessage, Workflow
from planner_shared.events import (
    ForecastFailed,
    ForecastRequested,
    ForecastRequestedPayload,
    WorkflowFailed,
    event_from_dict,
)
from planner_shared.parameters import SeasonParameters
from planner_shared.runtime import Runtime, open_runtime
from planner_shared.settings import PlannerSettings, ServiceSettings
from planner_tools.testing.bus_probe import wait_for
from planner_tools.testing.delivery import deliver

Sessions = async_sessionmaker[AsyncSession]


async def _always_fails(event: ForecastRequested, delivery: object) -> None:
    # What a lead time of 2^31 - 1 days once did on every delivery: an overflow mid-fit.
    raise OverflowError("date value out of range")


@asynccontextmanager
async def _forecast_router(runtime: Runtime) -> AsyncIterator[EventRouter]:
    router = EventRouter()
    router.phased(ForecastRequested, gives_up=forecast_given_up)(_always_fails)
    yield router


async def _forecasting_workflow(sessionmaker: Sessions) -> UUID:
    async with transaction(sessionmaker) as session:
        workflow = Workflow(id=uuid4(), state="forecasting", created_by="ann", context={})
        session.add(workflow)
    return workflow.id


async def _failure_in_outbox(sessionmaker: Sessions, request_id: UUID) -> ForecastFailed | None:
    async with sessionmaker() as session:
        envelopes = await session.scalars(
            select(OutboxMessage.envelope).where(OutboxMessage.type == "forecast.failed")
        )
        for envelope in envelopes:
            event = event_from_dict(envelope)
            if isinstance(event, ForecastFailed) and event.causation_id == request_id:
                return event
    return None


async def test_a_dead_lettered_forecast_fails_the_season_visibly(
    service_settings: Callable[..., Any],
    sessionmaker: Sessions,
    redis_client: aioredis.Redis,
    settings: PlannerSettings,
) -> None:
    fast: ServiceSettings = service_settings(max_deliveries=2, claim_idle_ms=200)
    workflow_id = await _forecasting_workflow(sessionmaker)
    request = ForecastRequested(
        workflow_id=workflow_id,
        producer="agents",
        payload=ForecastRequestedPayload(
            parameters=SeasonParameters(
                season_start_date=date(2027, 3, 1),
                forecast_horizon_weeks=12,
                replenishment_strategy="weekly",
                dc_holdback_percentage=45.0,
                markdown_checkpoint_week=8,
                markdown_threshold=0.6,
            ),
            run_number=1,
            reason="initial",
        ),
    )
    async with open_runtime("forecast", fast, _forecast_router) as runtime:
        await runtime.publisher.publish(request)
        dlq = dlq_name(stream_for(fast, ForecastRequested))

        async def dead_lettered() -> bool:
            return int(await redis_client.xlen(dlq)) == 1

        await wait_for(dead_lettered, within=30)
        await wait_for(lambda: _has_failure(sessionmaker, request.event_id), within=10)
    failed = await _failure_in_outbox(sessionmaker, request.event_id)
    assert failed is not None
    assert failed.payload.run_number == 1
    assert "forecast run 1 failed on every delivery" in failed.payload.reason
    assert "OverflowError: date value out of range" in failed.payload.reason

    # The orchestrator (unchanged) fails the season on it, with the reason.
    emitted = await deliver(
        Orchestrator(specialists=None).router(),  # type: ignore[arg-type]
        failed,
        sessionmaker=sessionmaker,
        settings=settings,
        producer="agents",
    )
    assert emitted is not None
    [workflow_failed] = [e for e in emitted if isinstance(e, WorkflowFailed)]
    async with sessionmaker() as session:
        workflow = await session.get(Workflow, workflow_id)
        assert workflow is not None
        assert workflow.state == "failed"
        assert workflow.error is not None
        assert "given up" in workflow.error
    message = to_message(workflow_failed)
    assert message["type"] == "error"
    assert "OverflowError" in message["error_message"]


async def _has_failure(sessionmaker: Sessions, request_id: UUID) -> bool:
    return await _failure_in_outbox(sessionmaker, request_id) is not None
