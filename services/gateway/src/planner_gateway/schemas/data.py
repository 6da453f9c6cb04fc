"""Answers of the CSV uploads: what was read, what was stored, and what happens next."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from planner_gateway.schemas.workflows import EXAMPLE_WORKFLOW_ID


class FileRead(BaseModel):
    """How the file was read: the format the gateway detected."""

    filename: str
    size_bytes: int
    sha256: str
    delimiter: str = Field(examples=["comma"], description="comma, semicolon or tab.")
    had_bom: bool = Field(description="The file started with a UTF-8 byte-order mark.")
    row_count: int


class HistoricalSalesUploaded(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "file": {
                        "filename": "historical_sales.csv",
                        "size_bytes": 1_024_000,
                        "sha256": "9f2c...",
                        "delimiter": "comma",
                        "had_bom": False,
                        "row_count": 31200,
                    },
                    "inserted": 200,
                    "updated": 3,
                    "unchanged": 30997,
                }
            ]
        }
    )

    file: FileRead
    inserted: int = Field(description="New (store, category, week) rows.")
    updated: int = Field(description="Rows whose units changed.")
    unchanged: int = Field(description="Rows already stored with these units: not added twice.")


class WeeklyActualsUploaded(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "upload_id": "5a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
                    "workflow_id": EXAMPLE_WORKFLOW_ID,
                    "week_number": 4,
                    "row_count": 200,
                    "units_sold": 14650,
                    "replaced_previous": False,
                    "replaced_rows": 0,
                    "same_as_previous": False,
                    "zero_filled": 0,
                    "stock_adjustments": 0,
                    "adjusted_units": 0,
                    "variance_url": f"/api/workflows/{EXAMPLE_WORKFLOW_ID}/variance?week=4",
                    "event_id": "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b",
                    "file": {
                        "filename": "week_04.csv",
                        "size_bytes": 6400,
                        "sha256": "41d9...",
                        "delimiter": "comma",
                        "had_bom": False,
                        "row_count": 200,
                    },
                }
            ]
        }
    )

    upload_id: UUID
    workflow_id: UUID
    week_number: int
    row_count: int = Field(description="Rows read from the file (zero-filled pairs not counted).")
    units_sold: int
    replaced_previous: bool = Field(
        description="This week was uploaded before; its rows were replaced, never added to."
    )
    replaced_rows: int
    same_as_previous: bool = Field(description="Same content as the previous upload of the week.")
    zero_filled: int = Field(
        default=0,
        description="Store/category pairs the file left out, stored as 0 units because the "
        "upload sent `missing_as_zero=true`; always 0 otherwise (an incomplete file is refused).",
    )
    stock_adjustments: int = Field(
        default=0,
        description="Rows whose store count (`on_hand`) differed from the stock ledger: each "
        "difference recorded as a stock adjustment of the week.",
    )
    adjusted_units: int = Field(
        default=0, description="The adjustments' net units (positive: more than the ledger)."
    )
    variance_url: str = Field(
        description="Where the variance check of this week appears once the forecast service "
        "has run it (a `variance.checked` event follows on the WebSocket's progress messages)."
    )
    event_id: UUID = Field(description="The `actuals.uploaded` event that starts the check.")
    file: FileRead
