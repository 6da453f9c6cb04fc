"""The replay's rules as pure functions: the history's weeks of a season, the week a replay
uploads (the history capped by the plan's stock), the report's plan-against-history lines,
and the compare endpoint's ids."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from planner_gateway.compare import MAX_SEASONS, parse_ids
from planner_gateway.errors import ApiError
from planner_gateway.replay_history import (
    SeasonSpan,
    season_demand,
    units_by_category,
    weeks_missing,
)
from planner_gateway.report_replay import lines
from planner_gateway.schemas.stock import MoneyPeriod, MoneyRead, SeasonMoney
from planner_gateway.season_data import SeasonData
from planner_gateway.season_figures import Band, Run
from planner_shared.db.models import Workflow

SPAN = SeasonSpan(date(2025, 3, 3), 3, ["OUTW"])


def test_only_the_seasons_mondays_of_its_categories_are_its_weeks() -> None:
    rows = [
        ("S001", "OUTW", date(2025, 2, 24), 9),  # the week before: planning history
        ("S001", "OUTW", date(2025, 3, 3), 10),
        ("S001", "OUTW", date(2025, 3, 17), 12),
        ("S001", "OUTW", date(2025, 3, 24), 99),  # after the season
        ("S001", "OUTW", date(2025, 3, 5), 99),  # not a Monday of the season
        ("S001", "KNIT", date(2025, 3, 3), 99),  # not planned
    ]
    demand = season_demand(SPAN, rows)
    assert demand == {("S001", "OUTW", 1): 10, ("S001", "OUTW", 3): 12}
    assert weeks_missing(demand, SPAN.horizon) == [2]
    assert units_by_category(demand, 1) == {"OUTW": 10}
    assert units_by_category(demand, 3) == {"OUTW": 22}


def _money(code: str, sold: float, revenue: float) -> MoneyRead:
    return MoneyRead(
        category_code=code,
        units_sold=sold,
        lost_sales=0.0,
        leftover_units=0.0,
        sell_through_fraction=None,
        revenue=revenue,
        cost_of_goods_sold=None,
        gross_margin=revenue / 2,
        markdown_cost=0.0,
        leftover_value=None,
        season_margin=None,
        gmroi=None,
    )


def _period(parts: list[MoneyRead]) -> MoneyPeriod:
    total = _money("TOTAL", sum(p.units_sold for p in parts), sum(p.revenue for p in parts))
    return MoneyPeriod(total=total, by_category=parts)


def test_the_report_lines_set_the_plan_against_what_the_history_sold() -> None:
    workflow = Workflow(id=uuid4(), category_codes=["KNIT", "OUTW"], parameters={})
    band = Band(100.0, 80.0, 120.0, 70.0, 130.0)
    data = SeasonData(
        workflow=workflow,
        horizon=3,
        start=SPAN.start,
        checkpoint_week=2,
        target=0.6,
        holdback_pct=45.0,
        names={},
        prices={"KNIT": 50.0, "OUTW": 100.0},
        elasticities={},
        category_ids={},
        runs=[Run(1, 0, {"KNIT": {1: band, 2: band, 3: band}, "OUTW": {1: band, 2: band}})],
        actuals={"KNIT": {1: 90.0, 2: 100.0}, "OUTW": {1: 150.0, 2: 140.0}},
        manufactured={"KNIT": 400, "OUTW": 300},
    )
    actual = _period([_money("KNIT", 190.0, 9500.0), _money("OUTW", 290.0, 29000.0)])
    money = SeasonMoney(weeks_in=2, planned=actual, actual=actual, projected=actual, missing=[])
    total, knit, outw = lines(data, {"KNIT": 190, "OUTW": 340}, money, weeks=2)
    assert (knit.planned_units, knit.bought_units, knit.history_units) == (200.0, 400, 190)
    assert (knit.sold_units, knit.lost_sales_units, knit.fill_fraction) == (190.0, 0.0, 1.0)
    # Outerwear's stock ran out: 50 of the history's units went unserved.
    assert (outw.sold_units, outw.lost_sales_units) == (290.0, 50.0)
    assert outw.fill_fraction == round(290 / 340, 4)
    assert outw.history_revenue_at_full_price == 34000.0
    assert total.category_code == "TOTAL"
    assert (total.planned_units, total.bought_units, total.history_units) == (400.0, 700, 530)
    assert total.sold_units == knit.sold_units + outw.sold_units
    assert total.lost_sales_units == 50.0
    assert total.revenue == 38500.0
    assert total.history_revenue_at_full_price == 9500.0 + 34000.0


def test_compare_takes_two_to_six_season_ids_once_each() -> None:
    a, b = uuid4(), uuid4()
    assert parse_ids([f"{a}, {b}", str(a)]) == [a, b]
    assert parse_ids([str(a), str(b)]) == [a, b]
    for bad in ([str(a)], [f"{a},{a}"], [",".join(str(uuid4()) for _ in range(MAX_SEASONS + 1))]):
        with pytest.raises(ApiError) as refused:
            parse_ids(bad)
        assert refused.value.status_code == 422
        assert refused.value.details[0].field == "ids"
    with pytest.raises(ApiError, match=r"not a season id of this API.*wf_1234"):
        parse_ids([str(a), "wf_1234"])
