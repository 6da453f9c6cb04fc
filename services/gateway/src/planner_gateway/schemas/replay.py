"""A past season replayed from the history: the request, its progress, its report section."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from planner_gateway.schemas.resources import _examples, example_of
from planner_shared.parameters import FRACTION_SCHEMA

ReplayDecisions = Literal["automatic", "approver"]
ReplayStatus = Literal["running", "waiting", "paused", "finished", "failed"]


class ReplayCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"weeks": "all", "decisions": "automatic"},
                {"weeks": 2, "decisions": "approver"},
            ]
        },
    )

    weeks: Literal["all"] | int = Field(
        default="all",
        description='"all" replays every remaining week of the season; a number, that many '
        "more weeks (then the replay pauses; ask again for more).",
    )
    decisions: ReplayDecisions = Field(
        default="automatic",
        description="automatic: each pending proposal (the order, a markdown) is accepted as "
        "an automatic decision recorded by name; approver: the replay waits for the approver.",
    )


class ReplayRead(BaseModel):
    model_config = _examples(
        {
            "workflow_id": "d705839e-5c98-45bf-9d24-a320b1f67e61",
            "status": "running",
            "decisions": "automatic",
            "weeks_done": 3,
            "weeks_target": 12,
            "horizon_weeks": 12,
            "history_from": "2025-03-03",
            "requested_by": "dev-planner",
            "decided_by": "automatic replay (for dev-planner)",
            "message": "week 3 fed from the history (8,412 units sold of 8,530 wanted)",
            "started_at": "2026-12-07T17:30:00Z",
            "updated_at": "2026-12-07T17:31:10Z",
            "finished_at": None,
        }
    )

    workflow_id: UUID
    status: ReplayStatus
    decisions: ReplayDecisions
    weeks_done: int = Field(description="Weeks of the history fed as actuals so far.")
    weeks_target: int = Field(description="The week the replay runs to.")
    horizon_weeks: int
    history_from: str = Field(description="The season's first week in the history (a Monday).")
    requested_by: str
    decided_by: str | None = Field(
        description="The principal automatic decisions are recorded under (decisions=automatic)."
    )
    message: str | None
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class ReplayLine(BaseModel):
    model_config = _examples(
        {
            "category_code": "TOTAL",
            "planned_units": 31250.0,
            "bought_units": 76500,
            "history_units": 33120,
            "sold_units": 32044.0,
            "lost_sales_units": 1076.0,
            "fill_fraction": 0.9675,
            "revenue": 2310540.5,
            "gross_margin": 1402210.0,
            "history_revenue_at_full_price": 2402310.0,
        }
    )

    category_code: str = Field(description="A category code, or TOTAL.")
    planned_units: float | None = Field(
        description="What the plan's first forecast expected over the weeks replayed."
    )
    bought_units: int | None = Field(description="What the plan bought (the decided order).")
    history_units: int = Field(description="What the stores sold in the history's weeks.")
    sold_units: float = Field(description="What the plan's stock sold of that (the replay).")
    lost_sales_units: float = Field(
        description="The history's sales the plan's stock could not serve: history - sold."
    )
    fill_fraction: float | None = Field(
        description="sold / history: the share of what happened the plan served; above 1 "
        "where a markdown the plan decided sold more than the history did (its demand lift).",
        json_schema_extra=FRACTION_SCHEMA,
    )
    revenue: float = Field(description="The replay's revenue over the weeks in (the ledger's).")
    gross_margin: float | None = Field(description="The replay's gross margin over the weeks in.")
    history_revenue_at_full_price: float | None = Field(
        description="The history's units at the category's full price: the history holds "
        "units, not prices, so this is what happened before any markdown."
    )


class ReplayReport(BaseModel):
    model_config = _examples(
        {
            "label": "Replay of the history's weeks from 2025-03-03 (3 of 12 weeks): the plan's "
            "figures are what this plan would have done; history is what the stores sold.",
            "status": "finished",
            "decisions": "automatic",
            "decided_by": "automatic replay (for dev-planner)",
            "history_from": "2025-03-03",
            "weeks_replayed": 3,
            "lines": [example_of(ReplayLine)],
        }
    )

    label: str = Field(description="Says which figures are the replay's.")
    status: ReplayStatus
    decisions: ReplayDecisions
    decided_by: str | None
    history_from: str
    weeks_replayed: int
    lines: list[ReplayLine] = Field(description="TOTAL first, then each category.")
