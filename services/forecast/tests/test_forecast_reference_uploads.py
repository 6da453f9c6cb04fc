"""Uploaded safety stock and lead times (contract v1 uploads) in the plan itself, on real
PostgreSQL: the manufacturing order, the initial allocation and the replenishment's timing,
with and without the uploads. The forecast is stored by hand (no model fit): the figures are
known, so every difference the uploads make is exact."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_forecast import plan, repository, season
from planner_forecast.allocation import transit_weeks
from planner_forecast.settings import ForecastSettings
from planner_shared.db.engine import transaction
from planner_shared.db.frontend_v1 import UploadedLeadTime, UploadedSafetyStock
from planner_shared.db.models import (
    Allocation,
    Category,
    ForecastOverride,
    ManufacturingOrder,
    Store,
    WeeklyActual,
    Workflow,
)
from planner_shared.events import CategoryForecastSummary
from planner_shared.parameters import SeasonParameters
from planner_shared.stock.season import load_season_stock
from planner_tools.testing.forecasts import add_upload

Sessions = async_sessionmaker[AsyncSession]
SETTINGS = ForecastSettings.model_construct(service_level=0.9, min_display_units=0)
pytestmark = pytest.mark.xdist_group("forecast-reference-uploads")

START = date(2027, 3, 1)
HORIZON = 8
PARAMS = SeasonParameters(
    forecast_horizon_weeks=HORIZON,
    season_start_date=START,
    replenishment_strategy="weekly",
    dc_holdback_percentage=30,
    markdown_checkpoint_week=None,  # no markdown: the checkpoint never fires
    markdown_threshold=0.6,
)
# Store -> (season forecast, lower_95, upper_95) of each category.
FORECAST = {
    "KNIT": {
        "S001": (400.0, 300.0, 500.0),
        "S002": (200.0, 150.0, 250.0),
        "S003": (100.0, 60.0, 140.0),
    },
    "DRESS": {
        "S001": (100.0, 80.0, 120.0),
        "S002": (300.0, 200.0, 400.0),
        "S003": (100.0, 70.0, 130.0),
    },
}


async def _world(sessions: Sessions) -> tuple[UUID, list[Category]]:
    async with transaction(sessions) as session:
        stores = [
            Store(
                code=f"S00{i}",
                name=f"Store {i}",
                region="north",
                size_sqft=9000,
                weekly_traffic=3000,
                format="mall",
            )
            for i in (1, 2, 3)
        ]
        categories = [
            Category(
                code="DRESS", name="Dresses", unit_price=79.0, price_elasticity=1.2, stock_on_hand=0
            ),
            Category(
                code="KNIT", name="Knitwear", unit_price=59.0, price_elasticity=1.6, stock_on_hand=0
            ),
        ]
        workflow = Workflow(
            id=uuid4(),
            state="forecasting",
            created_by="ann",
            context={},
            parameters=PARAMS.model_dump(mode="json"),
        )
        session.add_all([*stores, *categories, workflow])
        await session.flush()
        await _store_forecasts(session, workflow.id, categories)
    return workflow.id, categories


async def _store_forecasts(
    session: AsyncSession, workflow_id: UUID, categories: list[Category]
) -> None:
    """Run 1's forecasts as the forecast service stores them (replace_forecast)."""
    for c in categories:
        rows = FORECAST[c.code]
        await repository.replace_forecast(
            session,
            workflow_id=workflow_id,
            run_number=1,
            category_id=c.id,
            reason="initial",
            season_total=sum(r[0] for r in rows.values()),
            method="ensemble",
            diagnostics={
                "stores": {
                    code: {"season_total": t, "lower_95": lo, "upper_95": hi}
                    for code, (t, lo, hi) in rows.items()
                }
            },
            weeks=[
                {
                    "week_number": w,
                    "week_start": START + timedelta(weeks=w - 1),
                    "point": sum(r[0] for r in rows.values()) / HORIZON,
                    "lower_80": 0.0,
                    "upper_80": 0.0,
                    "lower_95": 0.0,
                    "upper_95": 0.0,
                    "baseline": 0.0,
                }
                for w in range(1, HORIZON + 1)
            ],
        )


