"""A brief's adjustments of the forecast ("outerwear up 10 % vs last year", "dresses flat")
come back as proposed overrides, offline and through the LLM; never dropped (docs/overrides.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from planner_extraction.adjustments import find_adjustments
from planner_extraction.llm import LLMExtractor
from planner_extraction.offline_parser import parse_brief
from planner_shared.parameters import ParameterExtraction
from planner_shared.settings import OpenAISettings
from planner_tools.testing.fake_openai import FakeOpenAIServer, json_reply

REFERENCE = date(2026, 11, 2)
PARAMETERS = (
    "Plan the 12-week spring season starting March 2, replenish weekly, keep 45% at the DC, "
    "check markdowns at week 6 if sell-through is under 60%."
)
BRIEF = PARAMETERS + " Outerwear up 10 % vs last year, dresses flat."


def test_the_offline_parser_proposes_the_adjustments_and_keeps_the_parameters() -> None:
    plain = parse_brief(PARAMETERS, reference_date=REFERENCE)
    extraction = parse_brief(BRIEF, reference_date=REFERENCE)

    outerwear, dresses = extraction.proposed_overrides
    assert (outerwear.category, outerwear.percent, outerwear.weeks) == ("outerwear", 10.0, None)
    assert outerwear.evidence == "Outerwear up 10 % vs last year"
    assert outerwear.note is not None
    assert "last year" in outerwear.note
    assert (dresses.category, dresses.percent) == ("dresses", 0.0)
    # The 10 % is not taken for a parameter, and the parameters are read as without it.
    assert extraction.parameters == plain.parameters
    assert extraction.issues == []
    # Proposals wait for the planner: the brief needs review, so never reads "high".
    assert not plain.needs_review
    assert extraction.needs_review


@pytest.mark.parametrize(
    ("text", "subject", "percent", "weeks"),
    [
        ("knitwear demand down 5% for weeks 1-4", "knitwear", -5.0, [1, 2, 3, 4]),
        ("we expect accessories +8% in week 3", "accessories", 8.0, [3]),
        ("dresses unchanged vs last year", "dresses", 0.0, None),
        ("outerwear sales higher by 12.5% on last year", "outerwear", 12.5, None),
    ],
)
def test_adjustment_phrasings(
    text: str, subject: str, percent: float, weeks: list[int] | None
) -> None:
    [adjustment] = find_adjustments(text)
    assert (adjustment.subject, adjustment.percent, adjustment.weeks) == (subject, percent, weeks)
    assert adjustment.is_category


def test_an_adjustment_of_something_not_a_category_is_flagged_not_dropped() -> None:
    extraction = parse_brief(PARAMETERS + " Traffic up 3% on last year.", reference_date=REFERENCE)
    assert extraction.proposed_overrides == []
    [issue] = extraction.issues
    assert issue.kind == "unparsed"
    assert "'traffic' is not a category" in issue.message


def _stated(value: Any, evidence: str) -> dict[str, Any]:
    return {"status": "stated", "value": value, "confidence": 0.95, "evidence": evidence,
            "note": None}  # fmt: skip


def _answer(adjustments: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "forecast_horizon_weeks": _stated(12, "12-week spring season"),
        "season_start_date": _stated("2027-03-02", "starting March 2"),
        "replenishment_strategy": _stated("weekly", "replenish weekly"),
        "dc_holdback_percentage": _stated(45, "keep 45% at the DC"),
        "markdown_checkpoint_week": _stated(6, "check markdowns at week 6"),
        "markdown_threshold": _stated(0.6, "sell-through is under 60%"),
        "forecast_adjustments": adjustments,
    }


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


async def _extract(fake: FakeOpenAIServer) -> ParameterExtraction:
    settings = OpenAISettings(
        _env_file=None,
        OPENAI_API_KEY="test-key",
        OPENAI_BASE_URL=fake.base_url,
        OPENAI_MODEL="gpt-test",
        OPENAI_TIMEOUT=5.0,
        OPENAI_MAX_RETRIES=0,
    )
    extractor = LLMExtractor.from_settings(settings)
    try:
        return await extractor.extract(BRIEF, reference_date=REFERENCE)
    finally:
        await extractor.aclose()


async def test_the_llm_path_proposes_the_same_overrides(fake: FakeOpenAIServer) -> None:
    fake.enqueue(
        json_reply(
            _answer(
                [
                    {"category": "Outerwear", "percent": 10, "weeks": None,
                     "against_last_year": True, "confidence": 0.9,
                     "evidence": "Outerwear up 10 % vs last year"},
                    {"category": "dresses", "percent": 0, "weeks": None,
                     "against_last_year": False, "confidence": 0.9,
                     "evidence": "dresses flat"},
                    {"category": "knitwear", "percent": -5, "weeks": [1, 2],
                     "against_last_year": False, "confidence": 0.9,
                     "evidence": "knitwear a little softer"},
                ]
            )
        )
    )  # fmt: skip
    extraction = await _extract(fake)

    [request] = fake.requests
    assert (
        "forecast_adjustments"
        in request.body["response_format"]["json_schema"]["schema"]["required"]
    )
    assert "outerwear up 10%" in request.messages[0]["content"]
    offline = parse_brief(BRIEF, reference_date=REFERENCE)
    outerwear, dresses, knitwear = extraction.proposed_overrides
    assert (outerwear.category, outerwear.percent) == ("outerwear", 10.0)
    assert outerwear.note == offline.proposed_overrides[0].note
    assert outerwear.confidence == 0.75  # capped as an inferred reading is
    assert (dresses.category, dresses.percent) == ("dresses", 0.0)
    # Words that are not the brief's are trusted less, never taken as stated.
    assert knitwear.weeks == [1, 2]
    assert knitwear.confidence == 0.5
    assert extraction.parameters == offline.parameters
    assert extraction.needs_review
    assert ParameterExtraction.model_validate_json(extraction.model_dump_json()) == extraction
