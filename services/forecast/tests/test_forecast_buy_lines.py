"""Issue 25's test of done, on the sample over real PostgreSQL and Redis: the approver raises
the outerwear line by 6,155 units, and exactly those units reach outerwear's allocation and
its stock ledger (the forecast service allocates the decided lines; no season is run)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from uuid import UUID, uuid4

import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_forecast.app import SERVICE_NAME
from planner_forecast.buy_plan import economics
from planner_forecast.handlers import ForecastHandlers
from planner_forecast.plan import category_units
from planner_forecast.settings import ForecastSettings
from planner_shared.bus.router import EventRouter
from planner_shared.bus.streams import decode_entry, stream_for
from planner_shared.buy import SeasonDemand, newsvendor
from planner_shared.datasets.seed import seed
from planner_shared.db.engine import transaction
from planner_shared.db.models import (
    Allocation,
    Category,
    ManufacturingOrder,
    Workflow,
)
from planner_shared.events import (
    AllocationCompleted,
    AllocationRequested,
    AllocationRequestedPayload,
    parse_event,
)
from planner_shared.parameters import SeasonParameters
from planner_shared.runtime import RouterSetup, Runtime, open_runtime
from planner_shared.stock.season import load_season_stock
from planner_tools.testing.bus_probe import wait_for
from planner_tools.testing.forecasts import add_forecast
from planner_tools.testing.streams import stream_entries

Sessions = async_sessionmaker[AsyncSession]
SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample"
PARAMETERS = SeasonParameters.model_validate(
    {
        "forecast_horizon_weeks": 12,
        "season_start_date": "2026-03-02",
        "replenishment_strategy": "weekly",
        "dc_holdback_percentage": 45,
        "markdown_checkpoint_week": 6,
        "markdown_threshold": 0.6,
    }
)
# The sample's first forecast: point, 80 % and 95 % interval (scripts/buy_example.py).
FORECAST = {
    "ACCS": (29245.0, 27093.0, 31396.0, 25736.0, 32753.0),
    "DRES": (31317.0, 29032.0, 33601.0, 27591.0, 35042.0),
    "KNIT": (9464.0, 8648.0, 10281.0, 8133.0, 10796.0),
    "OUTW": (8435.0, 7525.0, 9345.0, 6951.0, 9919.0),
}
RAISE = 6155


async def _plan(sessions: Sessions, workflow_id: UUID) -> dict[str, int]:
    """The forecast run and the newsvendor plan, stored as the forecast service stores them;
    returns the proposed lines."""
    proposed: dict[str, int] = {}
    async with transaction(sessions) as session:
        for category in (await session.scalars(select(Category))).all():
            point, low80, high80, low95, high95 = FORECAST[category.code]
            money = economics(category)
            assert money is not None
            demand = SeasonDemand.from_intervals(point, low80, high80, low95, high95)
            buy = newsvendor(demand, money, category.stock_on_hand)
            proposed[category.code] = buy.quantity
            weekly = (point / 12, low80 / 12, high80 / 12, low95 / 12, high95 / 12, point / 12)
            await add_forecast(
                session,
                workflow_id,
                category.id,
                dict.fromkeys(range(1, 13), weekly),
                season_start=PARAMETERS.season_start_date,
                season_total=point,
            )
            session.add(
                ManufacturingOrder(
                    workflow_id=workflow_id,
                    category_id=category.id,
                    forecast_units=point,
                    safety_stock_pct=(buy.target_units - point) / point * 100,
                    stock_on_hand=category.stock_on_hand,
                    recommended_quantity=buy.quantity,
                    reasoning={},
                )
            )
    return proposed


def _setup(settings: ForecastSettings) -> RouterSetup:
    # The allocation fits nothing: a thread stands in for the model workers.
    @asynccontextmanager
    async def setup(runtime: Runtime) -> AsyncIterator[EventRouter]:
        with ThreadPoolExecutor(1) as pool:
            yield ForecastHandlers(pool, settings).router()

    return setup


async def test_the_outerwear_line_raised_reaches_its_allocation_and_ledger(
    service_settings, sessionmaker: Sessions, database_url: str, redis_client: aioredis.Redis
) -> None:
    settings: ForecastSettings = service_settings(ForecastSettings, workers=1)
    await seed(database_url, SAMPLE)
    workflow_id = uuid4()
    async with transaction(sessionmaker) as session:
        session.add(
            Workflow(
                id=workflow_id,
                state="allocating",
                created_by="ann",
                context={},
                parameters=PARAMETERS.model_dump(mode="json"),
            )
        )
    proposed = await _plan(sessionmaker, workflow_id)
    decided = proposed | {"OUTW": proposed["OUTW"] + RAISE}
    total = sum(decided.values())
    # The same total split by the plan's shares would give outerwear a sliver of the raise.
    assert category_units(total, proposed, None)["OUTW"] - proposed["OUTW"] < RAISE / 5

    stream = stream_for(settings, AllocationRequested)
    async with open_runtime(SERVICE_NAME, settings, _setup(settings)) as runtime:
        await runtime.publisher.publish(
            AllocationRequested(
                workflow_id=workflow_id,
                producer="agents",
                payload=AllocationRequestedPayload(
                    parameters=PARAMETERS, approved_quantity=total, lines=decided
                ),
            )
        )

        async def completed() -> AllocationCompleted | None:
            for _, fields in await stream_entries(redis_client, stream):
                event = parse_event(decode_entry(fields))
                if isinstance(event, AllocationCompleted):
                    return event
            return None

        async def found() -> bool:
            return await completed() is not None

        await wait_for(found, within=120)
        done = await completed()
    assert done is not None
    assert done.payload.by_category == decided
    assert done.payload.total_units == total

    async with sessionmaker() as session:
        outw = await session.scalar(select(Category).where(Category.code == "OUTW"))
        assert outw is not None
        stock = await load_season_stock(session, workflow_id)
        in_stores = await session.scalar(
            select(func.sum(Allocation.units)).where(
                Allocation.workflow_id == workflow_id,
                Allocation.kind == "initial",
                Allocation.category_id == outw.id,
            )
        )
    for code, units in decided.items():
        assert stock.categories[code].manufactured == units
    ledger = stock.ledger("OUTW")
    # Every decided unit is in outerwear's ledger: in its stores or at the DC, then sold or left.
    assert ledger.initial.sum() == in_stores
    assert ledger.initial.sum() + ledger.dc_start == proposed["OUTW"] + RAISE + outw.stock_on_hand
    assert ledger.sales.sum() + ledger.leftover == pytest.approx(
        proposed["OUTW"] + RAISE + outw.stock_on_hand
    )


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ({"OUTW": 10, "KNIT": 5}, "missing: ACCS, DRES"),
        ({"OUTW": 10, "KNIT": 5, "ACCS": 1, "DRES": 1, "SHOE": 1}, "unknown: SHOE"),
        ({"OUTW": 10, "KNIT": 5, "ACCS": 1, "DRES": 1}, "add up to 17, not the approved 18"),
    ],
)
def test_lines_that_do_not_match_the_plan_are_refused(lines: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        category_units(18, {"OUTW": 1, "KNIT": 1, "ACCS": 1, "DRES": 1}, lines)
