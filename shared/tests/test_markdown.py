"""The markdown rule at its edges."""

from __future__ import annotations

import pytest

from planner_shared.markdown import (
    compute_markdown,
    markdown_percentage,
    round_to_step,
)


@pytest.mark.parametrize(
    ("target", "actual", "elasticity", "expected"),
    [
        (0.60, 0.60, 2.0, 0.0),  # zero gap
        (0.60, 0.75, 2.0, 0.0),  # above target: never a negative markdown
        (0.60, 0.45, 2.0, 30.0),  # 0.15 x 2 = 30 exactly
        (0.60, 0.50, 1.5, 15.0),  # 0.10 x 1.5 = 15
        (0.60, 0.55, 1.2, 5.0),  # 6 -> 5
        (0.60, 0.59, 1.0, 0.0),  # 1 -> 0: too small a gap to mark down
        (0.60, 0.575, 1.0, 5.0),  # 2.5 is half-way: rounds up
        (0.60, 0.475, 1.0, 15.0),  # 12.5 half-way despite float noise in 0.6 - 0.475
        (0.60, 0.4749, 1.0, 15.0),  # 12.51 -> 15
        (0.60, 0.4751, 1.0, 10.0),  # 12.49 -> 10
        (0.60, 0.10, 2.0, 40.0),  # 100 -> capped at 40
        (0.60, 0.40, 2.0, 40.0),  # exactly at the cap
        (0.60, 0.39, 2.0, 40.0),  # 42 -> 40 rounded, and within the cap
        (0.60, 0.30, 0.0, 0.0),  # no elasticity, no markdown
        (1.0, 0.0, 0.4, 40.0),  # the widest gap
    ],
)
def test_markdown_percentage(
    target: float, actual: float, elasticity: float, expected: float
) -> None:
    assert markdown_percentage(target, actual, elasticity) == expected


def test_cap_that_is_not_a_multiple_of_the_step_holds_exactly() -> None:
    assert markdown_percentage(0.60, 0.30, 2.0, max_percentage=42.0) == 42.0
    assert markdown_percentage(0.60, 0.40, 2.0, max_percentage=42.0) == 40.0
    assert markdown_percentage(0.60, 0.30, 2.0, max_percentage=0.0) == 0.0


def test_computation_shows_its_working() -> None:
    result = compute_markdown(0.60, 0.20, 1.5)
    assert result.gap == pytest.approx(0.40)
    assert result.raw_percentage == pytest.approx(60.0)
    assert result.rounded_percentage == 60.0
    assert result.percentage == 40.0
    assert result.capped
    assert "capped at 40%" in result.explain()
    assert "no markdown" in compute_markdown(0.6, 0.7, 2.0).explain()


def test_custom_step() -> None:
    assert markdown_percentage(0.60, 0.47, 1.0, step=10.0) == 10.0
    assert markdown_percentage(0.60, 0.45, 1.0, step=10.0) == 20.0  # 15 half-way -> 20


@pytest.mark.parametrize(
    ("target", "actual", "elasticity", "max_percentage"),
    [
        (1.2, 0.5, 1.0, 40.0),
        (0.6, -0.1, 1.0, 40.0),
        (0.6, 0.5, -1.0, 40.0),
        (0.6, 0.5, float("nan"), 40.0),
        (0.6, 0.5, 1.0, 140.0),
    ],
)
def test_out_of_range_inputs_are_refused(
    target: float, actual: float, elasticity: float, max_percentage: float
) -> None:
    with pytest.raises(ValueError, match="must be"):
        markdown_percentage(target, actual, elasticity, max_percentage=max_percentage)


def test_round_to_step_half_way_goes_up() -> None:
    assert round_to_step(2.5) == 5.0
    assert round_to_step(2.4999) == 0.0
    assert round_to_step(17.5) == 20.0
    with pytest.raises(ValueError, match="step"):
        round_to_step(10.0, 0.0)
