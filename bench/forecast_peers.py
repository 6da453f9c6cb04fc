"""The engine against statsforecast's AutoARIMA, AutoETS, their mean and naive, on unseen origins.

    .venv/bin/python bench/forecast_peers.py [--only proxy|walmart|sample] [--origins K]
        [--lengths full,156,60] [--peer-series N] [--peer-max-weeks W]
    make bench BENCH=forecast_peers

Every bench set (the public proxy's 40 series, h = 13; the 45 Walmart stores and the sample's
200 store x category series, h = 12), whole and cut to its last 156 and 60 weeks (a set whose
history is not longer than the cut is left out), is cut at its last K origins (default 3), one
horizon apart. At each origin:

- engine: `forecast_frame` with the default configuration on every series of the set (its
  weights and calibration are chosen on the whole panel, as the service does);
- AutoARIMA, AutoETS: statsforecast's `AutoARIMA(season_length=52)` and
  `AutoETS(season_length=52)` with their own defaults, fitted on the same history, one process;
- mean: the mean of those two (point and bounds); naive: the last value.

The peers run on at most N series of a set (default 20, evenly spaced: AutoARIMA's seasonal
search costs seconds per weekly series, the sample's 200 would take most of an hour on a
shared machine) whose kept history is at most W weeks (default 260: on a 655-week series the
search took 3 minutes); every method is scored on those series only. Scores: MASE (each series'
MAE over the origin's weeks over its in-sample one-week naive MAE, mean over series and
origins), the share of weekly actuals inside the 80 % and 95 % intervals (weeks never fitted,
backtested or calibrated on), and CPU: each method's process CPU seconds per series, over
AutoARIMA's (the engine's over all the series it forecast).

Exit status 1 unless the engine's MASE is below AutoARIMA's, AutoETS's and their mean's on
every set and its coverage within 3 points of nominal at 80 % and 95 %.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from forecast_combinations import proxy
from forecast_intervals import _cube, _long, sample, walmart

from planner_forecast.ensemble import EngineConfig
from planner_forecast.frame import forecast_frame
from planner_forecast.metrics import FloatArray
from planner_forecast.parallel import init_worker, numba_cache
from planner_forecast.rolling import clear_caches

ENGINES = {"engine": EngineConfig(), "by group": EngineConfig(group_weights=True)}
METHODS = (*ENGINES, "AutoARIMA", "AutoETS", "mean", "naive")
PEERS = ("AutoARIMA", "AutoETS", "naive")


@dataclass
class Tally:
    """Per method: MASE per series and origin, coverage counts, CPU seconds per series."""

    mase: dict[str, list[float]] = field(default_factory=dict)
    inside: dict[tuple[str, int], float] = field(default_factory=dict)
    weeks: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)

    def add(
        self,
        method: str,
        point: FloatArray,
        bounds: dict[str, FloatArray],
        actual: FloatArray,
        scale: FloatArray,
    ) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            self.mase.setdefault(method, []).extend(
                np.nanmean(np.abs(point - actual), axis=1) / scale
            )
        known = np.isfinite(actual)
        for level in (80, 95):
            lo, hi = bounds.get(f"lo-{level}"), bounds.get(f"hi-{level}")
            if lo is None or hi is None:
                continue
            hit = (actual >= lo) & (actual <= hi)
            self.inside[method, level] = self.inside.get((method, level), 0.0) + float(
                hit[known].sum()
            )


def _peers(
    train: pd.DataFrame, h: int
) -> tuple[dict[str, dict[str, FloatArray]], dict[str, float]]:
    """Each peer's point and bounds (series x week) and its CPU seconds, fitted alone."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, Naive

    ids = [str(c) for c in train.columns]
    long = _long(train)
    models = {
        "AutoARIMA": AutoARIMA(season_length=52),
        "AutoETS": AutoETS(season_length=52),
        "naive": Naive(),
    }
    out: dict[str, dict[str, FloatArray]] = {}
    cpu: dict[str, float] = {}
    for name, model in models.items():
        started = time.process_time()
        sf = StatsForecast(models=[model], freq=1, n_jobs=1, fallback_model=Naive())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = pd.DataFrame(sf.forecast(df=long, h=h, level=[80, 95]))
        cpu[name] = time.process_time() - started
        alias = str(model)
        out[name] = {"point": _cube(result, alias, ids, h)} | {
            f"{side}-{lv}": _cube(result, f"{alias}-{side}-{lv}", ids, h)
            for lv in (80, 95)
            for side in ("lo", "hi")
        }
    out["mean"] = {k: (out["AutoARIMA"][k] + out["AutoETS"][k]) / 2 for k in out["AutoETS"]}
    return out, cpu


def _peer_columns(train: pd.DataFrame, limit: int, max_weeks: int) -> list[str]:
    lengths = np.isfinite(train.to_numpy(dtype=float)).sum(axis=0)
    fits = [str(c) for c, n in zip(train.columns, lengths, strict=True) if n <= max_weeks]
    if len(fits) <= limit:
        return fits
    keep = np.linspace(0, len(fits) - 1, limit).round().astype(int)
    return [fits[i] for i in keep]