def _summaries() -> list[CategoryForecastSummary]:
    out = []
    for code in sorted(FORECAST):
        total = sum(r[0] for r in FORECAST[code].values())
        out.append(
            CategoryForecastSummary(
                category_code=code,
                season_total=total,
                lower_80=total * 0.9,
                upper_80=total * 1.1,
                lower_95=total * 0.8,
                upper_95=total * 1.2,
                method="ensemble",
                weights={},
                backtest_wape={},
                fallback_reason=None,
            )
        )
    return out


async def _plan(
    sessions: Sessions, workflow_id: UUID, categories: list[Category], *, store: bool = False
) -> dict[str, Any]:
    async with transaction(sessions) as session:
        if store:  # as store_forecast does: the forecast and the order in one transaction
            await _store_forecasts(session, workflow_id, categories)
        recommendation = await season.plan_manufacturing(
            session,
            workflow_id,
            categories,
            _summaries(),
            SETTINGS,
            season_start=START,
            horizon_weeks=HORIZON,
        )
    async with sessions() as session:
        code = {c.id: c.code for c in categories}
        orders = {
            code[o.category_id]: o
            for o in await session.scalars(
                select(ManufacturingOrder).where(ManufacturingOrder.workflow_id == workflow_id)
            )
        }
    return {"total": recommendation.total_quantity, "orders": orders}


async def _upload(
    sessions: Sessions, workflow_id: UUID, model: Any, rows: list[dict[str, Any]]
) -> None:
    async with transaction(sessions) as session:
        ids = {s.code: s.id for s in await session.scalars(select(Store))}
        session.add_all(
            model(workflow_id=workflow_id, **{**r, "store_id": ids[r["store_id"]]}) for r in rows
        )


async def test_uploaded_safety_stock_replaces_the_computed_one_in_the_order_and_allocation(
    sessionmaker: Sessions,
) -> None:
    workflow_id, categories = await _world(sessionmaker)
    before = await _plan(sessionmaker, workflow_id, categories)
    knit = before["orders"]["KNIT"].reasoning
    assert knit["uploaded_safety_stock_stores"] == []
    assert all(r["safety_stock_source"] == "forecast interval" for r in knit["stores"].values())
    computed = {
        c: {s: r["safety_stock_units"] for s, r in o.reasoning["stores"].items()}
        for c, o in before["orders"].items()
    }

    # S001 keeps 90 units of safety stock over both categories, S002 none at all.
    await _upload(
        sessionmaker,
        workflow_id,
        UploadedSafetyStock,
        [
            {"store_id": "S001", "safety_stock_units": 90, "reorder_point": 40},
            {"store_id": "S002", "safety_stock_units": 0, "reorder_point": 5},
        ],
    )
    after = await _plan(sessionmaker, workflow_id, categories)
    # S001 forecasts 400 KNIT and 100 DRESS: its 90 units split 72 / 18.
    expected = {"KNIT": {"S001": 72.0, "S002": 0.0}, "DRESS": {"S001": 18.0, "S002": 0.0}}
    for code, order in after["orders"].items():
        reasoning = order.reasoning
        assert reasoning["uploaded_safety_stock_stores"] == ["S001", "S002"]
        assert "S001, S002" in reasoning["safety_stock_note"]
        rows = reasoning["stores"]
        for store, units in expected[code].items():
            assert rows[store]["safety_stock_units"] == pytest.approx(units)
            assert rows[store]["safety_stock_source"] == "uploaded"
            assert rows[store]["computed_safety_stock_units"] == pytest.approx(
                computed[code][store]
            )
        assert rows["S003"]["safety_stock_units"] == pytest.approx(computed[code]["S003"])
        forecast = sum(r[0] for r in FORECAST[code].values())
        target = forecast + sum(expected[code].values()) + computed[code]["S003"]
        assert order.recommended_quantity == pytest.approx(target, abs=1)
        assert reasoning["target_units"] == pytest.approx(target)
        assert order.safety_stock_pct == pytest.approx((target - forecast) / forecast * 100)
    assert after["total"] != before["total"]

    # The allocation splits the stores' pool by forecast + the safety stock the plan used.
    async with transaction(sessionmaker) as session:
        payload = await plan.allocate(
            session,
            workflow_id,
            PARAMS,
            after["total"],
            SETTINGS.model_copy(update={"min_display_units": 0}),
        )
    assert payload.store_units + payload.dc_holdback_units == after["total"]
    async with sessionmaker() as session:
        code_of = {s.id: s.code for s in await session.scalars(select(Store))}
        knit_id = next(c.id for c in categories if c.code == "KNIT")
        allocated = {
            code_of[s]: n
            for s, n in (
                await session.execute(
                    select(Allocation.store_id, Allocation.units).where(
                        Allocation.kind == "initial", Allocation.category_id == knit_id
                    )
                )
            ).all()
        }
    keys = {"S001": 400 + 72.0, "S002": 200.0, "S003": 100 + computed["KNIT"]["S003"]}
    pool = sum(allocated.values())
    for store, key in keys.items():
        assert allocated[store] == pytest.approx(pool * key / sum(keys.values()), abs=1)


