"""Prophet as an optional member of the panel engine (`members` including "prophet").

Not a default member: on the benchmark data it lost to every statsforecast member and it costs
about half a second per series and fit (docs/forecasting.md). It is here for planners who know
their series suit it. A statsforecast model like the others (`fit`, `predict`, `forecast`,
`forward`), so the engine runs it on the panel the same way; Prophet has no state to roll
forward, so `forward` from an earlier origin fits again on the shorter history, started from
the whole history's parameters (Stan's optimiser then needs a few steps, not a search).

The engine's series are indexed by week number; Prophet reads dates, so week `t` is the
Monday `t` weeks after `_ORIGIN`. Its yearly Fourier season needs only the spacing to be right.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from statsforecast.models import _TS

from planner_forecast.metrics import FloatArray

_ORIGIN = pd.Timestamp("2001-01-01")  # a Monday
_SAMPLES = 300  # predictive draws for the 80 / 95 % quantiles


def _dates(start: int, count: int) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(_ORIGIN + pd.to_timedelta(7 * np.arange(start, start + count), "D"))


def _quiet() -> None:
    # cmdstanpy logs every optimisation at INFO; a panel would print thousands of lines.
    for name in ("cmdstanpy", "prophet"):
        logging.getLogger(name).setLevel(logging.WARNING)


class ProphetMember(_TS):
    def __init__(self, alias: str = "prophet", season_length: int = 52) -> None:
        self.alias = alias
        self.season_length = season_length

    def _fit_on(self, y: FloatArray, init: dict[str, Any] | None) -> Any:
        from prophet import Prophet

        _quiet()
        model = Prophet(
            yearly_seasonality=len(y) >= self.season_length + 1,
            weekly_seasonality=False,
            daily_seasonality=False,
            uncertainty_samples=_SAMPLES,
        )
        frame = pd.DataFrame({"ds": _dates(0, len(y)), "y": np.asarray(y, dtype=float)})
        return model.fit(frame, init=init) if init else model.fit(frame)

    def fit(self, y: FloatArray, X: Any = None) -> ProphetMember:  # noqa: N803
        self.model_ = self._fit_on(y, None)
        self.n_ = len(y)
        return self

    def _predict(self, model: Any, n: int, h: int, level: list[int] | None) -> dict[str, Any]:
        future = pd.DataFrame({"ds": _dates(n, h)})
        out: dict[str, Any] = {"mean": model.predict(future)["yhat"].to_numpy(dtype=float)}
        if level:
            np.random.seed(0)  # Prophet draws with numpy's global generator: same fit, same bounds
            draws = model.predictive_samples(future)["yhat"]  # (h, samples)
            for lv in level:
                tail = (100 - lv) / 2
                out[f"lo-{lv}"] = np.percentile(draws, tail, axis=1)
                out[f"hi-{lv}"] = np.percentile(draws, 100 - tail, axis=1)
        return out

    def predict(self, h: int, level: list[int] | None = None, **_: Any) -> dict[str, Any]:
        return self._predict(self.model_, self.n_, h, level)

    # statsforecast also passes exogenous and in-sample arguments: not used here (`**_`).
    def forecast(
        self, y: FloatArray, h: int, level: list[int] | None = None, **_: Any
    ) -> dict[str, Any]:
        return self.fit(y).predict(h, level=level)

    # statsforecast also passes exogenous and in-sample arguments: not used here (`**_`).
    def forward(
        self, y: FloatArray, h: int, level: list[int] | None = None, **_: Any
    ) -> dict[str, Any]:
        if len(y) == self.n_:
            return self.predict(h, level=level)
        from prophet.utilities import warm_start_params

        same_terms = (len(y) >= self.season_length + 1) == (self.n_ >= self.season_length + 1)
        model = self._fit_on(y, warm_start_params(self.model_) if same_terms else None)
        return self._predict(model, len(y), h, level)
