"""Requests answered over the bus: parameter extraction and approval decisions.

The extraction request takes the brief as `brief` or as `user_input` (the Phase 3 story's
name), and the answer carries `parameters`, `confidence` and `reasoning` like that story's
ParameterExtractionResponse, plus per-field provenance and the issues to review. Decisions
take `workflow_id` and `action` (`accept` | `modify`) as in its approval story, and the value
as `value` or, by kind, `quantity` / `percentage`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Literal, Self
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
    ProposedOverride,
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


class ProposedOverrideRead(ProposedOverride):
    """A forecast override the brief asks for, to accept (`POST .../forecast-overrides`)."""

    category_code: str | None = Field(
        default=None, description="The category it names, by code; null: no category matches."
    )


def _category_code(words: str, categories: Mapping[str, str]) -> str | None:
    """The code of the category `words` name: its code or name, singular or plural."""
    wanted = words.strip().lower()
    return categories.get(wanted) or categories.get(wanted.rstrip("s"))


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
                    "proposed_overrides": [],
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
    season_name: str | None = Field(
        default=None,
        description='The season\'s title in the brief ("Spring 2026 womenswear"), to name it '
        "with: pass it as `name` to POST /api/workflows/forecast. Null when the brief has none.",
    )
    proposed_overrides: list[ProposedOverrideRead] = Field(
        default_factory=list,
        description="Adjustments of the forecast the brief asks for (docs/overrides.md): "
        "nothing is applied until the planner accepts one.",
    )

    @classmethod
    def of(
        cls,
        request_id: UUID,
        extraction: ParameterExtraction,
        categories: Mapping[str, str] | None = None,
    ) -> ExtractionRead:
        """`categories`: category codes by lower-case code, name and singular name."""
        fields = extraction.fields
        confidence = sum(f.confidence for f in fields.values()) / len(fields) if fields else 0.0
        counts = {
            source: sum(1 for f in fields.values() if f.source is source)
            for source in ParameterSource
        }
        proposals = extraction.proposed_overrides
        level: ConfidenceLevel = (
            "high"
            if confidence >= 0.8 and not extraction.issues and not proposals
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
            + (f"; {len(proposals)} forecast override(s) to accept or not" if proposals else "")
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
            proposed_overrides=[
                ProposedOverrideRead(
                    **p.model_dump(), category_code=_category_code(p.category, categories or {})
                )
                for p in proposals
            ],
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
    approval_id: UUID | None = Field(
        default=None,
        description="The approval decided, as shown to the approver: one superseded since "
        "(a forecast override re-proposed the order) is refused with 409 "
        "`approval_superseded`. Left out: the one pending.",
    )

    @model_validator(mode="after")
    def _value_when_modifying(self) -> Self:
        if self.action is DecisionAction.MODIFY and self.value is None and not self.line_values():
            raise ValueError("action 'modify' needs a value (or lines)")
        if self.action is DecisionAction.REJECT:
            raise ValueError("action 'reject' is for transfers; accept or modify this one")
        return self

    def line_values(self) -> dict[str, float] | None:
        """The decision's lines per category, when it has any (code -> units or percent)."""
        return None


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
                {
                    "workflow_id": EXAMPLE_WORKFLOW_ID,
                    "action": "modify",
                    "lines": {"OUTW": 13655},
                    "reason": "outerwear +10 % vs last year",
                },
            ]
        },
    )

    value: float | None = Field(
        default=None,
        ge=0,
        strict=True,
        validation_alias=AliasChoices("value", "quantity"),
        description="The quantity to order (action 'modify'); within the proposal's bounds. "
        "Split across the categories by the proposal's shares.",
    )
    lines: dict[str, int] | None = Field(
        default=None,
        description="Units per category code (action 'modify'), each within its line's "
        "bounds; categories left out keep the proposed units, and the total follows the lines.",
    )

    @field_validator("lines")
    @classmethod
    def _whole_units(cls, lines: dict[str, int] | None) -> dict[str, int] | None:
        if lines is None:
            return None
        if not lines:
            raise ValueError("lines must name at least one category")
        negative = sorted(code for code, units in lines.items() if units < 0)
        if negative:
            raise ValueError(f"lines must not be negative: {', '.join(negative)}")
        return lines

    def line_values(self) -> dict[str, float] | None:
        return None if self.lines is None else {code: float(u) for code, u in self.lines.items()}


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
                {
                    "workflow_id": EXAMPLE_WORKFLOW_ID,
                    "action": "modify",
                    "lines": {"DRES": 20, "OUTW": 0, "KNIT": 0, "ACCS": 5},
                    "reason": "only dresses are behind",
                },
            ]
        },
    )

    lines: dict[str, Annotated[float, Field(strict=True, ge=0, le=100)]] | None = Field(
        default=None,
        description="Per category code, its markdown in percent (action 'modify'), each up to "
        "the proposal's maximum; a category left out keeps its proposed depth. With `value`, "
        "`value` is the depth of every category the lines leave out.",
    )

    @field_validator("lines")
    @classmethod
    def _lines_in_percent(cls, lines: dict[str, float] | None) -> dict[str, float] | None:
        if lines is None:
            return None
        for code, depth in lines.items():
            check_percent(f"the markdown of {code} (lines.{code})", depth)
        return {code.strip().upper(): float(depth) for code, depth in lines.items()}

    def line_values(self) -> dict[str, float] | None:
        return self.lines

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
    proposed_lines: dict[str, float] = Field(
        default_factory=dict,
        description="Per category, what was proposed (units of the order, or markdown depths).",
    )
    decided_lines: dict[str, float] = Field(
        default_factory=dict,
        description="Per category, what was decided: the lines sent, or the order's total split "
        "by the proposal's shares; empty for one markdown depth for every category.",
    )
