"""One fit per series and member, rolled forward from the backtest origins and to the season.

`RollingOrigins(member, h, back)` is a statsforecast model: given a series' whole history it
fits the member once, then rolls that fit forward (`forward`: parameters kept, state filtered
over the given weeks) from each backtest origin (`back` weeks before the series' end) and from
the end of the history, and returns the forecasts one after another in a single
`h x (len(back) + 1)` output. statsforecast's
`forecast` therefore loops over the series and the members; our code never does.

Why fit on the whole history rather than at the first origin (statsforecast's
`cross_validation(refit=False)`): the season is forecast by the model fitted on everything, so
the backtest costs forward passes and nothing is fitted twice. The backtest's parameters have
seen the backtest weeks (their state has not), which makes its errors a little optimistic; the
interval calibration (hierarchy.py) is measured on origins it never saw in the benchmark
(docs/forecasting.md) and holds.

Fits are kept in a bounded per-process cache keyed by the member and the series' values: two
seasons planned on the same history (another horizon, another start, another brief) share
every fit, and a re-forecast refits only the series whose history changed. The forwards are
cached too (`FORWARDS`, by fit, origin and levels): a second season on the same history with
another horizon costs slices of forecasts already made.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Hashable
from typing import Any

import numpy as np
from statsforecast.models import _TS, Naive

from planner_forecast.metrics import FloatArray

FIT_CACHE_SIZE = 50_000
# Forwards are small (a few arrays of weeks): several per fit.
FORWARD_CACHE_SIZE = 200_000
FORWARD_ROUNDING = 26
log = logging.getLogger(__name__)
# Fits and forwards that failed and gave the last value instead, by member, in this process.
FALLBACKS: Counter[str] = Counter()


class _Lru:
    """A bounded mapping, least recently used dropped first; hit and miss counts."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0


FitKey = tuple[str, bytes]


class FitCache(_Lru):
    """Fitted member models by (member, history)."""

    def __init__(self, size: int = FIT_CACHE_SIZE) -> None:
        super().__init__(size)

    @staticmethod
    def key(member: Any, y: FloatArray) -> FitKey:
        return _member_key(member), _digest(y)

    def fitted(self, member: Any, y: FloatArray, key: FitKey | None = None) -> Any:
        key = key or self.key(member, y)
        found = self.get(key)
        if found is None:
            found = _fit(member, y)
            self.put(key, found)
        return found


class ForwardCache(_Lru):
    """A fit's forecasts from an origin, by (fit, origin, levels), for the longest horizon asked.

    Seasons planned on the same history differ mostly in their horizon: their backtest
    origins and the end of the history are the same, and so are the fit's forecasts from
    there, up to the shorter horizon. Each forward is computed for the horizon rounded up to
    `FORWARD_ROUNDING` weeks (half a year: most seasons fall in one rounding) and cut to the
    one asked, so that a season of 20 weeks after one of 12 costs slices, not forward passes
    (the point and bounds of week k do not depend on how many weeks follow). The rounding is
    part of the key: the same request always gets the same numbers, from the cache or not.
    """

    def __init__(self, size: int = FORWARD_CACHE_SIZE) -> None:
        super().__init__(size)

    def forward(
        self,
        fit: Any,
        fit_key: FitKey,
        alias: str,
        y: FloatArray,
        h: int,
        level: tuple[int, ...],
        whole: bool = False,
    ) -> dict[str, Any]:
        """`fit`'s forecast of `h` weeks after `y`; `whole`: `y` is what it was fitted on."""
        longest = -(-h // FORWARD_ROUNDING) * FORWARD_ROUNDING
        key = (fit_key, y.size, level, longest)
        found = self.get(key)
        if found is None:
            found = _forward(fit, alias, y, longest, list(level) or None, whole)
            self.put(key, found)
        return {name: values[:h] for name, values in found.items()}


FITS = FitCache()
FORWARDS = ForwardCache()


def clear_caches() -> None:
    """Forget every fit and forward of this process (a cold start, for tests and benchmarks)."""
    FITS.clear()
    FORWARDS.clear()


def _digest(y: FloatArray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(y, dtype=float).tobytes(), digest_size=16).digest()


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
    fit: Any, alias: str, y: FloatArray, h: int, level: list[int] | None, whole: bool = False
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"h": h}
    if level:
        kwargs["level"] = level
    try:
        # From the end of the history it was fitted on, a fit's forward (the state filtered
        # again over the same weeks, MSTL's decomposition made again) is its prediction.
        result: dict[str, Any] = fit.predict(**kwargs) if whole else fit.forward(y=y, **kwargs)
    except Exception as error:  # a member that cannot roll to this origin: the last value
        _fell_back(alias, error)
        result = Naive().forecast(y=y, **kwargs)
    return result


class RollingOrigins(_TS):
    """`member` fitted once on the history, forecast `h` weeks from each origin and the end.

    `back` are the origins as weeks before the end of the series, oldest first, so that one
    model serves a panel whose series start (and end) on different weeks; an origin that
    leaves fewer than `floor` weeks before it has no forecast (NaN) for that series. The
    output is the origins' forecasts in that order and then the season's, each `h` long, so
    the `forecast` horizon asked of statsforecast is `h x (len(back) + 1)`.
    """

    def __init__(
        self,
        member: Any,
        h: int,
        back: tuple[int, ...],
        intervals: bool,
        floor: int = 1,
    ) -> None:
        self.member = member
        self.h = h
        self.back = back
        self.intervals = intervals
        self.floor = floor
        self.alias = member.alias

    # statsforecast also passes exogenous and in-sample arguments: not used here (`**_`).
    def forecast(
        self, y: FloatArray, h: int, level: list[int] | None = None, **_: Any
    ) -> dict[str, Any]:
        if h != self.h * (len(self.back) + 1):
            raise ValueError(f"horizon {h} is not {len(self.back) + 1} windows of {self.h}")
        y = np.asarray(y, dtype=float)
        # The process's caches, looked up here: the model object itself is copied and pickled
        # (statsforecast, the process pool, Dask), the caches stay where they are.
        key = FITS.key(self.member, y)
        fit = FITS.fitted(self.member, y, key)
        wanted = tuple(level) if (self.intervals and level) else ()
        bounds = [f"{side}-{lv}" for lv in (level or []) for side in ("lo", "hi")]
        parts = []
        for cut in [y.size - back for back in self.back] + [y.size]:
            if cut < self.floor:
                parts.append({name: np.full(self.h, np.nan) for name in ["mean", *bounds]})
                continue
            whole = cut == y.size
            parts.append(FORWARDS.forward(fit, key, self.alias, y[:cut], self.h, wanted, whole))
        out: dict[str, Any] = {"mean": np.concatenate([p["mean"] for p in parts])}
        for bound in bounds:
            out[bound] = (
                np.concatenate([p[bound] for p in parts])
                if all(bound in p for p in parts)
                else np.full(h, np.nan)
            )
        return out
