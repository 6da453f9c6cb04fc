"""The agents' tools as plain functions over a RunContext: read views, risk rules, proposals.

`tools.py` exposes these to the Agents SDK; keeping them plain lets them be tested (and
reused) without a model in the loop.
"""

from __future__ import annotations

from planner_agents.bounds import quantity_bounds
from planner_agents.buy_words import buy_line_words
from planner_agents.context import (
    AgentPolicy,
    ForecastRisk,
    MissingFactError,
    RiskKind,
    RiskSeverity,
    RunContext,
)
from planner_agents.markdown_lines import explain_lines, markdown_lines
from planner_agents.schemas import (
    AllocationView,
    CategoryForecastView,
    CategorySellThrough,
    ForecastView,
    ManufacturingProposalResult,
    ManufacturingView,
    MarkdownResult,
    RiskReport,
    SeasonView,
    SellThroughView,
)
from planner_shared.buy import line_bounds, split_total
from planner_shared.events import (
    CategoryForecastSummary,
    ManufacturingLine,
    ManufacturingProposal,
    MarkdownProposal,
)
from planner_shared.markdown import compute_markdown
from planner_shared.model_labels import model_label
from planner_shared.parameters import ReplenishmentStrategy
from planner_shared.wording import variance_summary

_REPLENISHMENT = {
    ReplenishmentStrategy.WEEKLY: "stores are topped up from the DC holdback every week",
    ReplenishmentStrategy.BI_WEEKLY: "stores are topped up from the DC holdback every two weeks",
    ReplenishmentStrategy.NONE: (
        "no replenishment: stores sell what they receive at the start, and the DC holdback "
        "is only released by a planner's decision"
    ),
}


def _ratio(numerator: float, denominator: float | None) -> float | None:
    if denominator is None or denominator <= 0:
        return None
    return numerator / denominator


# ---------------------------------------------------------------- season
def season_view(ctx: RunContext) -> SeasonView:
    p = ctx.parameters
    return SeasonView(
        parameters=p,
        season_end_date=p.season_end_date,
        checkpoint_week_start=(
            p.week_start(p.markdown_checkpoint_week) if p.markdown_checkpoint_week else None
        ),
        replenishment=_REPLENISHMENT[p.replenishment_strategy],
        note=(
            f"{p.forecast_horizon_weeks}-week season {p.season_start_date.isoformat()} to "
            f"{p.season_end_date.isoformat()}, {p.replenishment_strategy.value} replenishment, "
            f"{p.dc_holdback_percentage:g}% held at the DC, "
            + (
                f"markdown check in week {p.markdown_checkpoint_week} against a "
                f"{p.markdown_threshold:.0%} sell-through target"
                if p.markdown_checkpoint_week is not None
                else "no markdown checkpoint"
            )
        ),
    )


# ---------------------------------------------------------------- forecast
def _category_view(ctx: RunContext, c: CategoryForecastSummary) -> CategoryForecastView:
    last = ctx.last_season_totals.get(c.category_code)
    change = _ratio(c.season_total - last, last) if last is not None else None
    return CategoryForecastView(
        category_code=c.category_code,
        season_total=c.season_total,
        lower_80=c.lower_80,
        upper_80=c.upper_80,
        lower_95=c.lower_95,
        upper_95=c.upper_95,
        interval_80_width_ratio=_ratio(c.upper_80 - c.lower_80, c.season_total),
        method=c.method,
        weights=c.weights,
        backtest_wape=c.backtest_wape,
        fallback_reason=c.fallback_reason,
        last_season_total=last,
        change_vs_last_season=change,
    )


def forecast_view(ctx: RunContext) -> ForecastView:
    forecast = ctx.forecast
    if forecast is None:
        raise MissingFactError("no forecast has completed for this workflow yet")
    previous = forecast.previous_season_total
    revision = _ratio(forecast.season_total - previous, previous) if previous is not None else None
    note = (
        f"Forecast run {forecast.run_number} ({forecast.reason}): "
        f"{forecast.season_total:,.0f} units over {ctx.parameters.forecast_horizon_weeks} weeks "
        f"across {len(forecast.categories)} categories"
    )
    if revision is not None:
        note += f", {revision:+.1%} against the previous run"
    return ForecastView(
        run_number=forecast.run_number,
        reason=forecast.reason,
        horizon_weeks=ctx.parameters.forecast_horizon_weeks,
        season_total=forecast.season_total,
        previous_season_total=previous,
        revision=revision,
        cluster_count=forecast.cluster_count,
        categories=[_category_view(ctx, c) for c in forecast.categories],
        variance_by_week=dict(sorted(ctx.variance_by_week.items())),
        latest_variance=(
            f"week {ctx.latest_variance.week_number}: {variance_summary(ctx.latest_variance)}"
            if ctx.latest_variance is not None
            else None
        ),
        note=note,
    )


