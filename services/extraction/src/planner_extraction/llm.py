"""The LLM extractor: the real `openai` client with structured output.

The model fills a deliberately lenient schema (numbers without ranges, the strategy as free
text) so that an out-of-range or unsupported answer reaches our validation and is flagged,
instead of failing the whole answer. Its reading then goes through the same `assembly` as the
offline parser's, so both return the same validated shape. The model's confidence is taken
with care: an "inferred" value is capped at 0.75, and a "stated" value whose evidence is not
words of the brief is downgraded to inferred at 0.5 at most.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

import openai
import pydantic
from openai import AsyncOpenAI
from pydantic import BaseModel, ConfigDict, Field

from planner_extraction.adjustments import proposed
from planner_extraction.assembly import LABELS, NO_MARKDOWN, Candidate, Reading, assemble
from planner_extraction.errors import ExtractionError
from planner_shared.parameters import (
    DEFAULT_DC_HOLDBACK_PERCENTAGE,
    DEFAULT_HORIZON_WEEKS,
    DEFAULT_MARKDOWN_THRESHOLD,
    DEFAULT_REPLENISHMENT,
    PARAMETER_NAMES,
    ParameterExtraction,
    ParameterSource,
)
from planner_shared.settings import OpenAISettings

_INFERRED_CAP = 0.75
_UNSUPPORTED_EVIDENCE_CAP = 0.5

Status = Literal["stated", "inferred", "absent", "contradictory"]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status = Field(
        description="stated: the brief says it; inferred: worked out from other words; "
        "absent: not in the brief; contradictory: the brief gives different values."
    )
    confidence: float = Field(description="How sure you are of the value, 0 to 1.")
    evidence: str | None = Field(description="The exact words of the brief it comes from.")
    note: str | None = Field(description="For contradictory: the conflicting values.")


class NumberAnswer(_Answer):
    value: float | None


class TextAnswer(_Answer):
    value: str | None


class AdjustmentAnswer(BaseModel):
    """An adjustment of one category's demand the brief asks for."""

    model_config = ConfigDict(extra="forbid")

    category: str = Field(description="The category as the brief names it.")
    percent: float = Field(description="+10 for 10 % up, -5 for 5 % down, 0 for flat.")
    weeks: list[int] | None = Field(description="Season weeks it names; null: the whole season.")
    against_last_year: bool = Field(description="The brief measures it against last year.")
    confidence: float = Field(description="How sure you are, 0 to 1.")
    evidence: str | None = Field(description="The exact words of the brief it comes from.")


class BriefReading(BaseModel):
    """The structured answer the model must give."""

    model_config = ConfigDict(extra="forbid")

    forecast_horizon_weeks: NumberAnswer
    season_start_date: TextAnswer
    replenishment_strategy: TextAnswer
    dc_holdback_percentage: NumberAnswer
    markdown_checkpoint_week: NumberAnswer
    markdown_threshold: NumberAnswer

    forecast_adjustments: list[AdjustmentAnswer] = Field(
        default_factory=list,
        description="Changes of a category's demand the brief asks for (not parameters).",
    )


