"""The weekly transfer proposal and its decision, on the `transfers` table this service owns
(docs/transfers.md).

After each upload the season's ledger is projected and the transfer program
(planner_shared.stock.transfers) proposes DC releases and store-to-store moves; the proposal
is stored and announced (`transfers.proposed`), and supersedes an undecided older one. The
planner's decision (`approval.decided`, kind transfers) is recorded on its row: approved moves
are then receipts on every reader's ledger (planner_shared.stock.season).
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from planner_forecast.settings import ForecastSettings
from planner_shared.db.models import TransferPlan
from planner_shared.events import ApprovalDecidedPayload, DecisionAction, TransferProposal
from planner_shared.parameters import SeasonParameters, TransferStrategy
from planner_shared.stock.ledger import build_category
from planner_shared.stock.season import NoStockYetError, load_season_stock
from planner_shared.stock.transfer_plan import decided_lines, projected_inputs, propose
from planner_shared.stock.transfers import TransferRules, projected_lost

PROPOSED, APPROVED, REJECTED, SUPERSEDED = "proposed", "approved", "rejected", "superseded"


async def propose_transfers(
    session: AsyncSession,
    workflow_id: UUID,
    params: SeasonParameters,
    week: int,
    settings: ForecastSettings,
) -> TransferProposal | None:
    """Store and return the week's proposal; None when there is nothing to propose (no stock
    yet, strategy 'none', no move worth its cost, the week's proposal already decided)."""
    if params.transfer_strategy is TransferStrategy.NONE:
        return None
    mine = await session.scalar(
        select(TransferPlan)
        .where(TransferPlan.workflow_id == workflow_id, TransferPlan.week_number == week)
        .with_for_update()
    )
    if mine is not None and mine.status != PROPOSED:
        return None  # decided: a week uploaded again does not undo the decision
    try:
        stock = await load_season_stock(session, workflow_id)
    except NoStockYetError:
        return None
    if stock.weeks_in != week:
        return None  # a week before the last one in was uploaded again
    proposal = propose(
        stock, TransferRules(unit_cost=settings.transfer_cost_per_unit), params.transfer_strategy
    )
    if not proposal.moves:
        if mine is not None:
            await session.delete(mine)
        return None
    await session.execute(
        update(TransferPlan)
        .where(
            TransferPlan.workflow_id == workflow_id,
            TransferPlan.week_number < week,
            TransferPlan.status == PROPOSED,
        )
        .values(status=SUPERSEDED)
    )
    if mine is None:
        mine = TransferPlan(workflow_id=workflow_id, week_number=week)
        session.add(mine)
    mine.status, mine.strategy = PROPOSED, proposal.strategy
    mine.proposal = proposal.model_dump(mode="json")
    await session.flush()
    return proposal


async def record_decision(
    session: AsyncSession, workflow_id: UUID, decision: ApprovalDecidedPayload
) -> str | None:
    """Record a transfers decision on its proposal; what it does to the projected lost sales,
    in words (None when the proposal is no longer open)."""
    plan = await session.scalar(
        select(TransferPlan)
        .where(
            TransferPlan.workflow_id == workflow_id,
            TransferPlan.week_number == decision.week_number,
        )
        .with_for_update()
    )
    if plan is None or plan.status != PROPOSED:
        return None
    proposal = TransferProposal.model_validate(plan.proposal)
    rejected = decision.action is DecisionAction.REJECT
    plan.status = REJECTED if rejected else APPROVED
    plan.moves = (
        []
        if rejected
        else [
            m.model_dump(mode="json")
            for m in decided_lines(proposal, decision.moves, decision.reason)
        ]
    )
    plan.decided_by, plan.reason = decision.decided_by, decision.reason
    plan.decided_at = decision.decided_at or datetime.now(UTC)
    await session.flush()
    if rejected:
        return f"Transfers of week {plan.week_number} rejected by {decision.decided_by}"
    lost = await projected_lost_sales(session, workflow_id)
    units = sum(int(m["units"]) for m in plan.moves)
    return (
        f"Transfers of week {plan.week_number} approved by {decision.decided_by}: {units:,} "
        f"units move; projected lost sales {proposal.lost_sales_before:,.0f} before the moves, "
        f"{lost:,.0f} now"
    )


async def projected_lost_sales(session: AsyncSession, workflow_id: UUID) -> float:
    """The season's lost sales projected after the weeks in, approved moves posted."""
    stock = await load_season_stock(session, workflow_id)
    return sum(
        projected_lost(build_category(projected_inputs(stock, code))) for code in stock.categories
    )
