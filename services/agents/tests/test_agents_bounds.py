"""The order bounds at their edges."""

from __future__ import annotations

import pytest

from planner_agents.bounds import quantity_bounds


@pytest.mark.parametrize(
    ("recommended", "tolerance", "expected"),
    [
        (1000, 20.0, (800, 1200)),
        (1001, 20.0, (801, 1201)),  # 800.8 -> 801, 1201.2 -> 1201: both inside the tolerance
        (0, 20.0, (0, 0)),
        (1234, 0.0, (1234, 1234)),
        (10, 100.0, (0, 20)),
    ],
)
def test_quantity_bounds(recommended: int, tolerance: float, expected: tuple[int, int]) -> None:
    assert quantity_bounds(recommended, tolerance) == expected


def test_quantity_bounds_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="recommended"):
        quantity_bounds(-1, 10.0)
    with pytest.raises(ValueError, match="tolerance"):
        quantity_bounds(100, 120.0)
