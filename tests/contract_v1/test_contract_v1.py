"""Contract v1 (docs/frontend-v1.md), played against the running stack the way
the study's React client plays it: extract with `user_input`, create with the client's exact
body, open the socket (twice, as its development build does) before execute, upload, execute,
follow the socket without ever sending a frame for over a minute, then read the forecast
summary, the clusters, the weekly chart, variance, allocation and markdown. Field names,
types, units and error bodies are asserted as the contract's sections state them.

The client adds only its key (docs/frontend-v1.md): `Authorization: Bearer` on HTTP and
`?token=` on the socket. The one thing it cannot do, approve the manufacturing order, is done
with the design's approval call (§20), as an approver would.
"""

from __future__ import annotations

import asyncio
import csv
import json
import re
import time
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from planner_tools.testing.stack import Stack

from .conftest import SAMPLE_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("contract_v1"), pytest.mark.timeout(420)]

KEY = "dev-planner-key"
APPROVER_KEY = "dev-approver-key"
ORIGIN = "http://localhost:5173"
# JSON calls carry Content-Type on every method, GET included (§1).
HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json", "Origin": ORIGIN}
UPLOAD_HEADERS = {"Authorization": f"Bearer {KEY}", "Origin": ORIGIN}
USER_INPUT = (
    "Plan the 12-week spring season starting March 3, 2025, replenish bi-weekly, keep 45% at "
    "the DC, check markdowns at week 6 if sell-through is under 60%"
)
FOLLOW_SECONDS = 65  # over a minute, never answering a ping
CARDS = {"Demand Agent", "Inventory Agent", "Pricing Agent"}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _detail(response: httpx.Response) -> str:
    assert response.status_code >= 400
    body = response.json()
    assert isinstance(body["detail"], str), body
    return str(body["detail"])


class Follower:
    """One socket as the client holds it: it reads, and never sends anything."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.messages: list[dict[str, Any]] = []
        self.opened = time.monotonic()
        self.closed: int | None = None
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for frame in self.socket:
                assert isinstance(frame, str), "every server frame is text"
                self.messages.append(json.loads(frame))
        finally:
            self.closed = self.socket.close_code if self.socket.close_code is not None else -1

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == kind]

    async def wait_for(self, kind: str, within: float, **match: Any) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for message in self.of(kind):
                if all(message.get(k) == v for k, v in match.items()):
                    return message
            errors = [m for m in self.of("error") if m.get("agent") is not None]
            assert not errors, errors
            assert self.closed is None, f"socket closed with {self.closed}"
            await asyncio.sleep(0.2)
        raise AssertionError(f"no {kind} {match} within {within}s; got {self.messages[-5:]}")


def _sales_rows(weeks: range) -> str:
    """The season's DRES sales from the stored history, in the sales_data format."""
    starts = {
        f"2025-{m:02d}-{d:02d}": n
        for n, (m, d) in enumerate(
            [(3, 3), (3, 10), (3, 17), (3, 24), (3, 31), (4, 7), (4, 14), (4, 21)], start=1
        )
    }
    lines = ["store_id,week,sales_units,sales_revenue,inventory_on_hand"]
    with (SAMPLE_DIR / "historical_sales.csv").open() as f:
        for row in csv.DictReader(f):
            week = starts.get(row["week_start"])
            if row["category_code"] == "DRES" and week in weeks:
                units = int(row["units"])
                lines.append(f"{row['store_code']},{week},{units},{units * 79.0:.2f},0")
    return "\n".join(lines) + "\n"


