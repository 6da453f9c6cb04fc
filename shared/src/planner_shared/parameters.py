"""SeasonParameters: the five key parameters of a season, with their ranges and defaults.

Defaults (used only when the planner's brief leaves a value out, and always flagged):

| parameter                 | default                 | range                   |
|---------------------------|-------------------------|-------------------------|
| forecast_horizon_weeks    | 12                      | 1-52                    |
| season_start_date         | next Monday             | 2000-01-01 to 2099-12-31 (*) |
| replenishment_strategy    | weekly                  | none, weekly, bi_weekly |
| dc_holdback_percentage    | 45                      | 0 to under 100 (percent) |
| markdown_checkpoint_week  | horizon // 2 (at least 1)| 1-horizon, or null (*) |
| markdown_threshold        | 0.60                    | 0-1 (fraction)          |
| transfer_strategy         | hybrid                  | none, dc_only, hybrid   |

(*) season_start_date: and a new season at most 104 weeks ahead. markdown_checkpoint_week:
null (given as null, never defaulted to it) means a season without a markdown: no
sell-through checkpoint, no pricing step, the season completes after its last week.
transfer_strategy: which moves the weekly transfer proposal may make (docs/transfers.md):
none, DC releases only, or DC releases and store-to-store moves (the default, so a brief that
does not mention transfers still gets the study's proposal; it is not one of the five key
parameters a brief must state).

Why the bounds: a season far in the future is forecast week by week from the end of the
history, so a season in year 6403 would hold a forecast replica for minutes while every
other season waits; one starting more than `MAX_WEEKS_AHEAD` weeks after the request is
refused (`season_start_problem`: the gateway against today, the forecast service against the
request's time, so a replayed request is judged as when it was made). The absolute range
keeps every derived date (the season's end) a valid date. A holdback of 100% would leave
nothing to allocate to the stores: it is refused up front, not at allocation after the
approval.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    computed_field,
    field_validator,
    model_validator,
)

DEFAULT_HORIZON_WEEKS = 12
DEFAULT_REPLENISHMENT = "weekly"
DEFAULT_DC_HOLDBACK_PERCENTAGE = 45.0
DEFAULT_MARKDOWN_THRESHOLD = 0.60
EARLIEST_SEASON_START = date(2000, 1, 1)
LATEST_SEASON_START = date(2099, 12, 31)
MAX_WEEKS_AHEAD = 104

# ---------------------------------------------------------------- units
# One convention across the API: a field whose name ends in `_pct` or `_percentage` is in
# percent (0-100, 45 is 45%); every other share (sell-through, variance, thresholds,
# confidences, weights) is a fraction (0-1), named `..._fraction` where the name alone could
# be read either way. Each such field's JSON schema says which (`x-unit`). A value that looks
# like the other unit is refused, never stored as it came: a holdback of 0.45 would be 0.45%.
PERCENT_SCHEMA: dict[str, Any] = {"x-unit": "percent"}
FRACTION_SCHEMA: dict[str, Any] = {"x-unit": "fraction"}


def check_percent(name: str, value: float) -> float:
    """A percent (0-100) that is not a fraction in disguise: 0 < value < 1 is refused."""
    if 0 < value < 1:
        raise ValueError(
            f"{name} is a percent (0-100), and {value:g} looks like a fraction: "
            f"send {value * 100:g} for {value * 100:g}%"
        )
    return value


def check_fraction(name: str, value: float) -> float:
    """A fraction (0-1) that is not a percent in disguise: above 1 is refused."""
    if 1 < value <= 100:
        raise ValueError(
            f"{name} is a fraction (0-1), and {value:g} looks like a percent: "
            f"send {value / 100:g} for {value:g}%"
        )
    if value > 1:
        raise ValueError(f"{name} is a fraction (0-1); {value:g} is out of range")
    return value


PARAMETER_NAMES = (
    "forecast_horizon_weeks",
    "season_start_date",
    "replenishment_strategy",
    "dc_holdback_percentage",
    "markdown_checkpoint_week",
    "markdown_threshold",
)


class ReplenishmentStrategy(StrEnum):
    NONE = "none"
    WEEKLY = "weekly"
    BI_WEEKLY = "bi_weekly"


class TransferStrategy(StrEnum):
    NONE = "none"
    DC_ONLY = "dc_only"
    HYBRID = "hybrid"


DEFAULT_TRANSFER_STRATEGY = TransferStrategy.HYBRID


def next_monday(today: date) -> date:
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


def default_checkpoint_week(horizon_weeks: int) -> int:
    return max(1, horizon_weeks // 2)


class SeasonParameters(BaseModel):
    """Validated parameters of one season."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    forecast_horizon_weeks: int = Field(
        ge=1, le=52, description="Season length in weeks.", examples=[12]
    )
    season_start_date: date = Field(
        ge=EARLIEST_SEASON_START,
        le=LATEST_SEASON_START,
        description="First day of week 1 (2000-01-01 to 2099-12-31; a new season at most "
        f"{MAX_WEEKS_AHEAD} weeks ahead).",
        examples=["2027-03-01"],
    )
    replenishment_strategy: ReplenishmentStrategy = Field(
        description="How often stores are replenished from the DC.", examples=["weekly"]
    )
    dc_holdback_percentage: float = Field(
        ge=0,
        lt=100,
        description="Share of the order kept at the distribution centre, in percent (under 100: "
        "the stores need some of it): 45 is 45%. A value between 0 and 1 is refused as a fraction.",
        examples=[45.0],
        json_schema_extra=PERCENT_SCHEMA,
    )
    markdown_checkpoint_week: int | None = Field(
        ge=1,
        le=52,
        description="Season week at which sell-through is checked; null: no markdown this "
        "season (no checkpoint, no pricing step).",
        examples=[6],
    )
    markdown_threshold: float = Field(
        ge=0,
        description="Target sell-through at the checkpoint, a fraction (0-1): 0.6 is 60%. "
        "A value above 1 is refused as a percent.",
        examples=[0.6],
        json_schema_extra=FRACTION_SCHEMA,
    )
    transfer_strategy: TransferStrategy = Field(
        default=DEFAULT_TRANSFER_STRATEGY,
        description="Which stock moves the weekly transfer proposal may make: 'none', "
        "'dc_only' (DC releases) or 'hybrid' (DC releases and store-to-store moves).",
        examples=["hybrid"],
    )

    @field_validator("dc_holdback_percentage")
    @classmethod
    def _holdback_in_percent(cls, value: float, info: ValidationInfo) -> float:
        return check_percent(info.field_name or "value", value)

    @field_validator("markdown_threshold")
    @classmethod
    def _threshold_as_fraction(cls, value: float, info: ValidationInfo) -> float:
        return check_fraction(info.field_name or "value", value)

    @model_validator(mode="before")
    @classmethod
    def _accept_derived_end_date(cls, data: Any) -> Any:
        # The serialised form carries the derived end date; accept it back when it agrees.
        if isinstance(data, dict) and "season_end_date" in data:
            data = dict(data)
            stated_end = data.pop("season_end_date")
            try:
                start = date.fromisoformat(str(data["season_start_date"]))
                weeks = int(data["forecast_horizon_weeks"])
            except (KeyError, TypeError, ValueError):
                return data
            derived = start + timedelta(weeks=weeks, days=-1)
            if stated_end is not None and str(stated_end) != derived.isoformat():
                raise ValueError(
                    f"season_end_date {stated_end} does not match season_start_date + "
                    f"forecast_horizon_weeks ({derived.isoformat()}); omit it or correct it"
                )
        return data

    @model_validator(mode="after")
    def _checkpoint_within_season(self) -> Self:
        week = self.markdown_checkpoint_week
        if week is not None and week > self.forecast_horizon_weeks:
            raise ValueError(
                f"markdown_checkpoint_week ({self.markdown_checkpoint_week}) is after the end "
                f"of the season ({self.forecast_horizon_weeks} weeks)"
            )
        return self

    # mypy refuses a decorator above @property; pydantic documents this ignore for it.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def season_end_date(self) -> date:
        return self.season_start_date + timedelta(weeks=self.forecast_horizon_weeks, days=-1)

    def week_start(self, week_number: int) -> date:
        return self.season_start_date + timedelta(weeks=week_number - 1)


