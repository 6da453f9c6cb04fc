"""From what a reader found in a brief to a validated ParameterExtraction.

Both extractors (the offline parser and the LLM) hand over the same `Reading`: for each
parameter the candidate values they found, with confidence, source and evidence, plus the
issues they noticed. This module applies the rules both must obey, so they return the same
shape with the same guarantees:

- one distinct value: validated against the parameter's range; out of range -> the default,
  with an `out_of_range` issue;
- several distinct values: a `contradictory` issue naming them and the default, never a pick;
- none: the default with a `missing` issue (unless the reader already raised an issue for
  that parameter, which then explains the default);
- a brief where every value is a default is `usable=False`, with one issue saying what a
  planner needs to write.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from pydantic_core import to_jsonable_python

from planner_shared.parameters import (
    DEFAULT_DC_HOLDBACK_PERCENTAGE,
    DEFAULT_HORIZON_WEEKS,
    DEFAULT_MARKDOWN_THRESHOLD,
    DEFAULT_REPLENISHMENT,
    EARLIEST_SEASON_START,
    LATEST_SEASON_START,
    PARAMETER_NAMES,
    ExtractionIssue,
    IssueKind,
    ParameterExtraction,
    ParameterField,
    ParameterSource,
    ProposedOverride,
    ReplenishmentStrategy,
    SeasonParameters,
    check_percent,
    default_checkpoint_week,
    next_monday,
)

# How sure a default is: it reflects no word of the brief. Lower still when the brief did say
# something for that parameter that could not be used (a contradiction, a value out of range).
DEFAULT_CONFIDENCE = 0.2
OVERRULED_DEFAULT_CONFIDENCE = 0.0
MAX_READER_ISSUES = 20
# A contradiction names at most this many of the values it saw.
_SHOWN_VALUES = 5

LABELS = {
    "forecast_horizon_weeks": "season length (weeks)",
    "season_start_date": "season start date",
    "replenishment_strategy": "replenishment strategy",
    "dc_holdback_percentage": "DC holdback percentage",
    "markdown_checkpoint_week": "markdown checkpoint week",
    "markdown_threshold": "markdown sell-through threshold",
}


@dataclass(frozen=True)
class SeasonFraction:
    """A checkpoint given relative to the season's length ("mid-season" is 0.5)."""

    fraction: float

    def resolve(self, horizon: int) -> int:
        return max(1, int(horizon * self.fraction))

    def __str__(self) -> str:
        return "mid-season" if self.fraction == 0.5 else f"{self.fraction:.0%} into the season"


@dataclass(frozen=True)
class WeeksBeforeEnd:
    """A checkpoint counted back from the end ("three weeks before the end")."""

    weeks: int

    def resolve(self, horizon: int) -> int:
        return horizon - self.weeks

    def __str__(self) -> str:
        return f"{self.weeks} weeks before the end"


RelativeWeek = SeasonFraction | WeeksBeforeEnd


@dataclass(frozen=True)
class NoMarkdown:
    """The brief says the season has no markdown ("no markdown this season"): the checkpoint
    is null, which the parameters allow and never default to."""

    def __str__(self) -> str:
        return "no markdown"


NO_MARKDOWN = NoMarkdown()


@dataclass(frozen=True)
class Candidate:
    """One value a reader found for a parameter."""

    value: Any
    confidence: float
    source: ParameterSource
    evidence: str | None = None

    def __post_init__(self) -> None:
        if self.source is ParameterSource.DEFAULT:
            raise ValueError("a candidate comes from the brief; defaults are assembled later")


