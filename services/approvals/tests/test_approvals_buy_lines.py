"""A manufacturing decision by category: each line within its bounds, the total following the
lines, a single total split by the proposal's shares."""

from __future__ import annotations

import pytest

from planner_approvals.buy_lines import settle
from planner_approvals.decisions import DecisionError
from planner_shared.buy import line_bounds
from planner_shared.events import (
    DecisionAction,
    DecisionSubmittedPayload,
    ManufacturingLine,
    ManufacturingProposal,
)

# The sample's newsvendor lines (scripts/buy_example.py), +/- 20 % on the total.
UNITS = {"ACCS": 23864, "DRES": 31403, "KNIT": 8863, "OUTW": 7662}
TOTAL = sum(UNITS.values())
LOW, HIGH = round(TOTAL * 0.8), round(TOTAL * 1.2)
BOUNDS = line_bounds(UNITS, LOW, HIGH)
ORDER = ManufacturingProposal(
    quantity=TOTAL,
    min_quantity=LOW,
    max_quantity=HIGH,
    lines=[
        ManufacturingLine(
            category_code=code,
            forecast_units=units,
            safety_stock_pct=0.0,
            stock_on_hand=0,
            quantity=units,
            min_quantity=BOUNDS[code][0],
            max_quantity=BOUNDS[code][1],
        )
        for code, units in UNITS.items()
    ],
    rationale="newsvendor",
)


def decide(
    action: str = "modify",
    value: float | None = None,
    lines: dict[str, float] | None = None,
    reason: str | None = "outerwear +10 % vs last year",
) -> DecisionSubmittedPayload:
    return DecisionSubmittedPayload(
        kind="manufacturing",
        action=DecisionAction(action),
        value=value,
        lines=lines,
        reason=reason,
        decided_by="ann",
    )


def test_modifying_one_line_moves_the_total_with_it() -> None:
    value, proposed, decided = settle(ORDER, decide(lines={"OUTW": UNITS["OUTW"] + 6155}))
    assert value == TOTAL + 6155
    assert proposed == {code: float(u) for code, u in UNITS.items()}
    assert decided == proposed | {"OUTW": UNITS["OUTW"] + 6155.0}
    assert sum(decided.values()) == value


def test_accepting_takes_the_proposed_lines() -> None:
    value, proposed, decided = settle(ORDER, decide("accept", reason=None))
    assert value == TOTAL
    assert decided == proposed


@pytest.mark.parametrize("total", [LOW, HIGH, TOTAL + 6155, TOTAL - 1])
def test_a_single_total_is_split_by_the_proposal_shares(total: int) -> None:
    value, _, decided = settle(ORDER, decide(value=total))
    assert value == total
    assert sum(decided.values()) == total  # units conserved
    for code, units in decided.items():
        assert units == pytest.approx(total * UNITS[code] / TOTAL, abs=1)
        assert BOUNDS[code][0] <= units <= BOUNDS[code][1]


@pytest.mark.parametrize(
    ("lines", "value", "reason", "message"),
    [
        (
            {"OUTW": BOUNDS["OUTW"][1] + 1},
            None,
            "why",
            f"line OUTW: quantity {BOUNDS['OUTW'][1] + 1:,} is outside the line's allowed range "
            f"0-{BOUNDS['OUTW'][1]:,}",
        ),
        ({"DRES": BOUNDS["DRES"][0] - 1}, None, "why", "line DRES: quantity"),
        ({"SHOE": 10}, None, "why", "categories the order does not have: SHOE"),
        ({"KNIT": 100.5}, None, "why", "line KNIT: quantity must be a whole number"),
        ({"KNIT": -1}, None, "why", "line KNIT: quantity must be a whole number >= 0"),
        ({"OUTW": 9000}, 5, "why", "the lines add up to"),
        ({"OUTW": 9000}, None, " ", "needs a reason"),
        ({}, None, "why", "at least one category"),
        # Each line within its bounds, the total beyond the order's: refused on the total.
        (
            {"OUTW": BOUNDS["OUTW"][1], "ACCS": BOUNDS["ACCS"][1]},
            None,
            "why",
            "outside the allowed range",
        ),
    ],
)
def test_lines_out_of_bounds_are_refused_by_name(
    lines: dict[str, float], value: float | None, reason: str, message: str
) -> None:
    with pytest.raises(DecisionError) as refused:
        settle(ORDER, decide(value=value, lines=lines, reason=reason))
    assert refused.value.status_code == 422
    assert message in refused.value.reason


def test_accept_with_lines_is_refused() -> None:
    with pytest.raises(DecisionError, match="use 'modify'"):
        settle(ORDER, decide("accept", lines={"OUTW": 8000}))
