"""Scenarios over the API: a season forked before the buy and in season, evaluated beside the
live plan, every lever refused with its path when the season cannot take it, adopted into the
pending decision; a transfer strategy moving stock in the scenario alone; and nothing of the
season's tables changes."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select, text

from planner_shared.db.base import Base
from planner_shared.db.engine import transaction
from planner_shared.db.models import ActualsUpload, Approval, Category, Store, WeeklyActual
from planner_tools.testing.gateway import (
    APPROVER,
    FOUR_WEEK_SEASON,
    PLANNER,
    READER,
    SEASON_STORES,
    Gateway,
    Sessions,
    seed_four_week_season,
)

STORES = SEASON_STORES
CODES = ("DRESS", "KNIT")
PROPOSED = 300  # per category; 40 % stays at the DC, the stores get 60 each


async def _season(
    sessionmaker: Sessions,
    *,
    allocated: bool = False,
    parameters: dict[str, Any] = FOUR_WEEK_SEASON,
    point: float = 60.0,
    shares: tuple[float, ...] = (80.0, 80.0, 80.0),
    initial: int = 60,
    ordered: int = PROPOSED,
) -> UUID:
    """Forecast 60 a week per category (45-75), a proposed order of 300 per category with 10
    on hand, and the manufacturing approval pending (or the order allocated, in season:
    `initial` a store)."""
    workflow_id = await seed_four_week_season(
        sessionmaker,
        CODES,
        state="in_season" if allocated else "awaiting_manufacturing_approval",
        order=ordered,
        approved=allocated,
        initial=dict.fromkeys(STORES, initial) if allocated else None,
        parameters=parameters,
        point=point,
        store_totals=shares,
    )
    if not allocated:
        async with transaction(sessionmaker) as session:
            session.add(
                Approval(
                    workflow_id=workflow_id,
                    kind="manufacturing",
                    status="pending",
                    proposal={},
                    proposed_value=2 * PROPOSED,
                    min_value=480,
                    max_value=720,
                    request_event_id=uuid4(),
                )
            )
    return workflow_id


async def _tables(sessionmaker: Sessions) -> dict[str, list[str]]:
    """Every row of every table but the scenarios', as text."""
    found: dict[str, list[str]] = {}
    async with sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            if table.name == "scenarios":
                continue
            rows = (await session.execute(select(table))).all()
            found[table.name] = sorted(repr(tuple(r)) for r in rows)
    return found


def _post(gateway: Gateway, workflow_id: UUID, body: dict[str, Any], headers: Any = None) -> Any:
    return gateway.client.post(
        f"/api/workflows/{workflow_id}/scenarios", json=body, headers=headers or PLANNER
    )


LEVERS = {
    "buy": {"knit": 500},
    "dc_holdback_percentage": 30,
    "replenishment_strategy": "bi_weekly",
    "markdown": {"DRESS": {"markdown_percentage": 20}},
    "demand_adjustment": {"KNIT": {"change_percentage": 10, "weeks": [3, 4]}},
    "demand_elasticity": {"DRESS": -2.5},
}


