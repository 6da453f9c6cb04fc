"""Interval coverage on origins the engine never saw, across history lengths.

    .venv/bin/python bench/forecast_intervals.py [--only proxy|walmart|sample] [--origins K]
        [--lengths full,156,60]
    make bench BENCH=forecast_intervals

Each data set (the public proxy's 40 series, h = 13; the 45 Walmart stores and the sample's
200 store x category series, h = 12) is cut at its last K origins (default 3), one horizon
apart. At each origin every series keeps its last L weeks before the origin (L: the whole
history, three years, a bit over one year), `forecast_frame` forecasts the horizon and the
actuals after the origin score it: MASE (one-week naive scale of the kept history) and the
share of weekly actuals inside the 80 % and 95 % intervals. The actuals after an origin are
never part of what the engine fits, backtests or calibrates on.

Rules compared on the same fits (the fit cache serves every rule after the first):
- `2 windows, conformal` (the calibration before issue 26): the split-conformal multiplier
  of the combined members' spread on the two backtest windows, which could shrink it below 1;
- `floor 1` (the default): the same, widened so that the 95 % multiplier is at least 1 (the
  members' own width), the 80 % one by the same factor;
- `4 windows`: calibrated on up to four backtest windows where the history allows (the
  combination is still chosen on the last two): not the default, it covered no better.
The columns x80 and x95 are the mean calibration multipliers.
Exit status 1 when the default's coverage is more than 3 points from nominal on a set.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
import pandas as pd
from _forecast_data import sample_sales, walmart_missing_message, walmart_path, walmart_weekly
from forecast_combinations import proxy

from planner_forecast.ensemble import EngineConfig
from planner_forecast.frame import forecast_frame
from planner_forecast.metrics import FloatArray
from planner_forecast.panel import bottom_panel
from planner_forecast.parallel import init_worker, numba_cache
from planner_forecast.rolling import clear_caches

RULES: dict[str, EngineConfig] = {
    "2 windows, conformal (before)": EngineConfig(calibration_floor=0.0),
    "2 windows, floor 1 (default)": EngineConfig(),
    "4 windows, floor 1": EngineConfig(calibration_windows=4),
}
DEFAULT = "2 windows, floor 1 (default)"


def walmart() -> tuple[pd.DataFrame, int] | None:
    path = walmart_path(None)
    if not path.exists():
        print(walmart_missing_message(path))
        return None
    wide = walmart_weekly(path)
    wide.columns = [f"W{c:02d}" for c in wide.columns]
    return wide.reset_index(drop=True).astype(float), 12


def sample() -> tuple[pd.DataFrame, int]:
    return bottom_panel(sample_sales()).reset_index(drop=True).astype(float), 12


def _long(train: pd.DataFrame) -> pd.DataFrame:
    values = train.to_numpy(dtype=float)
    n, count = values.shape
    frame = pd.DataFrame(
        {
            "unique_id": np.tile(np.asarray(train.columns, dtype=str), n),
            "ds": np.repeat(np.arange(n, dtype=np.int64), count),
            "y": values.reshape(-1),
        }
    )
    kept: pd.DataFrame = frame[np.isfinite(frame["y"].to_numpy())]
    return kept


def _cube(out: pd.DataFrame, column: str, ids: list[str], h: int) -> FloatArray:
    order = pd.Categorical(out["unique_id"], categories=ids).codes
    frame = out.assign(_id=order).sort_values(["_id", "ds"], kind="stable")
    return frame[column].to_numpy(dtype=float).reshape(len(ids), h)


def score(
    wide: pd.DataFrame, h: int, origins: int, length: int | None
) -> dict[str, dict[str, float]]:
    """Per rule: MASE and 80/95 % coverage over every series and origin."""
    sums: dict[str, dict[str, list[float]]] = {}
    clear_caches()
    for k in range(origins, 0, -1):
        cut = len(wide) - k * h
        train = wide.iloc[:cut] if length is None else wide.iloc[max(0, cut - length) : cut]
        keep = np.isfinite(train.to_numpy(dtype=float)[-1]) & (
            np.isfinite(train.to_numpy(dtype=float)).sum(axis=0) >= 8
        )
        train = train.loc[:, keep]
        ids = [str(c) for c in train.columns]
        actual = wide.iloc[cut : cut + h][train.columns].to_numpy(dtype=float).T
        history = train.to_numpy(dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            scale = np.nanmean(np.abs(np.diff(history, axis=0)), axis=0)
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, np.nan)
        long = _long(train)
        known = np.isfinite(actual)
        for name, config in RULES.items():
            out = forecast_frame(long, h, config)
            point = _cube(out, "point", ids, h)
            entry = sums.setdefault(
                name, {"mase": [], "c80": [], "c95": [], "n": [], "m80": [], "m95": []}
            )
            multiplier = out.attrs["diagnostics"]["calibration"]
            entry["m80"].append(multiplier[80])
            entry["m95"].append(multiplier[95])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                entry["mase"] += list(np.nanmean(np.abs(point - actual), axis=1) / scale)
            for level in (80, 95):
                lo, hi = _cube(out, f"lo-{level}", ids, h), _cube(out, f"hi-{level}", ids, h)
                inside = (actual >= lo) & (actual <= hi)
                entry[f"c{level}"].append(float(inside[known].sum()))
            entry["n"].append(float(known.sum()))
    table = {}
    for name, entry in sums.items():
        total = max(sum(entry["n"]), 1.0)
        table[name] = {
            "mase": float(np.nanmean(entry["mase"])),
            "c80": sum(entry["c80"]) / total,
            "c95": sum(entry["c95"]) / total,
            "m80": float(np.mean(entry["m80"])),
            "m95": float(np.mean(entry["m95"])),
        }
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", choices=["proxy", "walmart", "sample"], default=None)
    parser.add_argument("--origins", type=int, default=3)
    parser.add_argument("--lengths", default="full,156,60")
    args = parser.parse_args(argv)
    numba_cache()
    init_worker()
    lengths = [None if x == "full" else int(x) for x in args.lengths.split(",")]
    loaders = {"proxy": proxy, "walmart": walmart, "sample": sample}
    ok = True
    print(
        f"{'set':<10}{'weeks':>6}  {'rule':<32}{'MASE':>8}{'80 %':>8}{'95 %':>8}"
        f"{'x80':>7}{'x95':>7}"
    )
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
            table = score(wide, h, args.origins, length)
            weeks = "full" if length is None else str(length)
            for name, row in table.items():
                print(
                    f"{label:<10}{weeks:>6}  {name:<32}{row['mase']:>8.4f}"
                    f"{row['c80']:>8.1%}{row['c95']:>8.1%}{row['m80']:>7.2f}{row['m95']:>7.2f}",
                    flush=True,
                )
            row = table[DEFAULT]
            ok &= abs(row["c80"] - 0.80) <= 0.03 and abs(row["c95"] - 0.95) <= 0.03
            print(f"{'':<16}({time.monotonic() - started:.0f}s)", flush=True)
    print(f"default within 3 points of nominal on every set: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
