"""In-season re-forecasts on real PostgreSQL: a drift is reported, never acted on (the
orchestrator decides and numbers the run); the run it requests is marked on the week's check
and closed when it completes or fails; a re-forecast that lacks a category's actuals keeps
that category's forecast from history; and no transaction is open while a panel fits."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_forecast.handlers import ForecastHandlers
from planner_forecast.parallel import init_worker
from planner_forecast.settings import ForecastSettings
from planner_shared.db.engine import transaction
from planner_shared.db.models import (
    Category,
    Forecast,
    Store,
    VarianceCheck,
    WeeklyActual,
    Workflow,
)
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
from planner_tools.testing.checks import assert_workflow_row_free
from planner_tools.testing.delivery import deliver
from planner_tools.testing.forecasts import add_forecast, add_upload, band
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
            await add_forecast(
                session,
                workflow.id,
                category.id,
                dict.fromkeys(range(1, 9), band(WEEKLY_PLAN)),
                season_start=params.season_start_date,
                season_total=WEEKLY_PLAN * 8,
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
        upload = await add_upload(session, workflow_id, week, row_count=len(units) * stores)
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
    emitted = await deliver(
        handlers.router(), event, sessionmaker=sessions, settings=settings, producer="forecast"
    )
    assert emitted is not None
    return emitted


def _rerun(
    workflow_id: UUID, params: SeasonParameters, run: int, week: int, codes: list[str] | None = None
) -> ForecastRequested:
    """The orchestrator's request for a variance re-forecast on the weeks so far."""
    return ForecastRequested(
        workflow_id=workflow_id,
        producer="agents",
        payload=ForecastRequestedPayload(
            parameters=params,
            run_number=run,
            reason="variance",
            category_codes=codes,
            actuals_through_week=week,
        ),
    )


def _of(kind: type[Any], events: list[EventBase]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


ON_PLAN = {"KNIT": 120, "DRESS": 120}
DRIFT = {"KNIT": 240, "DRESS": 250}


async def test_a_drift_is_reported_and_the_forecast_service_starts_nothing(
    service_settings: Any, sessionmaker: Sessions, pool: Executor
) -> None:
    settings: ForecastSettings = service_settings(ForecastSettings)
    handlers = ForecastHandlers(pool, settings)
    wf, _ = await _season(sessionmaker)
    for week in (1, 2, 3):
        out = await _handle(
            sessionmaker, handlers, settings, await _upload(sessionmaker, wf, week, ON_PLAN)
        )
        [check] = _of(VarianceChecked, out)
        assert not check.payload.exceeded
    out = await _handle(sessionmaker, handlers, settings, await _upload(sessionmaker, wf, 4, DRIFT))
    assert not _of(ForecastRequested, out)
    [check] = _of(VarianceChecked, out)
    assert check.payload.exceeded
    # The check carries each category's side of the forecast, as the rule decided it.
    knit = next(c for c in check.payload.categories if c.category_code == "KNIT")
    assert knit.direction == "above"
    assert knit.exceeded
    # Weeks 1-4 so far, cumulative, against run 1.
    assert (knit.forecast_units, knit.actual_units) == (WEEKLY_PLAN * 4, 120 * 3 + 240)
    async with sessionmaker() as session:
        rows = await session.scalars(select(VarianceCheck).order_by(VarianceCheck.week_number))
        # Facts only, one check a week: whether a run starts is the orchestrator's decision.
        assert [(r.week_number, r.exceeded) for r in rows.all()] == [
            (1, False),
            (2, False),
            (3, False),
            (4, True),
        ]


async def test_a_failed_rerun_reports_its_run_and_reason(
    service_settings: Any, sessionmaker: Sessions, pool: Executor
) -> None:
    settings: ForecastSettings = service_settings(ForecastSettings)
    handlers = ForecastHandlers(pool, settings)
    wf, params = await _season(sessionmaker)
    await _handle(sessionmaker, handlers, settings, await _upload(sessionmaker, wf, 1, DRIFT))
    out = await _handle(sessionmaker, handlers, settings, _rerun(wf, params, 2, 1, ["NOPE"]))
    [failed] = _of(ForecastFailed, out)
    assert failed.payload.run_number == 2
    assert "unknown category codes: NOPE" in failed.payload.reason
    assert not _of(ForecastCompleted, out)


async def test_a_rerun_missing_a_categorys_actuals_keeps_its_forecast_from_history(
    service_settings: Any, sessionmaker: Sessions, pool: Executor
) -> None:
    settings: ForecastSettings = service_settings(ForecastSettings)
    handlers = ForecastHandlers(pool, settings)
    wf, params = await _season(sessionmaker)
    # A week-1 file with a single row: far below the plan, and nothing at all for DRESS.
    out = await _handle(
        sessionmaker, handlers, settings, await _upload(sessionmaker, wf, 1, {"KNIT": 1}, 1)
    )
    [check] = _of(VarianceChecked, out)
    assert check.payload.total_variance == pytest.approx(1 - 1 / 240)
    assert all(c.direction == "below" for c in check.payload.categories)
    assert not _of(ForecastRequested, out)
    out = await _handle(sessionmaker, handlers, settings, _rerun(wf, params, 2, 1))
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


class GatedExecutor(Executor):
    """Runs each fit in a thread once `release` is set, saying when one is waiting."""

    def __init__(self) -> None:
        self._threads = ThreadPoolExecutor(max_workers=1)
        self.waiting = threading.Event()
        self.release = threading.Event()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        def gated() -> Any:
            self.waiting.set()
            assert self.release.wait(120), "the test never released the fit"
            return fn(*args, **kwargs)

        return self._threads.submit(gated)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._threads.shutdown(wait=wait, cancel_futures=cancel_futures)


async def test_no_transaction_is_open_and_the_workflow_not_locked_while_a_panel_fits(
    service_settings: Any, sessionmaker: Sessions
) -> None:
    settings: ForecastSettings = service_settings(ForecastSettings)
    gate = GatedExecutor()
    handlers = ForecastHandlers(gate, settings)
    wf, params = await _season(sessionmaker, state="forecasting")
    async with transaction(sessionmaker) as session:
        # The initial run clusters the stores first: writes that used to lock the workflow
        # row (a foreign key) for as long as the fit ran.
        await session.execute(delete(Forecast).where(Forecast.workflow_id == wf))
    initial = ForecastRequested(
        workflow_id=wf,
        producer="agents",
        payload=ForecastRequestedPayload(parameters=params, run_number=1, reason="initial"),
    )
    try:
        running = asyncio.create_task(_handle(sessionmaker, handlers, settings, initial))
        while not gate.waiting.is_set():
            assert not running.done(), running.result()
            await asyncio.sleep(0.05)
        await assert_workflow_row_free(sessionmaker, wf)
        gate.release.set()
        out = await running
    finally:
        gate.release.set()
        gate.shutdown()
    [done] = _of(ForecastCompleted, out)
    assert done.payload.run_number == 1
    assert done.payload.cluster_count > 0
    async with sessionmaker() as session:
        stored = await session.scalar(
            select(func.count()).select_from(Forecast).where(Forecast.workflow_id == wf)
        )
    assert stored == len(done.payload.categories)
