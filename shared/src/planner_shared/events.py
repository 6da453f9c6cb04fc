"""The event catalogue: every message on the bus, in one versioned envelope.

Events are past tense (`forecast.completed`): facts, for whoever listens. Commands
(`Command` subclasses, e.g. `forecast.requested`) ask one service to act: each names the one
service that handles it and the one that sends it, the owner of the decision (tested in
tests/test_commands.py). Each concrete event fixes its `type` literal and its payload model,
and names the domain stream it travels on. `parse_event` reads any of them through one
discriminated union.
Change payloads additively; a breaking change is a new `version` (and a new class).
"""

from __future__ import annotations

import builtins
import math
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, model_validator
from typing_extensions import TypeVar

from planner_shared.parameters import ParameterExtraction, SeasonParameters

# ApprovalKind lives beside the workflow's states (its gates); the events carry it.
from planner_shared.workflow import ApprovalKind as ApprovalKind
from planner_shared.workflow import WorkflowState


class Domain(StrEnum):
    """One stream per domain; the stream's name is `<prefix>.<domain>`."""

    WORKFLOW = "workflow"
    EXTRACTION = "extraction"
    FORECAST = "forecast"
    AGENTS = "agents"
    APPROVALS = "approvals"
    ACTUALS = "actuals"


E = TypeVar("E", bound="EventBase")


def utc_now() -> datetime:
    return datetime.now(UTC)


class Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def text_problem(text: str) -> str | None:
    """Why a string cannot be stored as text or jsonb, or None when it can."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (not valid Unicode)"
    return None


def unstorable_at(value: Any, path: str = "") -> tuple[str, str] | None:
    """(dotted path, reason) of the first value inside `value` that JSON and PostgreSQL cannot
    hold: NaN, an infinity, a NUL character, a lone surrogate. None when there is none.

    PostgreSQL's jsonb refuses all of them, so one inside an event would stall every consumer
    that stores it; every event is checked as it is built or parsed.
    """
    here = path or "value"
    if isinstance(value, float):
        return None if math.isfinite(value) else (here, "is not a finite number")
    if isinstance(value, str):
        problem = text_problem(value)
        return None if problem is None else (here, problem)
    items: Any
    if isinstance(value, BaseModel):
        items = value.__dict__.items()
    elif isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple | set | frozenset):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and (problem := text_problem(key)) is not None:
            return (f"{path}.{key!r}" if path else repr(key), f"key {problem}")
        found = unstorable_at(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


class EventBase(BaseModel):
    """The envelope every event shares."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    domain: ClassVar[Domain]

    event_id: UUID = Field(default_factory=uuid4)
    type: str
    version: int = 1
    workflow_id: UUID | None = None
    occurred_at: AwareDatetime = Field(default_factory=utc_now)
    causation_id: UUID | None = Field(default=None, description="The event that caused this one.")
    correlation_id: UUID | None = Field(
        default=None, description="The first event of the chain (a request, a workflow)."
    )
    producer: str
    payload: Payload

    @classmethod
    def type_name(cls) -> str:
        """The `type` literal of a concrete event class."""
        name: str = cls.model_fields["type"].default
        return name

    def caused(self, event_cls: builtins.type[E], payload: Any, producer: str) -> E:
        """Build the next event in this chain: same workflow, causation = this event."""
        # Every concrete event gives `type` its literal default; only the base lacks one.
        return event_cls(  # type: ignore[call-arg]
            workflow_id=self.workflow_id,
            causation_id=self.event_id,
            correlation_id=self.correlation_id or self.event_id,
            producer=producer,
            payload=payload,
        )

    @model_validator(mode="after")
    def _storable_values(self) -> EventBase:
        found = unstorable_at(self.payload, "payload")
        if found is not None:
            where, problem = found
            raise ValueError(f"{where} {problem}: events carry only what JSON and jsonb can hold")
        return self


class Command(EventBase):
    """A request to act: exactly one service handles it (`handled_by`), and only the owner
    of the decision sends it (`sent_by`, one service but where a docstring says why)."""

    handled_by: ClassVar[str]
    sent_by: ClassVar[frozenset[str]]


