"""§20 the design's approvals: recalculate (`modify`) or decide (`accept`) the manufacturing
order and the markdown, through the gateway's decision service (services.decisions).

Every path takes any id of the workflow (`wf_`, `fc_`, `al_`, `md_`, or our UUID).
"""

from __future__ import annotations

from fastapi import APIRouter

from planner_gateway import repository
from planner_gateway.auth import Approver, Principal
from planner_gateway.deps import ReadSession, RuntimeDep, StateDep
from planner_gateway.errors import ApiError
from planner_gateway.services import decisions, markdowns
from planner_gateway.state import GatewayState
from planner_gateway.v1 import lookup, units
from planner_gateway.v1.schemas import (
    ManufacturingApprovalAnswer,
    ManufacturingApprovalBody,
    MarkdownApprovalAnswer,
    MarkdownApprovalBody,
)
from planner_gateway.v1.season import DEFAULT_LIFT_PER_POINT
from planner_shared.events import ApprovalDecided, ApprovalKind, DecisionAction
from planner_shared.runtime import Runtime

router = APIRouter()


async def _season(runtime: Runtime, raw_id: str) -> lookup.Season:
    """The season, its v1 mapping kept (made on a first v1 use of a UUID) in a transaction
    of its own, so the decision that follows does not hold one open."""
    try:
        return await lookup.season_kept(runtime.sessionmaker, raw_id)
    except ApiError:
        raise ApiError(400, f"unknown workflow {raw_id}") from None


async def _decide(
    state: GatewayState,
    runtime: Runtime,
    kind: ApprovalKind,
    season: lookup.Season,
    action: DecisionAction,
    value: float | None,
    principal: Principal,
) -> ApprovalDecided:
    """The decision the approvals service took, or its refusal as a v1 error."""
    w = season.require_workflow(f"the {kind.value} decision")
    await decisions.require_workflow(runtime, w.id, principal, state.settings)
    answer = await decisions.submit(
        state,
        runtime,
        decisions.command(kind, w.id, action, value, "approved through contract v1", principal),
    )
    if answer is None:
        raise ApiError(504, "the decision was sent but not confirmed in time; it may still apply")
    if not isinstance(answer, ApprovalDecided):
        raise ApiError(answer.payload.status_code, answer.payload.reason)
    return answer


@router.post(
    "/approvals/manufacturing",
    response_model=ManufacturingApprovalAnswer,
    summary="§20 Recalculate (modify) or approve (accept) the manufacturing order",
)
async def manufacturing_approval(
    body: ManufacturingApprovalBody,
    principal: Approver,
    session: ReadSession,
    state: StateDep,
    runtime: RuntimeDep,
) -> ManufacturingApprovalAnswer:
    season = await _season(runtime, body.workflow_id)
    w = season.require_workflow("the manufacturing order")
    orders = await repository.manufacturing_orders(session, w.id)
    if not orders:
        raise ApiError(
            409, f"workflow {season.v1_id} has no manufacturing order yet ({season.status})"
        )
    forecast_total = int(sum(o.forecast_units for o in orders))
    proposed = sum(o.recommended_quantity for o in orders)
    proposed_ssp = units.fraction(sum(o.safety_stock_pct for o in orders) / len(orders))
    ssp = body.safety_stock_pct if body.safety_stock_pct is not None else proposed_ssp
    # The design's recalculation: floor(forecast total x (1 + safety stock)).
    quantity = proposed if body.safety_stock_pct is None else int(forecast_total * (1 + ssp))
    reasoning = (
        f"forecast {forecast_total:,} units with {ssp:.0%} safety stock: {quantity:,} units"
        + (
            ""
            if body.safety_stock_pct is not None
            else " (the proposed order, stock on hand deducted)"
        )
    )
    answer = ManufacturingApprovalAnswer(
        workflow_id=season.v1_id,
        action=body.action,
        manufacturing_qty=quantity,
        safety_stock_pct=ssp,
        forecast_total=forecast_total,
        reasoning=reasoning,
        status="recalculated",
    )
    if body.action == "modify":
        return answer
    decided = await _decide(
        state,
        runtime,
        ApprovalKind.MANUFACTURING,
        season,
        DecisionAction.ACCEPT if quantity == proposed else DecisionAction.MODIFY,
        None if quantity == proposed else float(quantity),
        principal,
    )
    return answer.model_copy(
        update={
            "manufacturing_qty": int(decided.payload.decided_value or 0),
            "status": "approved",
        }
    )


@router.post(
    "/approvals/markdown",
    response_model=MarkdownApprovalAnswer,
    summary="§20 Recalculate (modify) or approve (accept) the markdown",
)
async def markdown_approval(
    body: MarkdownApprovalBody,
    principal: Approver,
    session: ReadSession,
    state: StateDep,
    runtime: RuntimeDep,
) -> MarkdownApprovalAnswer:
    season = await _season(runtime, body.workflow_id)
    w = season.require_workflow("the markdown")
    computed, proposals = await markdowns.recalculate(
        session,
        w.id,
        target=body.target_sell_through_pct,
        actual=body.actual_sell_through_pct,
        elasticity=body.elasticity_coefficient,
        configured_cap=state.settings.max_markdown_percentage,
    )
    markdown_fraction = units.fraction(computed.percentage)
    domain_lift = proposals[-1].demand_lift_per_point if proposals else None
    lift = DEFAULT_LIFT_PER_POINT if domain_lift is None else domain_lift
    reasoning = (
        f"gap {computed.gap:.1%} x elasticity {body.elasticity_coefficient:g} = "
        f"{computed.raw_percentage:g}%, rounded and capped at {computed.max_percentage:g}%: "
        f"{computed.percentage:g}%"
    )
    answer = MarkdownApprovalAnswer(
        workflow_id=season.v1_id,
        action=body.action,
        recommended_markdown_pct=markdown_fraction,
        elasticity_coefficient=body.elasticity_coefficient,
        gap_pct=round(computed.gap, 6),
        expected_demand_lift_pct=round(markdown_fraction * lift, 6),
        reasoning=reasoning,
        status="recalculated",
    )
    if body.action == "modify":
        return answer
    await _decide(
        state,
        runtime,
        ApprovalKind.MARKDOWN,
        season,
        DecisionAction.MODIFY,
        computed.percentage,
        principal,
    )
    return answer.model_copy(update={"status": "approved"})
