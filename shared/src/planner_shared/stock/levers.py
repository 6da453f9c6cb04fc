"""A scenario's levers (docs/scenarios.md): what a planner may change in a fork of a season,
named as the season's parameters where they are one.

The model checks each lever on its own (ranges, units); `lever_problems` checks them against
the season they fork (its categories, the weeks already in, whether the order is allocated),
so every refusal names the lever's path and says what would be accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from planner_shared.parameters import PERCENT_SCHEMA, ReplenishmentStrategy, check_percent
from planner_shared.stock.season import SeasonStock

TransferStrategy = Literal["none", "dc_only", "hybrid"]


class MarkdownLever(BaseModel):
    """One category's markdown: a depth from the week after its checkpoint to the end."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    markdown_percentage: float = Field(
        ge=0,
        le=90,
        description="Markdown depth in percent: 20 is 20% off. 0 is no markdown.",
        json_schema_extra=PERCENT_SCHEMA,
    )
    markdown_checkpoint_week: int | None = Field(
        default=None,
        ge=0,
        le=52,
        description="The markdown applies from the week after this one; the season's "
        "markdown_checkpoint_week when left out.",
    )

    @field_validator("markdown_percentage")
    @classmethod
    def _percent(cls, value: float, info: ValidationInfo) -> float:
        return check_percent(info.field_name or "value", value)


class DemandAdjustment(BaseModel):
    """One category's expected demand moved by a percentage in chosen weeks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    change_percentage: float = Field(
        gt=-100,
        le=300,
        description="Demand change in percent: 10 is 10% more, -15 is 15% less.",
        json_schema_extra=PERCENT_SCHEMA,
    )
    weeks: list[int] | None = Field(
        default=None,
        max_length=52,
        description="The season weeks it applies to; every week not yet in when left out.",
    )

    @field_validator("change_percentage")
    @classmethod
    def _percent(cls, value: float, info: ValidationInfo) -> float:
        check_percent(info.field_name or "value", abs(value))
        return value


class ScenarioLevers(BaseModel):
    """The levers of a scenario; a lever left out keeps the live plan's value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    buy: dict[str, int] | None = Field(
        default=None,
        description="Units ordered per category (code -> units), before the buy only; "
        "categories left out keep the proposal.",
        examples=[{"OUTERWEAR": 24000}],
    )
    dc_holdback_percentage: float | None = Field(
        default=None,
        ge=0,
        lt=100,
        description="Share of the order kept at the DC, in percent (before the buy only).",
        json_schema_extra=PERCENT_SCHEMA,
    )
    replenishment_strategy: ReplenishmentStrategy | None = Field(
        default=None, description="How often the DC replenishes the stores."
    )
    markdown: dict[str, MarkdownLever] = Field(
        default_factory=dict, description="Markdown per category (code -> depth and week)."
    )
    demand_adjustment: dict[str, DemandAdjustment] = Field(
        default_factory=dict, description="Expected demand moved per category, in chosen weeks."
    )
    demand_elasticity: dict[str, float] = Field(
        default_factory=dict,
        description="The demand's price elasticity per category (negative: -2.2 means 1% off "
        "the price sells 2.2% more); used by the markdown.",
    )
    transfer_strategy: TransferStrategy | None = Field(
        default=None,
        description="The transfer rule run after each week ahead: 'none' (no moves), "
        "'dc_only' (DC releases) or 'hybrid' (DC releases and store-to-store moves); the "
        "season's transfer_strategy when left out.",
    )

    @field_validator("buy")
    @classmethod
    def _units(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        if value is None:
            return None
        for code, units in value.items():
            if not 0 <= units <= 10_000_000:
                raise ValueError(f"{code}: {units} units is outside 0 to 10,000,000")
        return {code.upper(): units for code, units in value.items()}

    @field_validator("dc_holdback_percentage")
    @classmethod
    def _holdback(cls, value: float | None, info: ValidationInfo) -> float | None:
        return None if value is None else check_percent(info.field_name or "value", value)

    @field_validator("demand_elasticity")
    @classmethod
    def _elasticity(cls, value: dict[str, float]) -> dict[str, float]:
        for code, elasticity in value.items():
            if not -10 <= elasticity < 0:
                raise ValueError(
                    f"{code}: an elasticity is negative (a lower price sells more), from -10 "
                    f"to below 0; got {elasticity:g}"
                )
        return {code.upper(): e for code, e in value.items()}

    @field_validator("markdown", "demand_adjustment")
    @classmethod
    def _codes(cls, value: dict[str, object]) -> dict[str, object]:
        return {code.upper(): lever for code, lever in value.items()}


Problem = tuple[str, str]  # (the lever's dotted path, what is wrong and what would do)


def lever_problems(levers: ScenarioLevers, stock: SeasonStock) -> list[Problem]:
    """What the season refuses of these levers (empty when they can be evaluated)."""
    found = _category_problems(levers, stock)
    if stock.allocated:
        why = (
            f"the order is decided and allocated (week {stock.weeks_in} of the season); "
            "it is a lever before the buy only"
        )
        if levers.buy is not None:
            found.append(("levers.buy", why))
        if levers.dc_holdback_percentage is not None:
            found.append(("levers.dc_holdback_percentage", why))
    return found + _week_problems(levers, stock)


def _category_problems(levers: ScenarioLevers, stock: SeasonStock) -> list[Problem]:
    known = sorted(stock.categories)
    groups: dict[str, Mapping[str, object]] = {
        "buy": levers.buy or {},
        "markdown": levers.markdown,
        "demand_adjustment": levers.demand_adjustment,
        "demand_elasticity": levers.demand_elasticity,
    }
    return [
        (
            f"levers.{name}.{code}",
            f"{code} is not a category of this season (its categories: {', '.join(known)})",
        )
        for name, values in groups.items()
        for code in sorted(values)
        if code not in stock.categories
    ]


def _week_problems(levers: ScenarioLevers, stock: SeasonStock) -> list[Problem]:
    """Markdown and demand weeks must lie after the weeks in and within the season."""
    first, last = stock.weeks_in + 1, stock.horizon
    found: list[Problem] = []
    for code, markdown in sorted(levers.markdown.items()):
        week = markdown.markdown_checkpoint_week
        if week is None:
            week = stock.checkpoint_week
        path = f"levers.markdown.{code}.markdown_checkpoint_week"
        if week is None:
            found.append((path, "the season has no markdown checkpoint: give the week"))
        elif not first - 1 <= week < last:
            found.append(
                (
                    path,
                    f"a markdown from the week after week {week} is not ahead of the season "
                    f"({stock.weeks_in} weeks in, {last} weeks): give {first - 1} to {last - 1}",
                )
            )
    for code, adjustment in sorted(levers.demand_adjustment.items()):
        outside = sorted({w for w in adjustment.weeks or [] if not first <= w <= last})
        if outside:
            found.append(
                (
                    f"levers.demand_adjustment.{code}.weeks",
                    f"week(s) {', '.join(map(str, outside))} are not ahead of the season "
                    f"({stock.weeks_in} weeks in, {last} weeks): give weeks {first} to {last}",
                )
            )
    return found
