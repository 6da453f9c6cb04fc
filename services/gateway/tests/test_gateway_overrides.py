"""Forecast overrides over the API (docs/overrides.md), on real PostgreSQL and Redis: made
with who, when and why, the ledger's demand moved by the stated amount while the statistical
forecast is kept, shown beside it in the charts, withdrawn (recorded, not erased), and every
bad request refused with the field named and nothing stored."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import numpy as np
import pytest

from planner_shared.db.models import ForecastOverride, ForecastWeek, Workflow
from planner_shared.stock.season import load_season_stock
from planner_tools.testing.gateway import (
    FOUR_WEEK_SEASON,
    OPERATOR,
    PLANNER,
    READER,
    Gateway,
    Sessions,
    count,
    new_workflow,
    seed_reference,
)

from .test_gateway_access import OTHER_PLANNER, two_planners
from .test_gateway_stock import _season

PARAMETERS = FOUR_WEEK_SEASON
__all__ = ["two_planners"]  # the fixture: a gateway that knows a second planner


def _path(workflow_id: UUID) -> str:
    return f"/api/workflows/{workflow_id}/forecast-overrides"


async def _demand(sessionmaker: Sessions, workflow_id: UUID) -> Any:
    async with sessionmaker() as session:
        return (await load_season_stock(session, workflow_id)).paths["KNIT"]


async def test_an_override_moves_the_final_forecast_and_keeps_the_statistical(
    two_planners: Gateway, sessionmaker: Sessions
) -> None:
    gateway = two_planners
    workflow_id = await _season(sessionmaker)
    statistical = await _demand(sessionmaker, workflow_id)

    made = await gateway.client.post(
        _path(workflow_id),
        headers=PLANNER,
        json={"code": "Knitwear", "weeks": [2, 3], "percent": 10, "reason": "cold spring"},
    )
    assert made.status_code == 201, made.text
    override = made.json()
    assert (override["code"], override["category_code"], override["created_by"]) == (
        "KNIT",
        "KNIT",
        "pat",
    )
    assert override["active"]
    assert override["reason"] == "cold spring"
    assert "in season" in override["takes_effect"]

    final = await _demand(sessionmaker, workflow_id)
    factor = np.array([1.0, 1.1, 1.1, 1.0])[:, None]
    assert final.point == pytest.approx(statistical.point * factor)
    assert final.upper == pytest.approx(statistical.upper * factor)
    assert await count(sessionmaker, ForecastWeek) == 4  # the statistical rows, untouched

    chart = (
        await gateway.client.get(f"/api/workflows/{workflow_id}/charts/forecast", headers=READER)
    ).json()
    [knit] = chart["categories"]
    assert [p["forecast_units"] for p in knit["forecast"]] == [60.0] * 4
    assert [p["final_units"] for p in knit["forecast"]] == [60.0, 66.0, 66.0, 60.0]
    assert (knit["season_total"], knit["final_season_total"]) == (240.0, 252.0)
    assert [o["id"] for o in chart["overrides"]] == [override["id"]]
    weekly = (
        await gateway.client.get(f"/api/workflows/{workflow_id}/charts/weekly", headers=READER)
    ).json()
    total = weekly["series"][0]["points"]
    assert [p["final_units"] for p in total] == [60.0, 66.0, 66.0, 60.0]

    # Another planner may not withdraw it; its planner may, and it stays listed.
    path = f"{_path(workflow_id)}/{override['id']}"
    refused = await gateway.client.delete(path, headers=OTHER_PLANNER)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_your_workflow"
    withdrawn = await gateway.client.delete(
        path, params={"reason": "warm after all"}, headers=PLANNER
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert not withdrawn.json()["active"]
    assert withdrawn.json()["withdrawn_by"] == "pat"
    again = await gateway.client.delete(path, headers=PLANNER)
    assert again.status_code == 409
    listed = (await gateway.client.get(_path(workflow_id), headers=READER)).json()["items"]
    assert [(o["id"], o["withdrawn_reason"]) for o in listed] == [
        (override["id"], "warm after all")
    ]
    assert (await _demand(sessionmaker, workflow_id)).point == pytest.approx(statistical.point)


async def test_units_on_a_store_go_to_that_store_only(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    workflow_id = await _season(sessionmaker)
    statistical = await _demand(sessionmaker, workflow_id)
    made = await gateway.client.post(
        _path(workflow_id),
        headers=OPERATOR,
        json={"scope": "store", "code": "S002", "category_code": "KNIT", "weeks": [4],
              "units": 15, "reason": "store event"},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    final = await _demand(sessionmaker, workflow_id)
    added = final.point - statistical.point
    assert added[3, 1] == pytest.approx(15)
    assert added.sum() == pytest.approx(15)


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"code": "SHOES", "percent": 5}, "code", "unknown category 'SHOES'"),
        ({"code": "DRESS", "percent": 5}, "code", "not planned in this season"),
        ({"code": "KNIT", "weeks": [5], "percent": 5}, "weeks", "outside the season"),
        ({"code": "KNIT", "percent": 5, "units": 3}, "percent", "not both"),
        ({"code": "KNIT"}, "percent", "exactly one of percent"),
        ({"code": "KNIT", "percent": float("nan")}, "percent", "finite"),
        ({"code": "KNIT", "units": float("inf")}, "units", "finite"),
        ({"code": "KNIT", "percent": -150}, "percent", "between -100 and 500"),
        ({"scope": "store", "code": "S999", "percent": 5}, "code", "unknown store"),
        ({"scope": "cluster", "code": "0", "percent": 5}, "code", "no store clusters yet"),
        ({"code": "KNIT", "percent": 5, "reason": "  "}, "reason", "say why"),
    ],
)
async def test_bad_overrides_are_refused_with_the_field_and_store_nothing(
    gateway: Gateway, sessionmaker: Sessions, body: dict[str, Any], field: str, words: str
) -> None:
    workflow_id = await _season(sessionmaker)
    # Written by hand: NaN and Infinity are not JSON, but a client may still send them.
    answer = await gateway.client.post(
        _path(workflow_id),
        headers=PLANNER | {"Content-Type": "application/json"},
        content=json.dumps({"reason": "test", **body}),
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert words in error["message"]
    assert error["details"][0]["field"] == field
    assert await count(sessionmaker, ForecastOverride) == 0


async def test_an_ended_season_takes_no_override(gateway: Gateway, sessionmaker: Sessions) -> None:
    ended = await new_workflow(sessionmaker, "completed", PARAMETERS, ["KNIT"])
    answer = await gateway.client.post(
        _path(ended), headers=PLANNER, json={"code": "KNIT", "percent": 5, "reason": "late"}
    )
    assert answer.status_code == 409
    assert "has not ended" in answer.json()["error"]["message"]


async def test_a_season_is_created_with_its_accepted_overrides_or_not_at_all(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    """The brief's accepted proposals come with the season request: stored in its
    transaction, so run 1 sizes the order on them; one refused refuses the season."""
    await seed_reference(sessionmaker)
    proposal = {"code": "knitwear", "percent": 10, "reason": "brief: knitwear up 10 %",
                "source": "brief"}  # fmt: skip
    body = {"parameters": PARAMETERS, "category_codes": ["KNIT"], "forecast_overrides": [proposal]}
    created = await gateway.client.post("/api/workflows/forecast", headers=PLANNER, json=body)
    assert created.status_code == 201, created.text
    workflow_id = created.json()["workflow_id"]
    [stored] = (await gateway.client.get(_path(workflow_id), headers=READER)).json()["items"]
    assert (stored["code"], stored["percent"], stored["source"]) == ("KNIT", 10.0, "brief")
    assert stored["weeks"] == [1, 2, 3, 4]

    bad = body | {"forecast_overrides": [proposal, proposal | {"weeks": [9]}]}
    refused = await gateway.client.post("/api/workflows/forecast", headers=PLANNER, json=bad)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["message"].startswith("forecast override 2: week 9 is outside the season")
    assert error["details"][0]["field"] == "forecast_overrides.1.weeks"
    assert await count(sessionmaker, Workflow) == 1
    assert await count(sessionmaker, ForecastOverride) == 1