# ---------------------------------------------------------------- workflow
class WorkflowRequestedPayload(Payload):
    brief: str | None = None
    parameters: SeasonParameters | None = None
    category_codes: list[str] | None = Field(
        default=None, description="Categories to plan; all known categories when omitted."
    )
    requested_by: str


class WorkflowRequested(Command):
    handled_by = "agents"
    sent_by = frozenset({"gateway"})
    domain = Domain.WORKFLOW
    type: Literal["workflow.requested"] = "workflow.requested"
    payload: WorkflowRequestedPayload


class ReforecastRequestedPayload(Payload):
    reason: str
    requested_by: str


class ReforecastRequested(Command):
    handled_by = "agents"
    sent_by = frozenset({"gateway"})
    domain = Domain.WORKFLOW
    type: Literal["workflow.reforecast_requested"] = "workflow.reforecast_requested"
    payload: ReforecastRequestedPayload


class CancelRequestedPayload(Payload):
    reason: str | None = None
    requested_by: str


class CancelRequested(Command):
    handled_by = "agents"
    sent_by = frozenset({"gateway"})
    domain = Domain.WORKFLOW
    type: Literal["workflow.cancel_requested"] = "workflow.cancel_requested"
    payload: CancelRequestedPayload


class StateChangedPayload(Payload):
    from_state: WorkflowState
    to_state: WorkflowState
    reason: str


class WorkflowStateChanged(EventBase):
    domain = Domain.WORKFLOW
    type: Literal["workflow.state_changed"] = "workflow.state_changed"
    payload: StateChangedPayload


class TransitionRefusedPayload(Payload):
    current_state: WorkflowState
    event_type: str
    reason: str


class WorkflowTransitionRefused(EventBase):
    domain = Domain.WORKFLOW
    type: Literal["workflow.transition_refused"] = "workflow.transition_refused"
    payload: TransitionRefusedPayload


class WorkflowCompletedPayload(Payload):
    summary: str
    season_total_forecast: float | None = None
    manufacturing_quantity: int | None = None
    markdown_percentage: float | None = None


class WorkflowCompleted(EventBase):
    domain = Domain.WORKFLOW
    type: Literal["workflow.completed"] = "workflow.completed"
    payload: WorkflowCompletedPayload


class WorkflowFailedPayload(Payload):
    reason: str
    failed_in_state: WorkflowState


class WorkflowFailed(EventBase):
    domain = Domain.WORKFLOW
    type: Literal["workflow.failed"] = "workflow.failed"
    payload: WorkflowFailedPayload


class WorkflowCancelledPayload(Payload):
    reason: str | None
    cancelled_by: str


class WorkflowCancelled(EventBase):
    domain = Domain.WORKFLOW
    type: Literal["workflow.cancelled"] = "workflow.cancelled"
    payload: WorkflowCancelledPayload


# ---------------------------------------------------------------- extraction
class ExtractionRequestedPayload(Payload):
    brief: str = Field(min_length=1, max_length=20_000)
    reference_date: Annotated[
        str | None, Field(description="ISO date the brief is read against (today if omitted).")
    ] = None


class ExtractionRequested(Command):
    """Read a brief. The orchestrator sends it for a workflow's brief; the gateway sends it
    without a workflow for `POST /api/parameters/extract`, a request/reply the planner waits
    on, whose answer no one else acts on."""

    handled_by = "extraction"
    sent_by = frozenset({"agents", "gateway"})
    domain = Domain.EXTRACTION
    type: Literal["extraction.requested"] = "extraction.requested"
    payload: ExtractionRequestedPayload


class ExtractionCompletedPayload(Payload):
    extraction: ParameterExtraction


class ExtractionCompleted(EventBase):
    domain = Domain.EXTRACTION
    type: Literal["extraction.completed"] = "extraction.completed"
    payload: ExtractionCompletedPayload


class FailedPayload(Payload):
    reason: str
    retryable: bool = False


class ExtractionFailed(EventBase):
    domain = Domain.EXTRACTION
    type: Literal["extraction.failed"] = "extraction.failed"
    payload: FailedPayload


# ---------------------------------------------------------------- forecast
ForecastReason = Literal["initial", "variance", "manual"]


