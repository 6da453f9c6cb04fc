"""The inventory agent's account of a transfer proposal, in numbers (docs/transfers.md).

A proposal is the forecast service's optimisation; the agent says what it does per category
(units, stores, lost sales at stake, margin), and the planner decides. Deterministic: the
figures are the proposal's own, so the account never disagrees with the screen.
"""

from __future__ import annotations

from planner_shared.events import TransferProposal


def explain(proposal: TransferProposal) -> str:
    """'Week 4 transfers: OUTW 1,400 units (DC 900, stores 500) into 9 stores projected to
    lose 3,100; margin +$52,000 after transfer cost. ...'"""
    parts = []
    for code in sorted({m.category for m in proposal.moves}):
        moves = [m for m in proposal.moves if m.category == code]
        units = sum(m.units for m in moves)
        released = sum(m.units for m in moves if m.from_location == "DC")
        into = {m.to_store for m in moves}
        at_stake = sum(
            r.projected_lost for r in proposal.receivers if r.category == code and r.store in into
        )
        margin = sum(m.margin_saved for m in moves)
        parts.append(
            f"{code} {units:,} units (DC {released:,}, stores {units - released:,}) into "
            f"{len(into)} stores projected to lose {at_stake:,.0f}; margin +${margin:,.0f}"
        )
    return (
        f"Week {proposal.week_number} transfers: " + "; ".join(parts) + ". Projected lost sales "
        f"{proposal.lost_sales_before:,.0f} -> {proposal.lost_sales_after:,.0f} units, margin "
        f"+${proposal.margin_saved:,.0f} after ${proposal.transfer_cost_per_unit:g} a unit moved. "
        "Awaiting the planner's approval; the season goes on meanwhile."
    )
