"""Seasons a person can tell apart (names, the list's filters, compare) and the replay's
request, through the ASGI app on real PostgreSQL and Redis."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import redis.asyncio as aioredis
from sqlalchemy import select

from planner_gateway.settings import GatewaySettings
from planner_shared.bus.streams import stream_for
from planner_shared.db.engine import transaction
from planner_shared.db.models import HistoricalSale, Replay, Workflow
from planner_shared.events import ReplayProgressed
from planner_tools.testing.gateway import (
    OPERATOR,
    PARAMETERS,
    PLANNER,
    READER,
    Gateway,
    Sessions,
    count,
    events_on,
    new_workflow,
    seed_reference,
    wait_until,
)

PAST = PARAMETERS | {
    "season_start_date": "2025-03-03",
    "forecast_horizon_weeks": 2,
    "markdown_checkpoint_week": 1,
}


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


async def test_seasons_are_named_listed_by_name_and_state_and_compared(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    starts = [
        {"name": "  Spring 2025   replay ", "parameters": PARAMETERS},
        {"brief": "Summer 2026 menswear: 12 weeks from June 1, 2026, keep 30% at the DC"},
        {"parameters": PARAMETERS},
    ]
    ids = []
    for body in starts:
        response = await gateway.client.post("/api/workflows/forecast", json=body, headers=PLANNER)
        assert response.status_code == 201, response.text
        ids.append(response.json()["workflow_id"])
    names = [
        (await gateway.client.get(f"/api/workflows/{i}", headers=READER)).json()["name"]
        for i in ids
    ]
    assert names == ["Spring 2025 replay", "Summer 2026 menswear", "Spring 2027"]

    page = (await gateway.client.get("/api/workflows?name=SPRING", headers=READER)).json()
    assert [w["name"] for w in page["items"]] == ["Spring 2027", "Spring 2025 replay"]
    assert page["total"] == 2
    none = await gateway.client.get("/api/workflows?name=50%25_&state=created", headers=READER)
    assert none.json()["total"] == 0  # % and _ are letters here, not wildcards
    unknown = _error(
        await gateway.client.get("/api/workflows?state=created&state=finished", headers=READER),
        422,
    )
    assert unknown["message"].startswith("unknown state 'finished': a season's state is one of")
    assert unknown["details"][0]["field"] == "state"

    compared = await gateway.client.get(
        f"/api/seasons/compare?ids={ids[0]},{ids[1]}", headers=READER
    )
    assert compared.status_code == 200, compared.text
    body = compared.json()
    assert [s["name"] for s in body["seasons"]] == names[:2]
    assert {r["metric"] for r in body["rows"]} >= {"actual_units", "revenue", "projected_gmroi"}
    assert all(len(r["values"]) == 2 for r in body["rows"])

    missing = "0b7f7a52-3f5e-4f43-9d0e-8a5c2f1f6a10"
    for query, words in (
        (f"ids={ids[0]}", "at least two"),
        (f"ids={ids[0]}&ids={missing}", f"no such season: {missing}"),
        (f"ids={ids[0]},wf_abc", "not a season id of this API"),
        ("ids=" + ",".join([missing[:-2] + f"{n:02d}" for n in range(7)]), "at most 6"),
    ):
        refused = _error(
            await gateway.client.get(f"/api/seasons/compare?{query}", headers=READER), 422
        )
        assert words in refused["message"], refused
        assert refused["details"][0]["field"] == "ids"


async def _history(sessionmaker: Sessions, ids: dict[str, UUID], weeks: range) -> None:
    async with transaction(sessionmaker) as session:
        for week in weeks:
            for store in ("S001", "S002", "S003"):
                for category in ("DRESS", "KNIT"):
                    session.add(
                        HistoricalSale(
                            store_id=ids[store],
                            category_id=ids[category],
                            week_start=date(2025, 3, 3) + timedelta(weeks=week),
                            units=10 + week,
                        )
                    )


async def test_a_replay_is_refused_outside_the_history_and_otherwise_waits_for_the_plan(
    gateway: Gateway,
    gateway_settings: GatewaySettings,
    sessionmaker: Sessions,
    redis_client: aioredis.Redis,
) -> None:
    ids = await seed_reference(sessionmaker)
    await _history(sessionmaker, ids, range(1))
    season = await new_workflow(sessionmaker, "created", PAST)
    path = f"/api/workflows/{season}/replay"

    outside = _error(await gateway.client.post(path, json={}, headers=PLANNER), 422)
    assert outside["code"] == "season_outside_history"
    assert "no sales for week 2 of this season" in outside["message"]
    await _history(sessionmaker, ids, range(1, 2))
    bad = _error(await gateway.client.post(path, json={"weeks": 3}, headers=PLANNER), 422)
    assert bad["details"][0]["field"] == "weeks"
    assert _error(await gateway.client.get(path, headers=READER), 404)["code"] == "not_found"
    assert await count(sessionmaker, Replay) == 0

    started = await gateway.client.post(
        path, json={"weeks": "all", "decisions": "approver"}, headers=OPERATOR
    )
    assert started.status_code == 202, started.text
    assert started.json()["weeks_target"] == 2
    assert started.json()["history_from"] == "2025-03-03"

    async def waiting() -> bool:
        body = (await gateway.client.get(path, headers=READER)).json()
        return bool(body["status"] == "waiting" and body["message"] == "the season is created")

    await wait_until(waiting)
    stream = stream_for(gateway_settings, ReplayProgressed)

    async def progress() -> list[ReplayProgressed]:
        events = await events_on(redis_client, stream)
        return [e for e in events if isinstance(e, ReplayProgressed)]

    # The status is stored at once; its event reaches the bus through the outbox a moment later.
    async def both_said() -> bool:
        return len(await progress()) >= 2

    await wait_until(both_said)
    said = await progress()
    assert [e.payload.status for e in said] == ["running", "waiting"]
    assert said[0].payload.message.startswith("replaying every week of the history from")

    async with transaction(sessionmaker) as session:
        (
            await session.scalars(select(Workflow).where(Workflow.id == season))
        ).one().state = "cancelled"
    ended = _error(await gateway.client.post(path, json={}, headers=PLANNER), 409)
    assert "is cancelled" in ended["message"]
