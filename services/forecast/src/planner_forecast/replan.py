"""The order sized again while it awaits its decision (docs/overrides.md).

A forecast override made while the manufacturing approval is pending changes the final
forecast the order was sized on. The orchestrator asks for the order again
(`manufacturing.replan_requested`, with run 1's category summaries); the same rule as run 1
(`season.plan_manufacturing`: the final store rows, safety stock, newsvendor) sizes it on
the forecast as it now stands and replaces this service's `manufacturing_orders` proposal.
The statistical forecast (`forecasts`, `forecast_weeks`) is not refitted: an override is
never written into it. Nothing is sized once the order is decided.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_forecast import repository as repo
from planner_forecast.allocation import AllocationError, refuse_holdback_leaving_too_little
from planner_forecast.season import plan_manufacturing
from planner_forecast.settings import ForecastSettings
from planner_shared.db.models import Workflow
from planner_shared.events import ManufacturingReplannedPayload, ManufacturingReplanRequestedPayload
from planner_shared.workflow import WorkflowState


async def replan_order(
    session: AsyncSession,
    workflow_id: UUID,
    request: ManufacturingReplanRequestedPayload,
    settings: ForecastSettings,
) -> ManufacturingReplannedPayload:
    """The order sized again on the final forecast, or why it was not (left as it was)."""
    state = await session.scalar(select(Workflow.state).where(Workflow.id == workflow_id))
    if state != WorkflowState.AWAITING_MANUFACTURING_APPROVAL:
        # Read only (the workflow is the orchestrator's): a decision that came first stands.
        now = str(state).replace("_", " ")
        return _not(
            request, f"the order was decided before the override arrived (the season is {now})"
        )
    orders = await repo.manufacturing_orders(session, workflow_id)
    if not orders:
        return _not(request, "the season has no proposed order to size again")
    if any(o.approved_quantity is not None for o in orders):
        return _not(request, "the order was decided before the override arrived")
    params = request.parameters
    codes = [s.category_code for s in request.categories]
    try:
        # A savepoint: a sizing the DC holdback refuses leaves the proposal as it was.
        async with session.begin_nested():
            recommendation = await plan_manufacturing(
                session,
                workflow_id,
                await repo.categories(session, codes),
                sorted(request.categories, key=lambda s: s.category_code),
                settings,
                season_start=params.season_start_date,
                horizon_weeks=params.forecast_horizon_weeks,
            )
            refuse_holdback_leaving_too_little(
                {line.category_code: line.quantity for line in recommendation.lines},
                params.dc_holdback_percentage,
                len(await repo.stores(session)),
                settings.min_display_units,
            )
    except (AllocationError, repo.MissingDataError) as error:
        return _not(request, str(error))
    return ManufacturingReplannedPayload(reason=request.reason, manufacturing=recommendation)


def _not(
    request: ManufacturingReplanRequestedPayload, problem: str
) -> ManufacturingReplannedPayload:
    return ManufacturingReplannedPayload(reason=request.reason, problem=problem)