class ForecastRequestedPayload(Payload):
    parameters: SeasonParameters
    run_number: int = Field(ge=1, description="1 for the initial forecast, 2+ re-forecasts.")
    reason: ForecastReason
    category_codes: list[str] | None = None
    actuals_through_week: int = Field(
        default=0, ge=0, description="Weeks of in-season actuals the re-forecast uses."
    )
    started_by_week: int | None = Field(
        default=None,
        ge=1,
        description="The week whose variance check (or correction) started this re-forecast; "
        "the orchestrator records it, none for the initial and manual runs.",
    )


class ForecastRequested(Command):
    handled_by = "forecast"
    sent_by = frozenset({"agents"})
    domain = Domain.FORECAST
    type: Literal["forecast.requested"] = "forecast.requested"
    payload: ForecastRequestedPayload


class CategoryForecastSummary(Payload):
    category_code: str
    season_total: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float
    method: str = Field(description="'ensemble' or the fallback used.")
    weights: dict[str, float] = Field(default_factory=dict)
    backtest_wape: dict[str, float] = Field(default_factory=dict)
    fallback_reason: str | None = None


class ManufacturingLine(Payload):
    category_code: str
    forecast_units: float
    safety_stock_pct: float = Field(description="Safety stock as a percentage (10.0 = 10%).")
    stock_on_hand: int
    quantity: int
    # The newsvendor's figures (planner_shared.buy); None on lines planned before them.
    min_quantity: int | None = Field(default=None, ge=0, description="The line's lower bound.")
    max_quantity: int | None = Field(default=None, ge=0, description="The line's upper bound.")
    critical_ratio: float | None = Field(
        default=None, description="(price - cost) / (price - salvage) of the category."
    )
    service_level: float | None = Field(
        default=None, description="P(season demand <= order + stock on hand), a fraction."
    )
    expected_margin: float | None = Field(
        default=None, description="Expected season margin of the order plus stock on hand."
    )
    rule_quantity: int | None = Field(
        default=None, description="The order the forecast-plus-safety-stock rule would give."
    )
    rule_expected_margin: float | None = None
    demand_sigma: float | None = Field(
        default=None,
        description="Sigma of the season demand (normal, mean forecast_units): the service "
        "level of any other quantity is P(demand <= quantity + stock on hand).",
    )


class ManufacturingRecommendation(Payload):
    total_quantity: int
    lines: list[ManufacturingLine]


class ForecastCompletedPayload(Payload):
    run_number: int
    reason: ForecastReason
    season_total: float
    previous_season_total: float | None = None
    categories: list[CategoryForecastSummary]
    cluster_count: int
    manufacturing: ManufacturingRecommendation | None = None


class ForecastCompleted(EventBase):
    domain = Domain.FORECAST
    type: Literal["forecast.completed"] = "forecast.completed"
    payload: ForecastCompletedPayload


class ForecastOverriddenPayload(Payload):
    override_id: UUID
    action: Literal["made", "withdrawn"]
    by: str
    reason: str = Field(description="Why the override was made (or withdrawn).")
    summary: str = Field(description="What it does, in a planner's words: 'KNIT +10 % weeks 2-3'.")


class ForecastOverridden(EventBase):
    """A planner made or withdrew a forecast override (the gateway's `forecast_overrides`):
    the final forecast changed. The orchestrator decides what it changes of the season (while
    the order awaits its decision: a new proposal, docs/overrides.md)."""

    domain = Domain.FORECAST
    type: Literal["forecast.overridden"] = "forecast.overridden"
    payload: ForecastOverriddenPayload


class ManufacturingReplanRequestedPayload(Payload):
    parameters: SeasonParameters
    categories: list[CategoryForecastSummary] = Field(
        description="Run 1's category summaries, the order's forecast (statistical)."
    )
    reason: str = Field(description="Why: 'forecast override by pat: cold spring'.")


class ManufacturingReplanRequested(Command):
    """Size the order again on the final forecast as it now stands (run 1 with the active
    overrides), replacing the forecast service's `manufacturing_orders` proposal."""

    handled_by = "forecast"
    sent_by = frozenset({"agents"})
    domain = Domain.FORECAST
    type: Literal["manufacturing.replan_requested"] = "manufacturing.replan_requested"
    payload: ManufacturingReplanRequestedPayload


