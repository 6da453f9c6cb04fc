"""Workflow endpoints through the ASGI app, on real PostgreSQL and Redis."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import select

from planner_gateway.settings import GatewaySettings
from planner_shared.bus.streams import stream_for
from planner_shared.db.models import OutboxMessage, Workflow, WorkflowEvent
from planner_shared.events import (
    CancelRequested,
    ReforecastRequested,
    WorkflowRequested,
)
from planner_tools.testing.gateway import (
    APPROVER,
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


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"])
    error: dict[str, Any] = body["error"]
    return error


async def test_start_from_parameters_commits_workflow_and_event_together(
    gateway: Gateway,
    gateway_settings: GatewaySettings,
    sessionmaker: Sessions,
    redis_client: aioredis.Redis,
) -> None:
    await seed_reference(sessionmaker)
    response = await gateway.client.post(
        "/api/workflows/forecast",
        json={"parameters": PARAMETERS, "category_codes": ["KNIT", "DRESS"]},
        headers=PLANNER,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    workflow_id = body["workflow_id"]
    assert body["state"] == body["status"] == "created"
    assert body["websocket_url"] == f"ws://gateway/ws/workflows/{workflow_id}"
    assert response.headers["location"] == f"/api/workflows/{workflow_id}"

    async with sessionmaker() as session:
        workflow = await session.get(Workflow, workflow_id)
        outbox = (await session.scalars(select(OutboxMessage))).all()
    assert workflow is not None
    assert workflow.created_by == "pat"
    assert workflow.category_codes == ["DRESS", "KNIT"]
    assert workflow.parameters is not None
    assert workflow.parameters["markdown_checkpoint_week"] == 6
    assert [row.type for row in outbox] == ["workflow.requested"]
    assert str(outbox[0].event_id) == body["event_id"]

    # The gateway's own relay publishes it; its reader stores it in the history.
    stream = stream_for(gateway_settings, WorkflowRequested)

    async def published() -> bool:
        return any(
            str(e.event_id) == body["event_id"] for e in await events_on(redis_client, stream)
        )

    await wait_until(published)
    [event] = await events_on(redis_client, stream)
    assert isinstance(event, WorkflowRequested)
    assert event.payload.requested_by == "pat"
    assert event.payload.parameters is not None
    assert event.payload.category_codes == ["DRESS", "KNIT"]
    await wait_until(lambda: count(sessionmaker, WorkflowEvent))
    history = await gateway.client.get(f"/api/workflows/{workflow_id}/events", headers=READER)
    assert [e["type"] for e in history.json()["events"]] == ["workflow.requested"]


async def test_start_from_a_brief_and_the_frontend_fields(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    response = await gateway.client.post(
        "/api/workflows/forecast",
        json={"brief": "12 weeks from March 1, weekly replenishment", "category_id": "DRESS"},
        headers=PLANNER,
    )
    assert response.status_code == 201, response.text
    async with sessionmaker() as session:
        workflow = await session.get(Workflow, response.json()["workflow_id"])
    assert workflow is not None
    assert workflow.brief == "12 weeks from March 1, weekly replenishment"
    assert workflow.parameters is None
    assert workflow.category_codes == ["DRESS"]


async def test_invalid_starts_are_refused_and_store_nothing(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    url = "/api/workflows/forecast"
    checkpoint_after_season = PARAMETERS | {"markdown_checkpoint_week": 14}
    cases: list[tuple[dict[str, Any], dict[str, str], int, str]] = [
        ({"parameters": checkpoint_after_season}, PLANNER, 422, "validation_error"),
        (
            {"parameters": PARAMETERS | {"dc_holdback_percentage": 150}},
            PLANNER,
            422,
            "validation_error",
        ),
        (
            {"parameters": PARAMETERS | {"replenishment_strategy": "daily"}},
            PLANNER,
            422,
            "validation_error",
        ),
        ({}, PLANNER, 422, "validation_error"),
        ({"brief": ""}, PLANNER, 422, "validation_error"),
        ({"brief": "x", "surprise": 1}, PLANNER, 422, "validation_error"),
        ({"parameters": PARAMETERS, "category_codes": ["SHOES"]}, PLANNER, 422, "validation_error"),
        ({"parameters": PARAMETERS}, APPROVER, 403, "forbidden"),
        ({"parameters": PARAMETERS}, {}, 401, "unauthorized"),
        ({"parameters": PARAMETERS}, {"Authorization": "Bearer nope"}, 401, "unauthorized"),
    ]
    for body, headers, status, code in cases:
        response = await gateway.client.post(url, json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert _error(response)["code"] == code
    checkpoint = await gateway.client.post(
        url, json={"parameters": checkpoint_after_season}, headers=PLANNER
    )
    assert "after the end of the season" in checkpoint.json()["error"]["details"][0]["message"]
    shoes = await gateway.client.post(
        url, json={"parameters": PARAMETERS, "category_codes": ["SHOES"]}, headers=PLANNER
    )
    assert shoes.json()["error"]["details"] == [
        {"field": "category_codes", "value": "SHOES", "message": "no such category"}
    ]
    missing = await gateway.client.post(url, json={"parameters": PARAMETERS})
    assert missing.headers["www-authenticate"] == "Bearer"
    assert await count(sessionmaker, Workflow) == 0
    assert await count(sessionmaker, OutboxMessage) == 0


async def test_reforecast_only_in_season(gateway: Gateway, sessionmaker: Sessions) -> None:
    in_season = await new_workflow(sessionmaker, "in_season")
    forecasting = await new_workflow(sessionmaker, "forecasting")
    completed = await new_workflow(sessionmaker, "completed")
    url = "/api/workflows/reforecast"

    refused = await gateway.client.post(
        url, json={"workflow_id": str(forecasting), "reason": "x"}, headers=PLANNER
    )
    assert refused.status_code == 409
    assert _error(refused)["message"] == (
        f"workflow {forecasting} is forecasting; a re-forecast needs in_season"
    )
    done = await gateway.client.post(
        url, json={"workflow_id": str(completed), "reason": "x"}, headers=PLANNER
    )
    assert done.status_code == 409
    assert _error(done)["message"] == (
        f"workflow {completed} is completed; a re-forecast needs in_season"
    )
    unknown = await gateway.client.post(
        url,
        json={"workflow_id": "00000000-0000-0000-0000-000000000000", "reason": "x"},
        headers=PLANNER,
    )
    assert unknown.status_code == 404
    assert _error(unknown)["code"] == "not_found"
    for bad in ({"workflow_id": str(in_season)}, {"workflow_id": "nope", "reason": "x"}):
        assert (await gateway.client.post(url, json=bad, headers=PLANNER)).status_code == 422
    wrong_role = await gateway.client.post(
        url, json={"workflow_id": str(in_season), "reason": "x"}, headers=READER
    )
    assert wrong_role.status_code == 403
    assert await count(sessionmaker, OutboxMessage) == 0

    accepted = await gateway.client.post(
        url, json={"workflow_id": str(in_season), "reason": "competitor closed"}, headers=PLANNER
    )
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["event_type"] == "workflow.reforecast_requested"
    async with sessionmaker() as session:
        [row] = (await session.scalars(select(OutboxMessage))).all()
    event = ReforecastRequested.model_validate(row.envelope)
    assert event.workflow_id == in_season
    assert event.payload.reason == "competitor closed"
    assert event.payload.requested_by == "pat"


async def test_cancel(gateway: Gateway, sessionmaker: Sessions) -> None:
    live = await new_workflow(sessionmaker, "awaiting_manufacturing_approval")
    cancelled = await new_workflow(sessionmaker, "cancelled")
    refused = await gateway.client.post(f"/api/workflows/{cancelled}/cancel", headers=PLANNER)
    assert refused.status_code == 409
    assert _error(refused)["message"] == (
        f"workflow {cancelled} is cancelled; a cancellation needs a workflow that has not ended"
    )
    assert (
        await gateway.client.post(f"/api/workflows/{live}/cancel", headers=READER)
    ).status_code == 403
    missing = await gateway.client.post(
        "/api/workflows/6d2c1e9a-0000-4000-8000-000000000000/cancel", headers=PLANNER
    )
    assert missing.status_code == 404
    assert await count(sessionmaker, OutboxMessage) == 0

    response = await gateway.client.post(
        f"/api/workflows/{live}/cancel", json={"reason": "plan withdrawn"}, headers=PLANNER
    )
    assert response.status_code == 202, response.text
    assert response.json()["state"] == "awaiting_manufacturing_approval"
    async with sessionmaker() as session:
        [row] = (await session.scalars(select(OutboxMessage))).all()
    event = CancelRequested.model_validate(row.envelope)
    assert event.payload.reason == "plan withdrawn"
    without_body = await gateway.client.post(f"/api/workflows/{live}/cancel", headers=PLANNER)
    assert without_body.status_code == 202


async def test_read_a_workflow(gateway: Gateway, sessionmaker: Sessions) -> None:
    workflow_id = await new_workflow(sessionmaker, "awaiting_manufacturing_approval")
    async with sessionmaker() as session, session.begin():
        workflow = await session.get(Workflow, workflow_id)
        assert workflow is not None
        workflow.pending_input = {"kind": "manufacturing", "proposed_value": 1000}
    response = await gateway.client.get(f"/api/workflows/{workflow_id}", headers=READER)
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == body["status"] == "awaiting_manufacturing_approval"
    assert body["pending_input"] == {"kind": "manufacturing", "proposed_value": 1000}
    assert body["parameters"]["forecast_horizon_weeks"] == 12
    assert body["created_by"] == "pat"
    assert body["created_at"]
    assert body["updated_at"]
    assert body["websocket_url"].endswith(f"/ws/workflows/{workflow_id}")
    assert (await gateway.client.get(f"/api/workflows/{workflow_id}")).status_code == 401
    not_uuid = await gateway.client.get("/api/workflows/not-a-uuid", headers=READER)
    assert not_uuid.status_code == 422
    assert _error(not_uuid)["details"][0]["field"] == "workflow_id"


async def test_list_pages_by_offset_and_cursor_and_filters_by_state(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    created = [await new_workflow(sessionmaker, "in_season") for _ in range(5)]
    created += [await new_workflow(sessionmaker, "completed") for _ in range(2)]
    newest_first = [str(w) for w in reversed(created)]

    first = (await gateway.client.get("/api/workflows?limit=3", headers=READER)).json()
    assert first["total"] == 7
    assert [w["workflow_id"] for w in first["items"]] == newest_first[:3]
    second = (
        await gateway.client.get(
            f"/api/workflows?limit=3&cursor={first['next_cursor']}", headers=READER
        )
    ).json()
    assert [w["workflow_id"] for w in second["items"]] == newest_first[3:6]
    by_offset = (await gateway.client.get("/api/workflows?limit=3&offset=3", headers=READER)).json()
    assert by_offset["items"] == second["items"]
    last = (
        await gateway.client.get(
            f"/api/workflows?limit=3&cursor={second['next_cursor']}", headers=READER
        )
    ).json()
    assert [w["workflow_id"] for w in last["items"]] == newest_first[6:]
    assert last["next_cursor"] is None

    completed = (
        await gateway.client.get("/api/workflows?state=completed&state=failed", headers=READER)
    ).json()
    assert completed["total"] == 2
    assert {w["state"] for w in completed["items"]} == {"completed"}
    assert completed["items"][0]["season_start_date"] == "2027-03-01"

    for bad in ("state=finished", "limit=0", "limit=500", "cursor=%%%", "offset=1&cursor=abc"):
        response = await gateway.client.get(f"/api/workflows?{bad}", headers=READER)
        assert response.status_code == 422, bad
        assert _error(response)["code"] == "validation_error"
