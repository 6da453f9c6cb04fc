"""Panel forecasts: every member on every series at once, combined per series by backtest.

One statsforecast `cross_validation` call does the whole job. The panel is padded with the
season's weeks (no actuals yet) and the backtest windows are laid so that the last one *is*
the season: each series and member is fitted once, at the first origin, and that fit rolls
forward (`refit=False`: parameters kept, state updated on the newer weeks) over the later
origins and finally the whole history. So the backtest costs forward passes, not fits, and
the season's forecast is the same model that was scored. What it gives up: the season's
forecast uses parameters estimated without the last `windows x step` weeks (their level and
season state are still updated by them).

Per series, the members' backtest errors choose the combination (`Combination`):
- `mean` / `median`: of the core members, ignoring the backtest (robust, no selection noise);
- `cv_best`: the member with the lowest backtest MAE;
- `cv_weighted`: weights proportional to 1 / backtest MAE^2 over the core members;
- `cv_top`: the mean of the `top_k` members with the lowest backtest MAE.
Sparse series (mostly zero weeks, `intermittent_zero_share`) use the intermittent members
(Croston, ADIDA, IMAPA, TSB) instead, chosen the same way. The benchmark that picked the
default is bench/forecast_accuracy.py; its table is in docs/forecasting.md.

Intervals: each member's own intervals (Vincentised, i.e. averaged quantile by quantile with
the combination weights) give the shape; the hierarchy step (hierarchy.py) reconciles them
and calibrates their width on the backtest windows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Literal

import numpy as np
import pandas as pd

from planner_forecast.metrics import FloatArray
from planner_forecast.models import (
    BASELINES,
    INTERMITTENT,
    NEEDS_TWO_SEASONS,
    SEASON_PERIOD,
    Z_95,
    MemberName,
    build_member,
    has_native_intervals,
)
from planner_forecast.rolling import RollingOrigins

Combination = Literal["mean", "median", "cv_best", "cv_weighted", "cv_top", "cv_subset"]
Backend = Literal["local", "dask"]
LEVELS = (80, 95)

DEFAULT_MEMBERS: tuple[MemberName, ...] = (
    "auto_ets",
    "theta_sa",
    "dynamic_theta",
    "mstl",
    "seasonal_naive",
)
DEFAULT_INTERMITTENT: tuple[MemberName, ...] = ("croston", "tsb", "imapa")


@dataclass(frozen=True)
class EngineConfig:
    members: tuple[MemberName, ...] = DEFAULT_MEMBERS
    combination: Combination = "cv_subset"
    top_k: int = 2
    # `cv_subset` averages at least this many members: a mean of several models is a safer
    # bet than the one that won a short backtest (docs/forecasting.md has the comparison).
    min_subset: int = 3
    intermittent_members: tuple[MemberName, ...] = DEFAULT_INTERMITTENT
    # Share of zero weeks from which a series is treated as intermittent demand.
    intermittent_zero_share: float = 0.4
    backtest_windows: int = 2
    # Weeks between backtest origins; the window length is the season's (capped here).
    backtest_step: int = 13
    season_length: int = SEASON_PERIOD
    min_history_weeks: int = 16
    n_jobs: int = 1
    backend: Backend = "local"
    # Address of a running Dask scheduler ("tcp://host:8786"); unset, `backend="dask"`
    # uses the client already current in the process (a test's LocalCluster).
    dask_address: str | None = None
    dask_partitions: int = 2


@dataclass
class PanelForecast:
    """Combined base forecasts of every series, for the backtest windows and the season.

    Arrays are (series, window, week); the last window is the season (no actuals). `sd` is
    the combined members' forecast standard deviation before calibration.
    """

    ids: list[str]
    point: FloatArray
    sd: FloatArray
    actual: FloatArray
    members: dict[str, FloatArray]
    backtest_mae: dict[str, FloatArray]
    weights: FloatArray
    member_names: list[str]
    intermittent: Any = field(default_factory=lambda: np.zeros(0, dtype=bool))
    windows: int = 0
    diagnostics: dict[str, Any] = field(default_factory=dict)


def _active_members(config: EngineConfig, history_weeks: int) -> list[MemberName]:
    names = list(dict.fromkeys([*config.members, *config.intermittent_members]))
    two_seasons = history_weeks > 2 * config.season_length
    return [n for n in names if two_seasons or n not in NEEDS_TWO_SEASONS]


def _layout(history_weeks: int, steps: int, config: EngineConfig) -> tuple[int, int]:
    """(backtest windows, step between origins) that leave enough weeks before each origin.

    The members are fitted on the whole history and rolled forward from the origins, where
    the seasonal ones estimate their season again on the weeks before the origin: with two
    seasons of history or more, every origin keeps two seasons before it (fewer windows,
    down to none, rather than a backtest without the yearly season).

    The step does not depend on the season's length: seasons planned on the same history
    with other horizons then share their origins, and with them every forward pass
    (rolling.FORWARDS). A season shorter than the step leaves weeks between the windows
    unscored.
    """
    step = max(1, config.backtest_step)
    seasonal = history_weeks > 2 * config.season_length
    floor = 2 * config.season_length + 1 if seasonal else config.min_history_weeks
    windows = config.backtest_windows
    while windows > 0 and history_weeks - windows * step < floor:
        windows -= 1
    return windows, step


def _long_frame(wide: pd.DataFrame, steps: int) -> pd.DataFrame:
    """(unique_id, ds, y) with integer weeks; `steps` weeks appended with no actual."""
    n = len(wide)
    values = np.vstack([wide.to_numpy(dtype=float), np.full((steps, wide.shape[1]), np.nan)])
    ids = np.asarray(wide.columns, dtype=str)
    return pd.DataFrame(
        {
            "unique_id": np.tile(ids, n + steps),
            "ds": np.repeat(np.arange(n + steps, dtype=np.int64), len(ids)),
            "y": values.reshape(-1),
        }
    )


# Runs one statsforecast call (frame, models, kwargs, method) somewhere: in this process, on
# the service's worker lanes (parallel.Lanes.statsforecast), on Dask.
Runner = Callable[[pd.DataFrame, list[Any], dict[str, Any], str], pd.DataFrame]


def _statsforecast(
    frame: pd.DataFrame,
    models: list[Any],
    kwargs: dict[str, Any],
    method: str,
    config: EngineConfig,
    run: Runner | None = None,
) -> pd.DataFrame:
    from planner_forecast.parallel import dask_statsforecast, statsforecast_chunk

    if run is not None and config.backend == "local":
        return run(frame, models, kwargs, method)
    if config.backend == "dask":
        return dask_statsforecast(
            frame, models, kwargs, method, config.dask_partitions, config.dask_address
        )
    return statsforecast_chunk(frame, models, kwargs | {}, method)


def _rolling_forecast(
    wide: pd.DataFrame,
    names: list[MemberName],
    cutoffs: tuple[int, ...],
    h: int,
    config: EngineConfig,
    run: Runner | None = None,
) -> pd.DataFrame:
    """Every member on every column: the backtest windows and the season, one call."""
    back = tuple(len(wide) - cut for cut in cutoffs)
    models = [
        RollingOrigins(
            build_member(name, config.season_length), h, back, has_native_intervals(name)
        )
        for name in names
    ]
    kwargs = {"h": h * (len(cutoffs) + 1), "level": list(LEVELS)}
    return _statsforecast(_long_frame(wide, 0), models, kwargs, "forecast", config, run)


def _cube(out: pd.DataFrame, column: str, ids: list[str], windows: int, h: int) -> FloatArray:
    """One column of the rolled forecasts as (series, window, week)."""
    order = pd.Categorical(out["unique_id"].astype(str), categories=ids).codes
    frame = out.assign(_id=order).sort_values(["_id", "ds"], kind="stable")
    return frame[column].to_numpy(dtype=float, copy=True).reshape(len(ids), windows, h)


def _actuals(history: FloatArray, cutoffs: tuple[int, ...], h: int) -> FloatArray:
    """(series, window, week) actuals after each cutoff; the season's window has none."""
    n, count = history.shape
    actual = np.full((count, len(cutoffs) + 1, h), np.nan)
    for k, cut in enumerate(cutoffs):
        weeks = history[cut : min(cut + h, n)].T
        actual[:, k, : weeks.shape[1]] = weeks
    return actual