class ManufacturingReplannedPayload(Payload):
    reason: str
    manufacturing: ManufacturingRecommendation | None = Field(
        default=None, description="The order sized again; None when it could not be."
    )
    problem: str | None = Field(default=None, description="Why it could not be sized again.")


class ManufacturingReplanned(EventBase):
    domain = Domain.FORECAST
    type: Literal["manufacturing.replanned"] = "manufacturing.replanned"
    payload: ManufacturingReplannedPayload


class ForecastFailedPayload(FailedPayload):
    # None on events stored before the run was named: they are taken as the current run.
    run_number: int | None = None


class ForecastFailed(EventBase):
    domain = Domain.FORECAST
    type: Literal["forecast.failed"] = "forecast.failed"
    payload: ForecastFailedPayload


class AllocationRequestedPayload(Payload):
    parameters: SeasonParameters
    approved_quantity: int = Field(ge=0)
    lines: dict[str, int] | None = Field(
        default=None,
        description="The decided units per category (they add up to approved_quantity); "
        "None: the total is split by the plan's shares.",
    )


class AllocationRequested(Command):
    handled_by = "forecast"
    sent_by = frozenset({"agents"})
    domain = Domain.FORECAST
    type: Literal["allocation.requested"] = "allocation.requested"
    payload: AllocationRequestedPayload


class AllocationCompletedPayload(Payload):
    total_units: int
    dc_holdback_units: int
    store_units: int
    store_count: int
    by_category: dict[str, int]


class AllocationCompleted(EventBase):
    domain = Domain.FORECAST
    type: Literal["allocation.completed"] = "allocation.completed"
    payload: AllocationCompletedPayload


class AllocationFailed(EventBase):
    domain = Domain.FORECAST
    type: Literal["allocation.failed"] = "allocation.failed"
    payload: FailedPayload


class CategoryVarianceResult(Payload):
    """One category's weeks so far against the plan."""

    category_code: str
    forecast_units: float
    actual_units: float
    variance: float = Field(description="|actual - forecast| / forecast; inf on a zero plan.")
    exceeded: bool = Field(description="The variance is above the threshold.")

    @property
    def direction(self) -> Literal["above", "below", "on"]:
        """Which side of the forecast the actuals fell on."""
        if self.actual_units > self.forecast_units:
            return "above"
        return "below" if self.actual_units < self.forecast_units else "on"


class VarianceCheckedPayload(Payload):
    week_number: int
    total_variance: float = Field(description="|actual - forecast| / forecast, all categories.")
    by_category: dict[str, float] = Field(description="Category code -> variance (absolute).")
    threshold: float
    exceeded: bool = Field(description="The rule fired: the total or a category is above.")
    # Added later: events stored before them parse with the defaults.
    forecast_units: float | None = None
    actual_units: float | None = None
    total_exceeded: bool | None = None
    categories: list[CategoryVarianceResult] = []


class VarianceChecked(EventBase):
    domain = Domain.FORECAST
    type: Literal["variance.checked"] = "variance.checked"
    payload: VarianceCheckedPayload


class SellThroughComputedPayload(Payload):
    week_number: int
    sell_through: float
    by_category: dict[str, float]
    target: float
    below_target: bool


class SellThroughComputed(EventBase):
    domain = Domain.FORECAST
    type: Literal["sell_through.computed"] = "sell_through.computed"
    payload: SellThroughComputedPayload


# ---------------------------------------------------------------- actuals
class ActualsUploadedPayload(Payload):
    upload_id: UUID
    week_number: int = Field(ge=1, le=52)
    row_count: int
    replaced_previous: bool
    uploaded_by: str
    same_as_previous: bool = Field(
        default=False,
        description="The upload replaced the week with the very same figures: nothing to redo.",
    )


class ActualsUploaded(EventBase):
    domain = Domain.ACTUALS
    type: Literal["actuals.uploaded"] = "actuals.uploaded"
    payload: ActualsUploadedPayload


