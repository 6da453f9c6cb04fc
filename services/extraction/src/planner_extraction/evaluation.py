"""Scoring an extraction against what a careful reader takes from the brief.

The corpus (services/extraction/tests/corpus/briefs.yaml) states, per brief, the parameters
it gives, which of them are inferred and which issues it must raise; the tests demand a
perfect score and the benchmark reports the score per parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from planner_shared.parameters import PARAMETER_NAMES, ParameterExtraction, ParameterSource

_FLOAT_TOLERANCE = 0.01


class CorpusBrief(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    style: str
    brief: str
    reference_date: date | None = None
    expect: dict[str, Any] = Field(default_factory=dict)
    inferred: list[str] = Field(default_factory=list)
    issues: list[str] = Field(
        default_factory=list, description="'field:kind' beyond the implied missing issues."
    )

    def expected_issues(self) -> set[tuple[str | None, str]]:
        explicit = {_issue_key(text) for text in self.issues}
        flagged = {name for name, _ in explicit}
        implied = {
            (name, "missing")
            for name in PARAMETER_NAMES
            if name not in self.expect and name not in flagged
        }
        nothing = {(None, "missing")} if not self.expect else set()
        return explicit | implied | nothing


class Corpus(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reference_date: date
    briefs: list[CorpusBrief]

    def reference_for(self, brief: CorpusBrief) -> date:
        return brief.reference_date or self.reference_date


def _issue_key(text: str) -> tuple[str | None, str]:
    name, _, kind = text.partition(":")
    return (None if name == "-" else name), kind


@dataclass
class BriefScore:
    parameters: dict[str, bool] = field(default_factory=dict)  # value and source right
    values: dict[str, bool] = field(default_factory=dict)  # value right, whatever the source
    issues_correct: bool = True
    usable_correct: bool = True
    problems: list[str] = field(default_factory=list)

    @property
    def perfect(self) -> bool:
        return all(self.parameters.values()) and self.issues_correct and self.usable_correct


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return abs(float(expected) - float(actual)) <= _FLOAT_TOLERANCE
    if isinstance(expected, date):
        return expected.isoformat() == str(actual)
    return str(expected) == str(actual)


def score(extraction: ParameterExtraction, brief: CorpusBrief) -> BriefScore:
    result = BriefScore()
    for name in PARAMETER_NAMES:
        got = extraction.fields[name]
        if name in brief.expect:
            want_source = (
                ParameterSource.INFERRED if name in brief.inferred else ParameterSource.STATED
            )
            result.values[name] = _same(brief.expect[name], got.value)
            correct = result.values[name] and got.source is want_source
            if not correct:
                result.problems.append(
                    f"{name}: expected {brief.expect[name]!r} ({want_source.value}), "
                    f"got {got.value!r} ({got.source.value})"
                )
        else:
            correct = got.source is ParameterSource.DEFAULT
            result.values[name] = correct
            if not correct:
                result.problems.append(
                    f"{name}: expected the default, got {got.value!r} ({got.source.value})"
                )
        result.parameters[name] = correct
    actual_issues = {(issue.field, issue.kind) for issue in extraction.issues}
    expected_issues = brief.expected_issues()
    if actual_issues != expected_issues:
        result.issues_correct = False
        result.problems.append(
            f"issues: missing {sorted(expected_issues - actual_issues, key=str)}, "
            f"unexpected {sorted(actual_issues - expected_issues, key=str)}"
        )
    if extraction.usable != bool(brief.expect):
        result.usable_correct = False
        result.problems.append(f"usable: expected {bool(brief.expect)}, got {extraction.usable}")
    return result
