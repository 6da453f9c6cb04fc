"""Forecast combination rules: which way of weighting the members forecasts best, same fits.

    .venv/bin/python bench/forecast_combinations.py [--only proxy|walmart|sample] [--origins K]
        [--rules "per group,LightGBM"]
    make bench BENCH=forecast_combinations

The engine's default weights (`cv_stack`: stacked weights shrunk halfway toward the best
subset's mean) against the other rules it offers, on the base forecasts of three data sets:
the shipped public proxy (data/benchmarks/weekly_public.csv, 40 series, 13-week horizon), the
Walmart stores (../shared/data, 45 series) and the sample's 200 store x category series (both
12 weeks). Each data set is cut at its last K origins (default 3), one horizon apart; at each,
`forecast_panel` runs once per rule on the history before it. The members are fitted once per
origin (the engine's fit cache serves the other rules), so every rule weights the very same
member forecasts and only the combination differs. `--rules` runs only the rules whose names
contain one of its comma-separated parts (and the default and `cv_subset`). The "weights per
group" rules choose weights per category (the sample's store x category series) or per kind of
series (the other sets: groups.py), shrunk toward the panel's with the prior shown.

MASE: each series' mean absolute error over the origin's weeks over its in-sample one-week
naive error; mean over series, then over the origins that have backtest windows (a Walmart
origin with fewer than two seasons and a window before it has none, and every rule is then the
models' mean). `best member` is the member with the lowest MASE on that data set, chosen in
hindsight: a rule that beats it beats every member. The default's share of stacked weights is
printed as `stack x / subset 1-x`. Exit status 1 when the default is not below `cv_subset` and
the best member on every data set.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _forecast_data import sample_sales, walmart_missing_message, walmart_path, walmart_weekly

from planner_forecast.ensemble import DEFAULT_MEMBERS, EngineConfig, forecast_panel
from planner_forecast.frame import wide_panel
from planner_forecast.metrics import FloatArray
from planner_forecast.panel import bottom_panel
from planner_forecast.parallel import init_worker
from planner_forecast.rolling import clear_caches

PROXY_CSV = Path(__file__).resolve().parents[1] / "data" / "benchmarks" / "weekly_public.csv"

RULES: dict[str, EngineConfig] = {
    "cv_subset (best subset >= 3)": EngineConfig(combination="cv_subset"),
    "stack 0.25 / subset 0.75": EngineConfig(stack_share=0.25),
    "stack 0.5 / subset 0.5 (default)": EngineConfig(),
    "stack 0.75 / subset 0.25": EngineConfig(stack_share=0.75),
    "stacked weights alone": EngineConfig(stack_share=1.0),
    "mean of the core members": EngineConfig(combination="mean"),
    "median": EngineConfig(combination="median"),
    "cv_best (per series)": EngineConfig(combination="cv_best"),
    "default + global LightGBM member": EngineConfig(members=(*DEFAULT_MEMBERS, "lgbm")),
    "weights per group, prior 10": EngineConfig(group_weights=True, group_prior=10.0),
    "weights per group, prior 30": EngineConfig(group_weights=True, group_prior=30.0),
    "weights per group, prior 100": EngineConfig(group_weights=True, group_prior=100.0),
}
DEFAULT = "stack 0.5 / subset 0.5 (default)"
SUBSET = "cv_subset (best subset >= 3)"
GLOBAL_RULE = "default + global LightGBM member"


def proxy() -> tuple[pd.DataFrame, int]:
    frame = pd.read_csv(PROXY_CSV)
    frame["ds"] = pd.to_datetime(frame["ds"])
    wide, _, _ = wide_panel(frame)
    return wide, 13


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


def _mase(point: FloatArray, actual: FloatArray, scale: FloatArray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(np.nanmean(np.abs(point - actual), axis=1) / scale))


def score(
    label: str, wide: pd.DataFrame, h: int, origins: int, rules: list[str]
) -> dict[str, float]:
    """Mean MASE per rule and per member over the origins that have backtest windows."""
    scores: dict[str, list[float]] = {}
    started = time.monotonic()
    clear_caches()
    for k in range(origins, 0, -1):
        cut = len(wide) - k * h
        train = wide.iloc[:cut]
        train = train.loc[:, np.isfinite(train.to_numpy(dtype=float)[-1])]
        actual = wide.iloc[cut : cut + h][train.columns].to_numpy(dtype=float).T
        history = train.to_numpy(dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            scale = np.nanmean(np.abs(np.diff(history, axis=0)), axis=0)
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        base = forecast_panel(train, h, RULES[DEFAULT])
        if not base.windows:  # every rule is the models' mean there: nothing to compare
            continue
        # Store x category series are grouped by category, as the hierarchy groups them;
        # other panels by the kind of series (groups.py).
        names = [str(c) for c in train.columns]
        groups = [c.split("|", 1)[1] for c in names] if all("|" in c for c in names) else None
        results = {
            name: base if name == DEFAULT else forecast_panel(train, h, config, groups=groups)
            for name, config in RULES.items()
            if name in (DEFAULT, SUBSET) or any(part in name for part in rules)
        }
        for name, result in results.items():
            scores.setdefault(name, []).append(_mase(result.point[:, -1], actual, scale))
        for member in base.member_names:
            forecast = base.members[member][:, -1]
            scores.setdefault(f"member {member}", []).append(_mase(forecast, actual, scale))
        with_global = results.get(GLOBAL_RULE, base)
        if "lgbm" in with_global.member_names:
            forecast = with_global.members["lgbm"][:, -1]
            scores.setdefault("member lgbm", []).append(_mase(forecast, actual, scale))
    scored = len(scores.get(DEFAULT, []))
    print(
        f"\n{label}: {wide.shape[1]} series, {len(wide)} weeks, {origins} origins x {h} weeks"
        f" ({scored} with backtest windows), {time.monotonic() - started:.0f}s"
    )
    # Members not fitted on any series (the intermittent ones on a dense panel) are left out.
    means = {name: float(np.nanmean(values)) for name, values in scores.items()}
    return {name: value for name, value in means.items() if np.isfinite(value)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", choices=["proxy", "walmart", "sample"], default=None)
    parser.add_argument("--origins", type=int, default=3)
    parser.add_argument(
        "--rules", default="", help="comma-separated parts of rule names (default: every rule)"
    )
    args = parser.parse_args(argv)
    init_worker()
    loaders = {"proxy": proxy, "walmart": walmart, "sample": sample}
    ok = True
    for label, load in loaders.items():
        if args.only not in (None, label):
            continue
        data = load()
        if data is None:
            continue
        rules = [r for r in args.rules.split(",") if r] or list(RULES)
        table = score(label, *data, args.origins, rules)
        members = {k: v for k, v in table.items() if k.startswith("member ")}
        best_member = min(members, key=lambda k: members[k])
        print(f"{'rule':<36}{'MASE':>9}")
        for name, value in sorted(table.items(), key=lambda kv: kv[1]):
            print(f"{name:<36}{value:>9.4f}")
        default = table[DEFAULT]
        beats = default < table[SUBSET] and default < members[best_member]
        ok = ok and beats
        print(
            f"{label}: default below cv_subset and the best member ({best_member[7:]}): "
            f"{'yes' if beats else 'NO'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
