"""Endpoints answered by another service over the bus: extraction and approval decisions.

The command is published directly (the gateway keeps no state for it) and the answer is the
first event of an expected type whose `causation_id` is the command's `event_id`, seen by
this process's stream reader. No answer within `reply_timeout_seconds` is a 504.
"""

from __future__ import annotations

import asyncio
from uuid import UUID

from fastapi import APIRouter

from planner_gateway import SERVICE_NAME
from planner_gateway.auth import Approver, Planner, Principal
from planner_gateway.deps import RuntimeDep, StateDep
from planner_gateway.errors import ApiError, ErrorResponse, responses
from planner_gateway.queries import get_workflow
from planner_gateway.schemas.commands import (
    DecisionRead,
    ExtractionRead,
    ExtractRequest,
    ManufacturingDecision,
    MarkdownDecision,
)
from planner_gateway.state import GatewayState
from planner_shared.events import (
    ApprovalDecided,
    ApprovalKind,
    DecisionRefused,
    DecisionSubmitted,
    DecisionSubmittedPayload,
    EventBase,
    ExtractionCompleted,
    ExtractionFailed,
    ExtractionRequested,
    ExtractionRequestedPayload,
)
from planner_shared.runtime import Runtime

router = APIRouter()

REFUSAL_CODES = {404: "no_pending_approval", 409: "already_decided", 422: "decision_refused"}


async def ask(
    state: GatewayState,
    runtime: Runtime,
    request: EventBase,
    answers: tuple[type[EventBase], ...],
    service: str,
) -> EventBase:
    if not state.reader.alive():
        raise ApiError(
            503,
            "the gateway is not reading the bus right now, so it cannot receive the answer; "
            "see GET /api/health",
            code="reader_unavailable",
        )
    timeout = state.settings.reply_timeout_seconds
    with state.replies.expect(request.event_id, answers) as answer:
        await runtime.publisher.publish(request)
        try:
            return await asyncio.wait_for(answer, timeout)
        except TimeoutError:
            raise ApiError(
                504,
                f"no answer from the {service} service within {timeout:g}s; "
                "it may be down or overloaded",
                code="gateway_timeout",
            ) from None


# `extraction.failed` says why and whether retrying may help, no more: retryable is 503,
# otherwise 422 (the service reads the brief with its offline parser when the LLM fails, so
# what it refuses is the request itself). A handler that crashes sends no reply (the bus
# retries it, then dead-letters it): 504. No answer maps to 502.
EXTRACT_RESPONSES = responses(503, 504) | {
    422: {
        "model": ErrorResponse,
        "description": "Invalid body (`validation_error`), or the extraction service could "
        "not read the brief (`extraction_failed`)",
    }
}


@router.post(
    "/parameters/extract",
    response_model=ExtractionRead,
    responses=EXTRACT_RESPONSES,
    tags=["parameters"],
    summary="Season brief in, parameters with confidence and issues out",
)
async def extract_parameters(
    body: ExtractRequest, _: Planner, state: StateDep, runtime: RuntimeDep
) -> ExtractionRead:
    request = ExtractionRequested(
        producer=SERVICE_NAME,
        payload=ExtractionRequestedPayload(
            brief=body.brief,
            reference_date=body.reference_date.isoformat() if body.reference_date else None,
        ),
    )
    answer = await ask(
        state, runtime, request, (ExtractionCompleted, ExtractionFailed), "extraction"
    )
    if isinstance(answer, ExtractionFailed):
        if answer.payload.retryable:
            raise ApiError(503, answer.payload.reason, code="extraction_unavailable")
        raise ApiError(422, answer.payload.reason, code="extraction_failed")
    assert isinstance(answer, ExtractionCompleted)
    return ExtractionRead.of(request.event_id, answer.payload.extraction)


async def _decide(
    kind: ApprovalKind,
    body: ManufacturingDecision | MarkdownDecision,
    principal: Principal,
    state: GatewayState,
    runtime: Runtime,
) -> DecisionRead:
    async with runtime.sessionmaker() as session:
        await get_workflow(session, body.workflow_id)
    request = DecisionSubmitted(
        workflow_id=body.workflow_id,
        producer=SERVICE_NAME,
        payload=DecisionSubmittedPayload(
            kind=kind,
            action=body.action,
            value=body.value,
            reason=body.reason,
            decided_by=principal.name,
        ),
    )
    answer = await ask(state, runtime, request, (ApprovalDecided, DecisionRefused), "approvals")
    if isinstance(answer, DecisionRefused):
        status = answer.payload.status_code
        raise ApiError(status, answer.payload.reason, code=REFUSAL_CODES.get(status))
    assert isinstance(answer, ApprovalDecided)
    p = answer.payload
    return DecisionRead(
        approval_id=p.approval_id,
        workflow_id=UUID(str(answer.workflow_id)),
        kind=p.kind.value,
        action=p.action,
        proposed_value=p.proposed_value,
        decided_value=p.decided_value,
        reason=p.reason,
        decided_by=p.decided_by,
        decided_at=p.decided_at,
        event_id=answer.event_id,
    )


@router.post(
    "/approvals/manufacturing",
    response_model=DecisionRead,
    responses=responses(404, 409, 503, 504),
    tags=["approvals"],
    summary="Accept the manufacturing order, or modify its quantity within bounds",
)
async def decide_manufacturing(
    body: ManufacturingDecision, principal: Approver, state: StateDep, runtime: RuntimeDep
) -> DecisionRead:
    return await _decide(ApprovalKind.MANUFACTURING, body, principal, state, runtime)


@router.post(
    "/approvals/markdown",
    response_model=DecisionRead,
    responses=responses(404, 409, 503, 504),
    tags=["approvals"],
    summary="Accept the markdown, or modify its percentage up to the maximum",
)
async def decide_markdown(
    body: MarkdownDecision, principal: Approver, state: StateDep, runtime: RuntimeDep
) -> DecisionRead:
    return await _decide(ApprovalKind.MARKDOWN, body, principal, state, runtime)
