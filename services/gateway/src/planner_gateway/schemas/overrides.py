"""Forecast overrides as the API takes and shows them (docs/overrides.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

OverrideScope = Literal["category", "cluster", "store"]
OverrideSource = Literal["planner", "brief"]


class OverrideCreate(BaseModel):
    """One adjustment of the forecast: a percentage or units a week, never both."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "scope": "category",
                    "code": "OUTW",
                    "weeks": [1, 2, 3, 4, 5, 6],
                    "percent": 10,
                    "reason": "outerwear up 10 % vs last year (the brief)",
                },
                {
                    "scope": "store",
                    "code": "S014",
                    "category_code": "DRES",
                    "weeks": [3],
                    "units": 40,
                    "reason": "local event on the high street",
                },
            ]
        },
    )

    scope: OverrideScope = Field(
        default="category", description="What `code` names: a category, a cluster or a store."
    )
    code: str = Field(
        min_length=1,
        max_length=200,
        description="The category's code or name; the cluster's label or name; the store's code.",
    )
    category_code: str | None = Field(
        default=None,
        max_length=200,
        description="For a cluster or store: the category it adjusts (null: every category).",
    )
    weeks: list[int] | None = Field(
        default=None,
        max_length=52,
        description="Season weeks (1 = the first) it adjusts; null: every week not yet in.",
    )
    percent: float | None = Field(
        default=None, description="+10 is 10 % more demand, -20 is 20 % less (-100 to 500)."
    )
    units: float | None = Field(
        default=None,
        description="Units added to each chosen week (negative: removed), spread over the "
        "scope's stores by their share of the forecast.",
    )
    reason: str = Field(min_length=1, max_length=2000, description="Why: shown with it.")
    source: OverrideSource = Field(
        default="planner", description="'brief': a proposal of the brief, accepted."
    )


# Not schemas.resources' helpers: the season request (schemas.workflows) takes overrides,
# and resources reads that module.
EXAMPLE_OVERRIDE: dict[str, Any] = {
    "id": "6f7d2c8e-1b0a-4c35-9d2e-8a1f0c3b5e71",
    "workflow_id": "d705839e-5c98-45bf-9d24-a320b1f67e61",
    "scope": "category",
    "code": "OUTW",
    "name": "Outerwear",
    "category_code": "OUTW",
    "weeks": [1, 2, 3, 4, 5, 6],
    "percent": 10.0,
    "units": None,
    "reason": "outerwear up 10 % vs last year (the brief)",
    "source": "brief",
    "created_by": "dev-planner",
    "created_at": "2027-02-20T09:01:00Z",
    "active": True,
    "withdrawn_by": None,
    "withdrawn_at": None,
    "withdrawn_reason": None,
    "takes_effect": "in the order's proposal if made before run 1 is stored; in the "
    "stock ledger at once",
}


class OverrideRead(BaseModel):
    """An override with who made it, when and why; withdrawn ones are kept, marked."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_OVERRIDE]})

    id: UUID
    workflow_id: UUID
    scope: OverrideScope
    code: str = Field(description="The category code, the cluster label or the store code.")
    name: str = Field(description="The category's, cluster's or store's name.")
    category_code: str | None = Field(description="The category adjusted; null: every one.")
    weeks: list[int]
    percent: float | None
    units: float | None
    reason: str
    source: OverrideSource
    created_by: str
    created_at: datetime
    active: bool = Field(description="False once withdrawn.")
    withdrawn_by: str | None
    withdrawn_at: datetime | None
    withdrawn_reason: str | None
    takes_effect: str | None = Field(
        default=None, description="What the override changes, from the season's state when made."
    )


class OverrideList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [EXAMPLE_OVERRIDE]}]})

    items: list[OverrideRead] = Field(description="Oldest first, withdrawn ones included.")
