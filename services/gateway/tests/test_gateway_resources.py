"""Resource endpoints over stored results: what the forecast, agents and approvals services
write, read back through the ASGI app."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

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
)
from planner_shared.events import (
    StateChangedPayload,
    WorkflowStateChanged,
)
from planner_shared.workflow import WorkflowState
from planner_tools.testing.forecasts import add_forecast, add_upload
from planner_tools.testing.gateway import READER, Gateway, Sessions, new_workflow, seed_reference


async def _seed_season(sessionmaker: Sessions) -> UUID:
    ids = await seed_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, "in_season")
    async with transaction(sessionmaker) as session:
        for run, reason, scale in ((1, "initial", 1.0), (2, "variance", 1.2)):
            for code in ("DRESS", "KNIT"):
                await add_forecast(
                    session,
                    workflow_id,
                    ids[code],
                    dict.fromkeys((1, 2, 3), (100.0 * scale, 80.0, 120.0, 70.0, 130.0, 95.0)),
                    season_start=date(2027, 3, 1),
                    season_total=300.0 * scale,
                    run_number=run,
                    reason=reason,
                    diagnostics={"weights": {"prophet": 0.6, "arima": 0.4}},
                )
        big = StoreCluster(
            id=uuid4(),
            workflow_id=workflow_id,
            label=0,
            name="Large stores",
            profile={"size_sqft": 9000},
            silhouette=0.7,
        )
        small = StoreCluster(
            id=uuid4(),
            workflow_id=workflow_id,
            label=1,
            name="Small stores",
            profile={"size_sqft": 3000},
            silhouette=0.7,
        )
        session.add_all([big, small])
        await session.flush()
        members = {"S001": big, "S002": big, "S003": small}
        for code, cluster in members.items():
            session.add(
                StoreClusterMember(
                    workflow_id=workflow_id, store_id=ids[code], cluster_id=cluster.id
                )
            )
        for code in ("DRESS", "KNIT"):
            session.add(
                ManufacturingOrder(
                    workflow_id=workflow_id,
                    category_id=ids[code],
                    forecast_units=300.0,
                    safety_stock_pct=0.15,
                    stock_on_hand=100,
                    recommended_quantity=245,
                    approved_quantity=200,
                    reasoning={"formula": "300 x 1.15 - 100"},
                )
            )
        for store, units in (("S001", 90), ("S002", 60), ("S003", 30)):
            session.add(
                Allocation(
                    workflow_id=workflow_id,
                    store_id=ids[store],
                    category_id=ids["DRESS"],
                    kind="initial",
                    week_number=0,
                    units=units,
                )
            )
        session.add(
            Allocation(
                workflow_id=workflow_id,
                store_id=ids["S001"],
                category_id=ids["DRESS"],
                kind="replenishment",
                week_number=2,
                units=12,
            )
        )
        upload = await add_upload(session, workflow_id, 1, row_count=1, uploaded_by="pat")
        session.add(
            WeeklyActual(
                workflow_id=workflow_id,
                store_id=ids["S001"],
                category_id=ids["DRESS"],
                week_number=1,
                units_sold=130,
                upload_id=upload.id,
            )
        )
        session.add(
            VarianceCheck(
                workflow_id=workflow_id,
                week_number=1,
                forecast_units=200.0,
                actual_units=250.0,
                variance=0.25,
                threshold=0.2,
                exceeded=True,
                # As the forecast service stores it: categories and the compared window.
                by_category={
                    "DRESS": {
                        "category_code": "DRESS",
                        "forecast_units": 200.0,
                        "actual_units": 250.0,
                        "variance": 0.25,
                        "exceeded": True,
                    },
                    "_compared_weeks": [1, 1],
                },
            )
        )
        session.add(
            Approval(
                workflow_id=workflow_id,
                kind="markdown",
                status="pending",
                proposal={
                    "kind": "markdown",
                    "percentage": 20.0,
                    "max_percentage": 40.0,
                    "week_number": 6,
                    "sell_through": 0.48,
                    "target": 0.6,
                    "elasticity": 1.8,
                    "rationale": "12% gap x 1.8 = 21.6%, rounded to 20%",
                },
                proposed_value=20.0,
                min_value=0.0,
                max_value=40.0,
                request_event_id=uuid4(),
            )
        )
        for n, (a, b) in enumerate([("created", "forecasting"), ("forecasting", "in_season")]):
            event = WorkflowStateChanged(
                workflow_id=workflow_id,
                producer="agents",
                occurred_at=datetime(2027, 3, 1, tzinfo=UTC) + timedelta(minutes=n),
                payload=StateChangedPayload(
                    from_state=WorkflowState(a), to_state=WorkflowState(b), reason="test"
                ),
            )
            session.add(
                WorkflowEvent(
                    event_id=event.event_id,
                    workflow_id=workflow_id,
                    type=event.type,
                    stream="x.workflow",
                    occurred_at=event.occurred_at,
                    envelope=event.model_dump(mode="json"),
                )
            )
    return workflow_id


async def test_reference_data(gateway: Gateway, sessionmaker: Sessions) -> None:
    await seed_reference(sessionmaker)
    stores = (await gateway.client.get("/api/stores", headers=READER)).json()
    assert stores["count"] == 3
    assert [s["store_id"] for s in stores["stores"]] == ["S001", "S002", "S003"]
    assert stores["stores"][0]["size_sqft"] == 12000
    categories = (await gateway.client.get("/api/categories", headers=READER)).json()
    assert [c["id"] for c in categories["categories"]] == ["DRESS", "KNIT"]
    assert categories["categories"][0]["price_elasticity"] == 1.8
    assert (await gateway.client.get("/api/stores")).status_code == 401
    assert (await gateway.client.get("/api/v1/categories", headers=READER)).status_code == 200


async def test_season_resources(gateway: Gateway, sessionmaker: Sessions) -> None:
    workflow_id = await _seed_season(sessionmaker)
    base = f"/api/workflows/{workflow_id}"

    forecasts = (await gateway.client.get(f"{base}/forecasts", headers=READER)).json()
    assert forecasts["run_numbers"] == [1, 2]
    assert [(f["run_number"], f["category_code"]) for f in forecasts["forecasts"]] == [
        (2, "DRESS"),
        (2, "KNIT"),
    ]
    curve = forecasts["forecasts"][0]["weekly_demand_curve"]
    assert [w["week_number"] for w in curve] == [1, 2, 3]
    assert curve[0]["forecasted_units"] == 120.0
    assert curve[0]["lower_95"] == 70.0
    assert curve[2]["week_start_date"] == "2027-03-15"
    first = (await gateway.client.get(f"{base}/forecasts?run_number=1", headers=READER)).json()
    assert {f["total_season_demand"] for f in first["forecasts"]} == {300.0}
    every = (await gateway.client.get(f"{base}/forecasts?all_runs=true", headers=READER)).json()
    assert len(every["forecasts"]) == 4
    assert (
        await gateway.client.get(f"{base}/forecasts?run_number=9", headers=READER)
    ).status_code == 404

    clusters = (await gateway.client.get(f"{base}/clusters", headers=READER)).json()["clusters"]
    assert [(c["cluster_name"], c["stores"]) for c in clusters] == [
        ("Large stores", ["S001", "S002"]),
        ("Small stores", ["S003"]),
    ]
    assert [c["total_units"] for c in clusters] == [150, 30]
    assert clusters[0]["allocation_fraction"] == round(150 / 180, 4)

    plan = (await gateway.client.get(f"{base}/allocations", headers=READER)).json()
    assert plan["manufacturing_qty"] == 400
    assert plan["initial_allocation_total"] == 180
    assert plan["holdback_total"] == 220
    assert plan["replenishment_total"] == 12
    assert plan["replenishment_by_week"] == {"2": 12}
    flagship = plan["store_allocations"][0]
    assert flagship["store_id"] == "S001"
    assert flagship["cluster_name"] == "Large stores"
    assert flagship["total_season_allocation"] == 102

    variance = (await gateway.client.get(f"{base}/variance", headers=READER)).json()
    assert variance["weeks_with_actuals"] == [1]
    assert variance["checks"][0]["threshold_exceeded"] is True
    assert variance["checks"][0]["variance_fraction"] == 0.25
    assert variance["checks"][0]["compared_weeks"] == [1, 1]
    assert variance["checks"][0]["by_category"]["DRESS"]["actual_units"] == 250.0
    assert set(variance["checks"][0]["by_category"]) == {"DRESS"}
    week = await gateway.client.get(f"{base}/variance?week=1", headers=READER)
    assert week.json()["checks"][0]["actual_cumulative"] == 250.0
    assert (await gateway.client.get(f"{base}/variance?week=2", headers=READER)).status_code == 404
    assert (await gateway.client.get(f"{base}/variance?week=0", headers=READER)).status_code == 422

    markdowns = (await gateway.client.get(f"{base}/markdowns", headers=READER)).json()["markdowns"]
    assert markdowns[0]["recommended_markdown_pct"] == 20.0
    assert markdowns[0]["gap_fraction"] == 0.12
    assert markdowns[0]["status"] == "pending"
    async with sessionmaker() as session, session.begin():
        session.add(
            Approval(
                workflow_id=workflow_id,
                kind="manufacturing",
                status="decided",
                proposal={"kind": "manufacturing", "quantity": 75283},
                proposed_value=75283.0,
                min_value=60227.0,
                max_value=90339.0,
                action="modify",
                decided_value=85000.0,
                request_event_id=uuid4(),
            )
        )
    approvals = (await gateway.client.get(f"{base}/approvals", headers=READER)).json()["approvals"]
    assert [a["kind"] for a in approvals] == ["markdown", "manufacturing"]
    # Both kinds share float columns: a quantity is answered in whole units, percent as is.
    amounts = ("proposed_value", "min_value", "max_value", "decided_value")
    assert [approvals[1][k] for k in amounts] == [75283, 60227, 90339, 85000]
    assert {type(approvals[1][k]) for k in amounts} == {int}
    assert (approvals[0]["proposed_value"], approvals[0]["max_value"]) == (20.0, 40.0)
    assert type(approvals[0]["proposed_value"]) is float

    events = (await gateway.client.get(f"{base}/events", headers=READER)).json()
    assert [e["envelope"]["payload"]["to_state"] for e in events["events"]] == [
        "forecasting",
        "in_season",
    ]
    page = (await gateway.client.get(f"{base}/events?limit=1", headers=READER)).json()
    assert len(page["events"]) == 1
    rest = (
        await gateway.client.get(f"{base}/events?after={page['next_after']}", headers=READER)
    ).json()
    assert [e["seq"] for e in rest["events"]] == [events["events"][1]["seq"]]
    none = await gateway.client.get(f"{base}/events?type=forecast.completed", headers=READER)
    assert none.json()["events"] == []

    results = (await gateway.client.get(f"{base}/results", headers=READER)).json()
    assert [r["season_total"] for r in results["forecast_runs"]] == [600.0, 720.0]
    assert {f["run_number"] for f in results["forecasts"]} == {2}
    assert results["allocation"]["store_allocations"] == []
    assert results["allocation"]["store_count"] == 3
    assert [o["approved_quantity"] for o in results["manufacturing_orders"]] == [200, 200]
    assert len(results["variance_checks"]) == 1
    assert len(results["clusters"]) == 2


async def test_resources_of_unknown_or_empty_workflows(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    unknown = "/api/workflows/9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
    for path in (
        "forecasts",
        "clusters",
        "allocations",
        "variance",
        "markdowns",
        "approvals",
        "events",
        "results",
    ):
        response = await gateway.client.get(f"{unknown}/{path}", headers=READER)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
        assert (await gateway.client.get(f"{unknown}/{path}")).status_code == 401
    empty = await new_workflow(sessionmaker, "created")
    base = f"/api/workflows/{empty}"
    assert (await gateway.client.get(f"{base}/forecasts", headers=READER)).json()["forecasts"] == []
    no_plan = await gateway.client.get(f"{base}/allocations", headers=READER)
    assert no_plan.status_code == 404
    assert "no allocation yet" in no_plan.json()["error"]["message"]
    results = (await gateway.client.get(f"{base}/results", headers=READER)).json()
    assert results["allocation"] is None
    assert results["forecasts"] == []
