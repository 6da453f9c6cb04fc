"""A category's order as a newsvendor (planner_shared.buy), beside the rule it replaces.

The forecast-plus-safety-stock rule (manufacturing.py) still sizes each store's share key and
lead times (the allocation and the ledger read them from the plan's reasoning), and its
quantity is kept as the baseline the agents and the docs compare with. The order itself is
the critical-ratio quantile of the category's season demand less stock on hand. A category
without a unit cost or salvage value cannot be priced, and one whose stores have a planner's
uploaded safety stock (contract v1) is sized by it: both keep the rule's quantity, and the
reasoning says why.
"""

from __future__ import annotations

from typing import Any

from planner_forecast.manufacturing import ManufacturingPlan
from planner_shared.buy import Buy, BuyError, Economics, SeasonDemand, evaluate, newsvendor
from planner_shared.db.models import Category
from planner_shared.events import CategoryForecastSummary, ManufacturingLine


def economics(category: Category) -> Economics | None:
    if category.unit_cost is None or category.salvage_value is None:
        return None
    return Economics(
        price=float(category.unit_price),
        cost=float(category.unit_cost),
        salvage=float(category.salvage_value),
    )


def newsvendor_plan(
    plan: ManufacturingPlan, summary: CategoryForecastSummary, category: Category
) -> tuple[ManufacturingPlan, ManufacturingLine]:
    """The plan with the newsvendor's quantity, and its line for the proposal."""
    demand = SeasonDemand.from_intervals(
        summary.season_total,
        summary.lower_80,
        summary.upper_80,
        summary.lower_95,
        summary.upper_95,
    )
    try:
        money = economics(category)
    except BuyError as exc:
        money, missing = None, str(exc)
    else:
        missing = "no unit cost or salvage value in the category reference data"
    if plan.reasoning.get("uploaded_safety_stock_stores"):
        # A planner's uploaded safety stock is a decision of theirs: it sizes the order.
        money, missing = None, "the planner uploaded safety stock for this workflow's stores"
    line = ManufacturingLine(
        category_code=plan.category_code,
        forecast_units=plan.forecast_units,
        safety_stock_pct=plan.safety_stock_pct,
        stock_on_hand=plan.stock_on_hand,
        quantity=plan.quantity,
        rule_quantity=plan.quantity,
    )
    if money is None:
        reasoning = plan.reasoning | {"newsvendor": None, "newsvendor_missing": missing}
        return plan.model_copy(update={"reasoning": reasoning}), line
    buy = newsvendor(demand, money, plan.stock_on_hand)
    rule = evaluate(demand, money, plan.stock_on_hand, plan.quantity)
    forecast = summary.season_total
    safety = (buy.target_units - forecast) / forecast * 100 if forecast > 0 else 0.0
    reasoning = plan.reasoning | {"newsvendor": _reasoning(demand, money, buy, rule)}
    updated = plan.model_copy(
        update={
            "quantity": buy.quantity,
            "safety_stock_pct": safety,
            "forecast_units": forecast,
            "reasoning": reasoning,
        }
    )
    return updated, line.model_copy(
        update={
            "forecast_units": forecast,
            "safety_stock_pct": safety,
            "quantity": buy.quantity,
            "critical_ratio": buy.critical_ratio,
            "service_level": buy.service_level,
            "expected_margin": buy.expected_margin,
            "rule_expected_margin": rule.expected_margin,
            "demand_sigma": demand.sigma,
        }
    )


def _reasoning(demand: SeasonDemand, money: Economics, buy: Buy, rule: Buy) -> dict[str, Any]:
    return {
        "rule": "order = ceil(the critical-ratio quantile of season demand - stock on hand)",
        "critical_ratio": buy.critical_ratio,
        "price": money.price,
        "unit_cost": money.cost,
        "salvage_value": money.salvage,
        "demand": {"distribution": "normal", "mean": demand.mean, "sigma": demand.sigma},
        "target_units": buy.target_units,
        "quantity": buy.quantity,
        "service_level": buy.service_level,
        "expected_margin": buy.expected_margin,
        "safety_stock_rule": {
            "quantity": rule.quantity,
            "service_level": rule.service_level,
            "expected_margin": rule.expected_margin,
        },
    }
