"""The approvals service over real PostgreSQL and Redis."""

from __future__ import annotations

from uuid import UUID

import redis.asyncio as aioredis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_approvals.app import SERVICE_NAME, setup
from planner_approvals.settings import ApprovalsSettings
from planner_shared.bus.streams import decode_entry, stream_for
from planner_shared.db.models import Approval
from planner_shared.events import (
    ApprovalDecided,
    ApprovalPending,
    ApprovalRequested,
    ApprovalRequestedPayload,
    DecisionAction,
    DecisionRefused,
    DecisionSubmitted,
    DecisionSubmittedPayload,
    EventBase,
    MarkdownLine,
    MarkdownProposal,
    parse_event,
)
from planner_shared.runtime import open_runtime
from planner_tools.testing.bus_probe import new_workflow, wait_for
from planner_tools.testing.proposals import knit_order
from planner_tools.testing.streams import stream_entries

Sessions = async_sessionmaker[AsyncSession]

PROPOSAL = knit_order()


async def _reply_to(redis: aioredis.Redis, stream: str, request: EventBase) -> EventBase | None:
    for _id, fields in await stream_entries(redis, stream):
        event = parse_event(decode_entry(fields))
        if event.causation_id == request.event_id:
            return event
    return None


def _decision(workflow_id: UUID, action: str, value: float | None, by: str) -> DecisionSubmitted:
    return DecisionSubmitted(
        workflow_id=workflow_id,
        producer="gateway",
        payload=DecisionSubmittedPayload(
            kind="manufacturing",
            action=DecisionAction(action),
            value=value,
            reason="smaller first drop",
            decided_by=by,
        ),
    )


