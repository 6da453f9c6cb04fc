"""The service's worker lanes: a season's statsforecast calls split across every worker
process by series, with the same forecast as in one process, and a second season on the same
history fitted by nobody (each series went back to the lane that holds its fits); the lanes'
cache figures on /metrics."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from prometheus_client import REGISTRY

from planner_forecast.ensemble import EngineConfig
from planner_forecast.hierarchy import forecast_hierarchy
from planner_forecast.observability import report_lanes
from planner_forecast.parallel import Lanes, cache_counts, init_worker
from planner_forecast.rolling import clear_caches

WEEKS = 130
STORES = ("S01", "S02", "S03", "S04", "S05", "S06")


def _panel() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    t = np.arange(WEEKS)
    data = {}
    for i, store in enumerate(STORES):
        level = 30 + 10 * i
        for category in ("KNIT", "DRES"):
            season = 0.3 * level * np.sin(2 * np.pi * (t / 52 + i / 7))
            data[f"{store}|{category}"] = np.maximum(
                level + season + rng.normal(0, 0.06 * level, WEEKS), 0
            )
    return pd.DataFrame(data, index=pd.date_range("2022-01-03", periods=WEEKS, freq="7D"))


@pytest.fixture(scope="module")
def lanes() -> Iterator[Lanes]:
    with Lanes(2, mp_context=multiprocessing.get_context("spawn"), initializer=init_worker) as pool:
        yield pool


def _counts(lanes: Lanes) -> list[dict[str, int]]:
    return [future.result() for future in lanes.on_each(cache_counts)]


def test_a_season_on_the_lanes_is_the_season_in_one_process(lanes: Lanes) -> None:
    panel = _panel()
    clusters = {store: i % 2 for i, store in enumerate(STORES)}
    config = EngineConfig()
    clear_caches()
    here = forecast_hierarchy(panel, clusters, 10, config)
    spread = forecast_hierarchy(panel, clusters, 10, config, run=lanes.statsforecast)
    assert spread.nodes == here.nodes
    np.testing.assert_allclose(spread.point, here.point, rtol=1e-9)
    np.testing.assert_allclose(spread.upper_95, here.upper_95, rtol=1e-9)
    np.testing.assert_allclose(spread.season_total, here.season_total, rtol=1e-9)

    # Both lanes worked, each on its own share of the series: every series fitted once.
    counts = _counts(lanes)
    assert all(c["fits"] > 0 for c in counts)
    series = panel.shape[1] + 2 * (1 + 2)  # stores + per category the total and two clusters
    members = len(config.members)
    assert sum(c["fits"] for c in counts) == series * members

    # Another season on the same history, another horizon in the same 26-week rounding: no
    # lane fits or rolls anything forward again, and the forecast is its cold run's.
    second = forecast_hierarchy(panel, clusters, 12, config, run=lanes.statsforecast)
    assert [(c["fit_misses"], c["forward_misses"]) for c in _counts(lanes)] == [
        (c["fit_misses"], c["forward_misses"]) for c in counts
    ]
    clear_caches()
    cold = forecast_hierarchy(panel, clusters, 12, config)
    np.testing.assert_allclose(second.point, cold.point, rtol=1e-9)
    np.testing.assert_allclose(second.lower_80, cold.lower_80, rtol=1e-9)


def test_a_series_always_goes_to_the_same_lane(lanes: Lanes) -> None:
    keys = [f"{store}|KNIT" for store in STORES] + ["KNIT|total", "KNIT|c0"]
    assert [lanes.lane_of(k) for k in keys] == [lanes.lane_of(k) for k in keys]
    assert {lanes.lane_of(k) for k in keys} == {0, 1}
    with pytest.raises(ValueError, match="at least one lane"):
        Lanes(0)


def test_the_lanes_cache_figures_reach_the_metrics(lanes: Lanes) -> None:
    panel = _panel()
    forecast_hierarchy(panel, dict.fromkeys(STORES, 0), 6, EngineConfig(), run=lanes.statsforecast)
    figures = asyncio.run(report_lanes(lanes))
    assert len(figures) == 2
    for lane, counts in enumerate(figures):
        assert counts["fits"] > 0
        for name in ("fits", "fit_hits", "fit_misses", "forward_misses", "fallbacks"):
            sample = REGISTRY.get_sample_value(
                "planner_forecast_lane_cache", {"lane": str(lane), "figure": name}
            )
            assert sample == counts[name]
