"""The orchestrator: owns the workflow state machine and hands the reasoning to specialists.

Every handler loads the workflow under a row lock, checks the event fits the current state
(refusing and recording it otherwise), asks a specialist when reasoning is needed, and emits
the next command through the outbox. Nothing blocks on another service: a step that needs
one emits its request and the workflow continues when the result event arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

from sqlalchemy import select

from planner_agents.markdown_inputs import season_elasticities
from planner_agents.repository import (
    expect,
    load_workflow,
    move,
    parameters_of,
    refuse,
    remember,
    state_of,
)
from planner_agents.specialists import AgentReport, SeasonFacts, Specialists
from planner_shared.bus.router import EventRouter, MessageContext
from planner_shared.db.models import AgentRun, Category, Workflow
from planner_shared.db.run_numbers import highest_claimed_run, lock_run_numbers
from planner_shared.events import (
    AgentCompleted,
    AgentCompletedPayload,
    AgentFailed,
    AgentFailedPayload,
    AgentName,
    AgentProgress,
    AgentProgressPayload,
    AgentStarted,
    AgentStartedPayload,
    AllocationCompleted,
    AllocationCompletedPayload,
    AllocationFailed,
    AllocationRequested,
    AllocationRequestedPayload,
    ApprovalDecided,
    ApprovalKind,
    ApprovalRequested,
    ApprovalRequestedPayload,
    CancelRequested,
    EventBase,
    ExtractionCompleted,
    ExtractionFailed,
    ExtractionRequested,
    ExtractionRequestedPayload,
    ForecastCompleted,
    ForecastCompletedPayload,
    ForecastFailed,
    ForecastReason,
    ForecastRequested,
    ForecastRequestedPayload,
    ManufacturingProposal,
    MarkdownProposal,
    ReforecastRequested,
    SellThroughComputed,
    SellThroughComputedPayload,
    VarianceChecked,
    VarianceCheckedPayload,
    WorkflowCancelled,
    WorkflowCancelledPayload,
    WorkflowCompleted,
    WorkflowCompletedPayload,
    WorkflowFailed,
    WorkflowFailedPayload,
    WorkflowRequested,
)
from planner_shared.wording import variance_fired, variance_summary
from planner_shared.workflow import TERMINAL_STATES, WorkflowState

log = logging.getLogger(__name__)
S = WorkflowState

# Extraction issues the planner must settle before a season is planned on them; a value that
# was merely missing is defaulted, announced, and planning goes on.
D = TypeVar("D")

BLOCKING_ISSUES = frozenset({"contradictory", "out_of_range", "invalid"})


class Orchestrator:
    def __init__(self, specialists: Specialists) -> None:
        self._specialists = specialists

    def router(self) -> EventRouter:
        router = EventRouter()
        router.on(WorkflowRequested)(self.on_workflow_requested)
        router.on(ExtractionCompleted)(self.on_extraction_completed)
        router.on(ExtractionFailed)(self.on_step_failed)
        router.on(ForecastCompleted)(self.on_forecast_completed)
        router.on(ForecastFailed)(self.on_step_failed)
        router.on(ApprovalDecided)(self.on_approval_decided)
        router.on(AllocationCompleted)(self.on_allocation_completed)
        router.on(AllocationFailed)(self.on_step_failed)
        router.on(VarianceChecked)(self.on_variance_checked)
        router.on(SellThroughComputed)(self.on_sell_through_computed)
        router.on(ReforecastRequested)(self.on_reforecast_requested)
        router.on(CancelRequested)(self.on_cancel_requested)
        return router

    # ------------------------------------------------------------ start
    async def on_workflow_requested(self, event: WorkflowRequested, ctx: MessageContext) -> None:
        workflow = await load_workflow(ctx, event.workflow_id)
        if not expect(ctx, workflow, event, S.CREATED):
            return
        await _say(ctx, event, "orchestrator", "Planning the season: reading what was given")
        if event.payload.parameters is not None:
            workflow.parameters = event.payload.parameters.model_dump(mode="json")
            self._request_forecast(ctx, workflow, event, run_number=1, reason="initial")
        elif event.payload.brief:
            move(ctx, workflow, S.EXTRACTING, event, "extracting the season parameters")
            ctx.emit(
                event.caused(
                    ExtractionRequested,
                    ExtractionRequestedPayload(brief=event.payload.brief),
                    ctx.producer,
                )
            )
        else:
            self._fail(ctx, workflow, event, "the request has neither a brief nor parameters")

    async def on_extraction_completed(
        self, event: ExtractionCompleted, ctx: MessageContext
    ) -> None:
        if event.workflow_id is None:
            return  # a gateway request/reply extraction, not part of a workflow
        workflow = await load_workflow(ctx, event.workflow_id)
        if not expect(ctx, workflow, event, S.EXTRACTING):
            return
        extraction = event.payload.extraction
        workflow.extraction = extraction.model_dump(mode="json")
        blocking = [i for i in extraction.issues if i.kind in BLOCKING_ISSUES]
        if not extraction.usable or blocking:
            problems = "; ".join(i.message for i in blocking) or "nothing usable in the brief"
            self._fail(
                ctx,
                workflow,
                event,
                f"the brief needs the planner's decision: {problems}. Confirm the parameters "
                "(POST /api/parameters/extract, then POST /api/workflows/forecast with "
                "`parameters`).",
            )
            return
        if extraction.defaulted:
            await _say(
                ctx,
                event,
                "orchestrator",
                "Defaults used for what the brief did not say: " + ", ".join(extraction.defaulted),
            )
        workflow.parameters = extraction.parameters.model_dump(mode="json")
        self._request_forecast(ctx, workflow, event, run_number=1, reason="initial")

    # ------------------------------------------------------------ forecasting
    async def on_forecast_completed(self, event: ForecastCompleted, ctx: MessageContext) -> None:
        workflow = await load_workflow(ctx, event.workflow_id)
        forecast = event.payload
        if forecast.run_number != workflow.context.get("run_number"):
            refuse(
                ctx,
                workflow,
                event,
                f"forecast run {forecast.run_number} is not the current run "
                f"{workflow.context.get('run_number')}",
            )
            return
        remember(workflow, forecast=forecast.model_dump(mode="json"))
        facts = await self._facts(ctx, workflow)
        if forecast.run_number == 1:
            if not expect(ctx, workflow, event, S.FORECASTING):
                return
            review = await self._run(
                ctx,
                workflow,
                event,
                "demand",
                "review_forecast",
                self._specialists.review_forecast(facts, _progress(ctx, event)),
            )
            if review is None:
                return
            proposal = await self._run_pair(
                ctx,
                workflow,
                event,
                "inventory",
                "propose_manufacturing",
                self._specialists.propose_manufacturing(facts, _progress(ctx, event)),
            )
            if proposal is None:
                return
            self._ask_approval(ctx, workflow, event, proposal, S.AWAITING_MANUFACTURING_APPROVAL)
            return
        if not expect(
            ctx, workflow, event, S.REFORECASTING, S.IN_SEASON, S.AWAITING_MARKDOWN_APPROVAL
        ):
            return
        review = await self._run(
            ctx,
            workflow,
            event,
            "demand",
            "review_reforecast",
            self._specialists.review_forecast(facts, _progress(ctx, event)),
        )
        if review is None:
            return
        if state_of(workflow) is S.REFORECASTING:
            move(ctx, workflow, S.IN_SEASON, event, "re-forecast done")
            await self._resume_season(ctx, workflow, event)

    # ------------------------------------------------------------ approvals
    def _ask_approval(
        self,
        ctx: MessageContext,
        workflow: Workflow,
        event: EventBase,
        proposal: ManufacturingProposal | MarkdownProposal,
        waiting_state: WorkflowState,
    ) -> None:
        if not move(
            ctx, workflow, waiting_state, event, f"waiting for the {proposal.kind} decision"
        ):
            return
        workflow.pending_input = {
            "kind": proposal.kind,
            "proposal": proposal.model_dump(mode="json"),
        }
        ctx.emit(
            event.caused(
                ApprovalRequested, ApprovalRequestedPayload(proposal=proposal), ctx.producer
            )
        )

    async def on_approval_decided(self, event: ApprovalDecided, ctx: MessageContext) -> None:
        workflow = await load_workflow(ctx, event.workflow_id)
        decision = event.payload
        if decision.kind is ApprovalKind.MANUFACTURING:
            if not expect(ctx, workflow, event, S.AWAITING_MANUFACTURING_APPROVAL):
                return
            quantity = int(decision.decided_value)
            remember(workflow, manufacturing_quantity=quantity)
            workflow.pending_input = None
            move(
                ctx,
                workflow,
                S.ALLOCATING,
                event,
                f"{decision.decided_by} approved {quantity} units ({decision.action})",
            )
            ctx.emit(
                event.caused(
                    AllocationRequested,
                    AllocationRequestedPayload(
                        parameters=parameters_of(workflow), approved_quantity=quantity
                    ),
                    ctx.producer,
                )
            )
            return
        if not expect(ctx, workflow, event, S.AWAITING_MARKDOWN_APPROVAL):
            return
        remember(workflow, markdown_percentage=decision.decided_value, markdown_done=True)
        workflow.pending_input = None
        reason = f"{decision.decided_by} set the markdown at {decision.decided_value:g}%"
        if workflow.context.get("season_over"):
            self._complete(ctx, workflow, event, reason)
        else:
            move(ctx, workflow, S.IN_SEASON, event, reason)

    # ------------------------------------------------------------ allocation and season
    async def on_allocation_completed(
        self, event: AllocationCompleted, ctx: MessageContext
    ) -> None:
        workflow = await load_workflow(ctx, event.workflow_id)
        if not expect(ctx, workflow, event, S.ALLOCATING):
            return
        remember(workflow, allocation=event.payload.model_dump(mode="json"))
        facts = await self._facts(ctx, workflow)
        report = await self._run(
            ctx,
            workflow,
            event,
            "inventory",
            "summarise_allocation",
            self._specialists.summarise_allocation(facts, _progress(ctx, event)),
        )
        if report is not None:
            move(ctx, workflow, S.IN_SEASON, event, "initial allocation shipped; season running")

    async def on_variance_checked(self, event: VarianceChecked, ctx: MessageContext) -> None:
        workflow = await load_workflow(ctx, event.workflow_id)
        if not expect(
            ctx, workflow, event, S.IN_SEASON, S.REFORECASTING, S.AWAITING_MARKDOWN_APPROVAL
        ):
            return
        check = event.payload
        weeks = {
            **workflow.context.get("variance_by_week", {}),
            str(check.week_number): check.total_variance,
        }
        if check.week_number >= workflow.context.get("last_week", 0):
            remember(workflow, latest_variance=check.model_dump(mode="json"))
        remember(
            workflow,
            variance_by_week=weeks,
            last_week=max(check.week_number, workflow.context.get("last_week", 0)),
        )
        if check.week_number >= parameters_of(workflow).forecast_horizon_weeks:
            remember(workflow, season_over=True)
        run = check.reforecast_run_number
        current = int(workflow.context.get("run_number", 1))
        running = state_of(workflow) is S.REFORECASTING
        if run is not None and (running or run <= current):
            # Only possible when a planner's re-forecast took the next number first: the
            # forecast service starts none while one is under way. The newer run goes on.
            refuse(
                ctx,
                workflow,
                event,
                f"week {check.week_number} asked for re-forecast run {run}, but run {current} "
                + ("is already under way" if running else "replaced it"),
            )
        elif run is not None:
            remember(workflow, run_number=run)
            await _say(
                ctx,
                event,
                "orchestrator",
                f"Week {check.week_number}: {variance_summary(check)}: re-forecasting with the "
                f"actuals (run {run})",
            )
            if state_of(workflow) is S.IN_SEASON:
                move(
                    ctx,
                    workflow,
                    S.REFORECASTING,
                    event,
                    f"week {check.week_number}: {variance_fired(check)}",
                )
            return
        if check.reforecast_under_way is not None:
            await _say(
                ctx,
                event,
                "orchestrator",
                f"Week {check.week_number}: {variance_summary(check)}; re-forecast run "
                f"{check.reforecast_under_way} is already under way",
            )
        if state_of(workflow) is S.IN_SEASON and workflow.context.get("season_over"):
            self._complete(ctx, workflow, event, "the last week of the season is in")

    async def on_sell_through_computed(
        self, event: SellThroughComputed, ctx: MessageContext
    ) -> None:
        workflow = await load_workflow(ctx, event.workflow_id)
        if not expect(ctx, workflow, event, S.IN_SEASON, S.REFORECASTING):
            return
        remember(workflow, sell_through=event.payload.model_dump(mode="json"))
        if state_of(workflow) is S.REFORECASTING:
            # Decide the markdown on the re-forecast, once it is in.
            remember(workflow, markdown_pending=True)
            return
        await self._checkpoint(ctx, workflow, event)

    async def _checkpoint(self, ctx: MessageContext, workflow: Workflow, event: EventBase) -> None:
        remember(workflow, markdown_pending=False)
        sell_through = SellThroughComputedPayload.model_validate(workflow.context["sell_through"])
        if not sell_through.below_target:
            remember(workflow, markdown_done=True)
            await _say(
                ctx,
                event,
                "pricing",
                f"Sell-through {sell_through.sell_through:.0%} meets the target "
                f"{sell_through.target:.0%}: no markdown needed",
            )
            if workflow.context.get("season_over"):
                self._complete(ctx, workflow, event, "season over, no markdown needed")
            return
        facts = await self._facts(ctx, workflow)
        proposal = await self._run_pair(
            ctx,
            workflow,
            event,
            "pricing",
            "propose_markdown",
            self._specialists.propose_markdown(facts, _progress(ctx, event)),
        )
        if state_of(workflow) in TERMINAL_STATES:
            return
        if proposal is None:
            remember(workflow, markdown_done=True)
            if workflow.context.get("season_over"):
                self._complete(ctx, workflow, event, "season over, no markdown proposed")
            return
        self._ask_approval(ctx, workflow, event, proposal, S.AWAITING_MARKDOWN_APPROVAL)

    async def _resume_season(
        self, ctx: MessageContext, workflow: Workflow, event: EventBase
    ) -> None:
        """Back in season: take up what waited on the re-forecast, or finish."""
        if workflow.context.get("markdown_pending"):
            await self._checkpoint(ctx, workflow, event)
        elif workflow.context.get("season_over"):
            self._complete(ctx, workflow, event, "the last week of the season is in")

    # ------------------------------------------------------------ planner commands
    async def on_reforecast_requested(
        self, event: ReforecastRequested, ctx: MessageContext
    ) -> None:
        workflow = await load_workflow(ctx, event.workflow_id)
        if not expect(ctx, workflow, event, S.IN_SEASON):
            return
        # The forecast service numbers the re-forecasts variance starts: take the number
        # after every run claimed so far, under the same lock.
        await lock_run_numbers(ctx.session, workflow.id)
        self._request_forecast(
            ctx,
            workflow,
            event,
            run_number=await highest_claimed_run(ctx.session, workflow) + 1,
            reason="manual",
            actuals_through_week=int(workflow.context.get("last_week", 0)),
        )

    async def on_cancel_requested(self, event: CancelRequested, ctx: MessageContext) -> None:
        workflow = await load_workflow(ctx, event.workflow_id)
        if state_of(workflow) in TERMINAL_STATES:
            refuse(ctx, workflow, event, f"the workflow is already {workflow.state}")
            return
        reason = event.payload.reason or f"cancelled by {event.payload.requested_by}"
        if move(ctx, workflow, S.CANCELLED, event, reason):
            ctx.emit(
                event.caused(
                    WorkflowCancelled,
                    WorkflowCancelledPayload(
                        reason=event.payload.reason, cancelled_by=event.payload.requested_by
                    ),
                    ctx.producer,
                )
            )

    async def on_step_failed(
        self, event: ExtractionFailed | ForecastFailed | AllocationFailed, ctx: MessageContext
    ) -> None:
        if event.workflow_id is None:
            return
        workflow = await load_workflow(ctx, event.workflow_id)
        if state_of(workflow) in TERMINAL_STATES:
            refuse(ctx, workflow, event, f"the workflow is already {workflow.state}")
            return
        if isinstance(event, ForecastFailed):
            current = int(workflow.context.get("run_number", 1))
            run = event.payload.run_number or current
            if run != current:
                refuse(
                    ctx,
                    workflow,
                    event,
                    f"forecast run {run} is not the current run {current}",
                )
                return
            if run > 1:
                await self._reforecast_failed(ctx, workflow, event, run)
                return
        step = event.type.split(".")[0]
        self._fail(ctx, workflow, event, f"{step} failed: {event.payload.reason}")

    async def _reforecast_failed(
        self, ctx: MessageContext, workflow: Workflow, event: ForecastFailed, run: int
    ) -> None:
        """A re-forecast that fails leaves the season on the plan it had: the order is made
        and allocated, and the next weeks are still checked against the previous run."""
        previous = (workflow.context.get("forecast") or {}).get("run_number", run - 1)
        reason = (
            f"re-forecast run {run} failed: {event.payload.reason}; the season continues on "
            f"run {previous}"
        )
        ctx.emit(
            event.caused(
                AgentFailed, AgentFailedPayload(agent="orchestrator", reason=reason), ctx.producer
            )
        )
        if state_of(workflow) is S.REFORECASTING:
            move(ctx, workflow, S.IN_SEASON, event, reason)
            await self._resume_season(ctx, workflow, event)

    # ------------------------------------------------------------ helpers
    def _request_forecast(
        self,
        ctx: MessageContext,
        workflow: Workflow,
        event: EventBase,
        *,
        run_number: int,
        reason: ForecastReason,
        actuals_through_week: int = 0,
    ) -> None:
        target = S.FORECASTING if run_number == 1 else S.REFORECASTING
        if not move(ctx, workflow, target, event, f"forecast run {run_number} ({reason})"):
            return
        remember(workflow, run_number=run_number)
        ctx.emit(
            event.caused(
                ForecastRequested,
                ForecastRequestedPayload(
                    parameters=parameters_of(workflow),
                    run_number=run_number,
                    reason=reason,
                    category_codes=workflow.category_codes,
                    actuals_through_week=actuals_through_week,
                ),
                ctx.producer,
            )
        )

    def _complete(
        self, ctx: MessageContext, workflow: Workflow, event: EventBase, reason: str
    ) -> None:
        if not move(ctx, workflow, S.COMPLETED, event, reason):
            return
        memory = workflow.context
        forecast = memory.get("forecast") or {}
        summary = (
            f"Season complete: forecast {forecast.get('season_total', 0):,.0f} units over "
            f"{parameters_of(workflow).forecast_horizon_weeks} weeks, "
            f"{memory.get('manufacturing_quantity', 0):,} units manufactured, "
            + (
                f"markdown {memory['markdown_percentage']:g}%."
                if memory.get("markdown_percentage") is not None
                else "no markdown."
            )
        )
        ctx.emit(
            event.caused(
                WorkflowCompleted,
                WorkflowCompletedPayload(
                    summary=summary,
                    season_total_forecast=forecast.get("season_total"),
                    manufacturing_quantity=memory.get("manufacturing_quantity"),
                    markdown_percentage=memory.get("markdown_percentage"),
                ),
                ctx.producer,
            )
        )

    def _fail(self, ctx: MessageContext, workflow: Workflow, event: EventBase, reason: str) -> None:
        failed_in = state_of(workflow)
        if move(ctx, workflow, S.FAILED, event, reason):
            workflow.error = reason
            ctx.emit(
                event.caused(
                    WorkflowFailed,
                    WorkflowFailedPayload(reason=reason, failed_in_state=failed_in),
                    ctx.producer,
                )
            )

    async def _facts(self, ctx: MessageContext, workflow: Workflow) -> SeasonFacts:
        memory = workflow.context
        categories = (await ctx.session.scalars(select(Category))).all()
        sell_through = _maybe(SellThroughComputedPayload, memory.get("sell_through"))
        # Uploaded elasticities win, then the uploaded markdown history (markdown_inputs.py).
        priced = await season_elasticities(ctx.session, workflow.id, categories, sell_through)
        return SeasonFacts(
            workflow_id=workflow.id,
            parameters=parameters_of(workflow),
            forecast=_maybe(ForecastCompletedPayload, memory.get("forecast")),
            allocation=_maybe(AllocationCompletedPayload, memory.get("allocation")),
            sell_through=sell_through,
            elasticities=priced.values,
            elasticity_sources=priced.sources,
            demand_lift_per_point=priced.lift_per_point,
            variance_by_week={int(k): v for k, v in memory.get("variance_by_week", {}).items()},
            latest_variance=_maybe(VarianceCheckedPayload, memory.get("latest_variance")),
        )

    async def _run(
        self,
        ctx: MessageContext,
        workflow: Workflow,
        event: EventBase,
        agent: AgentName,
        task: str,
        work: Awaitable[AgentReport],
    ) -> AgentReport | None:
        """Run one specialist step, visibly; a failure fails the workflow with the reason."""
        await ctx.progress(
            event.caused(AgentStarted, AgentStartedPayload(agent=agent, task=task), ctx.producer)
        )
        try:
            report = await work
        except Exception as exc:
            log.exception("%s agent failed on %s", agent, task)
            reason = f"the {agent} agent could not {task.replace('_', ' ')}: {exc}"
            ctx.emit(
                event.caused(
                    AgentFailed, AgentFailedPayload(agent=agent, reason=reason), ctx.producer
                )
            )
            self._fail(ctx, workflow, event, reason)
            return None
        ctx.session.add(
            AgentRun(
                workflow_id=workflow.id,
                agent=agent,
                task=task,
                model=report.model,
                summary=report.summary,
                reasoning={"tool_calls": report.tool_calls, "output": report.output},
                completed_at=event.occurred_at,
            )
        )
        ctx.emit(
            event.caused(
                AgentCompleted,
                AgentCompletedPayload(agent=agent, summary=report.summary, output=report.output),
                ctx.producer,
            )
        )
        return report

    async def _run_pair(
        self,
        ctx: MessageContext,
        workflow: Workflow,
        event: EventBase,
        agent: AgentName,
        task: str,
        work: Awaitable[tuple[AgentReport, D]],
    ) -> D | None:
        """Like `_run`, for steps that also decide something (a proposal)."""
        decisions: list[D] = []

        async def report_only() -> AgentReport:
            report, decision = await work
            decisions.append(decision)
            return report

        report = await self._run(ctx, workflow, event, agent, task, report_only())
        return decisions[0] if report is not None else None


def _maybe(model: Any, document: dict[str, Any] | None) -> Any:
    return model.model_validate(document) if document else None


def _progress(ctx: MessageContext, event: EventBase) -> Any:
    async def report(agent: AgentName, message: str) -> None:
        await _say(ctx, event, agent, message)

    return report


async def _say(ctx: MessageContext, event: EventBase, agent: AgentName, message: str) -> None:
    await ctx.progress(
        event.caused(
            AgentProgress, AgentProgressPayload(agent=agent, message=message), ctx.producer
        )
    )
