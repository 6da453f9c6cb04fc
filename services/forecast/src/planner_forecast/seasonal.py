"""A weekly season for models that cannot carry 52 seasonal states: classical decomposition.

`Deseasonalised(base)` removes a 52-week additive seasonal index (each week of the season's
mean deviation from a centred 2x52 moving average), fits `base` on what is left and adds the
index back to its forecasts and intervals. It is what MSTL does with one season, minus the
STL loess fits that make statsforecast's MSTL ~3x the cost of the ETS inside it. The index is
estimated at fit time and again by `forward` on the weeks it is given, so a backtest origin's
index never saw the weeks after it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from statsforecast.models import _TS

from planner_forecast.metrics import FloatArray


def seasonal_index(y: FloatArray, period: int) -> FloatArray | None:
    """Additive seasonal index by phase (t mod period), mean zero; None without two seasons."""
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
    counts = np.bincount(phases, minlength=period)
    index = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    return np.asarray(index - index.mean(), dtype=float)


class Deseasonalised(_TS):  # type: ignore[misc]
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

    def forecast(
        self,
        y: FloatArray,
        h: int,
        level: list[int] | None = None,
        fitted: bool = False,
        **_: Any,  # statsforecast's exogenous arguments: the base models here take none
    ) -> dict[str, Any]:
        self.fit(y)
        result = self.predict(h=h, level=level)
        if fitted:
            result |= self.predict_in_sample()
        return result
