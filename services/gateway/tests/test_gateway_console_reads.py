"""The console's reads over a stored season: the weekly chart (forecast in force, actuals,
accuracy, sell-through, variance and runs), the forecast and allocation charts, a store's
drill-down, a markdown's projected effect, the overview and the report with its CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from planner_shared.db.engine import transaction
from planner_shared.db.models import (
    Allocation,
    Approval,
    ManufacturingOrder,
    StoreCluster,
    StoreClusterMember,
    VarianceCheck,
    WeeklyActual,
    WorkflowEvent,
    WorkflowTransition,
)
from planner_shared.events import (
    ForecastRequested,
    ForecastRequestedPayload,
    SellThroughComputed,
    SellThroughComputedPayload,
)
from planner_shared.parameters import SeasonParameters
from planner_shared.stock.season import load_season_stock
from planner_tools.testing.forecasts import add_forecast, add_upload, band
from planner_tools.testing.gateway import (
    FOUR_WEEK_SEASON,
    READER,
    Gateway,
    Sessions,
    new_workflow,
    seed_reference,
)

PARAMETERS = FOUR_WEEK_SEASON
# run -> (reason, weeks elapsed, {category: {week: point}})
RUNS = {
    1: (
        "initial",
        0,
        {"DRESS": dict.fromkeys((1, 2, 3, 4), 100.0), "KNIT": dict.fromkeys((1, 2, 3, 4), 50.0)},
    ),
    2: ("variance", 2, {"DRESS": {3: 150.0, 4: 150.0}, "KNIT": {3: 50.0, 4: 50.0}}),
}
ORDERS = {"DRESS": (450, 500), "KNIT": (220, 200)}  # recommended, approved
INITIAL = {
    "DRESS": {"S001": 150, "S002": 100, "S003": 50},
    "KNIT": {"S001": 60, "S002": 40, "S003": 20},
}
REPLENISHMENT = [(2, "DRESS", "S001", 30), (3, "DRESS", "S002", 20), (3, "KNIT", "S003", 10)]
ACTUALS = {  # week -> category -> store -> units
    1: {
        "DRESS": {"S001": 60, "S002": 40, "S003": 20},
        "KNIT": {"S001": 20, "S002": 20, "S003": 10},
    },
    2: {"DRESS": {"S001": 70, "S002": 40, "S003": 20}, "KNIT": {"S001": 20, "S002": 15, "S003": 5}},
    3: {
        "DRESS": {"S001": 80, "S002": 50, "S003": 30},
        "KNIT": {"S001": 25, "S002": 20, "S003": 10},
    },
}

CHECKPOINT_NOTE = (
    "checkpoint week 2: 65.0 % against 60 %, on target overall, KNIT at 55.0 % behind: "
    "markdown proposed by category"
)


async def _seed(sessionmaker: Sessions) -> UUID:
    ids = await seed_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, "in_season", PARAMETERS, ["DRESS", "KNIT"])
    async with transaction(sessionmaker) as session:
        for run, (reason, elapsed, curves) in RUNS.items():
            for code, weeks in curves.items():
                await add_forecast(
                    session,
                    workflow_id,
                    ids[code],
                    {week: band(point) for week, point in weeks.items()},
                    season_start=date(2027, 3, 1),
                    run_number=run,
                    reason=reason,
                    diagnostics={
                        "weeks_elapsed": elapsed,
                        "weights": {"prophet": 0.6, "arima": 0.4},
                        "backtest_wape": {"prophet": 0.12, "arima": 0.18},
                    },
                )
        big = StoreCluster(workflow_id=workflow_id, label=0, name="Big", profile={}, silhouette=0.6)
        small = StoreCluster(
            workflow_id=workflow_id, label=1, name="Small", profile={}, silhouette=0.6
        )
        session.add_all([big, small])
        await session.flush()
        for store, cluster in (("S001", big), ("S002", big), ("S003", small)):
            session.add(
                StoreClusterMember(
                    workflow_id=workflow_id, store_id=ids[store], cluster_id=cluster.id
                )
            )
        for code, (recommended, approved) in ORDERS.items():
            session.add(
                ManufacturingOrder(
                    workflow_id=workflow_id,
                    category_id=ids[code],
                    forecast_units=400.0,
                    safety_stock_pct=10.0,
                    stock_on_hand=0,
                    recommended_quantity=recommended,
                    approved_quantity=approved,
                    reasoning={},
                )
            )
        for code, stores in INITIAL.items():
            for store, units in stores.items():
                session.add(
                    Allocation(
                        workflow_id=workflow_id,
                        store_id=ids[store],
                        category_id=ids[code],
                        kind="initial",
                        week_number=0,
                        units=units,
                    )
                )
        for week, code, store, units in REPLENISHMENT:
            session.add(
                Allocation(
                    workflow_id=workflow_id,
                    store_id=ids[store],
                    category_id=ids[code],
                    kind="replenishment",
                    week_number=week,
                    units=units,
                )
            )
        for week, categories in ACTUALS.items():
            upload = await add_upload(session, workflow_id, week, row_count=6, uploaded_by="pat")
            for code, stores in categories.items():
                for store, units in stores.items():
                    session.add(
                        WeeklyActual(
                            workflow_id=workflow_id,
                            store_id=ids[store],
                            category_id=ids[code],
                            week_number=week,
                            units_sold=units,
                            upload_id=upload.id,
                        )
                    )
        session.add(
            VarianceCheck(
                workflow_id=workflow_id,
                week_number=2,
                forecast_units=300.0,
                actual_units=340.0,
                variance=0.1333,
                threshold=0.2,
                exceeded=True,
                by_category={
                    "DRESS": {"category_code": "DRESS", "variance": 0.25, "exceeded": True},
                    "KNIT": {"category_code": "KNIT", "variance": 0.1, "exceeded": False},
                    "_compared_weeks": [1, 2],
                },
            )
        )
        # The orchestrator recorded that week 2's check started run 2, on its own command.
        started = ForecastRequested(
            workflow_id=workflow_id,
            producer="agents",
            payload=ForecastRequestedPayload(
                parameters=SeasonParameters.model_validate(PARAMETERS),
                run_number=2,
                reason="variance",
                actuals_through_week=2,
                started_by_week=2,
            ),
        )
        # The checkpoint at week 2: 65 % sold against a target of 60 %, knitwear behind at 55 %
        # (the checkpoint is per category: knitwear's markdown is proposed).
        checked = SellThroughComputed(
            workflow_id=workflow_id,
            producer="forecast",
            payload=SellThroughComputedPayload(
                week_number=2,
                sell_through=0.65,
                by_category={"DRESS": 0.7, "KNIT": 0.55},
                target=0.6,
                below_target=False,
            ),
        )
        for event in (started, checked):
            session.add(
                WorkflowEvent(
                    event_id=event.event_id,
                    workflow_id=workflow_id,
                    type=event.type,
                    stream="planner.forecast",
                    occurred_at=event.occurred_at,
                    envelope=event.model_dump(mode="json"),
                )
            )
        session.add(
            Approval(
                workflow_id=workflow_id,
                kind="manufacturing",
                status="decided",
                proposal={
                    "lines": [
                        {"category_code": "DRESS", "quantity": 470},
                        {"category_code": "KNIT", "quantity": 200},
                    ]
                },
                proposed_value=670,
                min_value=536,
                max_value=804,
                action="modify",
                decided_value=700,
                decided_lines={"DRESS": 500.0, "KNIT": 200.0},
                reason="=promo in week 3",
                decided_by="ann",
                decided_at=datetime(2027, 2, 20, tzinfo=UTC),
                request_event_id=uuid4(),
            )
        )
        session.add(
            WorkflowTransition(
                workflow_id=workflow_id,
                from_state="allocating",
                to_state="in_season",
                accepted=True,
                reason="allocated",
            )
        )
    return workflow_id


async def _get(gateway: Gateway, path: str) -> Any:
    response = await gateway.client.get(path, headers=READER)
    assert response.status_code == 200, response.text
    return response.json()


async def test_weekly_chart_puts_actuals_beside_the_forecast_in_force(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    workflow_id = await _seed(sessionmaker)
    chart = await _get(gateway, f"/api/workflows/{workflow_id}/charts/weekly")
    assert chart["weeks_in"] == [1, 2, 3]
    assert chart["target_sell_through_fraction"] == 0.6
    series = {s["key"]: s for s in chart["series"]}
    assert list(series) == ["TOTAL", "DRESS", "KNIT"]
    total = series["TOTAL"]["points"]
    # Weeks 1-2 against run 1; weeks 3-4 against the re-forecast made after week 2.
    assert [p["forecast_units"] for p in total] == [150.0, 150.0, 200.0, 200.0]
    assert [p["forecast_run_number"] for p in total] == [1, 1, 2, 2]
    assert [p["planned_units"] for p in total] == [150.0] * 4
    assert [p["actual_units"] for p in total] == [170.0, 170.0, 215.0, None]
    assert [p["sell_through_fraction"] for p in total] == [0.2429, 0.4857, 0.7929, None]
    assert total[2]["lower_80"] == 160.0
    assert total[2]["upper_95"] == 260.0
    assert series["TOTAL"]["accuracy"] == {
        "weeks": 3,
        "forecast_units": 500.0,
        "actual_units": 555.0,
        "wape_fraction": 0.0991,  # (20 + 20 + 15) / 555
        "bias_fraction": -0.0991,
    }
    dress = series["DRESS"]
    assert dress["accuracy"]["wape_fraction"] == 0.1463  # (20 + 30 + 10) / 410
    assert dress["manufactured_units"] == 500
    assert [m["run_number"] for m in chart["runs"]] == [1, 2]
    assert chart["runs"][1]["after_week"] == 2
    (mark,) = chart["variance"]
    assert mark["week_number"] == 2
    assert mark["exceeded"] is True
    assert mark["exceeded_categories"] == ["DRESS"]
    assert mark["reforecast_run_number"] == 2
    assert mark["by_category_fraction"] == {"DRESS": 0.25, "KNIT": 0.1}


async def test_forecast_and_allocation_charts(gateway: Gateway, sessionmaker: Sessions) -> None:
    workflow_id = await _seed(sessionmaker)
    forecast = await _get(gateway, f"/api/workflows/{workflow_id}/charts/forecast?run=1")
    assert forecast["run_number"] == 1
    dress = forecast["categories"][0]
    assert dress["category_code"] == "DRESS"
    assert dress["weights"] == {"prophet": 0.6, "arima": 0.4}
    assert dress["backtest_errors"] == {"prophet": 0.12, "arima": 0.18}
    assert [p["forecast_units"] for p in dress["forecast"]] == [100.0] * 4
    assert dress["forecast"][0]["lower_95"] == 70.0
    newest = await _get(gateway, f"/api/workflows/{workflow_id}/charts/forecast")
    assert newest["run_number"] == 2
    missing = await gateway.client.get(
        f"/api/workflows/{workflow_id}/charts/forecast?run=9", headers=READER
    )
    assert missing.status_code == 404

    allocation = await _get(gateway, f"/api/workflows/{workflow_id}/charts/allocation")
    assert allocation["manufactured_units"] == 700
    assert allocation["initial_units"] == 420
    assert allocation["holdback_units"] == 280
    assert allocation["dc_holdback_pct"] == 40.0
    clusters = {c["cluster_name"]: c for c in allocation["clusters"]}
    assert clusters["Big"]["initial_units"] == 350
    assert clusters["Big"]["by_category"] == {"DRESS": 250, "KNIT": 100}
    assert clusters["Big"]["replenishment_units"] == 50
    assert clusters["Small"]["replenishment_units"] == 10
    dc = allocation["dc_by_week"]
    assert [w["dc_units"] for w in dc] == [280, 250, 220, 220]
    assert [w["shipped_units"] for w in dc] == [0, 30, 30, 0]
    assert dc[2]["by_category"] == {"DRESS": 150, "KNIT": 70}


async def test_store_drill_down(gateway: Gateway, sessionmaker: Sessions) -> None:
    workflow_id = await _seed(sessionmaker)
    store = await _get(gateway, f"/api/workflows/{workflow_id}/stores/S002")
    assert store["cluster_name"] == "Big"
    dress = store["categories"][0]
    assert dress == {
        "category_code": "DRESS",
        "initial_units": 100,
        "replenishment_by_week": {"3": 20},
        "actual_by_week": {"1": 40, "2": 40, "3": 50},
        "sold_units": 130,
        "received_units": 120,
        "sell_through_fraction": 1.0833,
    }
    unknown = await gateway.client.get(f"/api/workflows/{workflow_id}/stores/S999", headers=READER)
    assert unknown.status_code == 404


async def test_markdown_projection(gateway: Gateway, sessionmaker: Sessions) -> None:
    workflow_id = await _seed(sessionmaker)
    path = f"/api/workflows/{workflow_id}/markdowns/projection?markdown_pct="
    none = await _get(gateway, path + "0")
    assert none["baseline_sell_through_fraction"] == none["projected_sell_through_fraction"]
    assert none["margin_gain"] == 0.0
    knit = {c["category_code"]: c for c in none["categories"]}["KNIT"]
    # On the ledger: 145 sold, then week 4's forecast of 50 split over three stores, within
    # each store's stock: S003 holds 9 of its 16.7 (the DC ran dry in week 2).
    assert knit["baseline_units"] == 186.7
    assert knit["available_units"] == 200  # the order (its plan found no stock on hand)
    projection = await _get(gateway, path + "20")
    knit = {c["category_code"]: c for c in projection["categories"]}["KNIT"]
    # 20 % off at a demand elasticity of -1.5 lifts week 4 by 0.8 ** -1.5 = 1.40: S001 sells
    # 23.3 of its 30, S002 and S003 what they hold (16 and 9).
    lifted = 50 / 3 * 0.8**-1.5
    assert knit["projected_units"] == pytest.approx(145 + lifted + 16 + 9, abs=0.1)
    assert knit["projected_revenue"] == pytest.approx(145 * 49 + (lifted + 25) * 49 * 0.8, abs=0.5)
    assert projection["projected_revenue"] == pytest.approx(
        sum(c["projected_revenue"] for c in projection["categories"]), abs=0.05
    )
    assert projection["margin_gain"] == pytest.approx(
        projection["projected_season_margin"] - projection["baseline_season_margin"], abs=0.05
    )
    depths = [c["markdown_pct"] for c in projection["candidates"]]
    assert depths == [0, 5, 10, 15, 20, 25, 30, 35, 40]
    margins = {c["markdown_pct"]: c["season_margin"] for c in projection["candidates"]}
    assert margins[projection["best_for_margin_pct"]] == max(margins.values())
    assert margins[projection["best_for_margin_pct"]] >= margins[0]
    for bad, words in (("0.2", "looks like a fraction"), ("120", "less than or equal")):
        refused = await gateway.client.get(path + bad, headers=READER)
        assert refused.status_code == 422
        assert words in refused.text


async def test_overview_says_when_planning_is_done_and_who_acts_next(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    workflow_id = await _seed(sessionmaker)
    waiting = await new_workflow(sessionmaker, "awaiting_manufacturing_approval", PARAMETERS)
    overview = await _get(gateway, f"/api/workflows/{workflow_id}/overview")
    assert overview["phase"] == "in_season"
    assert overview["pre_season_planning_done"] is True
    assert overview["pre_season_planning_done_at"] is not None
    assert overview["weeks_in"] == 3
    assert overview["progress_fraction"] == 0.75
    assert overview["waiting_for"] == {"who": "planner", "what": "upload week 4's actuals"}
    seasons = await _get(gateway, "/api/seasons")
    first, second = seasons["items"]
    assert first["workflow_id"] == str(waiting)
    assert first["pre_season_planning_done"] is False
    assert first["phase"] == "pre_season"
    assert first["waiting_for"] == {"who": "approver", "what": "decide the manufacturing order"}
    assert second["workflow_id"] == str(workflow_id)


async def test_report_and_csv(gateway: Gateway, sessionmaker: Sessions) -> None:
    workflow_id = await _seed(sessionmaker)
    report = await _get(gateway, f"/api/workflows/{workflow_id}/report")
    total, dress, knit = report["categories"]
    assert total["category_code"] == "TOTAL"
    assert total["planned_units"] == 600.0
    assert total["final_forecast_units"] == 755.0  # 555 sold + 200 forecast for week 4
    assert total["manufactured_units"] == 700
    assert total["recommended_units"] == 670
    assert total["actual_units"] == 555.0
    assert total["wape_fraction"] == 0.0991
    assert total["bias_fraction"] == -0.0991
    assert dress["sell_through_fraction"] == 0.82  # 410 / 500
    assert knit["manufactured_units"] == 200
    (decision,) = report["decisions"]
    assert decision["decided_by"] == "ann"
    assert decision["decided_value"] == 700
    assert decision["unit"] == "units"
    # The lines as decided (dresses +30, knitwear as proposed), not the total spread pro rata.
    assert decision["proposed_lines"] == {"DRESS": 470, "KNIT": 200}
    assert decision["decided_lines"] == {"DRESS": 500, "KNIT": 200}
    assert [r["run_number"] for r in report["forecast_runs"]] == [1, 2]
    assert report["weeks_over_threshold"] == [2]
    assert report["checkpoint"]["note"] == CHECKPOINT_NOTE

    response = await gateway.client.get(f"/api/workflows/{workflow_id}/report.csv", headers=READER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {"section", "item", "metric", "value", "unit", "by", "at", "note"} == set(rows[0])
    wape = next(r for r in rows if r["item"] == "DRESS" and r["metric"] == "wape_fraction")
    assert wape["value"] == "0.1463"
    assert wape["unit"] == "fraction"
    decided = next(r for r in rows if r["section"] == "decision" and r["metric"] == "decided_value")
    assert decided["value"] == "700.0"
    assert decided["by"] == "ann"
    assert decided["note"] == "modify: =promo in week 3"
    lines = {r["item"]: r for r in rows if r["section"] == "decision_line"}
    assert lines["manufacturing DRESS"]["value"] == "500.0"
    assert lines["manufacturing DRESS"]["note"] == "proposed 470"
    (checkpoint,) = [r for r in rows if r["section"] == "checkpoint"]
    assert checkpoint["item"] == "2"
    assert checkpoint["value"] == "0.65"
    assert checkpoint["note"] == CHECKPOINT_NOTE


async def test_console_reads_need_a_key_and_a_known_workflow(gateway: Gateway) -> None:
    unknown = uuid4()
    for path in ("overview", "charts/weekly", "charts/allocation", "report", "report.csv"):
        assert (await gateway.client.get(f"/api/workflows/{unknown}/{path}")).status_code == 401
        missing = await gateway.client.get(f"/api/workflows/{unknown}/{path}", headers=READER)
        assert missing.status_code == 404, path


async def test_markdown_projection_by_category_and_a_decision_by_lines(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    workflow_id = await _seed(sessionmaker)
    path = f"/api/workflows/{workflow_id}/markdowns/projection?markdown_pct="
    flat = {c["category_code"]: c for c in (await _get(gateway, path + "20"))["categories"]}
    none = {c["category_code"]: c for c in (await _get(gateway, path + "0"))["categories"]}
    mixed = await _get(gateway, path + "0&lines=knit:20")
    by_code = {c["category_code"]: c for c in mixed["categories"]}
    # Each category at its own depth: knitwear as at 20 % everywhere, dresses as at none.
    assert by_code["KNIT"]["markdown_pct"] == 20
    assert by_code["KNIT"]["projected_season_margin"] == flat["KNIT"]["projected_season_margin"]
    assert by_code["DRESS"]["projected_units"] == none["DRESS"]["projected_units"]
    for c in mixed["categories"]:
        # Each category's own best depth, never worse than no markdown; a history without
        # prices leaves the catalogue's elasticity, and says so.
        assert c["best_for_margin_pct"] is not None
        assert c["demand_elasticity_source"] == "catalogue"
    for bad, field in (("KNIT:45x", "lines.KNIT"), ("SHOE:10", "lines.SHOE")):
        refused = await gateway.client.get(path + "0&lines=" + bad, headers=READER)
        assert refused.status_code == 422, refused.text
        assert field in refused.text
    # A markdown decided by lines: the ledger marks down knitwear alone, from the week after
    # the checkpoint.
    async with transaction(sessionmaker) as session:
        session.add(
            Approval(
                workflow_id=workflow_id,
                kind="markdown",
                status="decided",
                proposal={},
                proposed_value=10,
                min_value=0,
                max_value=40,
                action="modify",
                decided_value=20,
                decided_lines={"KNIT": 20.0, "DRESS": 0.0},
                reason="knits only",
                decided_by="ann",
                decided_at=datetime(2027, 3, 20, tzinfo=UTC),
                request_event_id=uuid4(),
            )
        )
    async with sessionmaker() as session:
        stock = await load_season_stock(session, workflow_id)
    assert set(stock.markdown) == {"KNIT"}
    assert list(stock.markdown["KNIT"]) == [0.0, 0.0, 0.2, 0.2]
    report = await _get(gateway, f"/api/workflows/{workflow_id}/report")
    markdown = next(d for d in report["decisions"] if d["kind"] == "markdown")
    assert markdown["decided_lines"] == {"KNIT": 20.0, "DRESS": 0.0}
