"""Seasons side by side: the report's figures in columns."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from planner_gateway.schemas.resources import _examples, example_of

Unit = Literal["units", "fraction", "currency", "ratio"]


class SeasonColumn(BaseModel):
    model_config = _examples(
        {
            "workflow_id": "d705839e-5c98-45bf-9d24-a320b1f67e61",
            "name": "Spring 2025 womenswear",
            "state": "completed",
            "season_start_date": "2025-03-03",
            "horizon_weeks": 12,
            "weeks_in": 12,
            "replayed": True,
        }
    )

    workflow_id: UUID
    name: str | None
    state: str
    season_start_date: str | None
    horizon_weeks: int
    weeks_in: int
    replayed: bool = Field(description="A past season replayed from the history.")


class ComparisonRow(BaseModel):
    model_config = _examples(
        {
            "metric": "actual_units",
            "label": "Sold",
            "unit": "units",
            "values": [80102.0, 77310.0],
        }
    )

    metric: str = Field(description="The report's field the row comes from.")
    label: str
    unit: Unit
    values: list[float | None] = Field(description="One per season, in the columns' order.")


class SeasonComparison(BaseModel):
    model_config = _examples(
        {"seasons": [example_of(SeasonColumn)], "rows": [example_of(ComparisonRow)]}
    )

    seasons: list[SeasonColumn]
    rows: list[ComparisonRow]
