"""Transfers over the API: the season's proposals with their status, and a decision on one
(docs/transfers.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from planner_shared.events import DecisionAction, TransferDonor, TransferEdit, TransferMoveLine

EXAMPLE_WORKFLOW_ID = "5f0c7a52-2f7e-4f0e-9a45-1f2d3c4b5a69"


class TransferPlanRead(BaseModel):
    """One week's proposal: its moves, what was decided of it, and its figures."""

    week_number: int
    status: str = Field(description="'proposed', 'approved', 'rejected' or 'superseded'.")
    strategy: str
    moves: list[TransferMoveLine] = Field(description="The moves proposed.")
    approved_moves: list[TransferMoveLine] = Field(
        description="The moves approved (the proposal's, or the planner's edit); empty "
        "until approved."
    )
    units: int
    donors: list[TransferDonor] = Field(
        default_factory=list,
        description="What each donor may give of a category this week (30 % of a store's "
        "stock, the DC above 20 % of its holdback): an edit may move up to that, not only "
        "what the proposal moved.",
    )
    lost_sales_before: float = Field(description="Projected lost sales without the moves.")
    lost_sales_after: float = Field(description="Projected lost sales with the moves.")
    margin_saved: float = Field(description="Margin saved less the transfer cost.")
    transfer_cost_per_unit: float
    rationale: str
    decided_by: str | None
    reason: str | None
    decided_at: datetime | None
    created_at: datetime


_MOVE_EXAMPLE: dict[str, Any] = {
    "category": "KNIT",
    "from_location": "DC",
    "to_store": "S017",
    "units": 50,
    "ship_week": 4,
    "arrival_week": 5,
    "margin_saved": 412.5,
    "why": "S017 sells knitwear at 1.31x plan with 0.8 weeks of cover; 41 units of lost "
    "sales projected",
}


class TransfersView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workflow_id": EXAMPLE_WORKFLOW_ID,
                    "strategy": "hybrid",
                    "projected_lost_sales": 3399.8,
                    "proposals": [
                        {
                            "week_number": 4,
                            "status": "proposed",
                            "strategy": "hybrid",
                            "moves": [_MOVE_EXAMPLE],
                            "approved_moves": [],
                            "units": 50,
                            "lost_sales_before": 3405.0,
                            "lost_sales_after": 3399.8,
                            "margin_saved": 412.5,
                            "transfer_cost_per_unit": 1.5,
                            "rationale": "One move of 50 knitwear units from the DC.",
                            "decided_by": None,
                            "reason": None,
                            "decided_at": None,
                            "created_at": "2026-03-30T09:00:00Z",
                        }
                    ],
                }
            ]
        }
    )

    workflow_id: UUID
    strategy: str = Field(description="The season's transfer_strategy.")
    projected_lost_sales: float | None = Field(
        description="Lost sales the ledger projects now after the weeks in, approved moves "
        "posted; null before the order is allocated."
    )
    proposals: list[TransferPlanRead] = Field(description="Newest week first.")


class TransferDecision(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"workflow_id": EXAMPLE_WORKFLOW_ID, "action": "accept", "week_number": 4},
                {
                    "workflow_id": EXAMPLE_WORKFLOW_ID,
                    "action": "modify",
                    "week_number": 4,
                    "moves": [
                        {
                            "category": "OUTW",
                            "from_location": "DC",
                            "to_store": "S001",
                            "units": 120,
                        }
                    ],
                    "reason": "S001 gets the DC's outerwear first",
                },
                {"workflow_id": EXAMPLE_WORKFLOW_ID, "action": "reject", "week_number": 4},
            ]
        },
    )

    workflow_id: UUID
    action: DecisionAction
    week_number: int | None = Field(
        default=None,
        ge=1,
        le=52,
        description="The proposal decided (default: the one open); a superseded week is "
        "refused with 409.",
    )
    moves: list[TransferEdit] | None = Field(
        default=None,
        max_length=2000,
        description="action 'modify': every move to make (the proposal's, edited, and any "
        "added); a move left out is dropped.",
    )
    reason: str | None = Field(
        default=None, max_length=2000, description="Why; required when editing the moves."
    )

    @model_validator(mode="after")
    def _moves_when_modifying(self) -> Self:
        if self.action is DecisionAction.MODIFY and self.moves is None:
            raise ValueError("action 'modify' needs the edited moves")
        if self.action is not DecisionAction.MODIFY and self.moves is not None:
            raise ValueError(f"action '{self.action.value}' takes no moves; use 'modify'")
        return self
