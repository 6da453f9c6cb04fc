"""Requests answered over the bus: parameter extraction and approval decisions.

The extraction request takes the brief as `brief` or as `user_input` (the Phase 3 story's
name), and the answer carries `parameters`, `confidence` and `reasoning` like that story's
ParameterExtractionResponse, plus per-field provenance and the issues to review. Decisions
take `workflow_id` and `action` (`accept` | `modify`) as in its approval story, and the value
as `value` or, by kind, `quantity` / `percentage`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, Self
from uuid import UUID

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from planner_gateway.schemas.amounts import Amount, ApprovalAmounts
from planner_gateway.schemas.workflows import EXAMPLE_BRIEF, EXAMPLE_PARAMETERS, EXAMPLE_WORKFLOW_ID
from planner_shared.events import DecisionAction
from planner_shared.parameters import (
    EARLIEST_SEASON_START,
    LATEST_SEASON_START,
    PERCENT_SCHEMA,
    ExtractionIssue,
    ParameterExtraction,
    ParameterField,
    ParameterSource,
    SeasonParameters,
    check_percent,
)


class ExtractRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"brief": EXAMPLE_BRIEF}, {"user_input": EXAMPLE_BRIEF}]},
    )

    brief: str = Field(
        min_length=1,
        max_length=20_000,
        validation_alias=AliasChoices("brief", "user_input"),
        description="The season brief in plain language.",
    )
    reference_date: date | None = Field(
        default=None,
        ge=EARLIEST_SEASON_START,
        le=LATEST_SEASON_START,
        description="Date the brief is read against (relative dates); today if omitted.",
    )


ConfidenceLevel = Literal["high", "medium", "low"]


class ExtractionRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "request_id": "7c1d0e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f",
                    "parameters": EXAMPLE_PARAMETERS | {"season_end_date": "2027-05-23"},
                    "fields": {
                        "forecast_horizon_weeks": {
                            "name": "forecast_horizon_weeks",
                            "value": 12,
                            "confidence": 0.95,
                            "source": "stated",
                            "evidence": "12-week",
                        }
                    },
                    "issues": [],
                    "extractor": "offline",
                    "usable": True,
                    "defaulted": [],
                    "needs_review": False,
                    "confidence": 0.93,
                    "confidence_level": "high",
                    "reasoning": "6 stated, 0 inferred, 0 defaulted; no issues",
                }
            ]
        }
    )

    request_id: UUID = Field(description="The extraction.requested event.")
    parameters: SeasonParameters
    fields: dict[str, ParameterField]
    issues: list[ExtractionIssue]
    extractor: Literal["offline", "llm"]
    usable: bool
    defaulted: list[str]
    needs_review: bool
    confidence: float = Field(ge=0, le=1, description="Mean confidence over the parameters.")
    confidence_level: ConfidenceLevel
    reasoning: str = Field(description="How the values were obtained, in one line.")

    @classmethod
    def of(cls, request_id: UUID, extraction: ParameterExtraction) -> ExtractionRead:
        fields = extraction.fields
        confidence = sum(f.confidence for f in fields.values()) / len(fields) if fields else 0.0
        counts = {
            source: sum(1 for f in fields.values() if f.source is source)
            for source in ParameterSource
        }
        level: ConfidenceLevel = (
            "high"
            if confidence >= 0.8 and not extraction.issues
            else "medium"
            if confidence >= 0.5 and extraction.usable
            else "low"
        )
        defaulted = extraction.defaulted
        issues = len(extraction.issues)
        reasoning = (
            f"{counts[ParameterSource.STATED]} stated, "
            f"{counts[ParameterSource.INFERRED]} inferred, "
            f"{counts[ParameterSource.DEFAULT]} defaulted"
            + (f" ({', '.join(defaulted)})" if defaulted else "")
            + (f"; {issues} issue(s) to review" if issues else "; no issues")
        )
        return cls(
            request_id=request_id,
            parameters=extraction.parameters,
            fields=fields,
            issues=extraction.issues,
            extractor=extraction.extractor,
            usable=extraction.usable,
            defaulted=defaulted,
            needs_review=extraction.needs_review,
            confidence=round(confidence, 4),
            confidence_level=level,
            reasoning=reasoning,
        )


class _Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workflow_id: UUID
    action: DecisionAction
    reason: str | None = Field(
        default=None, max_length=2000, description="Why; required when modifying."
    )
    # Strict: a JSON string ("70000") is refused, not read as the number it spells.
    value: float | None = Field(default=None, strict=True)

    @model_validator(mode="after")
    def _value_when_modifying(self) -> Self:
        if self.action is DecisionAction.MODIFY and self.value is None:
            raise ValueError("action 'modify' needs a value")
        if self.action is DecisionAction.REJECT:
            raise ValueError("action 'reject' is for transfers; accept or modify this one")
        return self


class ManufacturingDecision(_Decision):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"workflow_id": EXAMPLE_WORKFLOW_ID, "action": "accept"},
                {
                    "workflow_id": EXAMPLE_WORKFLOW_ID,
                    "action": "modify",
                    "quantity": 9800,
                    "reason": "smaller first drop",
                },
            ]
        },
    )

    value: float | None = Field(
        default=None,
        ge=0,
        strict=True,
        validation_alias=AliasChoices("value", "quantity"),
        description="The quantity to order (action 'modify'); within the proposal's bounds.",
    )


class MarkdownDecision(_Decision):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"workflow_id": EXAMPLE_WORKFLOW_ID, "action": "accept"},
                {
                    "workflow_id": EXAMPLE_WORKFLOW_ID,
                    "action": "modify",
                    "percentage": 15,
                    "reason": "protect margin",
                },
            ]
        },
    )

    value: float | None = Field(
        default=None,
        ge=0,
        le=100,
        strict=True,
        validation_alias=AliasChoices("value", "percentage"),
        description="The markdown in percent (action 'modify'), up to the proposal's maximum: "
        "15 is 15%; a value between 0 and 1 is refused as a fraction.",
        json_schema_extra=PERCENT_SCHEMA,
    )

    @field_validator("value")
    @classmethod
    def _in_percent(cls, value: float | None) -> float | None:
        return None if value is None else check_percent("the markdown (value)", value)


class DecisionRead(ApprovalAmounts):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "approval_id": "1f0e8f2a-6c55-4f0b-9b39-1d1c8f0a4e21",
                    "workflow_id": EXAMPLE_WORKFLOW_ID,
                    "kind": "manufacturing",
                    "action": "modify",
                    "status": "decided",
                    "proposed_value": 10450,
                    "decided_value": 9800,
                    "reason": "smaller first drop",
                    "decided_by": "dev-approver",
                    "decided_at": "2027-02-20T09:05:00Z",
                    "event_id": "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b",
                }
            ]
        }
    )

    approval_id: UUID
    workflow_id: UUID
    kind: Literal["manufacturing", "markdown"]
    action: DecisionAction
    status: Literal["decided"] = Field(
        default="decided", description="As in GET /api/workflows/{id}/approvals."
    )
    proposed_value: Amount
    decided_value: Amount
    reason: str | None
    decided_by: str
    decided_at: datetime
    event_id: UUID = Field(description="The approval.decided event.")
