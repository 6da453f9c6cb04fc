"""Forecast speed: series forecast per second, and one 3-category, 50-store season.

    .venv/bin/python bench/forecast_speed.py [--series N] [--repeat R] [--data-dir DIR]
    make bench BENCH=forecast_speed

Everything runs in a `ProcessPoolExecutor` with `init_worker`, as the forecast service does,
on 1 and then 2 worker processes. Workers are warmed up (imports, Stan model load) before
timing; that cold start is shown apart.

- series/s: `forecast_series` (12-week season, default config: backtest, final fits and
  Prophet's 1000 interval samples) on N store x category series of data/sample (156 weeks),
  and on N real Walmart store series (143 weeks, US$; skipped when the file is absent, see
  bench/_forecast_data.py).
- season: what the service does for a plan, on data/sample: forecast 3 categories (their
  all-store totals, in the pool), cluster the 50 stores (sales level over the last 52 weeks,
  size, traffic, region, format), size the manufacturing orders and allocate them across the
  stores (45% DC holdback, 2 units minimum display). Median of R runs.

Other processes share the cores: the load average is printed, and the figures are only as
steady as it is.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from _forecast_data import (
    SAMPLE_DIR,
    category_totals,
    sample_sales,
    walmart_missing_message,
    walmart_path,
    walmart_weekly,
)

from planner_forecast.allocation import allocate_season
from planner_forecast.clustering import cluster_stores
from planner_forecast.ensemble import ForecastResult, forecast_series
from planner_forecast.manufacturing import manufacturing_quantity
from planner_forecast.parallel import init_worker

HORIZON = 12
SEASON_CATEGORIES = 3
HOLDBACK_PCT = 45.0
MIN_DISPLAY = 2


def warm_up(_: int) -> None:
    rng = np.random.default_rng(0)
    index = pd.date_range("2020-01-06", periods=30, freq="7D")
    forecast_series(pd.Series(100 + rng.normal(0, 5, 30), index=index), 2)


def forecast_one(history: pd.Series) -> ForecastResult:
    return forecast_series(history, HORIZON)


def started_pool(workers: int) -> tuple[ProcessPoolExecutor, float]:
    """A pool whose workers have all imported and fitted once, and the seconds that took."""
    started = time.perf_counter()
    pool = ProcessPoolExecutor(max_workers=workers, initializer=init_worker)
    # One warm-up task per worker: each takes long enough that no worker gets two.
    list(pool.map(warm_up, range(workers)))
    return pool, time.perf_counter() - started


def series_rate(pool: Executor, series: list[pd.Series]) -> float:
    started = time.perf_counter()
    list(pool.map(forecast_one, series))
    return len(series) / (time.perf_counter() - started)


@dataclass(frozen=True)
class SeasonData:
    categories: dict[str, pd.Series]  # all-store weekly units per category
    stores: pd.DataFrame  # cluster features, indexed by store_code
    demand: dict[str, dict[str, float]]  # category -> store -> mean weekly units
    stock_on_hand: dict[str, int]


def season_data(sales: pd.DataFrame) -> SeasonData:
    catalogue = pd.read_csv(SAMPLE_DIR / "categories.csv")
    codes = [str(c) for c in catalogue["category_code"][:SEASON_CATEGORIES]]
    totals = category_totals(sales)
    # The service's store demand: mean weekly units over the last 52 weeks of history.
    since = sales["week_start"].max() - timedelta(weeks=51)
    recent = sales[sales["week_start"] >= since]
    mean_units = recent.groupby(["category_code", "store_code"])["units"].mean()
    stores = pd.read_csv(SAMPLE_DIR / "stores.csv").set_index("store_code")
    level = mean_units.groupby("store_code").sum()
    features = pd.DataFrame(
        {
            "sales_level": level.reindex(stores.index).fillna(0.0),
            "size_sqft": stores["size_sqft"],
            "weekly_traffic": stores["weekly_traffic"],
            "region": stores["region"],
            "format": stores["format"],
        }
    )
    return SeasonData(
        categories={code: totals[code] for code in codes},
        stores=features,
        demand={
            code: {str(s): float(u) for s, u in mean_units.loc[code].items()} for code in codes
        },
        stock_on_hand=dict(
            zip(catalogue["category_code"], catalogue["stock_on_hand"].astype(int), strict=True)
        ),
    )


def run_season(pool: Executor, data: SeasonData) -> dict[str, float]:
    """Seconds per step of one season: forecasts, clustering, manufacturing + allocation."""
    started = time.perf_counter()
    fitted = pool.map(forecast_one, data.categories.values())
    forecasts = dict(zip(data.categories, fitted, strict=True))
    forecast_done = time.perf_counter()
    clusters = cluster_stores(data.stores)
    cluster_done = time.perf_counter()
    orders = {
        code: manufacturing_quantity(
            code,
            f.season_total,
            f.season_lower_95,
            f.season_upper_95,
            data.stock_on_hand[code],
        ).quantity
        for code, f in forecasts.items()
    }
    allocation = allocate_season(
        orders, HOLDBACK_PCT, data.demand, MIN_DISPLAY, clusters=clusters.labels
    )
    done = time.perf_counter()
    # The run must be a real one: every unit placed, every store served.
    for code, result in allocation.items():
        assert result.dc_holdback_units + sum(result.by_store.values()) == orders[code]
        assert len(result.by_store) == len(data.stores)
    return {
        "forecast": forecast_done - started,
        "cluster": cluster_done - forecast_done,
        "alloc": done - cluster_done,
        "total": done - started,
        "k": float(clusters.k),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--series", type=int, default=24, help="series per source for the rate")
    parser.add_argument("--repeat", type=int, default=3, help="season runs per worker count")
    parser.add_argument("--data-dir", type=Path, help="folder with the Walmart file")
    args = parser.parse_args(argv)

    sales = sample_sales()
    data = season_data(sales)
    pairs = sales.groupby(["store_code", "category_code"])
    keys = sorted(pairs.groups, key=str)[: args.series]
    sources = {"sample": [pairs.get_group(key).set_index("week_start")["units"] for key in keys]}
    walmart = walmart_path(args.data_dir)
    if walmart.is_file():
        wide = walmart_weekly(walmart)
        sources["walmart"] = [wide[store] for store in sorted(wide.columns)[: args.series]]
    else:
        print(f"walmart series: SKIPPED, {walmart_missing_message(walmart)}")
    cluster_stores(data.stores.iloc[:4])  # imports scikit-learn outside the timed season

    print(
        f"series: {', '.join(f'{len(s)} {name}' for name, s in sources.items())} "
        f"(12-week forecast each); season: {len(data.categories)} categories "
        f"({', '.join(data.categories)}), {len(data.stores)} stores, median of {args.repeat}; "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start"
    )
    rate_columns = "".join(f"{name + ' series/s':>20}" for name in sources)
    print(
        f"{'workers':>8}{'cold start s':>14}{rate_columns}{'season s':>10}"
        f"{'forecast s':>12}{'cluster s':>11}{'alloc s':>9}{'k':>4}"
    )
    for workers in (1, 2):
        pool, cold = started_pool(workers)
        with pool:
            rates = [series_rate(pool, series) for series in sources.values()]
            runs = [run_season(pool, data) for _ in range(args.repeat)]
        median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        print(
            f"{workers:>8}{cold:>14.2f}"
            + "".join(f"{rate:>20.2f}" for rate in rates)
            + f"{median['total']:>10.2f}{median['forecast']:>12.2f}{median['cluster']:>11.2f}"
            f"{median['alloc']:>9.3f}{int(median['k']):>4}"
        )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
