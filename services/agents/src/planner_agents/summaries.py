"""Plain factual text written from tool results: the deterministic model's voice.

Every sentence is built from figures a tool returned, nothing else.
"""

from __future__ import annotations

from planner_agents.buy_words import buy_line_words
from planner_agents.schemas import (
    AllocationView,
    CategoryForecastView,
    ForecastView,
    ManufacturingProposalResult,
    ManufacturingView,
    MarkdownResult,
    RiskReport,
    SeasonView,
    SellThroughView,
)
from planner_shared.markdown import BEHIND_MIN_GAP
from planner_shared.model_labels import model_label


def _method(c: CategoryForecastView) -> str:
    used = {m: w for m, w in c.weights.items() if w > 0}
    if c.fallback_reason or len(used) < 2:
        return model_label(c.method)
    ranked = sorted(used.items(), key=lambda kv: -kv[1])
    if max(used.values()) - min(used.values()) < 0.005:
        # Equal weights (the `cv_subset` combination): a mean, named as a list.
        return "mean of " + _listing([model_label(m) for m, _ in ranked])
    return "ensemble of " + _listing([f"{model_label(m)} {w:.0%}" for m, w in ranked])


def _listing(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def forecast_review(season: SeasonView, forecast: ForecastView, risks: RiskReport) -> str:
    p = season.parameters
    ranked = sorted(forecast.categories, key=lambda c: -c.season_total)
    total = forecast.season_total
    parts = [
        f"Forecast run {forecast.run_number} ({forecast.reason}) for the "
        f"{p.forecast_horizon_weeks}-week season from {p.season_start_date.isoformat()}: "
        f"{total:,.0f} units across {len(ranked)} categories."
    ]
    if forecast.revision is not None and forecast.previous_season_total is not None:
        parts.append(
            f"That is {forecast.revision:+.1%} against the previous run "
            f"({forecast.previous_season_total:,.0f})."
        )
    if ranked:
        details = "; ".join(
            f"{c.category_code} {c.season_total:,.0f}"
            + (f" ({c.season_total / total:.0%})" if total > 0 else "")
            + f", 80% interval {c.lower_80:,.0f}-{c.upper_80:,.0f}, {_method(c)}"
            for c in ranked
        )
        parts.append(f"By category: {details}.")
    history = [c for c in ranked if c.change_vs_last_season is not None]
    if history:
        parts.append(
            "Against the same weeks last season: "
            + ", ".join(f"{c.category_code} {c.change_vs_last_season:+.0%}" for c in history)
            + "."
        )
    if forecast.latest_variance:
        parts.append(f"Actuals against the forecast, {forecast.latest_variance}.")
    elif forecast.variance_by_week:
        latest_week = max(forecast.variance_by_week)
        parts.append(
            f"Actuals off the forecast by {forecast.variance_by_week[latest_week]:.0%} "
            f"(either side) in week {latest_week}."
        )
    if risks.risks:
        for severity in ("high", "medium"):
            found = [r.message for r in risks.risks if r.severity == severity]
            if found:
                parts.append(f"{severity.capitalize()} risk: " + "; ".join(found) + ".")
    else:
        parts.append("No risk flagged by the forecast rules.")
    return " ".join(parts)


def manufacturing_rationale(season: SeasonView, view: ManufacturingView) -> str:
    p = season.parameters
    holdback = (
        f"{p.dc_holdback_percentage:g}% of the order will be held at the DC for "
        f"{p.replenishment_strategy.value} replenishment."
    )
    if view.lines and all(line.expected_margin is not None for line in view.lines):
        return (
            f"Forecast demand of {view.forecast_units:,.0f} units over "
            f"{p.forecast_horizon_weeks} weeks. Each category's order is the quantity that "
            f"maximises its expected margin (the season demand's critical-ratio quantile, "
            f"(price - cost) / (price - salvage)) less its stock on hand ({view.stock_on_hand:,} "
            f"in all): {view.total_quantity:,} units. By category: "
            + "; ".join(buy_line_words(line) for line in view.lines)
            + f". {holdback}"
        )
    return (
        f"Forecast demand of {view.forecast_units:,.0f} units over {p.forecast_horizon_weeks} "
        f"weeks plus safety stock from the forecast uncertainty, minus {view.stock_on_hand:,} "
        f"units on hand, gives the recommended {view.total_quantity:,} units; {holdback}"
    )


def manufacturing_proposal(view: ManufacturingView, result: ManufacturingProposalResult) -> str:
    proposal = result.proposal
    if proposal is None:
        return f"No manufacturing order proposed: {result.reason}."
    lines = "; ".join(buy_line_words(line) for line in proposal.lines)
    basis = (
        "the forecast service's recommendation"
        if proposal.quantity == view.total_quantity
        else f"against a recommendation of {view.total_quantity:,}"
    )
    return (
        f"Proposed a manufacturing order of {proposal.quantity:,} units for approval ({basis}; "
        f"the approver may set {proposal.min_quantity:,}-{proposal.max_quantity:,}). "
        f"By category: {lines}."
    )


def allocation_summary(season: SeasonView, view: AllocationView) -> str:
    p = season.parameters
    categories = ", ".join(f"{code} {units:,}" for code, units in sorted(view.by_category.items()))
    text = (
        f"Allocated {view.total_units:,} units: {view.store_units:,} to {view.store_count} "
        f"stores (about {view.average_store_units:,.0f} each) and {view.dc_holdback_units:,} "
        f"({view.dc_holdback_share:.0%}, plan {view.planned_holdback_percentage:g}%) held at "
        f"the DC; {season.replenishment} over the {p.forecast_horizon_weeks} weeks."
    )
    if categories:
        text += f" By category: {categories}."
    if view.stock_risks:
        text += " Stock-out risks: " + "; ".join(view.stock_risks) + "."
    elif view.stock_risks is not None:
        text += " The stock ledger projects no stock-out in any store or at the DC."
    return text


def markdown_rationale(view: SellThroughView) -> str:
    text = (
        f"Week {view.week_number} sell-through is {view.sell_through:.1%} against the "
        f"{view.target:.0%} target."
    )
    # Half a point behind at least: a category at 59.98% of a 60% target is not "behind".
    behind = sorted((c for c in view.categories if c.gap >= BEHIND_MIN_GAP), key=lambda c: -c.gap)
    if behind:
        text += " Furthest behind: " + ", ".join(
            f"{c.category_code} at {c.sell_through:.1%}" for c in behind[:3]
        )
        text += "."
    return text


def markdown_summary(view: SellThroughView, result: MarkdownResult) -> str:
    text = markdown_rationale(view)
    if view.season_elasticity is not None:
        text += (
            f" Demand-weighted rule parameter {view.season_elasticity:g} markdown points per "
            "point of sell-through gap."
        )
    by_category = f" By category, for margin: {result.by_category}." if result.by_category else ""
    if result.proposal is None:
        return (
            f"{text} The markdown rule gives {result.formula}{result.margin}; none proposed."
            f"{by_category}"
        )
    # On target as a whole, a category behind: the rule's one depth is none, the lines decide.
    proposed = (
        f"proposed a {result.percentage:g}% markdown for approval"
        if result.percentage > 0
        else "proposed by category for approval"
    )
    return (
        f"{text} The markdown rule gives {result.formula}{result.margin}: {proposed} (maximum "
        f"{view.max_markdown_percentage:g}%).{by_category}"
    )
