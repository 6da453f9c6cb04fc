"""The approvals service over real PostgreSQL and Redis."""

from __future__ import annotations

from uuid import UUID

import redis.asyncio as aioredis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_approvals.app import SERVICE_NAME, setup
from planner_approvals.settings import ApprovalsSettings
from planner_shared.bus.streams import decode_entry, stream_for
from planner_shared.db.models import Approval, ProcessedEvent
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


async def test_a_new_proposal_supersedes_the_pending_one_once_and_never_a_decided_one(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings: ApprovalsSettings = service_settings(ApprovalsSettings)
    workflow_id = await new_workflow(sessionmaker)
    stream = stream_for(settings, ApprovalRequested)
    first = ApprovalRequested(
        workflow_id=workflow_id,
        producer="agents",
        payload=ApprovalRequestedPayload(proposal=PROPOSAL),
    )
    line = PROPOSAL.lines[0].model_copy(update={"quantity": 1100})
    bigger = PROPOSAL.model_copy(update={"quantity": 1100, "max_quantity": 1300, "lines": [line]})
    why = "forecast override by pat: cold spring"
    second = ApprovalRequested(
        workflow_id=workflow_id,
        producer="agents",
        payload=ApprovalRequestedPayload(proposal=bigger, supersedes_reason=why),
    )

    async def rows() -> list[Approval]:
        async with sessionmaker() as session:
            found = await session.scalars(
                select(Approval)
                .where(Approval.workflow_id == workflow_id)
                .order_by(Approval.created_at)
            )
            return list(found)

    async with open_runtime(SERVICE_NAME, settings, setup) as runtime:
        await runtime.publisher.publish(first)
        await wait_for(lambda: _answered(redis_client, stream, first))
        await runtime.publisher.publish(second)
        # Delivered twice (a redelivery): superseded once, one new approval.
        await runtime.publisher.publish(second)

        async def replaced() -> bool:
            return len(await rows()) == 2

        await wait_for(replaced)
        await wait_for(lambda: _answered(redis_client, stream, second))
        old, new = await rows()
        assert (old.status, old.reason, old.superseded_by) == ("superseded", why, new.id)
        assert (new.status, new.proposed_value, new.max_value) == ("pending", 1100, 1300)
        announced = [
            parse_event(decode_entry(fields))
            for _id, fields in await stream_entries(redis_client, stream)
        ]
        [gone] = [e for e in announced if e.type == "approval.superseded"]
        assert gone.payload.model_dump(include={"approval_id", "superseded_by", "reason"}) == {
            "approval_id": old.id,
            "superseded_by": new.id,
            "reason": why,
        }

        # A decision for the old approval is refused, naming the new one's total.
        stale = _decision(workflow_id, "accept", None, "ann")
        stale = stale.model_copy(
            update={"payload": stale.payload.model_copy(update={"approval_id": old.id})}
        )
        await runtime.publisher.publish(stale)
        await wait_for(lambda: _answered(redis_client, stream, stale))
        refused = await _reply_to(redis_client, stream, stale)
        assert isinstance(refused, DecisionRefused)
        assert (refused.payload.status_code, refused.payload.code) == (409, "approval_superseded")
        assert "(1,100) is waiting for the decision" in refused.payload.reason

        # Decided, then a late re-proposal: the decision stands, nothing is superseded.
        decided = _decision(workflow_id, "accept", None, "ann")
        await runtime.publisher.publish(decided)
        await wait_for(lambda: _answered(redis_client, stream, decided))
        late = ApprovalRequested(
            workflow_id=workflow_id,
            producer="agents",
            payload=ApprovalRequestedPayload(proposal=PROPOSAL, supersedes_reason=why),
        )
        await runtime.publisher.publish(late)
        await wait_for(lambda: _consumed(sessionmaker, late.event_id))
        assert [(a.status, a.proposed_value) for a in await rows()] == [
            ("superseded", 1000),
            ("decided", 1100),
        ]


async def _answered(redis: aioredis.Redis, stream: str, request: EventBase) -> bool:
    return await _reply_to(redis, stream, request) is not None


async def _consumed(sessionmaker: Sessions, event_id: UUID) -> bool:
    async with sessionmaker() as session:
        found = await session.scalar(
            select(ProcessedEvent.event_id).where(
                ProcessedEvent.consumer_group == SERVICE_NAME, ProcessedEvent.event_id == event_id
            )
        )
    return found is not None
