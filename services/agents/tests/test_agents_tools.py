"""The agents' tools on known data: views, risk rules, proposals, and the SDK adapters."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from agents import FunctionTool
from agents.tool_context import ToolContext

from planner_agents import analysis, summaries, tools
from planner_agents.context import AgentPolicy, MissingFactError, RunContext
from planner_agents.schemas import (
    CategorySellThrough,
    ManufacturingProposalResult,
    SellThroughView,
)
from planner_shared.events import CategoryForecastSummary, ForecastCompletedPayload

ContextFactory = Callable[..., RunContext]


def _category(code: str, total: float, low: float, high: float, **kw: Any) -> Any:
    return CategoryForecastSummary(
        category_code=code,
        season_total=total,
        lower_80=low,
        upper_80=high,
        lower_95=low,
        upper_95=high,
        method=kw.pop("method", "ensemble"),
        **kw,
    )


def _forecast(*categories: CategoryForecastSummary, **kw: Any) -> ForecastCompletedPayload:
    return ForecastCompletedPayload(
        run_number=kw.pop("run_number", 1),
        reason=kw.pop("reason", "initial"),
        season_total=sum(c.season_total for c in categories),
        categories=list(categories),
        cluster_count=2,
        **kw,
    )


# ---------------------------------------------------------------- views
def test_season_view_renders_the_parameters(make_context: ContextFactory) -> None:
    view = analysis.season_view(make_context())
    assert view.season_end_date.isoformat() == "2027-05-23"
    assert view.checkpoint_week_start.isoformat() == "2027-04-05"
    assert "every week" in view.replenishment
    assert view.note == (
        "12-week season 2027-03-01 to 2027-05-23, weekly replenishment, 45% held at the DC, "
        "markdown check in week 6 against a 60% sell-through target"
    )


def test_forecast_view_derives_ratios(make_context: ContextFactory) -> None:
    view = analysis.forecast_view(make_context(variance_by_week={2: 0.12, 1: 0.05}))
    dress, tops, knit = view.categories
    assert dress.interval_80_width_ratio == pytest.approx(4_000 / 6_000)
    assert dress.change_vs_last_season == pytest.approx(1_500 / 4_500)
    assert tops.change_vs_last_season == pytest.approx(100 / 3_900)
    assert knit.change_vs_last_season == 0.0
    assert view.revision is None
    assert list(view.variance_by_week) == [1, 2]
    assert view.note == "Forecast run 1 (initial): 12,000 units over 12 weeks across 3 categories"


def test_missing_facts_are_named(make_context: ContextFactory) -> None:
    empty = make_context(forecast=None, allocation=None, sell_through=None)
    with pytest.raises(MissingFactError, match="no forecast"):
        analysis.forecast_view(empty)
    with pytest.raises(MissingFactError, match="manufacturing recommendation"):
        analysis.manufacturing_view(empty)
    with pytest.raises(MissingFactError, match="allocation"):
        analysis.allocation_view(empty)
    with pytest.raises(MissingFactError, match="sell-through"):
        analysis.sell_through_view(empty)


# ---------------------------------------------------------------- risks
def test_risks_of_the_known_season(make_context: ContextFactory) -> None:
    ctx = make_context()
    report = analysis.flag_forecast_risks(ctx)
    found = [(r.category_code, r.kind, r.severity) for r in report.risks]
    assert found == [
        ("DRESS", "wide_interval", "medium"),
        ("DRESS", "large_change_vs_history", "medium"),
        ("TOPS", "fallback_used", "high"),
        ("KNIT", "weak_backtest", "high"),
    ]
    assert ctx.decisions.risks == report.risks
    knit = report.risks[-1]
    assert knit.measure == pytest.approx(0.64)
    assert report.note == "4 risks flagged (2 high)"


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (750, 1_250, []),  # exactly half the forecast: on the threshold, not over it
        (749, 1_250, ["medium"]),
        (500, 1_500, ["medium"]),  # exactly the forecast's size: not over the high threshold
        (499, 1_500, ["high"]),
    ],
)
def test_wide_interval_thresholds(
    make_context: ContextFactory, low: float, high: float, expected: list[str]
) -> None:
    ctx = make_context(forecast=_forecast(_category("X", 1_000, low, high)), last_season_totals={})
    assert [r.severity for r in analysis.assess_forecast_risks(ctx)] == expected


@pytest.mark.parametrize(
    ("forecast", "last", "expected"),
    [
        (1_000, 800, []),  # +25%: on the threshold, not over it
        (1_000, 799, ["medium"]),
        (750, 1_000, []),  # -25%
        (749, 1_000, ["medium"]),
        (1_500, 1_000, ["medium"]),  # +50%: on the high threshold, not over it
        (1_501, 1_000, ["high"]),
    ],
)
def test_change_against_last_season(
    make_context: ContextFactory, forecast: float, last: float, expected: list[str]
) -> None:
    ctx = make_context(
        forecast=_forecast(_category("X", forecast, forecast * 0.95, forecast * 1.05)),
        last_season_totals={"X": last},
    )
    risks = analysis.assess_forecast_risks(ctx)
    assert [r.severity for r in risks] == expected
    assert all(r.kind == "large_change_vs_history" for r in risks)


def test_revision_of_a_reforecast_is_flagged(make_context: ContextFactory) -> None:
    forecast = _forecast(
        _category("X", 1_200, 1_150, 1_250),
        run_number=2,
        reason="variance",
        previous_season_total=1_000,
    )
    [risk] = analysis.assess_forecast_risks(make_context(forecast=forecast, last_season_totals={}))
    assert (risk.category_code, risk.kind, risk.severity) == (None, "large_revision", "medium")
    assert risk.measure == pytest.approx(0.2)
    assert "1,000 -> 1,200" in risk.message


def test_policy_thresholds_are_the_contexts(make_context: ContextFactory) -> None:
    strict = AgentPolicy(wide_interval_ratio=0.05, very_wide_interval_ratio=0.5)
    ctx = make_context(
        forecast=_forecast(_category("X", 1_000, 950, 1_100)),
        last_season_totals={},
        policy=strict,
    )
    [risk] = analysis.assess_forecast_risks(ctx)
    assert risk.threshold == 0.05


# ---------------------------------------------------------------- manufacturing
def test_manufacturing_view_bounds(make_context: ContextFactory) -> None:
    view = analysis.manufacturing_view(make_context())
    assert (view.total_quantity, view.min_quantity, view.max_quantity) == (13_000, 10_400, 15_600)
    assert view.forecast_units == 12_000
    assert view.stock_on_hand == 500


def test_proposal_within_bounds_is_recorded(make_context: ContextFactory) -> None:
    ctx = make_context()
    result = analysis.propose_manufacturing(ctx, 13_000, "As recommended.")
    assert result.accepted
    assert ctx.decisions.manufacturing == result.proposal
    assert result.proposal is not None
    assert [line.quantity for line in result.proposal.lines] == [6_600, 4_400, 2_000]


def test_modified_proposal_rescales_the_lines_exactly(make_context: ContextFactory) -> None:
    ctx = make_context()
    result = analysis.propose_manufacturing(ctx, 14_001, "DRESS interval is wide; cover upside.")
    assert result.proposal is not None
    quantities = [line.quantity for line in result.proposal.lines]
    assert sum(quantities) == 14_001
    # 6,600/13,000 x 14,001 = 7,108.2; 4,400 -> 4,738.8; 2,000 -> 2,154.0 (largest remainder)
    assert quantities == [7_108, 4_739, 2_154]


@pytest.mark.parametrize(("quantity", "rationale"), [(10_399, "ok"), (15_601, "ok"), (13_000, " ")])
def test_proposal_out_of_bounds_or_unexplained_is_refused(
    make_context: ContextFactory, quantity: int, rationale: str
) -> None:
    ctx = make_context()
    result = analysis.propose_manufacturing(ctx, quantity, rationale)
    assert not result.accepted
    assert result.proposal is None
    assert ctx.decisions.manufacturing is None
    assert result.reason


def test_tolerance_comes_from_the_policy(make_context: ContextFactory) -> None:
    ctx = make_context(policy=AgentPolicy(manufacturing_tolerance_percentage=5.0))
    view = analysis.manufacturing_view(ctx)
    assert (view.min_quantity, view.max_quantity) == (12_350, 13_650)


# ---------------------------------------------------------------- allocation
def test_allocation_view(make_context: ContextFactory) -> None:
    view = analysis.allocation_view(make_context())
    assert view.dc_holdback_share == pytest.approx(0.45)
    assert view.average_store_units == 143
    assert view.note == (
        "7,150 units to 50 stores (about 143 each), 5,850 (45%) held at the DC for weekly "
        "replenishment"
    )


# ---------------------------------------------------------------- pricing
def test_sell_through_view_weights_elasticity_by_demand(make_context: ContextFactory) -> None:
    view = analysis.sell_through_view(make_context())
    assert view.season_elasticity == pytest.approx(1.6667)
    assert view.gap == pytest.approx(0.15)
    by_code = {c.category_code: c for c in view.categories}
    assert by_code["DRESS"].indicative_markdown_percentage == 40.0  # 0.2 x 2.0 = 40
    assert by_code["TOPS"].indicative_markdown_percentage == 10.0  # 0.08 x 1.5 = 12 -> 10
    assert by_code["KNIT"].indicative_markdown_percentage == 15.0  # 0.15 x 1.0 = 15
    assert by_code["DRESS"].demand_share == pytest.approx(0.5)


def test_markdown_proposal_follows_the_rule(make_context: ContextFactory) -> None:
    ctx = make_context()
    result = analysis.propose_markdown(ctx, "DRESS is furthest behind.")
    assert result.percentage == 25.0  # 0.15 x 1.6667 = 25.0
    proposal = ctx.decisions.markdown
    assert proposal is not None
    assert proposal == result.proposal
    assert (proposal.week_number, proposal.target, proposal.max_percentage) == (6, 0.6, 40.0)
    assert proposal.rationale.startswith("DRESS is furthest behind. Rule: (60.0% target")
    assert ctx.decisions.markdown_assessed


def test_markdown_is_capped(make_context: ContextFactory, known: Any) -> None:
    ctx = make_context(sell_through=known.sell_through.model_copy(update={"sell_through": 0.1}))
    result = analysis.propose_markdown(ctx, "Far behind.")
    assert result.percentage == 40.0
    assert "capped at 40%" in result.formula


def test_no_markdown_at_target(make_context: ContextFactory, known: Any) -> None:
    at_target = known.sell_through.model_copy(update={"sell_through": 0.6, "below_target": False})
    ctx = make_context(sell_through=at_target)
    result = analysis.propose_markdown(ctx, "")
    assert result.percentage == 0.0
    assert result.proposal is None
    assert ctx.decisions.markdown is None
    assert ctx.decisions.markdown_assessed


def test_elasticity_without_a_forecast_is_an_equal_weight_mean(
    make_context: ContextFactory,
) -> None:
    view = analysis.sell_through_view(make_context(forecast=None))
    assert view.season_elasticity == pytest.approx(1.5)


def test_markdown_needs_an_elasticity(make_context: ContextFactory) -> None:
    with pytest.raises(MissingFactError, match="DRESS, KNIT, TOPS"):
        analysis.propose_markdown(make_context(elasticities={}), "why")


# ---------------------------------------------------------------- the SDK tools
async def _invoke(tool: FunctionTool, ctx: RunContext, arguments: dict[str, Any]) -> Any:
    raw = json.dumps(arguments)
    tool_context = ToolContext(
        context=ctx, tool_name=tool.name, tool_call_id="call_test", tool_arguments=raw
    )
    return json.loads(await tool.on_invoke_tool(tool_context, raw))


async def test_tools_answer_in_json(make_context: ContextFactory) -> None:
    ctx = make_context()
    forecast = await _invoke(tools.get_forecast_summary, ctx, {})
    assert forecast["season_total"] == 12_000
    answer = await _invoke(
        tools.propose_manufacturing_order, ctx, {"quantity": 13_000, "rationale": "recommended"}
    )
    assert ManufacturingProposalResult.model_validate(answer).accepted
    assert ctx.decisions.manufacturing is not None


async def test_tools_explain_what_they_cannot_do(make_context: ContextFactory) -> None:
    ctx = make_context(forecast=None)
    assert await _invoke(tools.get_forecast_summary, ctx, {}) == {
        "error": "no forecast has completed for this workflow yet"
    }
    bad = await _invoke(tools.propose_manufacturing_order, make_context(), {"quantity": "lots"})
    assert "error" in bad


def test_tool_schemas_are_strict_and_typed() -> None:
    schema = tools.propose_manufacturing_order.params_json_schema
    assert schema["properties"]["quantity"]["type"] == "integer"
    assert schema["required"] == ["quantity", "rationale"]
    assert schema["additionalProperties"] is False
    assert tools.get_season_parameters.params_json_schema["properties"] == {}
    names = {t.name for t in tools.INVENTORY_TOOLS + tools.PRICING_TOOLS + tools.DEMAND_TOOLS}
    assert names <= set(tools.TOOL_PURPOSES)


def test_a_category_a_hair_below_target_is_not_called_behind() -> None:
    def category(code: str, sell_through: float) -> CategorySellThrough:
        return CategorySellThrough(
            category_code=code,
            sell_through=sell_through,
            gap=0.6 - sell_through,
            elasticity=1.2,
            demand_share=0.5,
            indicative_markdown_percentage=None,
        )

    view = SellThroughView(
        note="",
        week_number=6,
        checkpoint_week=6,
        sell_through=0.5,
        target=0.6,
        gap=0.1,
        below_target=True,
        season_elasticity=1.2,
        max_markdown_percentage=40,
        categories=[category("KNIT", 0.5998), category("DRES", 0.316), category("ACCS", 0.62)],
    )
    assert summaries.markdown_rationale(view) == (
        "Week 6 sell-through is 50.0% against the 60% target. Furthest behind: DRES at 31.6%."
    )
