"""Agent runs outside the message transaction, for the orchestrator's phased handlers.

A handler's decision runs in a short transaction (`decide`). When it reaches an agent step
whose result it does not have yet, `AgentSteps.result` raises `StepNeeded`: the transaction
rolls back (nothing is locked any more), the agent runs, and the decision is made again from
the start with the result at hand. The result is used only for the facts it was computed on:
when the season changed meanwhile, the next decision asks for the agent again on the new
facts. The decision that completes commits its effects, the processed mark and the outbox in
one short transaction.

An agent run is visible while it works (`current_agent` on the API): its `agent_runs` row
is written before it starts and completed after it ends, each in a short transaction of its
own.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import delete, update

from planner_agents.context import RunContext
from planner_agents.specialists import AgentReport, Progress
from planner_shared.bus.delivery import Delivery
from planner_shared.bus.router import MessageContext
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

Call = Callable[[Progress], Awaitable[tuple[AgentReport, Any]]]
Decide = Callable[[MessageContext, "AgentSteps"], Awaitable[None]]


class Reporter(Protocol):
    producer: str

    async def progress(self, event: EventBase) -> None: ...


@dataclass(frozen=True)
class Step:
    """One agent task asked for during a decision, on the facts the decision holds."""

    agent: AgentName
    task: str
    facts: RunContext
    call: Call = field(compare=False)


@dataclass(frozen=True)
class StepResult:
    facts: RunContext
    report: AgentReport | None = None
    decision: Any = None
    error: str | None = None


class StepNeededError(Exception):
    """Raised inside a decision: this agent step must run before the decision can go on."""

    def __init__(self, step: Step) -> None:
        super().__init__(f"{step.agent} agent: {step.task}")
        self.step = step


class AgentSteps:
    """The agent results of one delivery, by task."""

    def __init__(self) -> None:
        self._results: dict[str, StepResult] = {}

    def result(self, step: Step) -> StepResult:
        found = self._results.get(step.task)
        if found is None or found.facts != step.facts:
            raise StepNeededError(step)
        return found

    def keep(self, step: Step, result: StepResult) -> None:
        self._results[step.task] = result


async def decide_with_agents(delivery: Delivery, event: EventBase, decide: Decide) -> None:
    """Decide in short transactions, running the agents a decision asks for between them."""
    steps = AgentSteps()
    for _ in range(MAX_DECISIONS):
        try:
            async with delivery.transaction() as ctx:
                await decide(ctx, steps)
            return
        except StepNeededError as needed:
            steps.keep(needed.step, await run_step(delivery, event, needed.step))
    raise RuntimeError(
        f"{event.type} {event.event_id}: the season kept changing under its agent runs"
    )


async def run_step(delivery: Delivery, event: EventBase, step: Step) -> StepResult:
    """Run one agent with no transaction open, its `agent_runs` row marking it running."""
    assert event.workflow_id is not None
    run_id = await _mark_running(delivery, event.workflow_id, event.event_id, step)
    await delivery.progress(
        event.caused(
            AgentStarted,
            AgentStartedPayload(agent=step.agent, task=step.task),
            delivery.producer,
        )
    )
    try:
        report, decision = await step.call(progress_to(delivery, event))
    except Exception as exc:
        log.exception("%s agent failed on %s", step.agent, step.task)
        async with delivery.writing() as session:
            await session.execute(delete(AgentRun).where(AgentRun.id == run_id))
        return StepResult(facts=step.facts, error=str(exc))
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
    return StepResult(facts=step.facts, report=report, decision=decision)


async def _mark_running(delivery: Delivery, workflow_id: UUID, event_id: UUID, step: Step) -> UUID:
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
