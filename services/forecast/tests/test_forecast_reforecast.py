"""In-season re-forecasts on real PostgreSQL: one run number per claim even when uploads race,
no second run while one is under way, a failed run closed, and a re-forecast that lacks a
category's actuals keeping that category's forecast from history."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_forecast.handlers import ForecastHandlers
from planner_forecast.parallel import init_worker
from planner_forecast.repository import week_start
from planner_forecast.settings import ForecastSettings
from planner_shared.bus.router import MessageContext
from planner_shared.db.engine import transaction
from planner_shared.db.models import (
    ActualsUpload,
    Category,
    Forecast,
    ForecastWeek,
    Store,
    VarianceCheck,
    WeeklyActual,
    Workflow,
)
from planner_shared.db.run_numbers import lock_run_numbers
from planner_shared.events import (
    ActualsUploaded,
    ActualsUploadedPayload,
    EventBase,
    ForecastCompleted,
    ForecastFailed,
    ForecastRequested,
    ForecastRequestedPayload,
    VarianceChecked,
)
from planner_shared.parameters import SeasonParameters
from planner_tools.testing.world import seed_world

Sessions = async_sessionmaker[AsyncSession]
WEEKLY_PLAN = 120.0  # run 1's forecast for every category and week


@pytest.fixture(scope="module")
def pool() -> Iterator[Executor]:
    with ProcessPoolExecutor(
        max_workers=2, mp_context=multiprocessing.get_context("spawn"), initializer=init_worker
    ) as executor:
        yield executor


async def _season(sessions: Sessions, state: str = "in_season") -> tuple[UUID, SeasonParameters]:
    """A workflow in season on a flat run 1 (no model fit needed to check weeks against it)."""
    async with transaction(sessions) as session:
        world = await seed_world(session)
        params = SeasonParameters(
            forecast_horizon_weeks=8,
            season_start_date=world.last_week + timedelta(weeks=1),
            replenishment_strategy="none",
            dc_holdback_percentage=0,
            markdown_checkpoint_week=8,
            markdown_threshold=0.5,
        )
        workflow = Workflow(
            id=uuid4(),
            state=state,
            created_by="ann",
            parameters=params.model_dump(mode="json"),
            context={"run_number": 1},
        )
        session.add(workflow)
        await session.flush()
        for category in (await session.scalars(select(Category))).all():
            forecast = Forecast(
                workflow_id=workflow.id,
                run_number=1,
                category_id=category.id,
                reason="initial",
                season_total=WEEKLY_PLAN * 8,
                method="ensemble",
                diagnostics={},
            )
            session.add(forecast)
            await session.flush()
            session.add_all(
                ForecastWeek(
                    forecast_id=forecast.id,
                    week_number=w,
                    week_start=week_start(params.season_start_date, w),
                    point=WEEKLY_PLAN,
                    lower_80=WEEKLY_PLAN * 0.8,
                    upper_80=WEEKLY_PLAN * 1.2,
                    lower_95=WEEKLY_PLAN * 0.7,
                    upper_95=WEEKLY_PLAN * 1.3,
                    baseline=WEEKLY_PLAN,
                )
                for w in range(1, 9)
            )
    return workflow.id, params


async def _upload(
    sessions: Sessions, workflow_id: UUID, week: int, units: dict[str, int], stores: int = 3
) -> ActualsUploaded:
    """`units` per category code, split over the first `stores` stores."""
    async with transaction(sessions) as session:
        # A week uploaded again replaces its rows, as the gateway does.
        await session.execute(
            delete(WeeklyActual).where(
                WeeklyActual.workflow_id == workflow_id, WeeklyActual.week_number == week
            )
        )
        upload = ActualsUpload(
            id=uuid4(),
            workflow_id=workflow_id,
            week_number=week,
            filename=f"week{week}.csv",
            sha256="0" * 64,
            row_count=len(units) * stores,
            uploaded_by="ann",
        )
        session.add(upload)
        codes = {c.code: c.id for c in (await session.scalars(select(Category))).all()}
        shops = (await session.scalars(select(Store).order_by(Store.code).limit(stores))).all()
        for code, total in units.items():
            session.add_all(
                WeeklyActual(
                    workflow_id=workflow_id,
                    store_id=shop.id,
                    category_id=codes[code],
                    week_number=week,
                    units_sold=total // len(shops) + (1 if i < total % len(shops) else 0),
                    upload_id=upload.id,
                )
                for i, shop in enumerate(shops)
            )
    return ActualsUploaded(
        workflow_id=workflow_id,
        producer="gateway",
        payload=ActualsUploadedPayload(
            upload_id=upload.id,
            week_number=week,
            row_count=len(units) * stores,
            replaced_previous=False,
            uploaded_by="ann",
        ),
    )


async def _handle(
    sessions: Sessions, handlers: ForecastHandlers, settings: ForecastSettings, event: EventBase
) -> list[EventBase]:
    handler = handlers.router().handler_for(event)
    assert handler is not None
    async with transaction(sessions) as session:
        ctx = MessageContext(
            session=session, settings=settings, publisher=None, producer="forecast"
        )
        await handler(event, ctx)
    return ctx.emitted


def _of(kind: type[Any], events: list[EventBase]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


ON_PLAN = {"KNIT": 120, "DRESS": 120}
DRIFT = {"KNIT": 240, "DRESS": 250}


async def test_racing_uploads_claim_one_rerun_and_the_other_says_it_is_under_way(
    service_settings: Any, sessionmaker: Sessions, pool: Executor
) -> None:
    settings: ForecastSettings = service_settings(ForecastSettings)
    handlers = ForecastHandlers(pool, settings)
    wf, _ = await _season(sessionmaker)
    for week in (1, 2, 3):
        out = await _handle(
            sessionmaker, handlers, settings, await _upload(sessionmaker, wf, week, ON_PLAN)
        )
        assert not _of(ForecastRequested, out)
    week4 = await _upload(sessionmaker, wf, 4, DRIFT)
    week5 = await _upload(sessionmaker, wf, 5, DRIFT)
    # Hold the run-number lock while both start, so neither can finish before the other
    # has read what is claimed: the lock is all that keeps them from taking the same number.
    async with transaction(sessionmaker) as blocker:
        await lock_run_numbers(blocker, wf)
        racing = [
            asyncio.create_task(_handle(sessionmaker, handlers, settings, week))
            for week in (week4, week5)
        ]
        await asyncio.sleep(0.5)
        assert not any(task.done() for task in racing)
    emitted = [e for task in racing for e in await task]

    checks = {c.payload.week_number: c.payload for c in _of(VarianceChecked, emitted)}
    assert checks[4].exceeded
    assert checks[5].exceeded
    [request] = _of(ForecastRequested, emitted)
    assert (request.payload.run_number, request.payload.reason) == (2, "variance")
    claimed = [w for w, c in checks.items() if c.reforecast_run_number == 2]
    waiting = [w for w, c in checks.items() if c.reforecast_under_way == 2]
    assert sorted(claimed + waiting) == [4, 5]
    assert checks[waiting[0]].reforecast_run_number is None
    assert request.payload.actuals_through_week == claimed[0]
    # The check carries each category's side of the forecast, as the rule decided it.
    knit = next(c for c in checks[4].categories if c.category_code == "KNIT")
    assert knit.direction == "above"
    assert knit.exceeded
    # Weeks 1-4 so far, cumulative, against run 1.
    assert (knit.forecast_units, knit.actual_units) == (WEEKLY_PLAN * 4, 120 * 3 + 240)
    async with sessionmaker() as session:
        rows = await session.scalars(select(VarianceCheck).order_by(VarianceCheck.week_number))
        requested = {r.week_number: r.reforecast_run_number for r in rows.all()}
    assert requested == {1: None, 2: None, 3: None, claimed[0]: 2, waiting[0]: None}

    # Uploading the claiming week again keeps its claim: still under way, no new number.
    out = await _handle(
        sessionmaker, handlers, settings, await _upload(sessionmaker, wf, claimed[0], DRIFT)
    )
    assert not _of(ForecastRequested, out)
    [again] = _of(VarianceChecked, out)
    assert again.payload.reforecast_under_way == 2


async def test_a_failed_rerun_is_closed_and_the_next_drift_takes_a_new_number(
    service_settings: Any, sessionmaker: Sessions, pool: Executor
) -> None:
    settings: ForecastSettings = service_settings(ForecastSettings)
    handlers = ForecastHandlers(pool, settings)
    wf, params = await _season(sessionmaker)
    out = await _handle(sessionmaker, handlers, settings, await _upload(sessionmaker, wf, 1, DRIFT))
    [request] = _of(ForecastRequested, out)
    assert request.payload.run_number == 2
    broken = ForecastRequested(
        workflow_id=wf,
        producer="forecast",
        payload=ForecastRequestedPayload(
            parameters=params,
            run_number=2,
            reason="variance",
            category_codes=["NOPE"],
            actuals_through_week=1,
        ),
    )
    out = await _handle(sessionmaker, handlers, settings, broken)
    [failed] = _of(ForecastFailed, out)
    assert failed.payload.run_number == 2
    assert "unknown category codes: NOPE" in failed.payload.reason
    async with sessionmaker() as session:
        row = await session.scalar(select(VarianceCheck).where(VarianceCheck.week_number == 1))
        assert row is not None
        assert (row.reforecast_run_number, row.reforecast_outcome) == (2, "failed")
    # The orchestrator has put the season back in_season (its run_number stays 2).
    async with transaction(sessionmaker) as session:
        workflow = await session.get(Workflow, wf)
        assert workflow is not None
        workflow.context = {"run_number": 2}
    out = await _handle(sessionmaker, handlers, settings, await _upload(sessionmaker, wf, 2, DRIFT))
    [request] = _of(ForecastRequested, out)
    assert request.payload.run_number == 3


async def test_no_rerun_is_claimed_while_a_planners_rerun_runs(
    service_settings: Any, sessionmaker: Sessions, pool: Executor
) -> None:
    settings: ForecastSettings = service_settings(ForecastSettings)
    handlers = ForecastHandlers(pool, settings)
    wf, _ = await _season(sessionmaker, state="reforecasting")
    async with transaction(sessionmaker) as session:
        workflow = await session.get(Workflow, wf)
        assert workflow is not None
        workflow.context = {"run_number": 2}
    out = await _handle(sessionmaker, handlers, settings, await _upload(sessionmaker, wf, 1, DRIFT))
    assert not _of(ForecastRequested, out)
    [check] = _of(VarianceChecked, out)
    assert check.payload.exceeded
    assert (check.payload.reforecast_run_number, check.payload.reforecast_under_way) == (None, 2)


async def test_a_rerun_missing_a_categorys_actuals_keeps_its_forecast_from_history(
    service_settings: Any, sessionmaker: Sessions, pool: Executor
) -> None:
    settings: ForecastSettings = service_settings(ForecastSettings)
    handlers = ForecastHandlers(pool, settings)
    wf, _ = await _season(sessionmaker)
    # A week-1 file with a single row: far below the plan, and nothing at all for DRESS.
    out = await _handle(
        sessionmaker, handlers, settings, await _upload(sessionmaker, wf, 1, {"KNIT": 1}, 1)
    )
    [check] = _of(VarianceChecked, out)
    assert check.payload.total_variance == pytest.approx(1 - 1 / 240)
    assert all(c.direction == "below" for c in check.payload.categories)
    [request] = _of(ForecastRequested, out)
    out = await _handle(sessionmaker, handlers, settings, request)
    assert not _of(ForecastFailed, out)
    [done] = _of(ForecastCompleted, out)
    by_code = {c.category_code: c for c in done.payload.categories}
    dress = by_code["DRESS"]
    assert dress.fallback_reason is not None
    assert dress.fallback_reason.startswith(
        "no_actuals: no DRESS actuals uploaded for week 1; forecast from its history alone"
    )
    assert dress.season_total > 0
    assert by_code["KNIT"].fallback_reason is None or "no_actuals" not in (
        by_code["KNIT"].fallback_reason
    )
    async with sessionmaker() as session:
        row = await session.scalar(select(VarianceCheck).where(VarianceCheck.week_number == 1))
        assert row is not None
        assert row.reforecast_outcome == "completed"
        stored = {
            f.diagnostics["weeks_elapsed"]
            for f in (await session.scalars(select(Forecast).where(Forecast.run_number == 2))).all()
        }
    # Both categories are part of a run made after week 1: week 2 is checked against it.
    assert stored == {1}
    out = await _handle(
        sessionmaker, handlers, settings, await _upload(sessionmaker, wf, 2, ON_PLAN)
    )
    [week2] = _of(VarianceChecked, out)
    assert {c.category_code for c in week2.payload.categories} == {"DRESS", "KNIT"}