STORES = [f"S{n:03d}" for n in range(1, 51)]
GOOD_UPLOADS: dict[str, tuple[str, str]] = {
    "store_profiles": (
        "demand",
        "store_id,store_name,region,size_sqft,cluster_id\n"
        + "".join(
            f"{s},Store {s},Region {n % 3},{12000 + 300 * n},{'premium' if n <= 10 else 'value'}\n"
            for n, s in enumerate(STORES, start=1)
        ),
    ),
    "dc_inventory": (
        "inventory",
        "sku,dc_location,available_units,reserved_units\nDRES-001,east,900,150\nDRES-002,west,400,50\n",
    ),
    "lead_times": ("inventory", "store_id,dc_location,lead_time_days\nS001,east,3\nS002,east,10\n"),
    "safety_stock": ("inventory", "store_id,safety_stock_units,reorder_point\nS001,10,20\n"),
    "markdown_history": (
        "pricing",
        "week,markdown_pct,sell_through_pct,demand_lift_pct\n6,0.20,0.55,0.30\n8,0.30,0.50,0.48\n",
    ),
    "elasticity": ("pricing", "category,elasticity_coefficient\nwomens_dresses,2.2\n"),
}
BAD_UPLOADS: dict[str, tuple[str, str, str]] = {
    "sales_data": ("demand", "store_id,week,sales_units\nS001,1,5\n", "MISSING_COLUMN"),
    "store_profiles": (
        "demand",
        "store_id,store_name,region,size_sqft,cluster_id\nS001,A,B,huge,premium\n",
        "DATA_TYPE_MISMATCH",
    ),
    "dc_inventory": ("inventory", "sku,dc_location,available_units,reserved_units\n", "EMPTY_FILE"),
    "lead_times": ("inventory", "store_id,dc_location,lead_time_days\nS404,east,3\n", "OTHER"),
    "safety_stock": (
        "inventory",
        "store_id,safety_stock_units,reorder_point\nS001,1,2\nS001,3,4\n",
        "DUPLICATE_ROWS",
    ),
    "markdown_history": (
        "pricing",
        "week,markdown_pct,sell_through_pct,demand_lift_pct\n6,N/A,0.5,0.3\n",
        "DATA_TYPE_MISMATCH",
    ),
    "elasticity": ("pricing", "category,elasticity_coefficient\nshoes,2\n", "OTHER"),
}


