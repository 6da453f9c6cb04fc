"""Forecast accuracy: rolling-origin backtest of the engine's default against every single model.

    .venv/bin/python bench/forecast_accuracy.py [--data-dir DIR] [--origins K] [--horizon H]
        [--arima-series N]
    make bench BENCH=forecast_accuracy

Each data set is cut at the last K origins, H weeks apart (default 3 x 12: the last 36 weeks
are forecast 12 at a time from the history before them). At every origin:

- default: what the service does, `forecast_hierarchy` (panel engine, default EngineConfig,
  MinTrace reconciliation, calibrated intervals) on the history before the origin;
- each member alone, and naive (last value) and seasonal naive: a plain statsforecast
  `forecast` of that model on the same history (no backtest, no combination);
- AutoARIMA alone: statsforecast's AutoARIMA(season_length=52), on the first N series of the
  data set (its seasonal search costs seconds per series: all of the sample's 208 series
  would take most of an hour); the default is compared with it on the same series.

Data sets:
- walmart: the 45 Walmart stores' weekly US$ sales (../shared/data, see its README; no units or
  categories: each store's dollar sales is its demand), as 45 store series of one category,
  one cluster, and their total: 47 nodes, 143 weeks.
- sample: data/sample/historical_sales.csv, 50 stores x 4 categories, the stores clustered
  as the service clusters them, so 200 store series plus cluster and category totals.

MASE: each node's mean absolute error over an origin's 12 weeks, over the in-sample MAE of the
seasonal naive forecast on its history; averaged over origins and then over nodes. WAPE: sum
|error| / sum actual per node over all origins, averaged over nodes. Coverage: share of weekly
actuals inside the default's 80 % / 95 % intervals (all nodes, all origins) and of season
totals inside its season intervals. Exit status 1 when the default's mean MASE or WAPE is not
below every other method's on a data set.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from _forecast_data import (
    sample_sales,
    walmart_missing_message,
    walmart_path,
    walmart_weekly,
)

from planner_forecast.clustering import cluster_stores
from planner_forecast.ensemble import EngineConfig
from planner_forecast.hierarchy import build_nodes, forecast_hierarchy
from planner_forecast.metrics import FloatArray, seasonal_naive_scale
from planner_forecast.models import build_member
from planner_forecast.panel import bottom_panel
from planner_forecast.parallel import init_worker, numba_cache

SEASON = 52


@dataclass
class Scores:
    abs_error: dict[str, list[FloatArray]] = field(default_factory=dict)
    actual: list[FloatArray] = field(default_factory=list)
    scaled: dict[str, list[FloatArray]] = field(default_factory=dict)
    inside: dict[str, list[FloatArray]] = field(default_factory=dict)

    def add(self, name: str, forecast: FloatArray, actual: FloatArray, scale: FloatArray) -> None:
        error = np.abs(forecast - actual)
        self.abs_error.setdefault(name, []).append(error.sum(axis=1))
        self.scaled.setdefault(name, []).append(error.mean(axis=1) / scale)

    def table(self, rows: np.ndarray | None = None) -> dict[str, tuple[float, float]]:
        actual = np.sum(self.actual, axis=0)
        out = {}
        for name, errors in self.abs_error.items():
            mase = np.mean(self.scaled[name], axis=0)
            wape = np.sum(errors, axis=0) / np.where(actual > 0, actual, np.nan)
            pick = slice(None) if rows is None else rows
            out[name] = (float(np.nanmean(mase[pick])), float(np.nanmean(wape[pick])))
        return out


def bare_forecast(
    history: pd.DataFrame, names: list[str], horizon: int, n_jobs: int = 1
) -> dict[str, FloatArray]:
    """Plain statsforecast fits of each model on every column, no backtest: (series, week)."""
    from statsforecast import StatsForecast

    ids = [str(c) for c in history.columns]
    n = len(history)
    frame = pd.DataFrame(
        {
            "unique_id": np.tile(ids, n),
            "ds": np.repeat(np.arange(n), len(ids)),
            "y": history.to_numpy(dtype=float).reshape(-1),
        }
    )
    models = [build_member(name, SEASON) for name in names]  # type: ignore[arg-type]
    sf = StatsForecast(models=models, freq=1, n_jobs=n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = sf.forecast(df=frame, h=horizon)
    order = pd.Categorical(out["unique_id"].astype(str), categories=ids).codes
    out = out.assign(_id=order).sort_values(["_id", "ds"])
    return {name: out[name].to_numpy(dtype=float).reshape(len(ids), horizon) for name in names}


def run(
    label: str,
    bottom: pd.DataFrame,
    clusters: dict[str, int],
    origins: int,
    horizon: int,
    arima_series: int,
) -> bool:
    config = EngineConfig()
    members = list(dict.fromkeys([*config.members, "naive", "seasonal_naive"]))
    nodes, _, full = build_nodes(bottom, clusters)
    scores = Scores()
    arima_rows = np.arange(min(arima_series, len(nodes)))
    inside = {80: [], 95: [], "s80": [], "s95": []}  # type: dict[object, list[FloatArray]]
    started = time.monotonic()
    for k in range(origins, 0, -1):
        cut = len(bottom) - k * horizon
        history = full.iloc[:cut]
        actual = full.iloc[cut : cut + horizon].to_numpy(dtype=float).T
        scale = np.array([seasonal_naive_scale(history[c].to_numpy(float), SEASON) for c in full])
        scale = np.where(scale > 0, scale, np.nan)
        result = forecast_hierarchy(bottom.iloc[:cut], clusters, horizon, config)
        scores.actual.append(np.abs(actual).sum(axis=1))
        scores.add("default", result.point, actual, scale)
        for name, forecast in bare_forecast(history, members, horizon).items():
            scores.add(name, forecast, actual, scale)
        arima = np.full_like(actual, np.nan)
        arima[arima_rows] = bare_forecast(
            history.iloc[:, arima_rows], ["auto_arima"], horizon, n_jobs=2
        )["auto_arima"]
        scores.add("auto_arima", arima, actual, scale)
        inside[80].append((actual >= result.lower_80) & (actual <= result.upper_80))
        inside[95].append((actual >= result.lower_95) & (actual <= result.upper_95))
        totals = actual.sum(axis=1)
        inside["s80"].append(
            (totals >= result.season_lower_80) & (totals <= result.season_upper_80)
        )
        inside["s95"].append(
            (totals >= result.season_lower_95) & (totals <= result.season_upper_95)
        )
        print(f"  {label}: origin {origins - k + 1}/{origins} done", flush=True)
    elapsed = time.monotonic() - started
    table = scores.table()
    arima_table = scores.table(arima_rows)
    kinds = np.array([n.kind for n in nodes])
    print(
        f"\n{label}: {len(nodes)} nodes ({int((kinds == 'store').sum())} store series), "
        f"{len(bottom)} weeks, {origins} origins x {horizon} weeks, {elapsed:.0f}s"
    )
    print(f"{'method':<20}{'MASE':>9}{'WAPE':>9}")
    for name, (m, w) in sorted(table.items(), key=lambda kv: kv[1][0]):
        if name != "auto_arima":
            print(f"{name:<20}{m:>9.4f}{w:>9.4f}")
    print(f"\n{label}, first {len(arima_rows)} nodes (AutoARIMA's subset):")
    for name in ("default", "auto_arima", "naive"):
        m, w = arima_table[name]
        print(f"{name:<20}{m:>9.4f}{w:>9.4f}")
    print(f"\n{label}: coverage of the default's intervals (nominal 80 % / 95 %)")
    for kind in ("total", "cluster", "store", "all"):
        rows = kinds == kind if kind != "all" else np.ones(len(nodes), dtype=bool)
        if not rows.any():
            continue
        c80 = np.mean(np.concatenate([x[rows].ravel() for x in inside[80]]))
        c95 = np.mean(np.concatenate([x[rows].ravel() for x in inside[95]]))
        s80 = np.mean(np.concatenate([x[rows] for x in inside["s80"]]))
        s95 = np.mean(np.concatenate([x[rows] for x in inside["s95"]]))
        print(
            f"  {kind:<8} weekly {c80:6.1%} {c95:6.1%}   season total {s80:6.1%} {s95:6.1%}"
            f"   ({int(rows.sum())} nodes)"
        )
    others = {k: v for k, v in table.items() if k not in ("default", "auto_arima")}
    best = table["default"]
    ok = all(best[0] < v[0] and best[1] < v[1] for v in others.values())
    ok = ok and arima_table["default"][0] < arima_table["auto_arima"][0]
    print(f"\n{label}: default beats every other method on MASE and WAPE: {'yes' if ok else 'NO'}")
    return ok


def sample_data() -> tuple[pd.DataFrame, dict[str, int]]:
    sales = sample_sales()
    bottom = bottom_panel(sales)
    stores = pd.read_csv(Path(__file__).resolve().parents[1] / "data/sample/stores.csv")
    level = sales.groupby("store_code")["units"].mean()
    features = stores.set_index("store_code")[["size_sqft", "weekly_traffic", "region", "format"]]
    features.insert(0, "sales_level", level.reindex(features.index).to_numpy())
    labels = cluster_stores(features).labels
    return bottom, labels


def walmart_data(path: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    wide = walmart_weekly(path)
    wide.columns = [f"W{c:02d}|SALES" for c in wide.columns]
    return wide.reset_index(drop=True), {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--origins", type=int, default=3)
    parser.add_argument("--horizon", type=int, default=12)
    parser.add_argument("--arima-series", type=int, default=12)
    parser.add_argument("--only", choices=["walmart", "sample"], default=None)
    args = parser.parse_args(argv)
    numba_cache()
    init_worker()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    ok = True
    path = walmart_path(args.data_dir)
    if args.only == "sample":
        pass
    elif path.exists():
        bottom, clusters = walmart_data(path)
        ok &= run("walmart", bottom, clusters, args.origins, args.horizon, args.arima_series)
    else:
        print(f"walmart: SKIPPED, {walmart_missing_message(path)}")
    if args.only == "walmart":
        return 0 if ok else 1
    bottom, clusters = sample_data()
    ok &= run("sample", bottom, clusters, args.origins, args.horizon, args.arima_series)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
