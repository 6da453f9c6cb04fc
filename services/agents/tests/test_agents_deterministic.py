"""Each agent task end to end through the SDK's Runner on the deterministic model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
from agents import RunConfig, RunContextWrapper, Runner

from planner_agents import analysis, summaries
from planner_agents.context import RunContext
from planner_agents.deterministic_model import (
    DeterministicModelError,
    DeterministicModelProvider,
    next_output,
    plan_tools,
)
from planner_agents.runner import AgentRunError, run_agent
from planner_agents.sdk_specialists import SdkSpecialists
from planner_agents.team import build_team, task_message
from planner_shared.events import AgentName, CategoryVarianceResult, VarianceCheckedPayload
from planner_shared.settings import OpenAISettings

from .conftest import FORECAST

ContextFactory = Callable[..., RunContext]


@pytest.fixture
def offline() -> OpenAISettings:
    return OpenAISettings(_env_file=None, OPENAI_API_KEY="")


class Recorder:
    def __init__(self) -> None:
        self.messages: list[tuple[AgentName, str]] = []

    async def __call__(self, agent: AgentName, message: str) -> None:
        self.messages.append((agent, message))


async def test_review_forecast(make_context: ContextFactory, offline: OpenAISettings) -> None:
    ctx = make_context()
    outcome = await run_agent("review_forecast", ctx, offline)
    assert outcome.agent == "demand"
    assert outcome.model == "deterministic"
    assert outcome.handoffs == [("orchestrator", "demand")]
    assert [(c.agent, c.name) for c in outcome.tool_calls] == [
        ("demand", "get_season_parameters"),
        ("demand", "get_forecast_summary"),
        ("demand", "flag_forecast_risks"),
    ]
    assert outcome.model_requests == 5  # one handoff, three tools, one summary
    risks = outcome.decisions.risks
    assert risks is not None
    assert [(r.category_code, r.kind) for r in risks] == [
        ("DRESS", "wide_interval"),
        ("DRESS", "large_change_vs_history"),
        ("TOPS", "fallback_used"),
        ("KNIT", "weak_backtest"),
    ]
    assert outcome.summary.startswith(
        "Forecast run 1 (initial) for the 12-week season from 2027-03-01: 12,000 units across "
        "3 categories. By category: DRESS 6,000 (50%), 80% interval 4,000-8,000, ensemble of "
        "Prophet 60% and ARIMA 40%;"
    )
    # Equal weights: a mean of members, named as a list, in a planner's words.
    assert "KNIT 2,000 (17%), 80% interval 1,800-2,300, mean of Prophet and ARIMA" in (
        outcome.summary
    )
    assert "Against the same weeks last season: DRESS +33%, TOPS +3%, KNIT +0%." in outcome.summary
    assert "High risk: TOPS: forecast fell back to same week last year" in outcome.summary
    assert outcome.decisions.manufacturing is None


async def test_propose_manufacturing(make_context: ContextFactory, offline: OpenAISettings) -> None:
    ctx = make_context()
    outcome = await run_agent("propose_manufacturing", ctx, offline)
    proposal = outcome.decisions.manufacturing
    assert proposal is not None
    assert (proposal.quantity, proposal.min_quantity, proposal.max_quantity) == (
        13_000,
        10_400,
        15_600,
    )
    assert proposal.rationale == (
        "Forecast demand of 12,000 units over 12 weeks plus safety stock from the forecast "
        "uncertainty, minus 500 units on hand, gives the recommended 13,000 units; 45% of the "
        "order will be held at the DC for weekly replenishment."
    )
    [order] = [c for c in outcome.tool_calls if c.name == "propose_manufacturing_order"]
    assert order.arguments == {"quantity": 13_000, "rationale": proposal.rationale}
    assert outcome.summary.startswith(
        "Proposed a manufacturing order of 13,000 units for approval (the forecast service's "
        "recommendation; the approver may set 10,400-15,600). By category: DRESS 6,600 "
        "(forecast 6,000, safety stock 15.0%, on hand 300);"
    )


async def test_summarise_allocation_reports_progress(
    make_context: ContextFactory, offline: OpenAISettings
) -> None:
    progress = Recorder()
    outcome = await run_agent("summarise_allocation", make_context(), offline, on_progress=progress)
    assert outcome.summary == (
        "Allocated 13,000 units: 7,150 to 50 stores (about 143 each) and 5,850 (45%, plan 45%) "
        "held at the DC; stores are topped up from the DC holdback every week over the 12 "
        "weeks. By category: DRESS 3,630, KNIT 1,100, TOPS 2,420."
    )
    assert progress.messages == [
        ("orchestrator", "Routing summarise_allocation to the inventory agent"),
        ("orchestrator", "Handed summarise_allocation to the inventory agent"),
        (
            "inventory",
            "Working on summarise_allocation: Summarise the initial allocation to stores and "
            "the DC holdback for the planner.",
        ),
        ("inventory", "Calling get_season_parameters() to read this season's parameters"),
        (
            "inventory",
            "12-week season 2027-03-01 to 2027-05-23, weekly replenishment, 45% held at the DC, "
            "markdown check in week 6 against a 60% sell-through target",
        ),
        ("inventory", "Calling get_allocation_summary() to read where the allocated units went"),
        (
            "inventory",
            "7,150 units to 50 stores (about 143 each), 5,850 (45%) held at the DC for weekly "
            "replenishment",
        ),
    ]
    assert outcome.decisions.manufacturing is None
    assert outcome.decisions.markdown is None


async def test_propose_markdown(make_context: ContextFactory, offline: OpenAISettings) -> None:
    outcome = await run_agent("propose_markdown", make_context(), offline)
    markdown = outcome.decisions.markdown
    assert markdown is not None
    assert markdown.percentage == 25.0
    assert markdown.elasticity == pytest.approx(1.6667)
    assert outcome.summary == (
        "Week 6 sell-through is 45.0% against the 60% target. Furthest behind: DRESS at 40.0%, "
        "KNIT at 45.0%, TOPS at 52.0%. Demand-weighted rule parameter 1.6667 markdown points "
        "per point of sell-through gap. The markdown "
        "rule gives (60.0% target - 45.0% actual) x markdown points per point of gap 1.6667 = "
        "25.00%, rounded to 25%: "
        "proposed a 25% markdown for approval (maximum 40%)."
    )


async def test_no_markdown_when_the_rule_gives_none(
    make_context: ContextFactory, offline: OpenAISettings, known: Any
) -> None:
    # 0.59 is below target, but 0.01 x 1.6667 = 1.7% rounds to zero.
    near = known.sell_through.model_copy(update={"sell_through": 0.59})
    outcome = await run_agent("propose_markdown", make_context(sell_through=near), offline)
    assert outcome.decisions.markdown_assessed
    assert outcome.decisions.markdown is None
    assert outcome.summary.endswith("none proposed.")


async def test_a_missing_fact_fails_the_run_with_its_reason(
    make_context: ContextFactory, offline: OpenAISettings
) -> None:
    progress = Recorder()
    with pytest.raises(AgentRunError) as failure:
        await run_agent(
            "review_forecast", make_context(forecast=None), offline, on_progress=progress
        )
    assert str(failure.value) == (
        "get_forecast_summary could not answer: no forecast has completed for this workflow yet"
    )
    assert progress.messages[-1] == (
        "demand",
        "get_forecast_summary could not answer: no forecast has completed for this workflow yet",
    )


async def test_runs_are_deterministic(
    make_context: ContextFactory, offline: OpenAISettings
) -> None:
    first = await run_agent("propose_markdown", make_context(), offline)
    second = await run_agent("propose_markdown", make_context(), offline)
    assert first.summary == second.summary
    assert first.tool_calls == second.tool_calls


async def test_streamed_run_gives_the_same_result(make_context: ContextFactory) -> None:
    team = build_team()
    ctx = make_context()
    streamed = Runner.run_streamed(
        team.orchestrator,
        task_message("propose_manufacturing"),
        context=ctx,
        run_config=RunConfig(
            model="deterministic",
            model_provider=DeterministicModelProvider(),
            tracing_disabled=True,
        ),
    )
    kinds = [event.type async for event in streamed.stream_events()]
    assert "raw_response_event" in kinds
    assert "agent_updated_stream_event" in kinds
    assert streamed.last_agent.name == "inventory"
    assert isinstance(streamed.final_output, str)
    assert streamed.final_output.startswith("Proposed a manufacturing order of 13,000 units")
    assert ctx.decisions.manufacturing is not None


def test_the_model_needs_a_task() -> None:
    team = build_team()
    with pytest.raises(DeterministicModelError, match="does not name a known task"):
        next_output([{"role": "user", "content": "plan something"}], team.demand.tools, [])


def test_the_model_needs_the_plans_tools() -> None:
    team = build_team()
    items = [{"role": "user", "content": task_message("propose_markdown")}]
    with pytest.raises(
        DeterministicModelError, match="needs the get_sell_through, propose_markdown tool"
    ):
        next_output(items, team.demand.tools, [])


def test_plans_use_only_the_specialists_tools() -> None:
    team = build_team()
    assert set(plan_tools("review_forecast")) <= {t.name for t in team.demand.tools}
    assert set(plan_tools("propose_manufacturing")) <= {t.name for t in team.inventory.tools}
    assert set(plan_tools("summarise_allocation")) <= {t.name for t in team.inventory.tools}
    assert set(plan_tools("propose_markdown")) <= {t.name for t in team.pricing.tools}


def _week_one_check() -> VarianceCheckedPayload:
    """Week 1 a little short in total, with DRESS far below and KNIT far above the plan."""
    categories = [
        CategoryVarianceResult(
            category_code="DRESS", forecast_units=500, actual_units=350, variance=0.3, exceeded=True
        ),
        CategoryVarianceResult(
            category_code="KNIT", forecast_units=200, actual_units=250, variance=0.25, exceeded=True
        ),
        CategoryVarianceResult(
            category_code="TOPS",
            forecast_units=300,
            actual_units=320,
            variance=0.0667,
            exceeded=False,
        ),
    ]
    return VarianceCheckedPayload(
        week_number=1,
        total_variance=0.08,
        by_category={c.category_code: c.variance for c in categories},
        threshold=0.2,
        exceeded=True,
        forecast_units=1000,
        actual_units=920,
        total_exceeded=False,
        categories=categories,
    )


def test_demand_review_says_which_side_of_the_forecast_the_actuals_fell(
    make_context: ContextFactory,
) -> None:
    ctx = make_context(variance_by_week={1: 0.08}, latest_variance=_week_one_check())
    review = summaries.forecast_review(
        analysis.season_view(ctx), analysis.forecast_view(ctx), analysis.flag_forecast_risks(ctx)
    )
    assert (
        "Actuals against the forecast, week 1: total 8.0% below forecast (within 20%); "
        "KNIT 25.0% above forecast; DRESS 30.0% below forecast." in review
    )


async def test_instructions_render_this_seasons_facts(make_context: ContextFactory) -> None:
    team = build_team()
    wrapper = RunContextWrapper(
        make_context(variance_by_week={1: 0.08}, latest_variance=_week_one_check())
    )
    prompts = {
        agent.name: await agent.get_system_prompt(wrapper)
        for agent in (team.orchestrator, team.demand, team.inventory, team.pricing)
    }
    for prompt in prompts.values():
        assert prompt is not None
        assert "12 weeks from 2027-03-01 to 2027-05-23" in prompt
        assert "45% of the order held at the DC" in prompt
        assert "week 6 (starting 2027-04-05) with a target sell-through of 60%" in prompt
        assert "Forecast run 1 (initial): 12,000 units in total" in prompt
        assert "Variance against the forecast so far (either side): week 1 8%." in prompt
        assert (
            "Latest check, week 1: total 8.0% below forecast (within 20%); "
            "KNIT 25.0% above forecast; DRESS 30.0% below forecast." in prompt
        )
        assert "Sell-through in week 6: 45.0% against the 60% target." in prompt
    assert "- propose_markdown: hand off to the pricing agent" in str(prompts["orchestrator"])
    assert "an order may be proposed between 10,400 and 15,600" in str(prompts["inventory"])
    assert "+/-20% of it" in str(prompts["inventory"])
    assert "capped at 40% and rounded to 5%" in str(prompts["pricing"])
    assert "80% interval wider than 50% of the forecast" in str(prompts["demand"])


async def test_specialists_adapter_answers_the_orchestrators_protocol(
    offline: OpenAISettings, known: Any
) -> None:
    facts = RunContext(
        workflow_id=uuid4(),
        parameters=known.parameters,
        forecast=known.forecast,
        allocation=known.allocation,
        sell_through=known.sell_through,
        elasticities={"DRESS": 2.0, "TOPS": 1.5, "KNIT": 1.0},
    )
    progress = Recorder()
    specialists = SdkSpecialists(offline)
    report, proposal = await specialists.propose_manufacturing(facts, progress)
    assert proposal.quantity == 13_000
    assert report.agent == "inventory"
    assert report.task == "propose_manufacturing"
    assert report.output["proposal"]["quantity"] == 13_000
    assert report.tool_calls[-1]["name"] == "propose_manufacturing_order"
    review = await specialists.review_forecast(facts, progress)
    # Without last season's totals the history rule stays silent: three risks, not four.
    assert [r["kind"] for r in review.output["risks"]] == [
        "wide_interval",
        "fallback_used",
        "weak_backtest",
    ]
    markdown_report, markdown = await specialists.propose_markdown(facts, progress)
    assert markdown is not None
    assert markdown_report.output["proposal"]["percentage"] == 25.0
    allocation = await specialists.summarise_allocation(facts, progress)
    assert allocation.summary.startswith("Allocated 13,000 units")
    assert {agent for agent, _ in progress.messages} == {
        "orchestrator",
        "demand",
        "inventory",
        "pricing",
    }


async def test_the_buy_is_explained_in_numbers(
    make_context: ContextFactory, offline: OpenAISettings
) -> None:
    """Newsvendor lines: each category's units, service level and expected margin against the
    safety-stock rule, and bounds per line that let any one line take the order's range."""
    assert FORECAST.manufacturing is not None
    lines = [
        line.model_copy(
            update={
                "critical_ratio": 0.75,
                "service_level": 0.749,
                "expected_margin": 917_346.0 - i,
                "rule_quantity": line.quantity + 600,
                "rule_expected_margin": 907_718.0,
            }
        )
        for i, line in enumerate(FORECAST.manufacturing.lines)
    ]
    forecast = FORECAST.model_copy(
        update={"manufacturing": FORECAST.manufacturing.model_copy(update={"lines": lines})}
    )
    outcome = await run_agent("propose_manufacturing", make_context(forecast=forecast), offline)
    proposal = outcome.decisions.manufacturing
    assert proposal is not None
    assert "maximises its expected margin" in proposal.rationale
    assert (
        "DRESS 6,600 units (critical ratio 75%: service level 75%, expected margin $917k; the "
        "safety-stock rule's 7,200 would earn $908k, $9,628 less)" in proposal.rationale
    )
    assert "DRESS 6,600 units (critical ratio 75%" in outcome.summary
    slack = proposal.max_quantity - proposal.quantity
    for line in proposal.lines:
        assert line.max_quantity == line.quantity + slack
        assert line.min_quantity == max(
            line.quantity - (proposal.quantity - proposal.min_quantity), 0
        )
