"""The extraction service end to end over real Redis and PostgreSQL, offline and with an LLM
(the real `openai` client against the local fake server)."""

from __future__ import annotations

from datetime import date

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_extraction.app import SERVICE_NAME, extraction_setup
from planner_extraction.settings import ExtractionSettings
from planner_shared.bus.streams import decode_entry, stream_for
from planner_shared.events import (
    EventBase,
    ExtractionCompleted,
    ExtractionFailed,
    ExtractionRequested,
    ExtractionRequestedPayload,
    parse_event,
)
from planner_shared.runtime import open_runtime
from planner_shared.settings import OpenAISettings
from planner_tools.testing.bus_probe import wait_for
from planner_tools.testing.fake_openai import FakeOpenAIServer, json_reply
from planner_tools.testing.streams import stream_entries

Sessions = async_sessionmaker[AsyncSession]
BRIEF = (
    "Plan the 12-week spring season starting March 2, replenish weekly, keep 45% at the DC, "
    "check markdowns at week 6 if sell-through is under 60%"
)


def _request(brief: str, reference: str | None = "2026-11-02") -> ExtractionRequested:
    return ExtractionRequested(
        producer="gateway",
        payload=ExtractionRequestedPayload(brief=brief, reference_date=reference),
    )


async def _reply(redis: aioredis.Redis, stream: str, request: EventBase) -> EventBase:
    async def replied() -> bool:
        return await _find(redis, stream, request) is not None

    await wait_for(replied, within=30)
    reply = await _find(redis, stream, request)
    assert reply is not None
    return reply


async def _find(redis: aioredis.Redis, stream: str, request: EventBase) -> EventBase | None:
    for _id, fields in await stream_entries(redis, stream):
        event = parse_event(decode_entry(fields))
        if event.causation_id == request.event_id:
            return event
    return None


async def test_offline_service_answers_briefs_good_and_empty(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    settings: ExtractionSettings = service_settings(ExtractionSettings)
    offline = OpenAISettings(_env_file=None, OPENAI_API_KEY=None)
    stream = stream_for(settings, ExtractionRequested)
    good, empty, bad_date = (
        _request(BRIEF),
        _request("hello team, thoughts?"),
        _request(BRIEF, "next tuesday"),
    )
    async with open_runtime(SERVICE_NAME, settings, extraction_setup(offline)) as runtime:
        for request in (good, empty, bad_date):
            await runtime.publisher.publish(request)
        answer = await _reply(redis_client, stream, good)
        nothing = await _reply(redis_client, stream, empty)
        refused = await _reply(redis_client, stream, bad_date)

    assert isinstance(answer, ExtractionCompleted)
    extraction = answer.payload.extraction
    assert extraction.extractor == "offline"
    assert extraction.parameters.forecast_horizon_weeks == 12
    assert extraction.parameters.season_start_date == date(2027, 3, 2)
    assert extraction.parameters.dc_holdback_percentage == 45
    assert extraction.parameters.markdown_checkpoint_week == 6
    assert extraction.parameters.markdown_threshold == 0.6
    assert isinstance(nothing, ExtractionCompleted)
    assert not nothing.payload.extraction.usable
    assert nothing.payload.extraction.issues
    assert isinstance(refused, ExtractionFailed)
    assert "next tuesday" in refused.payload.reason


async def test_llm_service_uses_the_model_and_falls_back_when_it_fails(
    service_settings, sessionmaker: Sessions, redis_client: aioredis.Redis
) -> None:
    # The tests' 300 ms claim time would redeliver a reply slower than that on a loaded
    # machine, and count a third request to the model: redelivery is not what this tests.
    settings: ExtractionSettings = service_settings(ExtractionSettings, claim_idle_ms=30_000)
    stream = stream_for(settings, ExtractionRequested)
    answer = {
        name: {
            "status": "stated",
            "value": value,
            "confidence": 0.9,
            "evidence": quote,
            "note": None,
        }
        for name, value, quote in (
            ("forecast_horizon_weeks", 12, "12-week spring season"),
            ("season_start_date", "2027-03-02", "starting March 2"),
            ("replenishment_strategy", "weekly", "replenish weekly"),
            ("dc_holdback_percentage", 45, "keep 45% at the DC"),
            ("markdown_checkpoint_week", 6, "check markdowns at week 6"),
            ("markdown_threshold", 0.6, "sell-through is under 60%"),
        )
    }
    with FakeOpenAIServer([json_reply(answer), json_reply({"not": "the schema"})]) as fake:
        llm = OpenAISettings(
            _env_file=None,
            OPENAI_API_KEY="test-key",
            OPENAI_BASE_URL=fake.base_url,
            OPENAI_MODEL="gpt-test",
            OPENAI_TIMEOUT=5,
            OPENAI_MAX_RETRIES=0,
        )
        first, second = _request(BRIEF), _request(BRIEF)
        async with open_runtime(SERVICE_NAME, settings, extraction_setup(llm)) as runtime:
            await runtime.publisher.publish(first)
            by_model = await _reply(redis_client, stream, first)
            await runtime.publisher.publish(second)
            fallback = await _reply(redis_client, stream, second)
        assert len(fake.requests) == 2
    assert isinstance(by_model, ExtractionCompleted)
    assert by_model.payload.extraction.extractor == "llm"
    assert by_model.payload.extraction.parameters.dc_holdback_percentage == 45
    assert isinstance(fallback, ExtractionCompleted)
    assert fallback.payload.extraction.extractor == "offline"
    assert (
        "language model could not read the brief" in fallback.payload.extraction.issues[0].message
    )
    assert fallback.payload.extraction.parameters.forecast_horizon_weeks == 12
