"""The `Specialists` the orchestrator asks, implemented with the Agents SDK (`runner.py`)."""

from __future__ import annotations

from typing import Any

from agents import ModelProvider

from planner_agents.context import AgentPolicy, RunContext
from planner_agents.runner import AgentOutcome, AgentRunError, run_agent
from planner_agents.specialists import AgentReport, Progress, SeasonFacts
from planner_agents.team import AgentTask
from planner_shared.events import ManufacturingProposal, MarkdownProposal
from planner_shared.settings import OpenAISettings


def run_context(facts: SeasonFacts, policy: AgentPolicy) -> RunContext:
    return RunContext(
        workflow_id=facts.workflow_id,
        parameters=facts.parameters,
        forecast=facts.forecast,
        allocation=facts.allocation,
        sell_through=facts.sell_through,
        elasticities=dict(facts.elasticities),
        elasticity_sources=dict(facts.elasticity_sources),
        demand_lift_per_point=facts.demand_lift_per_point,
        variance_by_week=dict(facts.variance_by_week),
        latest_variance=facts.latest_variance,
        policy=policy,
    )


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

    async def _run(self, task: AgentTask, facts: SeasonFacts, progress: Progress) -> AgentOutcome:
        return await run_agent(
            task,
            run_context(facts, self._policy),
            self._settings,
            on_progress=progress,
            provider=self._provider,
        )

    async def review_forecast(self, facts: SeasonFacts, progress: Progress) -> AgentReport:
        return report(await self._run("review_forecast", facts, progress))

    async def propose_manufacturing(
        self, facts: SeasonFacts, progress: Progress
    ) -> tuple[AgentReport, ManufacturingProposal]:
        outcome = await self._run("propose_manufacturing", facts, progress)
        proposal = outcome.decisions.manufacturing
        if proposal is None:  # run_agent refuses such an outcome; this keeps the type honest
            raise AgentRunError("the inventory agent made no manufacturing proposal")
        return report(outcome), proposal

    async def summarise_allocation(self, facts: SeasonFacts, progress: Progress) -> AgentReport:
        return report(await self._run("summarise_allocation", facts, progress))

    async def propose_markdown(
        self, facts: SeasonFacts, progress: Progress
    ) -> tuple[AgentReport, MarkdownProposal | None]:
        outcome = await self._run("propose_markdown", facts, progress)
        return report(outcome), outcome.decisions.markdown
