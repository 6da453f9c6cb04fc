"""Contract v1 over HTTP in one gateway process (no other service): ids, the pending ->
execute step, units of the create body, error bodies, CORS, uploads, the schema."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from planner_shared.db.frontend_v1 import (
    ReferenceUpload,
    UploadedDcInventory,
    UploadedElasticity,
    UploadedLeadTime,
    UploadedMarkdownHistory,
    UploadedSafetyStock,
    UploadedStoreProfile,
    V1Workflow,
)
from planner_shared.db.models import OutboxMessage, Workflow
from planner_tools.testing.gateway import (
    APPROVER,
    PLANNER,
    READER,
    Gateway,
    Sessions,
    seed_reference,
)

# The body the client builds (§6): the extract answer's parameters plus two keys.
CLIENT_BODY: dict[str, Any] = {
    "parameters": {
        "forecast_horizon_weeks": 12,
        "season_start_date": "2025-03-03",
        "season_end_date": "2025-05-26",
        "replenishment_strategy": "bi-weekly",
        "dc_holdback_percentage": 0.45,
        "markdown_checkpoint_week": 6,
        "markdown_threshold": 0.6,
        "extraction_confidence": "high",
        "extraction_reasoning": "all stated",
    },
    "category_id": "womens_dresses",
}
V1_ID = re.compile(r"^wf_[0-9a-f]{12}$")


def _detail(response: Any) -> str:
    body = response.json()
    assert isinstance(body.get("detail"), str), body
    return str(body["detail"])


async def _create(gateway: Gateway, body: dict[str, Any] | None = None) -> str:
    answer = await gateway.client.post(
        "/api/v1/workflows/forecast", json=body or CLIENT_BODY, headers=PLANNER
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["workflow_id"])


async def test_create_is_pending_and_execute_starts_once(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    answer = await gateway.client.post(
        "/api/v1/workflows/forecast", json=CLIENT_BODY, headers=PLANNER
    )
    assert answer.status_code == 201
    created = answer.json()
    assert set(created) == {"workflow_id", "status", "websocket_url"}
    assert V1_ID.match(created["workflow_id"])
    assert created["status"] == "pending"
    assert created["websocket_url"].startswith("ws://")
    assert created["websocket_url"].endswith(f"/api/v1/workflows/{created['workflow_id']}/stream")
    v1_id = created["workflow_id"]
    async with sessionmaker() as session:
        row = await session.get(V1Workflow, v1_id)
        assert row is not None
        assert row.executed_at is None
        # Units translated once: a fraction in, the domain's percent stored.
        assert row.parameters["dc_holdback_percentage"] == 45.0
        assert row.parameters["replenishment_strategy"] == "bi_weekly"
        assert row.category_codes == ["DRESS"]  # womens_dresses is Dresses
        assert await session.get(Workflow, row.workflow_id) is None  # nothing runs yet
    status = (await gateway.client.get(f"/api/v1/workflows/{v1_id}", headers=READER)).json()
    assert (status["status"], status["progress_pct"], status["workflow_type"]) == (
        "pending",
        0,
        "forecast",
    )

    for _ in range(3):  # the client re-enables Run Forecast after every answer
        executed = await gateway.client.post(
            f"/api/v1/workflows/{v1_id}/execute", json={}, headers=PLANNER
        )
        assert executed.status_code == 202, executed.text
        assert executed.json()["status"] == "running"
        assert executed.json()["workflow_id"] == v1_id
    async with sessionmaker() as session:
        row = await session.get(V1Workflow, v1_id)
        assert row is not None
        assert row.executed_at is not None
        workflow = await session.get(Workflow, row.workflow_id)
        assert workflow is not None
        assert workflow.parameters is not None
        assert workflow.parameters["dc_holdback_percentage"] == 45.0
        requested = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.type == "workflow.requested")
        )
        assert requested == 1  # three executes, one command


async def test_create_accepts_nulls_and_refuses_bad_values_with_a_string_detail(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    no_markdown = {
        "parameters": CLIENT_BODY["parameters"]
        | {"markdown_checkpoint_week": None, "markdown_threshold": None},
        "category_id": "something_we_do_not_sell",
    }
    v1_id = await _create(gateway, no_markdown)
    async with sessionmaker() as session:
        row = await session.get(V1Workflow, v1_id)
        assert row is not None
        assert row.markdown_enabled is False
        assert row.category_codes is None  # an unknown category id is ignored
        # Null means no markdown in the domain too: no checkpoint, so no pricing step.
        assert row.parameters is not None
        assert row.parameters["markdown_checkpoint_week"] is None
    markdown = await gateway.client.get(f"/api/v1/markdowns/{v1_id}", headers=READER)
    assert markdown.status_code == 404
    assert "not applicable" in _detail(markdown)

    bad_cases = [
        ({"dc_holdback_percentage": 45}, "dc_holdback_percentage"),  # a percent, not a fraction
        ({"replenishment_strategy": "daily"}, "replenishment_strategy"),
        ({"forecast_horizon_weeks": 60}, "forecast_horizon_weeks"),
        ({"season_end_date": "2025-01-01"}, "season_end_date"),
        ({"markdown_checkpoint_week": 20}, "markdown_checkpoint_week"),
    ]
    async with sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(V1Workflow))
    for change, field in bad_cases:
        body = {"parameters": CLIENT_BODY["parameters"] | change}
        answer = await gateway.client.post("/api/v1/workflows/forecast", json=body, headers=PLANNER)
        assert answer.status_code == 422, (change, answer.text)
        assert field in _detail(answer), (field, answer.json())
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(V1Workflow)) == before


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/workflows/invalid_id_xyz", 404),
        ("GET", "/api/v1/forecasts/invalid_id_xyz", 404),
        ("GET", "/api/v1/allocations/al_000000000000", 404),
        ("GET", "/api/v1/variance/wf_000000000000/week/1", 404),
        ("POST", "/api/v1/workflows/wf_000000000000/execute", 404),
        ("GET", "/api/v1/stores/S001", 404),
        ("POST", "/api/v1/parameters/validate", 404),
        ("GET", "/api/v1/no/such/path", 404),
        ("POST", "/api/v1/parameters/extract", 422),
    ],
)
async def test_every_error_has_a_string_detail(
    gateway: Gateway, method: str, path: str, status: int
) -> None:
    answer = await gateway.client.request(method, path, json={}, headers=PLANNER)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    _detail(answer)


async def test_auth_and_validation_errors_are_strings(gateway: Gateway) -> None:
    missing = await gateway.client.get("/api/v1/categories")
    assert missing.status_code == 401
    assert "API key" in _detail(missing)
    forbidden = await gateway.client.post(
        "/api/v1/workflows/forecast", json=CLIENT_BODY, headers=READER
    )
    assert forbidden.status_code == 403
    assert "planner" in _detail(forbidden)
    for text in ("", "hello"):
        short = await gateway.client.post(
            "/api/v1/parameters/extract", json={"user_input": text}, headers=PLANNER
        )
        assert short.status_code == 422
        assert "user_input" in _detail(short)
    for text, reason in (("   " * 10, "blank"), ("x" * 600, "at most 500")):
        refused = await gateway.client.post(
            "/api/v1/parameters/extract", json={"user_input": text}, headers=PLANNER
        )
        assert refused.status_code == 400
        assert reason in _detail(refused)
    not_json = await gateway.client.post(
        "/api/v1/workflows/forecast",
        content=b"{not json",
        headers=PLANNER | {"Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
    assert "JSON" in _detail(not_json)
    # /api keeps its own error shape.
    api = await gateway.client.get("/api/workflows/not-a-uuid", headers=READER)
    assert "error" in api.json()
    assert "detail" not in api.json()


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:5173",
        "http://localhost:3000",
        "http://127.0.0.1:5173",
        "http://127.0.0.1:3000",
    ],
)
async def test_cors_preflight_of_the_client_origins(gateway: Gateway, origin: str) -> None:
    preflight = await gateway.client.options(
        "/api/v1/forecasts/FORECAST_SPRING_2025",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed
    assert "content-type" in allowed
    error = await gateway.client.get(
        "/api/v1/workflows/wf_000000000000", headers={"Origin": origin} | READER
    )
    assert error.status_code == 404
    assert error.headers["access-control-allow-origin"] == origin


async def test_openapi_lists_v1_under_its_own_tag(gateway: Gateway) -> None:
    schema = (await gateway.client.get("/openapi.json")).json()
    v1 = {p: ops for p, ops in schema["paths"].items() if p.startswith("/api/v1/")}
    assert "/api/v1/workflows/forecast" in v1
    assert "/api/v1/stores/clusters" in v1
    for ops in v1.values():
        for op in ops.values():
            assert op["tags"] == ["frontend contract v1"]
    assert "/api/workflows/forecast" in schema["paths"]


UPLOADS: dict[str, tuple[str, str, str, str]] = {
    # file type: (agent, good file, bad file, error type of the bad file)
    "store_profiles": (
        "demand",
        "store_id,store_name,region,size_sqft,cluster_id\nS001,One,north,15000,premium\n"
        "S002,Two,south,7000,value\n",
        "store_id,store_name,region,size_sqft,cluster_id\nS001,One,north,big,premium\n",
        "DATA_TYPE_MISMATCH",
    ),
    "dc_inventory": (
        "inventory",
        "sku,dc_location,available_units,reserved_units\nDRESS-001,east,500,120\nDRESS-002,west,80,0\n",
        "sku,dc_location,available_units\nDRESS-001,east,500\n",
        "MISSING_COLUMN",
    ),
    "lead_times": (
        "inventory",
        "store_id,dc_location,lead_time_days\nS001,east,3\nS002,east,9\n",
        "store_id,dc_location,lead_time_days\n",
        "EMPTY_FILE",
    ),
    "safety_stock": (
        "inventory",
        "store_id,safety_stock_units,reorder_point\nS001,20,40\nS003,5,10\n",
        "store_id,safety_stock_units,reorder_point\nS001,20,40\nS001,25,45\n",
        "DUPLICATE_ROWS",
    ),
    "markdown_history": (
        "pricing",
        "week,markdown_pct,sell_through_pct,demand_lift_pct\n6,20,55,30\n8,30,50,48\n",
        "week,markdown_pct,sell_through_pct,demand_lift_pct\n6,N/A,55,30\n",
        "DATA_TYPE_MISMATCH",
    ),
    "elasticity": (
        "pricing",
        "category,elasticity_coefficient\nwomens_dresses,2.1\nKNIT,1.4\n",
        "category,elasticity_coefficient\nshoes,2.1\n",
        "OTHER",
    ),
}
TABLES = {
    "store_profiles": UploadedStoreProfile,
    "dc_inventory": UploadedDcInventory,
    "lead_times": UploadedLeadTime,
    "safety_stock": UploadedSafetyStock,
    "markdown_history": UploadedMarkdownHistory,
    "elasticity": UploadedElasticity,
}


@pytest.mark.parametrize("file_type", sorted(UPLOADS))
async def test_reference_uploads_store_good_files_and_refuse_bad_ones_whole(
    gateway: Gateway, sessionmaker: Sessions, file_type: str
) -> None:
    await seed_reference(sessionmaker)
    v1_id = await _create(gateway)
    agent, good, bad, error_type = UPLOADS[file_type]
    url = f"/api/v1/workflows/{v1_id}/{agent}/upload"
    table = TABLES[file_type]

    refused = await gateway.client.post(
        url,
        files={"file": ("bad.csv", bad.encode())},
        data={"file_type": file_type},
        headers=PLANNER,
    )
    assert refused.status_code == 200, refused.text
    answer = refused.json()
    assert answer["validation_status"] == "INVALID"
    assert answer["rows_uploaded"] == 0
    assert answer["errors"][0]["error_type"] == error_type, answer
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(table)) == 0

    stored = await gateway.client.post(
        url,
        files={"file": ("good.CSV", good.encode())},
        data={"file_type": file_type},
        headers=PLANNER,
    )
    answer = stored.json()
    assert answer["validation_status"] == "VALID", answer
    assert answer["errors"] is None
    assert answer["rows_uploaded"] == 2
    assert answer["file_name"] == "good.CSV"
    assert answer["workflow_id"] == v1_id
    assert answer["uploaded_at"].endswith("Z")
    assert isinstance(answer["file_size_bytes"], int)
    assert answer["columns"] == good.splitlines()[0].split(",")
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(table)) == 2
        assert await session.scalar(select(func.count()).select_from(ReferenceUpload)) == 1


REPLACEMENTS = {
    # file type: (agent, first good file, bad file, second good file)
    "lead_times": (
        "inventory",
        "store_id,dc_location,lead_time_days\nS001,east,3\nS002,east,9\n",
        "store_id,dc_location,lead_time_days\nS001,east,3\nS002,east,-2\n",
        "store_id,dc_location,lead_time_days\nS003,west,12\n",
    ),
    "safety_stock": (
        "inventory",
        "store_id,safety_stock_units,reorder_point\nS001,20,40\nS003,5,10\n",
        "store_id,safety_stock_units,reorder_point\nS001,20,40\nS999,5,10\n",
        "store_id,safety_stock_units,reorder_point\nS002,7,9\n",
    ),
    "markdown_history": (
        "pricing",
        "week,markdown_pct,sell_through_pct,demand_lift_pct\n6,20,55,30\n8,30,50,48\n",
        "week,markdown_pct,sell_through_pct,demand_lift_pct\n6,20,55,30\n0,30,50,48\n",
        "week,markdown_pct,sell_through_pct,demand_lift_pct\n5,0.1,0.4,0.2\n",
    ),
}


async def _rows(sessionmaker: Sessions, file_type: str) -> list[tuple[Any, ...] | None]:
    table = TABLES[file_type]
    async with sessionmaker() as session:
        stored = (await session.scalars(select(table))).all()
        upload = await session.scalar(
            select(ReferenceUpload).where(ReferenceUpload.file_type == file_type)
        )
    columns = [c.key for c in table.__table__.columns]
    rows = sorted(tuple(getattr(r, c) for c in columns) for r in stored)
    return [*rows, (upload.sha256, upload.row_count) if upload else None]


@pytest.mark.parametrize("file_type", sorted(REPLACEMENTS))
async def test_planning_uploads_replace_whole_and_a_bad_one_leaves_them_unchanged(
    gateway: Gateway, sessionmaker: Sessions, file_type: str
) -> None:
    """The rows planning reads change only with a good file, and then all of them."""
    await seed_reference(sessionmaker)
    v1_id = await _create(gateway)
    agent, first, bad, second = REPLACEMENTS[file_type]

    async def send(text: str) -> dict[str, Any]:
        answer = await gateway.client.post(
            f"/api/v1/workflows/{v1_id}/{agent}/upload",
            files={"file": ("f.csv", text.encode())},
            data={"file_type": file_type},
            headers=PLANNER,
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    assert (await send(first))["validation_status"] == "VALID"
    stored = await _rows(sessionmaker, file_type)
    assert len(stored) == 3  # two rows and the upload's record
    refused = await send(bad)
    assert refused["validation_status"] == "INVALID", refused
    assert refused["errors"][0]["row"] is not None
    assert await _rows(sessionmaker, file_type) == stored
    assert (await send(second))["validation_status"] == "VALID"
    replaced = await _rows(sessionmaker, file_type)
    assert len(replaced) == 2
    assert replaced != stored


async def test_upload_refusals_of_the_contract(gateway: Gateway, sessionmaker: Sessions) -> None:
    await seed_reference(sessionmaker)
    v1_id = await _create(gateway)
    base = f"/api/v1/workflows/{v1_id}"
    xlsx = await gateway.client.post(
        f"{base}/demand/upload",
        files={"file": ("plan.xlsx", b"x")},
        data={"file_type": "sales_data"},
        headers=PLANNER,
    )
    assert xlsx.status_code == 400
    assert "csv" in _detail(xlsx).lower()
    missing = await gateway.client.post(
        f"{base}/demand/upload", files={"file": ("a.csv", b"a\n1\n")}, headers=PLANNER
    )
    assert missing.status_code == 422
    assert "file_type" in _detail(missing)
    big = await gateway.client.post(
        f"{base}/demand/upload",
        files={"file": ("big.csv", b"a," * 100_000)},
        data={"file_type": "sales_data"},
        headers=PLANNER,
    )
    assert big.status_code == 413
    assert _detail(big)

    async def answer(agent: str, file_type: str, data: bytes) -> dict[str, Any]:
        response = await gateway.client.post(
            f"{base}/{agent}/upload",
            files={"file": ("f.csv", data)},
            data={"file_type": file_type},
            headers=PLANNER,
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        assert result["validation_status"] == "INVALID"
        return result

    latin = await answer("demand", "store_profiles", "store_id\nS\xe9\n".encode("latin-1"))
    assert latin["errors"][0]["error_type"] == "OTHER"
    assert latin["rows_uploaded"] == 0
    unknown = await answer("demand", "weather", b"a\n1\n")
    assert unknown["errors"][0]["error_type"] == "OTHER"
    elsewhere = await answer("demand", "dc_inventory", b"a\n1\n")
    assert "inventory upload" in elsewhere["errors"][0]["message"]
    columns = await answer("demand", "sales_data", b"store_id,week\nS001,1\n")
    assert [e["column"] for e in columns["errors"]] == [
        "sales_units",
        "sales_revenue",
        "inventory_on_hand",
    ]
    assert {e["error_type"] for e in columns["errors"]} == {"MISSING_COLUMN"}
    mismatch = await answer(
        "demand",
        "sales_data",
        b"store_id,week,sales_units,sales_revenue,inventory_on_hand\nS001,1,N/A,10.5,3\n",
    )
    first = mismatch["errors"][0]
    assert (first["error_type"], first["row"], first["column"], first["expected_type"]) == (
        "DATA_TYPE_MISMATCH",
        1,
        "sales_units",
        "integer",
    )
    assert first["actual_value"] == "N/A"
    # Well-formed sales, but the season does not run yet: refused, not dropped.
    early = await answer(
        "demand",
        "sales_data",
        b"store_id,week,sales_units,sales_revenue,inventory_on_hand\nS001,1,5,10.5,3\n",
    )
    assert "while the season runs" in early["errors"][0]["message"]
    stranger = await answer(
        "inventory", "lead_times", b"store_id,dc_location,lead_time_days\nS999,east,3\n"
    )
    assert stranger["errors"][0]["column"] == "store_id"
    competitor = await answer(
        "pricing", "competitor_prices", b"competitor,price,markdown_pct\nX,10,0.2\n"
    )
    assert "not stored" in competitor["errors"][0]["message"]
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ReferenceUpload)) == 0


async def test_categories_health_and_stores(gateway: Gateway, sessionmaker: Sessions) -> None:
    await seed_reference(sessionmaker)
    listed = (await gateway.client.get("/api/v1/categories", headers=READER)).json()
    assert [c["id"] for c in listed["categories"]] == ["DRESS", "KNIT"]
    one = await gateway.client.get("/api/v1/categories/womens_dresses", headers=READER)
    assert one.json()["name"] == "Dresses"
    health = (await gateway.client.get("/api/v1/health")).json()
    assert health["status"] == "ok"
    assert health["services"] == {"database": "ok", "api": "ok"}
    assert health["timestamp"].endswith("Z")
    assert isinstance(health["version"], str)
    stores = (await gateway.client.get("/api/v1/stores", headers=READER)).json()
    assert isinstance(stores, list)
    assert stores[0]["store_id"] == "S001"
    assert stores[0]["location_tier"] in {"A", "B", "C"}


async def test_design_approvals_refuse_unknown_workflows(gateway: Gateway) -> None:
    answer = await gateway.client.post(
        "/api/v1/approvals/manufacturing",
        json={"workflow_id": "wf_000000000000", "action": "accept"},
        headers=APPROVER,
    )
    assert answer.status_code == 400
    assert "unknown workflow" in _detail(answer)
    out_of_range = await gateway.client.post(
        "/api/v1/approvals/manufacturing",
        json={"workflow_id": "wf_000000000000", "action": "modify", "safety_stock_pct": 0.5},
        headers=APPROVER,
    )
    assert out_of_range.status_code == 422
    assert "safety_stock_pct" in _detail(out_of_range)