async def test_uploaded_lead_times_set_the_dc_ship_by_date_and_the_replenishment_cut_off(
    sessionmaker: Sessions,
) -> None:
    workflow_id, categories = await _world(sessionmaker)
    before = await _plan(sessionmaker, workflow_id, categories)
    shipment = before["orders"]["KNIT"].reasoning["initial_shipment"]
    assert shipment["dc_ship_by"] == (START - timedelta(days=7)).isoformat()
    assert shipment["stores_with_uploaded_lead_time"] == []
    assert before["orders"]["KNIT"].reasoning["stores"]["S002"]["last_replenishment_week"] == 7

    # S002 is 10 days from its slowest DC (the longest of its rows counts), S001 3 days.
    await _upload(
        sessionmaker,
        workflow_id,
        UploadedLeadTime,
        [
            {"store_id": "S001", "dc_location": "east", "lead_time_days": 3},
            {"store_id": "S002", "dc_location": "east", "lead_time_days": 4},
            {"store_id": "S002", "dc_location": "west", "lead_time_days": 10},
        ],
    )
    after = await _plan(sessionmaker, workflow_id, categories)
    # The order quantity does not move; its timing does.
    assert after["total"] == before["total"]
    reasoning = after["orders"]["KNIT"].reasoning
    shipment = reasoning["initial_shipment"]
    assert shipment["dc_ship_by"] == (START - timedelta(days=10)).isoformat()
    assert shipment["longest_lead_time_days"] == 10
    assert shipment["slowest_stores"] == ["S002"]
    assert shipment["stores_with_uploaded_lead_time"] == ["S001", "S002"]
    rows = reasoning["stores"]
    assert (rows["S001"]["lead_time_days"], rows["S001"]["transit_weeks"]) == (3, 1)
    assert (rows["S002"]["lead_time_days"], rows["S002"]["transit_weeks"]) == (10, 2)
    assert rows["S003"]["lead_time_days"] is None
    assert rows["S002"]["last_replenishment_week"] == HORIZON - 2

    async with transaction(sessionmaker) as session:
        await plan.allocate(
            session,
            workflow_id,
            PARAMS,
            after["total"],
            SETTINGS.model_copy(update={"min_display_units": 0}),
        )
    # Every store sells 10 KNIT a week; week 6's delivery reaches S002 in week 8, week 7's
    # would arrive after the season: those units stay at the DC.
    for week in range(1, 8):
        async with transaction(sessionmaker) as session:
            upload = await add_upload(session, workflow_id, week, row_count=3, filename="w.csv")
            stores = list(await session.scalars(select(Store)))
            knit_id = next(c.id for c in categories if c.code == "KNIT")
            session.add_all(
                WeeklyActual(
                    workflow_id=workflow_id,
                    store_id=s.id,
                    category_id=knit_id,
                    week_number=week,
                    units_sold=10,
                    upload_id=upload.id,
                )
                for s in stores
            )
        async with transaction(sessionmaker) as session:
            await plan._replenish(session, workflow_id, PARAMS, week)
    async with sessionmaker() as session:
        code_of = {s.id: s.code for s in await session.scalars(select(Store))}
        shipped = {
            (week, code_of[s]): n
            for week, s, n in (
                await session.execute(
                    select(Allocation.week_number, Allocation.store_id, Allocation.units).where(
                        Allocation.kind == "replenishment",
                        Allocation.workflow_id == workflow_id,
                        Allocation.week_number >= 6,
                    )
                )
            ).all()
        }
    assert shipped == {
        (6, "S001"): 10,
        (6, "S002"): 10,
        (6, "S003"): 10,
        (7, "S001"): 10,
        (7, "S003"): 10,
    }


