"""Proposals the approval tests decide on: one order of one category, one markdown, with the
figures a test may override (the approvals service's, the gateway's and the agents' tests)."""

from __future__ import annotations

from typing import Any

from planner_shared.events import ManufacturingLine, ManufacturingProposal, MarkdownProposal


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
