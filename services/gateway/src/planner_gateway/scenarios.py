"""Scenarios (docs/scenarios.md): a season forked as it stands, its levers changed, evaluated
on the ledger beside the live plan. They live in their own table (`scenarios`, the gateway's):
nothing of the season is written, and nothing of the season reads them.

Adopting one answers the decision its levers make of the season's pending approval, the body
the approver submits to `POST /api/approvals/{kind}` (the console pre-fills the approval form
with it); the approval still gates. The adoption is recorded on the scenario.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.errors import ApiError, ErrorDetail, not_found
from planner_gateway.schemas.scenarios import AdoptionRead, ScenarioRead, ScenarioRequest
from planner_shared.db.models import Approval, Scenario
from planner_shared.stock.levers import ScenarioLevers, lever_problems
from planner_shared.stock.scenario import (
    Comparison,
    Evaluation,
    Fork,
    compare,
    evaluate_levers,
    load_fork,
)
from planner_shared.stock.season import NoStockYetError
from planner_shared.stock.transfers import TransferRules


async def _fork(session: AsyncSession, workflow_id: UUID, transfer_cost: float) -> Fork:
    try:
        return await load_fork(session, workflow_id, TransferRules(unit_cost=transfer_cost))
    except NoStockYetError:
        raise ApiError(
            409,
            "the season has no forecast and proposed order yet: a scenario forks it once its "
            "first forecast is in",
            code="no_stock_yet",
        ) from None


def _evaluate(fork: Fork, levers: ScenarioLevers) -> dict[str, Any]:
    mine, live = evaluate_levers(fork, levers), evaluate_levers(fork, ScenarioLevers())
    return {
        "scenario": mine.model_dump(mode="json"),
        "live": live.model_dump(mode="json"),
        "differences": compare(mine, live).model_dump(mode="json"),
    }


async def create(
    session: AsyncSession,
    workflow_id: UUID,
    body: ScenarioRequest,
    by: str,
    transfer_cost: float,
) -> ScenarioRead:
    """Evaluate the scenario and store it (only in `scenarios`); `transfer_cost`: the transfer
    rule's cost per unit moved (a setting)."""
    fork = await _fork(session, workflow_id, transfer_cost)
    problems = lever_problems(body.levers, fork.stock)
    if problems:
        raise ApiError(
            422,
            "levers refused: " + "; ".join(f"{path}: {message}" for path, message in problems),
            code="invalid_levers",
            details=[ErrorDetail(field=path, message=message) for path, message in problems],
        )
    # Off the event loop: the ledger runs are numpy and the transfer rule's small programs.
    evaluation = await asyncio.to_thread(_evaluate, fork, body.levers)
    row = Scenario(
        id=uuid4(),
        workflow_id=workflow_id,
        name=body.name,
        levers=body.levers.model_dump(mode="json", exclude_defaults=True),
        weeks_in=fork.stock.weeks_in,
        evaluation=evaluation,
        created_by=by,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    await session.flush()
    return read(row)


def read(row: Scenario) -> ScenarioRead:
    evaluation = row.evaluation
    return ScenarioRead(
        id=row.id,
        workflow_id=row.workflow_id,
        name=row.name,
        levers=ScenarioLevers.model_validate(row.levers),
        weeks_in=row.weeks_in,
        created_by=row.created_by,
        created_at=row.created_at,
        scenario=Evaluation.model_validate(evaluation["scenario"]),
        live=Evaluation.model_validate(evaluation["live"]),
        differences=Comparison.model_validate(evaluation["differences"]),
        adopted_by=row.adopted_by,
        adopted_at=row.adopted_at,
    )


async def one(session: AsyncSession, workflow_id: UUID, scenario_id: UUID) -> Scenario:
    row = await session.get(Scenario, scenario_id)
    if row is None or row.workflow_id != workflow_id:
        raise not_found(f"scenario {scenario_id} of workflow {workflow_id}")
    return row


async def listed(session: AsyncSession, workflow_id: UUID) -> list[ScenarioRead]:
    rows = await session.scalars(
        select(Scenario).where(Scenario.workflow_id == workflow_id).order_by(Scenario.created_at)
    )
    return [read(r) for r in rows.all()]


async def adopt(
    session: AsyncSession, workflow_id: UUID, scenario_id: UUID, by: str
) -> AdoptionRead:
    """Record the adoption and answer the pending decision the scenario's levers make."""
    row = await one(session, workflow_id, scenario_id)
    approval = await session.scalar(
        select(Approval).where(Approval.workflow_id == workflow_id, Approval.status == "pending")
    )
    if approval is None:
        raise ApiError(
            409,
            "the season has no pending decision to adopt a scenario into: a scenario's buy is "
            "adopted while the manufacturing approval is pending, its markdown while the "
            "markdown approval is",
            code="no_pending_decision",
        )
    fork = await _fork(session, workflow_id, transfer_cost=0.0)  # only its week is read
    if fork.stock.weeks_in != row.weeks_in:
        raise ApiError(
            409,
            f"scenario {row.name!r} was forked at week {row.weeks_in} and the season is now at "
            f"week {fork.stock.weeks_in}: build it again on the season as it stands",
            code="scenario_outdated",
        )
    scenario = read(row)
    decision, not_carried = decision_for(scenario, approval)
    now = datetime.now(UTC)
    row.adopted_by, row.adopted_at = by, now
    await session.flush()
    return AdoptionRead(
        scenario_id=row.id,
        approval_id=approval.id,
        approval_kind=approval.kind,
        endpoint=f"/api/approvals/{approval.kind}",
        decision=decision,
        not_carried=not_carried,
        adopted_by=by,
        adopted_at=now,
    )


def decision_for(scenario: ScenarioRead, approval: Approval) -> tuple[dict[str, Any], list[str]]:
    """The body of the pending decision from the scenario's levers (per category lines), and
    the levers the decision does not carry."""
    levers = scenario.levers
    reason = f"from scenario {scenario.name!r}"
    body: dict[str, Any] = {"workflow_id": str(scenario.workflow_id), "action": "accept"}
    carried: set[str] = set()
    if approval.kind == "manufacturing" and levers.buy:
        lines = {c.category_code: float(c.buy) for c in scenario.scenario.categories}
        body |= {"action": "modify", "lines": lines, "reason": reason}
        carried.add("buy")
    elif approval.kind == "markdown" and levers.markdown:
        lines = {code: float(approval.proposed_value) for code in _codes(scenario)}
        lines |= {code: m.markdown_percentage for code, m in levers.markdown.items()}
        body |= {"action": "modify", "lines": lines, "reason": reason}
        carried.add("markdown")
    set_levers = levers.model_dump(exclude_defaults=True)
    not_carried = [
        f"{name}: not part of the {approval.kind} decision; the season keeps its own"
        for name in sorted(set_levers)
        if name not in carried
    ]
    return body, not_carried


def _codes(scenario: ScenarioRead) -> list[str]:
    return [c.category_code for c in scenario.scenario.categories]
