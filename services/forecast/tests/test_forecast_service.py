"""The forecast service end to end over real Redis and PostgreSQL: a season's forecast,
clusters, manufacturing plan, allocation, then actuals driving variance, the automatic
re-forecast and sell-through."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_forecast.app import SERVICE_NAME, forecast_setup
from planner_forecast.ensemble import EngineConfig
from planner_forecast.settings import ForecastSettings
from planner_shared.bus.streams import decode_entry, stream_for
from planner_shared.db.engine import transaction
from planner_shared.db.models import (
    Allocation,
    Forecast,
    ForecastWeek,
    ManufacturingOrder,
    Store,
    StoreCluster,
    StoreClusterMember,
    VarianceCheck,
    WeeklyActual,
    Workflow,
)
from planner_shared.events import (
    ActualsUploaded,
    ActualsUploadedPayload,
    AllocationCompleted,
    AllocationRequested,
    AllocationRequestedPayload,
    EventBase,
    ForecastCompleted,
    ForecastFailed,
    ForecastRequested,
    ForecastRequestedPayload,
    SellThroughComputed,
    VarianceChecked,
    parse_event,
)
from planner_shared.parameters import SeasonParameters
from planner_shared.runtime import open_runtime
from planner_tools.testing.bus_probe import wait_for
from planner_tools.testing.forecasts import add_upload
from planner_tools.testing.streams import stream_entries
from planner_tools.testing.world import seed_world

Sessions = async_sessionmaker[AsyncSession]


async def _events(redis: aioredis.Redis, stream: str) -> list[EventBase]:
    return [
        parse_event(decode_entry(fields)) for _id, fields in await stream_entries(redis, stream)
    ]


async def _one(
    redis: aioredis.Redis, stream: str, kind: type[EventBase], **match: object
) -> EventBase:
    async def found() -> bool:
        return any(
            isinstance(e, kind) and all(getattr(e.payload, k) == v for k, v in match.items())
            for e in await _events(redis, stream)
        )

    await wait_for(found, within=300)  # a loaded 2-core machine; the fits share it
    return next(
        e
        for e in await _events(redis, stream)
        if isinstance(e, kind) and all(getattr(e.payload, k) == v for k, v in match.items())
    )


async def _upload_week(
    sessions: Sessions, workflow_id: UUID, week: int, factor: float
) -> ActualsUploaded:
    """Weekly actuals at `factor` times each store's recent weekly level."""
    async with transaction(sessions) as session:
        upload = await add_upload(session, workflow_id, week, row_count=0)
        forecasts = (
            await session.scalars(
                select(Forecast).where(
                    Forecast.workflow_id == workflow_id, Forecast.run_number == 1
                )
            )
        ).all()
        stores = (await session.scalars(select(Store))).all()
        for forecast in forecasts:
            week_row = await session.get(ForecastWeek, (forecast.id, week))
            assert week_row is not None
            per_store = week_row.point * factor / len(stores)
            session.add_all(
                WeeklyActual(
                    workflow_id=workflow_id,
                    store_id=s.id,
                    category_id=forecast.category_id,
                    week_number=week,
                    units_sold=round(per_store),
                    upload_id=upload.id,
                )
                for s in stores
            )
    return ActualsUploaded(
        workflow_id=workflow_id,
        producer="gateway",
        payload=ActualsUploadedPayload(
            upload_id=upload.id,
            week_number=week,
            row_count=len(stores) * 2,
            replaced_previous=False,
            uploaded_by="ann",
        ),
    )


