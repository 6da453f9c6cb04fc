"""The LLM path: the real `openai` client against a local OpenAI-compatible server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from planner_extraction.errors import ExtractionError
from planner_extraction.extractor import (
    FallbackExtractor,
    OfflineExtractor,
    build_extractor,
)
from planner_extraction.llm import LLMExtractor, build_client
from planner_extraction.offline_parser import parse_brief
from planner_shared.parameters import ParameterExtraction, ParameterSource
from planner_shared.settings import OpenAISettings
from planner_tools.testing.fake_openai import (
    ErrorReply,
    FakeOpenAIServer,
    RefusalReply,
    TextReply,
    json_reply,
)

REFERENCE = date(2026, 11, 2)
BRIEF = (
    "Plan the 12-week spring season starting March 2, replenish weekly, keep 45% at the DC, "
    "check markdowns at week 6 if sell-through is under 60%"
)


def stated(value: Any, evidence: str, confidence: float = 0.95) -> dict[str, Any]:
    return {
        "status": "stated",
        "value": value,
        "confidence": confidence,
        "evidence": evidence,
        "note": None,
    }


ABSENT = {"status": "absent", "value": None, "confidence": 0.0, "evidence": None, "note": None}


def good_answer(**overrides: dict[str, Any]) -> dict[str, Any]:
    answer = {
        "forecast_horizon_weeks": stated(12, "12-week spring season"),
        "season_start_date": stated("2027-03-02", "starting March 2"),
        "replenishment_strategy": stated("weekly", "replenish weekly"),
        "dc_holdback_percentage": stated(45, "keep 45% at the DC"),
        "markdown_checkpoint_week": stated(6, "check markdowns at week 6"),
        "markdown_threshold": stated(0.6, "sell-through is under 60%"),
    }
    answer.update(overrides)
    return answer


def settings_for(
    fake: FakeOpenAIServer, *, timeout: float = 5.0, retries: int = 0
) -> OpenAISettings:
    return fake.settings(model="gpt-test", timeout=timeout, retries=retries)


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


async def extract_with(settings: OpenAISettings, brief: str = BRIEF) -> ParameterExtraction:
    extractor = LLMExtractor.from_settings(settings)
    try:
        return await extractor.extract(brief, reference_date=REFERENCE)
    finally:
        await extractor.aclose()


async def test_a_good_answer_gives_the_same_shape_as_the_offline_parser(
    fake: FakeOpenAIServer,
) -> None:
    fake.enqueue(json_reply(good_answer()))
    extraction = await extract_with(settings_for(fake))
    offline = parse_brief(BRIEF, reference_date=REFERENCE)

    assert extraction.extractor == "llm"
    assert extraction.parameters == offline.parameters
    assert extraction.fields.keys() == offline.fields.keys()
    assert extraction.issues == []
    assert extraction.usable
    assert not extraction.needs_review
    assert all(f.source is ParameterSource.STATED for f in extraction.fields.values())
    assert extraction.fields["dc_holdback_percentage"].evidence == "keep 45% at the DC"
    # The event payload carries it as JSON: it must come back the same.
    assert ParameterExtraction.model_validate_json(extraction.model_dump_json()) == extraction


async def test_the_request_carries_the_schema_the_prompt_and_the_brief(
    fake: FakeOpenAIServer,
) -> None:
    fake.enqueue(json_reply(good_answer()))
    await extract_with(settings_for(fake))
    [request] = fake.requests
    assert request.headers["authorization"] == "Bearer test-key"
    assert request.body["model"] == "gpt-test"
    response_format = request.body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "BriefReading"
    assert response_format["json_schema"]["strict"] is True
    system, user = request.messages
    assert system["role"] == "system"
    for words in ("1-52", "0-100", "fraction 0-1", "bi_weekly", "Never guess"):
        assert words in system["content"]
    assert "2026-11-02 (Monday)" in user["content"]
    assert BRIEF in user["content"]


async def test_out_of_range_and_invalid_answers_fall_back_to_defaults_and_are_flagged(
    fake: FakeOpenAIServer,
) -> None:
    fake.enqueue(
        json_reply(
            good_answer(
                forecast_horizon_weeks=stated(12.5, "12-week spring season"),
                replenishment_strategy=stated("daily", "replenish weekly"),
                dc_holdback_percentage=stated(150, "keep 45% at the DC"),
                markdown_threshold=stated(60, "sell-through is under 60%"),
                season_start_date=stated("March 2nd", "starting March 2"),
            )
        )
    )
    extraction = await extract_with(settings_for(fake))
    kinds = {issue.field: issue.kind for issue in extraction.issues}
    assert kinds == {
        "forecast_horizon_weeks": "invalid",
        "season_start_date": "invalid",
        "replenishment_strategy": "out_of_range",
        "dc_holdback_percentage": "out_of_range",
        "markdown_threshold": "out_of_range",
    }
    parameters = extraction.parameters
    assert parameters.forecast_horizon_weeks == 12
    assert parameters.dc_holdback_percentage == 45
    assert parameters.markdown_threshold == 0.6
    assert parameters.season_start_date == date(2026, 11, 9)
    for name in kinds:
        assert name is not None
        field = extraction.fields[name]
        assert field.source is ParameterSource.DEFAULT
        assert field.confidence == 0
    assert extraction.fields["markdown_checkpoint_week"].source is ParameterSource.STATED


async def test_absent_and_contradictory_answers_become_issues(fake: FakeOpenAIServer) -> None:
    contradictory = {
        "status": "contradictory",
        "value": None,
        "confidence": 0.2,
        "evidence": "replenish weekly",
        "note": "weekly and none",
    }
    fake.enqueue(
        json_reply(
            good_answer(
                replenishment_strategy=contradictory,
                markdown_threshold=ABSENT,
                # Inferred with no value says nothing (stated null is "no markdown").
                markdown_checkpoint_week={
                    **stated(None, "check markdowns at week 6"),
                    "status": "inferred",
                },
            )
        )
    )
    extraction = await extract_with(settings_for(fake))
    kinds = {issue.field: issue.kind for issue in extraction.issues}
    assert kinds == {
        "replenishment_strategy": "contradictory",
        "markdown_threshold": "missing",
        "markdown_checkpoint_week": "invalid",
    }
    assert "weekly and none" in extraction.issues[0].message


async def test_no_markdown_from_the_model_is_a_season_without_a_checkpoint(
    fake: FakeOpenAIServer,
) -> None:
    fake.enqueue(
        json_reply(
            good_answer(
                markdown_checkpoint_week=stated(None, "no markdown"),
                markdown_threshold=ABSENT,
                dc_holdback_percentage=stated(0, "no DC holdback"),
            )
        )
    )
    brief = "12-week season starting March 2, replenish weekly, no DC holdback, no markdown."
    extraction = await extract_with(settings_for(fake), brief)
    assert extraction.parameters.markdown_checkpoint_week is None
    assert extraction.parameters.dc_holdback_percentage == 0
    assert extraction.fields["markdown_checkpoint_week"].source is ParameterSource.STATED
    assert not extraction.issues  # no threshold asked for a season without a markdown


async def test_model_claims_are_checked_against_the_brief(fake: FakeOpenAIServer) -> None:
    fake.enqueue(
        json_reply(
            good_answer(
                dc_holdback_percentage=stated(40, "hold back 40% centrally", confidence=0.99),
                markdown_checkpoint_week={
                    **stated(6, "check markdowns at week 6", confidence=0.95),
                    "status": "inferred",
                },
            )
        )
    )
    extraction = await extract_with(settings_for(fake))
    holdback = extraction.fields["dc_holdback_percentage"]
    assert holdback.source is ParameterSource.INFERRED
    assert holdback.confidence == 0.5
    checkpoint = extraction.fields["markdown_checkpoint_week"]
    assert checkpoint.source is ParameterSource.INFERRED
    assert checkpoint.confidence == 0.75


async def test_nothing_usable_from_the_model_says_what_is_missing(fake: FakeOpenAIServer) -> None:
    fake.enqueue(json_reply(dict.fromkeys(good_answer(), ABSENT)))
    extraction = await extract_with(settings_for(fake), "Same as last year please.")
    assert not extraction.usable
    assert extraction.issues[0].field is None
    assert "none of the season parameters" in extraction.issues[0].message


@pytest.mark.parametrize(
    ("reply", "kind", "retryable"),
    [
        (TextReply('{"forecast_horizon_weeks": {"status": "stated", '), "malformed", True),
        (json_reply({"forecast_horizon_weeks": ABSENT}), "malformed", True),
        (TextReply(""), "malformed", True),
        (TextReply("{}", finish_reason="length"), "malformed", False),
        (RefusalReply("I can't help with that request."), "refusal", False),
        (TextReply("", finish_reason="content_filter"), "refusal", False),
        (ErrorReply(500, "boom"), "api_error", True),
        (ErrorReply(401, "bad key", "invalid_request_error"), "api_error", False),
        (ErrorReply(429, "slow down", "rate_limit_error"), "rate_limited", True),
    ],
    ids=[
        "truncated-json",
        "schema-mismatch",
        "empty",
        "cut-off",
        "refusal",
        "content-filter",
        "server-error",
        "unauthorised",
        "rate-limited",
    ],
)
async def test_failures_are_typed(
    fake: FakeOpenAIServer, reply: Any, kind: str, retryable: bool
) -> None:
    fake.enqueue(reply)
    with pytest.raises(ExtractionError) as caught:
        await extract_with(settings_for(fake))
    assert caught.value.kind == kind
    assert caught.value.retryable is retryable
    assert caught.value.reason
    assert 400 <= caught.value.http_status < 600


async def test_a_slow_model_times_out_at_the_configured_timeout(fake: FakeOpenAIServer) -> None:
    fake.enqueue(json_reply(good_answer(), delay=3.0))
    started = time.monotonic()
    with pytest.raises(ExtractionError) as caught:
        await extract_with(settings_for(fake, timeout=0.3))
    assert time.monotonic() - started < 2.0
    assert caught.value.kind == "timeout"
    assert caught.value.retryable
    assert caught.value.http_status == 504


async def test_a_transient_error_is_retried_by_the_client(fake: FakeOpenAIServer) -> None:
    fake.enqueue(ErrorReply(503, "overloaded"), json_reply(good_answer()))
    extraction = await extract_with(settings_for(fake, retries=1))
    assert extraction.extractor == "llm"
    assert len(fake.requests) == 2


async def test_an_unreachable_model_is_a_retryable_connection_error() -> None:
    with FakeOpenAIServer() as server:
        settings = settings_for(server)
    with pytest.raises(ExtractionError) as caught:
        await extract_with(settings)
    assert (caught.value.kind, caught.value.retryable) == ("connection", True)


async def test_the_fallback_reads_with_the_offline_parser_and_says_so(
    fake: FakeOpenAIServer,
) -> None:
    fake.enqueue(RefusalReply("No."))
    extractor = build_extractor(settings_for(fake))
    assert isinstance(extractor, FallbackExtractor)
    try:
        extraction = await extractor.extract(BRIEF, reference_date=REFERENCE)
    finally:
        await extractor.aclose()
    assert extraction.extractor == "offline"
    assert extraction.parameters == parse_brief(BRIEF, reference_date=REFERENCE).parameters
    notice = extraction.issues[0]
    assert notice.field is None
    assert "could not read the brief" in notice.message
    assert "No." in notice.message
    assert extraction.needs_review


async def test_without_fallback_the_error_propagates(fake: FakeOpenAIServer) -> None:
    fake.enqueue(ErrorReply(500, "boom"))
    extractor = build_extractor(settings_for(fake), fall_back_to_offline=False)
    assert isinstance(extractor, LLMExtractor)
    try:
        with pytest.raises(ExtractionError):
            await extractor.extract(BRIEF, reference_date=REFERENCE)
    finally:
        await extractor.aclose()


async def test_without_a_key_the_offline_parser_is_used() -> None:
    settings = OpenAISettings(_env_file=None, OPENAI_API_KEY="")
    extractor = build_extractor(settings)
    assert isinstance(extractor, OfflineExtractor)
    extraction = await extractor.extract(BRIEF, reference_date=REFERENCE)
    assert extraction.extractor == "offline"
    await extractor.aclose()
    with pytest.raises(ExtractionError) as caught:
        build_client(settings)
    assert caught.value.kind == "not_configured"


async def test_the_client_uses_the_configured_timeout_and_retries() -> None:
    settings = OpenAISettings(
        _env_file=None, OPENAI_API_KEY="k", OPENAI_TIMEOUT=12.5, OPENAI_MAX_RETRIES=4
    )
    client = build_client(settings)
    assert client.timeout == 12.5
    assert client.max_retries == 4
    await client.close()
