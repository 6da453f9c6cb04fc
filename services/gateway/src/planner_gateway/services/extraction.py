"""A season brief read by the extraction service: `/api/parameters/extract` and v1
`/parameters/extract` both ask here."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from planner_gateway import SERVICE_NAME
from planner_gateway.errors import RETRY_AFTER_SECONDS, ApiError
from planner_gateway.outage import require_database
from planner_gateway.schemas.commands import ExtractionRead
from planner_gateway.services.replies import ask
from planner_gateway.state import GatewayState
from planner_shared.db.models import Category
from planner_shared.events import (
    ExtractionCompleted,
    ExtractionFailed,
    ExtractionRequested,
    ExtractionRequestedPayload,
)
from planner_shared.runtime import Runtime
from planner_shared.season_names import name_from_brief


async def extract(
    state: GatewayState, runtime: Runtime, brief: str, reference_date: str | None
) -> ExtractionRead:
    """The parameters the brief gives, or 503 `extraction_unavailable` (worth a retry) or
    422 `extraction_failed` (the brief itself was refused)."""
    # No database, no request/reply (its outbox is there): say so now, not after the timeout.
    await require_database(runtime, "extraction")
    request = ExtractionRequested(
        producer=SERVICE_NAME,
        payload=ExtractionRequestedPayload(brief=brief, reference_date=reference_date),
    )
    answer = await ask(
        state, runtime, request, (ExtractionCompleted, ExtractionFailed), "extraction"
    )
    if isinstance(answer, ExtractionFailed):
        if answer.payload.retryable:
            raise ApiError(
                503,
                answer.payload.reason,
                code="extraction_unavailable",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        raise ApiError(422, answer.payload.reason, code="extraction_failed")
    assert isinstance(answer, ExtractionCompleted)
    read = ExtractionRead.of(
        request.event_id, answer.payload.extraction, await _categories(runtime)
    )
    return read.model_copy(update={"season_name": name_from_brief(brief)})


async def _categories(runtime: Runtime) -> dict[str, str]:
    """Category codes by lower-case code, name and singular name, to name the category of
    each proposed override; none when the database is away (the answer stands without)."""
    try:
        async with runtime.sessionmaker() as session:
            rows = (await session.execute(select(Category.code, Category.name))).all()
    except (SQLAlchemyError, OSError):
        return {}
    return {
        key: code
        for code, name in rows
        for key in (code.lower(), name.lower(), name.lower().rstrip("s"))
    }
