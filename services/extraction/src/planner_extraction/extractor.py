"""Which extractor reads a brief: the LLM when one is configured, the offline parser otherwise.

When the LLM fails (timeout, refusal, malformed answer, API error, after the client's own
retries) the brief is read by the offline parser instead, and the result carries an issue
saying so: the planner still gets parameters, every one still with its confidence, source and
issues, and knows the LLM did not read it (`extractor` is "offline"). With
`fall_back_to_offline=False` the `ExtractionError` propagates instead, for a caller that
prefers to publish `extraction.failed` and let the planner retry.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Protocol

from planner_extraction.errors import ExtractionError
from planner_extraction.llm import LLMExtractor
from planner_extraction.offline_parser import parse_brief
from planner_shared.parameters import ExtractionIssue, ParameterExtraction
from planner_shared.settings import OpenAISettings

logger = logging.getLogger(__name__)


class BriefExtractor(Protocol):
    async def extract(self, brief: str, *, reference_date: date) -> ParameterExtraction: ...

    async def aclose(self) -> None: ...


class OfflineExtractor:
    """The deterministic parser behind the extractor interface."""

    def __init__(self, *, day_first: bool = False) -> None:
        self._day_first = day_first

    async def extract(self, brief: str, *, reference_date: date) -> ParameterExtraction:
        # Well under a few milliseconds for a long brief: not worth a thread hop.
        return parse_brief(brief, reference_date=reference_date, day_first=self._day_first)

    async def aclose(self) -> None:
        return None


class FallbackExtractor:
    """The LLM first; on its failure, the offline parser with an issue saying so."""

    def __init__(self, primary: LLMExtractor, fallback: OfflineExtractor) -> None:
        self._primary = primary
        self._fallback = fallback

    async def extract(self, brief: str, *, reference_date: date) -> ParameterExtraction:
        try:
            return await self._primary.extract(brief, reference_date=reference_date)
        except ExtractionError as error:
            logger.warning(
                "LLM extraction failed, reading the brief with the offline parser",
                extra={"error_kind": error.kind, "retryable": error.retryable},
            )
            result = await self._fallback.extract(brief, reference_date=reference_date)
            notice = ExtractionIssue(
                field=None,
                kind="unparsed",
                message=f"The language model could not read the brief ({error.reason}); "
                "these values come from the offline parser.",
            )
            return result.model_copy(update={"issues": [notice, *result.issues]})

    async def aclose(self) -> None:
        await self._primary.aclose()


def build_extractor(
    settings: OpenAISettings, *, fall_back_to_offline: bool = True, day_first: bool = False
) -> LLMExtractor | OfflineExtractor | FallbackExtractor:
    """The extractor for these settings; close it with `aclose()` at shutdown."""
    offline = OfflineExtractor(day_first=day_first)
    if not settings.configured:
        return offline
    llm = LLMExtractor.from_settings(settings)
    return FallbackExtractor(llm, offline) if fall_back_to_offline else llm
