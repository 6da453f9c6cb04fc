"""The `Specialists` the orchestrator asks, implemented with the Agents SDK (`runner.py`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from agents import ModelProvider

from planner_agents.context import AgentPolicy, Decisions, RunContext
from planner_agents.runner import AgentOutcome, AgentRunError, run_agent
from planner_agents.specialists import AgentReport, Progress
from planner_agents.team import AgentTask
from planner_shared.events import ManufacturingProposal, MarkdownProposal
from planner_shared.settings import OpenAISettings


def run_context(facts: RunContext, policy: AgentPolicy) -> RunContext:
    """The facts under this service's policy, with decisions of this run's own."""
    return replace(facts, policy=policy, decisions=Decisions())


def report(outcome: AgentOutcome) -> AgentReport:
    decisions = outcome.decisions
    output: dict[str, Any] = {"handoffs": [list(pair) for pair in outcome.handoffs]}
    if decisions.risks is not None:
        output["risks"] = [risk.model_dump(mode="json") for risk in decisions.risks]
    if decisions.manufacturing is not None:
        output["proposal"] = decisions.manufacturing.model_dump(mode="json")
    if decisions.markdown_assessed:
        output["proposal"] = (
            decisions.markdown.model_dump(mode="json") if decisions.markdown else None
        )
    return AgentReport(
        agent=outcome.agent,
        task=outcome.task,
        summary=outcome.summary,
        model=outcome.model,
        tool_calls=[call.as_dict() for call in outcome.tool_calls],
        output=output,
    )


class SdkSpecialists:
    """Each specialist step is one `run_agent` call on a fresh context built from the facts."""

    def __init__(
        self,
        settings: OpenAISettings,
        policy: AgentPolicy | None = None,
        provider: ModelProvider | None = None,
    ) -> None:
        self._settings = settings
        self._policy = policy or AgentPolicy()
        self._provider = provider

    async def _run(self, task: AgentTask, facts: RunContext, progress: Progress) -> AgentOutcome:
        return await run_agent(
            task,
            run_context(facts, self._policy),
            self._settings,
            on_progress=progress,
            provider=self._provider,
        )

    async def review_forecast(self, facts: RunContext, progress: Progress) -> AgentReport:
        return report(await self._run("review_forecast", facts, progress))

    async def propose_manufacturing(
        self, facts: RunContext, progress: Progress
    ) -> tuple[AgentReport, ManufacturingProposal]:
        outcome = await self._run("propose_manufacturing", facts, progress)
        proposal = outcome.decisions.manufacturing
        if proposal is None:  # run_agent refuses such an outcome; this keeps the type honest
            raise AgentRunError("the inventory agent made no manufacturing proposal")
        return report(outcome), proposal

    async def summarise_allocation(self, facts: RunContext, progress: Progress) -> AgentReport:
        return report(await self._run("summarise_allocation", facts, progress))

    async def propose_markdown(
        self, facts: RunContext, progress: Progress
    ) -> tuple[AgentReport, MarkdownProposal | None]:
        outcome = await self._run("propose_markdown", facts, progress)
        return report(outcome), outcome.decisions.markdown
