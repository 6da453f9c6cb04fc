"""Extraction handlers: a brief in, validated parameters (or a reason) out.

The same handler answers the orchestrator (events with a workflow_id) and the gateway's
request/reply for `POST /api/parameters/extract` (no workflow_id; the gateway matches the
reply by causation_id).
"""

from __future__ import annotations

from datetime import date

from planner_extraction.errors import ExtractionError
from planner_extraction.extractor import BriefExtractor
from planner_shared.bus.router import EventRouter, MessageContext
from planner_shared.events import (
    AgentProgress,
    AgentProgressPayload,
    ExtractionCompleted,
    ExtractionCompletedPayload,
    ExtractionFailed,
    ExtractionRequested,
    FailedPayload,
)


class ExtractionHandlers:
    def __init__(self, extractor: BriefExtractor, reader: str) -> None:
        self._extractor = extractor
        self._reader = reader

    def router(self) -> EventRouter:
        router = EventRouter()
        router.on(ExtractionRequested)(self.on_extraction_requested)
        return router

    async def on_extraction_requested(
        self, event: ExtractionRequested, ctx: MessageContext
    ) -> None:
        request = event.payload
        try:
            reference = (
                date.fromisoformat(request.reference_date)
                if request.reference_date
                else event.occurred_at.date()
            )
        except ValueError:
            ctx.emit(
                event.caused(
                    ExtractionFailed,
                    FailedPayload(
                        reason=f"reference_date {request.reference_date!r} is not an ISO date "
                        "(YYYY-MM-DD)"
                    ),
                    ctx.producer,
                )
            )
            return
        if event.workflow_id is not None:
            await ctx.progress(
                event.caused(
                    AgentProgress,
                    AgentProgressPayload(
                        agent="extraction", message=f"Reading the brief ({self._reader})"
                    ),
                    ctx.producer,
                )
            )
        try:
            extraction = await self._extractor.extract(request.brief, reference_date=reference)
        except ExtractionError as error:
            ctx.emit(
                event.caused(
                    ExtractionFailed,
                    FailedPayload(reason=error.reason, retryable=error.retryable),
                    ctx.producer,
                )
            )
            return
        ctx.emit(
            event.caused(
                ExtractionCompleted,
                ExtractionCompletedPayload(extraction=extraction),
                ctx.producer,
            )
        )