def _severity(measure: float, threshold: float, high_threshold: float) -> RiskSeverity | None:
    if measure > high_threshold:
        return "high"
    if measure > threshold:
        return "medium"
    return None


def _weighted_backtest_wape(c: CategoryForecastSummary) -> float | None:
    # The ensemble's own error is at most the weighted error of its members (the absolute
    # error is convex), so this is an honest upper bound on it.
    used = {m: w for m, w in c.weights.items() if w > 0 and m in c.backtest_wape}
    total = sum(used.values())
    if total <= 0:
        return None
    return sum(w * c.backtest_wape[m] for m, w in used.items()) / total


def assess_forecast_risks(ctx: RunContext) -> list[ForecastRisk]:
    """The forecast's risks by rule, season total first, then category by category.

    - fallback_used: a category fell back to a simpler method (always high);
    - wide_interval: the 80% interval is wider than `wide_interval_ratio` of the forecast;
    - large_change_vs_history: the forecast moved more than `history_change_ratio` from the
      same weeks last season (the seasonal-naive baseline);
    - large_revision: a re-forecast moved the season total more than `revision_ratio`;
    - weak_backtest: the members' weighted backtest WAPE is above `weak_backtest_wape`.
    """
    view = forecast_view(ctx)
    risks = _revision_risks(view, ctx.policy)
    summaries = {c.category_code: c for c in ctx.categories}
    for c in view.categories:
        risks += _category_risks(c, summaries[c.category_code], ctx.policy)
    return risks


def _revision_risks(view: ForecastView, policy: AgentPolicy) -> list[ForecastRisk]:
    if view.revision is None:
        return []
    return _risk_past(
        None,
        "large_revision",
        view.revision,
        (policy.revision_ratio, 2 * policy.revision_ratio),
        f"The re-forecast moved the season total {view.revision:+.1%} "
        f"({view.previous_season_total:,.0f} -> {view.season_total:,.0f} units)",
        size=abs(view.revision),
    )


def _risk_past(
    code: str | None,
    kind: RiskKind,
    measure: float,
    bounds: tuple[float, float],
    message: str,
    size: float | None = None,
) -> list[ForecastRisk]:
    """One risk of `kind` when the measure's `size` (default: the measure) passes the first
    of `bounds`, high past the second; none within them."""
    threshold, high_threshold = bounds
    severity = _severity(measure if size is None else size, threshold, high_threshold)
    if not severity:
        return []
    return [
        ForecastRisk(
            category_code=code,
            kind=kind,
            severity=severity,
            measure=measure,
            threshold=threshold,
            message=message,
        )
    ]


def _category_risks(
    c: CategoryForecastView, summary: CategoryForecastSummary, policy: AgentPolicy
) -> list[ForecastRisk]:
    code = c.category_code
    risks: list[ForecastRisk] = []
    if c.fallback_reason:
        risks.append(
            ForecastRisk(
                category_code=code,
                kind="fallback_used",
                severity="high",
                measure=None,
                threshold=None,
                message=(
                    f"{code}: forecast fell back to {model_label(c.method)} ({c.fallback_reason})"
                ),
            )
        )
    if (ratio := c.interval_80_width_ratio) is not None:
        risks += _risk_past(
            code,
            "wide_interval",
            ratio,
            (policy.wide_interval_ratio, policy.very_wide_interval_ratio),
            f"{code}: the 80% interval {c.lower_80:,.0f}-{c.upper_80:,.0f} "
            f"spans {ratio:.0%} of the {c.season_total:,.0f}-unit forecast",
        )
    if (change := c.change_vs_last_season) is not None and c.last_season_total is not None:
        risks += _risk_past(
            code,
            "large_change_vs_history",
            change,
            (policy.history_change_ratio, policy.large_history_change_ratio),
            f"{code}: {c.season_total:,.0f} units is {change:+.0%} against the same "
            f"weeks last season ({c.last_season_total:,.0f})",
            size=abs(change),
        )
    if (weighted := _weighted_backtest_wape(summary)) is not None:
        risks += _risk_past(
            code,
            "weak_backtest",
            weighted,
            (policy.weak_backtest_wape, 2 * policy.weak_backtest_wape),
            f"{code}: backtest error (WAPE) of the fitted models is {weighted:.0%}",
        )
    return risks


