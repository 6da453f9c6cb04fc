"""Forecast speed, as ratios measured in the same run: the engine against a bare statsforecast
fit, and ten seasons started together against the figure before this engine (92 s).

    .venv/bin/python bench/forecast_speed.py [--repeat R] [--seasons N] [--skip-stack]
        [--rounds identical,horizons,starts]
    make bench BENCH=forecast_speed

1. Panel: data/sample's 50 stores x 4 categories (200 store series), clustered as the service
   clusters them, plus the cluster and category totals. `bare` is one statsforecast
   `forecast` of the engine's models (the same members, h=12, 80/95 % intervals) on exactly
   that panel of nodes; `engine` is `forecast_hierarchy` on it: the rolling-origin backtest,
   the combination chosen on it, MinTrace reconciliation, calibrated coherent intervals.
   Median of R runs each, after a warm-up (imports, numba). Target: engine <= 1.5 x bare.
2. Seasons: a private stack (bench/_stack.py: the five services, a fresh seeded database);
   N seasons are started at once through the gateway, and the clock stops for each when its
   manufacturing approval is asked for on its WebSocket. Three rounds, each on a fresh stack
   (cold: nothing fitted by a round before): N identical briefs (the forecast service fits
   one panel and shares it: identical inputs, identical forecast); N seasons with N different
   horizons on the same history (every panel reconciled on its own; the member fits and
   forwards shared through the lanes' caches); N seasons starting a week apart, each earlier
   than the last (N different histories: every series of every season fitted). Target, for
   the first two: the last of them at least 4x sooner than 92 s, the last of ten before this
   engine on this machine. The third has no target: it shows what ten seasons of ten
   different histories cost.
3. Scale: the sample's stores five times over (1,000 store series, each copy scaled and
   noised so that nothing is shared), reconciled on as many lanes as the machine has cores;
   seconds per 1,000 store series, and what 10,000 would take at that rate (no target).

Other processes share the 2 cores: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import warnings
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from _forecast_data import sample_sales
from _stack import ROOT, private_stack

from planner_forecast.clustering import cluster_stores
from planner_forecast.ensemble import (
    EngineConfig,
    _active_members,
    _long_frame,
    intermittent_series,
)
from planner_forecast.hierarchy import build_nodes, forecast_hierarchy
from planner_forecast.models import build_member
from planner_forecast.panel import bottom_panel
from planner_forecast.parallel import init_worker, numba_cache, warm_up
from planner_forecast.rolling import clear_caches

HORIZON = 12
BEFORE_SECONDS = 92.0  # ten seasons' last manufacturing proposal before this engine (issue 16)
TARGET_SPEEDUP = 4.0
TARGET_RATIO = 1.5


def season_panel() -> tuple[pd.DataFrame, dict[str, int]]:
    sales = sample_sales()
    stores = pd.read_csv(ROOT / "data" / "sample" / "stores.csv").set_index("store_code")
    features = stores[["size_sqft", "weekly_traffic", "region", "format"]].copy()
    level = sales.groupby("store_code")["units"].mean()
    features.insert(0, "sales_level", level.reindex(features.index).to_numpy())
    return bottom_panel(sales), cluster_stores(features).labels


def bare_fit(history: pd.DataFrame, config: EngineConfig) -> None:
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    # The same members on the same series as the engine: core members on the regular
    # series, intermittent ones on the mostly-zero series.
    names = _active_members(config, len(history))
    sparse = intermittent_series(history, config)
    for rows, group in (
        (~sparse, [m for m in names if m in config.members]),
        (sparse, [m for m in names if m in config.intermittent_members]),
    ):
        if not rows.any() or not group:
            continue
        models = [build_member(name, config.season_length) for name in group]
        frame = _long_frame(history.loc[:, rows], 0)
        sf = StatsForecast(models=models, freq=1, n_jobs=1, fallback_model=Naive())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sf.forecast(df=frame, h=HORIZON, level=[80, 95])


def panel_ratio(repeat: int) -> float:
    bottom, clusters = season_panel()
    nodes, _, history = build_nodes(bottom, clusters)
    config = EngineConfig()
    started = time.monotonic()
    warm_up()
    print(f"warm-up (imports, numba from its cache): {time.monotonic() - started:.1f}s")
    bare: list[float] = []
    engine: list[float] = []
    for _ in range(repeat):
        t = time.monotonic()
        bare_fit(history, config)
        bare.append(time.monotonic() - t)
        clear_caches()  # cold: every member fitted on every series, nothing from a run before
        t = time.monotonic()
        forecast_hierarchy(bottom, clusters, HORIZON, config)
        engine.append(time.monotonic() - t)
    b, e = statistics.median(bare), statistics.median(engine)
    print(
        f"\npanel: {bottom.shape[1]} store series + {len(nodes) - bottom.shape[1]} aggregates, "
        f"{len(bottom)} weeks, h={HORIZON}; median of {repeat}, seconds"
    )
    print(f"{'bare statsforecast forecast (same models, same panel)':<58}{b:>8.2f}")
    print(f"{'engine: backtest + combination + MinTrace + intervals':<58}{e:>8.2f}")
    ratio = e / b
    print(f"ratio engine / bare: {ratio:.2f} (target <= {TARGET_RATIO})")
    return ratio


def scale(copies: int, workers: int) -> None:
    """A bigger retailer: the sample's stores `copies` times over, each copy's series scaled
    and noised so that no fit is shared, on `workers` lanes as the service runs them."""
    import multiprocessing

    from planner_forecast.parallel import Lanes

    bottom, clusters = season_panel()
    rng = np.random.default_rng(7)
    parts, labels = [], {}
    for k in range(copies):
        factor = rng.lognormal(0.0, 0.3, bottom.shape[1])
        noise = rng.normal(1.0, 0.05, bottom.shape)
        copy = (bottom * factor * noise).clip(lower=0).round()
        copy.columns = [f"{c.split('|')[0]}~{k}|{c.split('|')[1]}" for c in bottom.columns]
        parts.append(copy)
        labels |= {f"{store}~{k}": label for store, label in clusters.items()}
    panel = pd.concat(parts, axis=1)
    with Lanes(workers, mp_context=multiprocessing.get_context("spawn")) as lanes:
        for future in lanes.on_each(warm_up):
            future.result()
        started = time.monotonic()
        forecast_hierarchy(panel, labels, HORIZON, EngineConfig(), run=lanes.statsforecast)
        took = time.monotonic() - started
    series = panel.shape[1]
    per_thousand = took / series * 1000
    print(
        f"\nscale: {series} store series (+ aggregates) on {workers} lanes: {took:.1f}s, "
        f"{per_thousand:.1f}s per 1,000 store series; 10,000 (500 stores x 20 categories) "
        f"at that rate: {per_thousand * 10 / 60:.1f} min on this machine",
        flush=True,
    )


Round = str  # "identical", "horizons", "starts"
ROUNDS: dict[Round, str] = {
    "identical": "identical briefs",
    "horizons": "different horizons, same history",
    "starts": "different start weeks, so different histories",
}


async def _season(client: Any, brief: str, change: dict[str, Any], ref: str) -> float:
    from planner_client import WorkflowFeed, needs_input

    started = time.monotonic()
    extraction = await client.extract(brief, ref)
    params = dict(extraction["parameters"])
    if change:
        params.update(change)
        params.pop("season_end_date", None)
    created = await client.start(parameters=params, brief=brief)
    async with WorkflowFeed(client, str(created["workflow_id"])) as feed:
        proposal = await feed.first(needs_input("manufacturing"), within=600)
    return float(proposal["_received"] - started)


def _changes(kind: Round, count: int, start: date) -> list[dict[str, Any]]:
    if kind == "horizons":
        return [{"forecast_horizon_weeks": 8 + i} for i in range(count)]
    if kind == "starts":
        # Each season starts a week earlier: its history (the weeks before its start) is one
        # week shorter, so every series of every season is fitted again.
        return [
            {"season_start_date": (start - timedelta(weeks=i)).isoformat()} for i in range(count)
        ]
    return [{} for _ in range(count)]


async def seasons_round(base_url: str, count: int, kind: Round) -> list[float]:
    from planner_client import GatewayClient

    sys.path.insert(0, str(ROOT / "scripts"))
    from demo import DEFAULT_BRIEF, REFERENCE_DATE

    async with GatewayClient(base_url) as client:
        first = await client.extract(DEFAULT_BRIEF, REFERENCE_DATE)
        start = date.fromisoformat(first["parameters"]["season_start_date"])
        changes = _changes(kind, count, start)
        return list(
            await asyncio.gather(
                *(_season(client, DEFAULT_BRIEF, c, REFERENCE_DATE) for c in changes)
            )
        )


def seasons(count: int, rounds: list[Round]) -> bool:
    """Each round on a stack of its own: nothing fitted by a round before it."""
    ok = True
    for kind in rounds:
        with private_stack() as stack:
            times = asyncio.run(seasons_round(stack.gateway_url, count, kind))
        last = max(times)
        speedup = BEFORE_SECONDS / last
        target = kind != "starts"
        print(
            f"{count} seasons started together ({ROUNDS[kind]}): manufacturing proposal after "
            f"median {statistics.median(times):.1f}s, last {last:.1f}s; before this engine "
            f"{BEFORE_SECONDS:.0f}s: {speedup:.1f}x sooner"
            + (f" (target >= {TARGET_SPEEDUP:.0f}x)" if target else " (no target)"),
            flush=True,
        )
        if target:
            ok &= speedup >= TARGET_SPEEDUP
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seasons", type=int, default=10)
    parser.add_argument("--skip-stack", action="store_true", help="only the panel ratio")
    parser.add_argument(
        "--scale-copies",
        type=int,
        default=5,
        help="the sample's stores this many times over for the scale figure (0: skip)",
    )
    parser.add_argument(
        "--rounds",
        default=",".join(ROUNDS),
        help=f"comma-separated rounds of seasons, each on a fresh stack ({', '.join(ROUNDS)})",
    )
    args = parser.parse_args(argv)
    numba_cache()
    init_worker()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    ratio = panel_ratio(args.repeat)
    ok = ratio <= TARGET_RATIO
    if args.scale_copies:
        scale(args.scale_copies, workers=os.cpu_count() or 2)
    if not args.skip_stack:
        ok &= seasons(args.seasons, [r for r in args.rounds.split(",") if r])
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0 if ok else 1


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