def score(
    wide: pd.DataFrame, h: int, origins: int, length: int | None, limit: int, max_weeks: int
) -> tuple[Tally, int, int]:
    """The tally of every method over the set's origins; series forecast and scored."""
    tally = Tally()
    clear_caches()
    count = scored = 0
    engine_cpu = 0.0
    for k in range(origins, 0, -1):
        cut = len(wide) - k * h
        train = wide.iloc[:cut] if length is None else wide.iloc[max(0, cut - length) : cut]
        values = train.to_numpy(dtype=float)
        train = train.loc[:, np.isfinite(values[-1]) & (np.isfinite(values).sum(axis=0) >= 8)]
        long = _long(train)
        names = [str(c) for c in train.columns]
        if all("|" in c for c in names):  # store x category: grouped by category
            long["group"] = long["unique_id"].str.split("|").str[1]
        outs = {}
        for method, config in ENGINES.items():
            started = time.process_time()
            outs[method] = forecast_frame(long, h, config)
            # The later variants reuse the first one's fits (the fit cache): its CPU is theirs.
            engine_cpu = engine_cpu if outs.keys() - {method} else time.process_time() - started
        columns = _peer_columns(train, limit, max_weeks)
        ids = [str(c) for c in train.columns]
        rows = [ids.index(c) for c in columns]
        peer_train = train[columns]
        peers, cpu = _peers(peer_train, h)
        bounds = ("point", "lo-80", "hi-80", "lo-95", "hi-95")
        engines = {m: {c: _cube(out, c, ids, h)[rows] for c in bounds} for m, out in outs.items()}
        actual = wide.iloc[cut : cut + h][columns].to_numpy(dtype=float).T
        history = peer_train.to_numpy(dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            scale = np.nanmean(np.abs(np.diff(history, axis=0)), axis=0)
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, np.nan)
        for method, forecast in {**engines, **peers}.items():
            tally.add(method, forecast["point"], forecast, actual, scale)
        tally.weeks += float(np.isfinite(actual).sum())
        for method in ENGINES:
            tally.cpu[method] = tally.cpu.get(method, 0.0) + engine_cpu / len(ids)
        for name, seconds in cpu.items():
            tally.cpu[name] = tally.cpu.get(name, 0.0) + seconds / max(len(columns), 1)
        count, scored = len(ids), len(columns)
    tally.cpu["mean"] = tally.cpu["AutoARIMA"] + tally.cpu["AutoETS"]
    return tally, count, scored


def report(label: str, tally: Tally) -> bool:
    """Print the set's table; whether the engine beats the three peers and covers."""
    mase = {m: float(np.nanmean(tally.mase[m])) for m in METHODS}
    arima_cpu = max(tally.cpu["AutoARIMA"], 1e-9)
    for method in METHODS:
        cover = [tally.inside.get((method, lv), np.nan) / max(tally.weeks, 1) for lv in (80, 95)]
        print(
            f"{label:<18}{method:<11}{mase[method]:>8.4f}{cover[0]:>8.1%}{cover[1]:>8.1%}"
            f"{tally.cpu[method] / arima_cpu:>8.2f}",
            flush=True,
        )
    beats = all(mase["engine"] < mase[p] for p in ("AutoARIMA", "AutoETS", "mean"))
    c80, c95 = (tally.inside.get(("engine", lv), 0.0) / max(tally.weeks, 1) for lv in (80, 95))
    covers = abs(c80 - 0.80) <= 0.03 and abs(c95 - 0.95) <= 0.03
    print(
        f"{'':<18}engine below all three: {'yes' if beats else 'NO'}; "
        f"coverage within 3 points: {'yes' if covers else 'NO'}",
        flush=True,
    )
    return beats and covers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", choices=["proxy", "walmart", "sample"], default=None)
    parser.add_argument("--origins", type=int, default=3)
    parser.add_argument("--lengths", default="full,156,60")
    parser.add_argument("--peer-series", type=int, default=20)
    parser.add_argument("--peer-max-weeks", type=int, default=260)
    args = parser.parse_args(argv)
    numba_cache()
    init_worker()
    lengths = [None if x == "full" else int(x) for x in args.lengths.split(",")]
    loaders = {"proxy": proxy, "walmart": walmart, "sample": sample}
    ok = True
    print(f"{'set':<18}{'method':<11}{'MASE':>8}{'80 %':>8}{'95 %':>8}{'CPU':>8}")
    for label, load in loaders.items():
        if args.only not in (None, label):
            continue
        data = load()
        if data is None:
            continue
        wide, h = data
        for length in lengths:
            if length is not None and length >= len(wide) - h:
                continue
            started = time.monotonic()
            tally, count, scored = score(
                wide, h, args.origins, length, args.peer_series, args.peer_max_weeks
            )
            name = f"{label} {'full' if length is None else length}"
            ok &= report(name, tally)
            print(
                f"{'':<18}({count} series forecast, {scored} scored, {args.origins} origins x "
                f"{h} weeks, {time.monotonic() - started:.0f}s)",
                flush=True,
            )
    print(
        f"engine below AutoARIMA, AutoETS and their mean, and covering, on every set: "
        f"{'yes' if ok else 'NO'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
