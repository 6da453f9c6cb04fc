"""Issue 12, points 5 and 9: who changed reference data is recorded and readable; only a
workflow's planner (or an operator) cancels it; implausible quantities are refused unless
the planner says they are right, and a corrected week re-runs the re-forecast it started."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, select

from planner_gateway.settings import GatewaySettings
from planner_shared.db.models import (
    HistoricalSale,
    OutboxMessage,
    ReferenceChange,
    WeeklyActual,
)
from planner_shared.events import ActualsUploaded
from planner_tools.testing.gateway import (
    KEYS,
    OPERATOR,
    PLANNER,
    Gateway,
    Sessions,
    count,
    new_workflow,
    running_gateway,
    seed_reference,
)

OTHER_PLANNER = {"Authorization": "Bearer other-planner-key-0123"}

HISTORY = b"store_code,category_code,week_start,units\nS001,DRESS,2026-03-02,40\n" + (
    b"S001,KNIT,2026-03-02,12\nS002,DRESS,2026-03-02,25\n"
)


async def _upload_history(gateway: Gateway, content: bytes, **form: str) -> httpx.Response:
    return await gateway.client.post(
        "/api/data/historical-sales",
        data=form,
        files={"file": ("history.csv", content, "text/csv")},
        headers=PLANNER,
    )


async def test_an_overwrite_of_historical_sales_is_recorded(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    assert (await _upload_history(gateway, HISTORY)).status_code == 200
    corrected = HISTORY.replace(b"S001,DRESS,2026-03-02,40", b"S001,DRESS,2026-03-02,44")
    response = await _upload_history(gateway, corrected)
    assert response.status_code == 200
    assert response.json()["updated"] == 1

    listed = await gateway.client.get(
        "/api/ops/reference-changes?table=historical_sales", headers=OPERATOR
    )
    assert listed.status_code == 200, listed.text
    update, insert = listed.json()["changes"]
    assert update["action"] == "update"
    assert update["record_key"] == {
        "store_code": "S001",
        "category_code": "DRESS",
        "week_start": "2026-03-02",
    }
    assert (update["before"], update["after"]) == ({"units": 40}, {"units": 44})
    assert update["changed_by"] == "pat"
    assert "sha256" in update["source"]
    assert insert["action"] == "insert"
    assert insert["after"]["rows"] == 3
    # The same file again changes nothing, and records nothing.
    assert (await _upload_history(gateway, corrected)).status_code == 200
    assert await count(sessionmaker, ReferenceChange) == 2
    refused = await gateway.client.get("/api/ops/reference-changes", headers=PLANNER)
    assert refused.status_code == 403


async def test_implausible_history_is_refused_unless_allowed(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    assert (await _upload_history(gateway, HISTORY)).status_code == 200
    typo = b"store_code,category_code,week_start,units\nS001,DRESS,2026-03-09,214748\n"
    refused = await _upload_history(gateway, typo)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "implausible_quantity"
    assert error["details"][0]["row"] == 2
    assert "at most 1,000" in error["message"]
    assert await count(sessionmaker, HistoricalSale) == 3
    # Twenty times the store's median week is still plausible, and so is a new store's 1,000.
    assert (await _upload_history(gateway, typo.replace(b"214748", b"800"))).status_code == 200
    allowed = await _upload_history(gateway, typo, allow_implausible="true")
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["updated"] == 1


async def test_no_upload_passes_the_hard_ceiling(gateway: Gateway, sessionmaker: Sessions) -> None:
    """Issue 22.5: `allow_implausible` has a ceiling (2^31 - 1 units were once stored)."""
    await seed_reference(sessionmaker)
    assert (await _upload_history(gateway, HISTORY)).status_code == 200
    typo = b"store_code,category_code,week_start,units\nS001,DRESS,2026-03-09,2147483647\n"
    for form in ({}, {"allow_implausible": "true"}):
        refused = await _upload_history(gateway, typo, **form)
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["code"] == "quantity_over_ceiling"
        assert error["details"][0]["row"] == 2
        assert "1,000,000" in error["message"]
    workflow_id = await new_workflow(sessionmaker, "in_season")
    rows = [
        f"{store},{category},1,2027-03-01,{2147483647 if store == 'S002' else 10}"
        for store in ("S001", "S002", "S003")
        for category in ("DRESS", "KNIT")
    ]
    week = "store_code,category_code,week_number,week_start,units_sold\n" + "\n".join(rows)
    response = await gateway.client.post(
        "/api/data/weekly-actuals",
        data={"workflow_id": str(workflow_id), "allow_implausible": "true"},
        files={"file": ("week.csv", week.encode(), "text/csv")},
        headers=PLANNER,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "quantity_over_ceiling"
    assert await count(sessionmaker, HistoricalSale) == 3
    assert await count(sessionmaker, WeeklyActual) == 0


async def test_a_history_upload_does_not_raise_the_bound_tenfold(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    """Issue 22.5: the bound follows the store's typical week, so a week at the bound does not
    lift the bound of the next upload by the same factor (with the best week it did)."""
    await seed_reference(sessionmaker)
    weeks = "".join(f"S001,DRESS,2026-01-{day:02d},100\n" for day in (5, 12, 19, 26))
    history = f"store_code,category_code,week_start,units\n{weeks}".encode()
    assert (await _upload_history(gateway, history)).status_code == 200
    at_bound = b"store_code,category_code,week_start,units\nS001,DRESS,2026-08-03,2000\n"
    assert (await _upload_history(gateway, at_bound)).status_code == 200
    # Ten times the week just stored: within a best-week bound (20,000), over the median's.
    escalated = at_bound.replace(b"2026-08-03,2000", b"2026-08-10,20000")
    refused = await _upload_history(gateway, escalated)
    assert refused.status_code == 422, refused.text
    assert "at most 2,000" in refused.json()["error"]["message"]


async def test_an_implausible_week_of_actuals_is_refused(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, "in_season")
    rows = [
        f"{store},{category},1,2027-03-01,{214748 if store == 'S002' else 10}"
        for store in ("S001", "S002", "S003")
        for category in ("DRESS", "KNIT")
    ]
    content = "store_code,category_code,week_number,week_start,units_sold\n" + "\n".join(rows)
    response = await gateway.client.post(
        "/api/data/weekly-actuals",
        data={"workflow_id": str(workflow_id)},
        files={"file": ("week.csv", content.encode(), "text/csv")},
        headers=PLANNER,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "implausible_quantity"
    assert len(response.json()["error"]["details"]) == 2
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(WeeklyActual)) == 0


async def test_implausible_rows_are_listed_with_the_files_other_problems(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    """Issue 27: one answer names every problem: an unreadable value, an unknown store and
    an implausible quantity together, not the implausible one after the others are fixed."""
    await seed_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, "in_season")
    rows = [
        f"{store},{category},1,2027-03-01,{214748 if store == 'S002' else 10}"
        for store in ("S001", "S002", "S003")
        for category in ("DRESS", "KNIT")
    ]
    rows[0] = "S001,DRESS,1,2027-03-01,ten"
    rows.append("S999,DRESS,1,2027-03-01,5")
    content = "store_code,category_code,week_number,week_start,units_sold\n" + "\n".join(rows)
    response = await gateway.client.post(
        "/api/data/weekly-actuals",
        data={"workflow_id": str(workflow_id)},
        files={"file": ("week.csv", content.encode(), "text/csv")},
        headers=PLANNER,
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_csv"
    by_row = {(d["row"], d["column"]): d["message"] for d in error["details"]}
    assert set(by_row) == {
        (2, "units_sold"),
        (4, "units_sold"),
        (5, "units_sold"),
        (8, "store_code"),
    }, by_row
    assert "214,748 units is more than 1,000" in by_row[(4, "units_sold")]
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(WeeklyActual)) == 0


@pytest.fixture
async def two_planners(
    gateway_settings: GatewaySettings, sessionmaker: Sessions
) -> AsyncIterator[Gateway]:
    keys = KEYS | {"other-planner-key-0123": {"name": "paula", "roles": ["planner"]}}
    settings = gateway_settings.model_copy(
        update={"api_keys": GatewaySettings.model_validate({"api_keys": keys}).api_keys}
    )
    async with running_gateway(settings) as gateway:
        yield gateway


async def test_only_its_planner_or_an_operator_cancels_a_workflow(
    two_planners: Gateway, sessionmaker: Sessions
) -> None:
    gateway = two_planners
    mine = await new_workflow(sessionmaker, "forecasting")  # created by pat
    refused = await gateway.client.post(f"/api/workflows/{mine}/cancel", headers=OTHER_PLANNER)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_your_workflow"
    assert "started by pat" in refused.json()["error"]["message"]
    assert (
        await gateway.client.post(f"/api/workflows/{mine}/cancel", headers=PLANNER)
    ).status_code == 202
    theirs = await new_workflow(sessionmaker, "forecasting")
    by_operator = await gateway.client.post(f"/api/workflows/{theirs}/cancel", headers=OPERATOR)
    assert by_operator.status_code == 202, by_operator.text


async def test_a_corrected_week_tells_the_orchestrator_what_changed_and_decides_nothing(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    """Whether a corrected week is re-forecast is the orchestrator's decision (it knows which
    week started which run); the upload's own event carries what it needs to decide."""
    await seed_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, "in_season")

    def week(units: int) -> bytes:
        rows = [
            f"{store},{category},1,2027-03-01,{units}"
            for store in ("S001", "S002", "S003")
            for category in ("DRESS", "KNIT")
        ]
        return (
            "store_code,category_code,week_number,week_start,units_sold\n" + "\n".join(rows)
        ).encode()

    async def upload(content: bytes) -> ActualsUploaded:
        response = await gateway.client.post(
            "/api/data/weekly-actuals",
            data={"workflow_id": str(workflow_id), "allow_implausible": "true"},
            files={"file": ("week.csv", content, "text/csv")},
            headers=PLANNER,
        )
        assert response.status_code == 202, response.text
        body: dict[str, Any] = response.json()
        assert "reforecast_event_id" not in body
        async with sessionmaker() as session:
            staged = (
                await session.scalars(
                    select(OutboxMessage).where(
                        OutboxMessage.envelope["workflow_id"].astext == str(workflow_id)
                    )
                )
            ).all()
        staged_types = [row.envelope["type"] for row in staged]
        assert "workflow.reforecast_requested" not in staged_types
        [row] = [r for r in staged if r.event_id == UUID(body["event_id"])]
        return ActualsUploaded.model_validate(row.envelope)

    first = (await upload(week(900))).payload
    assert (first.replaced_previous, first.same_as_previous) == (False, False)
    corrected = (await upload(week(10))).payload
    assert (corrected.replaced_previous, corrected.same_as_previous) == (True, False)
    assert corrected.uploaded_by == "pat"
    again = (await upload(week(10))).payload
    assert (again.replaced_previous, again.same_as_previous) == (True, True)
