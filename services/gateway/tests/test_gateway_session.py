"""Console sign-in: the cookie session, its expiry and sign-out, CSRF on writes, /api/me, the
WebSocket with the cookie, and the percent/fraction convention's refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import select, update
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from planner_gateway.console_sessions import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, digest
from planner_gateway.settings import GatewaySettings
from planner_shared.db.models import ConsoleSession, OutboxMessage, Workflow
from planner_tools.testing.gateway import (
    PARAMETERS,
    PLANNER,
    Gateway,
    Sessions,
    count,
    new_workflow,
    seed_reference,
    serve,
)

PLANNER_KEY = "planner-key-0123456789"
APPROVER_KEY = "approver-key-0123456789"


async def _sign_in(gateway: Gateway, key: str = PLANNER_KEY) -> dict[str, Any]:
    response = await gateway.client.post("/api/session", json={"api_key": key})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_sign_in_sets_an_httponly_cookie_with_an_expiry_and_me_answers(
    gateway: Gateway, gateway_settings: GatewaySettings, sessionmaker: Sessions
) -> None:
    response = await gateway.client.post("/api/session", json={"api_key": PLANNER_KEY})
    assert response.status_code == 200, response.text
    cookies = {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}
    session_cookie = cookies[SESSION_COOKIE].lower()
    assert "httponly" in session_cookie
    assert "samesite=lax" in session_cookie
    assert f"max-age={gateway_settings.session_ttl_seconds}" in session_cookie
    assert "expires=" in session_cookie
    assert "httponly" not in cookies[CSRF_COOKIE].lower()
    body = response.json()
    assert body["name"] == "pat"
    assert body["roles"] == ["planner"]
    assert body["can_plan"]
    assert not body["can_approve"]
    assert body["authenticated_by"] == "session"
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(hours=7) < expires - datetime.now(UTC) <= timedelta(hours=8)

    # Only digests are stored: the cookie value and the key never are.
    token = gateway.client.cookies[SESSION_COOKIE]
    async with sessionmaker() as session:
        row = await session.scalar(select(ConsoleSession))
    assert row is not None
    assert row.token_sha256 == digest(token)
    assert row.key_sha256 == digest(PLANNER_KEY)
    assert row.csrf_token == body["csrf_token"]

    me = await gateway.client.get("/api/me")
    assert me.status_code == 200
    assert me.json()["name"] == "pat"
    assert me.json()["csrf_token"] == body["csrf_token"]
    gateway.client.cookies.clear()
    by_key = await gateway.client.get("/api/me", headers=PLANNER)
    assert by_key.json()["authenticated_by"] == "api_key"
    assert by_key.json()["csrf_token"] is None


async def test_unknown_key_gets_no_session(gateway: Gateway, sessionmaker: Sessions) -> None:
    response = await gateway.client.post("/api/session", json={"api_key": "nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unknown_api_key"
    assert "set-cookie" not in response.headers
    assert await count(sessionmaker, ConsoleSession) == 0
    assert (await gateway.client.get("/api/me")).status_code == 401


async def test_a_write_with_the_cookie_needs_the_csrf_token(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    signed = await _sign_in(gateway)
    start = {"parameters": PARAMETERS}
    refused = await gateway.client.post("/api/workflows/forecast", json=start)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    wrong = await gateway.client.post(
        "/api/workflows/forecast", json=start, headers={CSRF_HEADER: "guess"}
    )
    assert wrong.status_code == 403
    assert await count(sessionmaker, Workflow) == 0
    assert await count(sessionmaker, OutboxMessage) == 0

    accepted = await gateway.client.post(
        "/api/workflows/forecast", json=start, headers={CSRF_HEADER: signed["csrf_token"]}
    )
    assert accepted.status_code == 201, accepted.text
    async with sessionmaker() as session:
        workflow = await session.scalar(select(Workflow))
    assert workflow is not None
    assert workflow.created_by == "pat"
    # Reads need no token.
    assert (await gateway.client.get("/api/workflows")).status_code == 200


async def test_roles_hold_with_the_cookie(gateway: Gateway, sessionmaker: Sessions) -> None:
    workflow_id = await new_workflow(sessionmaker, "awaiting_manufacturing_approval")
    signed = await _sign_in(gateway)
    response = await gateway.client.post(
        "/api/approvals/manufacturing",
        json={"workflow_id": str(workflow_id), "action": "accept"},
        headers={CSRF_HEADER: signed["csrf_token"]},
    )
    assert response.status_code == 403
    assert "approver" in response.json()["error"]["message"]


async def test_sign_out_ends_the_session(gateway: Gateway, sessionmaker: Sessions) -> None:
    signed = await _sign_in(gateway)
    token = gateway.client.cookies[SESSION_COOKIE]
    without_token = await gateway.client.delete("/api/session")
    assert without_token.status_code == 403  # sign-out is a write too
    out = await gateway.client.delete("/api/session", headers={CSRF_HEADER: signed["csrf_token"]})
    assert out.status_code == 204
    cleared = " ".join(out.headers.get_list("set-cookie")).lower()
    assert f"{SESSION_COOKIE}=" in cleared
    assert "max-age=0" in cleared
    # The old cookie, replayed, is refused.
    gateway.client.cookies.set(SESSION_COOKIE, token)
    again = await gateway.client.get("/api/me")
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "session_expired"
    async with sessionmaker() as session:
        row = await session.scalar(select(ConsoleSession))
    assert row is not None
    assert row.revoked_at is not None


async def test_an_expired_session_or_a_removed_key_is_refused(
    gateway: Gateway, gateway_settings: GatewaySettings, sessionmaker: Sessions
) -> None:
    await _sign_in(gateway)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(ConsoleSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    response = await gateway.client.get("/api/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_expired"

    await _sign_in(gateway)
    assert (await gateway.client.get("/api/me")).status_code == 200
    del gateway_settings.api_keys[PLANNER_KEY]
    assert (await gateway.client.get("/api/me")).status_code == 401


async def test_the_websocket_accepts_the_cookie_from_its_own_origin(
    gateway_settings: GatewaySettings, sessionmaker: Sessions
) -> None:
    workflow_id = await new_workflow(sessionmaker, "in_season")
    async with serve(gateway_settings) as server:
        base = f"http://127.0.0.1:{server.port}"
        async with httpx.AsyncClient(base_url=base) as client:
            assert (await client.post("/api/session", json={"api_key": PLANNER_KEY})).is_success
            cookie = f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}"
        url = f"ws://127.0.0.1:{server.port}/ws/workflows/{workflow_id}?since=start"
        own = {"Cookie": cookie, "Origin": base}
        async with connect(url, proxy=None, open_timeout=5, additional_headers=own) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await ws.recv())["type"] == "pong"
        foreign = {"Cookie": cookie, "Origin": "http://evil.example"}
        for headers in (foreign, {"Origin": base}, {"Cookie": f"{SESSION_COOKIE}=forged"}):
            async with connect(url, proxy=None, open_timeout=5, additional_headers=headers) as ws:
                with pytest.raises(ConnectionClosed) as closed:
                    await ws.recv()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4401, headers


async def test_units_that_look_like_the_other_unit_are_refused(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    for field, value, words in (
        ("dc_holdback_percentage", 0.45, "looks like a fraction: send 45"),
        ("markdown_threshold", 60, "looks like a percent: send 0.6"),
    ):
        response = await gateway.client.post(
            "/api/workflows/forecast",
            json={"parameters": PARAMETERS | {field: value}},
            headers=PLANNER,
        )
        assert response.status_code == 422, response.text
        assert words in response.text
    assert await count(sessionmaker, Workflow) == 0

    schema = (await gateway.client.get("/openapi.json")).json()["components"]["schemas"]
    params = schema["SeasonParameters-Input"]["properties"]
    assert params["dc_holdback_percentage"]["x-unit"] == "percent"
    assert params["markdown_threshold"]["x-unit"] == "fraction"

    workflow_id = await new_workflow(sessionmaker, "awaiting_markdown_approval")
    approver = {"Authorization": f"Bearer {APPROVER_KEY}"}
    markdown = await gateway.client.post(
        "/api/approvals/markdown",
        json={"workflow_id": str(workflow_id), "action": "modify", "value": 0.15, "reason": "x"},
        headers=approver,
    )
    assert markdown.status_code == 422
    assert "looks like a fraction" in markdown.text
    projection = await gateway.client.get(
        f"/api/workflows/{uuid4()}/markdowns/projection?markdown_pct=0.2", headers=PLANNER
    )
    assert projection.status_code == 422
    assert "looks like a fraction" in projection.text
