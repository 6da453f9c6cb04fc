"""Issue 22, point 11: refused up front with the real reason, in a small answer."""

from __future__ import annotations

import json
from datetime import date, timedelta
from uuid import uuid4

from planner_gateway.errors import MAX_LISTED_PROBLEMS
from planner_shared.db.engine import transaction
from planner_shared.db.models import HistoricalSale, Workflow
from planner_tools.testing.gateway import (
    APPROVER,
    PARAMETERS,
    PLANNER,
    Gateway,
    Sessions,
    count,
    seed_reference,
)


async def test_a_season_starting_before_the_history_is_refused_with_that_reason(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    ids = await seed_reference(sessionmaker)
    first_week = date.today() - timedelta(weeks=20)
    first_week -= timedelta(days=first_week.weekday())
    async with transaction(sessionmaker) as session:
        session.add_all(
            HistoricalSale(
                store_id=ids["S001"],
                category_id=ids["DRESS"],
                week_start=first_week + timedelta(weeks=w),
                units=10,
            )
            for w in range(10)
        )
    early = first_week - timedelta(weeks=4)
    body = {"parameters": PARAMETERS | {"season_start_date": early.isoformat()}}
    response = await gateway.client.post("/api/workflows/forecast", json=body, headers=PLANNER)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "season_before_history"
    assert f"begins {first_week.isoformat()}" in error["message"]
    assert error["details"][0]["field"] == "parameters.season_start_date"
    assert await count(sessionmaker, Workflow) == 0

    later = {"parameters": PARAMETERS | {"season_start_date": date.today().isoformat()}}
    accepted = await gateway.client.post("/api/workflows/forecast", json=later, headers=PLANNER)
    assert accepted.status_code == 201, accepted.text


async def test_a_body_of_a_million_unknown_keys_gets_a_small_answer(gateway: Gateway) -> None:
    keys = {f"k{i}": 0 for i in range(80_000)}
    body = json.dumps({"parameters": PARAMETERS} | keys).encode()
    assert 900_000 < len(body) < 1024 * 1024
    response = await gateway.client.post(
        "/api/workflows/forecast",
        content=body,
        headers=PLANNER | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert len(response.content) < 10_000
    error = response.json()["error"]
    assert len(error["details"]) == MAX_LISTED_PROBLEMS
    assert error["message"].startswith(f"the request has {len(keys)} problems")
    assert f"the first {MAX_LISTED_PROBLEMS} are listed" in error["message"]


async def test_a_number_sent_as_a_string_is_refused_in_a_decision(gateway: Gateway) -> None:
    for path, field in (
        ("/api/approvals/manufacturing", "quantity"),
        ("/api/approvals/markdown", "percentage"),
    ):
        body = {"workflow_id": str(uuid4()), "action": "modify", field: "70000"}
        response = await gateway.client.post(path, json=body, headers=APPROVER)
        assert response.status_code == 422, response.text
        [detail] = response.json()["error"]["details"]
        assert detail["field"] in {field, "value"}
        assert "number" in detail["message"]
