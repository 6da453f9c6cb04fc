"""Proposals the approval tests decide on: one order of one category, one markdown, one week's
transfers, with the figures a test may override (the approvals service's, the gateway's and the
agents' tests)."""

from __future__ import annotations

from typing import Any

from planner_shared.events import (
    ManufacturingLine,
    ManufacturingProposal,
    MarkdownProposal,
    TransferDonor,
    TransferMoveLine,
    TransferProposal,
    TransferReceiver,
)


def knit_order(rationale: str = "forecast x 1.15 minus stock") -> ManufacturingProposal:
    """1,000 units of knitwear, allowed 800 to 1,200."""
    return ManufacturingProposal(
        quantity=1000,
        min_quantity=800,
        max_quantity=1200,
        lines=[
            ManufacturingLine(
                category_code="KNIT",
                forecast_units=900,
                safety_stock_pct=0.15,
                stock_on_hand=35,
                quantity=1000,
            )
        ],
        rationale=rationale,
    )


def markdown_proposal(**figures: Any) -> MarkdownProposal:
    """A 20 % markdown (at most 40 %) at week 6, 40 % sold against a 60 % target."""
    defaults: dict[str, Any] = {
        "percentage": 20.0,
        "max_percentage": 40.0,
        "week_number": 6,
        "sell_through": 0.4,
        "target": 0.6,
        "elasticity": 1.2,
        "rationale": "behind target at the checkpoint",
    }
    return MarkdownProposal(**(defaults | figures))


def _outerwear_move(
    source: str, store: str, units: int, arrival: int, margin: float, pace: str, stock: int
) -> tuple[TransferMoveLine, TransferDonor, TransferReceiver]:
    """One of week 4's outerwear moves, with its donor (`stock` held, 60 % of it movable at
    the DC, 30 % at a store) and its receiver (projected to lose 1.3x the units moved)."""
    spare = 0.6 if source == "DC" else 0.3
    return (
        TransferMoveLine(
            category="OUTW",
            from_location=source,
            to_store=store,
            units=units,
            ship_week=4,
            arrival_week=arrival,
            margin_saved=margin,
            why=f"{store} sells {pace} its plan",
        ),
        TransferDonor(category="OUTW", location=source, max_units=int(stock * spare), stock=stock),
        TransferReceiver(
            category="OUTW", store=store, arrival_week=arrival, projected_lost=round(units * 1.3)
        ),
    )


# Most margin first.
_OUTERWEAR_MOVES = [
    _outerwear_move("DC", "S001", 200, 5, 9000.0, "1.40x", 1500),
    _outerwear_move("S020", "S002", 100, 6, 4000.0, "1.30x", 400),
]


def outerwear_transfers(moves: int = 2) -> TransferProposal:
    """Week 4's hybrid transfers of outerwear, the first `moves` of: 200 units DC -> S001
    (arriving week 5, 9,000 margin saved), 100 units S020 -> S002 (week 6, 4,000); with
    their donors and receivers, 50 to 300 units allowed at 1.50 a unit, and the 2,000 units
    of lost sales each unit moved saves one of."""
    chosen = _OUTERWEAR_MOVES[:moves]
    units = sum(move.units for move, _, _ in chosen)
    return TransferProposal(
        week_number=4,
        strategy="hybrid",
        moves=[move for move, _, _ in chosen],
        donors=[donor for _, donor, _ in chosen],
        receivers=[receiver for _, _, receiver in chosen],
        units=units,
        min_units=50,
        max_units=300,
        transfer_cost_per_unit=1.5,
        lost_sales_before=2000,
        lost_sales_after=2000 - units,
        margin_saved=sum(move.margin_saved for move, _, _ in chosen),
        rationale="test",
    )