ReplayStatus = Literal["running", "waiting", "paused", "finished", "failed"]


class ReplayProgressedPayload(Payload):
    """A past season's replay moved on: a week fed from the history, a decision taken
    automatically, a wait for the approver, the end (planner_gateway.replay)."""

    status: ReplayStatus
    weeks_done: int = Field(ge=0, le=52)
    weeks_target: int = Field(ge=0, le=52)
    horizon_weeks: int = Field(ge=1, le=52)
    decisions: Literal["automatic", "approver"]
    message: str


class ReplayProgressed(EventBase):
    domain = Domain.ACTUALS
    type: Literal["replay.progressed"] = "replay.progressed"
    payload: ReplayProgressedPayload


# ---------------------------------------------------------------- agents
AgentName = Literal["orchestrator", "demand", "inventory", "pricing", "extraction", "forecast"]


class AgentStartedPayload(Payload):
    agent: AgentName
    task: str


class AgentStarted(EventBase):
    domain = Domain.AGENTS
    type: Literal["agent.started"] = "agent.started"
    payload: AgentStartedPayload


class AgentProgressPayload(Payload):
    agent: AgentName
    message: str
    progress: float | None = Field(default=None, ge=0, le=1)


class AgentProgress(EventBase):
    domain = Domain.AGENTS
    type: Literal["agent.progress"] = "agent.progress"
    payload: AgentProgressPayload


class AgentCompletedPayload(Payload):
    agent: AgentName
    summary: str
    output: dict[str, Any] = Field(default_factory=dict)


class AgentCompleted(EventBase):
    domain = Domain.AGENTS
    type: Literal["agent.completed"] = "agent.completed"
    payload: AgentCompletedPayload


class AgentFailedPayload(Payload):
    agent: AgentName
    reason: str


class AgentFailed(EventBase):
    domain = Domain.AGENTS
    type: Literal["agent.failed"] = "agent.failed"
    payload: AgentFailedPayload


# ---------------------------------------------------------------- approvals
class ManufacturingProposal(Payload):
    kind: Literal["manufacturing"] = "manufacturing"
    quantity: int = Field(ge=0)
    min_quantity: int = Field(ge=0)
    max_quantity: int = Field(ge=0)
    lines: list[ManufacturingLine]
    rationale: str


class MarkdownCandidate(Payload):
    """One depth projected on the stock ledger to the season's end (docs/markdown.md)."""

    percentage: float = Field(ge=0, le=100)
    units_sold: float
    sell_through: float | None
    leftover_units: float
    revenue: float
    season_margin: float | None


class MarkdownLine(Payload):
    """One category's markdown: the depth with the highest expected season margin, beside
    the seed rule's depth, with every candidate depth's projection."""

    category_code: str
    percentage: float = Field(ge=0, le=100, description="Recommended: the best for margin.")
    rule_percentage: float = Field(
        ge=0, le=100, description="The seed rule's depth (gap x points per gap point)."
    )
    max_percentage: float = Field(ge=0, le=100)
    sell_through: float | None
    target: float
    markdown_points_per_gap_point: float | None = Field(
        default=None, description="The seed rule's parameter (not a price elasticity)."
    )
    demand_elasticity: float | None = Field(
        default=None, description="The demand's price elasticity: % demand per % price."
    )
    demand_elasticity_lower: float | None = None
    demand_elasticity_upper: float | None = None
    demand_elasticity_source: str | None = Field(
        default=None, description="'history', 'catalogue', 'pooled estimate' or 'none'."
    )
    candidates: list[MarkdownCandidate] = Field(default_factory=list)


class MarkdownProposal(Payload):
    kind: Literal["markdown"] = "markdown"
    # The one depth for every category (the single-depth decision, and /api/v1's rule).
    percentage: float = Field(ge=0, le=100)
    max_percentage: float = Field(ge=0, le=100)
    week_number: int
    sell_through: float
    target: float
    # The seed rule's parameter, markdown points per point of sell-through gap, weighted over
    # the categories: not the demand's price elasticity (that is on each line).
    elasticity: float
    rationale: str
    # Where the rule's parameter came from: "uploaded elasticity", "markdown history",
    # "catalogue" (for the categories on sale, joined), and the history's demand lift per
    # markdown point.
    elasticity_source: str | None = None
    demand_lift_per_point: float | None = None
    # Per category: its own depth for margin (empty on proposals made before lines).
    lines: list[MarkdownLine] = Field(default_factory=list)


