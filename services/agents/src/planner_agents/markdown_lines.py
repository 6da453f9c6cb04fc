"""Each category's markdown at the checkpoint (docs/markdown.md): the depth, 0 to the cap in
5 % steps, with the highest season margin projected on the stock ledger, beside the seed
rule's depth for the category; every candidate's projection goes with it, so the approver
sees what each depth would do, and the proposal says what its depth gains in numbers."""

from __future__ import annotations

from planner_agents.schemas import CategorySellThrough
from planner_agents.stock_facts import StockFacts
from planner_shared.events import MarkdownCandidate, MarkdownLine
from planner_shared.markdown import BEHIND_MIN_GAP
from planner_shared.stock.money import MoneyFigures
from planner_shared.stock.outlook import best_by_category


def _candidate(depth: float, f: MoneyFigures) -> MarkdownCandidate:
    return MarkdownCandidate(
        percentage=depth,
        units_sold=round(f.units_sold, 1),
        sell_through=None if f.sell_through is None else round(f.sell_through, 4),
        leftover_units=round(f.leftover_units, 1),
        revenue=round(f.revenue, 2),
        season_margin=None if f.season_margin is None else round(f.season_margin, 2),
    )


def markdown_lines(
    facts: StockFacts, categories: list[CategorySellThrough], target: float, cap: float
) -> list[MarkdownLine]:
    """One line per category the ledger projects; none when it projects none (no stock yet).
    A category whose margin cannot be computed (no cost or salvage value) keeps the rule's
    depth."""
    best = best_by_category(facts.outcomes, cap)
    rule = {c.category_code: c for c in categories}
    lines: list[MarkdownLine] = []
    for code in sorted(best):
        seen = rule.get(code)
        rule_depth = (seen.indicative_markdown_percentage if seen else None) or 0.0
        estimate = facts.elasticities.get(code)
        # A category on target at the checkpoint is not marked down, whatever the season's
        # total: the checkpoint prices the ones behind (half a point or more).
        on_target = seen is not None and seen.gap < BEHIND_MIN_GAP
        chosen = 0.0 if on_target else best[code]
        lines.append(
            MarkdownLine(
                category_code=code,
                percentage=rule_depth if chosen is None else chosen,
                rule_percentage=rule_depth,
                max_percentage=cap,
                sell_through=seen.sell_through if seen else None,
                target=target,
                markdown_points_per_gap_point=seen.elasticity if seen else None,
                demand_elasticity=estimate.elasticity if estimate else None,
                demand_elasticity_lower=estimate.lower if estimate else None,
                demand_elasticity_upper=estimate.upper if estimate else None,
                demand_elasticity_source=estimate.source if estimate else None,
                candidates=[
                    _candidate(o.percentage, o.by_category[code])
                    for o in facts.outcomes
                    if o.percentage <= cap + 1e-9 and code in o.by_category
                ],
            )
        )
    return lines


def _money(value: float) -> str:
    sign = "-" if value < 0 else "+"
    value = abs(value)
    if value >= 10_000:
        return f"{sign}${value / 1000:,.0f}k"
    return f"{sign}${value:,.0f}"


def explain_line(line: MarkdownLine) -> str:
    """'15 % on DRES: +4,200 units sold, margin +$31k against no markdown (rule: 20 %)'."""
    at = {c.percentage: c for c in line.candidates}
    chosen, none = at.get(line.percentage), at.get(0.0)
    rule = f"rule: {line.rule_percentage:g} %"
    if chosen is None or none is None:
        return f"{line.percentage:g} % on {line.category_code} ({rule})"
    if line.percentage <= 0:
        return f"no markdown on {line.category_code} ({rule}; no depth earns more margin)"
    units = chosen.units_sold - none.units_sold
    margin = (
        ""
        if chosen.season_margin is None or none.season_margin is None
        else f", margin {_money(chosen.season_margin - none.season_margin)}"
    )
    return (
        f"{line.percentage:g} % on {line.category_code}: {units:+,.0f} units sold{margin} "
        f"against no markdown ({rule})"
    )


def explain_lines(lines: list[MarkdownLine]) -> str:
    return "; ".join(explain_line(line) for line in lines)
