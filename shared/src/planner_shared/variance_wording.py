"""A variance check in a planner's words, written once for every service that reports it.

The figures and the verdicts come from the check itself (`VarianceCheckedPayload`): which
side of the forecast the actuals fell on, and whether the total or a category was above the
threshold. Nothing here decides the rule again.
"""

from __future__ import annotations

import math
from itertools import groupby

from planner_shared.events import CategoryVarianceResult, VarianceCheckedPayload


def _pct(value: float) -> str:
    return f"{value:.1%}"


def _side(actual: float | None, forecast: float | None) -> str:
    if actual is None or forecast is None:
        return "off"
    if actual > forecast:
        return "above"
    return "below" if actual < forecast else "on"


def _total(check: VarianceCheckedPayload) -> str:
    side = _side(check.actual_units, check.forecast_units)
    if not math.isfinite(check.total_variance):
        figure = "sold against a total forecast of zero"
    elif side == "on":
        figure = "on forecast"
    else:
        figure = f"{_pct(check.total_variance)} {side} {'the ' if side == 'off' else ''}forecast"
    over = check.total_exceeded
    if over is None:  # an event stored before the check said which part fired
        bound = f"threshold {check.threshold:.0%}"
    else:
        bound = f"{'over' if over else 'within'} {check.threshold:.0%}"
    return f"total {figure} ({bound})"


def _categories(fired: list[CategoryVarianceResult]) -> str:
    """'KNIT 29.0% and OUTW 40.1% above forecast; DRESS 35.0% below forecast'."""
    groups = []
    for side, members in groupby(
        sorted(fired, key=lambda c: (c.direction, c.category_code)), key=lambda c: c.direction
    ):
        figures = [
            f"{c.category_code} {_pct(c.variance)}"
            if math.isfinite(c.variance)
            else f"{c.category_code} (forecast zero)"
            for c in members
        ]
        listed = (
            figures[0] if len(figures) == 1 else ", ".join(figures[:-1]) + f" and {figures[-1]}"
        )
        groups.append(f"{listed} {side} forecast")
    return "; ".join(groups)


def variance_summary(check: VarianceCheckedPayload) -> str:
    """'total 9.8% above forecast (within 20%); KNIT 29.0% above forecast' — the total, then
    every category above the threshold."""
    text = _total(check)
    fired = [c for c in check.categories if c.exceeded]
    if fired:
        text += "; " + _categories(fired)
    return text


def variance_fired(check: VarianceCheckedPayload) -> str:
    """What fired the rule: the categories above the threshold, or else the total."""
    fired = [c for c in check.categories if c.exceeded]
    if fired and not check.total_exceeded:
        return f"{_categories(fired)} (threshold {check.threshold:.0%})"
    return _total(check)


def variance_outcome(check: VarianceCheckedPayload) -> str:
    """Whether the rule fired. Whether a re-forecast starts is the orchestrator's to say (its
    own message follows); checks stored before it decided carry what they started."""
    if check.reforecast_run_number is not None:
        return f"re-forecast run {check.reforecast_run_number}"
    if check.reforecast_under_way is not None:
        return f"re-forecast run {check.reforecast_under_way} already under way"
    return "over the threshold" if check.exceeded else "no re-forecast needed"


def describe_variance(check: VarianceCheckedPayload) -> str:
    """'week 4: total 9.8% above forecast (within 20%); KNIT 29.0% and OUTW 40.1% above
    forecast → re-forecast run 2'."""
    return f"week {check.week_number}: {variance_summary(check)} → {variance_outcome(check)}"
