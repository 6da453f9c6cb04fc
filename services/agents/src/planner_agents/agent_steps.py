"""Agent runs outside the message transaction, for the orchestrator's phased handlers.

A season (season.py) that needs an agent step returns `AgentNeeded` instead of deciding; the
orchestrator rolls its short transaction back (nothing stays locked), runs the step here with
no transaction open, and asks the season again with the result at hand. The result is used
only for the facts it was computed on: when the season changed meanwhile, the next decision
asks for the agent again on the new facts.

An agent run is visible while it works (`current_agent` on the API): its `agent_runs` row
is written before it starts and completed after it ends, each in a short transaction of its
own.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from sqlalchemy import delete, update

from planner_agents.season import AgentNeeded, AgentResult
from planner_agents.specialists import Progress, Specialists
from planner_shared.bus.delivery import Delivery
from planner_shared.db.models import AgentRun
from planner_shared.events import (
    AgentName,
    AgentProgress,
    AgentProgressPayload,
    AgentStarted,
    AgentStartedPayload,
    EventBase,
)

log = logging.getLogger(__name__)

# Decisions made again for one delivery before it gives up (and the bus retries it): each
# one after the first follows an agent run, so this bounds the agent runs of one event.
MAX_DECISIONS = 8


class Reporter(Protocol):
    producer: str

    async def progress(self, event: EventBase) -> None: ...


async def ask(specialists: Specialists, needed: AgentNeeded, progress: Progress) -> AgentResult:
    """The specialist call for one step, its answer typed by what the step decides."""
    facts = needed.facts
    match needed.task:
        case "review_forecast" | "review_reforecast":
            return AgentResult(facts, await specialists.review_forecast(facts, progress))
        case "summarise_allocation":
            return AgentResult(facts, await specialists.summarise_allocation(facts, progress))
        case "propose_manufacturing":
            report, order = await specialists.propose_manufacturing(facts, progress)
            return AgentResult(facts, report, manufacturing=order)
        case "propose_markdown":
            report, markdown = await specialists.propose_markdown(facts, progress)
            return AgentResult(facts, report, markdown=markdown)


async def run_step(
    delivery: Delivery, event: EventBase, needed: AgentNeeded, specialists: Specialists
) -> AgentResult:
    """Run one agent with no transaction open, its `agent_runs` row marking it running."""
    assert event.workflow_id is not None
    run_id = await _mark_running(delivery, event.workflow_id, event.event_id, needed)
    await delivery.progress(
        event.caused(
            AgentStarted,
            AgentStartedPayload(agent=needed.agent, task=needed.task),
            delivery.producer,
        )
    )
    try:
        result = await ask(specialists, needed, progress_to(delivery, event))
    except Exception as exc:
        log.exception("%s agent failed on %s", needed.agent, needed.task)
        async with delivery.writing() as session:
            await session.execute(delete(AgentRun).where(AgentRun.id == run_id))
        return AgentResult(facts=needed.facts, error=str(exc))
    report = result.report
    assert report is not None
    async with delivery.writing() as session:
        await session.execute(
            update(AgentRun)
            .where(AgentRun.id == run_id)
            .values(
                model=report.model,
                summary=report.summary,
                reasoning={"tool_calls": report.tool_calls, "output": report.output},
                completed_at=datetime.now(UTC),
            )
        )
    return result


async def _mark_running(
    delivery: Delivery, workflow_id: UUID, event_id: UUID, step: AgentNeeded
) -> UUID:
    async with delivery.writing() as session:
        # A delivery that died during this run left its row running: this one replaces it.
        await session.execute(
            delete(AgentRun).where(
                AgentRun.workflow_id == workflow_id,
                AgentRun.task == step.task,
                AgentRun.completed_at.is_(None),
                AgentRun.reasoning["event_id"].as_string() == str(event_id),
            )
        )
        run = AgentRun(
            workflow_id=workflow_id,
            agent=step.agent,
            task=step.task,
            model="",
            reasoning={"event_id": str(event_id)},
            started_at=datetime.now(UTC),
        )
        session.add(run)
        await session.flush()
        return run.id


def progress_to(reporter: Reporter, event: EventBase) -> Progress:
    async def report(agent: AgentName, message: str) -> None:
        await say(reporter, event, agent, message)

    return report


async def say(reporter: Reporter, event: EventBase, agent: AgentName, message: str) -> None:
    await reporter.progress(
        event.caused(
            AgentProgress, AgentProgressPayload(agent=agent, message=message), reporter.producer
        )
    )
