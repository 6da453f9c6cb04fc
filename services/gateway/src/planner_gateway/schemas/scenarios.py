"""Scenarios: what-ifs forked from a season, evaluated on the ledger (docs/scenarios.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from planner_shared.events import text_problem
from planner_shared.stock.levers import ScenarioLevers
from planner_shared.stock.scenario import Comparison, Evaluation


class ScenarioRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "82,000 with outerwear +6,155",
                    "levers": {
                        "buy": {"OUTW": 24000},
                        "dc_holdback_percentage": 30,
                        "replenishment_strategy": "bi_weekly",
                    },
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=100, description="What the planner calls it.")
    levers: ScenarioLevers = Field(default_factory=ScenarioLevers)

    @field_validator("name")
    @classmethod
    def _storable(cls, value: str) -> str:
        problem = text_problem(value)
        if problem is not None:
            raise ValueError(f"the name {problem}")
        if not value.strip():
            raise ValueError("the name is blank")
        return value.strip()


class ScenarioRead(BaseModel):
    """A scenario, the live plan as it was when the scenario was built, and the differences."""

    id: UUID
    workflow_id: UUID
    name: str
    levers: ScenarioLevers
    weeks_in: int = Field(description="The weeks in when it was forked.")
    created_by: str
    created_at: datetime
    scenario: Evaluation
    live: Evaluation
    differences: Comparison
    adopted_by: str | None = None
    adopted_at: datetime | None = None


class ScenarioList(BaseModel):
    workflow_id: UUID
    scenarios: list[ScenarioRead]


class AdoptionRead(BaseModel):
    """The decision the scenario's levers make of the pending approval: the body the approver
    submits (the approval still gates), and the levers no decision carries."""

    scenario_id: UUID
    approval_id: UUID
    approval_kind: str
    endpoint: str = Field(description="Where the approver submits `decision`.")
    decision: dict[str, Any] = Field(description="The decision's body, ready to submit.")
    not_carried: list[str] = Field(
        description="Levers of the scenario that are not part of this decision, in words."
    )
    adopted_by: str
    adopted_at: datetime
