"""The agents on the real Agents SDK and `openai` client, against a local OpenAI-compatible
server that answers with handoffs, tool calls, text, refusals, errors and delays."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import pytest

from planner_agents.context import RunContext
from planner_agents.runner import AgentRunError, ChatCompletionsProvider, run_agent
from planner_agents.sdk_specialists import SdkSpecialists
from planner_shared.events import AgentName
from planner_shared.settings import OpenAISettings
from planner_tools.testing.fake_openai import (
    ErrorReply,
    FakeOpenAIServer,
    RecordedRequest,
    RefusalReply,
    TextReply,
    ToolCall,
    tool_calls_reply,
)

ContextFactory = Callable[..., RunContext]


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


def settings_for(
    fake: FakeOpenAIServer, *, timeout: float = 5.0, retries: int = 0
) -> OpenAISettings:
    return fake.settings(model="gpt-4o-mini", timeout=timeout, retries=retries)


def handoff(to: str) -> Any:
    return tool_calls_reply(ToolCall(f"transfer_to_{to}", {}))


def call(name: str, **arguments: Any) -> Any:
    return tool_calls_reply(ToolCall(name, arguments))


def system_prompt(request: RecordedRequest) -> str:
    first = request.messages[0]
    assert first["role"] == "system"
    return str(first["content"])


def tool_names(request: RecordedRequest) -> list[str]:
    return [tool["function"]["name"] for tool in request.body.get("tools", [])]


def tool_replies(request: RecordedRequest) -> list[dict[str, Any]]:
    return [json.loads(m["content"]) for m in request.messages if m["role"] == "tool"]


async def test_review_forecast_with_a_handoff_and_parallel_tool_calls(
    fake: FakeOpenAIServer, make_context: ContextFactory
) -> None:
    fake.enqueue(
        handoff("demand"),
        tool_calls_reply(ToolCall("get_forecast_summary", {}), ToolCall("flag_forecast_risks", {})),
        TextReply("12,000 units forecast; TOPS rests on a seasonal-naive fallback."),
    )
    ctx = make_context()
    outcome = await run_agent("review_forecast", ctx, settings_for(fake))

    assert outcome.summary == "12,000 units forecast; TOPS rests on a seasonal-naive fallback."
    assert outcome.model == "gpt-4o-mini"
    assert outcome.handoffs == [("orchestrator", "demand")]
    assert [(c.agent, c.name) for c in outcome.tool_calls] == [
        ("demand", "get_forecast_summary"),
        ("demand", "flag_forecast_risks"),
    ]
    assert outcome.decisions.risks is not None
    assert len(outcome.decisions.risks) == 4

    orchestrator, demand, summary = fake.requests
    assert orchestrator.headers["authorization"] == "Bearer test-key"
    assert orchestrator.body["model"] == "gpt-4o-mini"
    assert "12 weeks from 2027-03-01 to 2027-05-23" in system_prompt(orchestrator)
    assert {"transfer_to_demand", "transfer_to_inventory", "transfer_to_pricing"} <= set(
        tool_names(orchestrator)
    )
    assert orchestrator.messages[-1] == {
        "role": "user",
        "content": "Task: review_forecast\nReview this season's demand forecast: explain what "
        "drives it and flag its risks.",
    }
    assert system_prompt(demand).startswith("You are the demand planning agent.")
    assert tool_names(demand) == [
        "get_season_parameters",
        "get_forecast_summary",
        "flag_forecast_risks",
    ]
    forecast_reply, risk_reply = tool_replies(summary)[-2:]
    assert forecast_reply["season_total"] == 12_000
    assert [r["kind"] for r in risk_reply["risks"]] == [
        "wide_interval",
        "large_change_vs_history",
        "fallback_used",
        "weak_backtest",
    ]
    assert fake.pending == 0


async def test_manufacturing_order_corrected_after_a_refusal_by_the_tool(
    fake: FakeOpenAIServer, make_context: ContextFactory
) -> None:
    fake.enqueue(
        handoff("inventory"),
        call("get_manufacturing_recommendation"),
        tool_calls_reply(ToolCall("propose_manufacturing_order", '{"quantity": "lots"}')),
        call("propose_manufacturing_order", quantity=20_000, rationale="Big upside."),
        call(
            "propose_manufacturing_order",
            quantity=14_000,
            rationale="DRESS has a wide interval and +33% against last season.",
        ),
        TextReply("Proposed 14,000 units, above the 13,000 recommendation."),
    )
    progress: list[tuple[AgentName, str]] = []

    async def on_progress(agent: AgentName, message: str) -> None:
        progress.append((agent, message))

    ctx = make_context()
    outcome = await run_agent(
        "propose_manufacturing", ctx, settings_for(fake), on_progress=on_progress
    )

    proposal = outcome.decisions.manufacturing
    assert proposal is not None
    assert proposal.quantity == 14_000
    assert sum(line.quantity for line in proposal.lines) == 14_000
    assert proposal.rationale == "DRESS has a wide interval and +33% against last season."
    assert [c.arguments.get("quantity") for c in outcome.tool_calls] == [
        None,
        "lots",
        20_000,
        14_000,
    ]
    replies = tool_replies(fake.requests[-1])
    assert replies[-1]["accepted"] is True
    refused = replies[-2]
    assert refused["accepted"] is False
    assert refused["reason"] == (
        "20,000 units is outside the allowed range 10,400-15,600 (recommendation 13,000 +/- 20%)"
    )
    assert "error" in replies[-3]  # the malformed arguments, explained to the model
    assert ("inventory", "Proposed 14,000 units for approval (range 10,400-15,600)") in progress
    assert (
        "inventory",
        "Calling propose_manufacturing_order(quantity=20000, rationale=Big upside.) to put the "
        "order to the approver",
    ) in progress


async def test_propose_markdown(fake: FakeOpenAIServer, make_context: ContextFactory) -> None:
    fake.enqueue(
        handoff("pricing"),
        call("get_sell_through"),
        call("propose_markdown", rationale="DRESS is 20 points behind the target."),
        TextReply("A 25% markdown is proposed."),
    )
    outcome = await run_agent("propose_markdown", make_context(), settings_for(fake))
    markdown = outcome.decisions.markdown
    assert markdown is not None
    assert markdown.percentage == 25.0
    assert markdown.rationale.startswith("DRESS is 20 points behind the target. Rule:")
    assert "capped at 40% and rounded to 5%" in system_prompt(fake.requests[1])


async def test_a_shared_provider_serves_several_runs(fake: FakeOpenAIServer, known: Any) -> None:
    settings = settings_for(fake)
    provider = ChatCompletionsProvider(settings)
    facts = RunContext(
        workflow_id=uuid4(),
        parameters=known.parameters,
        forecast=known.forecast,
        allocation=known.allocation,
    )
    specialists = SdkSpecialists(settings, provider=provider)

    async def ignore(agent: AgentName, message: str) -> None:
        return None

    for _ in range(2):
        fake.enqueue(
            handoff("inventory"),
            call("get_allocation_summary"),
            TextReply("7,150 units went to 50 stores."),
        )
        report = await specialists.summarise_allocation(facts, ignore)
        assert report.summary == "7,150 units went to 50 stores."
        assert report.model == "gpt-4o-mini"
    await provider.aclose()
    assert len(fake.requests) == 6


# ---------------------------------------------------------------- failures a planner can act on
async def test_refusal(fake: FakeOpenAIServer, make_context: ContextFactory) -> None:
    fake.enqueue(handoff("pricing"), RefusalReply("I can't help with pricing."))
    with pytest.raises(AgentRunError, match="the model declined propose_markdown: I can't help"):
        await run_agent("propose_markdown", make_context(), settings_for(fake))


async def test_http_error(fake: FakeOpenAIServer, make_context: ContextFactory) -> None:
    fake.enqueue(ErrorReply(503, "overloaded"))
    with pytest.raises(AgentRunError, match=r"refused the request \(503\): overloaded$"):
        await run_agent("review_forecast", make_context(), settings_for(fake))


async def test_timeout(fake: FakeOpenAIServer, make_context: ContextFactory) -> None:
    fake.enqueue(TextReply("too late", delay=2.0))
    with pytest.raises(AgentRunError, match=r"did not answer within 0\.3 s .*OPENAI_TIMEOUT"):
        await run_agent("review_forecast", make_context(), settings_for(fake, timeout=0.3))


async def test_retry_after_a_server_error(
    fake: FakeOpenAIServer, make_context: ContextFactory
) -> None:
    fake.enqueue(
        ErrorReply(500),
        handoff("inventory"),
        call("get_allocation_summary"),
        TextReply("Allocation summarised."),
    )
    outcome = await run_agent("summarise_allocation", make_context(), settings_for(fake, retries=1))
    assert outcome.summary == "Allocation summarised."
    assert len(fake.requests) == 4


async def test_orchestrator_that_does_not_hand_off(
    fake: FakeOpenAIServer, make_context: ContextFactory
) -> None:
    fake.enqueue(TextReply("The forecast looks fine to me."))
    with pytest.raises(AgentRunError, match="did not hand review_forecast to the demand agent"):
        await run_agent("review_forecast", make_context(), settings_for(fake))


async def test_specialist_that_skips_its_decision(
    fake: FakeOpenAIServer, make_context: ContextFactory
) -> None:
    fake.enqueue(handoff("inventory"), TextReply("Order 13,000 units."))
    with pytest.raises(AgentRunError, match="without an accepted manufacturing proposal"):
        await run_agent("propose_manufacturing", make_context(), settings_for(fake))


async def test_unknown_tool(fake: FakeOpenAIServer, make_context: ContextFactory) -> None:
    fake.enqueue(handoff("demand"), call("delete_everything"))
    with pytest.raises(AgentRunError, match="delete_everything"):
        await run_agent("review_forecast", make_context(), settings_for(fake))


async def test_endless_tool_calls_stop_at_the_turn_limit(
    fake: FakeOpenAIServer, make_context: ContextFactory
) -> None:
    fake.enqueue(handoff("demand"), *[call("get_season_parameters") for _ in range(5)])
    with pytest.raises(AgentRunError, match="within 4 model turns"):
        await run_agent("review_forecast", make_context(), settings_for(fake), max_turns=4)
