"""A season's transfer proposal on its ledger, and the rules a planner's edit is held to
(docs/transfers.md). The forecast service proposes, the approvals service and the gateway
check an edit with `edit_problems`, every reader posts approved moves with `approved_moves`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from planner_shared.events import (
    TransferDonor,
    TransferEdit,
    TransferMoveLine,
    TransferProposal,
    TransferReceiver,
)
from planner_shared.parameters import TransferStrategy
from planner_shared.stock.ledger import (
    Array,
    CategoryLedger,
    CategoryStockInputs,
    build_category,
)
from planner_shared.stock.season import SeasonStock
from planner_shared.stock.transfers import (
    DC,
    CategoryProposal,
    Move,
    TransferRules,
    apply_moves,
    projected_lost,
    propose_category,
)


def unit_margin(stock: SeasonStock, code: str) -> Array:
    """[horizon] what a sale saved in each week earns over clearing the unit at salvage: the
    week's price (after the decided markdown) less the salvage value (0 when not given)."""
    money = stock.categories[code]
    schedule = stock.markdown.get(code, np.zeros(stock.horizon))
    salvage = money.salvage_value or 0.0
    return np.asarray(money.unit_price * (1.0 - schedule) - salvage, dtype=np.float64)


def projected_inputs(stock: SeasonStock, code: str) -> CategoryStockInputs:
    """The category's ledger inputs on the point forecast with the decided markdown."""
    demand = stock.demand_with_markdown(code, stock.paths[code].point)
    return replace(stock.inputs[code], demand=demand)


def propose(
    stock: SeasonStock, rules: TransferRules, strategy: TransferStrategy
) -> TransferProposal:
    """Every category's moves after the weeks in, with the lost sales they save."""
    plans: list[CategoryProposal] = []
    before = after = 0.0
    short: dict[str, float] = {}
    for code in sorted(stock.categories):
        inputs = projected_inputs(stock, code)
        plan = propose_category(inputs, unit_margin(stock, code), rules, strategy)
        plans.append(plan)
        ledger = build_category(inputs)
        before += projected_lost(ledger)
        after += (
            projected_lost(build_category(apply_moves(inputs, plan.moves)))
            if plan.moves
            else projected_lost(ledger)
        )
        if not plan.moves and short_everywhere(ledger, rules):
            short[code] = projected_lost(ledger)
    moves = [move_line(m) for plan in plans for m in plan.moves]
    units = sum(m.units for m in moves)
    saved = round(sum(m.margin_saved for m in moves), 2)
    return TransferProposal(
        week_number=max(stock.weeks_in, 1),
        strategy=strategy.value,
        moves=moves,
        donors=[
            TransferDonor(
                category=d.category, location=d.location, max_units=d.limit, stock=d.stock
            )
            for plan in plans
            for d in plan.donors
        ],
        receivers=[
            TransferReceiver(
                category=r.category,
                store=r.store,
                arrival_week=r.arrival_week,
                projected_lost=round(r.lost, 1),
            )
            for plan in plans
            for r in plan.receivers
        ],
        units=units,
        min_units=rules.min_units,
        max_units=rules.max_units,
        transfer_cost_per_unit=rules.unit_cost,
        lost_sales_before=round(before, 1),
        lost_sales_after=round(after, 1),
        margin_saved=saved,
        rationale=rationale(stock.weeks_in, moves, before, after, saved, strategy)
        + sold_out_words(short, stock.horizon),
    )


def short_everywhere(ledger: CategoryLedger, rules: TransferRules) -> bool:
    """The category is projected to lose sales and to end the season with less than one
    move's worth of stock in all its stores and at the DC together: every unit it holds
    sells where it is, so a move only shifts lost sales from one store to another."""
    left = float(ledger.closing[-1].sum() + ledger.dc_closing[-1])
    return projected_lost(ledger) >= 1 and left < rules.min_units


def sold_out_words(short: dict[str, float], horizon: int) -> str:
    """Why a category running out moves nothing, in a planner's words."""
    if not short:
        return ""
    codes = " and ".join(sorted(short))
    lost = " and ".join(f"{short[c]:,.0f}" for c in sorted(short))
    return (
        f" {codes} {'is' if len(short) == 1 else 'are'} projected to sell every unit "
        f"{'it holds' if len(short) == 1 else 'they hold'} in stores, at the DC and in transit "
        f"by week {horizon} and still lose {lost} units of sales: a move would only shift "
        "those lost sales from one store to another; only more stock would lower them."
    )