async def test_a_fork_before_the_buy_is_evaluated_beside_the_live_plan_and_adopted(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    workflow_id = await _season(sessionmaker)
    before = await _tables(sessionmaker)
    response = await _post(gateway, workflow_id, {"name": "more knit", "levers": LEVERS})
    assert response.status_code == 201, response.text
    body = response.json()
    live = {c["category_code"]: c for c in body["live"]["categories"]}
    mine = {c["category_code"]: c for c in body["scenario"]["categories"]}
    # The live plan is the proposal allocated with the season's 40 %: 120 + 10 at the DC.
    assert body["live"]["before_the_buy"]
    assert body["live"]["dc_holdback_percentage"] == 40
    assert (live["KNIT"]["buy"], live["KNIT"]["dc_opening_units"]) == (300, 130.0)
    # The scenario's knit: 500 ordered, 150 (30 %) + 10 at the DC; the dress buy is kept.
    assert (mine["KNIT"]["buy"], mine["KNIT"]["dc_opening_units"]) == (500, 160.0)
    assert mine["DRESS"]["buy"] == 300
    assert mine["DRESS"]["markdown_percentage"] == 20
    assert body["scenario"]["replenishment_strategy"] == "bi_weekly"
    assert body["differences"]["total"]["units_available"] == 200
    assert body["differences"]["categories"]["KNIT"]["units_available"] == 200
    # The markdown sells dresses at 20 % off: their revenue per unit sold falls.
    dress, dress_live = mine["DRESS"], live["DRESS"]
    assert (
        dress["revenue"]["point"] / dress["units_sold"]["point"]
        < dress_live["revenue"]["point"] / dress_live["units_sold"]["point"]
    )
    for figures in (body["scenario"]["total"], *mine.values(), body["live"]["total"]):
        for name in ("units_sold", "lost_sales", "leftover_units", "season_margin"):
            band = figures[name]
            assert band["lower_80"] <= band["point"] <= band["upper_80"], (name, band)
        assert figures["units_sold"]["lower_80"] < figures["units_sold"]["upper_80"]
    for n in range(5):
        again = await _post(
            gateway,
            workflow_id,
            {"name": f"holdback {10 * n}", "levers": {"dc_holdback_percentage": 10 * n}},
        )
        assert again.status_code == 201, again.text
    listed = await gateway.client.get(f"/api/workflows/{workflow_id}/scenarios", headers=READER)
    assert [s["name"] for s in listed.json()["scenarios"]][:2] == ["more knit", "holdback 0"]
    one = await gateway.client.get(
        f"/api/workflows/{workflow_id}/scenarios/{body['id']}", headers=READER
    )
    assert one.json() == body
    adopted = await gateway.client.post(
        f"/api/workflows/{workflow_id}/scenarios/{body['id']}/adopt", headers=PLANNER
    )
    assert adopted.status_code == 200, adopted.text
    answer = adopted.json()
    assert answer["endpoint"] == "/api/approvals/manufacturing"
    assert answer["decision"] == {
        "workflow_id": str(workflow_id),
        "action": "modify",
        "lines": {"DRESS": 300.0, "KNIT": 500.0},
        "reason": "from scenario 'more knit'",
    }
    assert any(n.startswith("dc_holdback_percentage") for n in answer["not_carried"])
    stored = await gateway.client.get(
        f"/api/workflows/{workflow_id}/scenarios/{body['id']}", headers=READER
    )
    assert stored.json()["adopted_by"] == "pat"
    moved = await _post(
        gateway, workflow_id, {"name": "transfers", "levers": {"transfer_strategy": "dc_only"}}
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["scenario"]["transfer_strategy"] == "dc_only"
    # Eight scenarios and an adoption later, the season's tables are as they were.
    assert await _tables(sessionmaker) == before


async def test_levers_the_season_cannot_take_are_refused_with_their_path(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    workflow_id = await _season(sessionmaker)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"buy": {"SHOES": 10}}, "levers.buy.SHOES", "not a category of this season"),
        (
            {"markdown": {"DRESS": {"markdown_percentage": 20, "markdown_checkpoint_week": 4}}},
            "levers.markdown.DRESS.markdown_checkpoint_week",
            "give 0 to 3",
        ),
        (
            {"demand_adjustment": {"KNIT": {"change_percentage": 5, "weeks": [5]}}},
            "levers.demand_adjustment.KNIT.weeks",
            "give weeks 1 to 4",
        ),
    ]
    for levers, path, words in cases:
        response = await _post(gateway, workflow_id, {"name": "x", "levers": levers})
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_levers"
        assert [d["field"] for d in error["details"]] == [path]
        assert words in error["details"][0]["message"]
    for levers, words in (
        ({"dc_holdback_percentage": 0.3}, "looks like a fraction"),
        ({"demand_elasticity": {"KNIT": 1.5}}, "negative"),
        ({"replenishment_strategy": "daily"}, "replenishment_strategy"),
        ({"holdback": 30}, "holdback"),
    ):
        response = await _post(gateway, workflow_id, {"name": "x", "levers": levers})
        assert response.status_code == 422, response.text
        assert words in response.text
    forbidden = await _post(gateway, workflow_id, {"name": "x"}, headers=APPROVER)
    assert forbidden.status_code == 403
    missing = await gateway.client.get(
        f"/api/workflows/{workflow_id}/scenarios/{uuid4()}", headers=READER
    )
    assert missing.status_code == 404
    async with sessionmaker() as session:
        assert (await session.execute(text("SELECT count(*) FROM scenarios"))).scalar() == 0


