"""The orchestrator: owns the workflow state machine and hands the reasoning to specialists.

Every handler loads the workflow under a row lock, checks the event fits the current state
(refusing and recording it otherwise), asks a specialist when reasoning is needed, and emits
the next command through the outbox. Nothing blocks on another service: a step that needs
one emits its request and the workflow continues when the result event arrives. It alone
decides when to forecast and numbers the runs, a re-forecast on variance included.

No transaction stays open while an agent runs (an LLM call may take its timeout, retries
included). A handler that may ask an agent is phased (`agent_steps.py`): it decides in a short
transaction; when it reaches an agent whose result it lacks, that transaction rolls back, the
agent runs with none open, and the decision is made again from the start, under the lock,
with the result at hand. The last decision commits; one whose facts changed meanwhile asks
the agent again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from planner_agents.agent_steps import (
    AgentSteps,
    Call,
    Step,
    StepResult,
    decide_with_agents,
    say,
)
from planner_agents.context import RunContext
from planner_agents.markdown_inputs import season_elasticities
from planner_agents.memory import memory_of, remember
from planner_agents.repository import (
    expect,
    load_workflow,
    move,
    parameters_of,
    refuse,
    state_of,
)
from planner_agents.specialists import AgentReport, Progress, Specialists
from planner_agents.stock_facts import stock_facts
from planner_shared.bus.delivery import Delivery
from planner_shared.bus.router import EventRouter, MessageContext
from planner_shared.db.models import Category, Workflow
from planner_shared.events import (
    AgentCompleted,
    AgentCompletedPayload,
    AgentFailed,
    AgentFailedPayload,
    AllocationCompleted,
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
    ForecastFailed,
    ForecastReason,
    ForecastRequested,
    ForecastRequestedPayload,
    ManufacturingProposal,
    MarkdownProposal,
    ReforecastRequested,
    SellThroughComputed,
    VarianceChecked,
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
BLOCKING_ISSUES = frozenset({"contradictory", "out_of_range", "invalid"})


class Orchestrator:
    def __init__(self, specialists: Specialists) -> None:
        self._specialists = specialists

    def router(self) -> EventRouter:
        router = EventRouter()
        router.on(WorkflowRequested)(self.on_workflow_requested)
        router.on(ExtractionCompleted)(self.on_extraction_completed)
        router.phased(ExtractionFailed)(self.on_step_failed)
        router.phased(ForecastCompleted)(self.on_forecast_completed)
        router.phased(ForecastFailed)(self.on_step_failed)
        router.on(ApprovalDecided)(self.on_approval_decided)
        router.phased(AllocationCompleted)(self.on_allocation_completed)
        router.phased(AllocationFailed)(self.on_step_failed)
        router.on(VarianceChecked)(self.on_variance_checked)
        router.phased(SellThroughComputed)(self.on_sell_through_computed)
        router.on(ReforecastRequested)(self.on_reforecast_requested)
        router.on(CancelRequested)(self.on_cancel_requested)
        return router

    # ------------------------------------------------------------ start
    async def on_workflow_requested(self, event: WorkflowRequested, ctx: MessageContext) -> None:
        workflow = await load_workflow(ctx, event.workflow_id)
        if not expect(ctx, workflow, event, S.CREATED):
            return
        await say(ctx, event, "orchestrator", "Planning the season: reading what was given")
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
            await say(
                ctx,
                event,
                "orchestrator",
                "Defaults used for what the brief did not say: " + ", ".join(extraction.defaulted),
            )
        workflow.parameters = extraction.parameters.model_dump(mode="json")
        self._request_forecast(ctx, workflow, event, run_number=1, reason="initial")

    # ------------------------------------------------------------ forecasting
    async def on_forecast_completed(self, event: ForecastCompleted, delivery: Delivery) -> None:
        async def decide(ctx: MessageContext, steps: AgentSteps) -> None:
            await self._forecast_completed(event, ctx, steps)

        await decide_with_agents(delivery, event, decide)

    async def _forecast_completed(
        self, event: ForecastCompleted, ctx: MessageContext, steps: AgentSteps
    ) -> None:
        workflow = await load_workflow(ctx, event.workflow_id)
        forecast = event.payload
        memory = memory_of(workflow)
        if forecast.run_number != memory.run_number:
            refuse(
                ctx,
                workflow,
                event,
                f"forecast run {forecast.run_number} is not the current run "
                f"{memory.run_number or None}",
            )
            return
        memory.forecast = forecast
        remember(workflow, memory)
        facts = await self._facts(ctx, workflow)
        if forecast.run_number == 1:
            if not expect(ctx, workflow, event, S.FORECASTING):
                return
            review = self._run(
                ctx,
                steps,
                workflow,
                event,
                Step(
                    "demand",
                    "review_forecast",
                    facts,
                    self._report(self._specialists.review_forecast, facts),
                ),
            )
            if review is None:
                return
            ran = self._run(
                ctx,
                steps,
                workflow,
                event,
                Step(
                    "inventory",
                    "propose_manufacturing",
                    facts,
                    self._decision(self._specialists.propose_manufacturing, facts),
                ),
            )
            if ran is None:
                return
            proposal: ManufacturingProposal = ran.decision
            self._ask_approval(ctx, workflow, event, proposal, S.AWAITING_MANUFACTURING_APPROVAL)
            return
        if not expect(
            ctx, workflow, event, S.REFORECASTING, S.IN_SEASON, S.AWAITING_MARKDOWN_APPROVAL
        ):
            return
        review = self._run(
            ctx,
            steps,
            workflow,
            event,
            Step(
                "demand",
                "review_reforecast",
                facts,
                self._report(self._specialists.review_forecast, facts),
            ),
        )
        if review is None:
            return
        if state_of(workflow) is S.REFORECASTING:
            move(ctx, workflow, S.IN_SEASON, event, "re-forecast done")
            await self._resume_season(ctx, steps, workflow, event)

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
        request = event.caused(
            ApprovalRequested, ApprovalRequestedPayload(proposal=proposal), ctx.producer
        )
        # Written with the state, in this transaction: a decision that overtakes the request
        # on the bus finds the proposal here (the approvals service opens the approval from it).
        workflow.pending_input = {
            "kind": proposal.kind,
            "proposal": proposal.model_dump(mode="json"),
            "request_event_id": str(request.event_id),
        }
        ctx.emit(request)

    async def on_approval_decided(self, event: ApprovalDecided, ctx: MessageContext) -> None:
        workflow = await load_workflow(ctx, event.workflow_id)
        decision = event.payload
        memory = memory_of(workflow)
        if decision.kind is ApprovalKind.MANUFACTURING:
            if not expect(ctx, workflow, event, S.AWAITING_MANUFACTURING_APPROVAL):
                return
            quantity = int(decision.decided_value)
            memory.manufacturing_quantity = quantity
            remember(workflow, memory)
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
        memory.markdown_percentage = decision.decided_value
        memory.markdown_done = True
        remember(workflow, memory)
        workflow.pending_input = None
        reason = f"{decision.decided_by} set the markdown at {decision.decided_value:g}%"
        if memory.season_over:
            self._complete(ctx, workflow, event, reason)
        else:
            move(ctx, workflow, S.IN_SEASON, event, reason)

    # ------------------------------------------------------------ allocation and season
    async def on_allocation_completed(self, event: AllocationCompleted, delivery: Delivery) -> None:
        async def decide(ctx: MessageContext, steps: AgentSteps) -> None:
            workflow = await load_workflow(ctx, event.workflow_id)
            if not expect(ctx, workflow, event, S.ALLOCATING):
                return
            memory = memory_of(workflow)
            memory.allocation = event.payload
            remember(workflow, memory)
            facts = await self._facts(ctx, workflow)
            report = self._run(
                ctx,
                steps,
                workflow,
                event,
                Step(
                    "inventory",
                    "summarise_allocation",
                    facts,
                    self._report(self._specialists.summarise_allocation, facts),
                ),
            )
            if report is not None:
                move(
                    ctx, workflow, S.IN_SEASON, event, "initial allocation shipped; season running"
                )

        await decide_with_agents(delivery, event, decide)

    async def on_variance_checked(self, event: VarianceChecked, ctx: MessageContext) -> None:
        """The forecast service measured a week; whether the season re-forecasts is decided
        here, and numbered here: one re-forecast at a time, none while a markdown decision
        is pending, none after the last week."""
        workflow = await load_workflow(ctx, event.workflow_id)
        if not expect(
            ctx, workflow, event, S.IN_SEASON, S.REFORECASTING, S.AWAITING_MARKDOWN_APPROVAL
        ):
            return
        check = event.payload
        memory = memory_of(workflow)
        memory.variance_by_week = {
            **memory.variance_by_week,
            check.week_number: check.total_variance,
        }
        if check.week_number >= memory.last_week:
            memory.latest_variance = check
        memory.last_week = max(check.week_number, memory.last_week)
        horizon = parameters_of(workflow).forecast_horizon_weeks
        if check.week_number >= horizon:
            memory.season_over = True
        remember(workflow, memory)
        if check.exceeded and check.week_number < horizon:
            if state_of(workflow) is S.REFORECASTING:
                # The run under way covers this drift; the next week is checked against it.
                await say(
                    ctx,
                    event,
                    "orchestrator",
                    f"Week {check.week_number}: {variance_summary(check)}; re-forecast run "
                    f"{memory.run_number} is already under way",
                )
            elif state_of(workflow) is S.IN_SEASON:
                run = memory.run_number + 1
                await say(
                    ctx,
                    event,
                    "orchestrator",
                    f"Week {check.week_number}: {variance_summary(check)}: re-forecasting with "
                    f"the actuals (run {run})",
                )
                self._request_forecast(
                    ctx,
                    workflow,
                    event,
                    run_number=run,
                    reason="variance",
                    actuals_through_week=check.week_number,
                    why=f"week {check.week_number}: {variance_fired(check)}",
                )
                return
            else:
                await say(
                    ctx,
                    event,
                    "orchestrator",
                    f"Week {check.week_number}: {variance_summary(check)}; no re-forecast while "
                    "the markdown decision is pending",
                )
        if state_of(workflow) is S.IN_SEASON and memory.season_over:
            self._complete(ctx, workflow, event, "the last week of the season is in")

    async def on_sell_through_computed(
        self, event: SellThroughComputed, delivery: Delivery
    ) -> None:
        async def decide(ctx: MessageContext, steps: AgentSteps) -> None:
            workflow = await load_workflow(ctx, event.workflow_id)
            if not expect(ctx, workflow, event, S.IN_SEASON, S.REFORECASTING):
                return
            memory = memory_of(workflow)
            memory.sell_through = event.payload
            if state_of(workflow) is S.REFORECASTING:
                # Decide the markdown on the re-forecast, once it is in.
                memory.markdown_pending = True
                remember(workflow, memory)
                return
            remember(workflow, memory)
            await self._checkpoint(ctx, steps, workflow, event)

        await decide_with_agents(delivery, event, decide)

    async def _checkpoint(
        self, ctx: MessageContext, steps: AgentSteps, workflow: Workflow, event: EventBase
    ) -> None:
        memory = memory_of(workflow)
        memory.markdown_pending = False
        remember(workflow, memory)
        sell_through = memory.sell_through
        assert sell_through is not None
        if not sell_through.below_target:
            memory.markdown_done = True
            remember(workflow, memory)
            await say(
                ctx,
                event,
                "pricing",
                f"Sell-through {sell_through.sell_through:.0%} meets the target "
                f"{sell_through.target:.0%}: no markdown needed",
            )
            if memory.season_over:
                self._complete(ctx, workflow, event, "season over, no markdown needed")
            return
        facts = await self._facts(ctx, workflow)
        ran = self._run(
            ctx,
            steps,
            workflow,
            event,
            Step(
                "pricing",
                "propose_markdown",
                facts,
                self._decision(self._specialists.propose_markdown, facts),
            ),
        )
        if state_of(workflow) in TERMINAL_STATES:
            return
        proposal: MarkdownProposal | None = ran.decision if ran is not None else None
        if proposal is None:
            memory.markdown_done = True
            remember(workflow, memory)
            if memory.season_over:
                self._complete(ctx, workflow, event, "season over, no markdown proposed")
            return
        self._ask_approval(ctx, workflow, event, proposal, S.AWAITING_MARKDOWN_APPROVAL)

    async def _resume_season(
        self, ctx: MessageContext, steps: AgentSteps, workflow: Workflow, event: EventBase
    ) -> None:
        """Back in season: take up what waited on the re-forecast, or finish."""
        memory = memory_of(workflow)
        if memory.markdown_pending:
            await self._checkpoint(ctx, steps, workflow, event)
        elif memory.season_over:
            self._complete(ctx, workflow, event, "the last week of the season is in")

    # ------------------------------------------------------------ planner commands
    async def on_reforecast_requested(
        self, event: ReforecastRequested, ctx: MessageContext
    ) -> None:
        workflow = await load_workflow(ctx, event.workflow_id)
        if not expect(ctx, workflow, event, S.IN_SEASON):
            return
        memory = memory_of(workflow)
        self._request_forecast(
            ctx,
            workflow,
            event,
            run_number=memory.run_number + 1,
            reason="manual",
            actuals_through_week=memory.last_week,
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
        self, event: ExtractionFailed | ForecastFailed | AllocationFailed, delivery: Delivery
    ) -> None:
        if event.workflow_id is None:
            return

        async def decide(ctx: MessageContext, steps: AgentSteps) -> None:
            await self._step_failed(event, ctx, steps)

        await decide_with_agents(delivery, event, decide)

    async def _step_failed(
        self,
        event: ExtractionFailed | ForecastFailed | AllocationFailed,
        ctx: MessageContext,
        steps: AgentSteps,
    ) -> None:
        workflow = await load_workflow(ctx, event.workflow_id)
        if state_of(workflow) in TERMINAL_STATES:
            refuse(ctx, workflow, event, f"the workflow is already {workflow.state}")
            return
        if isinstance(event, ForecastFailed):
            current = memory_of(workflow).run_number or 1
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
                await self._reforecast_failed(ctx, steps, workflow, event, run)
                return
        step = event.type.split(".")[0]
        self._fail(ctx, workflow, event, f"{step} failed: {event.payload.reason}")

    async def _reforecast_failed(
        self,
        ctx: MessageContext,
        steps: AgentSteps,
        workflow: Workflow,
        event: ForecastFailed,
        run: int,
    ) -> None:
        """A re-forecast that fails leaves the season on the plan it had: the order is made
        and allocated, and the next weeks are still checked against the previous run."""
        forecast = memory_of(workflow).forecast
        previous = forecast.run_number if forecast is not None else run - 1
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
            await self._resume_season(ctx, steps, workflow, event)

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
        why: str | None = None,
    ) -> None:
        """Number and send a forecast run: the one place `forecast.requested` is sent."""
        target = S.FORECASTING if run_number == 1 else S.REFORECASTING
        if not move(ctx, workflow, target, event, why or f"forecast run {run_number} ({reason})"):
            return
        memory = memory_of(workflow)
        memory.run_number = run_number
        remember(workflow, memory)
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
        memory = memory_of(workflow)
        season_total = memory.forecast.season_total if memory.forecast is not None else None
        summary = (
            f"Season complete: forecast {season_total or 0:,.0f} units over "
            f"{parameters_of(workflow).forecast_horizon_weeks} weeks, "
            f"{memory.manufacturing_quantity or 0:,} units manufactured, "
            + (
                f"markdown {memory.markdown_percentage:g}%."
                if memory.markdown_percentage is not None
                else "no markdown."
            )
        )
        ctx.emit(
            event.caused(
                WorkflowCompleted,
                WorkflowCompletedPayload(
                    summary=summary,
                    season_total_forecast=season_total,
                    manufacturing_quantity=memory.manufacturing_quantity,
                    markdown_percentage=memory.markdown_percentage,
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

    async def _facts(self, ctx: MessageContext, workflow: Workflow) -> RunContext:
        memory = memory_of(workflow)
        categories = (await ctx.session.scalars(select(Category))).all()
        # Uploaded elasticities win, then the uploaded markdown history (markdown_inputs.py).
        priced = await season_elasticities(
            ctx.session, workflow.id, categories, memory.sell_through
        )
        return RunContext(
            workflow_id=workflow.id,
            parameters=parameters_of(workflow),
            forecast=memory.forecast,
            allocation=memory.allocation,
            sell_through=memory.sell_through,
            elasticities=priced.values,
            elasticity_sources=priced.sources,
            demand_lift_per_point=priced.lift_per_point,
            variance_by_week=dict(memory.variance_by_week),
            latest_variance=memory.latest_variance,
            # Every depth up to 100 %: the policy's cap is applied where the depth is chosen.
            stock=await stock_facts(ctx.session, workflow.id, 100.0),
        )

    @staticmethod
    def _report(
        ask: Callable[[RunContext, Progress], Awaitable[AgentReport]], facts: RunContext
    ) -> Call:
        async def call(progress: Progress) -> tuple[AgentReport, None]:
            return await ask(facts, progress), None

        return call

    @staticmethod
    def _decision(
        ask: Callable[[RunContext, Progress], Awaitable[tuple[AgentReport, Any]]],
        facts: RunContext,
    ) -> Call:
        async def call(progress: Progress) -> tuple[AgentReport, Any]:
            return await ask(facts, progress)

        return call

    def _run(
        self,
        ctx: MessageContext,
        steps: AgentSteps,
        workflow: Workflow,
        event: EventBase,
        step: Step,
    ) -> StepResult | None:
        """One specialist step, visibly: its result, or None after a failure, which fails the
        workflow. Raises StepNeededError while the step has not run on these facts."""
        result = steps.result(step)
        if result.error is not None or result.report is None:
            reason = (
                f"the {step.agent} agent could not {step.task.replace('_', ' ')}: {result.error}"
            )
            ctx.emit(
                event.caused(
                    AgentFailed, AgentFailedPayload(agent=step.agent, reason=reason), ctx.producer
                )
            )
            self._fail(ctx, workflow, event, reason)
            return None
        report = result.report
        ctx.emit(
            event.caused(
                AgentCompleted,
                AgentCompletedPayload(
                    agent=step.agent, summary=report.summary, output=report.output
                ),
                ctx.producer,
            )
        )
        return result
