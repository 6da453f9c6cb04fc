"""Endpoints answered by another service over the bus: extraction and approval decisions.

The command is published and its answer awaited by `services.decisions` (the v1 approvals
decide through it too). No answer within `reply_timeout_seconds`: an extraction
(which changes nothing) is a 504; a decision (which may still be applied) is a 202 saying
where to look, and with an `Idempotency-Key` a retry gets its outcome and never applies it
twice (`planner_gateway.idempotency`).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from planner_gateway import transfers
from planner_gateway.auth import Approver, Planner, Principal
from planner_gateway.deps import RuntimeDep, StateDep
from planner_gateway.errors import ErrorBody, ErrorResponse, code_for, responses
from planner_gateway.idempotency import (
    CommandPending,
    IdempotencyKeyHeader,
    claim,
    digest,
    replayed,
    settle,
    stored_answer,
)
from planner_gateway.schemas.commands import (
    DecisionRead,
    ExtractionRead,
    ExtractRequest,
    ManufacturingDecision,
    MarkdownDecision,
)
from planner_gateway.schemas.transfers import TransferDecision
from planner_gateway.services import decisions, extraction
from planner_gateway.state import GatewayState
from planner_shared.db.engine import transaction
from planner_shared.events import (
    ApprovalDecided,
    ApprovalKind,
    DecisionRefused,
    DecisionSubmitted,
    EventBase,
    event_from_dict,
)
from planner_shared.runtime import Runtime

router = APIRouter()

REFUSAL_CODES = {404: "no_pending_approval", 409: "already_decided", 422: "decision_refused"}
# What an approver sends to decide one kind of approval.
DecisionBody = ManufacturingDecision | MarkdownDecision | TransferDecision


# `extraction.failed` says why and whether retrying may help, no more: retryable is 503,
# otherwise 422 (the service reads the brief with its offline parser when the LLM fails, so
# what it refuses is the request itself). A handler that crashes sends no reply (the bus
# retries it, then dead-letters it): 504, as for any reply that does not come in time.
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
    return await extraction.extract(
        state,
        runtime,
        body.brief,
        body.reference_date.isoformat() if body.reference_date else None,
    )


def _decision_answer(answer: EventBase) -> tuple[int, dict[str, Any]]:
    """The HTTP answer to a decision: the decision, or the refusal in the error shape."""
    if isinstance(answer, DecisionRefused):
        status = answer.payload.status_code
        code = answer.payload.code or REFUSAL_CODES.get(status) or code_for(status)
        error = ErrorResponse(error=ErrorBody(code=code, message=answer.payload.reason))
        return status, error.model_dump(mode="json", exclude_none=True)
    assert isinstance(answer, ApprovalDecided)
    p = answer.payload
    read = DecisionRead(
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
        proposed_lines=p.proposed_lines,
        decided_lines=p.decided_lines,
    )
    return 200, read.model_dump(mode="json")


def _pending(
    request: EventBase, workflow_id: UUID, key: str | None, timeout: float
) -> JSONResponse:
    body = CommandPending(
        request_id=request.event_id,
        workflow_id=workflow_id,
        message=f"the decision was sent but the approvals service has not answered within "
        f"{timeout:g}s; it may still be applied (the service applies it once, when it runs)",
        check_url=f"/api/workflows/{workflow_id}/approvals",
        retry=(
            "send the same request with the same Idempotency-Key: you get the outcome, and it "
            "is never applied twice"
            if key
            else "look at check_url before deciding again; send an Idempotency-Key next time "
            "so a retry is safe"
        ),
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=202)


async def _decide(
    kind: ApprovalKind,
    body: DecisionBody,
    principal: Principal,
    state: GatewayState,
    runtime: Runtime,
    key: str | None,
) -> JSONResponse:
    await decisions.require_workflow(runtime, body.workflow_id, principal, state.settings)
    if isinstance(body, TransferDecision):
        async with runtime.sessionmaker() as session:
            week = await transfers.check_decision(session, body)
        request = decisions.command(
            kind,
            body.workflow_id,
            body.action,
            None,
            body.reason,
            principal,
            moves=body.moves,
            week_number=week,
        )
    else:
        request = decisions.command(
            kind,
            body.workflow_id,
            body.action,
            body.value,
            body.reason,
            principal,
            lines=body.line_values(),
            approval_id=body.approval_id,
        )
    endpoint = f"approvals/{kind.value}"
    answer: EventBase | None = None
    if key is not None:
        async with transaction(runtime.sessionmaker) as session:
            row = await claim(session, principal, key, endpoint, digest(endpoint, body), request)
            if row.status_code is not None:
                return replayed(row)
            if row.event is not None:
                # A retry: the command first sent, so it is applied at most once.
                stored = event_from_dict(row.event)
                assert isinstance(stored, DecisionSubmitted)
                request = stored
            answer = await stored_answer(
                session, body.workflow_id, request.event_id, decisions.DECISION_ANSWERS
            )
    if answer is None:
        answer = await decisions.submit(state, runtime, request)
        if answer is None:
            return _pending(request, body.workflow_id, key, state.settings.reply_timeout_seconds)
    status, response = _decision_answer(answer)
    if key is not None:
        async with transaction(runtime.sessionmaker) as session:
            row = await claim(session, principal, key, endpoint, digest(endpoint, body))
            settle(row, status, response)
    return JSONResponse(response, status_code=status)


DECISION_RESPONSES = responses(404, 409, 503) | {
    403: {
        "model": ErrorResponse,
        "description": "The key lacks the approver role, or started this season and "
        "four-eyes is on (`four_eyes`)",
    },
    202: {
        "model": CommandPending,
        "description": "Sent, but not answered within the reply timeout: it may still be "
        "applied; look at `check_url`, or retry with the same Idempotency-Key",
    },
    422: {
        "model": ErrorResponse,
        "description": "Invalid body, a decision the approval refuses, or an Idempotency-Key "
        "used for another request",
    },
}


def _decision_endpoint(kind: ApprovalKind, body_type: type[DecisionBody], summary: str) -> None:
    """`POST /approvals/{kind}`: the approver's decision on the season's pending `kind`
    approval, sent to the approvals service (`_decide`). One endpoint a kind, alike but for
    the body each kind's decision takes."""

    async def decide(
        body: DecisionBody,
        principal: Approver,
        state: StateDep,
        runtime: RuntimeDep,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> JSONResponse:
        return await _decide(kind, body, principal, state, runtime, idempotency_key)

    # The body's model is the kind's own (it names the request schema in the OpenAPI document).
    decide.__annotations__["body"] = body_type
    decide.__name__ = decide.__qualname__ = f"decide_{kind.value}"
    router.post(
        f"/approvals/{kind.value}",
        response_model=DecisionRead,
        responses=DECISION_RESPONSES,
        tags=["approvals"],
        summary=summary,
    )(decide)


_decision_endpoint(
    ApprovalKind.MANUFACTURING,
    ManufacturingDecision,
    "Accept the manufacturing order, or modify its lines (or its total) within bounds",
)
_decision_endpoint(
    ApprovalKind.MARKDOWN,
    MarkdownDecision,
    "Accept the markdown, or modify its percentage up to the maximum",
)
_decision_endpoint(
    ApprovalKind.TRANSFERS,
    TransferDecision,
    "Accept the week's transfer proposal, edit its moves (with a reason), or reject it",
)