def flag_forecast_risks(ctx: RunContext) -> RiskReport:
    """Assess the risks and record them as the run's decision."""
    risks = assess_forecast_risks(ctx)
    ctx.decisions.risks = risks
    high = sum(r.severity == "high" for r in risks)
    noun = "risk" if len(risks) == 1 else "risks"
    note = f"{len(risks)} {noun} flagged ({high} high)" if risks else "No forecast risk flagged"
    return RiskReport(categories_checked=len(ctx.categories), risks=risks, note=note)


# ---------------------------------------------------------------- manufacturing
def manufacturing_view(ctx: RunContext) -> ManufacturingView:
    recommendation = ctx.manufacturing
    if recommendation is None:
        raise MissingFactError("the forecast carries no manufacturing recommendation yet")
    tolerance = ctx.policy.manufacturing_tolerance_percentage
    low, high = quantity_bounds(recommendation.total_quantity, tolerance)
    forecast_units = sum(line.forecast_units for line in recommendation.lines)
    stock = sum(line.stock_on_hand for line in recommendation.lines)
    return ManufacturingView(
        total_quantity=recommendation.total_quantity,
        forecast_units=forecast_units,
        stock_on_hand=stock,
        lines=_lines_with_bounds(recommendation.lines, recommendation.total_quantity, low, high),
        min_quantity=low,
        max_quantity=high,
        tolerance_percentage=tolerance,
        note=(
            f"Recommended order {recommendation.total_quantity:,} units "
            f"(forecast {forecast_units:,.0f}, minus {stock:,} on hand); "
            f"allowed range {low:,}-{high:,}. By category: "
            + "; ".join(buy_line_words(line) for line in recommendation.lines)
        ),
    )


def _lines_with_bounds(
    lines: list[ManufacturingLine], quantity: int, low: int, high: int
) -> list[ManufacturingLine]:
    """Lines split to add up to `quantity` exactly (by their shares, largest remainder), each
    with its bounds: any line may take the whole of the order's range (buy.line_bounds)."""
    units = split_total(quantity, {line.category_code: line.quantity for line in lines})
    bounds = line_bounds(units, low, high)
    return [
        line.model_copy(
            update={
                "quantity": units[line.category_code],
                "min_quantity": bounds[line.category_code][0],
                "max_quantity": bounds[line.category_code][1],
            }
        )
        for line in lines
    ]


def propose_manufacturing(
    ctx: RunContext, quantity: int, rationale: str
) -> ManufacturingProposalResult:
    """Record the order to put to the approver, if it lies within the allowed range."""
    view = manufacturing_view(ctx)
    reason: str | None = None
    if not rationale.strip():
        reason = "a proposal needs a rationale the approver can read"
    elif not view.min_quantity <= quantity <= view.max_quantity:
        reason = (
            f"{quantity:,} units is outside the allowed range {view.min_quantity:,}-"
            f"{view.max_quantity:,} (recommendation {view.total_quantity:,} +/- "
            f"{view.tolerance_percentage:g}%)"
        )
    if reason is not None:
        return ManufacturingProposalResult(
            accepted=False, reason=reason, proposal=None, note=f"Proposal refused: {reason}"
        )
    proposal = ManufacturingProposal(
        quantity=quantity,
        min_quantity=view.min_quantity,
        max_quantity=view.max_quantity,
        lines=_lines_with_bounds(view.lines, quantity, view.min_quantity, view.max_quantity),
        rationale=rationale.strip(),
    )
    ctx.decisions.manufacturing = proposal
    return ManufacturingProposalResult(
        accepted=True,
        reason=None,
        proposal=proposal,
        note=f"Proposed {quantity:,} units for approval (range {view.min_quantity:,}-"
        f"{view.max_quantity:,})",
    )


