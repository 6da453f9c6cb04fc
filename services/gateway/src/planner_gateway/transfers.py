"""The season's transfer proposals as the API shows them, and a decision checked before it
is sent: a bad edit is a 422 naming the move, with nothing sent (docs/transfers.md)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.errors import ApiError
from planner_gateway.repository import get_workflow
from planner_gateway.schemas.transfers import TransferDecision, TransferPlanRead, TransfersView
from planner_shared.db.models import Store, TransferPlan
from planner_shared.events import DecisionAction, TransferMoveLine, TransferProposal
from planner_shared.parameters import DEFAULT_TRANSFER_STRATEGY
from planner_shared.stock.ledger import build_category
from planner_shared.stock.season import NoStockYetError, load_season_stock
from planner_shared.stock.transfer_plan import edit_problems, projected_inputs
from planner_shared.stock.transfers import DC, projected_lost


def plan_read(row: TransferPlan) -> TransferPlanRead:
    proposal = TransferProposal.model_validate(row.proposal)
    return TransferPlanRead(
        week_number=row.week_number,
        status=row.status,
        strategy=row.strategy,
        moves=proposal.moves,
        approved_moves=[TransferMoveLine.model_validate(m) for m in row.moves or []],
        units=proposal.units,
        donors=proposal.donors,
        lost_sales_before=proposal.lost_sales_before,
        lost_sales_after=proposal.lost_sales_after,
        margin_saved=proposal.margin_saved,
        transfer_cost_per_unit=proposal.transfer_cost_per_unit,
        rationale=proposal.rationale,
        decided_by=row.decided_by,
        reason=row.reason,
        decided_at=row.decided_at,
        created_at=row.created_at,
    )


async def transfers_view(session: AsyncSession, workflow_id: UUID) -> TransfersView:
    workflow = await get_workflow(session, workflow_id)
    rows = await session.scalars(
        select(TransferPlan)
        .where(TransferPlan.workflow_id == workflow_id)
        .order_by(TransferPlan.week_number.desc())
    )
    try:
        stock = await load_season_stock(session, workflow_id)
        lost: float | None = round(
            sum(
                projected_lost(build_category(projected_inputs(stock, code)))
                for code in stock.categories
            ),
            1,
        )
    except NoStockYetError:
        lost = None
    return TransfersView(
        workflow_id=workflow_id,
        strategy=str(
            (workflow.parameters or {}).get("transfer_strategy") or DEFAULT_TRANSFER_STRATEGY
        ),
        projected_lost_sales=lost,
        proposals=[plan_read(row) for row in rows.all()],
    )


async def check_decision(session: AsyncSession, body: TransferDecision) -> int:
    """The week of the open proposal the decision is for; ApiError (404, 409, 422) when it
    cannot be applied."""
    query = select(TransferPlan).where(TransferPlan.workflow_id == body.workflow_id)
    if body.week_number is not None:
        query = query.where(TransferPlan.week_number == body.week_number)
    row = await session.scalar(query.order_by(TransferPlan.week_number.desc()).limit(1))
    if row is None:
        raise ApiError(
            404, "no transfer proposal for this workflow and week", code="no_pending_approval"
        )
    if row.status != "proposed":
        raise ApiError(
            409,
            f"the week {row.week_number} transfer proposal is {row.status}"
            + (f" (by {row.decided_by})" if row.decided_by else ""),
            code="already_decided",
        )
    if body.action is DecisionAction.MODIFY:
        await _check_moves(session, TransferProposal.model_validate(row.proposal), body)
    return row.week_number


async def _check_moves(
    session: AsyncSession, proposal: TransferProposal, body: TransferDecision
) -> None:
    stores = set((await session.scalars(select(Store.code))).all())
    problems = []
    for i, move in enumerate(body.moves or []):
        if move.from_location != DC and move.from_location not in stores:
            problems.append(f"moves[{i}].from_location {move.from_location!r} is not a store")
        if move.to_store not in stores:
            problems.append(f"moves[{i}].to_store {move.to_store!r} is not a store")
        if move.from_location == move.to_store:
            problems.append(f"moves[{i}] moves {move.to_store} to itself")
    problems = problems or edit_problems(proposal, body.moves or [])
    if not (body.reason or "").strip():
        problems.append("reason: editing the transfer moves needs a reason")
    if problems:
        raise ApiError(422, "; ".join(problems), code="decision_refused")