SYSTEM_PROMPT = f"""\
You read a fashion retail planner's season brief and extract the season parameters.
Return one entry per parameter with its status, value, confidence, evidence and note.

Parameters (value format, valid range, default used when the brief leaves it out):
- forecast_horizon_weeks: season length in weeks; whole number 1-52; default \
{DEFAULT_HORIZON_WEEKS}. Convert months to weeks (3 months = 13 weeks, inferred).
- season_start_date: first day of week 1, as YYYY-MM-DD; default the next Monday. A date \
without a year is its next occurrence on or after the reference date. A month alone means \
its first Monday (inferred). A season name alone (spring, summer, autumn/fall, winter) is \
not a date: infer the first Monday of March, June, September or December respectively, \
status inferred, confidence at most 0.3.
- replenishment_strategy: how often stores are refilled from the distribution centre; one \
of "none", "weekly", "bi_weekly"; default {DEFAULT_REPLENISHMENT}. "bi-weekly", "every two \
weeks", "fortnightly" mean bi_weekly; "one-shot buy" or "no replenishment" mean none. If the \
brief asks for another cadence (daily, monthly, twice a week), give its words as the value.
- dc_holdback_percentage: share of the order kept at the distribution centre, in percent \
0-100; default {DEFAULT_DC_HOLDBACK_PERCENTAGE:g}. "55% to stores" means 45 (inferred). "No DC \
holdback", "nothing held at the DC" mean 0 (stated).
- markdown_checkpoint_week: the season week at which sell-through is checked for markdowns; \
whole number from 1 to the season length; default half the season. "Mid-season" is half the \
season length (inferred). When the brief says there is no markdown this season, status \
"stated" and value null.
- markdown_threshold: target sell-through at the checkpoint as a fraction 0-1 (60% is 0.6); \
default {DEFAULT_MARKDOWN_THRESHOLD:g}. A markdown depth ("30% off") is not this threshold.

Forecast adjustments (forecast_adjustments, a list, empty when there are none): a change of \
one product category's demand the brief asks for, such as "outerwear up 10% vs last year" \
(percent 10, against_last_year true), "dresses flat" (percent 0), "knitwear down 5% in weeks \
1-4" (percent -5, weeks [1, 2, 3, 4]). Give the category in the brief's words. They are not \
season parameters: never put their numbers in a parameter.

Rules:
- Never guess. If the brief does not give a parameter, status "absent" and value null.
- If the brief gives two different values for a parameter, status "contradictory", value \
null, and list them in note.
- Give out-of-range values exactly as written; they are validated after you.
- evidence is a verbatim quote of the brief, or null.
- Ignore numbers about other things (last year's season, variance, markdown depth, store \
counts).
"""


def build_client(settings: OpenAISettings) -> AsyncOpenAI:
    """The client from settings, with their timeout and retries (never the 600 s default)."""
    if not settings.configured or settings.api_key is None:
        raise ExtractionError(
            "not_configured", "OPENAI_API_KEY is not set; use the offline parser", retryable=False
        )
    return AsyncOpenAI(
        api_key=settings.api_key.get_secret_value(),
        base_url=settings.base_url,
        timeout=settings.timeout_seconds,
        max_retries=settings.max_retries,
    )


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def reading_from_answer(answer: BriefReading, brief: str) -> Reading:
    """The model's answer as a Reading, its claims checked against the brief."""
    reading = Reading()
    brief_words = _normal(brief)
    for name in PARAMETER_NAMES:
        entry: _Answer = getattr(answer, name)
        value = getattr(entry, "value", None)
        if entry.status == "absent":
            continue
        if entry.status == "contradictory":
            detail = entry.note or entry.evidence or "different values"
            reading.flag(
                name,
                "contradictory",
                f"The brief gives different values for the {LABELS[name]}: {detail}.",
            )
            continue
        if value is None and name == "markdown_checkpoint_week" and entry.status == "stated":
            value = NO_MARKDOWN  # the prompt's way of saying "no markdown this season"
        if value is None:
            reading.flag(
                name,
                "invalid",
                f"The model said the {LABELS[name]} is {entry.status} but gave no value.",
            )
            continue
        confidence = min(max(entry.confidence, 0.0), 1.0)
        source = ParameterSource.STATED
        if entry.status == "inferred":
            source = ParameterSource.INFERRED
            confidence = min(confidence, _INFERRED_CAP)
        elif entry.evidence is None or _normal(entry.evidence) not in brief_words:
            # A "stated" value must quote the brief; one that does not is not trusted as stated.
            source = ParameterSource.INFERRED
            confidence = min(confidence, _UNSUPPORTED_EVIDENCE_CAP)
        reading.add(name, Candidate(value, confidence, source, entry.evidence))
    for adjustment in answer.forecast_adjustments:
        _add_adjustment(reading, adjustment, brief_words)
    return reading