def move_line(move: Move) -> TransferMoveLine:
    return TransferMoveLine(
        category=move.category,
        from_location=move.source,
        to_store=move.target,
        units=move.units,
        ship_week=move.ship_week,
        arrival_week=move.arrival_week,
        margin_saved=move.margin_saved,
        why=move.why,
    )


def rationale(
    week: int,
    moves: Sequence[TransferMoveLine],
    before: float,
    after: float,
    saved: float,
    strategy: TransferStrategy,
) -> str:
    """The proposal in numbers, as the agents and the console say it."""
    if strategy is TransferStrategy.NONE:
        return f"Week {week}: the season's transfer strategy is 'none'; no moves are proposed."
    if not moves:
        return (
            f"Week {week}: no move is worth its cost; projected lost sales stay at "
            f"{before:,.0f} units."
        )
    by_category: dict[str, int] = {}
    for m in moves:
        by_category[m.category] = by_category.get(m.category, 0) + m.units
    released = sum(m.units for m in moves if m.from_location == DC)
    parts = ", ".join(f"{code} {units:,}" for code, units in sorted(by_category.items()))
    total = sum(by_category.values())
    return (
        f"Week {week}: {len(moves)} move{'' if len(moves) == 1 else 's'} of {total:,} units "
        f"({parts}; {released:,} released from the DC, {total - released:,} between stores) "
        "cut projected lost sales from "
        f"{before:,.0f} to {after:,.0f} units and save ${saved:,.0f} of margin after the "
        "transfer cost."
    )


def approved_moves(lines: Iterable[TransferMoveLine]) -> list[Move]:
    return [
        Move(
            category=m.category,
            source=m.from_location,
            target=m.to_store,
            units=m.units,
            ship_week=m.ship_week,
            arrival_week=m.arrival_week,
            margin_saved=m.margin_saved,
            why=m.why,
        )
        for m in lines
    ]


def edit_problems(proposal: TransferProposal, edits: Sequence[TransferEdit]) -> list[str]:
    """Why an edited set of moves breaks the rules, one sentence per problem naming the move
    (`moves[i]`); empty when it may be approved."""
    limits = {(d.category, d.location): d for d in proposal.donors}
    receivers = {(r.category, r.store) for r in proposal.receivers}
    categories = {d.category for d in proposal.donors} | {r.category for r in proposal.receivers}
    given: dict[tuple[str, str], int] = {}
    problems = []
    for i, edit in enumerate(edits):
        at = f"moves[{i}]"
        if edit.category not in categories:
            problems.append(f"{at}.category {edit.category!r} has no transfer this week")
            continue
        if (edit.category, edit.from_location) not in limits:
            problems.append(
                f"{at}.from_location {edit.from_location!r} cannot give {edit.category} this "
                "week (not the DC or a store selling below the plan with stock to spare)"
            )
        if (edit.category, edit.to_store) not in receivers:
            problems.append(
                f"{at}.to_store {edit.to_store!r} is not a store projected to lose "
                f"{edit.category} sales in time for a move to arrive"
            )
        if not proposal.min_units <= edit.units <= proposal.max_units:
            problems.append(
                f"{at}.units {edit.units:,} is outside {proposal.min_units}-"
                f"{proposal.max_units} units a move"
            )
        key = (edit.category, edit.from_location)
        given[key] = given.get(key, 0) + edit.units
    for (category, location), units in sorted(given.items()):
        donor = limits.get((category, location))
        if donor is not None and units > donor.max_units:
            problems.append(
                f"{location} can give at most {donor.max_units:,} {category} units, the moves "
                f"give {units:,}"
            )
    return problems


def decided_lines(
    proposal: TransferProposal, edits: Sequence[TransferEdit], reason: str | None
) -> list[TransferMoveLine]:
    """The edit as moves: the proposal's move where it names the same donor and receiver
    (its reason kept), else a planner's move arriving after the receiver's transit."""
    proposed = {(m.category, m.from_location, m.to_store): m for m in proposal.moves}
    arrival = {(r.category, r.store): r.arrival_week for r in proposal.receivers}
    lines = []
    for edit in edits:
        known = proposed.get((edit.category, edit.from_location, edit.to_store))
        share = edit.units / known.units if known else 0.0
        lines.append(
            TransferMoveLine(
                **edit.model_dump(),
                ship_week=proposal.week_number,
                arrival_week=arrival[(edit.category, edit.to_store)],
                margin_saved=round(known.margin_saved * min(share, 1.0), 2) if known else 0.0,
                why=(known.why if known else f"The planner's move: {reason or 'no reason'}"),
            )
        )
    return lines