def intermittent_series(wide: pd.DataFrame, config: EngineConfig) -> Any:
    """Which columns are mostly zero weeks (the intermittent members forecast those)."""
    history = wide.to_numpy(dtype=float)
    share = np.mean(history == 0, axis=0) if len(wide) else np.ones(wide.shape[1])
    return (share >= config.intermittent_zero_share) & bool(config.intermittent_members)


def _weights(
    mae: FloatArray, eligible: FloatArray, combination: Combination, top_k: int
) -> FloatArray:
    """(series, member) weights summing to 1 over the eligible members of each series."""
    score = np.where(eligible > 0, mae, np.inf)
    score = np.where(np.isfinite(score), score, np.inf)
    count = eligible.sum(axis=1, keepdims=True)
    equal: FloatArray = eligible / np.maximum(count, 1)
    unscored = ~np.isfinite(score).any(axis=1, keepdims=True)
    if combination in ("mean", "median", "cv_subset"):
        return equal
    if combination == "cv_best":
        best = np.argmin(score, axis=1)
        weights = np.zeros_like(mae)
        weights[np.arange(mae.shape[0]), best] = 1.0
        return np.asarray(np.where(unscored, equal, weights), dtype=float)
    if combination == "cv_weighted":
        inverse = np.where(np.isfinite(score), 1.0 / np.maximum(score, 1e-12) ** 2, 0.0)
        total = inverse.sum(axis=1, keepdims=True)
        return np.where(total > 0, inverse / np.where(total > 0, total, 1.0), equal)
    ranks = np.argsort(np.argsort(score, axis=1, kind="stable"), axis=1, kind="stable")
    k = np.minimum(top_k, count)
    chosen = (ranks < k) & np.isfinite(score)
    top: FloatArray = chosen / np.maximum(chosen.sum(axis=1, keepdims=True), 1)
    return np.asarray(np.where(unscored, equal, top), dtype=float)


