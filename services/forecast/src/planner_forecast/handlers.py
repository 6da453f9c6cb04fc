"""Forecast service handlers: thin adapters from events to the season and plan steps.

Domain failures (missing data, an impossible allocation) become `*.failed` events with a
reason a planner can act on, and leave no partial results (a savepoint is rolled back);
unexpected errors propagate, so the bus retries and finally dead-letters the message.
"""

from __future__ import annotations

from concurrent.futures import Executor

from planner_forecast import repository as repo
from planner_forecast.allocation import AllocationError
from planner_forecast.plan import allocate, week_in
from planner_forecast.season import run_forecast
from planner_forecast.settings import ForecastSettings
from planner_shared.bus.router import EventRouter, MessageContext
from planner_shared.events import (
    ActualsUploaded,
    AgentFailed,
    AgentFailedPayload,
    AgentProgress,
    AgentProgressPayload,
    AllocationCompleted,
    AllocationFailed,
    AllocationRequested,
    EventBase,
    FailedPayload,
    ForecastCompleted,
    ForecastFailed,
    ForecastRequested,
    ForecastRequestedPayload,
    SellThroughComputed,
    VarianceChecked,
    VarianceCheckedPayload,
)
from planner_shared.parameters import SeasonParameters

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

    def router(self) -> EventRouter:
        router = EventRouter()
        router.on(ForecastRequested)(self.on_forecast_requested)
        router.on(AllocationRequested)(self.on_allocation_requested)
        router.on(ActualsUploaded)(self.on_actuals_uploaded)
        return router

    async def on_forecast_requested(self, event: ForecastRequested, ctx: MessageContext) -> None:
        try:
            async with ctx.session.begin_nested():
                payload = await run_forecast(
                    ctx.session, event, self._pool, self._settings, _progress(ctx, event)
                )
        except DOMAIN_ERRORS as exc:
            ctx.emit(event.caused(ForecastFailed, FailedPayload(reason=str(exc)), ctx.producer))
            return
        ctx.emit(event.caused(ForecastCompleted, payload, ctx.producer))

    async def on_allocation_requested(
        self, event: AllocationRequested, ctx: MessageContext
    ) -> None:
        assert event.workflow_id is not None
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
                workflow = await repo.workflow(ctx.session, event.workflow_id)
                if workflow.parameters is None:
                    raise repo.MissingDataError("the workflow has no season parameters")
                params = SeasonParameters.model_validate(workflow.parameters)
                outcome = await week_in(ctx.session, workflow.id, params, week, self._settings)
                rerun = None
                # Re-forecast by itself only when the season is running normally and weeks
                # remain to forecast; a re-forecast already under way covers this drift.
                if (
                    outcome.variance.exceeded
                    and week < params.forecast_horizon_weeks
                    and workflow.state == "in_season"
                ):
                    rerun = await repo.next_run_number(ctx.session, workflow.id)
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
            await _progress(ctx, event)(
                f"Week {week} replenishment from the DC: "
                + ", ".join(f"{code} {units:,}" for code, units in outcome.replenishment.items()),
                None,
            )
        if outcome.sell_through is not None:
            ctx.emit(event.caused(SellThroughComputed, outcome.sell_through, ctx.producer))
