"""Issue 22, point 9: who may do what.

One rule for every write on a season (its planner, or an operator); four-eyes on decisions
(the one who started a season may not decide it); wrong keys rate-limited at the sign-in and
on every bearer call; the v1 stream's incoming frames rate-limited like `/ws`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from planner_gateway.frame_budget import CLIENT_BURST, CLIENT_DROP_LIMIT, CLOSE_POLICY
from planner_gateway.settings import GatewaySettings
from planner_shared.bus.streams import stream_for
from planner_shared.db.frontend_v1 import ReferenceUpload, V1Workflow
from planner_shared.db.models import OutboxMessage, WeeklyActual, Workflow
from planner_shared.events import DecisionSubmitted
from planner_shared.settings import Environment
from planner_tools.testing.gateway import (
    APPROVER,
    KEYS,
    OPERATOR,
    PLANNER,
    Gateway,
    Sessions,
    count,
    events_on,
    new_workflow,
    running_gateway,
    seed_reference,
    serve,
)

WEEK_ONE = (
    "store_code,category_code,week_number,week_start,units_sold\n"
    + "\n".join(
        f"{store},{category},1,2027-03-01,10"
        for store in ("S001", "S002", "S003")
        for category in ("DRESS", "KNIT")
    )
).encode()
V1_SEASON: dict[str, Any] = {
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
OTHER_PLANNER = {"Authorization": "Bearer other-planner-key-0123"}
BOTH_ROLES = {"Authorization": "Bearer planner-and-approver-0123"}
WHO_KEYS = KEYS | {
    "other-planner-key-0123": {"name": "quinn", "roles": ["planner"]},
    "planner-and-approver-0123": {"name": "bea", "roles": ["planner", "approver"]},
}


@pytest.fixture
def who_settings(service_settings: Callable[..., Any]) -> GatewaySettings:
    settings: GatewaySettings = service_settings(
        GatewaySettings,
        api_keys=WHO_KEYS,
        four_eyes="on",
        sign_in_failures=3,
        sign_in_window_seconds=2,
        reply_timeout_seconds=0.5,
        reader_block_ms=100,
        max_upload_bytes=64 * 1024,
    )
    return settings


@pytest.fixture
async def gateway(who_settings: GatewaySettings, sessionmaker: Sessions) -> AsyncIterator[Gateway]:
    async with running_gateway(who_settings) as gw:
        yield gw


async def _error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    error = body.get("error") or {"code": body.get("code"), "message": body.get("detail")}
    return response.status_code, str(error.get("code")), str(error.get("message"))


async def test_a_planner_writes_only_to_seasons_they_started(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    season = await new_workflow(sessionmaker, "in_season")  # started by pat
    outbox = await count(sessionmaker, OutboxMessage)

    reforecast = {"workflow_id": str(season), "reason": "drift"}

    async def upload(headers: dict[str, str]) -> httpx.Response:
        return await gateway.client.post(
            "/api/data/weekly-actuals",
            data={"workflow_id": str(season)},
            files={"file": ("week.csv", WEEK_ONE, "text/csv")},
            headers=headers,
        )

    for response in [
        await gateway.client.post(
            "/api/workflows/reforecast", json=reforecast, headers=OTHER_PLANNER
        ),
        await upload(OTHER_PLANNER),
        await gateway.client.post(f"/api/workflows/{season}/cancel", headers=OTHER_PLANNER),
    ]:
        status, code, message = await _error(response)
        assert (status, code) == (403, "not_your_workflow"), response.text
        assert f"workflow {season} was started by pat" in message
        assert "not quinn" in message
    # Nothing of the refused writes was stored or sent.
    assert await count(sessionmaker, OutboxMessage) == outbox
    assert await count(sessionmaker, WeeklyActual) == 0

    # Its planner may; an operator may, on anyone's season; a reader or approver may not.
    mine = await upload(PLANNER)
    assert mine.status_code == 202, mine.text
    by_operator = await gateway.client.post(
        "/api/workflows/reforecast", json=reforecast, headers=OPERATOR
    )
    assert by_operator.status_code == 202, by_operator.text
    by_approver = await gateway.client.post(f"/api/workflows/{season}/cancel", headers=APPROVER)
    assert by_approver.status_code == 403
    assert "needs the planner or operator role" in by_approver.json()["error"]["message"]


async def test_the_same_rule_holds_on_the_v1_season_writes(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    created = await gateway.client.post(
        "/api/v1/workflows/forecast", json=V1_SEASON, headers=PLANNER
    )
    assert created.status_code == 201, created.text
    v1_id = created.json()["workflow_id"]
    profile = "store_id,store_name,region,size_sqft,cluster_id\nS001,One,north,15000,premium\n"

    upload = await gateway.client.post(
        f"/api/v1/workflows/{v1_id}/demand/upload",
        files={"file": ("stores.csv", profile.encode())},
        data={"file_type": "store_profiles"},
        headers=OTHER_PLANNER,
    )
    execute = await gateway.client.post(f"/api/v1/workflows/{v1_id}/execute", headers=OTHER_PLANNER)
    for response in (upload, execute):
        assert response.status_code == 403, response.text
        assert response.json()["detail"].startswith(f"workflow {v1_id} was started by pat")
    assert await count(sessionmaker, ReferenceUpload) == 0
    async with sessionmaker() as session:
        v1 = await session.get(V1Workflow, v1_id)
        assert v1 is not None
        assert v1.executed_at is None
        assert await session.scalar(select(func.count()).select_from(Workflow)) == 0

    executed = await gateway.client.post(f"/api/v1/workflows/{v1_id}/execute", headers=PLANNER)
    assert executed.status_code == 202, executed.text


async def test_four_eyes_refuses_a_decision_by_the_one_who_started_the_season(
    gateway: Gateway,
    sessionmaker: Sessions,
    redis_client: aioredis.Redis,
    who_settings: GatewaySettings,
) -> None:
    stream = stream_for(who_settings, DecisionSubmitted)
    season = await new_workflow(sessionmaker, "forecasting")
    async with sessionmaker.begin() as session:
        workflow = await session.get(Workflow, season)
        assert workflow is not None
        workflow.created_by = "bea"
        workflow.state = "awaiting_manufacturing_approval"

    own = await gateway.client.post(
        "/api/approvals/manufacturing",
        json={"workflow_id": str(season), "action": "accept"},
        headers=BOTH_ROLES,
    )
    status, code, message = await _error(own)
    assert (status, code) == (403, "four_eyes"), own.text
    assert "another approver must decide it" in message
    assert not [e for e in await events_on(redis_client, stream) if e.workflow_id == season]

    # Another approver's decision is sent (no approvals service runs here: 202 pending).
    other = await gateway.client.post(
        "/api/approvals/manufacturing",
        json={"workflow_id": str(season), "action": "accept"},
        headers=APPROVER,
    )
    assert other.status_code == 202, other.text
    [sent] = [e for e in await events_on(redis_client, stream) if e.workflow_id == season]
    assert isinstance(sent, DecisionSubmitted)
    assert sent.payload.decided_by == "ann"


def test_four_eyes_is_on_in_production_and_off_elsewhere_unless_set(
    service_settings: Callable[..., Any],
) -> None:
    production_keys = {"a-production-key-0123": {"name": "pat", "roles": ["planner"]}}

    def build(environment: Environment, **overrides: object) -> GatewaySettings:
        settings: GatewaySettings = service_settings(
            GatewaySettings, environment=environment, api_keys=production_keys, **overrides
        )
        return settings

    assert build(Environment.PRODUCTION).four_eyes_enabled is True
    assert build(Environment.DEVELOPMENT).four_eyes_enabled is False
    assert build(Environment.TEST).four_eyes_enabled is False
    assert build(Environment.DEVELOPMENT, four_eyes="on").four_eyes_enabled is True
    assert build(Environment.PRODUCTION, four_eyes="off").four_eyes_enabled is False


async def test_wrong_keys_are_rate_limited_per_address(
    gateway: Gateway, who_settings: GatewaySettings
) -> None:
    right = {"api_key": "planner-key-0123456789"}
    for _ in range(who_settings.sign_in_failures):
        wrong = await gateway.client.post("/api/session", json={"api_key": "guess-0123456789"})
        assert wrong.status_code == 401, wrong.text
    for attempt in [
        await gateway.client.post("/api/session", json={"api_key": "guess-0123456789"}),
        # A right key is refused too: it would tell a guesser it had found one.
        await gateway.client.post("/api/session", json=right),
        await gateway.client.get("/api/me", headers=PLANNER),
    ]:
        assert attempt.status_code == 429, attempt.text
        assert attempt.json()["error"]["code"] == "too_many_failed_sign_ins"
        assert 1 <= int(attempt.headers["Retry-After"]) <= who_settings.sign_in_window_seconds

    # Another address is not held back.
    transport = httpx.ASGITransport(app=gateway.app, client=("10.1.2.3", 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as elsewhere:
        assert (await elsewhere.post("/api/session", json=right)).status_code == 200

    # Once the window has passed, the right key signs in again.
    await asyncio.sleep(who_settings.sign_in_window_seconds + 0.2)
    again = await gateway.client.post("/api/session", json=right)
    assert again.status_code == 200, again.text


async def test_wrong_bearer_keys_count_too(gateway: Gateway, who_settings: GatewaySettings) -> None:
    guess = {"Authorization": "Bearer guess-0123456789"}
    for _ in range(who_settings.sign_in_failures):
        assert (await gateway.client.get("/api/me", headers=guess)).status_code == 401
    blocked = await gateway.client.get("/api/me", headers=PLANNER)
    assert blocked.status_code == 429, blocked.text
    assert "Retry-After" in blocked.headers


async def test_the_v1_stream_rate_limits_incoming_frames(
    who_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    await seed_reference(sessionmaker)
    async with serve(who_settings) as server:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            created = await client.post(
                "/api/v1/workflows/forecast", json=V1_SEASON, headers=PLANNER
            )
        v1_id = created.json()["workflow_id"]
        url = f"ws://127.0.0.1:{server.port}/api/v1/workflows/{v1_id}/stream"
        sent = 0
        async with connect(url, additional_headers=PLANNER, proxy=None, open_timeout=5) as ws:
            for _ in range(2000):
                try:
                    await ws.send("junk")
                except ConnectionClosed:
                    break
                sent += 1
            answers: list[dict[str, Any]] = []
            code = None
            try:
                while True:
                    answers.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else None
    errors = [a for a in answers if a["type"] == "error"]
    assert len(errors) == 1, answers
    assert errors[0]["error_message"].startswith("rate_limited")
    assert errors[0]["workflow_id"] == v1_id
    assert code == CLOSE_POLICY
    # Closed after the burst and CLIENT_DROP_LIMIT over it, not after 2,000 frames read.
    assert CLIENT_BURST + CLIENT_DROP_LIMIT < 2000


async def test_wrong_websocket_tokens_count_too(
    who_settings: GatewaySettings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    workflow_id = await new_workflow(sessionmaker)

    async def close_code(token: str) -> int | None:
        async with connect(server.ws(workflow_id, f"token={token}"), proxy=None) as ws:
            try:
                await asyncio.wait_for(ws.recv(), 5)
            except ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None
        return None

    async with serve(who_settings) as server:
        for _ in range(who_settings.sign_in_failures):
            assert await close_code("guess-0123456789") == 4401
        # Over the limit, the right key is refused the same way, and so is a REST call.
        assert await close_code("reader-key-0123456789") == 4401
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            blocked = await client.get("/api/me", headers=PLANNER)
        assert blocked.status_code == 429, blocked.text
