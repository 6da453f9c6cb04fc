"""Forecast accuracy: rolling-origin backtest of the ensemble against each single model.

    .venv/bin/python bench/forecast_accuracy.py [--data-dir DIR] [--stores N] [--origins K]
        [--horizon H] [--workers W]
    make bench BENCH=forecast_accuracy

Two data sets, each series cut at the last K origins, H weeks apart (default 3 x 12 weeks, a
season each: the last 36 weeks are forecast, 12 at a time, from the history before them):

- sample: data/sample/historical_sales.csv summed per category (4 series of 156 weeks, the
  series the forecast service fits). The generator made these, calibrated on the Walmart
  data: a check that the ensemble behaves on the shapes the demo shows, not a real-data test.
- walmart: the real Walmart weekly store sales in DIR/walmart_store_weekly_sales.csv (DIR is
  --data-dir, else $PLANNER_SHARED_DATA, else ../shared/data next to the repo; see its
  README). No units or categories there: each store's weekly US$ sales is the demand signal.
  Series: the all-store total and stores 1..N (default all 45; 143 weeks each). Skipped, with
  a message, when the file is absent: the repository ships without it.

The sample's windows run from July to February (holiday peaks included); Walmart's from
February to October 2012 (its data ends before that year's holidays, and an origin earlier
than two years of history would forecast without yearly seasonality). 150 backtests take
~1 minute on 2 idle cores (`--stores` fewer when the cores are busy).

Every method sees exactly the same history at an origin and nothing after it; the ensemble's
own weighting backtest runs inside that history (`forecast_series` is given only the history),
so its weights are chosen on data before the evaluation origin. Methods: the ensemble as
shipped (`forecast_series`, default config), Prophet alone and ARIMA alone (same settings as
inside the ensemble) and seasonal naive (last year's week).

WAPE pools a series' windows (sum |error| / sum actual). MASE is each window's mean absolute
error over the in-sample seasonal-naive error of its history, averaged over windows; < 1 beats
last year's week on average. "overall" is the mean over a data set's series, so the large
all-store total does not drown the stores. Exit status 1 when the ensemble's overall WAPE or
MASE is worse than the best single model's on any data set.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from _forecast_data import (
    DATA_DIR_ENV,
    DEFAULT_DATA_DIR,
    ROOT,
    SAMPLE_DIR,
    WALMART_FILE,
    category_totals,
    sample_sales,
    walmart_missing_message,
    walmart_path,
    walmart_weekly,
)

from planner_forecast.ensemble import forecast_series
from planner_forecast.metrics import FloatArray, mase, seasonal_naive_scale, wape
from planner_forecast.models import (
    SEASON_PERIOD,
    arima_forecast,
    prophet_forecast,
    seasonal_naive,
    select_arima,
)
from planner_forecast.parallel import init_worker

METHODS = ("ensemble", "prophet", "arima", "seasonal_naive")
SINGLES = METHODS[1:]


def walmart_series(path: Path, stores: int) -> dict[str, pd.Series]:
    wide = walmart_weekly(path)
    series = {"all_stores": wide.sum(axis=1)}
    for store in sorted(wide.columns)[:stores]:
        series[f"store_{store}"] = wide[store]
    return series


def _ensemble(history: pd.Series, horizon: int) -> tuple[FloatArray, dict[str, float]]:
    result = forecast_series(history, horizon)
    return np.asarray(result.point, dtype=float), result.weights


def _prophet(history: pd.Series, horizon: int) -> FloatArray:
    y = history.to_numpy(dtype=float)
    yearly = y.size >= 2 * SEASON_PERIOD  # the ensemble's default yearly_min_weeks
    dates = pd.DatetimeIndex(history.index)
    return prophet_forecast(dates, y, horizon, yearly=yearly, intervals=False).point


def _arima(history: pd.Series, horizon: int) -> FloatArray:
    y = history.to_numpy(dtype=float)
    spec = select_arima(y, seasonal=y.size >= 2 * SEASON_PERIOD)
    return arima_forecast(y, horizon, spec).point


def _naive(history: pd.Series, horizon: int) -> FloatArray:
    return seasonal_naive(history.to_numpy(dtype=float), horizon).point


SINGLE_FORECASTERS: dict[str, Callable[[pd.Series, int], FloatArray]] = {
    "prophet": _prophet,
    "arima": _arima,
    "seasonal_naive": _naive,
}


@dataclass(frozen=True)
class Task:
    dataset: str
    series: str
    history: pd.Series
    actual: FloatArray


@dataclass(frozen=True)
class Outcome:
    dataset: str
    series: str
    actual: FloatArray
    scale: float
    forecasts: dict[str, FloatArray]
    seconds: dict[str, float]
    ensemble_weights: dict[str, float]


def run_task(task: Task) -> Outcome:
    forecasts: dict[str, FloatArray] = {}
    seconds: dict[str, float] = {}
    horizon = task.actual.size
    started = time.perf_counter()
    point, weights = _ensemble(task.history, horizon)
    seconds["ensemble"] = time.perf_counter() - started
    forecasts["ensemble"] = point  # already clipped at 0 by the service
    for name, forecaster in SINGLE_FORECASTERS.items():
        started = time.perf_counter()
        # Demand is never negative: the singles get the same floor the ensemble applies.
        forecasts[name] = np.clip(forecaster(task.history, horizon), 0.0, None)
        seconds[name] = time.perf_counter() - started
    scale = seasonal_naive_scale(task.history.to_numpy(dtype=float))
    return Outcome(task.dataset, task.series, task.actual, scale, forecasts, seconds, weights)


def build_tasks(
    dataset: str, series: dict[str, pd.Series], origins: int, horizon: int
) -> list[Task]:
    tasks = []
    for name, values in series.items():
        values = values.sort_index().astype(float)
        for k in range(origins, 0, -1):
            cut = len(values) - horizon * k
            if cut < 2 * SEASON_PERIOD:
                raise SystemExit(
                    f"{dataset}/{name}: origin {cut} leaves less than two years of history; "
                    "use fewer --origins or a shorter --horizon"
                )
            actual = np.asarray(values.iloc[cut : cut + horizon], dtype=np.float64)
            tasks.append(Task(dataset, name, values.iloc[:cut], actual))
    return tasks


@dataclass(frozen=True)
class Scores:
    wape: dict[str, dict[str, float]]  # method -> series -> value
    mase: dict[str, dict[str, float]]

    def overall(self, metric: str) -> dict[str, float]:
        table = self.wape if metric == "wape" else self.mase
        return {m: float(np.mean(list(table[m].values()))) for m in METHODS}


def score(outcomes: list[Outcome]) -> Scores:
    by_series: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_series.setdefault(outcome.series, []).append(outcome)
    wapes: dict[str, dict[str, float]] = {m: {} for m in METHODS}
    mases: dict[str, dict[str, float]] = {m: {} for m in METHODS}
    for name, runs in by_series.items():
        actual = np.concatenate([r.actual for r in runs])
        for method in METHODS:
            forecast = np.concatenate([r.forecasts[method] for r in runs])
            wapes[method][name] = wape(actual, forecast)
            mases[method][name] = float(
                np.mean([mase(r.actual, r.forecasts[method], r.scale) for r in runs])
            )
    return Scores(wapes, mases)


def _table(title: str, values: dict[str, dict[str, float]], fmt: str) -> None:
    series = list(values[METHODS[0]])
    print(f"\n{title}")
    print(f"{'series':<16}" + "".join(f"{m:>16}" for m in METHODS) + f"{'best':>16}")
    for name in series:
        best = min(METHODS, key=lambda m: values[m][name])
        print(
            f"{name:<16}" + "".join(f"{values[m][name]:>16{fmt}}" for m in METHODS) + f"{best:>16}"
        )
    overall = {m: float(np.mean(list(values[m].values()))) for m in METHODS}
    best = min(METHODS, key=lambda m: overall[m])
    print(
        f"{'overall (mean)':<16}"
        + "".join(f"{overall[m]:>16{fmt}}" for m in METHODS)
        + f"{best:>16}"
    )


def report(dataset: str, outcomes: list[Outcome]) -> Scores:
    scores = score(outcomes)
    _table(f"[{dataset}] WAPE (lower is better)", scores.wape, ".4f")
    _table(f"[{dataset}] MASE (vs in-sample seasonal naive; < 1 beats it)", scores.mase, ".3f")
    weights = {m: np.mean([o.ensemble_weights.get(m, 0.0) for o in outcomes]) for m in SINGLES}
    print(
        f"[{dataset}] ensemble's mean weights: "
        + ", ".join(f"{m} {weights[m]:.2f}" for m in SINGLES)
    )
    seconds = {m: np.mean([o.seconds[m] for o in outcomes]) for m in METHODS}
    print(
        f"[{dataset}] mean seconds per forecast: "
        + ", ".join(f"{m} {seconds[m]:.2f}" for m in METHODS)
    )
    return scores


def verdict(all_scores: dict[str, Scores]) -> bool:
    print("\nsummary: overall (mean over series) per data set")
    print(f"{'data set':<10}{'metric':<7}" + "".join(f"{m:>16}" for m in METHODS) + "  ensemble")
    holds = True
    for dataset, scores in all_scores.items():
        for metric in ("wape", "mase"):
            overall = scores.overall(metric)
            best_single = min(SINGLES, key=lambda m: overall[m])
            ok = overall["ensemble"] <= overall[best_single]
            holds &= ok
            status = "ok" if ok else f"LOSES to {best_single}"
            print(
                f"{dataset:<10}{metric.upper():<7}"
                + "".join(f"{overall[m]:>16.4f}" for m in METHODS)
                + f"  {status}"
            )
    return holds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        help=f"folder with {WALMART_FILE} (default ${DATA_DIR_ENV}, else {DEFAULT_DATA_DIR})",
    )
    parser.add_argument("--stores", type=int, default=45, help="Walmart stores (default all 45)")
    parser.add_argument("--origins", type=int, default=3, help="backtest windows per series")
    parser.add_argument("--horizon", type=int, default=12, help="weeks per window (a season)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    args = parser.parse_args(argv)

    datasets: dict[str, dict[str, pd.Series]] = {"sample": category_totals(sample_sales())}
    sample = (SAMPLE_DIR / "historical_sales.csv").relative_to(ROOT)
    print(f"sample: {sample}, units summed per category")
    walmart = walmart_path(args.data_dir)
    if walmart.is_file():
        datasets["walmart"] = walmart_series(walmart, args.stores)
        print(f"walmart: {walmart}, US$ weekly sales as the demand signal")
    else:
        print(f"walmart: SKIPPED, {walmart_missing_message(walmart)}")
    tasks = [
        task
        for name, series in datasets.items()
        for task in build_tasks(name, series, args.origins, args.horizon)
    ]
    print(
        ", ".join(f"{name} {len(series)} series" for name, series in datasets.items())
        + f"; {args.origins} origins x {args.horizon} weeks; {len(tasks)} backtests on "
        f"{args.workers} worker(s)"
    )
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers, initializer=init_worker) as pool:
        outcomes = list(pool.map(run_task, tasks, chunksize=1))
    all_scores = {
        name: report(name, [o for o in outcomes if o.dataset == name]) for name in datasets
    }
    holds = verdict(all_scores)
    print(f"\nwall time {time.perf_counter() - started:.1f} s")
    print(
        "ensemble "
        + ("does not lose to" if holds else "LOSES to")
        + " the best single model overall (WAPE and MASE, every data set)"
    )
    return 0 if holds else 1


if __name__ == "__main__":
    sys.exit(main())
