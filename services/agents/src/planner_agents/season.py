"""The season: the orchestrator's aggregate, its rules readable and testable without a database.

A `Season` is a plain object (the workflow's state, parameters and memory). Each of its
methods takes one event and returns what the event causes: the events for the outbox
(commands to other services, state changes, refusals) and the progress to publish at once.
Its invariants are checked inside it: an event that does not fit the state is refused and
recorded, a move the state machine does not allow is refused, a forecast run that is not the
current one is ignored, a re-forecast runs one at a time and never after the last week.

Some decisions need an agent (a forecast review, a proposal). The season never calls one: it
returns `AgentNeeded` naming the step and the facts it would run on, the handler runs the
agent with no transaction open, and asks the season again from a fresh load with the result
at hand (`AgentResults`). A result counts only for the facts it was computed on.

The handler (orchestrator.py) loads a season, calls it, and saves it with the caused events
in one unit of work (repository.py); nothing here touches the database or the bus.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from planner_agents.context import RunContext
from planner_agents.markdown_inputs import PricingInputs
from planner_agents.memory import WorkflowMemory
from planner_agents.specialists import AgentReport
from planner_agents.stock_facts import StockFacts
from planner_agents.transfers import explain as explain_transfers
from planner_shared.events import (
    ActualsUploaded,
    AgentCompleted,
    AgentCompletedPayload,
    AgentFailed,
    AgentFailedPayload,
    AgentName,
    AgentProgress,
    AgentProgressPayload,
    AllocationCompleted,
    AllocationFailed,
    AllocationRequested,
    AllocationRequestedPayload,
    ApprovalDecided,
    ApprovalDecidedPayload,
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
    ForecastOverridden,
    ForecastReason,
    ForecastRequested,
    ForecastRequestedPayload,
    ManufacturingProposal,
    ManufacturingReplanned,
    ManufacturingReplanRequested,
    ManufacturingReplanRequestedPayload,
    MarkdownProposal,
    ReforecastRequested,
    SellThroughComputed,
    StateChangedPayload,
    TransfersProposed,
    TransitionRefusedPayload,
    VarianceChecked,
    WorkflowCancelled,
    WorkflowCancelledPayload,
    WorkflowCompleted,
    WorkflowCompletedPayload,
    WorkflowFailed,
    WorkflowFailedPayload,
    WorkflowRequested,
    WorkflowStateChanged,
    WorkflowTransitionRefused,
)
from planner_shared.markdown import categories_behind
from planner_shared.parameters import ParameterExtraction, SeasonParameters
from planner_shared.wording import variance_fired, variance_summary
from planner_shared.workflow import TERMINAL_STATES, WorkflowState, can_transition

S = WorkflowState

# Extraction issues the planner must settle before a season is planned on them; a value that
# was merely missing is defaulted, announced, and planning goes on.
BLOCKING_ISSUES = frozenset({"contradictory", "out_of_range", "invalid"})

AgentTask = Literal[
    "review_forecast",
    "review_reforecast",
    "propose_manufacturing",
    "summarise_allocation",
    "propose_markdown",
]

# Every event the season reacts to; the orchestrator registers a handler for each.
SeasonEvent = (
    WorkflowRequested
    | ExtractionCompleted
    | ExtractionFailed
    | ForecastCompleted
    | ForecastFailed
    | ApprovalDecided
    | AllocationCompleted
    | AllocationFailed
    | ActualsUploaded
    | VarianceChecked
    | SellThroughComputed
    | ReforecastRequested
    | CancelRequested
    | TransfersProposed
    | ForecastOverridden
    | ManufacturingReplanned
)


@dataclass(frozen=True)
class AgentNeeded:
    """The decision cannot go on before this agent step has run on these facts."""

    agent: AgentName
    task: AgentTask
    facts: RunContext


@dataclass(frozen=True)
class AgentResult:
    """What one agent step gave: a report (and for a proposal, the proposal), or an error."""

    facts: RunContext
    report: AgentReport | None = None
    manufacturing: ManufacturingProposal | None = None
    markdown: MarkdownProposal | None = None
    error: str | None = None


class AgentResults:
    """The agent results one delivery has gathered, by task."""

    def __init__(self) -> None:
        self._results: dict[AgentTask, AgentResult] = {}

    def get(self, task: AgentTask, facts: RunContext) -> AgentResult | None:
        found = self._results.get(task)
        return found if found is not None and found.facts == facts else None

    def keep(self, task: AgentTask, result: AgentResult) -> None:
        self._results[task] = result


NO_AGENTS = AgentResults()


@dataclass(frozen=True)
class Transition:
    """One move, or one refusal (`accepted` False, the state unchanged), to be recorded."""

    from_state: WorkflowState
    to_state: WorkflowState
    accepted: bool
    event_id: UUID
    event_type: str
    reason: str


@dataclass(frozen=True)
class Caused:
    """What one event caused: `events` go to the outbox with the season's changes,
    `progress` is published at once (it must be seen while agents still work)."""

    events: list[EventBase]
    progress: list[EventBase]


@dataclass
class Season:
    id: UUID
    state: WorkflowState
    memory: WorkflowMemory
    parameters: SeasonParameters | None = None
    category_codes: list[str] | None = None
    extraction: ParameterExtraction | None = None
    pending_proposal: ManufacturingProposal | MarkdownProposal | None = None
    pending_request_id: UUID | None = None
    error: str | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    # Reference data the pricing facts are derived from (uploaded elasticities, history).
    pricing: PricingInputs = field(default_factory=PricingInputs)
    # The stock ledger's risks and markdown margins, once the season has stock.
    stock: StockFacts | None = None
    producer: str = "agents"
    # The moves and refusals since the season was loaded, for the repository to record.
    transitions: list[Transition] = field(default_factory=list)
    _events: list[EventBase] = field(default_factory=list)
    _progress: list[EventBase] = field(default_factory=list)

    # ------------------------------------------------------------ entry point
    def handle(self, event: SeasonEvent, agents: AgentResults = NO_AGENTS) -> Caused | AgentNeeded:
        """What `event` causes; `AgentNeeded` while an agent step it needs has not run, and
        then the season is left as it was, to be asked again with the result."""
        before = copy.deepcopy(self.__dict__)
        self._events, self._progress = [], []
        needed = self._dispatch(event, agents)
        if needed is not None:
            self.__dict__.update(before)
            return needed
        return Caused(events=self._events, progress=self._progress)

    def _dispatch(self, event: SeasonEvent, agents: AgentResults) -> AgentNeeded | None:
        match event:
            case WorkflowRequested():
                self._requested(event)
            case ExtractionCompleted():
                self._extracted(event)
            case ForecastCompleted():
                return self._forecast_completed(event, agents)
            case ApprovalDecided():
                self._approval_decided(event)
            case AllocationCompleted():
                return self._allocation_completed(event, agents)
            case ActualsUploaded():
                self._actuals_uploaded(event)
            case VarianceChecked():
                self._variance_checked(event)
            case SellThroughComputed():
                return self._sell_through_computed(event, agents)
            case ReforecastRequested():
                self._reforecast_requested(event)
            case CancelRequested():
                self._cancel_requested(event)
            case TransfersProposed():
                self._transfers_proposed(event)
            case ForecastOverridden():
                self._forecast_overridden(event)
            case ManufacturingReplanned():
                return self._order_replanned(event, agents)
            case ExtractionFailed() | ForecastFailed() | AllocationFailed():
                return self._step_failed(event, agents)
        return None

    # ------------------------------------------------------------ start
    def _requested(self, event: WorkflowRequested) -> None:
        if not self._expect(event, S.CREATED):
            return
        self._say(event, "orchestrator", "Planning the season: reading what was given")
        if event.payload.parameters is not None:
            self.parameters = event.payload.parameters
            self._request_forecast(event, run_number=1, reason="initial")
        elif event.payload.brief:
            if self._move(S.EXTRACTING, event, "extracting the season parameters"):
                self._emit(
                    event.caused(
                        ExtractionRequested,
                        ExtractionRequestedPayload(brief=event.payload.brief),
                        self.producer,
                    )
                )
        else:
            self._fail(event, "the request has neither a brief nor parameters")

    def _extracted(self, event: ExtractionCompleted) -> None:
        if not self._expect(event, S.EXTRACTING):
            return
        extraction = event.payload.extraction
        self.extraction = extraction
        blocking = [i for i in extraction.issues if i.kind in BLOCKING_ISSUES]
        if not extraction.usable or blocking:
            problems = "; ".join(i.message for i in blocking) or "nothing usable in the brief"
            self._fail(
                event,
                f"the brief needs the planner's decision: {problems}. Confirm the parameters "
                "(POST /api/parameters/extract, then POST /api/workflows/forecast with "
                "`parameters`).",
            )
            return
        if extraction.defaulted:
            self._say(
                event,
                "orchestrator",
                "Defaults used for what the brief did not say: " + ", ".join(extraction.defaulted),
            )
        if extraction.proposed_overrides:
            self._say(
                event,
                "orchestrator",
                "The brief asks for forecast adjustments, not applied until you accept them "
                "(Forecast tab, docs/overrides.md): "
                + "; ".join(
                    f"{p.category} {p.percent:+g} % ({p.evidence})"
                    for p in extraction.proposed_overrides
                ),
            )
        self.parameters = extraction.parameters
        self._request_forecast(event, run_number=1, reason="initial")

    # ------------------------------------------------------------ forecasting
    def _forecast_completed(
        self, event: ForecastCompleted, agents: AgentResults
    ) -> AgentNeeded | None:
        forecast = event.payload
        if forecast.run_number != self.memory.run_number:
            self._refuse(
                event,
                f"forecast run {forecast.run_number} is not the current run "
                f"{self.memory.run_number or None}",
            )
            return None
        self.memory.forecast = forecast
        if forecast.run_number == 1:
            if not self._expect(event, S.FORECASTING):
                return None
            review = self._agent(event, agents, "demand", "review_forecast")
            if not isinstance(review, AgentResult):
                return review
            ran = self._agent(event, agents, "inventory", "propose_manufacturing")
            if not isinstance(ran, AgentResult):
                return ran
            if ran.manufacturing is None:
                self._fail(event, "the inventory agent proposed no manufacturing order")
                return None
            self._ask_approval(event, ran.manufacturing, S.AWAITING_MANUFACTURING_APPROVAL)
            return None
        if not self._expect(event, S.REFORECASTING, S.IN_SEASON, S.AWAITING_MARKDOWN_APPROVAL):
            return None
        review = self._agent(event, agents, "demand", "review_reforecast")
        if not isinstance(review, AgentResult):
            return review
        if self.state is S.REFORECASTING:
            self._move(S.IN_SEASON, event, "re-forecast done")
            return self._resume_season(event, agents)
        return None

    # ------------------------------------------------------------ approvals
    def _ask_approval(
        self,
        event: EventBase,
        proposal: ManufacturingProposal | MarkdownProposal,
        waiting_state: WorkflowState,
    ) -> None:
        if not self._move(waiting_state, event, f"waiting for the {proposal.kind} decision"):
            return
        request = event.caused(
            ApprovalRequested, ApprovalRequestedPayload(proposal=proposal), self.producer
        )
        # Saved with the state: a decision that overtakes the request on the bus finds the
        # proposal and its request here (the approvals service opens the approval from it).
        self.pending_proposal = proposal
        self.pending_request_id = request.event_id
        self._emit(request)

    def _forecast_overridden(self, event: ForecastOverridden) -> None:
        """A planner changed the final forecast. While the order awaits its decision the
        proposal on the table was sized on the old one: the order is sized again (the
        forecast service's rule) and proposed anew. In any other state the readers of demand
        use the final forecast where they need it; nothing is decided here."""
        if self.state is not S.AWAITING_MANUFACTURING_APPROVAL or self.memory.forecast is None:
            return
        made = event.payload
        who = "by" if made.action == "made" else "withdrawn by"
        reason = f"forecast override {who} {made.by}: {made.reason}"
        self._say(
            event,
            "orchestrator",
            f"{made.summary} ({reason}): sizing the order again on the final forecast; the "
            "proposal awaiting the decision will be superseded",
        )
        self._emit(
            event.caused(
                ManufacturingReplanRequested,
                ManufacturingReplanRequestedPayload(
                    parameters=self._parameters(),
                    categories=list(self.memory.forecast.categories),
                    reason=reason,
                ),
                self.producer,
            )
        )

    def _order_replanned(
        self, event: ManufacturingReplanned, agents: AgentResults
    ) -> AgentNeeded | None:
        """The order sized again: the inventory agent proposes it, and the approval request
        supersedes the pending one (same gate, new figures)."""
        replanned = event.payload
        if self.state is not S.AWAITING_MANUFACTURING_APPROVAL or self.memory.forecast is None:
            self._say(
                event,
                "orchestrator",
                f"The order sized again after the {replanned.reason} is not proposed: the "
                f"season is {self.state.value.replace('_', ' ')}",
            )
            return None
        if replanned.manufacturing is None:
            self._say(
                event,
                "inventory",
                f"The order could not be sized again after the {replanned.reason} "
                f"({replanned.problem}); the proposal awaiting the decision stands",
            )
            return None
        before = self.pending_proposal
        self.memory.forecast = self.memory.forecast.model_copy(
            update={"manufacturing": replanned.manufacturing}
        )
        ran = self._agent(event, agents, "inventory", "propose_manufacturing")
        if not isinstance(ran, AgentResult):
            return ran
        if ran.manufacturing is None:
            self._fail(event, "the inventory agent proposed no manufacturing order")
            return None
        request = event.caused(
            ApprovalRequested,
            ApprovalRequestedPayload(
                proposal=ran.manufacturing, supersedes_reason=replanned.reason
            ),
            self.producer,
        )
        self.pending_proposal = ran.manufacturing
        self.pending_request_id = request.event_id
        self._emit(request)
        old = f"{before.quantity:,}" if isinstance(before, ManufacturingProposal) else "?"
        self._say(
            event,
            "inventory",
            f"New order proposal after the {replanned.reason}: {ran.manufacturing.quantity:,} "
            f"units (was {old}); the earlier proposal is superseded",
        )
        return None

    def _transfers_proposed(self, event: TransfersProposed) -> None:
        """Explain the proposal and ask for the planner's decision: a gate on the moves, never
        on the season, whose state stays as it is."""
        if self.state in TERMINAL_STATES:
            return
        proposal = event.payload.proposal
        self._say(event, "inventory", explain_transfers(proposal))
        self._emit(
            event.caused(
                ApprovalRequested, ApprovalRequestedPayload(proposal=proposal), self.producer
            )
        )

    def _approval_decided(self, event: ApprovalDecided) -> None:
        decision = event.payload
        if not decision.kind.gate:
            return  # a transfer decision: the forecast service's to record; the season goes on
        if decision.kind is ApprovalKind.MANUFACTURING:
            if not self._expect(event, S.AWAITING_MANUFACTURING_APPROVAL):
                return
            quantity = int(decision.decided_value)
            # Decisions stored before lines carry none: the total is split by the plan.
            lines = {c: int(u) for c, u in decision.decided_lines.items()} or None
            self.memory.manufacturing_quantity = quantity
            self.memory.manufacturing_lines = lines
            self.pending_proposal = None
            reason = f"{decision.decided_by} approved {quantity} units ({decision.action})"
            if lines:
                reason += " by category: " + ", ".join(f"{c} {u:,}" for c, u in lines.items())
            if self._move(S.ALLOCATING, event, reason):
                self._emit(
                    event.caused(
                        AllocationRequested,
                        AllocationRequestedPayload(
                            parameters=self._parameters(), approved_quantity=quantity, lines=lines
                        ),
                        self.producer,
                    )
                )
            return
        if not self._expect(event, S.AWAITING_MARKDOWN_APPROVAL):
            return
        self.memory.markdown_percentage = decision.decided_value
        self.memory.markdown_lines = dict(decision.decided_lines)
        self.memory.markdown_done = True
        self.pending_proposal = None
        reason = f"{decision.decided_by} set the markdown at {_depths(decision)}"
        if self.memory.season_over:
            self._complete(event, reason)
        else:
            self._move(S.IN_SEASON, event, reason)

    # ------------------------------------------------------------ allocation and season
    def _allocation_completed(
        self, event: AllocationCompleted, agents: AgentResults
    ) -> AgentNeeded | None:
        if not self._expect(event, S.ALLOCATING):
            return None
        self.memory.allocation = event.payload
        report = self._agent(event, agents, "inventory", "summarise_allocation")
        if not isinstance(report, AgentResult):
            return report
        self._move(S.IN_SEASON, event, "initial allocation shipped; season running")
        return None

    def _actuals_uploaded(self, event: ActualsUploaded) -> None:
        """A corrected week runs again what its wrong figures started: the re-forecast that
        week started was fitted on the figures the upload replaced, and its check, now within
        the threshold, would start nothing. Only while the season runs normally: with a
        re-forecast under way the next week's check runs against that run anyway."""
        upload = event.payload
        started = self.memory.reforecast_weeks.get(upload.week_number)
        if not upload.replaced_previous or upload.same_as_previous or started is None:
            return
        if self.state is not S.IN_SEASON:
            return
        run = self.memory.run_number + 1
        self._say(
            event,
            "orchestrator",
            f"Week {upload.week_number} corrected: re-forecast run {started} was fitted on the "
            f"figures it replaced; re-forecasting (run {run})",
        )
        self._request_forecast(
            event,
            run_number=run,
            reason="variance",
            actuals_through_week=self.memory.last_week,
            started_by_week=upload.week_number,
            why=f"week {upload.week_number} corrected (run {started} used its old figures)",
        )

    def _variance_checked(self, event: VarianceChecked) -> None:
        """The forecast service measured a week; whether the season re-forecasts is decided
        here, and numbered here: one re-forecast at a time, none while a markdown decision
        is pending, none after the last week."""
        if not self._expect(event, S.IN_SEASON, S.REFORECASTING, S.AWAITING_MARKDOWN_APPROVAL):
            return
        check = event.payload
        memory = self.memory
        memory.variance_by_week = {
            **memory.variance_by_week,
            check.week_number: check.total_variance,
        }
        if check.week_number >= memory.last_week:
            memory.latest_variance = check
        memory.last_week = max(check.week_number, memory.last_week)
        horizon = self._parameters().forecast_horizon_weeks
        if check.week_number >= horizon:
            memory.season_over = True
        week = f"Week {check.week_number}: {variance_summary(check)}"
        if check.exceeded and check.week_number < horizon:
            if self.state is S.REFORECASTING:
                # The run under way covers this drift; the next week is checked against it.
                self._say(
                    event,
                    "orchestrator",
                    f"{week}; re-forecast run {memory.run_number} is already under way",
                )
            elif self.state is S.IN_SEASON:
                run = memory.run_number + 1
                self._say(
                    event,
                    "orchestrator",
                    f"{week}: re-forecasting with the actuals (run {run})",
                )
                self._request_forecast(
                    event,
                    run_number=run,
                    reason="variance",
                    actuals_through_week=check.week_number,
                    started_by_week=check.week_number,
                    why=f"week {check.week_number}: {variance_fired(check)}",
                )
                return
            else:
                self._say(
                    event,
                    "orchestrator",
                    f"{week}; no re-forecast while the markdown decision is pending",
                )
        if self.state is S.IN_SEASON and memory.season_over:
            self._complete(event, "the last week of the season is in")

    def _sell_through_computed(
        self, event: SellThroughComputed, agents: AgentResults
    ) -> AgentNeeded | None:
        if not self._expect(event, S.IN_SEASON, S.REFORECASTING):
            return None
        self.memory.sell_through = event.payload
        if self.state is S.REFORECASTING:
            # Decide the markdown on the re-forecast, once it is in.
            self.memory.markdown_pending = True
            return None
        return self._checkpoint(event, agents)

    def _checkpoint(self, event: EventBase, agents: AgentResults) -> AgentNeeded | None:
        memory = self.memory
        memory.markdown_pending = False
        sell_through = memory.sell_through
        if sell_through is None:
            raise ValueError(f"workflow {self.id}: a markdown checkpoint without a sell-through")
        behind = categories_behind(sell_through.by_category, sell_through.target)
        if not sell_through.below_target and not behind:
            memory.markdown_done = True
            self._say(
                event,
                "pricing",
                f"Sell-through {sell_through.sell_through:.0%} meets the target "
                f"{sell_through.target:.0%} in every category: no markdown needed",
            )
            if memory.season_over:
                self._complete(event, "season over, no markdown needed")
            return None
        if not sell_through.below_target:
            # The season is on target as a whole, yet a category is behind: the checkpoint is
            # per category, so the pricing agent prices each (the ones on target get none).
            self._say(
                event,
                "pricing",
                f"Sell-through {sell_through.sell_through:.0%} meets the target "
                f"{sell_through.target:.0%} overall, but "
                + ", ".join(f"{code} is at {value:.0%}" for code, value in behind)
                + ": a markdown is priced per category",
            )
        ran = self._agent(event, agents, "pricing", "propose_markdown")
        if isinstance(ran, AgentNeeded):
            return ran
        if self.state in TERMINAL_STATES:
            return None
        proposal = ran.markdown if ran is not None else None
        if proposal is None:
            memory.markdown_done = True
            if memory.season_over:
                self._complete(event, "season over, no markdown proposed")
            return None
        self._ask_approval(event, proposal, S.AWAITING_MARKDOWN_APPROVAL)
        return None

    def _resume_season(self, event: EventBase, agents: AgentResults) -> AgentNeeded | None:
        """Back in season: take up what waited on the re-forecast, or finish."""
        if self.memory.markdown_pending:
            return self._checkpoint(event, agents)
        if self.memory.season_over:
            self._complete(event, "the last week of the season is in")
        return None

    # ------------------------------------------------------------ planner commands
    def _reforecast_requested(self, event: ReforecastRequested) -> None:
        if not self._expect(event, S.IN_SEASON):
            return
        self._request_forecast(
            event,
            run_number=self.memory.run_number + 1,
            reason="manual",
            actuals_through_week=self.memory.last_week,
        )

    def _cancel_requested(self, event: CancelRequested) -> None:
        if self.state in TERMINAL_STATES:
            self._refuse(event, f"the workflow is already {self.state.value}")
            return
        reason = event.payload.reason or f"cancelled by {event.payload.requested_by}"
        if self._move(S.CANCELLED, event, reason):
            self._emit(
                event.caused(
                    WorkflowCancelled,
                    WorkflowCancelledPayload(
                        reason=event.payload.reason, cancelled_by=event.payload.requested_by
                    ),
                    self.producer,
                )
            )

    def _step_failed(
        self, event: ExtractionFailed | ForecastFailed | AllocationFailed, agents: AgentResults
    ) -> AgentNeeded | None:
        if self.state in TERMINAL_STATES:
            self._refuse(event, f"the workflow is already {self.state.value}")
            return None
        if isinstance(event, ForecastFailed):
            current = self.memory.run_number or 1
            run = event.payload.run_number or current
            if run != current:
                self._refuse(event, f"forecast run {run} is not the current run {current}")
                return None
            if run > 1:
                return self._reforecast_failed(event, run, agents)
        step = event.type.split(".")[0]
        self._fail(event, f"{step} failed: {event.payload.reason}")
        return None

    def _reforecast_failed(
        self, event: ForecastFailed, run: int, agents: AgentResults
    ) -> AgentNeeded | None:
        """A re-forecast that fails leaves the season on the plan it had: the order is made
        and allocated, and the next weeks are still checked against the previous run."""
        forecast = self.memory.forecast
        previous = forecast.run_number if forecast is not None else run - 1
        reason = (
            f"re-forecast run {run} failed: {event.payload.reason}; the season continues on "
            f"run {previous}"
        )
        self._emit(
            event.caused(
                AgentFailed, AgentFailedPayload(agent="orchestrator", reason=reason), self.producer
            )
        )
        if self.state is S.REFORECASTING:
            self._move(S.IN_SEASON, event, reason)
            return self._resume_season(event, agents)
        return None

    # ------------------------------------------------------------ facts for the agents
    def facts(self) -> RunContext:
        """The season as the agents see it, on what the season knows now."""
        memory = self.memory
        priced = self.pricing.elasticities(memory.sell_through)
        return RunContext(
            workflow_id=self.id,
            parameters=self._parameters(),
            forecast=memory.forecast,
            allocation=memory.allocation,
            sell_through=memory.sell_through,
            elasticities=priced.values,
            elasticity_sources=priced.sources,
            demand_lift_per_point=priced.lift_per_point,
            variance_by_week=dict(memory.variance_by_week),
            latest_variance=memory.latest_variance,
            stock=self.stock,
        )

    def _agent(
        self, event: EventBase, agents: AgentResults, agent: AgentName, task: AgentTask
    ) -> AgentResult | AgentNeeded | None:
        """One specialist step, visibly: its result, `AgentNeeded` while it has not run on
        these facts, or None after a failure, which fails the workflow."""
        facts = self.facts()
        result = agents.get(task, facts)
        if result is None:
            return AgentNeeded(agent=agent, task=task, facts=facts)
        if result.error is not None or result.report is None:
            reason = f"the {agent} agent could not {task.replace('_', ' ')}: {result.error}"
            self._emit(
                event.caused(
                    AgentFailed, AgentFailedPayload(agent=agent, reason=reason), self.producer
                )
            )
            self._fail(event, reason)
            return None
        report = result.report
        self._emit(
            event.caused(
                AgentCompleted,
                AgentCompletedPayload(agent=agent, summary=report.summary, output=report.output),
                self.producer,
            )
        )
        return result

    # ------------------------------------------------------------ the state machine
    def _request_forecast(
        self,
        event: EventBase,
        *,
        run_number: int,
        reason: ForecastReason,
        actuals_through_week: int = 0,
        started_by_week: int | None = None,
        why: str | None = None,
    ) -> None:
        """Number and send a forecast run: the one place `forecast.requested` is sent."""
        target = S.FORECASTING if run_number == 1 else S.REFORECASTING
        if not self._move(target, event, why or f"forecast run {run_number} ({reason})"):
            return
        self.memory.run_number = run_number
        if started_by_week is not None:
            self.memory.reforecast_weeks = {
                **self.memory.reforecast_weeks,
                started_by_week: run_number,
            }
        self._emit(
            event.caused(
                ForecastRequested,
                ForecastRequestedPayload(
                    parameters=self._parameters(),
                    run_number=run_number,
                    reason=reason,
                    category_codes=self.category_codes,
                    actuals_through_week=actuals_through_week,
                    started_by_week=started_by_week,
                ),
                self.producer,
            )
        )

    def _complete(self, event: EventBase, reason: str) -> None:
        if not self._move(S.COMPLETED, event, reason):
            return
        memory = self.memory
        season_total = memory.forecast.season_total if memory.forecast is not None else None
        markdown = (
            "markdown "
            + ", ".join(f"{c} {d:g}%" for c, d in sorted(memory.markdown_lines.items()))
            + "."
            if memory.markdown_lines
            else f"markdown {memory.markdown_percentage:g}%."
            if memory.markdown_percentage is not None
            else "no markdown."
        )
        summary = (
            f"Season complete: forecast {season_total or 0:,.0f} units over "
            f"{self._parameters().forecast_horizon_weeks} weeks, "
            f"{memory.manufacturing_quantity or 0:,} units manufactured, {markdown}"
        )
        self._emit(
            event.caused(
                WorkflowCompleted,
                WorkflowCompletedPayload(
                    summary=summary,
                    season_total_forecast=season_total,
                    manufacturing_quantity=memory.manufacturing_quantity,
                    markdown_percentage=memory.markdown_percentage,
                ),
                self.producer,
            )
        )

    def _fail(self, event: EventBase, reason: str) -> None:
        failed_in = self.state
        if self._move(S.FAILED, event, reason):
            self.error = reason
            self._emit(
                event.caused(
                    WorkflowFailed,
                    WorkflowFailedPayload(reason=reason, failed_in_state=failed_in),
                    self.producer,
                )
            )

    def _expect(self, event: EventBase, *states: WorkflowState) -> bool:
        """True when the season is in one of `states`; otherwise the event is refused."""
        if self.state in states:
            return True
        allowed = ", ".join(s.value for s in states)
        self._refuse(
            event,
            f"{event.type} is not expected in state {self.state.value} (expected: {allowed})",
        )
        return False

    def _move(self, target: WorkflowState, event: EventBase, reason: str) -> bool:
        current = self.state
        if not can_transition(current, target):
            self._refuse(event, f"illegal transition {current.value} -> {target.value}")
            return False
        self.state = target
        self.updated_at = datetime.now(UTC)
        if target in TERMINAL_STATES:
            self.completed_at = self.updated_at
            self.pending_proposal = None
        self.transitions.append(
            Transition(current, target, True, event.event_id, event.type, reason)
        )
        self._emit(
            event.caused(
                WorkflowStateChanged,
                StateChangedPayload(from_state=current, to_state=target, reason=reason),
                self.producer,
            )
        )
        return True

    def _refuse(self, event: EventBase, reason: str) -> None:
        """Record an event that does not fit the current state; nothing else changes."""
        self.transitions.append(
            Transition(self.state, self.state, False, event.event_id, event.type, reason)
        )
        self._emit(
            event.caused(
                WorkflowTransitionRefused,
                TransitionRefusedPayload(
                    current_state=self.state, event_type=event.type, reason=reason
                ),
                self.producer,
            )
        )

    def _emit(self, caused: EventBase) -> None:
        self._events.append(caused)

    def _say(self, event: EventBase, agent: AgentName, message: str) -> None:
        self._progress.append(
            event.caused(
                AgentProgress, AgentProgressPayload(agent=agent, message=message), self.producer
            )
        )

    def _parameters(self) -> SeasonParameters:
        if self.parameters is None:
            raise ValueError(f"workflow {self.id} has no parameters yet")
        return self.parameters


def _depths(decision: ApprovalDecidedPayload) -> str:
    """'15%', or per category: 'DRES 20%, OUTW 0%'."""
    if not decision.decided_lines:
        return f"{decision.decided_value:g}%"
    return ", ".join(f"{c} {d:g}%" for c, d in sorted(decision.decided_lines.items()))
