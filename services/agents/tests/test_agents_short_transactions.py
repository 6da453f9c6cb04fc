"""No transaction stays open, and the workflow row stays unlocked, while an agent runs; the
agent is visible as running meanwhile (`current_agent`); what the run was decided on is
checked again when its result commits. On real PostgreSQL."""

from __future__ import annotations

import asyncio
from uuid import UUID, uuid4

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_agents.context import RunContext
from planner_agents.orchestrator import Orchestrator
from planner_agents.specialists import AgentReport, Progress
from planner_shared.db.engine import transaction
from planner_shared.db.models import AgentRun, Workflow
from planner_shared.events import (
    AgentCompleted,
    ApprovalRequested,
    CancelRequested,
    CancelRequestedPayload,
    EventBase,
    ManufacturingProposal,
    MarkdownProposal,
    WorkflowCancelled,
    WorkflowTransitionRefused,
)
from planner_shared.settings import PlannerSettings
from planner_tools.testing.checks import assert_workflow_row_free, forecast_completed
from planner_tools.testing.delivery import deliver

from .test_agents_state_machine import PARAMETERS

Sessions = async_sessionmaker[AsyncSession]


class GatedSpecialists:
    """The demand review waits for `release`, as an LLM call would take its time."""

    def __init__(self) -> None:
        self.reviewing = asyncio.Event()
        self.release = asyncio.Event()
        self.calls: list[str] = []

    async def review_forecast(self, facts: RunContext, progress: Progress) -> AgentReport:
        self.calls.append("review_forecast")
        self.reviewing.set()
        await asyncio.wait_for(self.release.wait(), 60)
        return AgentReport(agent="demand", task="review_forecast", summary="fine", model="gated")

    async def propose_manufacturing(
        self, facts: RunContext, progress: Progress
    ) -> tuple[AgentReport, ManufacturingProposal]:
        self.calls.append("propose_manufacturing")
        assert facts.manufacturing is not None
        return AgentReport(
            agent="inventory", task="propose_manufacturing", summary="order", model="gated"
        ), ManufacturingProposal(
            quantity=1000,
            min_quantity=800,
            max_quantity=1200,
            lines=facts.manufacturing.lines,
            rationale="as recommended",
        )

    async def summarise_allocation(self, facts: RunContext, progress: Progress) -> AgentReport:
        raise NotImplementedError

    async def propose_markdown(
        self, facts: RunContext, progress: Progress
    ) -> tuple[AgentReport, MarkdownProposal | None]:
        raise NotImplementedError


async def _forecasting(sessions: Sessions) -> UUID:
    async with transaction(sessions) as session:
        workflow = Workflow(
            id=uuid4(),
            state="forecasting",
            created_by="ann",
            parameters=PARAMETERS.model_dump(mode="json"),
            context={"run_number": 1},
        )
        session.add(workflow)
    return workflow.id


async def _handle(
    sessions: Sessions, settings: PlannerSettings, orchestrator: Orchestrator, event: EventBase
) -> list[EventBase] | None:
    return await deliver(
        orchestrator.router(),
        event,
        sessionmaker=sessions,
        settings=settings,
        producer="agents",
        group="agents",
    )


async def _running(sessions: Sessions, workflow_id: UUID) -> list[str]:
    async with sessions() as session:
        rows = await session.scalars(
            select(AgentRun.agent).where(
                AgentRun.workflow_id == workflow_id, AgentRun.completed_at.is_(None)
            )
        )
        return list(rows.all())


async def test_no_transaction_is_open_and_the_workflow_not_locked_while_an_agent_runs(
    sessionmaker: Sessions, settings: PlannerSettings
) -> None:
    specialists = GatedSpecialists()
    orchestrator = Orchestrator(specialists)
    wf = await _forecasting(sessionmaker)
    done = forecast_completed(wf)
    handling = asyncio.create_task(_handle(sessionmaker, settings, orchestrator, done))
    await asyncio.wait_for(specialists.reviewing.wait(), 30)
    try:
        await assert_workflow_row_free(sessionmaker, wf)
        # The agent at work is visible: what `current_agent` reads.
        assert await _running(sessionmaker, wf) == ["demand"]
    finally:
        specialists.release.set()
    out = await handling
    assert out is not None
    assert [e.payload.agent for e in out if isinstance(e, AgentCompleted)] == [
        "demand",
        "inventory",
    ]
    assert any(isinstance(e, ApprovalRequested) for e in out)
    assert await _running(sessionmaker, wf) == []
    async with sessionmaker() as session:
        runs = (await session.scalars(select(AgentRun).where(AgentRun.workflow_id == wf))).all()
        workflow = await session.get(Workflow, wf)
    assert sorted((r.agent, r.task, r.summary) for r in runs) == [
        ("demand", "review_forecast", "fine"),
        ("inventory", "propose_manufacturing", "order"),
    ]
    assert all(r.completed_at is not None for r in runs)
    assert workflow is not None
    assert workflow.state == "awaiting_manufacturing_approval"
    # Each agent ran once, though the decision was made three times around them.
    assert specialists.calls == ["review_forecast", "propose_manufacturing"]
    # Delivered again, the event is a duplicate: no agent runs, nothing moves.
    assert await _handle(sessionmaker, settings, orchestrator, done) is None
    assert specialists.calls == ["review_forecast", "propose_manufacturing"]


async def test_a_cancel_during_an_agent_run_wins_and_the_run_commits_nothing(
    sessionmaker: Sessions, settings: PlannerSettings
) -> None:
    specialists = GatedSpecialists()
    orchestrator = Orchestrator(specialists)
    wf = await _forecasting(sessionmaker)
    handling = asyncio.create_task(
        _handle(sessionmaker, settings, orchestrator, forecast_completed(wf))
    )
    await asyncio.wait_for(specialists.reviewing.wait(), 30)
    try:
        # Not blocked behind the agent run: the row is free.
        cancelled = await asyncio.wait_for(
            _handle(
                sessionmaker,
                settings,
                orchestrator,
                CancelRequested(
                    workflow_id=wf,
                    producer="gateway",
                    payload=CancelRequestedPayload(requested_by="ann"),
                ),
            ),
            10,
        )
    finally:
        specialists.release.set()
    assert cancelled is not None
    assert any(isinstance(e, WorkflowCancelled) for e in cancelled)
    out = await handling
    assert out is not None
    # Decided again on the state at commit time: refused, nothing proposed.
    assert any(isinstance(e, WorkflowTransitionRefused) for e in out)
    assert not any(isinstance(e, ApprovalRequested | AgentCompleted) for e in out)
    assert specialists.calls == ["review_forecast"]
    async with sessionmaker() as session:
        workflow = await session.get(Workflow, wf)
    assert workflow is not None
    assert workflow.state == "cancelled"
    assert await _running(sessionmaker, wf) == []