@dataclass
class Reading:
    """What a reader found: candidates per parameter and the issues it noticed."""

    candidates: dict[str, list[Candidate]] = field(
        default_factory=lambda: {name: [] for name in PARAMETER_NAMES}
    )
    issues: list[ExtractionIssue] = field(default_factory=list)
    # Adjustments of the forecast the brief asks for: proposed overrides, never parameters.
    overrides: list[ProposedOverride] = field(default_factory=list)
    # Issues past MAX_READER_ISSUES are counted, not listed: a brief of a thousand unreadable
    # values gets one line saying so, not a megabyte of them.
    not_listed: int = 0
    _seen: set[ExtractionIssue] = field(default_factory=set, repr=False, compare=False)

    def add(self, name: str, candidate: Candidate) -> None:
        self.candidates[name].append(candidate)

    def flag(self, name: str | None, kind: IssueKind, message: str) -> None:
        issue = ExtractionIssue(field=name, kind=kind, message=message)
        if issue in self._seen:
            return
        self._seen.add(issue)
        if len(self.issues) >= MAX_READER_ISSUES:
            self.not_listed += 1
        else:
            self.issues.append(issue)


class _RejectedError(ValueError):
    def __init__(self, kind: Literal["out_of_range", "invalid"], message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _whole_number(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _RejectedError("invalid", f"{what} must be a whole number, got {value!r}")
    if float(value) != int(value):
        raise _RejectedError("invalid", f"{what} must be a whole number of weeks, got {value}")
    return int(value)


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _RejectedError("invalid", f"{what} must be a number, got {value!r}")
    return float(value)


def _horizon(value: Any) -> int:
    weeks = _whole_number(value, "The season length")
    if not 1 <= weeks <= 52:
        raise _RejectedError("out_of_range", f"A season of {weeks} weeks is outside 1-52 weeks")
    return weeks


def _start(value: Any) -> date:
    if isinstance(value, date):
        start = value
    else:
        try:
            start = date.fromisoformat(str(value))
        except ValueError:
            raise _RejectedError(
                "invalid", f"{value!r} is not a date (expected YYYY-MM-DD)"
            ) from None
    if not EARLIEST_SEASON_START <= start <= LATEST_SEASON_START:
        raise _RejectedError(
            "out_of_range",
            f"A season starting {start.isoformat()} is outside "
            f"{EARLIEST_SEASON_START.isoformat()} to {LATEST_SEASON_START.isoformat()}",
        )
    return start


_STRATEGY_SPELLINGS = {
    "none": ReplenishmentStrategy.NONE,
    "no": ReplenishmentStrategy.NONE,
    "weekly": ReplenishmentStrategy.WEEKLY,
    "bi_weekly": ReplenishmentStrategy.BI_WEEKLY,
    "bi-weekly": ReplenishmentStrategy.BI_WEEKLY,
    "biweekly": ReplenishmentStrategy.BI_WEEKLY,
    "fortnightly": ReplenishmentStrategy.BI_WEEKLY,
}


def _strategy(value: Any) -> ReplenishmentStrategy:
    spelled = str(value).strip().lower()
    if spelled in _STRATEGY_SPELLINGS:
        return _STRATEGY_SPELLINGS[spelled]
    raise _RejectedError(
        "out_of_range",
        f"Replenishment '{value}' is not supported; choose none, weekly or bi-weekly",
    )


def _holdback(value: Any) -> float:
    share = _number(value, "The DC holdback")
    if not 0 <= share < 100:
        raise _RejectedError(
            "out_of_range",
            f"A DC holdback of {share:g}% is outside 0-100% (under 100: the stores need stock)",
        )
    try:  # the API's unit convention: a percent between 0 and 1 is a fraction in disguise
        return check_percent("The DC holdback", share)
    except ValueError as exc:
        raise _RejectedError("out_of_range", str(exc)) from None


def _threshold(value: Any) -> float:
    share = _number(value, "The sell-through threshold")
    if not 0 <= share <= 1:
        raise _RejectedError(
            "out_of_range", f"A sell-through threshold of {share:g} is outside 0-1 (0-100%)"
        )
    return share


def _checkpoint_validator(horizon: int) -> Callable[[Any], int | None]:
    def validate(value: Any) -> int | None:
        if isinstance(value, NoMarkdown):
            return None
        resolved = value.resolve(horizon) if isinstance(value, RelativeWeek) else value
        week = _whole_number(resolved, "The markdown checkpoint")
        if not 1 <= week <= horizon:
            raise _RejectedError(
                "out_of_range",
                f"Markdown checkpoint week {week} is outside the {horizon}-week season",
            )
        return week

    return validate


def _describe(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _default_text(name: str, value: Any) -> str:
    if name == "forecast_horizon_weeks":
        return f"{value} weeks"
    if name == "season_start_date":
        return f"next Monday, {value.isoformat()}"
    if name == "dc_holdback_percentage":
        return f"{value:g}%"
    if name == "markdown_checkpoint_week":
        return f"week {value} (half the season)"
    if name == "markdown_threshold":
        return f"{value:.0%} sell-through"
    return str(value)


def _shown_values(distinct: dict[Any, list[Candidate]]) -> str:
    """The values a brief contradicts itself with, each with its words, the first few."""
    shown = "; ".join(
        f"{key} ('{group[0].evidence}')" if group[0].evidence else key
        for key, group in itertools.islice(distinct.items(), _SHOWN_VALUES)
    )
    if len(distinct) > _SHOWN_VALUES:
        shown += f"; and {len(distinct) - _SHOWN_VALUES} more"
    return shown


class _Assembler:
    # Field values are kept in their JSON form (ISO dates, plain strings) so an extraction
    # reads the same after a trip through an event payload; `parameters` has the typed ones.

    def __init__(self, reading: Reading) -> None:
        self.reading = reading
        self.issues = list(reading.issues)
        self.fields: dict[str, ParameterField] = {}

    def _flagged(self, name: str) -> bool:
        return any(issue.field == name for issue in self.issues)

    def resolve(
        self, name: str, default: Any, validate: Callable[[Any], Any], *, needed: bool = True
    ) -> Any:
        """The value of `name`; `needed=False`: its absence is not worth an issue."""
        candidates = self.reading.candidates.get(name, [])
        distinct: dict[Any, list[Candidate]] = {}
        for candidate in candidates:
            key = _describe(_resolved_key(candidate.value, validate))
            distinct.setdefault(key, []).append(candidate)
        label = LABELS[name]
        if len(distinct) > 1:
            self.issues.append(
                ExtractionIssue(
                    field=name,
                    kind="contradictory",
                    message=f"The brief gives different values for the {label}: "
                    f"{_shown_values(distinct)}. Using the default "
                    f"{_default_text(name, default)} until you choose one.",
                )
            )
            return self._default(name, default, OVERRULED_DEFAULT_CONFIDENCE, candidates)
        if not distinct:
            if not needed:
                return self._default(name, default, DEFAULT_CONFIDENCE, [])
            if not self._flagged(name):
                self.issues.append(
                    ExtractionIssue(
                        field=name,
                        kind="missing",
                        message=f"No {label} in the brief; using the default "
                        f"{_default_text(name, default)}.",
                    )
                )
                return self._default(name, default, DEFAULT_CONFIDENCE, [])
            return self._default(name, default, OVERRULED_DEFAULT_CONFIDENCE, [])
        try:
            value = validate(candidates[0].value)
        except _RejectedError as rejected:
            self.issues.append(
                ExtractionIssue(
                    field=name,
                    kind=rejected.kind,
                    message=f"{rejected}; using the default {_default_text(name, default)}.",
                )
            )
            return self._default(name, default, OVERRULED_DEFAULT_CONFIDENCE, candidates)
        best = max(candidates, key=lambda c: c.confidence)
        stated = any(c.source is ParameterSource.STATED for c in candidates)
        self.fields[name] = ParameterField(
            name=name,
            value=to_jsonable_python(value),
            confidence=round(min(max(best.confidence, 0.0), 1.0), 3),
            source=ParameterSource.STATED if stated else ParameterSource.INFERRED,
            evidence=best.evidence,
        )
        return value

    def _default(
        self, name: str, default: Any, confidence: float, rejected: Sequence[Candidate]
    ) -> Any:
        evidence = "; ".join(dict.fromkeys(c.evidence for c in rejected if c.evidence)) or None
        self.fields[name] = ParameterField(
            name=name,
            value=to_jsonable_python(default),
            confidence=confidence,
            source=ParameterSource.DEFAULT,
            evidence=evidence,
        )
        return default


def _resolved_key(value: Any, validate: Callable[[Any], Any]) -> Any:
    # Compare what values mean, not how they were written: "mid-season" and "week 6" agree
    # in a 12-week season. A value that does not validate is compared as written.
    try:
        return validate(value)
    except _RejectedError:
        return value


def assemble(
    reading: Reading,
    *,
    reference_date: date,
    extractor: Literal["offline", "llm"],
) -> ParameterExtraction:
    """The validated extraction: every parameter resolved, defaulted or flagged."""
    assembler = _Assembler(reading)
    horizon = assembler.resolve("forecast_horizon_weeks", DEFAULT_HORIZON_WEEKS, _horizon)
    start = assembler.resolve("season_start_date", _default_start(reference_date), _start)
    strategy = assembler.resolve(
        "replenishment_strategy", ReplenishmentStrategy(DEFAULT_REPLENISHMENT), _strategy
    )
    holdback = assembler.resolve(
        "dc_holdback_percentage", DEFAULT_DC_HOLDBACK_PERCENTAGE, _holdback
    )
    checkpoint = assembler.resolve(
        "markdown_checkpoint_week",
        default_checkpoint_week(horizon),
        _checkpoint_validator(horizon),
    )
    # A season without a markdown has no use for a threshold: none given is no issue.
    threshold = assembler.resolve(
        "markdown_threshold",
        DEFAULT_MARKDOWN_THRESHOLD,
        _threshold,
        needed=checkpoint is not None,
    )
    parameters = SeasonParameters(
        forecast_horizon_weeks=horizon,
        season_start_date=start,
        replenishment_strategy=strategy,
        dc_holdback_percentage=holdback,
        markdown_checkpoint_week=checkpoint,
        markdown_threshold=threshold,
    )
    fields = {name: assembler.fields[name] for name in PARAMETER_NAMES}
    usable = any(f.source is not ParameterSource.DEFAULT for f in fields.values())
    issues = assembler.issues
    if reading.not_listed:
        issues.append(
            ExtractionIssue(
                field=None,
                kind="unparsed",
                message=f"{reading.not_listed} more things in the brief could not be read "
                f"(only the first {MAX_READER_ISSUES} are listed).",
            )
        )
    if not usable:
        issues = [_nothing_usable(fields), *issues]
    return ParameterExtraction(
        parameters=parameters,
        fields=fields,
        issues=issues,
        extractor=extractor,
        usable=usable,
        proposed_overrides=reading.overrides,
    )


def _default_start(reference_date: date) -> date:
    # The next Monday, kept inside the range a season may start in (a brief read against
    # 2099-12-31 would otherwise default to a start in 2100 and fail its own validation).
    latest = LATEST_SEASON_START - timedelta(days=LATEST_SEASON_START.weekday())
    earliest = next_monday(EARLIEST_SEASON_START - timedelta(days=1))
    return min(max(next_monday(reference_date), earliest), latest)


def _nothing_usable(fields: Mapping[str, ParameterField]) -> ExtractionIssue:
    return ExtractionIssue(
        field=None,
        kind="missing",
        message=(
            "The brief gives none of the season parameters, so every value below is a default. "
            "Please state: "
            + ", ".join(LABELS[name] for name in fields)
            + ". For example: 'Plan the 12-week spring season starting March 2, replenish "
            "weekly, keep 45% at the DC, check markdowns at week 6 if sell-through is under 60%'."
        ),
    )
