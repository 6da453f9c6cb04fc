"""The stock ledger over the API: the stock read with its forward plan and alerts, uploads
checked against stock (refused with their rows, or accepted with the stores' counts as
audited adjustments), the report's money, the sample's capped week."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from planner_gateway.settings import GatewaySettings
from planner_shared.db.models import StockAdjustment, WeeklyActual
from planner_tools.testing.gateway import (
    PLANNER,
    READER,
    SEASON_STORES,
    Gateway,
    Sessions,
    seed_four_week_season,
)

STORES = SEASON_STORES
# Each store starts with 30 KNIT and is forecast to sell 20 a week; the DC keeps the 10 the
# stores did not get of the order and the 10 it held before it.
INITIAL = {"S001": 30, "S002": 30, "S003": 30}
ORDER = 100


async def _season(sessionmaker: Sessions, *, allocated: bool = True) -> UUID:
    return await seed_four_week_season(
        sessionmaker,
        ["KNIT"],
        state="in_season",
        order=ORDER,
        approved=True,
        initial=INITIAL if allocated else None,
    )


async def _get(gateway: Gateway, path: str) -> Any:
    response = await gateway.client.get(path, headers=READER)
    assert response.status_code == 200, response.text
    return response.json()


def _week(rows: dict[str, int], week: int = 1, on_hand: dict[str, int] | None = None) -> bytes:
    header = "store_code,category_code,week_number,units_sold" + (",on_hand" if on_hand else "")
    lines = [header]
    for store, units in rows.items():
        line = f"{store},KNIT,{week},{units}"
        lines.append(line + (f",{on_hand[store]}" if on_hand else ""))
    return ("\n".join(lines) + "\n").encode()


async def _upload(gateway: Gateway, workflow_id: UUID, data: bytes) -> Any:
    return await gateway.client.post(
        "/api/data/weekly-actuals",
        headers=PLANNER,
        data={"workflow_id": str(workflow_id)},
        files={"file": ("week.csv", data, "text/csv")},
    )


async def test_the_stock_read_shows_the_forward_plan_from_week_0(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    workflow_id = await _season(sessionmaker)
    view = await _get(gateway, f"/api/workflows/{workflow_id}/stock")
    assert view["weeks_in"] == 0
    (knit,) = view["categories"]
    assert knit["units_available"] == 110  # 100 ordered + 10 on hand at the DC
    first, second = knit["weeks"][:2]
    # Week 1: 90 in the stores, 60 sold; the stores ask the DC for the 60, it holds 20: they
    # are shared (7, 7, 6) and the DC is empty before the last shipping week.
    assert (first["store_opening"], first["receipts"], first["sales"]) == (0.0, 90.0, 60.0)
    assert (first["shipped_from_dc"], first["dc_closing"], first["dc_shortfall"]) == (
        20.0,
        0.0,
        40.0,
    )
    assert second["receipts"] == 20.0
    assert knit["dc_empty_week"] == 1
    assert knit["season_lost_sales"]["point"] > 0
    band = knit["season_lost_sales"]
    assert band["lower_80"] <= band["point"] <= band["upper_80"]
    kinds = {a["kind"] for a in view["alerts"]}
    assert "dc_stockout" in kinds
    dc = next(a for a in view["alerts"] if a["kind"] == "dc_stockout")
    assert dc["week_number"] == 1
    assert "DC" in dc["message"]
    assert dc["action"]
    assert len(view["rows"]) == 3 * 4
    # Filters: one store, one week.
    one = await _get(gateway, f"/api/workflows/{workflow_id}/stock?store=s002&week=2")
    assert [(r["store_code"], r["week_number"]) for r in one["rows"]] == [("S002", 2)]
    assert [d["week_number"] for d in one["dc"]] == [2]
    missing = await gateway.client.get(
        f"/api/workflows/{workflow_id}/stock?category=DRESS", headers=READER
    )
    assert missing.status_code == 404
    assert "not planned in this season" in missing.json()["error"]["message"]


async def test_before_the_allocation_the_stock_read_says_why_it_is_empty(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    workflow_id = await _season(sessionmaker, allocated=False)
    response = await gateway.client.get(f"/api/workflows/{workflow_id}/stock", headers=READER)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_stock_yet"


async def test_an_upload_beyond_stock_is_refused_with_its_rows_and_stores_nothing(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    workflow_id = await _season(sessionmaker)
    response = await _upload(gateway, workflow_id, _week({"S001": 31, "S002": 20, "S003": 45}))
    assert response.status_code == 422, response.text
    body = response.json()["error"]
    assert body["code"] == "sales_beyond_stock"
    named = {(d["row"], d["column"]) for d in body["details"]}
    assert named == {(2, "units_sold"), (4, "units_sold")}
    assert "held 30 units of KNIT in week 1" in body["details"][0]["message"]
    async with sessionmaker() as session:
        assert (await session.scalars(select(WeeklyActual))).all() == []
        assert (await session.scalars(select(StockAdjustment))).all() == []


async def test_the_stores_counts_record_the_difference_as_an_audited_adjustment(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    workflow_id = await _season(sessionmaker)
    # S001 sold 31 of the 30 the ledger gave it and counts 4 left: it had received 5 more.
    # S002 sold 20 and counts 8: 2 went missing.
    on_hand = {"S001": 4, "S002": 8, "S003": 10}
    response = await _upload(
        gateway, workflow_id, _week({"S001": 31, "S002": 20, "S003": 20}, on_hand=on_hand)
    )
    assert response.status_code == 202, response.text
    assert response.json()["stock_adjustments"] == 2
    assert response.json()["adjusted_units"] == 3
    async with sessionmaker() as session:
        rows = (await session.scalars(select(StockAdjustment))).all()
    assert sorted(r.units for r in rows) == [-2, 5]
    assert {r.recorded_by for r in rows} == {"pat"}
    assert all(r.source == "on_hand" and r.upload_id is not None for r in rows)
    view = await _get(gateway, f"/api/workflows/{workflow_id}/stock?week=1")
    closing = {r["store_code"]: r["closing"] for r in view["rows"]}
    assert closing == {"S001": 4.0, "S002": 8.0, "S003": 10.0}
    assert any(a["kind"] == "stock_adjusted" for a in view["alerts"])
    # The same week again, without counts now: its count adjustments are replaced (none).
    again = await _upload(gateway, workflow_id, _week({"S001": 30, "S002": 20, "S003": 20}))
    assert again.status_code == 202, again.text
    async with sessionmaker() as session:
        assert (await session.scalars(select(StockAdjustment))).all() == []


async def test_the_report_carries_money_planned_actual_and_projected(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    workflow_id = await _season(sessionmaker)
    accepted = await _upload(gateway, workflow_id, _week({"S001": 20, "S002": 25, "S003": 30}))
    assert accepted.status_code == 202, accepted.text
    report = await _get(gateway, f"/api/workflows/{workflow_id}/report")
    money = report["money"]
    actual = money["actual"]["total"]
    # 75 units at 49.00, each costing 20.00.
    assert actual["units_sold"] == 75
    assert actual["revenue"] == 75 * 49.0
    assert actual["gross_margin"] == 75 * (49.0 - 20.0)
    assert actual["markdown_cost"] == 0
    projected = money["projected"]["total"]
    assert projected["units_sold"] <= 110  # never more than the season held
    assert projected["leftover_value"] == projected["leftover_units"] * 10.0
    assert projected["season_margin"] == round(
        projected["gross_margin"] + projected["leftover_units"] * (10.0 - 20.0), 2
    )
    assert money["planned"]["total"]["revenue"] > 0
    assert money["missing"] == []
    knit = next(c for c in report["categories"] if c["category_code"] == "KNIT")
    assert knit["sell_through_fraction"] == round(75 / 110, 4)
    csv_text = (
        await gateway.client.get(f"/api/workflows/{workflow_id}/report.csv", headers=READER)
    ).text
    assert "money,TOTAL,actual_revenue,3675.0,currency" in csv_text
    overview = await _get(gateway, f"/api/workflows/{workflow_id}/overview")
    assert overview["stock"]["revenue_to_date"] == 3675.0


@pytest.fixture
def gateway_settings(gateway_settings: GatewaySettings, tmp_path: Path) -> GatewaySettings:
    """The gateway with a sample demand of its own: S002 wants more than it holds."""
    demand = tmp_path / "demand.csv"
    demand.write_text(
        "store_code,category_code,week_number,units_sold\n"
        "S001,KNIT,1,25\nS002,KNIT,1,50\nS003,KNIT,1,5\n"
    )
    return gateway_settings.model_copy(update={"sample_demand_file": str(demand)})


async def test_the_sample_week_is_the_demand_capped_by_each_stores_stock(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    workflow_id = await _season(sessionmaker)
    response = await gateway.client.get(
        f"/api/workflows/{workflow_id}/sample-actuals.csv?week=1", headers=READER
    )
    assert response.status_code == 200, response.text
    lines = response.text.strip().splitlines()
    assert lines[0] == "store_code,category_code,week_number,week_start,units_sold"
    # S002 wanted 50 but held 30.
    assert lines[1:] == [
        "S001,KNIT,1,2027-03-01,25",
        "S002,KNIT,1,2027-03-01,30",
        "S003,KNIT,1,2027-03-01,5",
    ]
    accepted = await _upload(gateway, workflow_id, response.content)
    assert accepted.status_code == 202, accepted.text
