"""What the orchestrator asks of the specialist agents, independent of how they reason.

The orchestrator gathers the facts (from its memory and the database) into a `RunContext`,
hands them to a specialist and turns what comes back into events. `sdk_specialists.py`
implements this with the OpenAI Agents SDK (an LLM, or the deterministic model when no key
is configured).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from planner_agents.context import RunContext
from planner_shared.events import AgentName, ManufacturingProposal, MarkdownProposal

Progress = Callable[[AgentName, str], Awaitable[None]]


@dataclass(frozen=True)
class AgentReport:
    agent: AgentName
    task: str
    summary: str
    model: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    output: dict[str, Any] = field(default_factory=dict)


class Specialists(Protocol):
    async def review_forecast(self, facts: RunContext, progress: Progress) -> AgentReport: ...

    async def propose_manufacturing(
        self, facts: RunContext, progress: Progress
    ) -> tuple[AgentReport, ManufacturingProposal]: ...

    async def summarise_allocation(self, facts: RunContext, progress: Progress) -> AgentReport: ...

    async def propose_markdown(
        self, facts: RunContext, progress: Progress
    ) -> tuple[AgentReport, MarkdownProposal | None]: ...