async def _upload(
    client: httpx.AsyncClient, wf: str, agent: str, file_type: str, content: str
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/workflows/{wf}/{agent}/upload",
        files={"file": (f"{file_type}.csv", content.encode())},
        data={"file_type": file_type},
        headers=UPLOAD_HEADERS,
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == ORIGIN
    answer: dict[str, Any] = response.json()
    assert set(answer) >= {
        "workflow_id",
        "file_type",
        "file_name",
        "file_size_bytes",
        "rows_uploaded",
        "columns",
        "validation_status",
        "errors",
        "uploaded_at",
        "message",
    }
    assert answer["workflow_id"] == wf
    assert answer["file_type"] == file_type
    assert isinstance(answer["file_size_bytes"], int)
    assert ISO_Z.match(answer["uploaded_at"])
    return answer


async def _extract(client: httpx.AsyncClient) -> dict[str, Any]:
    preflight = await client.options(
        "/api/v1/parameters/extract",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    unauthorised = await client.post(
        "/api/v1/parameters/extract", json={"user_input": USER_INPUT}, headers={"Origin": ORIGIN}
    )
    assert unauthorised.status_code == 401
    assert _detail(unauthorised)
    assert (
        await client.post("/api/v1/parameters/extract", json={"user_input": ""}, headers=HEADERS)
    ).status_code == 422
    answer = await client.post(
        "/api/v1/parameters/extract", json={"user_input": USER_INPUT}, headers=HEADERS
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    p = body["parameters"]
    assert body["confidence"] in {"high", "medium", "low"}  # a string: upper-cased by the client
    assert isinstance(body["reasoning"], str)
    assert p["forecast_horizon_weeks"] == 12
    assert p["season_start_date"] == "2025-03-03"
    assert p["season_end_date"] > p["season_start_date"]
    assert p["replenishment_strategy"] == "bi-weekly"  # the hyphen
    assert p["dc_holdback_percentage"] == pytest.approx(0.45)  # a fraction
    assert p["markdown_checkpoint_week"] == 6
    assert p["markdown_threshold"] == pytest.approx(0.6)
    return body


async def test_a_pre_season_as_the_client_plays_it(v1_stack: Stack) -> None:
    base_ws = v1_stack.gateway_url.replace("http://", "ws://")
    async with httpx.AsyncClient(base_url=v1_stack.gateway_url, timeout=30.0) as client:
        extracted = await _extract(client)
        # §6: the client's exact body.
        body = {
            "parameters": extracted["parameters"]
            | {
                "extraction_confidence": extracted["confidence"],
                "extraction_reasoning": extracted["reasoning"],
            },
            "category_id": "womens_dresses",
        }
        created = await client.post("/api/v1/workflows/forecast", json=body, headers=HEADERS)
        assert created.status_code == 201, created.text
        wf = created.json()["workflow_id"]
        assert re.fullmatch(r"wf_[0-9a-f]{12}", wf)
        assert created.json()["status"] == "pending"
        assert wf in created.json()["websocket_url"]
        # The chart asks for the literal id at once; no forecast of this workflow yet.
        # §8: opened before execute, two per tab in development; the URL plus ?token= only.
        url = f"{base_ws}/api/v1/workflows/{wf}/stream?token={KEY}"
        sockets = [Follower(await connect(url)), Follower(await connect(url))]
        for follower in sockets:
            hello = await follower.wait_for("connection_established", 10)
            assert hello["workflow_id"] == wf
            assert ISO_Z.match(hello["timestamp"])
        # A bad key refuses the upgrade (HTTP 403): the client stops after its retries.
        with pytest.raises(Exception, match="403"):
            await connect(f"{base_ws}/api/v1/workflows/{wf}/stream?token=wrong")

        # §12: every upload type, bad then good, before execute (planning reads them).
        for file_type, (agent, content, error_type) in BAD_UPLOADS.items():
            bad = await _upload(client, wf, agent, file_type, content)
            assert bad["validation_status"] == "INVALID", bad
            assert bad["rows_uploaded"] == 0, bad
            assert bad["errors"][0]["error_type"] == error_type, bad
            assert isinstance(bad["errors"][0]["message"], str)
        early = await _upload(client, wf, "demand", "sales_data", _sales_rows(range(1, 2)))
        assert early["validation_status"] == "INVALID"
        assert "while the season runs" in early["errors"][0]["message"]
        for file_type, (agent, content) in GOOD_UPLOADS.items():
            good = await _upload(client, wf, agent, file_type, content)
            assert good["validation_status"] == "VALID", good
            assert good["errors"] is None
            assert good["rows_uploaded"] == content.count("\n") - 1
        xlsx = await client.post(
            f"/api/v1/workflows/{wf}/demand/upload",
            files={"file": ("sales.xlsx", b"PK")},
            data={"file_type": "sales_data"},
            headers=UPLOAD_HEADERS,
        )
        assert xlsx.status_code == 400
        assert "csv" in _detail(xlsx).lower()

        # §7: execute; the button is re-enabled after every answer.
        for _ in range(2):
            run = await client.post(f"/api/v1/workflows/{wf}/execute", json={}, headers=HEADERS)
            assert run.status_code == 202, run.text
            assert run.json()["workflow_id"] == wf
        first = sockets[0]
        started = await first.wait_for("agent_started", 240, agent="Demand Agent")
        assert ISO_Z.match(started["timestamp"])
        ask = await first.wait_for(
            "human_input_required", 180, action="approve_manufacturing_order"
        )
        assert ask["agent"] == "Inventory Agent"
        assert ask["options"] == ["modify", "accept"]
        data = ask["data"]
        assert isinstance(data["manufacturing_qty"], int)
        assert data["initial_allocation"] + data["holdback"] == data["manufacturing_qty"]
        assert 0 < data["safety_stock_pct"] < 1  # a fraction
        # The uploaded DC inventory is the stock on hand: (900-150) + (400-50).
        assert [line["stock_on_hand"] for line in data["lines"]] == [1100]
        status = (await client.get(f"/api/v1/workflows/{wf}", headers=HEADERS)).json()
        assert status["status"] == "awaiting_approval"
        assert isinstance(status["progress_pct"], int)

        # §20, as an approver: recalculating changes nothing, accepting approves.
        approver = {"Authorization": f"Bearer {APPROVER_KEY}", "Content-Type": "application/json"}
        recalculated = await client.post(
            "/api/v1/approvals/manufacturing",
            json={"workflow_id": wf, "action": "modify", "safety_stock_pct": 0.2},
            headers=approver,
        )
        assert recalculated.status_code == 200, recalculated.text
        assert recalculated.json()["status"] == "recalculated"
        assert recalculated.json()["manufacturing_qty"] == int(
            recalculated.json()["forecast_total"] * 1.2
        )
        accepted = await client.post(
            "/api/v1/approvals/manufacturing",
            json={"workflow_id": wf, "action": "accept"},
            headers=approver,
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["status"] == "approved"

        complete = await first.wait_for("workflow_complete", 180)
        result = complete["result"]
        hexid = wf.removeprefix("wf_")
        assert result == {
            "forecast_id": f"fc_{hexid}",
            "allocation_id": f"al_{hexid}",
            "markdown_id": f"md_{hexid}",
        }
        assert isinstance(complete["duration_seconds"], float | int)
        assert complete["duration_seconds"] > 0
        for message in first.messages:
            assert isinstance(message["type"], str), message
            assert ISO_Z.match(message["timestamp"]), message
            if message["type"] == "agent_progress" and message["agent"] in CARDS:
                assert isinstance(message["progress_pct"], int)
                assert 0 <= message["progress_pct"] <= 100
                assert isinstance(message["message"], str)
            if message["type"] == "agent_completed":
                assert isinstance(message["duration_seconds"], float | int)
        for agent in ("Demand Agent", "Inventory Agent"):
            assert any(m["agent"] == agent for m in first.of("agent_completed")), agent
        assert len(first.of("workflow_complete")) == 1

        # §9 forecast summary, by its id, by the workflow id, and §11 by the literal id.
        summary = (
            await client.get(f"/api/v1/forecasts/{result['forecast_id']}", headers=HEADERS)
        ).json()
        assert summary["forecast_id"] == result["forecast_id"]
        assert summary["workflow_id"] == wf
        assert summary["category_name"] == "Dresses"
        assert summary["season"] == "Spring 2025"
        assert isinstance(summary["total_season_demand"], float | int)
        assert summary["total_season_demand"] > 0
        assert isinstance(summary["forecasting_method"], str)
        assert summary["forecasting_method"]
        assert 1 <= summary["peak_week"] <= 12
        assert isinstance(summary["adaptation_reasoning"], str)
        assert summary["season_parameters"]["dc_holdback_percentage"] == pytest.approx(0.45)
        assert 0 < summary["safety_stock_pct"] < 1
        by_workflow = (await client.get(f"/api/v1/forecasts/{wf}", headers=HEADERS)).json()
        assert by_workflow["forecast_id"] == result["forecast_id"]
        chart = await client.get("/api/v1/forecasts/FORECAST_SPRING_2025", headers=HEADERS)
        assert chart.status_code == 200
        chart_body = chart.json()
        assert chart_body["forecast_id"] == result["forecast_id"]  # the newest forecast
        curve = chart_body["weekly_demand_curve"]
        assert [w["week_number"] for w in curve] == list(range(1, 13))
        for week in curve:
            assert isinstance(week["forecasted_units"], float | int)
            assert week["forecasted_units"] >= 0
            # A 2025 season lies inside the stored history: its actuals are compared.
            assert isinstance(week["actual_units"], float | int)
            assert week["variance_pct"] == pytest.approx(
                (week["actual_units"] - week["forecasted_units"]) / week["forecasted_units"] * 100,
                abs=0.01,
            )
        assert sum(w["forecasted_units"] for w in curve) == pytest.approx(
            chart_body["total_season_demand"], rel=1e-6
        )
        assert (
            await client.get("/api/v1/forecasts/invalid_id_xyz", headers=HEADERS)
        ).status_code == 404

        # §10 clusters: a bare list, percent, upper-case tiers, store objects.
        clusters = (await client.get("/api/v1/stores/clusters", headers=HEADERS)).json()
        assert isinstance(clusters, list)
        assert clusters
        assert sum(c["allocation_percentage"] for c in clusters) == pytest.approx(100, abs=0.1)
        assert sum(c["store_count"] for c in clusters) == 50
        for c in clusters:
            assert c["fashion_tier"] in {"PREMIUM", "MAINSTREAM", "VALUE"}
            assert isinstance(c["total_units"], float | int)
            assert c["store_count"] == len(c["stores"])
            for store in c["stores"]:
                assert isinstance(store["store_id"], str)
                assert isinstance(store["forecast_units"], float | int)
                assert 0 <= store["confidence"] <= 100
                assert store["status"] in {
                    "Active",
                    "Warning",
                    "Low Stock",
                }
                assert store["size_tier"] in {"Large", "Medium", "Small"}
                assert isinstance(store["mall_location"], bool)
                assert isinstance(store["size_sqft"], int)
                assert isinstance(store["foot_traffic"], float | int)
        # The uploaded store profiles fed the clustering (their segment is a feature).
        api_workflow = (await client.get("/api/workflows?limit=1", headers=HEADERS)).json()[
            "items"
        ][0]
        api_clusters = (
            await client.get(
                f"/api/workflows/{api_workflow['workflow_id']}/clusters", headers=HEADERS
            )
        ).json()["clusters"]
        assert all("segment" in c["profile"]["attribute_mix"] for c in api_clusters)

        # §15 allocation plan.
        plan = (
            await client.get(f"/api/v1/allocations/{result['allocation_id']}", headers=HEADERS)
        ).json()
        assert plan["allocation_id"] == result["allocation_id"]
        assert plan["replenishment_strategy"] == "bi-weekly"
        assert isinstance(plan["manufacturing_order"], int)
        assert plan["manufacturing_order"] > 0
        assert (
            plan["initial_allocation_total"] + plan["dc_holdback_total"]
            == plan["manufacturing_order"]
        )
        assert plan["dc_holdback_pct"] == pytest.approx(0.45)
        lines = {line["store_id"]: line for line in plan["store_allocations"]}
        assert lines["S002"]["lead_time_days"] == 10
        assert lines["S001"]["reorder_point"] == 20
        # The plan itself used the uploaded safety stock and lead times (on /api too).
        assert lines["S001"]["safety_stock_units"] == 10
        assert any(
            w["message"].startswith("S002: a 10-day lead time puts a delivery 2 weeks in transit")
            and w["week_number"] == 10
            for w in plan["dc_inventory_warnings"]
        ), plan["dc_inventory_warnings"]
        api_results = (
            await client.get(
                f"/api/workflows/{api_workflow['workflow_id']}/results", headers=HEADERS
            )
        ).json()
        for order in api_results["manufacturing_orders"]:
            reasoning = order["reasoning"]
            assert reasoning["uploaded_safety_stock_stores"] == ["S001"]
            assert reasoning["initial_shipment"]["dc_ship_by"] == "2025-02-21"  # 10 days before
            assert reasoning["stores"]["S002"]["transit_weeks"] == 2
            assert reasoning["stores"]["S002"]["last_replenishment_week"] == 10
        assert (await client.get(f"/api/v1/allocations/{wf}", headers=HEADERS)).json()[
            "allocation_id"
        ] == result["allocation_id"]

        # §13 variance against the history of those weeks (nothing uploaded yet).
        week1 = (
            await client.get(f"/api/v1/variance/{result['forecast_id']}/week/1", headers=HEADERS)
        ).json()
        assert week1["week_number"] == week1["week"] == 1
        assert week1["actuals_source"] == "history"
        assert week1["variance_pct"] == pytest.approx(
            (week1["actual_cumulative"] - week1["forecasted_cumulative"])
            / week1["forecasted_cumulative"]
            * 100,
            abs=0.01,
        )
        assert len(week1["store_level_variance"]) == 50
        summary14 = (await client.get(f"/api/v1/variance/{wf}/summary", headers=HEADERS)).json()
        assert summary14["total_stores"] == 50
        assert isinstance(summary14["average_variance_percentage"], float | int)

        # §17 before the checkpoint: 404 with a detail.
        early_markdown = await client.get(
            f"/api/v1/markdowns/{result['markdown_id']}", headers=HEADERS
        )
        assert early_markdown.status_code == 404
        assert "week 6" in _detail(early_markdown)

        # In season: six weeks of sales through the v1 upload, one domain week each.
        sales = await _upload(client, wf, "demand", "sales_data", _sales_rows(range(1, 7)))
        assert sales["validation_status"] == "VALID", sales
        assert sales["rows_uploaded"] == 300

        # Follow for over a minute without sending a thing: pings are information only.
        remaining = FOLLOW_SECONDS - (time.monotonic() - first.opened)
        if remaining > 0:
            await asyncio.sleep(remaining)
        for follower in sockets:
            assert follower.closed is None, f"closed with {follower.closed}"
            assert len(follower.of("ping")) >= 2, follower.of("ping")

        week6 = await _wait_variance(client, wf, 6)
        assert week6["actuals_source"] == "uploaded"
        assert week6["action_taken"] in {
            "none",
            "reforecast_triggered",
        }
        markdown = await _wait_markdown(client, result["markdown_id"])
        assert markdown["markdown_checkpoint_week"] == 6
        assert markdown["markdown_threshold"] == pytest.approx(0.6)
        assert 0 <= markdown["actual_sell_through"] <= 1
        assert 0 <= markdown["recommended_markdown_percentage"] <= 0.4
        assert markdown["decision"] in {"APPLY_MARKDOWN", "NO_MARKDOWN_NEEDED"}
        assert markdown["gap"] == pytest.approx(
            markdown["markdown_threshold"] - markdown["actual_sell_through"], abs=1e-6
        )
        if markdown["decision"] == "APPLY_MARKDOWN":
            assert markdown["elasticity_coefficient"] == pytest.approx(2.2)  # the uploaded one
            assert "uploaded markdown history" in markdown["risk_assessment"]
        for follower in sockets:
            await follower.socket.close(1000, "Client disconnecting")
            await follower.task


async def _wait_variance(client: httpx.AsyncClient, wf: str, week: int) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        answer = await client.get(f"/api/v1/variance/{wf}/week/{week}", headers=HEADERS)
        if answer.status_code == 200 and answer.json()["action_taken"] is not None:
            return dict(answer.json())
        await asyncio.sleep(1)
    raise AssertionError(f"no variance check of week {week}: {answer.text}")


async def _wait_markdown(client: httpx.AsyncClient, markdown_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        answer = await client.get(f"/api/v1/markdowns/{markdown_id}", headers=HEADERS)
        if answer.status_code == 200:
            return dict(answer.json())
        assert answer.status_code == 404
        assert _detail(answer)
        await asyncio.sleep(1)
    raise AssertionError(f"no markdown analysis: {answer.text}")