async def test_in_season_the_buy_is_no_lever_and_nothing_is_pending_to_adopt_into(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    workflow_id = await _season(sessionmaker, allocated=True)
    refused = await _post(gateway, workflow_id, {"name": "x", "levers": {"buy": {"KNIT": 400}}})
    assert refused.status_code == 422
    assert "decided and allocated" in refused.text
    response = await _post(
        gateway, workflow_id, {"name": "cadence", "levers": {"replenishment_strategy": "none"}}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert not body["scenario"]["before_the_buy"]
    # With no replenishment the DC never ships: more is left, more is lost.
    assert body["differences"]["total"]["leftover_units"] > 0
    assert body["differences"]["total"]["lost_sales"] > 0
    adopted = await gateway.client.post(
        f"/api/workflows/{workflow_id}/scenarios/{body['id']}/adopt", headers=PLANNER
    )
    assert adopted.status_code == 409
    assert adopted.json()["error"]["code"] == "no_pending_decision"


async def _uneven_season(sessionmaker: Sessions) -> UUID:
    """One week into a four-week season with no replenishment and no transfers of its own:
    S001 and S002 sell their plan (270 a week per category) from 400 each and will run out,
    S003 sells 20 of its 60 from 400 and will be left with most of it; the DC holds 10."""
    parameters = FOUR_WEEK_SEASON | {"replenishment_strategy": "none", "transfer_strategy": "none"}
    workflow_id = await _season(
        sessionmaker,
        allocated=True,
        parameters=parameters,
        point=600.0,
        shares=(1080.0, 1080.0, 240.0),
        initial=400,
        ordered=1200,
    )
    async with transaction(sessionmaker) as session:
        ids = {
            code: id_
            for model in (Store, Category)
            for code, id_ in (await session.execute(select(model.code, model.id))).all()
        }
        upload = ActualsUpload(
            id=uuid4(),
            workflow_id=workflow_id,
            week_number=1,
            filename="week1.csv",
            sha256="0" * 64,
            row_count=6,
            uploaded_by="pat",
        )
        session.add(upload)
        await session.flush()
        for code in CODES:
            for store, units in zip(STORES, (270, 270, 20), strict=True):
                session.add(
                    WeeklyActual(
                        workflow_id=workflow_id,
                        store_id=ids[store],
                        category_id=ids[code],
                        week_number=1,
                        units_sold=units,
                        upload_id=upload.id,
                    )
                )
    return workflow_id


async def test_a_transfer_strategy_moves_stock_in_the_scenario_and_never_in_the_season(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    workflow_id = await _uneven_season(sessionmaker)
    before = await _tables(sessionmaker)
    answers = {}
    for strategy in ("hybrid", "dc_only", "none", "hybrid"):
        response = await _post(
            gateway, workflow_id, {"name": strategy, "levers": {"transfer_strategy": strategy}}
        )
        assert response.status_code == 201, response.text
        answers[strategy] = response.json()
    hybrid, none = answers["hybrid"], answers["none"]
    # The live plan is the season's own strategy, 'none': the 'none' scenario is the live plan.
    assert hybrid["live"]["transfer_strategy"] == "none"
    assert hybrid["scenario"]["transfer_strategy"] == "hybrid"
    assert all(v in (0, None) for v in none["differences"]["total"].values())
    # Without moves S001 and S002 lose 270 a week per category once their 130 are sold:
    # 140 in week 2, 270 in weeks 3 and 4, x 2 stores x 2 categories.
    assert none["scenario"]["total"]["lost_sales"]["point"] == 2720.0
    # Hybrid moves S003's spare stock to them (the DC's 10 are too few to release): lost
    # sales and leftover fall, the margin rises; the units available are the same.
    moved = [c["units_transferred"] for c in hybrid["scenario"]["categories"]]
    assert all(units >= 50 for units in moved)
    differences = hybrid["differences"]["total"]
    assert differences["lost_sales"] < 0
    assert differences["leftover_units"] < 0
    assert differences["season_margin"] > 0
    assert differences["units_available"] == 0
    assert answers["dc_only"]["differences"]["total"]["lost_sales"] == 0
    for figures in (hybrid["scenario"]["total"], *hybrid["scenario"]["categories"]):
        for name in ("lost_sales", "units_sold", "leftover_units"):
            band = figures[name]
            assert band["lower_80"] <= band["point"] <= band["upper_80"], (name, band)
    # Four scenarios later, the season's tables are as they were: nothing was transferred.
    assert await _tables(sessionmaker) == before
