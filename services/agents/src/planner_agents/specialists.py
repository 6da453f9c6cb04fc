"""What the orchestrator asks of the specialist agents, independent of how they reason.

The orchestrator gathers the facts (from events and the database), hands them to a specialist
and turns what comes back into events. `sdk_specialists.py` implements this with the OpenAI
Agents SDK (an LLM, or the deterministic model when no key is configured).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from planner_shared.events import (
    AgentName,
    AllocationCompletedPayload,
    ForecastCompletedPayload,
    ManufacturingProposal,
    MarkdownProposal,
    SellThroughComputedPayload,
    VarianceCheckedPayload,
)
from planner_shared.parameters import SeasonParameters

Progress = Callable[[AgentName, str], Awaitable[None]]


@dataclass(frozen=True)
class SeasonFacts:
    """Everything a specialist may reason over: this season's parameters and results."""

    workflow_id: UUID
    parameters: SeasonParameters
    forecast: ForecastCompletedPayload | None = None
    allocation: AllocationCompletedPayload | None = None
    sell_through: SellThroughComputedPayload | None = None
    elasticities: dict[str, float] = field(default_factory=dict)
    # Where each elasticity came from (markdown_inputs.py), and the history's demand lift.
    elasticity_sources: dict[str, str] = field(default_factory=dict)
    demand_lift_per_point: float | None = None
    variance_by_week: dict[int, float] = field(default_factory=dict)
    latest_variance: VarianceCheckedPayload | None = None


@dataclass(frozen=True)
class AgentReport:
    agent: AgentName
    task: str
    summary: str
    model: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    output: dict[str, Any] = field(default_factory=dict)


class Specialists(Protocol):
    async def review_forecast(self, facts: SeasonFacts, progress: Progress) -> AgentReport: ...

    async def propose_manufacturing(
        self, facts: SeasonFacts, progress: Progress
    ) -> tuple[AgentReport, ManufacturingProposal]: ...

    async def summarise_allocation(self, facts: SeasonFacts, progress: Progress) -> AgentReport: ...

    async def propose_markdown(
        self, facts: SeasonFacts, progress: Progress
    ) -> tuple[AgentReport, MarkdownProposal | None]: ...
