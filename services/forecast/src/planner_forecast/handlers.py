"""Forecast service handlers: thin adapters from events to the season and plan steps.

Domain failures (missing data, an impossible allocation) become `*.failed` events with a
reason a planner can act on, and leave no partial results (a savepoint is rolled back);
unexpected errors propagate, so the bus retries and finally dead-letters the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_forecast import repository as repo
from planner_forecast.allocation import AllocationError
from planner_forecast.plan import Replenished, WeekOutcome, allocate, week_in
from planner_forecast.season import PanelCache, run_forecast
from planner_forecast.settings import ForecastSettings
from planner_shared.bus.router import EventRouter, MessageContext
from planner_shared.db.models import Workflow
from planner_shared.db.run_numbers import highest_claimed_run, lock_run_numbers
from planner_shared.events import (
    ActualsUploaded,
    AgentFailed,
    AgentFailedPayload,
    AgentProgress,
    AgentProgressPayload,
    AllocationCompleted,
    AllocationFailed,
    AllocationRequested,
    CategoryVarianceResult,
    EventBase,
    FailedPayload,
    ForecastCompleted,
    ForecastFailed,
    ForecastFailedPayload,
    ForecastRequested,
    ForecastRequestedPayload,
    SellThroughComputed,
    VarianceChecked,
    VarianceCheckedPayload,
)
from planner_shared.parameters import SeasonParameters, season_start_problem
from planner_shared.workflow import TERMINAL_STATES, WorkflowState

DOMAIN_ERRORS = (repo.MissingDataError, AllocationError, ValueError)


def _progress(ctx: MessageContext, event: EventBase):  # type: ignore[no-untyped-def]
    async def report(message: str, fraction: float | None) -> None:
        await ctx.progress(
            event.caused(
                AgentProgress,
                AgentProgressPayload(agent="forecast", message=message, progress=fraction),
                ctx.producer,
            )
        )

    return report


class ForecastHandlers:
    def __init__(self, pool: Executor, settings: ForecastSettings) -> None:
        self._pool = pool
        self._settings = settings
        self._panels = PanelCache(settings.cache_size)

    def router(self) -> EventRouter:
        router = EventRouter()
        router.on(ForecastRequested)(self.on_forecast_requested)
        router.on(AllocationRequested)(self.on_allocation_requested)
        router.on(ActualsUploaded)(self.on_actuals_uploaded)
        return router

    async def on_forecast_requested(self, event: ForecastRequested, ctx: MessageContext) -> None:
        run = event.payload.run_number
        if await _ended(ctx, event, f"forecast run {run}"):
            return
        problem = season_start_problem(
            event.payload.parameters.season_start_date, event.occurred_at.date()
        )
        if problem is not None:
            await self._close_request(ctx, event, "failed")
            ctx.emit(
                event.caused(
                    ForecastFailed,
                    ForecastFailedPayload(reason=problem, run_number=run),
                    ctx.producer,
                )
            )
            return
        try:
            async with ctx.session.begin_nested():
                payload = await run_forecast(
                    ctx.session,
                    event,
                    self._pool,
                    self._settings,
                    _progress(ctx, event),
                    self._panels,
                )
        except DOMAIN_ERRORS as exc:
            await self._close_request(ctx, event, "failed")
            ctx.emit(
                event.caused(
                    ForecastFailed,
                    ForecastFailedPayload(reason=str(exc), run_number=run),
                    ctx.producer,
                )
            )
            return
        await self._close_request(ctx, event, "completed")
        ctx.emit(event.caused(ForecastCompleted, payload, ctx.producer))

    @staticmethod
    async def _close_request(ctx: MessageContext, event: ForecastRequested, outcome: str) -> None:
        # A variance check that requested this run stops counting it as under way.
        if event.workflow_id is not None and event.payload.run_number > 1:
            await repo.record_run_outcome(
                ctx.session, event.workflow_id, event.payload.run_number, outcome
            )

    async def on_allocation_requested(
        self, event: AllocationRequested, ctx: MessageContext
    ) -> None:
        assert event.workflow_id is not None
        if await _ended(ctx, event, "the allocation"):
            return
        try:
            async with ctx.session.begin_nested():
                payload = await allocate(
                    ctx.session,
                    event.workflow_id,
                    event.payload.parameters,
                    event.payload.approved_quantity,
                    self._settings,
                )
        except DOMAIN_ERRORS as exc:
            ctx.emit(event.caused(AllocationFailed, FailedPayload(reason=str(exc)), ctx.producer))
            return
        await _progress(ctx, event)(
            f"Allocated {payload.store_units:,} units to {payload.store_count} stores; "
            f"{payload.dc_holdback_units:,} held at the DC",
            1.0,
        )
        ctx.emit(event.caused(AllocationCompleted, payload, ctx.producer))

    async def on_actuals_uploaded(self, event: ActualsUploaded, ctx: MessageContext) -> None:
        week = event.payload.week_number
        try:
            async with ctx.session.begin_nested():
                if event.workflow_id is not None:
                    # Before reading what is claimed: another replica's upload or a planner's
                    # re-forecast may be claiming the next run number right now.
                    await lock_run_numbers(ctx.session, event.workflow_id)
                workflow = await repo.workflow(ctx.session, event.workflow_id)
                if workflow.parameters is None:
                    raise repo.MissingDataError("the workflow has no season parameters")
                params = SeasonParameters.model_validate(workflow.parameters)
                outcome = await week_in(ctx.session, workflow.id, params, week, self._settings)
                rerun, under_way = await _claim_reforecast(ctx.session, workflow, params, outcome)
        except DOMAIN_ERRORS as exc:
            ctx.emit(
                event.caused(
                    AgentFailed,
                    AgentFailedPayload(
                        agent="forecast", reason=f"week {week} could not be checked: {exc}"
                    ),
                    ctx.producer,
                )
            )
            return
        variance = outcome.variance
        ctx.emit(
            event.caused(
                VarianceChecked,
                VarianceCheckedPayload(
                    week_number=week,
                    total_variance=variance.variance,
                    by_category={c.category_code: c.variance for c in variance.categories},
                    threshold=variance.threshold,
                    exceeded=variance.exceeded,
                    reforecast_run_number=rerun,
                    forecast_units=variance.forecast_units,
                    actual_units=variance.actual_units,
                    total_exceeded=variance.total_exceeded,
                    categories=[
                        CategoryVarianceResult(
                            category_code=c.category_code,
                            forecast_units=c.forecast_units,
                            actual_units=c.actual_units,
                            variance=c.variance,
                            exceeded=c.exceeded,
                        )
                        for c in variance.categories
                    ],
                    reforecast_under_way=under_way,
                ),
                ctx.producer,
            )
        )
        if rerun is not None:
            ctx.emit(
                event.caused(
                    ForecastRequested,
                    ForecastRequestedPayload(
                        parameters=params,
                        run_number=rerun,
                        reason="variance",
                        category_codes=workflow.category_codes,
                        actuals_through_week=week,
                    ),
                    ctx.producer,
                )
            )
        if outcome.replenishment:
            await _progress(ctx, event)(replenishment_message(week, outcome.replenishment), None)
        if outcome.sell_through is not None:
            ctx.emit(event.caused(SellThroughComputed, outcome.sell_through, ctx.producer))


async def _ended(ctx: MessageContext, event: EventBase, what: str) -> bool:
    """True when the workflow was cancelled (or has otherwise ended) while this request
    waited in the queue: the work is skipped, not computed for nobody."""
    if event.workflow_id is None:
        return False
    state = await ctx.session.scalar(select(Workflow.state).where(Workflow.id == event.workflow_id))
    if state is None or WorkflowState(state) not in TERMINAL_STATES:
        return False
    await ctx.progress(
        event.caused(
            AgentProgress,
            AgentProgressPayload(
                agent="forecast", message=f"Skipped {what}: the workflow is {state}"
            ),
            ctx.producer,
        )
    )
    return True


async def _claim_reforecast(
    session: AsyncSession, workflow: Workflow, params: SeasonParameters, outcome: WeekOutcome
) -> tuple[int | None, int | None]:
    """(the re-forecast run this week starts, the run already under way), under the
    workflow's run-number lock.

    A fired rule starts a re-forecast when weeks remain to forecast, the season is running
    normally (not waiting on a markdown decision) and no re-forecast is under way: one under
    way covers this drift, and the next week is checked against its plan.
    """
    if not outcome.variance.exceeded or outcome.check.week_number >= params.forecast_horizon_weeks:
        return None, None
    under_way = await repo.requested_run_pending(session, workflow.id)
    if under_way is None and workflow.state == WorkflowState.REFORECASTING:
        under_way = int((workflow.context or {}).get("run_number") or 0) or None
    if under_way is not None:
        return None, under_way
    if workflow.state != WorkflowState.IN_SEASON:
        return None, None
    run = await highest_claimed_run(session, workflow) + 1
    outcome.check.reforecast_run_number = run
    outcome.check.reforecast_outcome = None
    return run, None


def replenishment_message(week: int, replenished: Mapping[str, Replenished]) -> str:
    """What the DC shipped this week and what it keeps; says why when it shipped nothing."""
    if any(r.shipped for r in replenished.values()):
        return f"Week {week} replenishment from the DC: " + ", ".join(
            f"{code} {r.shipped:,} ({r.left_at_dc:,} left)" for code, r in replenished.items()
        )
    empty = [code for code, r in replenished.items() if r.left_at_dc == 0]
    reasons = []
    if len(empty) < len(replenished):
        reasons.append("no store needed more")
    if empty:
        reasons.append(f"the DC holds no more {', '.join(empty)}")
    return f"Week {week}: nothing replenished from the DC ({'; '.join(reasons)})"
