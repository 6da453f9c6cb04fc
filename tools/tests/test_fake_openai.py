"""The fake OpenAI server speaks the real wire format: the real `openai` client and the Agents
SDK run against it unchanged."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import openai
import pytest
from agents import Agent, OpenAIChatCompletionsModel, RunConfig, Runner, function_tool
from openai import AsyncOpenAI
from pydantic import BaseModel

from planner_tools.testing.fake_openai import (
    ErrorReply,
    FakeOpenAIServer,
    RefusalReply,
    TextReply,
    ToolCall,
    json_reply,
    tool_calls_reply,
)


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


def client_for(fake: FakeOpenAIServer, *, timeout: float = 5.0, retries: int = 0) -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key="test-key", base_url=fake.base_url, timeout=timeout, max_retries=retries
    )


class Answer(BaseModel):
    city: str
    population: int


async def test_text_reply_has_the_api_shape_and_usage(fake: FakeOpenAIServer) -> None:
    fake.enqueue(TextReply("Hello there, planner."))
    client = client_for(fake)
    completion = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "say hello to me"}]
    )
    assert completion.choices[0].message.content == "Hello there, planner."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "gpt-4o-mini"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 4
    assert completion.usage.completion_tokens == 3
    assert completion.usage.total_tokens == 7
    [recorded] = fake.requests
    assert recorded.path == "/v1/chat/completions"
    assert recorded.headers["authorization"] == "Bearer test-key"
    assert recorded.messages == [{"role": "user", "content": "say hello to me"}]
    await client.close()


async def test_structured_output_is_parsed_by_the_client(fake: FakeOpenAIServer) -> None:
    fake.enqueue(json_reply({"city": "Lyon", "population": 522_000}))
    client = client_for(fake)
    completion = await client.chat.completions.parse(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "a city"}],
        response_format=Answer,
    )
    assert completion.choices[0].message.parsed == Answer(city="Lyon", population=522_000)
    sent_format = fake.requests[0].body["response_format"]
    assert sent_format["type"] == "json_schema"
    assert sent_format["json_schema"]["strict"] is True
    assert sent_format["json_schema"]["schema"]["required"] == ["city", "population"]
    await client.close()


async def test_refusal_is_reported_in_the_message(fake: FakeOpenAIServer) -> None:
    fake.enqueue(RefusalReply("I can't help with that."))
    client = client_for(fake)
    completion = await client.chat.completions.parse(
        model="m", messages=[{"role": "user", "content": "x"}], response_format=Answer
    )
    message = completion.choices[0].message
    assert message.refusal == "I can't help with that."
    assert message.parsed is None
    assert message.content is None
    await client.close()


async def test_tool_calls_round_trip(fake: FakeOpenAIServer) -> None:
    fake.enqueue(
        tool_calls_reply(
            ToolCall("get_weather", {"city": "Lyon"}),
            ToolCall("get_time", '{"zone": "CET"}', id="call_fixed"),
        )
    )
    client = client_for(fake)
    completion = await client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "weather?"}]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls
    assert calls is not None
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]
    assert json.loads(calls[0].function.arguments) == {"city": "Lyon"}
    assert calls[1].id == "call_fixed"
    assert calls[0].id != calls[1].id
    await client.close()


async def test_error_status_raises_the_matching_client_error(fake: FakeOpenAIServer) -> None:
    fake.enqueue(ErrorReply(429, "slow down", "rate_limit_error", code="rate_limit_exceeded"))
    client = client_for(fake)
    with pytest.raises(openai.RateLimitError) as caught:
        await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert caught.value.status_code == 429
    assert caught.value.code == "rate_limit_exceeded"
    await client.close()


async def test_client_retries_a_server_error_then_succeeds(fake: FakeOpenAIServer) -> None:
    fake.enqueue(ErrorReply(503, "overloaded"), TextReply("ok"))
    client = client_for(fake, retries=1)
    completion = await client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "x"}]
    )
    assert completion.choices[0].message.content == "ok"
    assert len(fake.requests) == 2
    assert fake.pending == 0
    await client.close()


async def test_delay_makes_the_client_time_out(fake: FakeOpenAIServer) -> None:
    fake.enqueue(TextReply("too late", delay=2.0))
    client = client_for(fake, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert time.monotonic() - started < 1.5
    await client.close()


async def test_running_out_of_script_is_a_clear_400(fake: FakeOpenAIServer) -> None:
    client = client_for(fake, retries=2)
    with pytest.raises(openai.BadRequestError, match="no scripted reply left"):
        await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert len(fake.requests) == 1
    await client.close()


async def test_streaming_text_and_usage(fake: FakeOpenAIServer) -> None:
    text = "A streamed answer that is longer than one sixteen-character piece."
    fake.enqueue(TextReply(text))
    client = client_for(fake)
    stream = await client.chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "stream please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces: list[str] = []
    finish: str | None = None
    usage_total: int | None = None
    async for chunk in stream:
        if chunk.choices:
            pieces.append(chunk.choices[0].delta.content or "")
            finish = chunk.choices[0].finish_reason or finish
        if chunk.usage is not None:
            usage_total = chunk.usage.total_tokens
    assert "".join(pieces) == text
    assert finish == "stop"
    assert usage_total == 2 + len(text.split())
    await client.close()


async def test_streaming_tool_calls_reassemble(fake: FakeOpenAIServer) -> None:
    fake.enqueue(tool_calls_reply(ToolCall("lookup", {"query": "spring season", "limit": 10})))
    client = client_for(fake)
    stream = await client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "x"}], stream=True
    )
    name = ""
    arguments = ""
    async for chunk in stream:
        for call in chunk.choices[0].delta.tool_calls or []:
            assert call.index == 0
            if call.function is not None:
                name += call.function.name or ""
                arguments += call.function.arguments or ""
    assert name == "lookup"
    assert json.loads(arguments) == {"query": "spring season", "limit": 10}
    await client.close()


async def test_models_endpoint_lists_the_fake_model(fake: FakeOpenAIServer) -> None:
    client = client_for(fake)
    models = await client.models.list()
    assert [m.id async for m in models] == ["fake-model"]
    await client.close()


async def test_agents_sdk_calls_a_tool_and_answers(fake: FakeOpenAIServer) -> None:
    seen: list[str] = []

    @function_tool
    def season_length(category: str) -> int:
        """Weeks in the season for a category."""
        seen.append(category)
        return 12

    fake.enqueue(
        tool_calls_reply(ToolCall("season_length", {"category": "dresses"})),
        TextReply("Dresses run for 12 weeks."),
    )
    client = client_for(fake)
    agent = Agent(
        name="planner",
        instructions="Answer with the season length.",
        tools=[season_length],
        model=OpenAIChatCompletionsModel(model="gpt-4o-mini", openai_client=client),
    )
    result = await Runner.run(
        agent, "How long is the dresses season?", run_config=RunConfig(tracing_disabled=True)
    )
    assert result.final_output == "Dresses run for 12 weeks."
    assert seen == ["dresses"]
    second = fake.requests[1].messages
    tool_message = next(m for m in second if m["role"] == "tool")
    assert tool_message["content"] == "12"
    assert second[-2]["tool_calls"][0]["function"]["name"] == "season_length"
    await client.close()


async def test_agents_sdk_streams_a_tool_call_then_the_answer(fake: FakeOpenAIServer) -> None:
    @function_tool
    def season_length(category: str) -> int:
        """Weeks in the season for a category."""
        return 12

    fake.enqueue(
        tool_calls_reply(ToolCall("season_length", {"category": "dresses"})),
        TextReply("Dresses run for 12 weeks, streamed."),
    )
    client = client_for(fake)
    agent = Agent(
        name="planner",
        instructions="Answer with the season length.",
        tools=[season_length],
        model=OpenAIChatCompletionsModel(model="gpt-4o-mini", openai_client=client),
    )
    result = Runner.run_streamed(
        agent, "How long is the dresses season?", run_config=RunConfig(tracing_disabled=True)
    )
    kinds = {event.type async for event in result.stream_events()}
    assert result.final_output == "Dresses run for 12 weeks, streamed."
    assert {"raw_response_event", "run_item_stream_event"} <= kinds
    assert all(request.body["stream"] is True for request in fake.requests)
    await client.close()


def test_stop_does_not_wait_out_a_long_delay() -> None:
    server = FakeOpenAIServer([TextReply("never", delay=30)])
    server.start()
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{server.base_url}/chat/completions",
            json={"model": "m", "messages": []},
            timeout=0.2,
        )
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 3
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url