class TransferEdit(Payload):
    """A move as a planner states it: units of a category from a store or the DC to a store."""

    category: str = Field(min_length=1, max_length=32)
    from_location: str = Field(min_length=1, max_length=32, description="A store code or 'DC'.")
    to_store: str = Field(min_length=1, max_length=32)
    units: int = Field(ge=1)


class TransferMoveLine(TransferEdit):
    """A proposed (or approved) move: arrives in `arrival_week` (now + the receiver's
    transit); `margin_saved` is the margin its saved sales earn less its transfer cost."""

    ship_week: int = Field(ge=1)
    arrival_week: int = Field(ge=1)
    margin_saved: float
    why: str


class TransferDonor(Payload):
    """What a location may give of a category by the rules (30 % of a store's stock, the DC
    above 20 % of its holdback)."""

    category: str
    location: str
    max_units: int = Field(ge=0)
    stock: float


class TransferReceiver(Payload):
    """A store projected to lose sales of a category from `arrival_week` on."""

    category: str
    store: str
    arrival_week: int
    projected_lost: float


class TransferProposal(Payload):
    kind: Literal["transfers"] = "transfers"
    week_number: int = Field(ge=1, description="The week after whose upload it was made.")
    strategy: Literal["none", "dc_only", "hybrid"]
    moves: list[TransferMoveLine]
    donors: list[TransferDonor]
    receivers: list[TransferReceiver]
    units: int = Field(ge=0)
    min_units: int = Field(ge=1, description="The smallest move allowed.")
    max_units: int = Field(ge=1, description="The largest move allowed.")
    transfer_cost_per_unit: float = Field(ge=0)
    lost_sales_before: float = Field(description="Projected lost sales without the moves.")
    lost_sales_after: float = Field(description="Projected lost sales with them.")
    margin_saved: float = Field(description="Margin saved less the transfer cost.")
    rationale: str


Proposal = Annotated[
    ManufacturingProposal | MarkdownProposal | TransferProposal, Field(discriminator="kind")
]


class TransfersProposedPayload(Payload):
    proposal: TransferProposal


class TransfersProposed(EventBase):
    """A week's transfer proposal, stored by the forecast service; the orchestrator has it
    explained and asks for the planner's approval (the season's state does not change)."""

    domain = Domain.FORECAST
    type: Literal["transfers.proposed"] = "transfers.proposed"
    payload: TransfersProposedPayload


class ApprovalRequestedPayload(Payload):
    proposal: Proposal
    supersedes_reason: str | None = Field(
        default=None,
        description="A new proposal of a kind already pending: the pending one is superseded "
        "with this reason ('forecast override by pat: cold spring').",
    )


class ApprovalRequested(Command):
    handled_by = "approvals"
    sent_by = frozenset({"agents"})
    domain = Domain.APPROVALS
    type: Literal["approval.requested"] = "approval.requested"
    payload: ApprovalRequestedPayload


class ApprovalPendingPayload(Payload):
    approval_id: UUID
    proposal: Proposal


class ApprovalPending(EventBase):
    domain = Domain.APPROVALS
    type: Literal["approval.pending"] = "approval.pending"
    payload: ApprovalPendingPayload


class ApprovalSupersededPayload(Payload):
    approval_id: UUID = Field(description="The approval superseded: it can no longer be decided.")
    kind: ApprovalKind
    superseded_by: UUID = Field(description="The approval of the new proposal, pending.")
    reason: str
    proposed_value: float
    new_proposed_value: float


class ApprovalSuperseded(EventBase):
    domain = Domain.APPROVALS
    type: Literal["approval.superseded"] = "approval.superseded"
    payload: ApprovalSupersededPayload


class DecisionAction(StrEnum):
    ACCEPT = "accept"
    MODIFY = "modify"
    REJECT = "reject"  # transfers only: the season goes on without the moves


