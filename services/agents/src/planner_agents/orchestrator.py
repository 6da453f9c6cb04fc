"""The orchestrator's handlers: load the season, ask it, save it, in one unit of work.

The rules live in the season (season.py), a plain object tested without a database. A
handler loads it under a row lock, hands it the event and saves what changed together with
the events it caused (outbox) and the processed mark. Progress is published at once.

No transaction stays open while an agent runs (an LLM call may take its timeout, retries
included). For the events whose decision may need an agent, the season answers
`AgentNeeded` instead of deciding: the handler rolls its transaction back, runs the agent
with none open (agent_steps.py), and asks a freshly loaded season again with the result at
hand. The decision that completes commits; one whose facts changed meanwhile asks the agent
again.
"""

from __future__ import annotations

from planner_agents.agent_steps import MAX_DECISIONS, run_step
from planner_agents.repository import SeasonRepository
from planner_agents.season import AgentNeeded, AgentResults, Caused, Season, SeasonEvent
from planner_agents.specialists import Specialists
from planner_shared.bus.delivery import Delivery
from planner_shared.bus.router import EventRouter, MessageContext
from planner_shared.events import (
    ActualsUploaded,
    AllocationCompleted,
    AllocationFailed,
    ApprovalDecided,
    CancelRequested,
    ExtractionCompleted,
    ExtractionFailed,
    ForecastCompleted,
    ForecastFailed,
    ForecastOverridden,
    ManufacturingReplanned,
    ReforecastRequested,
    SellThroughComputed,
    TransfersProposed,
    VarianceChecked,
    WorkflowRequested,
)


class Orchestrator:
    def __init__(self, specialists: Specialists) -> None:
        self._specialists = specialists

    def router(self) -> EventRouter:
        router = EventRouter()
        # Decided in the message transaction: no agent is ever needed.
        router.on(WorkflowRequested)(self.handle)
        router.on(ExtractionCompleted)(self.handle)
        router.on(ApprovalDecided)(self.handle)
        router.on(ActualsUploaded)(self.handle)
        router.on(VarianceChecked)(self.handle)
        router.on(ReforecastRequested)(self.handle)
        router.on(CancelRequested)(self.handle)
        router.on(TransfersProposed)(self.handle)
        router.on(ForecastOverridden)(self.handle)
        # May need an agent step (a review, a proposal), so decided in phases around it.
        router.phased(ExtractionFailed)(self.handle_phased)
        router.phased(ForecastCompleted)(self.handle_phased)
        router.phased(ForecastFailed)(self.handle_phased)
        router.phased(AllocationCompleted)(self.handle_phased)
        router.phased(AllocationFailed)(self.handle_phased)
        router.phased(SellThroughComputed)(self.handle_phased)
        router.phased(ManufacturingReplanned)(self.handle_phased)
        return router

    async def handle(self, event: SeasonEvent, ctx: MessageContext) -> None:
        if event.workflow_id is None:
            return  # a gateway request/reply extraction, not part of a workflow
        seasons = SeasonRepository(ctx.session, ctx.producer)
        season = await seasons.get(event.workflow_id)
        caused = season.handle(event)
        if isinstance(caused, AgentNeeded):
            raise TypeError(f"{event.type} asked for the {caused.agent} agent: register it phased")
        await _commit(ctx, seasons, season, caused)

    async def handle_phased(self, event: SeasonEvent, delivery: Delivery) -> None:
        """Decide in short transactions, running the agents a decision asks for between them."""
        if event.workflow_id is None:
            return
        agents = AgentResults()
        for _ in range(MAX_DECISIONS):
            async with delivery.transaction() as ctx:
                seasons = SeasonRepository(ctx.session, ctx.producer)
                season = await seasons.get(event.workflow_id)
                outcome = season.handle(event, agents)
                if isinstance(outcome, AgentNeeded):
                    ctx.abandon()
                else:
                    await _commit(ctx, seasons, season, outcome)
            if not isinstance(outcome, AgentNeeded):
                return
            result = await run_step(delivery, event, outcome, self._specialists)
            agents.keep(outcome.task, result)
        raise RuntimeError(
            f"{event.type} {event.event_id}: the season kept changing under its agent runs"
        )


async def _commit(
    ctx: MessageContext, seasons: SeasonRepository, season: Season, caused: Caused
) -> None:
    for said in caused.progress:
        await ctx.progress(said)
    seasons.save(season)
    ctx.emit(*caused.events)
