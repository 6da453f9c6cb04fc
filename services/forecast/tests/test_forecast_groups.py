"""Weights per group of series, shrunk toward the panel's (groups.py): pure functions, and one
small panel through the engine."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner_forecast.ensemble import EngineConfig, forecast_panel
from planner_forecast.groups import group_weights, series_kind
from planner_forecast.season import weights_basis

PANEL = np.array([0.5, 0.5, 0.0])


def _own(rows: object, members: list[int]) -> np.ndarray:
    # A group's own rule: all the weight on the last member it has.
    out = np.zeros(3)
    out[members[-1]] = 1.0
    return out


def test_each_group_is_shrunk_toward_the_panel_by_its_size() -> None:
    labels = ["A"] * 30 + ["B"] * 3 + ["C"]
    scored = np.ones(len(labels), dtype=bool)
    has = np.ones((len(labels), 3), dtype=bool)
    weights, used = group_weights(labels, scored, PANEL, [0, 1, 2], has, _own, prior=30.0)
    assert np.allclose(weights.sum(axis=1), 1.0)
    # 30 series against a prior of 30: half its own; 3 series: 3/33 its own.
    assert used["A"]["own_share"] == 0.5
    assert np.allclose(weights[0], [0.25, 0.25, 0.5])
    assert np.isclose(weights[30, 2], 3 / 33)
    # One scored series is no evidence: the panel's weights.
    assert used["C"]["own_share"] == 0.0
    assert np.allclose(weights[-1], PANEL)


def test_a_group_is_weighed_over_the_members_its_series_have() -> None:
    labels = ["A"] * 4
    has = np.ones((4, 3), dtype=bool)
    has[:, 2] = False  # e.g. MSTL on series under two seasons
    weights, _ = group_weights(labels, np.ones(4, bool), PANEL, [0, 1, 2], has, _own, 4.0)
    assert np.allclose(weights[0], [0.25, 0.75, 0.0])


def test_series_kinds_tell_seasons_from_none_and_short_histories() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(260)
    seasonal = 100 + 30 * np.sin(2 * np.pi * t / 52) + rng.normal(0, 3, t.size)
    walk = 100 + np.cumsum(rng.normal(0, 3, t.size))
    short = np.r_[np.full(200, np.nan), walk[:60]]
    history = np.column_stack([seasonal, walk, short])
    assert series_kind(history, np.array([260, 260, 60]), 52) == ["seasonal", "plain", "short"]


def test_category_weights_differ_where_their_best_members_differ() -> None:
    rng = np.random.default_rng(5)
    t = np.arange(100)
    data = {}
    for i in range(4):
        walk = 200 + np.cumsum(rng.normal(0, 8, t.size))
        data[f"S{i}|WALK"] = walk
        data[f"S{i}|SEAS"] = (
            100 + 40 * np.sin(2 * np.pi * (t + 3 * i) / 52) + rng.normal(0, 2, t.size)
        )
    wide = pd.DataFrame(data)
    groups = [c.split("|")[1] for c in wide.columns]
    result = forecast_panel(
        wide, 6, EngineConfig(group_weights=True, group_prior=1.0), groups=groups
    )
    used = result.diagnostics["group_weights"]
    assert set(used) == {"WALK", "SEAS"}
    assert all(entry["own_share"] == 0.8 for entry in used.values())
    assert np.allclose(result.weights.sum(axis=1), 1.0)
    walk, seas = result.weights[0], result.weights[1]
    assert not np.allclose(walk, seas)
    # Under two seasons there is no seasonal index: the seasonal series lean on last year's
    # weeks (the seasonal naive), the random walks do not.
    last_year = result.member_names.index("seasonal_naive")
    assert seas[last_year] > 0.3 > walk[last_year]


def test_the_category_is_told_which_weights_it_uses_and_why() -> None:
    shared = weights_basis({}, "KNIT")
    assert "one set of weights for every category" in shared
    diagnostics = {"group_weights": {"KNIT": {"series": 62, "own_share": 0.674}}}
    own = weights_basis(diagnostics, "KNIT")
    assert "own backtest (62 series) for 67% of the weights" in own
    assert "season's for 33%" in own
    thin = {"group_weights": {"KNIT": {"series": 1, "own_share": 0.0}}}
    assert "too few" in weights_basis(thin, "KNIT")