async def test_forecast_allocation_and_in_season_steps(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings: ForecastSettings = service_settings(ForecastSettings, workers=2)
    async with transaction(sessionmaker) as session:
        world = await seed_world(session)
        workflow = Workflow(id=uuid4(), state="forecasting", created_by="ann", context={})
        session.add(workflow)
    start = world.last_week + timedelta(weeks=1)
    params = SeasonParameters(
        forecast_horizon_weeks=8,
        season_start_date=start,
        replenishment_strategy="weekly",
        dc_holdback_percentage=30,
        markdown_checkpoint_week=2,
        markdown_threshold=0.9,
    )
    async with transaction(sessionmaker) as session:
        wf = await session.get(Workflow, workflow.id)
        assert wf is not None
        wf.parameters = params.model_dump(mode="json")
    stream = stream_for(settings, ForecastRequested)

    async with open_runtime(SERVICE_NAME, settings, forecast_setup(settings)) as runtime:
        await runtime.publisher.publish(
            ForecastRequested(
                workflow_id=workflow.id,
                producer="agents",
                payload=ForecastRequestedPayload(parameters=params, run_number=1, reason="initial"),
            )
        )
        done = await _one(redis_client, stream, ForecastCompleted, run_number=1)
        assert isinstance(done, ForecastCompleted)
        forecast = done.payload
        assert [c.category_code for c in forecast.categories] == ["DRESS", "KNIT"]
        for summary in forecast.categories:
            assert summary.lower_95 <= summary.lower_80 <= summary.season_total
            assert summary.season_total <= summary.upper_80 <= summary.upper_95
            assert summary.season_total > 0
            # Only the members fitted on the category's total are shown, each with a weight
            # and a backtest error of its own (no intermittent model at 0 % on a dense total).
            assert set(summary.weights) == set(summary.backtest_wape)
            assert set(summary.weights) <= set(EngineConfig().members)
            assert all(error > 0 for error in summary.backtest_wape.values())
        assert forecast.cluster_count >= 2
        assert forecast.manufacturing is not None
        for line in forecast.manufacturing.lines:
            assert line.quantity >= line.forecast_units - line.stock_on_hand

        approved = forecast.manufacturing.total_quantity - 100
        await runtime.publisher.publish(
            AllocationRequested(
                workflow_id=workflow.id,
                producer="agents",
                payload=AllocationRequestedPayload(parameters=params, approved_quantity=approved),
            )
        )
        allocated = await _one(redis_client, stream, AllocationCompleted)
        assert isinstance(allocated, AllocationCompleted)
        assert allocated.payload.store_units + allocated.payload.dc_holdback_units == approved
        assert allocated.payload.store_count == len(world.store_codes)

        async with transaction(sessionmaker) as session:
            wf = await session.get(Workflow, workflow.id)
            assert wf is not None
            wf.state = "in_season"
        # Week 1 close to plan, week 2 far above it: the check says so.
        await runtime.publisher.publish(await _upload_week(sessionmaker, workflow.id, 1, 1.05))
        week1 = await _one(redis_client, stream, VarianceChecked, week_number=1)
        assert isinstance(week1, VarianceChecked)
        assert not week1.payload.exceeded
        await runtime.publisher.publish(await _upload_week(sessionmaker, workflow.id, 2, 1.8))
        week2 = await _one(redis_client, stream, VarianceChecked, week_number=2)
        assert isinstance(week2, VarianceChecked)
        assert week2.payload.exceeded
        # A fact: the orchestrator decides the re-forecast (services/agents tests); here the
        # test sends its command, run 2 on the weeks so far.
        await runtime.publisher.publish(
            ForecastRequested(
                workflow_id=workflow.id,
                producer="agents",
                payload=ForecastRequestedPayload(
                    parameters=params, run_number=2, reason="variance", actuals_through_week=2
                ),
            )
        )
        checkpoint = await _one(redis_client, stream, SellThroughComputed, week_number=2)
        assert isinstance(checkpoint, SellThroughComputed)
        assert checkpoint.payload.below_target
        rerun = await _one(redis_client, stream, ForecastCompleted, run_number=2)
        assert isinstance(rerun, ForecastCompleted)
        assert rerun.payload.previous_season_total is not None
        assert rerun.payload.season_total > rerun.payload.previous_season_total

    async with sessionmaker() as session:
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert await count(Forecast) == 4
        assert await count(ForecastWeek) == 2 * 8 + 2 * 6
        assert await count(ManufacturingOrder) == 2
        assert await count(StoreCluster) == forecast.cluster_count
        assert await count(StoreClusterMember) == len(world.store_codes)
        assert await count(VarianceCheck) == 2
        initial = await session.scalar(
            select(func.sum(Allocation.units)).where(Allocation.kind == "initial")
        )
        assert initial == allocated.payload.store_units
        replenished = await session.scalar(
            select(func.count()).where(Allocation.kind == "replenishment")
        )
        assert replenished
        # Store-level, reconciled: the stores' season forecasts add up to the category's, the
        # order's safety stock is sized store by store, and the allocation follows the stores'
        # forecast plus safety stock.
        run1 = (await session.scalars(select(Forecast).where(Forecast.run_number == 1))).all()
        orders = {o.category_id: o for o in (await session.scalars(select(ManufacturingOrder)))}
        code_of = {s.id: s.code for s in (await session.scalars(select(Store))).all()}
        for stored in run1:
            stores = stored.diagnostics["stores"]
            assert set(stores) == set(world.store_codes)
            assert sum(s["season_total"] for s in stores.values()) == pytest.approx(
                stored.season_total, rel=1e-6
            )
            assert stored.diagnostics["model"]["reconciliation"] == "mint_shrink"
            per_store = orders[stored.category_id].reasoning["stores"]
            assert set(per_store) == set(world.store_codes)
            target = {
                code: row["forecast"] * (1 + row["safety_stock_pct"] / 100)
                for code, row in per_store.items()
            }
            rows = (
                await session.execute(
                    select(Allocation.store_id, Allocation.units).where(
                        Allocation.kind == "initial", Allocation.category_id == stored.category_id
                    )
                )
            ).all()
            units = {code_of[store]: n for store, n in rows}
            biggest = max(target, key=lambda code: target[code])
            smallest = min(target, key=lambda code: target[code])
            assert units[biggest] >= units[smallest]
            share = units[biggest] / sum(units.values())
            assert share == pytest.approx(target[biggest] / sum(target.values()), abs=0.02)


async def test_a_season_before_the_history_fails_with_that_reason(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    """Issue 22, point 11: not "no historical sales", but where the history begins."""
    settings: ForecastSettings = service_settings(ForecastSettings, workers=1)
    async with transaction(sessionmaker) as session:
        world = await seed_world(session)
        workflow = Workflow(id=uuid4(), state="forecasting", created_by="ann", context={})
        session.add(workflow)
    params = SeasonParameters(
        forecast_horizon_weeks=8,
        season_start_date=world.first_week - timedelta(weeks=4),
        replenishment_strategy="weekly",
        dc_holdback_percentage=30,
        markdown_checkpoint_week=2,
        markdown_threshold=0.9,
    )
    stream = stream_for(settings, ForecastRequested)
    async with open_runtime(SERVICE_NAME, settings, forecast_setup(settings)) as runtime:
        await runtime.publisher.publish(
            ForecastRequested(
                workflow_id=workflow.id,
                producer="agents",
                payload=ForecastRequestedPayload(parameters=params, run_number=1, reason="initial"),
            )
        )
        failed = await _one(redis_client, stream, ForecastFailed, run_number=1)
    assert isinstance(failed, ForecastFailed)
    assert f"history begins {world.first_week.isoformat()}" in failed.payload.reason
