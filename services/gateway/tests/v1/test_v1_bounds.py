"""Issues 22.1, 22.5, 22.7, 22.11 and 23.1 on the v1 front door: every uploaded value is held
to its meaning and column (no 500, no value planning cannot use), v1 `sales_data` follows the
weekly-actuals rules of `/api` (one service), and the v1 markdown recalculation takes the cap
the pricing agent applies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from planner_gateway.settings import GatewaySettings
from planner_shared.db.frontend_v1 import (
    ReferenceUpload,
    UploadedDcInventory,
    UploadedLeadTime,
    UploadedMarkdownHistory,
    UploadedSafetyStock,
    UploadedStoreProfile,
)
from planner_shared.db.models import ActualsUpload, OutboxMessage, WeeklyActual
from planner_tools.testing.gateway import (
    APPROVER,
    PLANNER,
    Gateway,
    Sessions,
    count,
    new_workflow,
    running_gateway,
    seed_reference,
)

INT32_MAX = 2_147_483_647


async def _upload(
    gateway: Gateway, workflow: str, agent: str, file_type: str, text: str
) -> dict[str, Any]:
    answer = await gateway.client.post(
        f"/api/v1/workflows/{workflow}/{agent}/upload",
        files={"file": ("f.csv", text.encode())},
        data={"file_type": file_type},
        headers=PLANNER,
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


# file type: (agent, the file, the column refused, its table)
OUT_OF_RANGE: dict[str, tuple[str, str, str, Any]] = {
    "lead time of 2^31 - 1 days": (
        "inventory",
        f"store_id,dc_location,lead_time_days\nS001,east,3\nS002,east,{INT32_MAX}\n",
        "lead_time_days",
        UploadedLeadTime,
    ),
    "lead time over a year": (
        "inventory",
        "store_id,dc_location,lead_time_days\nS001,east,366\n",
        "lead_time_days",
        UploadedLeadTime,
    ),
    "DC stock of 2^31 - 1": (
        "inventory",
        f"sku,dc_location,available_units,reserved_units\nDRESS-1,east,{INT32_MAX},0\n",
        "available_units",
        UploadedDcInventory,
    ),
    "DC stock over its ceiling in sum": (
        "inventory",
        "sku,dc_location,available_units,reserved_units\n"
        + "".join(f"DRESS-{n},east,9000000,0\n" for n in range(3)),
        "available_units",
        UploadedDcInventory,
    ),
    "safety stock of 2^31 - 1": (
        "inventory",
        f"store_id,safety_stock_units,reorder_point\nS001,{INT32_MAX},10\n",
        "safety_stock_units",
        UploadedSafetyStock,
    ),
    "reorder point past int32": (
        "inventory",
        "store_id,safety_stock_units,reorder_point\nS001,10,99999999999\n",
        "reorder_point",
        UploadedSafetyStock,
    ),
    "store size past int32": (
        "demand",
        "store_id,store_name,region,size_sqft,cluster_id\nS001,One,north,99999999999,a\n",
        "size_sqft",
        UploadedStoreProfile,
    ),
    "markdown over 100 %": (
        "pricing",
        "week,markdown_pct,sell_through_pct,demand_lift_pct\n6,250,55,30\n",
        "markdown_pct",
        UploadedMarkdownHistory,
    ),
}
FILE_TYPES = {
    UploadedLeadTime: "lead_times",
    UploadedDcInventory: "dc_inventory",
    UploadedSafetyStock: "safety_stock",
    UploadedStoreProfile: "store_profiles",
    UploadedMarkdownHistory: "markdown_history",
}


@pytest.mark.parametrize("case", sorted(OUT_OF_RANGE))
async def test_values_outside_their_meaning_are_refused_by_row_and_column(
    gateway: Gateway, sessionmaker: Sessions, case: str
) -> None:
    await seed_reference(sessionmaker)
    workflow = str(await new_workflow(sessionmaker, "created", category_codes=["DRESS"]))
    agent, text, column, table = OUT_OF_RANGE[case]
    answer = await _upload(gateway, workflow, agent, FILE_TYPES[table], text)
    assert answer["validation_status"] == "INVALID", answer
    [error] = answer["errors"]
    assert error["error_type"] == "OTHER"
    assert error["column"] == column
    assert "out of range" in error["message"] or "more than" in error["message"]
    assert await count(sessionmaker, table) == 0
    assert await count(sessionmaker, ReferenceUpload) == 0


@pytest.mark.parametrize("value", ["NaN", "nan", "Infinity", "-inf", "1e999"])
async def test_markdown_history_refuses_what_is_not_a_finite_number(
    gateway: Gateway, sessionmaker: Sessions, value: str
) -> None:
    await seed_reference(sessionmaker)
    workflow = str(await new_workflow(sessionmaker, "created", category_codes=["DRESS"]))
    text = f"week,markdown_pct,sell_through_pct,demand_lift_pct\n6,20,55,30\n8,{value},50,48\n"
    answer = await _upload(gateway, workflow, "pricing", "markdown_history", text)
    assert answer["validation_status"] == "INVALID", answer
    [error] = answer["errors"]
    assert (error["error_type"], error["row"], error["column"]) == (
        "DATA_TYPE_MISMATCH",
        2,
        "markdown_pct",
    )
    assert "finite" in error["message"]
    assert await count(sessionmaker, UploadedMarkdownHistory) == 0


def _sales(weeks: dict[int, int]) -> str:
    """Every store of the seed for each week, S002 selling `weeks[week]`."""
    rows = [
        f"{store},{week},{units if store == 'S002' else 10},100.0,5"
        for week, units in weeks.items()
        for store in ("S001", "S002", "S003")
    ]
    return "store_id,week,sales_units,sales_revenue,inventory_on_hand\n" + "\n".join(rows) + "\n"


async def _nothing_stored(sessionmaker: Sessions) -> None:
    assert await count(sessionmaker, WeeklyActual) == 0
    assert await count(sessionmaker, ActualsUpload) == 0
    assert await count(sessionmaker, ReferenceUpload) == 0
    async with sessionmaker() as session:
        staged = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.type == "actuals.uploaded")
        )
    assert staged == 0


async def test_v1_sales_follow_the_weekly_actuals_rules_of_api(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    workflow = str(await new_workflow(sessionmaker, "in_season", category_codes=["DRESS"]))
    # Past the plausibility bound (no history: 1,000 units): refused, as /api refuses it.
    implausible = await _upload(gateway, workflow, "demand", "sales_data", _sales({1: 50_000}))
    assert implausible["validation_status"] == "INVALID", implausible
    [error] = implausible["errors"]
    assert error["row"] == 2
    assert error["column"] == "sales_units"
    assert "50,000 units is more than 1,000" in error["message"]
    await _nothing_stored(sessionmaker)
    # Over int32: the file check refuses it before anything is stored (once a 500).
    huge = await _upload(gateway, workflow, "demand", "sales_data", _sales({1: 99_999_999_999}))
    assert huge["validation_status"] == "INVALID"
    assert huge["errors"][0]["column"] == "sales_units"
    await _nothing_stored(sessionmaker)
    # Week 3 skips week 2: the whole file goes, week 1 and its staged event with it.
    gap = await _upload(gateway, workflow, "demand", "sales_data", _sales({1: 12, 3: 12}))
    assert gap["validation_status"] == "INVALID"
    assert "week 3 cannot be uploaded before week 2" in gap["errors"][0]["message"]
    await _nothing_stored(sessionmaker)

    good = await _upload(gateway, workflow, "demand", "sales_data", _sales({1: 12, 2: 14}))
    assert good["validation_status"] == "VALID", good
    async with sessionmaker() as session:
        staged = list(
            await session.scalars(
                select(OutboxMessage.envelope).where(OutboxMessage.type == "actuals.uploaded")
            )
        )
    assert sorted(e["payload"]["week_number"] for e in staged) == [1, 2]
    assert {e["payload"]["uploaded_by"] for e in staged} == {"pat"}


@pytest.fixture
async def capped_gateway(
    gateway_settings: GatewaySettings, sessionmaker: Sessions
) -> AsyncIterator[Gateway]:
    settings = gateway_settings.model_copy(update={"max_markdown_percentage": 25.0})
    async with running_gateway(settings) as gateway:
        yield gateway


async def test_the_v1_markdown_recalculation_applies_the_configured_cap(
    capped_gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    workflow = str(await new_workflow(sessionmaker, "in_season", category_codes=["DRESS"]))
    body = {
        "workflow_id": workflow,
        "action": "modify",
        "elasticity_coefficient": 3.0,
        "actual_sell_through_pct": 0.2,
        "target_sell_through_pct": 0.6,
    }
    answer = await capped_gateway.client.post(
        "/api/v1/approvals/markdown", json=body, headers=APPROVER
    )
    assert answer.status_code == 200, answer.text
    # 40 points of gap x 3 = 120 %: the pricing agent's cap (here 25 %) holds, not 40 %.
    assert answer.json()["recommended_markdown_pct"] == pytest.approx(0.25)
    assert "capped at 25%" in answer.json()["reasoning"]


async def test_a_file_of_many_bad_rows_lists_the_first_50_and_counts_all(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    """Issue 22.2: a problem per row of a large file was answered whole (100 MB for 10 MB)."""
    await seed_reference(sessionmaker)
    workflow = str(await new_workflow(sessionmaker, "created", category_codes=["DRESS"]))
    rows = "".join(f"Z{n:03d},east,{n % 300}\n" for n in range(120))
    answer = await _upload(
        gateway, workflow, "inventory", "lead_times", "store_id,dc_location,lead_time_days\n" + rows
    )
    assert answer["validation_status"] == "INVALID"
    assert answer["message"] == "120 errors found (the first 50 are listed); nothing was stored"
    assert [e["row"] for e in answer["errors"]] == list(range(1, 51))
    assert answer["errors"][0]["message"] == "unknown store Z000: not one of the loaded stores"
    assert await count(sessionmaker, UploadedLeadTime) == 0