def season_start_problem(start: date, today: date) -> str | None:
    """Why a season starting on `start` may not be planned on `today`, or None."""
    latest = today + timedelta(weeks=MAX_WEEKS_AHEAD)
    if start > latest:
        return (
            f"the season starts {start.isoformat()}, more than {MAX_WEEKS_AHEAD} weeks after "
            f"{today.isoformat()} (latest {latest.isoformat()}): forecasting that far ahead of "
            "the sales history is not meaningful"
        )
    return None


class ParameterSource(StrEnum):
    STATED = "stated"
    INFERRED = "inferred"
    DEFAULT = "default"


class ParameterField(BaseModel):
    """How one parameter was obtained."""

    model_config = ConfigDict(frozen=True)

    name: str
    value: Any
    confidence: float = Field(ge=0, le=1)
    source: ParameterSource
    evidence: str | None = Field(default=None, description="The words of the brief it came from.")


IssueKind = Literal["missing", "contradictory", "out_of_range", "unparsed", "invalid"]


class ExtractionIssue(BaseModel):
    """Something the planner must look at: never guessed silently."""

    model_config = ConfigDict(frozen=True)

    field: str | None
    kind: IssueKind
    message: str


class ProposedOverride(BaseModel):
    """An adjustment the brief asks for ("outerwear up 10 % vs last year", "dresses flat"),
    read as a forecast override for the planner to accept (docs/overrides.md); never
    applied by reading the brief alone."""

    model_config = ConfigDict(frozen=True)

    category: str = Field(description="The category as the brief names it ('outerwear').")
    percent: float = Field(description="+10 is 10 % more demand than the forecast; 0: flat.")
    weeks: list[int] | None = Field(
        default=None, description="Season weeks the brief names; null: the whole season."
    )
    reason: str = Field(description="The override's reason if accepted: the brief's words.")
    evidence: str = Field(description="The words of the brief it came from.")
    confidence: float = Field(ge=0, le=1)
    note: str | None = Field(
        default=None, description="How it was read, where the planner should check it."
    )


class ParameterExtraction(BaseModel):
    """The result of reading a brief: parameters, per-field provenance, and issues."""

    model_config = ConfigDict(frozen=True)

    parameters: SeasonParameters
    fields: dict[str, ParameterField]
    issues: list[ExtractionIssue] = Field(default_factory=list)
    extractor: Literal["offline", "llm"]
    usable: bool = Field(
        description="False when the brief carried nothing usable: every value was defaulted."
    )
    proposed_overrides: list[ProposedOverride] = Field(
        default_factory=list,
        description="Adjustments of the forecast the brief asks for, to accept or not.",
    )

    # mypy refuses a decorator above @property; pydantic documents this ignore for it.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def defaulted(self) -> list[str]:
        return [n for n, f in self.fields.items() if f.source is ParameterSource.DEFAULT]

    # mypy refuses a decorator above @property; pydantic documents this ignore for it.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def needs_review(self) -> bool:
        return bool(self.issues) or not self.usable or bool(self.proposed_overrides)