# ---------------------------------------------------------------- allocation
def allocation_view(ctx: RunContext) -> AllocationView:
    allocation = ctx.allocation
    if allocation is None:
        raise MissingFactError("no allocation has completed for this workflow yet")
    p = ctx.parameters
    share = allocation.dc_holdback_units / allocation.total_units if allocation.total_units else 0.0
    average = allocation.store_units / allocation.store_count if allocation.store_count else 0.0
    return AllocationView(
        total_units=allocation.total_units,
        store_units=allocation.store_units,
        store_count=allocation.store_count,
        average_store_units=average,
        dc_holdback_units=allocation.dc_holdback_units,
        dc_holdback_share=share,
        planned_holdback_percentage=p.dc_holdback_percentage,
        replenishment_strategy=p.replenishment_strategy,
        by_category=dict(allocation.by_category),
        stock_risks=None if ctx.stock is None else list(ctx.stock.risks),
        note=(
            f"{allocation.store_units:,} units to {allocation.store_count} stores "
            f"(about {average:,.0f} each), {allocation.dc_holdback_units:,} ({share:.0%}) held "
            f"at the DC for {p.replenishment_strategy.value} replenishment" + _stock_risks(ctx)
        ),
    )


def _stock_risks(ctx: RunContext) -> str:
    """The forward plan's stock-out risks, or that it sees none."""
    if ctx.stock is None:
        return ""
    if not ctx.stock.risks:
        return ". Stock ledger: no stock-out projected for any store or the DC"
    return ". Stock-out risks on the forward plan: " + "; ".join(ctx.stock.risks)


# ---------------------------------------------------------------- pricing
def _demand_shares(ctx: RunContext) -> dict[str, float]:
    total = sum(c.season_total for c in ctx.categories)
    if total <= 0:
        return {}
    return {c.category_code: c.season_total / total for c in ctx.categories}


def sell_through_view(ctx: RunContext) -> SellThroughView:
    st = ctx.sell_through
    if st is None:
        raise MissingFactError("sell-through has not been computed for this workflow yet")
    shares = _demand_shares(ctx)
    max_pct = ctx.policy.max_markdown_percentage
    categories = []
    for code, value in sorted(st.by_category.items()):
        elasticity = ctx.elasticities.get(code)
        indicative = (
            compute_markdown(st.target, value, elasticity, max_percentage=max_pct).percentage
            if elasticity is not None
            else None
        )
        categories.append(
            CategorySellThrough(
                category_code=code,
                sell_through=value,
                gap=st.target - value,
                elasticity=elasticity,
                elasticity_source=ctx.elasticity_sources.get(code),
                demand_share=shares.get(code),
                indicative_markdown_percentage=indicative,
            )
        )
    elasticity = _season_elasticity(ctx, [c.category_code for c in categories], shares)
    gap = st.target - st.sell_through
    position = "below" if gap > 0 else "at or above"
    return SellThroughView(
        week_number=st.week_number,
        checkpoint_week=ctx.parameters.markdown_checkpoint_week,
        sell_through=st.sell_through,
        target=st.target,
        gap=gap,
        below_target=gap > 0,
        season_elasticity=elasticity,
        max_markdown_percentage=max_pct,
        categories=categories,
        note=(
            f"Week {st.week_number} sell-through {st.sell_through:.1%}, {position} the "
            f"{st.target:.0%} target"
        ),
    )


def _season_elasticity(ctx: RunContext, codes: list[str], shares: dict[str, float]) -> float | None:
    """Elasticities of the categories on sale, weighted by their share of the forecast."""
    known = [code for code in (codes or sorted(ctx.elasticities)) if code in ctx.elasticities]
    if not known:
        return None
    weights = {code: shares.get(code, 0.0) for code in known}
    if sum(weights.values()) <= 0:
        weights = dict.fromkeys(known, 1.0)
    total = sum(weights.values())
    return round(sum(ctx.elasticities[c] * w for c, w in weights.items()) / total, 4)


def _elasticity_origin(ctx: RunContext, view: SellThroughView) -> str:
    """Where the elasticities came from, said in the proposal's rationale."""
    parts = []
    for c in view.categories:
        if c.elasticity is None or c.elasticity_source is None:
            continue
        if c.elasticity_source == "markdown history" and ctx.demand_lift_per_point is not None:
            parts.append(
                f"{c.category_code} {c.elasticity:g} from the uploaded markdown history "
                f"(demand lift {ctx.demand_lift_per_point:.2f} per markdown point at "
                f"{c.sell_through:.1%} sell-through: 1 / ({ctx.demand_lift_per_point:.2f} x "
                f"{c.sell_through:.3f}))"
            )
        else:
            parts.append(f"{c.category_code} {c.elasticity:g} ({c.elasticity_source})")
    return f"Markdown points per point of gap: {'; '.join(parts)}." if parts else ""