async def test_approval_lifecycle_with_one_decision_only(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings: ApprovalsSettings = service_settings(ApprovalsSettings)
    workflow_id = await new_workflow(sessionmaker)
    stream = stream_for(settings, ApprovalRequested)
    request = ApprovalRequested(
        workflow_id=workflow_id,
        producer="agents",
        payload=ApprovalRequestedPayload(proposal=PROPOSAL),
    )
    async with open_runtime(SERVICE_NAME, settings, setup) as runtime:
        await runtime.publisher.publish(request)

        async def pending_announced() -> bool:
            return isinstance(await _reply_to(redis_client, stream, request), ApprovalPending)

        await wait_for(pending_announced)

        out_of_bounds = _decision(workflow_id, "modify", 5000, "bob")
        await runtime.publisher.publish(out_of_bounds)

        async def refused() -> bool:
            return isinstance(await _reply_to(redis_client, stream, out_of_bounds), DecisionRefused)

        await wait_for(refused)
        refusal = await _reply_to(redis_client, stream, out_of_bounds)
        assert isinstance(refusal, DecisionRefused)
        assert refusal.payload.status_code == 422
        assert "5,000 is outside the allowed range 800-1,200" in refusal.payload.reason

        first = _decision(workflow_id, "modify", 900, "ann")
        await runtime.publisher.publish(first)

        async def decided() -> bool:
            return isinstance(await _reply_to(redis_client, stream, first), ApprovalDecided)

        await wait_for(decided)
        second = _decision(workflow_id, "accept", None, "carl")
        await runtime.publisher.publish(second)

        async def second_refused() -> bool:
            return isinstance(await _reply_to(redis_client, stream, second), DecisionRefused)

        await wait_for(second_refused)

    outcome = await _reply_to(redis_client, stream, first)
    assert isinstance(outcome, ApprovalDecided)
    assert outcome.payload.decided_value == 900
    assert outcome.payload.proposed_value == 1000
    assert outcome.payload.decided_by == "ann"
    again = await _reply_to(redis_client, stream, second)
    assert isinstance(again, DecisionRefused)
    assert again.payload.status_code == 409
    assert "already decided by ann" in again.payload.reason
    assert again.payload.reason.endswith(" UTC (modify, 900)")
    async with sessionmaker() as session:
        [approval] = (await session.scalars(select(Approval))).all()
    assert approval.status == "decided"
    assert approval.decided_value == 900
    assert approval.decided_by == "ann"
    assert approval.decided_at is not None
    # Stored as floats beside markdown percentages (the gateway answers whole units).
    assert approval.proposed_value == 1000.0


async def test_decision_without_a_pending_approval_is_refused_with_404(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings: ApprovalsSettings = service_settings(ApprovalsSettings)
    workflow_id = await new_workflow(sessionmaker)
    stream = stream_for(settings, ApprovalRequested)
    decision = _decision(workflow_id, "accept", None, "ann")
    async with open_runtime(SERVICE_NAME, settings, setup) as runtime:
        await runtime.publisher.publish(decision)

        async def answered() -> bool:
            return await _reply_to(redis_client, stream, decision) is not None

        await wait_for(answered)
    refusal = await _reply_to(redis_client, stream, decision)
    assert isinstance(refusal, DecisionRefused)
    assert refusal.payload.status_code == 404


async def test_repeated_request_does_not_open_a_second_approval(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings: ApprovalsSettings = service_settings(ApprovalsSettings)
    workflow_id = await new_workflow(sessionmaker)
    stream = stream_for(settings, ApprovalRequested)
    requests = [
        ApprovalRequested(
            workflow_id=workflow_id,
            producer="agents",
            payload=ApprovalRequestedPayload(proposal=PROPOSAL),
        )
        for _ in range(2)
    ]
    async with open_runtime(SERVICE_NAME, settings, setup) as runtime:
        for request in requests:
            await runtime.publisher.publish(request)

        async def both_answered() -> bool:
            return all([await _reply_to(redis_client, stream, r) is not None for r in requests])

        await wait_for(both_answered)
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Approval)) == 1


async def test_a_markdown_decided_by_lines_is_stored_and_announced_per_category(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings: ApprovalsSettings = service_settings(ApprovalsSettings)
    workflow_id = await new_workflow(sessionmaker)
    stream = stream_for(settings, ApprovalRequested)
    line = MarkdownLine(
        category_code="DRES",
        percentage=5,
        rule_percentage=30,
        max_percentage=40,
        sell_through=0.37,
        target=0.6,
    )
    proposal = MarkdownProposal(
        percentage=10,
        max_percentage=40,
        week_number=6,
        sell_through=0.5,
        target=0.6,
        elasticity=1.2,
        rationale="by category",
        lines=[line, line.model_copy(update={"category_code": "OUTW", "percentage": 0.0})],
    )
    request = ApprovalRequested(
        workflow_id=workflow_id,
        producer="agents",
        payload=ApprovalRequestedPayload(proposal=proposal),
    )

    def decision(lines: dict[str, float]) -> DecisionSubmitted:
        return DecisionSubmitted(
            workflow_id=workflow_id,
            producer="gateway",
            payload=DecisionSubmittedPayload(
                kind="markdown",
                action=DecisionAction.MODIFY,
                lines=lines,
                reason="clear dresses",
                decided_by="ann",
            ),
        )

    too_deep, good = decision({"DRES": 45.0}), decision({"DRES": 20.0})
    async with open_runtime(SERVICE_NAME, settings, setup) as runtime:
        await runtime.publisher.publish(request)

        async def pending_announced() -> bool:
            return isinstance(await _reply_to(redis_client, stream, request), ApprovalPending)

        await wait_for(pending_announced)
        for sent in (too_deep, good):
            await runtime.publisher.publish(sent)

            async def answered(sent: DecisionSubmitted = sent) -> bool:
                return await _reply_to(redis_client, stream, sent) is not None

            await wait_for(answered)
    refusal = await _reply_to(redis_client, stream, too_deep)
    assert isinstance(refusal, DecisionRefused)
    assert refusal.payload.status_code == 422
    assert "markdown of DRES 45% is outside the allowed range 0-40" in refusal.payload.reason
    outcome = await _reply_to(redis_client, stream, good)
    assert isinstance(outcome, ApprovalDecided)
    assert outcome.payload.proposed_lines == {"DRES": 5.0, "OUTW": 0.0}
    assert outcome.payload.decided_lines == {"DRES": 20.0, "OUTW": 0.0}
    assert outcome.payload.decided_value == 20.0
    async with sessionmaker() as session:
        [approval] = (await session.scalars(select(Approval))).all()
    assert approval.decided_lines == {"DRES": 20.0, "OUTW": 0.0}
