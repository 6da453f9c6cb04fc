"""The agents' function tools: typed, over the run's context, answering in JSON.

Each tool is a thin SDK adapter over a function of `analysis.py`. A tool that cannot answer
(a fact not there yet, an argument out of range) tells the model why, as `{"error": ...}`,
so it can correct itself; anything else is a bug and fails the run.
"""

from __future__ import annotations

from typing import Any

from agents import FunctionTool, RunContextWrapper, function_tool
from agents.exceptions import ModelBehaviorError

from planner_agents import analysis
from planner_agents.context import MissingFactError, RunContext
from planner_agents.schemas import ToolError


def _explain_failure(ctx: RunContextWrapper[Any], error: Exception) -> str:
    # A pydantic ValidationError (bad arguments) is a ValueError too.
    if isinstance(error, MissingFactError | ValueError | ModelBehaviorError):
        return ToolError(error=str(error)).model_dump_json()
    raise error


@function_tool(failure_error_function=_explain_failure)
def get_season_parameters(ctx: RunContextWrapper[RunContext]) -> str:
    """The season's parameters: length, dates, replenishment, DC holdback, markdown checkpoint
    and target sell-through."""
    return analysis.season_view(ctx.context).model_dump_json()


@function_tool(failure_error_function=_explain_failure)
def get_forecast_summary(ctx: RunContextWrapper[RunContext]) -> str:
    """The demand forecast: season total, per category the point forecast, 80%/95% intervals,
    method, ensemble weights, backtest errors, last season's same weeks, and the weekly
    variance against actuals so far."""
    return analysis.forecast_view(ctx.context).model_dump_json()


@function_tool(failure_error_function=_explain_failure)
def flag_forecast_risks(ctx: RunContextWrapper[RunContext]) -> str:
    """Check the forecast against the risk rules (fallback used, wide interval, large change
    against last season or the previous run, weak backtest) and record the risks found."""
    return analysis.flag_forecast_risks(ctx.context).model_dump_json()


@function_tool(failure_error_function=_explain_failure)
def get_manufacturing_recommendation(ctx: RunContextWrapper[RunContext]) -> str:
    """The forecast service's manufacturing recommendation per category (forecast, safety
    stock, stock on hand) and the range an order may be proposed within."""
    return analysis.manufacturing_view(ctx.context).model_dump_json()


@function_tool(failure_error_function=_explain_failure)
def propose_manufacturing_order(
    ctx: RunContextWrapper[RunContext], quantity: int, rationale: str
) -> str:
    """Propose the manufacturing order for human approval.

    Args:
        quantity: Units to manufacture; must lie within the allowed range.
        rationale: Why this quantity, in a few factual sentences for the approver.
    """
    return analysis.propose_manufacturing(ctx.context, quantity, rationale).model_dump_json()


@function_tool(failure_error_function=_explain_failure)
def get_allocation_summary(ctx: RunContextWrapper[RunContext]) -> str:
    """The initial allocation: units to stores and per category, the DC holdback against the
    plan, and the replenishment strategy."""
    return analysis.allocation_view(ctx.context).model_dump_json()


@function_tool(failure_error_function=_explain_failure)
def get_sell_through(ctx: RunContextWrapper[RunContext]) -> str:
    """Sell-through at the markdown checkpoint, overall and per category, against the target,
    with each category's price elasticity and the season's demand-weighted elasticity."""
    return analysis.sell_through_view(ctx.context).model_dump_json()


@function_tool(failure_error_function=_explain_failure)
def propose_markdown(ctx: RunContextWrapper[RunContext], rationale: str) -> str:
    """Apply the markdown rule, (target - actual sell-through) x elasticity, capped and rounded
    to 5%, and propose the result for human approval (nothing when no markdown is needed).

    Args:
        rationale: Why a markdown is (or is not) warranted, in a few factual sentences.
    """
    return analysis.propose_markdown(ctx.context, rationale).model_dump_json()


DEMAND_TOOLS: list[FunctionTool] = [
    get_season_parameters,
    get_forecast_summary,
    flag_forecast_risks,
]
INVENTORY_TOOLS: list[FunctionTool] = [
    get_season_parameters,
    get_forecast_summary,
    get_manufacturing_recommendation,
    propose_manufacturing_order,
    get_allocation_summary,
]
PRICING_TOOLS: list[FunctionTool] = [
    get_season_parameters,
    get_forecast_summary,
    get_sell_through,
    propose_markdown,
]
ORCHESTRATOR_TOOLS: list[FunctionTool] = [get_season_parameters]

# What each call is for, in the words the planner sees while the agent works.
TOOL_PURPOSES: dict[str, str] = {
    "get_season_parameters": "to read this season's parameters",
    "get_forecast_summary": "to read the forecast per category with its intervals",
    "flag_forecast_risks": "to check the forecast against the risk rules",
    "get_manufacturing_recommendation": "to read the recommended order and its allowed range",
    "propose_manufacturing_order": "to put the order to the approver",
    "get_allocation_summary": "to read where the allocated units went",
    "get_sell_through": "to compare sell-through with the target",
    "propose_markdown": "to apply the markdown rule and put the result to the approver",
}
