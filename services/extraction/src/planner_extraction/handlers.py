"""Extraction handlers: a brief in, validated parameters (or a reason) out.

The same handler answers the orchestrator (events with a workflow_id) and the gateway's
request/reply for `POST /api/parameters/extract` (no workflow_id; the gateway matches the
reply by causation_id).
"""

from __future__ import annotations

import logging
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
from planner_shared.parameters import EARLIEST_SEASON_START, LATEST_SEASON_START

logger = logging.getLogger(__name__)


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
            self._fail(
                event,
                ctx,
                f"reference_date {request.reference_date!r} is not an ISO date (YYYY-MM-DD)",
            )
            return
        if not EARLIEST_SEASON_START <= reference <= LATEST_SEASON_START:
            self._fail(
                event,
                ctx,
                f"reference_date {reference.isoformat()} is outside "
                f"{EARLIEST_SEASON_START.isoformat()} to {LATEST_SEASON_START.isoformat()}",
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
            self._fail(event, ctx, error.reason, retryable=error.retryable)
            return
        except Exception as error:
            # A fault of the reader itself. Raised, it would be retried five times and
            # dead-lettered while the planner's request waits for its timeout; answered, the
            # planner hears at once that this brief could not be read (the log has the trace).
            logger.exception("The brief reader failed", extra={"event_id": str(event.event_id)})
            self._fail(
                event,
                ctx,
                f"The brief reader failed on this brief ({type(error).__name__}); "
                "reword it or enter the parameters directly.",
            )
            return
        ctx.emit(
            event.caused(
                ExtractionCompleted,
                ExtractionCompletedPayload(extraction=extraction),
                ctx.producer,
            )
        )

    @staticmethod
    def _fail(
        event: ExtractionRequested, ctx: MessageContext, reason: str, *, retryable: bool = False
    ) -> None:
        ctx.emit(
            event.caused(
                ExtractionFailed, FailedPayload(reason=reason, retryable=retryable), ctx.producer
            )
        )
