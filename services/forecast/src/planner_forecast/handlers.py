"""Forecast service handlers: thin adapters from events to the season and plan steps.

Domain failures (missing data, an impossible allocation) become `*.failed` events with a
reason a planner can act on, and leave no partial results (a savepoint is rolled back);
unexpected errors propagate, so the bus retries and finally dead-letters the message.

A forecast run is phased (`planner_shared.bus.delivery`): its inputs are read in one short
transaction, the fit runs with none open, and the results, the processed mark and the outbox
commit in another. The service reports what it measured (`variance.checked`); whether a
re-forecast starts is the orchestrator's decision, sent back as `forecast.requested`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Executor
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_forecast import repository as repo
from planner_forecast.allocation import AllocationError
from planner_forecast.plan import Replenished, allocate, stock_alerts, week_in
from planner_forecast.replan import replan_order
from planner_forecast.season import PanelCache, fit, load_inputs, store_forecast
from planner_forecast.settings import ForecastSettings
from planner_forecast.transfers import propose_transfers, record_decision
from planner_forecast.variance import VarianceResult
from planner_shared.bus.delivery import Delivery
from planner_shared.bus.router import EventRouter, MessageContext
from planner_shared.db.models import Workflow
from planner_shared.events import (
    ActualsUploaded,
    AgentFailed,
    AgentFailedPayload,
    AgentProgress,
    AgentProgressPayload,
    AllocationCompleted,
    AllocationFailed,
    AllocationRequested,
    ApprovalDecided,
    ApprovalKind,
    CategoryVarianceResult,
    EventBase,
    FailedPayload,
    ForecastCompleted,
    ForecastFailed,
    ForecastFailedPayload,
    ForecastRequested,
    ManufacturingReplanned,
    ManufacturingReplanRequested,
    SellThroughComputed,
    TransfersProposed,
    TransfersProposedPayload,
    VarianceChecked,
    VarianceCheckedPayload,
)
from planner_shared.parameters import SeasonParameters, season_start_problem
from planner_shared.wording import allocation_summary
from planner_shared.workflow import TERMINAL_STATES, WorkflowState

DOMAIN_ERRORS = (repo.MissingDataError, AllocationError, ValueError)


class _Reporter(Protocol):
    producer: str

    async def progress(self, event: EventBase) -> None: ...


def _progress(ctx: _Reporter, event: EventBase) -> Callable[[str, float | None], Awaitable[None]]:
    async def report(message: str, fraction: float | None) -> None:
        await ctx.progress(
            event.caused(
                AgentProgress,
                AgentProgressPayload(agent="forecast", message=message, progress=fraction),
                ctx.producer,
            )
        )

    return report


def _given_up(what: str, error: str) -> str:
    return f"{what} failed on every delivery and was given up ({error})"


def forecast_given_up(event: ForecastRequested, error: str, producer: str) -> EventBase:
    """A forecast request dead-lettered: `forecast.failed`, so the season fails visibly."""
    reason = _given_up(f"forecast run {event.payload.run_number}", error)
    return event.caused(
        ForecastFailed,
        ForecastFailedPayload(reason=reason, run_number=event.payload.run_number),
        producer,
    )


def allocation_given_up(event: AllocationRequested, error: str, producer: str) -> EventBase:
    reason = _given_up("the allocation", error)
    return event.caused(AllocationFailed, FailedPayload(reason=reason), producer)


class ForecastHandlers:
    def __init__(self, pool: Executor, settings: ForecastSettings) -> None:
        self._pool = pool
        self._settings = settings
        self._panels = PanelCache(settings.cache_size)

    def router(self) -> EventRouter:
        # Two seasons in flight per worker lane: every season's fits use all the lanes, and
        # while one season reads its history or writes its forecast (database work, no lane)
        # the next one's fits keep the lanes busy.
        router = EventRouter(concurrency=2 * self._settings.workers)
        router.phased(ForecastRequested, gives_up=forecast_given_up)(self.on_forecast_requested)
        router.on(AllocationRequested, gives_up=allocation_given_up)(self.on_allocation_requested)
        router.on(ActualsUploaded)(self.on_actuals_uploaded)
        router.on(ApprovalDecided)(self.on_approval_decided)
        router.on(ManufacturingReplanRequested)(self.on_replan_requested)
        return router

    async def on_replan_requested(
        self, event: ManufacturingReplanRequested, ctx: MessageContext
    ) -> None:
        """Size the order again on the final forecast (replan.py): a short read and write,
        no model is fitted; the orchestrator proposes the new order."""
        if event.workflow_id is None or await _ended(ctx, event, "sizing the order again"):
            return
        replanned = await replan_order(
            ctx.session, event.workflow_id, event.payload, self._settings
        )
        ctx.emit(event.caused(ManufacturingReplanned, replanned, ctx.producer))

    async def on_approval_decided(self, event: ApprovalDecided, ctx: MessageContext) -> None:
        """A transfers decision: its moves become receipts on the ledger."""
        if event.payload.kind is not ApprovalKind.TRANSFERS or event.workflow_id is None:
            return
        said = await record_decision(ctx.session, event.workflow_id, event.payload)
        if said is not None:
            await _progress(ctx, event)(said, None)

    async def on_forecast_requested(self, event: ForecastRequested, delivery: Delivery) -> None:
        run = event.payload.run_number
        what = f"forecast run {run}"
        async with delivery.read() as session:
            ended = await _ended_state(session, event)
        if ended is not None:
            await _skipped(delivery, event, what, ended)
            return
        problem = season_start_problem(
            event.payload.parameters.season_start_date, event.occurred_at.date()
        )
        if problem is not None:
            await self._failed(delivery, event, problem)
            return
        try:
            async with delivery.read() as session:
                inputs = await load_inputs(session, event, self._settings)
            fitted = await fit(
                event, inputs, self._pool, self._settings, _progress(delivery, event), self._panels
            )
        except DOMAIN_ERRORS as exc:
            await self._failed(delivery, event, str(exc))
            return
        async with delivery.transaction() as ctx:
            # Cancelled while the panel fitted: the results are for nobody.
            if (ended := await _ended_state(ctx.session, event)) is not None:
                await _skipped(delivery, event, what, ended)
                return
            try:
                async with ctx.session.begin_nested():
                    payload = await store_forecast(
                        ctx.session, event, inputs, fitted, self._settings
                    )
            except DOMAIN_ERRORS as exc:
                ctx.emit(
                    event.caused(
                        ForecastFailed,
                        ForecastFailedPayload(reason=str(exc), run_number=run),
                        ctx.producer,
                    )
                )
                return
            ctx.emit(event.caused(ForecastCompleted, payload, ctx.producer))
            await self._propose_after_reforecast(event, ctx)

    async def _propose_after_reforecast(
        self, event: ForecastRequested, ctx: MessageContext
    ) -> None:
        """A re-forecast changes the lost sales the ledger projects: the week's transfer
        proposal is made again on it (an undecided one is replaced)."""
        week = event.payload.actuals_through_week
        if event.workflow_id is None or not week:
            return
        proposal = await propose_transfers(
            ctx.session, event.workflow_id, event.payload.parameters, week, self._settings
        )
        if proposal is not None:
            ctx.emit(
                event.caused(
                    TransfersProposed, TransfersProposedPayload(proposal=proposal), ctx.producer
                )
            )

    async def _failed(self, delivery: Delivery, event: ForecastRequested, reason: str) -> None:
        async with delivery.transaction() as ctx:
            ctx.emit(
                event.caused(
                    ForecastFailed,
                    ForecastFailedPayload(reason=reason, run_number=event.payload.run_number),
                    ctx.producer,
                )
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
                    event.payload.lines,
                )
        except DOMAIN_ERRORS as exc:
            ctx.emit(event.caused(AllocationFailed, FailedPayload(reason=str(exc)), ctx.producer))
            return
        await _progress(ctx, event)(allocation_summary(payload).capitalize(), 1.0)
        for alert in await stock_alerts(ctx.session, event.workflow_id):
            await _progress(ctx, event)(alert, None)
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
                transfers = await propose_transfers(
                    ctx.session, workflow.id, params, week, self._settings
                )
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
        ctx.emit(
            event.caused(VarianceChecked, _variance_payload(week, outcome.variance), ctx.producer)
        )
        if outcome.replenishment:
            await _progress(ctx, event)(replenishment_message(week, outcome.replenishment), None)
        for alert in outcome.alerts:
            await _progress(ctx, event)(alert, None)
        if outcome.sell_through is not None:
            ctx.emit(event.caused(SellThroughComputed, outcome.sell_through, ctx.producer))
        if transfers is not None:
            ctx.emit(
                event.caused(
                    TransfersProposed, TransfersProposedPayload(proposal=transfers), ctx.producer
                )
            )


def _variance_payload(week: int, variance: VarianceResult) -> VarianceCheckedPayload:
    """The week's variance check as the event carries it (totals, then each category)."""
    return VarianceCheckedPayload(
        week_number=week,
        total_variance=variance.variance,
        by_category={c.category_code: c.variance for c in variance.categories},
        threshold=variance.threshold,
        exceeded=variance.exceeded,
        forecast_units=variance.forecast_units,
        actual_units=variance.actual_units,
        total_exceeded=variance.total_exceeded,
        categories=[
            CategoryVarianceResult.model_validate(c.model_dump()) for c in variance.categories
        ],
    )


async def _ended_state(session: AsyncSession, event: EventBase) -> str | None:
    """The workflow's state when it was cancelled (or has otherwise ended), else None."""
    if event.workflow_id is None:
        return None
    state = await session.scalar(select(Workflow.state).where(Workflow.id == event.workflow_id))
    if state is None or WorkflowState(state) not in TERMINAL_STATES:
        return None
    return str(state)


async def _skipped(reporter: _Reporter, event: EventBase, what: str, state: str) -> None:
    await reporter.progress(
        event.caused(
            AgentProgress,
            AgentProgressPayload(
                agent="forecast", message=f"Skipped {what}: the workflow is {state}"
            ),
            reporter.producer,
        )
    )


async def _ended(ctx: MessageContext, event: EventBase, what: str) -> bool:
    """True when the workflow was cancelled (or has otherwise ended) while this request
    waited in the queue: the work is skipped, not computed for nobody."""
    state = await _ended_state(ctx.session, event)
    if state is None:
        return False
    await _skipped(ctx, event, what, state)
    return True


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