def propose_markdown(ctx: RunContext, rationale: str) -> MarkdownResult:
    """Each category's markdown for margin (markdown_lines.py), and the seed rule's one depth
    for them all beside it; record the proposal when any depth is above zero."""
    view = sell_through_view(ctx)
    if view.season_elasticity is None:
        codes = ", ".join(c.category_code for c in view.categories) or "the season"
        raise MissingFactError(f"no price elasticity is known for {codes}")
    computation = compute_markdown(
        view.target,
        view.sell_through,
        view.season_elasticity,
        max_percentage=view.max_markdown_percentage,
    )
    ctx.decisions.markdown_assessed = True
    formula = computation.explain()
    percentage, margin_note = _for_margin(ctx, computation.percentage)
    lines = (
        []
        if ctx.stock is None
        else markdown_lines(ctx.stock, view.categories, view.target, view.max_markdown_percentage)
    )
    explained = explain_lines(lines)
    by_line = f". By category, for margin: {explained}" if lines else ""
    if percentage <= 0 and not any(line.percentage > 0 for line in lines):
        ctx.decisions.markdown = None
        return MarkdownResult(
            percentage=0.0,
            formula=formula,
            proposal=None,
            margin=margin_note,
            by_category=explained,
            note=f"No markdown: {formula}{margin_note}{by_line}",
        )
    written = rationale.strip()
    priced = _elasticity_origin(ctx, view)
    rule = f"Rule: {formula}{margin_note}{by_line}."
    rule = f"{rule} {priced}" if priced else rule
    sources = sorted({c.elasticity_source for c in view.categories if c.elasticity_source})
    proposal = MarkdownProposal(
        percentage=percentage,
        max_percentage=view.max_markdown_percentage,
        week_number=view.week_number,
        sell_through=view.sell_through,
        target=view.target,
        elasticity=view.season_elasticity,
        rationale=f"{written} {rule}" if written else rule,
        elasticity_source=", ".join(sources) or None,
        demand_lift_per_point=ctx.demand_lift_per_point,
        lines=lines,
    )
    ctx.decisions.markdown = proposal
    return MarkdownResult(
        percentage=percentage,
        formula=formula,
        proposal=proposal,
        margin=margin_note,
        by_category=explained,
        note=f"Proposed a {percentage:g}% markdown for approval ({formula}{margin_note}{by_line})",
    )


def _money(value: float) -> str:
    return f"-${-value:,.0f}" if value < 0 else f"${value:,.0f}"


def _for_margin(ctx: RunContext, rule_percentage: float) -> tuple[float, str]:
    """The depth to propose: the rule's, or a shallower one (down to none) when the stock
    ledger expects it to earn more season margin, so a markdown that lowers the expected
    margin is never proposed; with the margin figures in words."""
    margins = ctx.stock.margins if ctx.stock is not None else {}
    if rule_percentage <= 0 or not margins or any(v is None for v in margins.values()):
        return rule_percentage, ""
    known = {d: m for d, m in margins.items() if m is not None}
    if rule_percentage not in known:
        return rule_percentage, ""
    allowed = [d for d in known if d <= rule_percentage + 1e-9]
    best = max(allowed, key=lambda d: (known[d], -d))
    base = known.get(0.0)
    if base is None:
        return rule_percentage, ""
    if best == rule_percentage:
        gain = known[best] - base
        return best, (
            f"; expected season margin {_money(known[best])} against {_money(base)} with no "
            f"markdown ({'+' if gain >= 0 else ''}{_money(gain)})"
        )
    lost = known[rule_percentage] - base
    if best <= 0:
        return 0.0, (
            f"; but {rule_percentage:g}% would change the expected season margin by "
            f"{_money(lost)} against no markdown ({_money(base)}), so none is proposed"
        )
    return best, (
        f"; {rule_percentage:g}% would earn {_money(known[rule_percentage])} of season margin, "
        f"{best:g}% earns the most: {_money(known[best])} against {_money(base)} with no "
        f"markdown (+{_money(known[best] - base)})"
    )
