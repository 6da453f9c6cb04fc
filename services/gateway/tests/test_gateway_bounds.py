"""Issue 12, points 3 and 6: what used to be accepted and fail later, or answer 500, gets a
specific 4xx up front."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from planner_shared.db.models import Workflow
from planner_shared.parameters import MAX_WEEKS_AHEAD
from planner_tools.testing.gateway import OPERATOR, PARAMETERS, PLANNER, Gateway, Sessions, count


@pytest.mark.parametrize("start", ["0001-01-01", "1999-12-27", "6403-06-20", "9999-12-27"])
async def test_season_dates_outside_the_bounds_are_refused(
    gateway: Gateway, sessionmaker: Sessions, start: str
) -> None:
    body = {"parameters": PARAMETERS | {"season_start_date": start}}
    response = await gateway.client.post("/api/workflows/forecast", json=body, headers=PLANNER)
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["field"] == "parameters.season_start_date"
    assert await count(sessionmaker, Workflow) == 0


async def test_a_season_more_than_two_years_ahead_is_refused(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    start = date.today() + timedelta(weeks=MAX_WEEKS_AHEAD + 1)
    body = {"parameters": PARAMETERS | {"season_start_date": start.isoformat()}}
    response = await gateway.client.post("/api/workflows/forecast", json=body, headers=PLANNER)
    assert response.status_code == 422
    assert f"more than {MAX_WEEKS_AHEAD} weeks" in response.json()["error"]["message"]
    assert await count(sessionmaker, Workflow) == 0
    near = PARAMETERS | {"season_start_date": (date.today() + timedelta(weeks=30)).isoformat()}
    ok = await gateway.client.post(
        "/api/workflows/forecast", json={"parameters": near}, headers=PLANNER
    )
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize("holdback", [100, 100.0, 250])
async def test_a_holdback_that_leaves_the_stores_nothing_is_refused(
    gateway: Gateway, sessionmaker: Sessions, holdback: float
) -> None:
    body = {"parameters": PARAMETERS | {"dc_holdback_percentage": holdback}}
    response = await gateway.client.post("/api/workflows/forecast", json=body, headers=PLANNER)
    assert response.status_code == 422
    [detail] = response.json()["error"]["details"]
    assert detail["field"] == "parameters.dc_holdback_percentage"
    assert await count(sessionmaker, Workflow) == 0


async def test_a_reference_date_outside_the_bounds_is_refused(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/api/parameters/extract",
        json={"brief": "spring", "reference_date": "9999-12-31"},
        headers=PLANNER,
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "reference_date"


@pytest.mark.parametrize(
    ("before", "status", "entries"),
    [("0-0", 200, 0), ("18446744073709551615-0", 200, 0), ("18446744073709551616-0", 422, None)],
)
async def test_stream_ids_at_the_edges(
    gateway: Gateway, before: str, status: int, entries: int | None
) -> None:
    response = await gateway.client.get(
        f"/api/ops/streams/agents/events?before={before}", headers=OPERATOR
    )
    assert response.status_code == status, response.text
    if entries is not None:
        assert len(response.json()["entries"]) == entries
    replay = await gateway.client.post(
        "/api/ops/dead-letters/agents/99999999999999999999-0/replay", headers=OPERATOR
    )
    assert replay.status_code == 422
