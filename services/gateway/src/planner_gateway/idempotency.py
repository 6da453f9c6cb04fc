"""Idempotency keys for commands: a retry gets the original answer instead of a second effect.

A client sends `Idempotency-Key: <any string of its own, up to 200 characters>` with a command
(start a workflow, re-forecast, cancel, decide an approval). The first request with a key
stores, in its own transaction, the key (per API key holder), a SHA-256 of the request and,
once known, the answer; a later request with the same key and the same request gets that
answer again, with `Idempotent-Replayed: true`, and changes nothing. The same key with a
different request is refused (422 `idempotency_key_reused`); two at once with the same key:
the second is refused with 409 `idempotency_key_in_use` and may retry.

A decision is answered over the bus. Its key row also keeps the published command, so a retry
whose answer has not come finds it in the history (`workflow_events`, where the stream reader
stores every answer) or, failing that, publishes the same command again (same event_id: the
approvals service applies it at most once). When the answer is late the client gets 202 with
where to look, never a bare 504.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.auth import Principal
from planner_gateway.errors import ApiError
from planner_shared.db.models import IdempotencyKey, WorkflowEvent
from planner_shared.events import EventBase, event_from_dict

REPLAYED_HEADER = "Idempotent-Replayed"

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Any string of yours (printable ASCII, no spaces): a retry with the same "
        "key and request gets the first answer and changes nothing.",
    ),
]


class CommandPending(BaseModel):
    """The command was sent, its answer has not come yet: it may still be applied."""

    status: str = Field(default="pending", examples=["pending"])
    request_id: UUID = Field(description="The command's event_id.")
    workflow_id: UUID
    message: str
    check_url: str = Field(description="Where the outcome shows once it is applied.")
    retry: str = Field(description="How to ask again without applying it twice.")


def digest(endpoint: str, body: BaseModel | None, extra: dict[str, Any] | None = None) -> str:
    data = {
        "endpoint": endpoint,
        "body": body.model_dump(mode="json") if body is not None else None,
        "extra": extra or {},
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def replayed(row: IdempotencyKey) -> JSONResponse:
    assert row.status_code is not None
    return JSONResponse(
        row.response, status_code=row.status_code, headers={REPLAYED_HEADER: "true"}
    )


async def claim(
    session: AsyncSession,
    principal: Principal,
    key: str,
    endpoint: str,
    request_sha256: str,
    event: EventBase | None = None,
) -> IdempotencyKey:
    """The key's row, locked: the earlier request's, or a new one (flushed, so a concurrent
    request with the same key waits on it and is refused)."""
    row = await session.get(IdempotencyKey, (principal.name, key), with_for_update=True)
    if row is not None:
        if row.endpoint != endpoint or row.request_sha256 != request_sha256:
            raise ApiError(
                422,
                f"Idempotency-Key {key!r} was used for another request "
                f"({row.endpoint} at {row.created_at:%Y-%m-%d %H:%M} UTC); use a new key",
                code="idempotency_key_reused",
            )
        return row
    row = IdempotencyKey(
        principal=principal.name,
        key=key,
        endpoint=endpoint,
        request_sha256=request_sha256,
        event=event.model_dump(mode="json") if event is not None else None,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise ApiError(
            409,
            f"a request with Idempotency-Key {key!r} is in progress; retry in a moment",
            code="idempotency_key_in_use",
            headers={"Retry-After": "1"},
        ) from None
    return row


def settle(row: IdempotencyKey, status_code: int, response: dict[str, Any]) -> None:
    row.status_code = status_code
    row.response = response
    row.completed_at = datetime.now(UTC)


async def stored_answer(
    session: AsyncSession,
    workflow_id: UUID,
    request_id: UUID,
    answers: tuple[type[EventBase], ...],
) -> EventBase | None:
    """The answer to a command, if the stream reader has stored it."""
    types = [a.model_fields["type"].default for a in answers]
    envelopes = await session.scalars(
        select(WorkflowEvent.envelope)
        .where(
            WorkflowEvent.workflow_id == workflow_id,
            WorkflowEvent.type.in_(types),
            WorkflowEvent.envelope["causation_id"].astext == str(request_id),
        )
        .order_by(WorkflowEvent.seq)
        .limit(1)
    )
    envelope = envelopes.first()
    return None if envelope is None else event_from_dict(envelope)
