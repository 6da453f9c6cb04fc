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


def _band(point: float, spread: float) -> dict[str, float]:
    return {"point": point, "lower_80": point - spread, "upper_80": point + spread}


def _figures(available: float, sold: float, price: float, cost: float) -> dict[str, Any]:
    """A documentation example of a plan's figures, consistent with itself."""
    left = available - sold
    return {
        "units_available": available,
        "sell_through_fraction": _band(round(sold / available, 3), 0.05),
        "units_sold": _band(sold, sold * 0.06),
        "lost_sales": _band(420.0, 300.0),
        "leftover_units": _band(left, sold * 0.06),
        "revenue": _band(sold * price, sold * price * 0.06),
        "gross_margin": _band(sold * (price - cost), sold * (price - cost) * 0.06),
        "season_margin": _band(sold * (price - cost) - left * cost / 2, 9000.0),
        "dc_empty_week": _band(7, 1),
    }


def _evaluation(available: float, sold: float) -> dict[str, Any]:
    return {
        "weeks_in": 0,
        "before_the_buy": True,
        "replenishment_strategy": "weekly",
        "dc_holdback_percentage": 45.0,
        "total": _figures(available, sold, 119.0, 52.0),
        "categories": [
            _figures(available, sold, 119.0, 52.0)
            | {
                "category_code": "OUTW",
                "buy": int(available),
                "dc_opening_units": available * 0.45,
                "markdown_percentage": 0.0,
            }
        ],
    }


_SCENARIO_EXAMPLE: dict[str, Any] = {
    "id": "0b6f3f4e-8a51-4c2e-9d3c-5d1e6f7a8b90",
    "workflow_id": "5f0c7a52-2f7e-4f0e-9a45-1f2d3c4b5a69",
    "name": "outerwear +6,155",
    "levers": {"buy": {"OUTW": 13817}},
    "weeks_in": 0,
    "created_by": "rita",
    "created_at": "2026-03-01T09:00:00Z",
    "scenario": _evaluation(13817.0, 8300.0),
    "live": _evaluation(7662.0, 7300.0),
    "differences": {
        "total": {"units_sold": 1000.0, "leftover_units": 5155.0},
        "categories": {"OUTW": {"units_sold": 1000.0, "leftover_units": 5155.0}},
    },
    "adopted_by": None,
    "adopted_at": None,
}


class ScenarioRead(BaseModel):
    """A scenario, the live plan as it was when the scenario was built, and the differences."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SCENARIO_EXAMPLE]})

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "workflow_id": "5f0c7a52-2f7e-4f0e-9a45-1f2d3c4b5a69",
                    "scenarios": [_SCENARIO_EXAMPLE],
                }
            ]
        }
    )

    workflow_id: UUID
    scenarios: list[ScenarioRead]


class AdoptionRead(BaseModel):
    """The decision the scenario's levers make of the pending approval: the body the approver
    submits (the approval still gates), and the levers no decision carries."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "scenario_id": "0b6f3f4e-8a51-4c2e-9d3c-5d1e6f7a8b90",
                    "approval_id": "7d4e2c1b-3a5f-4e6d-8c9b-0a1f2e3d4c5b",
                    "approval_kind": "manufacturing",
                    "endpoint": "/api/approvals/manufacturing",
                    "decision": {
                        "workflow_id": "5f0c7a52-2f7e-4f0e-9a45-1f2d3c4b5a69",
                        "action": "modify",
                        "lines": {"OUTW": 13817},
                        "reason": "from scenario 'outerwear +6,155'",
                    },
                    "not_carried": [],
                    "adopted_by": "rita",
                    "adopted_at": "2026-03-01T09:05:00Z",
                }
            ]
        }
    )

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
