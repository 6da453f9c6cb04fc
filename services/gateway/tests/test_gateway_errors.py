"""Error answers for bodies a client gets wrong: not JSON, or not sent as JSON."""

from __future__ import annotations

import json

import pytest

from planner_shared.db.models import OutboxMessage, Workflow
from planner_tools.testing.gateway import PARAMETERS, PLANNER, Gateway, Sessions, count

URL = "/api/workflows/forecast"
BODY = json.dumps({"parameters": PARAMETERS})


async def test_a_malformed_json_body_says_where_and_why(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    broken = '{"brief": "12 weeks from March 1",, "category_codes": ["DRESS"]}'
    response = await gateway.client.post(
        URL, content=broken, headers=PLANNER | {"Content-Type": "application/json"}
    )

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    position = broken.index(",,") + 1
    # json.JSONDecodeError's own words, at the offset of the second comma.
    with pytest.raises(json.JSONDecodeError) as decoding:
        json.loads(broken)
    assert decoding.value.pos == position
    message = f"invalid JSON at character {position}: {decoding.value.msg}"
    assert error == {
        "code": "invalid_json",
        "message": message,
        "details": [{"message": message, "location": "body"}],
    }
    assert await count(sessionmaker, Workflow) == 0


@pytest.mark.parametrize(
    ("content_type", "sent"),
    [
        ("text/plain", "text/plain"),
        ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
        ("text/plain; charset=utf-8", "text/plain"),
        (None, "no Content-Type"),
    ],
)
async def test_a_json_endpoint_refuses_other_content_types_with_415(
    gateway: Gateway, sessionmaker: Sessions, content_type: str | None, sent: str
) -> None:
    headers = dict(PLANNER)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = await gateway.client.post(URL, content=BODY, headers=headers)

    assert response.status_code == 415, response.text
    error = response.json()["error"]
    assert error["code"] == "unsupported_media_type"
    assert error["message"] == (
        f"this endpoint takes a JSON body: send it with Content-Type: application/json (got {sent})"
    )
    assert "b'" not in response.text
    assert await count(sessionmaker, OutboxMessage) == 0


async def test_json_with_a_charset_is_json(gateway: Gateway, sessionmaker: Sessions) -> None:
    response = await gateway.client.post(
        URL, content=BODY, headers=PLANNER | {"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 201, response.text
    assert await count(sessionmaker, Workflow) == 1