class DecisionSubmittedPayload(Payload):
    kind: ApprovalKind
    action: DecisionAction
    value: float | None = Field(default=None, description="The modified quantity or percentage.")
    lines: dict[str, float] | None = Field(
        default=None,
        description="Per category (code -> quantity or percentage) when the decision modifies "
        "lines; the total follows the lines.",
    )
    moves: list[TransferEdit] | None = Field(
        default=None,
        description="Transfers: the moves decided when the decision edits the proposal.",
    )
    week_number: int | None = Field(
        default=None, description="Transfers: the week of the proposal decided."
    )
    approval_id: UUID | None = Field(
        default=None,
        description="The approval decided, as the approver saw it; one superseded since is "
        "refused (409). None: the one pending.",
    )
    reason: str | None = None
    decided_by: str


class DecisionSubmitted(Command):
    handled_by = "approvals"
    sent_by = frozenset({"gateway"})
    domain = Domain.APPROVALS
    type: Literal["approval.decision_submitted"] = "approval.decision_submitted"
    payload: DecisionSubmittedPayload


class ApprovalDecidedPayload(Payload):
    approval_id: UUID
    kind: ApprovalKind
    action: DecisionAction
    proposed_value: float
    decided_value: float
    reason: str | None
    decided_by: str
    decided_at: AwareDatetime
    # Per category (code -> quantity or percentage): what was proposed and what was decided.
    # Empty for a decision on one number, which is split by the proposal's shares.
    proposed_lines: dict[str, float] = Field(default_factory=dict)
    decided_lines: dict[str, float] = Field(default_factory=dict)
    # Transfers: the proposal's week and the moves decided (none when rejected).
    week_number: int | None = None
    moves: list[TransferEdit] = Field(default_factory=list)


class ApprovalDecided(EventBase):
    domain = Domain.APPROVALS
    type: Literal["approval.decided"] = "approval.decided"
    payload: ApprovalDecidedPayload


class DecisionRefusedPayload(Payload):
    kind: ApprovalKind
    reason: str
    status_code: int = Field(description="The HTTP status the gateway answers with.")
    code: str | None = Field(
        default=None, description="The error code, where the status alone does not say it."
    )


class DecisionRefused(EventBase):
    domain = Domain.APPROVALS
    type: Literal["approval.decision_refused"] = "approval.decision_refused"
    payload: DecisionRefusedPayload


Event = Annotated[
    WorkflowRequested
    | ReforecastRequested
    | CancelRequested
    | WorkflowStateChanged
    | WorkflowTransitionRefused
    | WorkflowCompleted
    | WorkflowFailed
    | WorkflowCancelled
    | ExtractionRequested
    | ExtractionCompleted
    | ExtractionFailed
    | ForecastRequested
    | ForecastCompleted
    | ForecastFailed
    | ForecastOverridden
    | ManufacturingReplanRequested
    | ManufacturingReplanned
    | AllocationRequested
    | AllocationCompleted
    | AllocationFailed
    | VarianceChecked
    | SellThroughComputed
    | TransfersProposed
    | ActualsUploaded
    | ReplayProgressed
    | AgentStarted
    | AgentProgress
    | AgentCompleted
    | AgentFailed
    | ApprovalRequested
    | ApprovalPending
    | ApprovalSuperseded
    | DecisionSubmitted
    | ApprovalDecided
    | DecisionRefused,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
EVENT_CLASSES: tuple[type[EventBase], ...] = tuple(
    cls for cls in (*EventBase.__subclasses__(), *Command.__subclasses__()) if cls is not Command
)
EVENT_TYPES: dict[str, type[EventBase]] = {
    cls.model_fields["type"].default: cls for cls in EVENT_CLASSES
}
COMMANDS: tuple[type[Command], ...] = tuple(Command.__subclasses__())


def parse_event(data: bytes | str) -> EventBase:
    """Parse any event from its JSON form; raises pydantic.ValidationError when invalid."""
    event: EventBase = EVENT_ADAPTER.validate_json(data)
    return event


def event_from_dict(data: dict[str, Any]) -> EventBase:
    event: EventBase = EVENT_ADAPTER.validate_python(data)
    return event