def test_replenishment_timing_rule() -> None:
    assert [transit_weeks(d) for d in (None, 0, 7, 8, 14, 15)] == [1, 1, 1, 2, 2, 3]


async def test_an_override_moves_the_buy_allocation_and_ledger_and_keeps_the_statistical(
    sessionmaker: Sessions,
) -> None:
    """Knitwear +10 % for every week (docs/overrides.md): its order is sized on 770 units of
    final forecast instead of 700, the dresses' order does not move, the stock ledger's
    demand is the final one, and the forecast rows stay statistical."""
    workflow_id, categories = await _world(sessionmaker)
    before = await _plan(sessionmaker, workflow_id, categories)
    async with transaction(sessionmaker) as session:
        knit_id = next(c.id for c in categories if c.code == "KNIT")
        override = ForecastOverride(
            workflow_id=workflow_id,
            scope="category",
            category_id=knit_id,
            weeks=list(range(1, HORIZON + 1)),
            percent=10.0,
            reason="knitwear up 10 % vs last year",
            source="brief",
            created_by="pat",
        )
        session.add(override)
    after = await _plan(sessionmaker, workflow_id, categories, store=True)

    knit, dress = after["orders"]["KNIT"], after["orders"]["DRESS"]
    assert knit.forecast_units == pytest.approx(1.1 * 700)
    assert knit.reasoning["statistical_season_forecast"] == pytest.approx(700)
    assert knit.reasoning["overrides"] == [str(override.id)]
    # Each store's interval moves with its forecast, so its safety stock share is kept.
    assert knit.safety_stock_pct == pytest.approx(before["orders"]["KNIT"].safety_stock_pct)
    assert knit.recommended_quantity == pytest.approx(
        1.1 * before["orders"]["KNIT"].recommended_quantity, abs=2
    )
    assert dress.recommended_quantity == before["orders"]["DRESS"].recommended_quantity
    async with sessionmaker() as session:
        stored = await repository.forecasts_of_run(session, workflow_id, run_number=1)
    assert {f.season_total for f in stored} == {700.0, 500.0}  # statistical, kept

    async with transaction(sessionmaker) as session:
        await plan.allocate(session, workflow_id, PARAMS, after["total"], SETTINGS)
    async with sessionmaker() as session:
        stock = await load_season_stock(session, workflow_id)
    share = {"S001": 4 / 7, "S002": 2 / 7, "S003": 1 / 7}
    weekly = [700 / HORIZON * share[s] for s in stock.stores]
    assert stock.paths["KNIT"].point == pytest.approx(np.tile([1.1 * w for w in weekly], (8, 1)))
    assert stock.planned["KNIT"] == pytest.approx(stock.paths["KNIT"].point)
    assert stock.paths["DRESS"].point.sum() == pytest.approx(500)

    # Withdrawn: the ledger is back on the statistical forecast; the plan keeps what the
    # order was sized with.
    async with transaction(sessionmaker) as session:
        row = await session.get(ForecastOverride, override.id)
        assert row is not None
        row.withdrawn_at = datetime.now(UTC)
        row.withdrawn_by = "pat"
    async with sessionmaker() as session:
        stock = await load_season_stock(session, workflow_id)
    assert stock.paths["KNIT"].point == pytest.approx(np.tile(weekly, (HORIZON, 1)))
    assert stock.planned["KNIT"].sum() == pytest.approx(770)
