"""A scenario's transfers: the season's transfer rule run after each simulated week
(docs/scenarios.md, docs/transfers.md).

The real season proposes transfers after each uploaded week (the forecast service calls
`transfer_plan.propose`, which runs `transfers.propose_category` per category), and the
approved moves become receipts on the ledger. A scenario has no uploads ahead of it, so on
each demand path (the point forecast and the two ends of its 80 % band) it plays the weeks
still to come: once week w is "in" (its sales are what the path's ledger sold), the same rule
proposes its moves from the ledger as it then stands, and they are posted as if approved
(`transfers.apply_moves`), before week w + 1 is played. The rule is called, never copied: a
change to it changes the scenarios with it.

Each path is its own world: the sales to date and the projection ahead the rule sees are that
path's, as the real season's re-forecasts would follow what sells. Moves approved in the
real season are already in the fork's inputs (planner_shared.stock.season); the week the
fork stands at is proposed again on top of them, as the real season would after a further
upload, so a move it still owes is made and one already made is not repeated.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from planner_shared.parameters import TransferStrategy
from planner_shared.stock.ledger import CategoryLedger, build_category
from planner_shared.stock.season import SeasonStock
from planner_shared.stock.transfer_plan import unit_margin
from planner_shared.stock.transfers import Move, TransferRules, apply_moves, propose_category


@dataclass(frozen=True)
class Transfers:
    """The transfer strategy a plan is evaluated with, and the rule's cost per unit moved."""

    strategy: TransferStrategy
    rules: TransferRules

    @property
    def moves_stock(self) -> bool:
        return self.strategy is not TransferStrategy.NONE


NO_TRANSFERS = Transfers(TransferStrategy.NONE, TransferRules(unit_cost=0.0))


@dataclass(frozen=True)
class SimulatedCategory:
    """One category on one path: its ledger with the scenario's moves posted, and the moves."""

    ledger: CategoryLedger
    moves: list[Move]

    @property
    def units_moved(self) -> int:
        return sum(m.units for m in self.moves)


def simulate(
    stock: SeasonStock, code: str, path: str, transfers: Transfers = NO_TRANSFERS
) -> SimulatedCategory:
    """The category's ledger on `path` ('point', 'lower', 'upper') with the transfer rule run
    after every week from the one the fork stands at (week 1 before the buy) to the one
    before the last (a move shipped in the last week would arrive after the season)."""
    paths = stock.paths[code]
    demand = {"point": paths.point, "lower": paths.lower, "upper": paths.upper}[path]
    inputs = replace(stock.inputs[code], demand=stock.demand_with_markdown(code, demand))
    ledger = build_category(inputs)
    if not transfers.moves_stock:
        return SimulatedCategory(ledger, [])
    margin = unit_margin(stock, code)
    made: list[Move] = []
    for week in range(max(stock.weeks_in, 1), stock.horizon):
        # A move only saves sales lost after it arrives (the week after `week` at the
        # earliest): with none projected from there on, no later week finds one either.
        if float(ledger.lost[week:].sum()) < 1.0:
            break
        # Weeks up to `week` are in: what they sold is what this path's ledger sold. The
        # weeks really in are the uploads themselves (the ledger posts them as sold).
        so_far = replace(inputs, actual_sales=ledger.sales[:week])
        moves = propose_category(so_far, margin, transfers.rules, transfers.strategy).moves
        if moves:
            inputs = apply_moves(inputs, moves)
            ledger = build_category(inputs)
            made += moves
    return SimulatedCategory(ledger, made)
