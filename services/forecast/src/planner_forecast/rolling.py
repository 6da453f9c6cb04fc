"""One fit per series and member, rolled forward from the backtest origins and to the season.

`RollingOrigins(member, h, cutoffs)` is a statsforecast model: given a series' whole history it
fits the member once, then rolls that fit forward (`forward`: parameters kept, state filtered
over the given weeks) from each backtest origin and from the end of the history, and returns
the forecasts one after another in a single `h x (cutoffs + 1)` output. statsforecast's
`forecast` therefore loops over the series and the members; our code never does.

Why fit on the whole history rather than at the first origin (statsforecast's
`cross_validation(refit=False)`): the season is forecast by the model fitted on everything, so
the backtest costs forward passes and nothing is fitted twice. The backtest's parameters have
seen the backtest weeks (their state has not), which makes its errors a little optimistic; the
interval calibration (hierarchy.py) is measured on origins it never saw in the benchmark
(docs/forecasting.md) and holds.

Fits are kept in a bounded per-process cache keyed by the member and the series' values: two
seasons planned on the same history (another horizon, another start, another brief) share
every fit, and a re-forecast refits only the series whose history changed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter, OrderedDict
from typing import Any

import numpy as np
from statsforecast.models import _TS, Naive

from planner_forecast.metrics import FloatArray

FIT_CACHE_SIZE = 50_000
log = logging.getLogger(__name__)
# Fits and forwards that failed and gave the last value instead, by member, in this process.
FALLBACKS: Counter[str] = Counter()


class FitCache:
    """Fitted member models by (member, history); least recently used dropped first."""

    def __init__(self, size: int = FIT_CACHE_SIZE) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._fits: OrderedDict[tuple[str, bytes], Any] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(member: Any, y: FloatArray) -> tuple[str, bytes]:
        digest = hashlib.blake2b(np.ascontiguousarray(y, dtype=float).tobytes(), digest_size=16)
        return _member_key(member), digest.digest()

    def fitted(self, member: Any, y: FloatArray) -> Any:
        key = self.key(member, y)
        with self._lock:
            found = self._fits.get(key)
            if found is not None:
                self._fits.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        fit = _fit(member, y)
        with self._lock:
            self._fits[key] = fit
            while len(self._fits) > self.size:
                self._fits.popitem(last=False)
        return fit

    def clear(self) -> None:
        with self._lock:
            self._fits.clear()
            self.hits = self.misses = 0


FITS = FitCache()


def _member_key(member: Any) -> str:
    # The alias names the member; its type and season length tell apart configurations that
    # share an alias (a benchmark's variants).
    return f"{type(member).__name__}:{member.alias}:{getattr(member, 'season_length', '')}"


def _fell_back(alias: str, error: Exception) -> None:
    # Logged the first time per member and process: a panel can fail the same way thousands
    # of times, and a member that always falls back is a defect to see, not noise.
    if not FALLBACKS[alias]:
        log.warning("member %s failed (%r); it forecasts the last value instead", alias, error)
    FALLBACKS[alias] += 1


def _fit(member: Any, y: FloatArray) -> Any:
    try:
        return member.new().fit(y=y)
    except Exception as error:  # statsforecast's own fallback for a failed fit: last value
        _fell_back(member.alias, error)
        return Naive().fit(y=y)


def _forward(
    fit: Any, alias: str, y: FloatArray, h: int, level: list[int] | None
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"y": y, "h": h}
    if level:
        kwargs["level"] = level
    try:
        result: dict[str, Any] = fit.forward(**kwargs)
    except Exception as error:  # a member that cannot roll to this origin: the last value
        _fell_back(alias, error)
        result = Naive().forecast(**kwargs)
    return result


class RollingOrigins(_TS):  # type: ignore[misc]
    """`member` fitted once on the history, forecast `h` weeks from each cutoff and the end.

    `cutoffs` are history lengths (weeks before each backtest origin), oldest first; the
    output is their forecasts in that order and then the season's, each `h` long, so the
    `forecast` horizon asked of statsforecast is `h x (len(cutoffs) + 1)`.
    """

    def __init__(
        self,
        member: Any,
        h: int,
        cutoffs: tuple[int, ...],
        intervals: bool,
    ) -> None:
        self.member = member
        self.h = h
        self.cutoffs = cutoffs
        self.intervals = intervals
        self.alias = member.alias

    # statsforecast also passes exogenous and in-sample arguments: not used here (`**_`).
    def forecast(
        self, y: FloatArray, h: int, level: list[int] | None = None, **_: Any
    ) -> dict[str, Any]:
        if h != self.h * (len(self.cutoffs) + 1):
            raise ValueError(f"horizon {h} is not {len(self.cutoffs) + 1} windows of {self.h}")
        y = np.asarray(y, dtype=float)
        # The process's cache, looked up here: the model object itself is copied and pickled
        # (statsforecast, the process pool, Dask), the cache stays where it is.
        fit = FITS.fitted(self.member, y)
        wanted = level if self.intervals else None
        parts = [_forward(fit, self.alias, y[:cut], self.h, wanted) for cut in self.cutoffs]
        parts.append(_forward(fit, self.alias, y, self.h, wanted))
        out: dict[str, Any] = {"mean": np.concatenate([p["mean"] for p in parts])}
        bounds = [f"{side}-{lv}" for lv in (level or []) for side in ("lo", "hi")]
        for bound in bounds:
            out[bound] = (
                np.concatenate([p[bound] for p in parts])
                if all(bound in p for p in parts)
                else np.full(h, np.nan)
            )
        return out