def _add_adjustment(reading: Reading, answer: AdjustmentAnswer, brief_words: str) -> None:
    """A proposed override; a change the model cannot quote from the brief is trusted less,
    and one that is not a finite percentage is flagged rather than dropped."""
    words = answer.evidence or f"{answer.category} {answer.percent:+g} %"
    if not math.isfinite(answer.percent) or not answer.category.strip():
        reading.flag(None, "unparsed", f"Could not read the forecast adjustment '{words}'.")
        return
    confidence = min(max(answer.confidence, 0.0), _INFERRED_CAP)
    if answer.evidence is None or _normal(answer.evidence) not in brief_words:
        confidence = min(confidence, _UNSUPPORTED_EVIDENCE_CAP)
    weeks = [w for w in answer.weeks or [] if 1 <= w <= 52] or None
    reading.overrides.append(
        proposed(
            answer.category,
            answer.percent,
            weeks,
            words,
            confidence,
            against_last_year=answer.against_last_year,
        )
    )


class LLMExtractor:
    """Brief -> ParameterExtraction through a chat model with structured output."""

    def __init__(self, client: AsyncOpenAI, *, model: str) -> None:
        self._client = client
        self._model = model

    @classmethod
    def from_settings(cls, settings: OpenAISettings) -> LLMExtractor:
        return cls(build_client(settings), model=settings.model)

    async def aclose(self) -> None:
        await self._client.close()

    async def extract(self, brief: str, *, reference_date: date) -> ParameterExtraction:
        answer = await self._ask(brief, reference_date)
        return assemble(
            reading_from_answer(answer, brief), reference_date=reference_date, extractor="llm"
        )

    async def _ask(self, brief: str, reference_date: date) -> BriefReading:
        user = (
            f"Reference date: {reference_date.isoformat()} ({reference_date:%A}).\n"
            f"Brief:\n<brief>\n{brief}\n</brief>"
        )
        try:
            completion = await self._client.chat.completions.parse(
                model=self._model,
                messages=[
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": user},
                ],
                response_format=BriefReading,
            )
        except openai.APITimeoutError as error:
            raise ExtractionError(
                "timeout", "The language model did not answer in time", retryable=True
            ) from error
        except openai.APIConnectionError as error:
            raise ExtractionError(
                "connection", f"Could not reach the language model: {error}", retryable=True
            ) from error
        except openai.RateLimitError as error:
            raise ExtractionError(
                "rate_limited", "The language model's rate limit was reached", retryable=True
            ) from error
        except openai.APIStatusError as error:
            raise ExtractionError(
                "api_error",
                f"The language model API answered {error.status_code}: {error.message}",
                retryable=error.status_code >= 500 or error.status_code in (408, 409),
            ) from error
        except openai.ContentFilterFinishReasonError as error:
            raise ExtractionError(
                "refusal",
                "The language model's content filter stopped the answer",
                retryable=False,
            ) from error
        except openai.LengthFinishReasonError as error:
            raise ExtractionError(
                "malformed", "The language model's answer was cut off", retryable=False
            ) from error
        except pydantic.ValidationError as error:
            raise ExtractionError(
                "malformed",
                f"The language model's answer is not the expected JSON: {error.errors()[0]['msg']}",
                retryable=True,
            ) from error
        if not completion.choices:
            raise ExtractionError("malformed", "The language model gave no answer", retryable=True)
        message = completion.choices[0].message
        if message.refusal:
            raise ExtractionError(
                "refusal", f"The language model declined: {message.refusal}", retryable=False
            )
        if message.parsed is None:
            raise ExtractionError(
                "malformed", "The language model's answer was empty", retryable=True
            )
        return message.parsed