def best_subset(
    backtest: FloatArray,
    actual: FloatArray,
    scale: FloatArray,
    candidates: list[int],
    min_size: int = 1,
) -> tuple[int, ...]:
    """The subset of `candidates` (member columns) whose mean backtests best on the panel.

    `backtest` is (series, member, week) over the backtest windows, `actual` (series, week).
    Scored by each series' MAE over its scale (a MASE), averaged over the series: one choice
    for the whole panel, pooled over hundreds of series-weeks, not a noisy one per series.
    Subsets have at least `min_size` members (all candidates if there are fewer).
    """
    known = np.isfinite(actual)
    best: tuple[float, tuple[int, ...]] | None = None
    for size in range(min(min_size, len(candidates)), len(candidates) + 1):
        for subset in combinations(candidates, size):
            mean = backtest[:, list(subset)].mean(axis=1)
            error = np.where(known, np.abs(mean - actual), np.nan)
            score = float(np.nanmean(np.nanmean(error, axis=1) / scale))
            if np.isfinite(score) and (best is None or score < best[0] - 1e-12):
                best = (score, subset)
    return best[1] if best is not None else tuple(candidates)


def forecast_panel(
    wide: pd.DataFrame, steps: int, config: EngineConfig, run: Runner | None = None
) -> PanelForecast:
    """Forecast `steps` weeks of every column of `wide` (rows: consecutive weeks, no gaps).

    The backtest windows are `steps` weeks long; their scores decide the combination. `run`
    runs the statsforecast calls elsewhere (the service's lanes); default: `config.backend`.
    """
    if steps < 1:
        raise ValueError("the season must have at least one week")
    n, count = wide.shape
    ids = [str(c) for c in wide.columns]
    windows, step = _layout(n, steps, config)
    cutoffs = tuple(n - k * step for k in range(windows, 0, -1))
    names = _active_members(config, n)
    sparse_rows = intermittent_series(wide, config)
    # Each series is fitted only by the members that can be chosen for it: the intermittent
    # models on the sparse series, the core members on the rest.
    parts = []
    for rows, group in (
        (~sparse_rows, [m for m in names if m in config.members]),
        (sparse_rows, [m for m in names if m in config.intermittent_members]),
    ):
        if rows.any() and group:
            parts.append(_rolling_forecast(wide.loc[:, rows], group, cutoffs, steps, config, run))
    rolled = pd.concat(parts, ignore_index=True)
    for name in names:
        if name not in rolled.columns:
            rolled[name] = np.nan
    total = windows + 1
    history = wide.to_numpy(dtype=float)
    actual = _actuals(history, cutoffs, steps)
    member_point: dict[str, FloatArray] = {
        name: _cube(rolled, name, ids, total, steps) for name in names
    }
    member_sd: dict[str, FloatArray] = {}
    for name in names:
        if has_native_intervals(name) and f"{name}-hi-95" in rolled.columns:
            spread = _cube(rolled, f"{name}-hi-95", ids, total, steps) - _cube(
                rolled, f"{name}-lo-95", ids, total, steps
            )
            member_sd[name] = np.maximum(spread, 0.0) / (2 * Z_95)

    # Backtest MAE per series and member over the windows with actuals.
    mae = np.full((count, len(names)), np.inf)
    if windows:
        known = actual[:, :windows]
        for j, name in enumerate(names):
            error = np.abs(member_point[name][:, :windows] - known)
            seen = np.isfinite(error)
            total_error = np.where(seen, error, 0.0).sum(axis=(1, 2))
            weeks = seen.sum(axis=(1, 2))
            # A member not fitted on a series (the other group's) has no error there: inf.
            mae[:, j] = np.where(weeks > 0, total_error / np.maximum(weeks, 1), np.inf)
    mae = np.where(np.isfinite(mae), mae, np.inf)

    intermittent = sparse_rows
    core = np.array([name in config.members for name in names], dtype=float)
    sparse = np.array(
        [name in config.intermittent_members and name in INTERMITTENT for name in names],
        dtype=float,
    )
    if not windows:
        # Nothing to score on: the mean of the models, without the baselines (the backtest
        # is what can show that a seasonal naive helps).
        models = np.array([name not in BASELINES for name in names], dtype=float)
        core = core * models if (core * models).any() else core
    eligible = np.where(intermittent[:, None], sparse[None, :], core[None, :])
    combination: Combination = config.combination if windows else "mean"
    weights = _weights(mae, eligible, combination, config.top_k)

    stack = np.stack([member_point[name] for name in names], axis=1)  # (n, m, w, h)
    if combination == "cv_subset" and windows:
        scale = np.nanmean(np.abs(np.diff(history, axis=0)), axis=0) if n > 1 else np.ones(count)
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        smooth = ~intermittent
        chosen = (
            best_subset(
                stack[smooth, :, :windows].reshape(int(smooth.sum()), len(names), -1),
                actual[smooth, :windows].reshape(int(smooth.sum()), -1),
                scale[smooth],
                [j for j, name in enumerate(names) if name in config.members],
                config.min_subset,
            )
            if smooth.any()
            else ()
        )
        subset = np.zeros(len(names))
        subset[list(chosen)] = 1.0
        eligible = np.where(intermittent[:, None], sparse[None, :], subset[None, :])
        weights = _weights(mae, eligible, "cv_best", 1)
        weights = np.where(
            intermittent[:, None], weights, eligible / np.maximum(eligible.sum(1, keepdims=True), 1)
        )
    if combination == "median":
        masked = np.where(eligible[:, :, None, None] > 0, stack, np.nan)
        point = np.nanmedian(masked, axis=1)
    else:
        point = np.einsum("nm,nmwh->nwh", weights, np.where(np.isfinite(stack), stack, 0.0))

    # Interval spread: the weighted members' own spreads; a series whose members have none
    # (the intermittent models) takes its history's spread, which calibration then scales.
    sd_stack = np.stack(
        [member_sd.get(name, np.full_like(point, np.nan)) for name in names], axis=1
    )
    has_sd = np.isfinite(sd_stack)
    w_sd = np.where(has_sd, weights[:, :, None, None], 0.0)
    w_total = w_sd.sum(axis=1)
    sd = np.where(
        w_total > 0,
        np.nansum(np.where(has_sd, sd_stack, 0.0) * w_sd, axis=1)
        / np.where(w_total > 0, w_total, 1),
        np.where(has_sd, sd_stack, 0.0).sum(axis=1) / np.maximum(has_sd.sum(axis=1), 1),
    )
    history_sd = history.std(axis=0) if n > 1 else np.zeros(count)
    no_spread = ~has_sd.any(axis=1)
    sd = np.where(no_spread, history_sd[:, None, None], sd)
    sd = np.where(np.isfinite(sd), sd, 0.0)
    return PanelForecast(
        ids=ids,
        point=point,
        sd=sd,
        actual=actual,
        members=dict(member_point),
        backtest_mae={name: mae[:, j] for j, name in enumerate(names)},
        weights=weights,
        member_names=list(names),
        intermittent=intermittent,
        windows=windows,
        diagnostics={
            "history_weeks": n,
            "backtest_windows": windows,
            "backtest_step_weeks": step,
            "members": list(names),
            "combination": combination,
        },
    )
