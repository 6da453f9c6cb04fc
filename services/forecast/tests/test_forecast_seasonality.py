"""The yearly season is modelled only where there is one: the deseasonalised members' index is
shrunk by how far it stands out of its own noise, and MSTL is gated by the same test."""

from __future__ import annotations

import numpy as np
from statsforecast.models import AutoETS

from planner_forecast.models import SeasonGatedMSTL, build_member
from planner_forecast.seasonal import season_strength, seasonal_index


def _walk(n: int, seed: int) -> np.ndarray:
    return 100 + np.cumsum(np.random.default_rng(seed).normal(0, 1, n))


def _seasonal(n: int, seed: int) -> np.ndarray:
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    return 100 + 20 * np.sin(2 * np.pi * t / 52) + 0.05 * t + rng.normal(0, 2, n)


def test_a_random_walk_has_no_season_and_a_seasonal_series_keeps_its_index() -> None:
    walks = [season_strength(_walk(n, seed), 52) for n in (160, 400, 900) for seed in range(12)]
    assert np.mean(walks) < 0.25
    assert np.mean(np.array(walks) > 0.5) < 0.25
    seasons = [season_strength(_seasonal(n, seed), 52) for n in (160, 400) for seed in range(6)]
    assert min(seasons) > 0.9
    # The kept index is the classical one, scaled by that share.
    y = _seasonal(300, 1)
    full = seasonal_index(y, 52, shrink=False)
    kept = seasonal_index(y, 52)
    assert full is not None
    assert kept is not None
    assert np.allclose(kept, full * season_strength(y, 52))


def test_deseasonalised_ets_does_not_add_a_noise_season_to_a_random_walk() -> None:
    # A walk whose classical index is clearly non-zero but not a season: the forecast stays
    # about flat instead of carrying that index.
    for seed in range(20):
        y = _walk(400, seed)
        if season_strength(y, 52) == 0:
            break
    full = seasonal_index(y, 52, shrink=False)
    assert full is not None
    assert np.ptp(full) > 1
    member = build_member("auto_ets", 52)
    forecast = member.forecast(y=y, h=26)["mean"]
    plain = AutoETS(season_length=1).forecast(y=y, h=26)["mean"]
    assert np.allclose(forecast, plain)
    # Where the test finds a season, the index is added back (the forecast is not plain).
    seasonal = _seasonal(300, 4)
    with_season = member.forecast(y=seasonal, h=26)["mean"]
    assert np.ptp(with_season - AutoETS(season_length=1).forecast(y=seasonal, h=26)["mean"]) > 20


def test_mstl_falls_back_to_its_trend_model_without_a_season() -> None:
    y = _walk(400, 3)
    assert season_strength(y, 52) < 0.5
    gated = build_member("mstl", 52)
    assert isinstance(gated, SeasonGatedMSTL)
    out = gated.new().fit(y=y)
    assert not out.seasonal_
    plain = AutoETS(model="ZZN").forecast(y=y, h=13)["mean"]
    assert np.allclose(out.predict(h=13)["mean"], plain)
    seasonal = gated.new().fit(y=_seasonal(300, 2))
    assert seasonal.seasonal_
    # The seasonal fit rolls forward (the engine's backtest) with its season.
    rolled = seasonal.forward(y=_seasonal(300, 2)[:260], h=26)["mean"]
    assert np.ptp(rolled) > 20
