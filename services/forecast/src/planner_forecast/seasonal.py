"""A weekly season for models that cannot carry 52 seasonal states: classical decomposition.

`Deseasonalised(base)` removes a 52-week additive seasonal index (each week of the season's
mean deviation from a centred 2x52 moving average, shrunk towards zero by how far the phase
means stand out of their own noise: `season_shrinkage`), fits `base` on what is left and
adds the index back to its forecasts and intervals. It is what MSTL does with one season, minus the
STL loess fits that make statsforecast's MSTL ~3x the cost of the ETS inside it. The index is
estimated at fit time and again by `forward` on the weeks it is given, so a backtest origin's
index never saw the weeks after it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from statsforecast.models import _TS

from planner_forecast.metrics import FloatArray

# Repeated phases (weeks seen in more than one season, counted once per extra season) needed
# to estimate the within-phase noise; fewer and the test is not made.
MIN_WITHIN_DF = 8


def _phase_means(y: FloatArray, period: int) -> tuple[FloatArray, FloatArray, FloatArray] | None:
    """Per phase (t mod period): the mean detrended value, its squared deviations summed, and
    its count; detrended by a centred 2 x period moving average. None without two seasons."""
    n = y.size
    if n < 2 * period + 1:
        return None
    weights = np.ones(period + 1)
    weights[[0, -1]] = 0.5
    weights /= period
    trend = np.convolve(y, weights, mode="valid")  # centred 2 x period moving average
    half = period // 2
    detrended = y[half : half + trend.size] - trend
    phases = (np.arange(detrended.size) + half) % period
    sums = np.bincount(phases, weights=detrended, minlength=period)
    counts = np.bincount(phases, minlength=period).astype(float)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    squares = np.bincount(phases, weights=(detrended - means[phases]) ** 2, minlength=period)
    return np.asarray(means, dtype=float), np.asarray(squares, dtype=float), counts


def season_shrinkage(means: FloatArray, squares: FloatArray, counts: FloatArray) -> float:
    """How much of the estimated seasonal index to keep, in [0, 1]: max(0, 1 - 1/F).

    F is the variance of the phase means between phases over what their estimation noise
    alone would give (the pooled within-phase variance over each phase's count): about 1
    when there is no season (a random walk's yearly wander, noise), large when the same
    pattern comes back every year. Keeping 1 - 1/F of the index is the positive-part
    James-Stein shrinkage of the phase means towards zero: an index that is mostly noise is
    mostly dropped instead of being added to every forecast, a clear season is kept whole.
    """
    seen = counts > 0
    within_df = float(np.sum(np.maximum(counts - 1, 0)))
    if seen.sum() < 2 or within_df < MIN_WITHIN_DF:
        # Barely two seasons (under ~2.2 years): too few repeated phases to tell a season from
        # noise; weekly retail demand has one, so the classical index is kept, as before.
        return 1.0
    within = float(squares.sum()) / within_df
    noise = within * float(np.mean(1.0 / counts[seen]))
    centred = means[seen] - means[seen].mean()
    between = float(np.sum(centred**2)) / (seen.sum() - 1)
    if noise <= 0:
        return 1.0 if between > 0 else 0.0
    f_ratio = between / noise
    return float(max(0.0, 1.0 - 1.0 / f_ratio)) if f_ratio > 0 else 0.0


def seasonal_index(y: FloatArray, period: int, shrink: bool = True) -> FloatArray | None:
    """Additive seasonal index by phase (t mod period), mean zero; None without two seasons.

    With `shrink`, the classical index times `season_shrinkage` (None when that is 0): on a
    series without a yearly season the index is estimation noise and is dropped.
    """
    found = _phase_means(y, period)
    if found is None:
        return None
    means, squares, counts = found
    index = means - means.mean()
    if shrink:
        keep = season_shrinkage(means, squares, counts)
        if keep <= 0:
            return None
        index = index * keep
    return np.asarray(index, dtype=float)


def season_strength(y: FloatArray, period: int) -> float:
    """`season_shrinkage` of a series (0 without two seasons of history)."""
    found = _phase_means(np.asarray(y, dtype=float), period)
    return 0.0 if found is None else season_shrinkage(*found)


class FitThenPredict:
    """statsforecast's one-shot `forecast` for a wrapper model: `fit`, then `predict`."""

    # The model this is mixed into provides them.
    fit: Callable[..., Any]
    predict: Callable[..., dict[str, Any]]
    predict_in_sample: Callable[..., dict[str, Any]]

    def forecast(
        self,
        y: FloatArray,
        h: int,
        level: list[int] | None = None,
        fitted: bool = False,
        **_: Any,  # statsforecast's exogenous arguments: the wrapped models here take none
    ) -> dict[str, Any]:
        self.fit(y)
        result: dict[str, Any] = self.predict(h=h, level=level)
        if fitted:
            result |= self.predict_in_sample(level=level)
        return result


class Deseasonalised(FitThenPredict, _TS):
    """`base` on the seasonally adjusted series; `base` must have `fit`/`predict`/`forward`."""

    def __init__(self, base: Any, season_length: int, alias: str) -> None:
        self.base = base
        self.season_length = season_length
        self.alias = alias

    def _season(self, start: int, h: int, index: FloatArray | None = None) -> FloatArray:
        index = self.index_ if index is None else index
        if index is None:
            return np.zeros(h)
        return np.asarray(index[(np.arange(start, start + h)) % self.season_length])

    def _adjust(self, y: FloatArray, index: FloatArray | None = None) -> FloatArray:
        return np.asarray(y - self._season(0, y.size, index), dtype=float)

    def _restore(
        self, result: dict[str, Any], n: int, h: int, index: FloatArray | None = None
    ) -> dict[str, Any]:
        future = self._season(n, h, index)
        past = self._season(0, n, index)
        out: dict[str, Any] = {}
        for key, value in result.items():
            if key.startswith("fitted"):
                out[key] = value + past
            elif key == "mean" or key.startswith(("lo-", "hi-")):
                out[key] = value + future
            else:
                out[key] = value
        return out

    def fit(self, y: FloatArray, X: Any = None) -> Deseasonalised:  # noqa: N803
        self.index_ = seasonal_index(np.asarray(y, dtype=float), self.season_length)
        self.n_ = y.size
        self.model_ = self.base.new().fit(y=self._adjust(y))
        return self

    def predict(
        self,
        h: int,
        X: Any = None,  # noqa: N803
        level: list[int] | None = None,
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"h": h}
        if level:
            kwargs["level"] = level
        return self._restore(self.model_.predict(**kwargs), self.n_, h)

    def predict_in_sample(self, level: list[int] | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self.model_.predict_in_sample()
        return {"fitted": result["fitted"] + self._season(0, self.n_)}

    def forward(
        self,
        y: FloatArray,
        h: int,
        level: list[int] | None = None,
        fitted: bool = False,
        **_: Any,  # statsforecast's exogenous arguments: the base models here take none
    ) -> dict[str, Any]:
        y = np.asarray(y, dtype=float)
        # The seasonal index is estimated again on the weeks given: from a backtest origin it
        # must not have seen the weeks after it (a whole-history index would make the
        # backtest look better than the season will be). The base model's parameters are
        # kept; its state is filtered over the given weeks.
        index = self.index_ if y.size == self.n_ else seasonal_index(y, self.season_length)
        kwargs: dict[str, Any] = {"y": self._adjust(y, index), "h": h, "fitted": fitted}
        if level:
            kwargs["level"] = level
        return self._restore(self.model_.forward(**kwargs), y.size, h, index)
