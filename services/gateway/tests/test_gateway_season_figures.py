"""The console's arithmetic without a database: the forecast in force, accuracy, sell-through,
the DC balance, a markdown's projected effect, and the CSV's guard against formulas."""

from __future__ import annotations

import pytest

from planner_gateway import season_figures as fig
from planner_gateway.report import _cell


def _band(point: float) -> fig.Band:
    return fig.Band(point, point * 0.9, point * 1.1, point * 0.8, point * 1.2)


INITIAL = fig.Run(1, 0, {"A": {w: _band(100) for w in (1, 2, 3, 4)}})
AFTER_TWO = fig.Run(2, 2, {"A": {w: _band(150) for w in (3, 4)}})


def test_the_forecast_in_force_is_the_newest_fitted_before_the_week() -> None:
    runs = [INITIAL, AFTER_TWO]
    assert [fig.in_force(runs, w) for w in (1, 2, 3, 4)] == [INITIAL, INITIAL, AFTER_TWO, AFTER_TWO]
    assert fig.in_force(runs, 5) is None
    assert fig.in_force([], 1) is None


def test_total_bands_add_up() -> None:
    run = fig.Run(1, 0, {"A": {1: _band(100)}, "B": {1: _band(50)}})
    total = fig.total_band(run, 1)
    assert total is not None
    assert total.point == 150
    assert total.lower_80 == pytest.approx(135)
    assert total.upper_95 == pytest.approx(180)
    assert fig.total_band(run, 2) is None


def test_accuracy() -> None:
    figures = fig.accuracy([(100, 120), (100, 80)])
    assert figures.wape == pytest.approx(40 / 200)
    assert figures.bias == 0
    high = fig.accuracy([(110, 100)])
    assert high.bias == pytest.approx(0.1)
    assert fig.accuracy([]).wape is None
    assert fig.accuracy([(10, 0)]).bias is None


def test_sell_through_by_week_is_cumulative_over_what_was_made() -> None:
    assert fig.sell_through_by_week({1: 10, 2: 30}, 100, 3) == {1: 0.1, 2: 0.4, 3: None}
    assert fig.sell_through_by_week({1: 10}, None, 1) == {1: None}


def test_dc_balance_subtracts_each_weeks_shipments() -> None:
    rows = fig.dc_balance({"A": 100, "B": 50}, {"A": {2: 30, 3: 10}, "B": {3: 5}}, 3)
    assert rows == [
        (1, 0, {"A": 100, "B": 50}),
        (2, 30, {"A": 70, "B": 50}),
        (3, 15, {"A": 60, "B": 45}),
    ]


def test_csv_cells_never_start_a_formula() -> None:
    assert _cell("=HYPERLINK()") == "'=HYPERLINK()"
    assert _cell("-4") == "'-4"
    assert _cell("+1") == "'+1"
    assert _cell("@x") == "'@x"
    # Issue 22, point 11: a tab or carriage return first is stripped, then the formula runs.
    assert _cell("\t=cmd|' /C calc'!A0") == "'\t=cmd|' /C calc'!A0"
    assert _cell("\r=1+1") == "'\r=1+1"
    assert _cell("a\tb") == "a\tb"
    assert _cell("promo") == "promo"
    assert _cell(-4.0) == -4.0
