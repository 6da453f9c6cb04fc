"""The member models of the forecast engine, as statsforecast models fitted on a whole panel.

Every member is a statsforecast model with a `forward` method: the engine fits each series
once, at the first backtest origin, and rolls that fit forward over the later origins and the
season itself (see ensemble.py). Models that statsforecast ships without `forward` (seasonal
naive, the intermittent-demand models) have no parameters worth keeping between origins, so
their `forward` simply forecasts again from the longer history.
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import NormalDist
from typing import Any, Literal, get_args

import numpy as np
from statsforecast.models import (
    _TS,
    ADIDA,
    IMAPA,
    MSTL,
    TSB,
    AutoARIMA,
    AutoETS,
    AutoTheta,
    CrostonOptimized,
    DynamicOptimizedTheta,
    Naive,
    SeasonalNaive,
)

from planner_forecast.metrics import FloatArray
from planner_forecast.prophet_member import ProphetMember
from planner_forecast.seasonal import Deseasonalised, FitThenPredict, season_strength

SEASON_PERIOD = 52
Z_80 = NormalDist().inv_cdf(0.90)
Z_95 = NormalDist().inv_cdf(0.975)

MemberName = Literal[
    "auto_ets",
    "theta_sa",
    "arima_sa",
    "auto_theta",
    "dynamic_theta",
    "auto_arima",
    "mstl",
    "seasonal_naive",
    "naive",
    "croston",
    "adida",
    "imapa",
    "tsb",
    "prophet",
    "lgbm",
]
# The same names, in the same order, as values (the settings check members against them).
MEMBER_NAMES: tuple[MemberName, ...] = get_args(MemberName)
# Members that forecast demand which is mostly zero (sporadic store-level sales).
INTERMITTENT: frozenset[MemberName] = frozenset({"croston", "adida", "imapa", "tsb"})
# Benchmarks rather than models: a combination takes them only when its backtest says so.
BASELINES: frozenset[MemberName] = frozenset({"seasonal_naive", "naive"})
# Members that need two full seasons of history before they are fitted at all.
NEEDS_TWO_SEASONS: frozenset[MemberName] = frozenset({"mstl"})
# Members trained across the whole panel at once (global_member.py), not per series by
# statsforecast: the engine trains them at each backtest origin itself.
GLOBAL: frozenset[MemberName] = frozenset({"lgbm"})


class _Reforecast:
    """`forward` for models without fitted parameters: forecast again from the given history."""

    # The statsforecast model this is mixed into provides it.
    forecast: Callable[..., dict[str, Any]]

    def forward(
        self, y: FloatArray, h: int, level: list[int] | None = None, **rest: Any
    ) -> dict[str, Any]:
        if level is not None:
            rest["level"] = level
        result: dict[str, Any] = self.forecast(y=y, h=h, **rest)
        return result


class ForwardSeasonalNaive(_Reforecast, SeasonalNaive):
    """The same week last year; on a history shorter than one season there is none
    (statsforecast's would repeat the history's first weeks), so the last value."""

    def fit(self, y: FloatArray, X: Any = None) -> ForwardSeasonalNaive:  # noqa: N803
        y = np.asarray(y, dtype=float)
        self.short_ = Naive().fit(y=y) if y.size < self.season_length else None
        if self.short_ is None:
            super().fit(y=y)
        return self

    def predict(
        self,
        h: int,
        X: Any = None,  # noqa: N803
        level: list[int] | None = None,
    ) -> dict[str, Any]:
        if self.short_ is not None:
            result: dict[str, Any] = self.short_.predict(h=h, level=level)
            return result
        whole: dict[str, Any] = super().predict(h=h, level=level)
        return whole

    def forecast(self, y: FloatArray, h: int, **rest: Any) -> dict[str, Any]:
        y = np.asarray(y, dtype=float)
        if y.size < self.season_length:
            short: dict[str, Any] = Naive().forecast(y=y, h=h, **rest)
            return short
        result: dict[str, Any] = super().forecast(y=y, h=h, **rest)
        return result


class _NoIntervals(_Reforecast):
    """The intermittent models have no native intervals; the engine calibrates theirs."""

    def forecast(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.pop("level", None)
        result: dict[str, Any] = super().forecast(**kwargs)
        return result


class ForwardCroston(_NoIntervals, CrostonOptimized):
    pass


class ForwardADIDA(_NoIntervals, ADIDA):
    pass


class ForwardIMAPA(_NoIntervals, IMAPA):
    pass


class ForwardTSB(_NoIntervals, TSB):
    pass


class SeasonGatedMSTL(FitThenPredict, _TS):
    """MSTL where the series has a yearly season worth modelling, its trend model elsewhere.

    MSTL always fits a 52-week seasonal component; on a series without a season (a random
    walk, a price) that component is the noise of the yearly wander and is added to every
    forecast. The gate is the deseasonalised members' test (`season_strength`, the share of
    the classical index that stands out of its own noise): below `threshold` the trend
    forecaster alone is fitted on the raw series. Decided once per fit (on the whole
    history), like the other parameters the backtest rolls forward.
    """

    def __init__(
        self, season_length: int, trend_forecaster: Any, alias: str, threshold: float = 0.5
    ) -> None:
        self.season_length = season_length
        self.trend_forecaster = trend_forecaster
        self.alias = alias
        self.threshold = threshold

    def fit(self, y: FloatArray, X: Any = None) -> SeasonGatedMSTL:  # noqa: N803
        y = np.asarray(y, dtype=float)
        self.seasonal_ = season_strength(y, self.season_length) >= self.threshold
        model = (
            MSTL(season_length=self.season_length, trend_forecaster=self.trend_forecaster)
            if self.seasonal_
            else self.trend_forecaster.new()
        )
        self.model_ = model.fit(y=y)
        return self

    def predict(
        self,
        h: int,
        X: Any = None,  # noqa: N803
        level: list[int] | None = None,
    ) -> dict[str, Any]:
        result: dict[str, Any] = self.model_.predict(h=h, level=level)
        return result

    def predict_in_sample(self, level: list[int] | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self.model_.predict_in_sample(level=level)
        return result

    def forward(
        self,
        y: FloatArray,
        h: int,
        level: list[int] | None = None,
        fitted: bool = False,
        **_: Any,
    ) -> dict[str, Any]:
        result: dict[str, Any] = self.model_.forward(
            y=np.asarray(y, dtype=float), h=h, level=level, fitted=fitted
        )
        return result


_FACTORIES: dict[MemberName, Callable[[int], Any]] = {
    # Weekly data has a 52-week season; ETS cannot carry 52 seasonal states cheaply (or
    # robustly) and AutoARIMA's seasonal search costs seconds per series, so both model the
    # deseasonalised series when the season is long, as MSTL does.
    "auto_ets": lambda m: Deseasonalised(AutoETS(season_length=1), m, alias="auto_ets"),
    "theta_sa": lambda m: Deseasonalised(
        DynamicOptimizedTheta(season_length=1), m, alias="theta_sa"
    ),
    # The order search by conditional sum of squares, maximum likelihood for the chosen model
    # only (R's auto.arima does so on series longer than 150), and at most 8 models in the
    # stepwise search (statsforecast's default allows 94): ~55 ms a weekly store series
    # against ~95 ms, ~8x AutoETS; the public proxy's MASE 2.869 against 2.875 (the search
    # rarely needs more: the stepwise neighbours of the best of the first four).
    "arima_sa": lambda m: Deseasonalised(
        AutoARIMA(season_length=1, approximation=True, nmodels=8), m, alias="arima_sa"
    ),
    "auto_theta": lambda m: AutoTheta(season_length=m, alias="auto_theta"),
    "dynamic_theta": lambda m: DynamicOptimizedTheta(season_length=m, alias="dynamic_theta"),
    "auto_arima": lambda m: AutoARIMA(season_length=m, alias="auto_arima"),
    # statsforecast's MSTL.forward decomposes the given weeks again: from a backtest origin
    # its seasonal components never saw the weeks after it. Gated: on a series without a
    # yearly season, its trend model (AutoETS, no season) on the raw series.
    "mstl": lambda m: SeasonGatedMSTL(m, AutoETS(model="ZZN"), alias="mstl"),
    "seasonal_naive": lambda m: ForwardSeasonalNaive(season_length=m, alias="seasonal_naive"),
    "naive": lambda m: Naive(alias="naive"),
    "croston": lambda m: ForwardCroston(alias="croston"),
    "adida": lambda m: ForwardADIDA(alias="adida"),
    "imapa": lambda m: ForwardIMAPA(alias="imapa"),
    "tsb": lambda m: ForwardTSB(alpha_d=0.2, alpha_p=0.2, alias="tsb"),
    "prophet": lambda m: ProphetMember(alias="prophet", season_length=m),
}


def build_member(name: MemberName, season_length: int) -> Any:
    """The statsforecast model of one member (its alias is the member's name)."""
    if name in GLOBAL:
        raise ValueError(f"{name} is trained on the whole panel (global_member.py), not per series")
    return _FACTORIES[name](season_length)


def has_native_intervals(name: MemberName) -> bool:
    return name not in INTERMITTENT and name not in GLOBAL


Z_BY_LEVEL = {80: Z_80, 95: Z_95}


def conformal_multiplier(
    score: FloatArray, nominal: int, fallback: float = 1.0
) -> tuple[float, int]:
    """Multiplier of a z-width (`Z_BY_LEVEL[nominal]`) so that it covers `nominal` % of the
    backtest's scores (|error| / spread), and how many finite scores there were; `fallback`
    with fewer than 10. The finite-sample conformal quantile, (n + 1) q / n."""
    finite = score[np.isfinite(score)]
    if finite.size < 10:
        return fallback, int(finite.size)
    q = min(1.0, nominal / 100 * (finite.size + 1) / finite.size)
    return float(np.quantile(finite, q) / Z_BY_LEVEL[nominal]), int(finite.size)


def floored_multipliers(multipliers: dict[int, float], floor: float) -> dict[int, float]:
    """The calibration multipliers per nominal level, widened together so that the widest
    level's is at least `floor` (1: the combined members' own width).

    The backtest is optimistic (the members' parameters have seen its weeks and the weights
    were chosen on them), so its scale is not trusted below the members' own; its shape (how
    much wider the 95 % interval must be than the 80 % one: heavy tails) is kept. Flooring
    each level alone overshot the 80 % coverage by 6 points on Walmart
    (bench/forecast_intervals.py)."""
    widest = multipliers[max(multipliers)]
    factor = max(1.0, floor / widest) if widest > 0 else 1.0
    return {level: value * factor for level, value in multipliers.items()}


def normal_bounds(point: FloatArray, sd: FloatArray) -> dict[str, FloatArray]:
    """80 % and 95 % bounds of a normal forecast distribution."""
    return {
        "lower_80": point - Z_80 * sd,
        "upper_80": point + Z_80 * sd,
        "lower_95": point - Z_95 * sd,
        "upper_95": point + Z_95 * sd,
    }


def zero_share(values: FloatArray) -> float:
    finite = values[np.isfinite(values)]
    return float(np.mean(finite == 0)) if finite.size else 1.0
