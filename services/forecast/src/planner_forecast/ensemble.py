"""Panel forecasts: every member on every series at once, combined by their backtest.

One statsforecast `forecast` call over the panel does the fitting: each member, wrapped in
`rolling.RollingOrigins`, is fitted once per series on the whole history and that fit is rolled
forward (`forward`: parameters kept, state filtered over the given weeks) from each backtest
origin and from the end of the history. So the backtest costs forward passes, not fits, and the
season's forecast is the model that was scored. What the backtest re-estimates at each origin,
because it could otherwise see the future: the deseasonalised members' seasonal index and
MSTL's decomposition; what stays optimistic is the smoothing parameters (docs/forecasting.md).

The members' backtest errors choose the combination (`Combination`), per series or over the
panel:
- `mean` / `median`: of the core members, ignoring the backtest (robust, no selection noise);
- `cv_best`: the member with the lowest backtest MAE;
- `cv_weighted`: weights proportional to 1 / backtest MAE^2 over the core members;
- `cv_top`: the mean of the `top_k` members with the lowest backtest MAE;
- `cv_subset`: the mean of the subset of members (at least `min_subset`) whose mean backtests
  best over the whole panel;
- `cv_stack` (default): weights fitted on the whole panel's backtest (the simplex weights with
  the least mean absolute scaled error, `stacked_weights`), shrunk halfway toward the
  `cv_subset` mean. Stacking alone can put all the weight on a member that dominates the
  panel; the shrinkage toward an equal-weight mean is the classic remedy for the noise in
  estimated combination weights.
Sparse series (mostly zero weeks, `intermittent_zero_share`) use the intermittent members
(Croston, ADIDA, IMAPA, TSB) instead, the best of them by their own backtest. The benchmark
that picked the default is bench/forecast_combinations.py (every rule on the same fits); the
default against each member and AutoARIMA is bench/forecast_accuracy.py; both tables are in
docs/forecasting.md.

Intervals: each member's own intervals (Vincentised, i.e. averaged quantile by quantile with
the combination weights) give the shape; the hierarchy step (hierarchy.py) reconciles them,
scales them with each week's level and calibrates their width on the backtest windows.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Any, Literal

import numpy as np
import pandas as pd

from planner_forecast.global_member import global_forecasts
from planner_forecast.groups import group_weights, series_kind
from planner_forecast.metrics import FloatArray
from planner_forecast.models import (
    BASELINES,
    GLOBAL,
    INTERMITTENT,
    NEEDS_TWO_SEASONS,
    SEASON_PERIOD,
    Z_95,
    MemberName,
    build_member,
    has_native_intervals,
)
from planner_forecast.rolling import RollingOrigins

Combination = Literal["mean", "median", "cv_best", "cv_weighted", "cv_top", "cv_subset", "cv_stack"]
Backend = Literal["local", "dask"]
LEVELS = (80, 95)

# dynamic_theta (Theta with its own seasonality test) is not a default member: it was never in
# the subset chosen on the public proxy, scored worst of the models on Walmart and the sample,
# and cost 15 % of a panel's fits (docs/forecasting.md). The last value (`naive`) is a member:
# it costs nothing to fit, and on random-walk-like series (prices, rates) it is what the
# stacked weights lean on.
DEFAULT_MEMBERS: tuple[MemberName, ...] = (
    "auto_ets",
    "theta_sa",
    "mstl",
    "arima_sa",
    "seasonal_naive",
    "naive",
)
DEFAULT_INTERMITTENT: tuple[MemberName, ...] = ("croston", "tsb", "imapa")


@dataclass(frozen=True)
class EngineConfig:
    members: tuple[MemberName, ...] = DEFAULT_MEMBERS
    combination: Combination = "cv_stack"
    top_k: int = 2
    # `cv_stack`: the share of the stacked weights in the final ones (the rest: the
    # `cv_subset` mean). Half is the usual shrinkage toward equal weights; docs/forecasting.md
    # has the comparison with either end.
    stack_share: float = 0.5
    # `cv_subset` averages at least this many members: a mean of several models is a safer
    # bet than the one that won a short backtest (docs/forecasting.md has the comparison).
    min_subset: int = 3
    intermittent_members: tuple[MemberName, ...] = DEFAULT_INTERMITTENT
    # Share of zero weeks from which a series is treated as intermittent demand.
    intermittent_zero_share: float = 0.4
    backtest_windows: int = 2
    # Backtest windows for the interval calibration, where the history allows (the older
    # ones only calibrate; the combination is chosen on the last `backtest_windows`). Four
    # covered no better than two on unseen origins (recent errors are the better guide: the
    # older windows lowered the public proxy's 95 % coverage from 93.9 % to 92.8 %), so the
    # default calibrates on the combination's two.
    calibration_windows: int = 2
    # Weeks between backtest origins; the window length is the season's (capped here).
    backtest_step: int = 13
    season_length: int = SEASON_PERIOD
    min_history_weeks: int = 16
    # The weekly 95 % intervals' calibration multiplier is never below this (1: the combined
    # members' own width; the 80 % one is widened by the same factor). The backtest is
    # optimistic (the members' parameters have seen its weeks, the weights were chosen on
    # them): multipliers below 1 measured there made intervals that covered 4-9 points short
    # on unseen data (issue 26; bench/forecast_intervals.py has the comparison).
    calibration_floor: float = 1.0
    # No `n_jobs`: a panel's statsforecast calls run where `run` / `backend` send them (the
    # service's worker lanes, Dask); an unread process count here misled (issue 26).
    backend: Backend = "local"
    # Address of a running Dask scheduler ("tcp://host:8786"); unset, `backend="dask"`
    # uses the client already current in the process (a test's LocalCluster).
    dask_address: str | None = None
    dask_partitions: int = 2
    # Weights per group of series (the hierarchy's categories, else the kind of series:
    # groups.py), each group's own shrunk toward the panel's with own share n / (n + prior),
    # n its scored series.
    group_weights: bool = False
    group_prior: float = 30.0
    # The seasonal naive only on series whose backtest can judge it (a season before the
    # oldest origin; `_group_forecasts`). False: on every series, as before (for the bench).
    judged_seasonal_naive: bool = True


@dataclass
class PanelForecast:
    """Combined base forecasts of every series, for the backtest windows and the season.

    Arrays are (series, window, week); the last window is the season (no actuals). `sd` is
    the combined members' forecast standard deviation before calibration. `windows` counts
    every backtest window (the interval calibration's); the combination was chosen on the
    last `combination_windows` of them.
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
    combination_windows: int = 0
    diagnostics: dict[str, Any] = field(default_factory=dict)
    # Weeks of history before each window (the backtest origins, then the whole history).
    origins: tuple[int, ...] = ()


def _active_members(config: EngineConfig, history_weeks: int) -> list[MemberName]:
    names = list(dict.fromkeys([*config.members, *config.intermittent_members]))
    two_seasons = history_weeks > 2 * config.season_length
    return [n for n in names if two_seasons or n not in NEEDS_TWO_SEASONS]


def _layout(history_weeks: int, config: EngineConfig) -> tuple[int, int]:
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
    floor = _floor(history_weeks, config)
    windows = config.backtest_windows
    while windows > 0 and history_weeks - windows * step < floor:
        windows -= 1
    return windows, step


def _floor(history_weeks: int, config: EngineConfig) -> int:
    """Fewest weeks a backtest origin leaves before it, for a series of this length: two
    seasons for a series longer than two seasons, else `min_history_weeks`."""
    seasonal = history_weeks > 2 * config.season_length
    return 2 * config.season_length + 1 if seasonal else config.min_history_weeks


def _long_frame(wide: pd.DataFrame, steps: int) -> pd.DataFrame:
    """(unique_id, ds, y) with integer weeks; `steps` weeks appended with no actual.

    A series that starts later than the panel (leading NaN in `wide`) has no rows before its
    first week: statsforecast fits each series on its own history (a ragged long frame).
    """
    n = len(wide)
    values = np.vstack([wide.to_numpy(dtype=float), np.full((steps, wide.shape[1]), np.nan)])
    ids = np.asarray(wide.columns, dtype=str)
    frame = pd.DataFrame(
        {
            "unique_id": np.tile(ids, n + steps),
            "ds": np.repeat(np.arange(n + steps, dtype=np.int64), len(ids)),
            "y": values.reshape(-1),
        }
    )
    if steps:
        return frame
    kept: pd.DataFrame = frame[np.isfinite(frame["y"].to_numpy())].reset_index(drop=True)
    return kept


def series_lengths(wide: pd.DataFrame) -> Any:
    """Weeks of history of each column: from its first finite week to the end of the panel.

    The panel is aligned at its end: a series may start late (leading NaN) but every series
    ends on the panel's last week. Gaps inside a series are interpolated by the caller.
    """
    finite = np.isfinite(wide.to_numpy(dtype=float))
    if not len(wide):
        return np.zeros(wide.shape[1], dtype=int)
    if (~finite[-1]).any():
        bad = [str(c) for c, ok in zip(wide.columns, finite[-1], strict=True) if not ok][:3]
        raise ValueError(f"series {', '.join(bad)} do not end on the panel's last week")
    first = np.argmax(finite, axis=0)
    return len(wide) - first


def _fill_gaps(wide: pd.DataFrame) -> pd.DataFrame:
    """Interpolate weeks missing inside a series (unknown, not zero); leading NaN stay."""
    values = wide.to_numpy(dtype=float)
    if np.isfinite(values).all():
        return wide
    return wide.astype(float).interpolate(limit_area="inside")


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
    floor: int = 1,
) -> pd.DataFrame:
    """Every member on every column: the backtest windows and the season, one call.

    An origin that leaves a series fewer than `floor` weeks before it has no forecast there.
    """
    back = tuple(len(wide) - cut for cut in cutoffs)
    models = [
        RollingOrigins(
            build_member(name, config.season_length),
            h,
            back,
            has_native_intervals(name),
            floor=floor,
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
    """Which columns are mostly zero weeks (the intermittent members forecast those).

    The share is over each series' own weeks (weeks before a late start do not count).
    """
    history = wide.to_numpy(dtype=float)
    finite = np.isfinite(history)
    count = finite.sum(axis=0)
    zeros = (finite & (history == 0)).sum(axis=0)
    share = np.where(count > 0, zeros / np.maximum(count, 1), 1.0)
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
    Subsets have at least `min_size` members (all candidates if there are fewer). NaN (a
    window a series is too short for, a member not fitted on it) is left out: a series' mean
    is over the subset's members it has, and a series with no scored week does not count.
    """
    known = np.isfinite(actual)
    best: tuple[float, tuple[int, ...]] | None = None
    for size in range(min(min_size, len(candidates)), len(candidates) + 1):
        for subset in combinations(candidates, size):
            part = backtest[:, list(subset)]
            finite = np.isfinite(part)
            count = finite.sum(axis=1)
            mean = np.where(finite, part, 0.0).sum(axis=1) / np.maximum(count, 1)
            seen = known & (count > 0)
            weeks = seen.sum(axis=1)
            error = np.where(seen, np.abs(mean - np.where(known, actual, 0.0)), 0.0).sum(axis=1)
            scored = weeks > 0
            if not scored.any():
                continue
            score = float(np.mean(error[scored] / weeks[scored] / scale[scored]))
            if np.isfinite(score) and (best is None or score < best[0] - 1e-12):
                best = (score, subset)
    return best[1] if best is not None else tuple(candidates)


def _subset_errors(
    backtest: FloatArray, actual: FloatArray, scale: FloatArray, candidates: list[int]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The backtest weeks every candidate forecasts: (points, candidate) forecasts and the
    actuals, both over the series' scale, and each point's weight (one over the series'
    scored weeks and the number of scored series, so the weights sum to one per panel and
    each series counts once, as in `best_subset`)."""
    part = backtest[:, candidates] / scale[:, None, None]
    target = actual / scale[:, None]
    ok = np.isfinite(part).all(axis=1) & np.isfinite(target)
    weeks = ok.sum(axis=1)
    scored = int((weeks > 0).sum())
    rows, cols = np.nonzero(ok)
    forecasts = part[rows, :, cols]
    weight = 1.0 / (weeks[rows] * max(scored, 1))
    return forecasts, target[rows, cols], weight


def stacked_weights(
    backtest: FloatArray,
    actual: FloatArray,
    scale: FloatArray,
    candidates: list[int],
    max_points: int = 20_000,
) -> FloatArray:
    """Simplex weights over `candidates` (member columns) whose weighted forecast has the
    least mean absolute scaled error over the panel's backtest: a linear program.

    `backtest` is (series, member, week), `actual` (series, week), as for `best_subset`;
    weeks a candidate has no forecast for are left out. A panel with more than `max_points`
    scored weeks is thinned to that many, evenly spaced (the weights are a handful of numbers:
    thousands of errors pin them down; on a simulated panel 4,800 and 60,000 points gave the
    same weights to about 0.01). Returns one weight per member column, zero off the candidates;
    equal weights if nothing is scored or the program fails.

    Solved as its dual, which has one row per candidate instead of two per point (HiGHS
    takes 0.04 s for 4,800 points this way, 2.4 s as the primal): with c the points' weights,
    min_w sum_i c_i |y_i - x_i w| over the simplex equals max_d d'y - max_j (X'd)_j over
    |d_i| <= c_i, and the weights are the multipliers of the rows (X'd)_j <= t.
    """
    from scipy.optimize import linprog

    members = backtest.shape[1]
    out = np.zeros(members)
    equal = np.zeros(members)
    equal[candidates] = 1.0 / max(len(candidates), 1)
    forecasts, target, weight = _subset_errors(backtest, actual, scale, candidates)
    if len(target) > max_points:
        keep = np.linspace(0, len(target) - 1, max_points).round().astype(int)
        forecasts, target, weight = forecasts[keep], target[keep], weight[keep]
    if not len(target) or len(candidates) == 1:
        return equal
    weight = weight / weight.sum()
    k = forecasts.shape[1]
    result = linprog(
        c=np.concatenate([-target, [1.0]]),
        A_ub=np.hstack([forecasts.T, -np.ones((k, 1))]),
        b_ub=np.zeros(k),
        bounds=[(-c, c) for c in weight] + [(None, None)],
        method="highs",
    )
    if not result.success:
        return equal
    solved = np.clip(-np.asarray(result.ineqlin.marginals, dtype=float), 0.0, None)
    if not solved.sum() > 0:
        return equal
    out[candidates] = solved / solved.sum()
    return out


def _group_forecasts(
    wide: pd.DataFrame,
    lengths: Any,
    sparse_rows: Any,
    cutoffs: tuple[int, ...],
    steps: int,
    config: EngineConfig,
    run: Runner | None,
) -> tuple[pd.DataFrame, list[MemberName]]:
    """The rolled forecasts of every series, fitted in groups of the same members and floor.

    A series gets the core members (the intermittent ones if it is sparse), without those
    that need more history than it has (MSTL: two seasons); its origins keep `_floor` weeks
    before them. Series too short for any backtest (under `min_history_weeks`) still get the
    season's forecast; their backtest windows are dropped by the caller.
    """
    parts = []
    names: list[MemberName] = []
    seasonal = lengths > 2 * config.season_length
    short = lengths < config.min_history_weeks
    # A series with less than a season before its oldest origin: the seasonal naive is the
    # last value in its backtest and last year's weeks in its season, so the backtest cannot
    # weigh it; it is left out there (it repeated a price's year-old weeks with the weight the
    # last value had earned).
    oldest = len(wide) - cutoffs[0] if cutoffs else 0
    young = (
        ~seasonal & (lengths >= config.season_length) & (lengths - oldest < config.season_length)
    ) & bool(config.judged_seasonal_naive)
    for sparse in (False, True):
        pool = config.intermittent_members if sparse else config.members
        for kind in ("seasonal", "plain", "young", "short"):
            rows = (sparse_rows == sparse) & {
                "seasonal": seasonal,
                "plain": ~seasonal & ~short & ~young,
                "young": young,
                "short": short,
            }[kind]
            if not rows.any():
                continue
            weeks = int(lengths[rows].max())
            group = [m for m in _active_members(config, weeks) if m in pool and m not in GLOBAL]
            if kind == "young":
                group = [m for m in group if m != "seasonal_naive"]
            if not group:
                continue
            floor = 1 if kind == "short" else _floor(weeks, config)
            parts.append(
                _rolling_forecast(wide.loc[:, rows], group, cutoffs, steps, config, run, floor)
            )
            names += [m for m in group if m not in names]
    rolled = pd.concat(parts, ignore_index=True)
    return rolled, names


def _rule_weights(
    backtest: FloatArray,
    known: FloatArray,
    scale: FloatArray,
    candidates: list[int],
    config: EngineConfig,
) -> FloatArray:
    """The panel rule's weights (`cv_subset`, or `cv_stack`'s shrunk stack) on these series."""
    weights = np.zeros(backtest.shape[1])
    if not candidates:
        return weights
    chosen = best_subset(backtest, known, scale, candidates, config.min_subset)
    weights[list(chosen)] = 1.0 / len(chosen)
    if config.combination == "cv_stack":
        stacked = stacked_weights(backtest, known, scale, candidates)
        weights = config.stack_share * stacked + (1 - config.stack_share) * weights
    return weights


def _panel_weights(
    stack: FloatArray,
    actual: FloatArray,
    history: FloatArray,
    intermittent: Any,
    names: list[MemberName],
    windows: int,
    scored: bool,
    plain: FloatArray,
    config: EngineConfig,
    labels: Sequence[str] | None = None,
) -> tuple[FloatArray, dict[str, dict[str, Any]]]:
    """(series, member) weights of the smooth series (`cv_subset`/`cv_stack`): chosen on the
    backtest windows over the whole panel, or per group of `labels` shrunk toward the panel's
    (groups.py); the models' mean when nothing could be scored. Also each group's figures."""
    count = len(intermittent)
    if not scored:
        return np.tile(plain / max(float(plain.sum()), 1.0), (count, 1)), {}
    backtest = stack[:, :, :windows].reshape(count, len(names), -1)
    known = actual[:, :windows].reshape(count, -1)
    scale = _naive_scale(history)
    candidates = [j for j, name in enumerate(names) if name in config.members]

    def weigh(rows: Any, members: list[int]) -> FloatArray:
        return _rule_weights(backtest[rows], known[rows], scale[rows], members, config)

    panel = weigh(~intermittent, candidates)
    if labels is None:
        return np.tile(panel, (count, 1)), {}
    has_backtest: Any = np.isfinite(backtest).any(axis=2)
    smooth = ~intermittent & has_backtest.any(axis=1)
    return group_weights(labels, smooth, panel, candidates, has_backtest, weigh, config.group_prior)


@dataclass(frozen=True)
class _Origins:
    """Where the backtest forecasts start: `calibration` origins `step` weeks apart before
    the season's (the end of the history's `history_weeks`), of which the last `windows`
    (from `first` on) choose the combination; all of them calibrate the intervals."""

    history_weeks: int
    windows: int
    step: int
    calibration: int

    @property
    def cutoffs(self) -> tuple[int, ...]:
        n, step = self.history_weeks, self.step
        return tuple(n - k * step for k in range(self.calibration, 0, -1))

    @property
    def origins(self) -> tuple[int, ...]:
        """The backtest origins, then the season's."""
        return (*self.cutoffs, self.history_weeks)

    @property
    def first(self) -> int:
        return self.calibration - self.windows


def _origins(history_weeks: int, longest: int, config: EngineConfig) -> _Origins:
    windows, step = _layout(longest, config)
    # Older origins where the history allows, for the interval calibration only: the
    # combination is chosen on the last `windows` (docs/forecasting.md, "Intervals").
    extra = max(config.calibration_windows, config.backtest_windows)
    calibration, _ = _layout(longest, replace(config, backtest_windows=extra))
    return _Origins(history_weeks, windows, step, max(calibration, windows))


def _member_points(
    wide: pd.DataFrame,
    rolled: pd.DataFrame,
    names: list[MemberName],
    origins: tuple[int, ...],
    first: int,
    steps: int,
    too_short: Any,
) -> dict[str, FloatArray]:
    """Each member's forecast (series, origin, week) at every origin, the season's last.

    The statsforecast members come rolled from `rolled`; the global member is trained on the
    whole panel before each origin, as the others are rolled from it, but not at the
    calibration-only origins (before `first`): the combination there is renormalised over
    the members that have a forecast. A series too short to score has no backtest."""
    ids = [str(c) for c in wide.columns]
    total = len(origins)
    member_point: dict[str, FloatArray] = {
        name: _cube(rolled, name, ids, total, steps) for name in names if name not in GLOBAL
    }
    if "lgbm" in names:
        cube = np.full((wide.shape[1], total, steps), np.nan)
        cube[:, first:] = global_forecasts(wide, origins[first:], steps)
        member_point["lgbm"] = cube
    for cube in member_point.values():
        cube[too_short, : total - 1] = np.nan
    return member_point


def _member_spreads(
    rolled: pd.DataFrame, names: list[MemberName], ids: list[str], total: int, steps: int
) -> dict[str, FloatArray]:
    """The standard deviation each member's own 95% interval implies, where it has one."""
    member_sd: dict[str, FloatArray] = {}
    for name in names:
        if has_native_intervals(name) and f"{name}-hi-95" in rolled.columns:
            spread = _cube(rolled, f"{name}-hi-95", ids, total, steps) - _cube(
                rolled, f"{name}-lo-95", ids, total, steps
            )
            member_sd[name] = np.maximum(spread, 0.0) / (2 * Z_95)
    return member_sd


def _backtest_mae(
    member_point: dict[str, FloatArray],
    names: list[MemberName],
    actual: FloatArray,
    first: int,
    windows: int,
) -> FloatArray:
    """Backtest MAE per series and member over the combination's windows with actuals; inf
    where a member has no error to show (not fitted on the series: the other group's)."""
    mae = np.full((len(actual), len(names)), np.inf)
    if windows:
        known = actual[:, :windows]
        for j, name in enumerate(names):
            error = np.abs(member_point[name][:, first : first + windows] - known)
            seen = np.isfinite(error)
            total_error = np.where(seen, error, 0.0).sum(axis=(1, 2))
            weeks = seen.sum(axis=(1, 2))
            mae[:, j] = np.where(weeks > 0, total_error / np.maximum(weeks, 1), np.inf)
    return np.where(np.isfinite(mae), mae, np.inf)


@dataclass(frozen=True)
class _Weighing:
    """How the members are combined for each series, and why (the diagnostics)."""

    weights: FloatArray
    eligible: FloatArray
    combination: Combination
    by_group: dict[str, dict[str, Any]]


def _weigh_members(
    mae: FloatArray,
    every: FloatArray,
    at: _Origins,
    actual: FloatArray,
    history: FloatArray,
    lengths: Any,
    intermittent: Any,
    names: list[MemberName],
    config: EngineConfig,
    groups: Sequence[str] | None,
) -> _Weighing:
    """Each series' member weights: the intermittent models on the sparse series, the core
    members on the rest, by the configured rule on the backtest (the models' mean, without
    the baselines, when there is nothing to score on: the backtest is what can show that a
    seasonal naive helps)."""
    windows = at.windows
    stack = every[:, :, at.first :]
    # Which members forecast each series' season (the others were not fitted on it).
    available = np.isfinite(every[:, :, -1]).all(axis=2).astype(float)
    has_backtest = np.asarray(np.isfinite(stack[:, :, :windows]).any(axis=(1, 2, 3)))
    scored = windows > 0 and bool(has_backtest[~intermittent].any())
    core = np.array([name in config.members for name in names], dtype=float)
    sparse = np.array(
        [name in config.intermittent_members and name in INTERMITTENT for name in names],
        dtype=float,
    )
    models = np.array([name not in BASELINES for name in names], dtype=float)
    plain = core * models if (core * models).any() else core
    if not windows:
        core = plain
    eligible = np.where(intermittent[:, None], sparse[None, :], core[None, :]) * available
    combination: Combination = config.combination if windows else "mean"
    weights = _weights(mae, eligible, combination, config.top_k)
    if combination not in ("cv_subset", "cv_stack") or not windows:
        return _Weighing(weights, eligible, combination, {})
    labels = (
        (groups or series_kind(history, lengths, config.season_length))
        if config.group_weights
        else None
    )
    panel_weights, by_group = _panel_weights(
        stack, actual, history, intermittent, names, windows, scored, plain, config, labels
    )
    subset = panel_weights * available
    # A series that has none of the chosen members (too short for them): its models.
    subset = np.where(subset.sum(axis=1, keepdims=True) > 0, subset, plain * available)
    eligible = np.where(intermittent[:, None], sparse[None, :] * available, subset > 0)
    weights = _weights(mae, eligible, "cv_best", 1)
    weights = np.where(
        intermittent[:, None], weights, subset / np.maximum(subset.sum(1, keepdims=True), 1e-12)
    )
    return _Weighing(weights, eligible, combination, by_group)


def _combined_point(every: FloatArray, weighing: _Weighing) -> FloatArray:
    """The combined forecast (series, origin, week) of the members' cubes `every`."""
    if weighing.combination == "median":
        masked = np.where(weighing.eligible[:, :, None, None] > 0, every, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # windows nobody forecasts
            median: FloatArray = np.nanmedian(masked, axis=1)
            return median
    # Renormalised over the members that forecast a window (the global member has no
    # forecast at the calibration-only origins, a short series none at an old origin);
    # windows a series has no forecast for stay unknown (not zero).
    finite = np.isfinite(every)
    share = np.einsum("nm,nmwh->nwh", weighing.weights, finite.astype(float))
    point = np.einsum("nm,nmwh->nwh", weighing.weights, np.where(finite, every, 0.0))
    combined: FloatArray = np.where(
        share > 1e-9, point / np.where(share > 1e-9, share, 1.0), np.nan
    )
    return combined


def _combined_sd(
    member_sd: dict[str, FloatArray],
    names: list[MemberName],
    weights: FloatArray,
    point: FloatArray,
    history: FloatArray,
) -> FloatArray:
    """Interval spread: the weighted members' own spreads; a series whose members have none
    (the intermittent models) takes its history's spread, which calibration then scales."""
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
    no_spread = ~has_sd.any(axis=1)
    sd = np.where(no_spread, _nan_std(history)[:, None, None], sd)
    combined: FloatArray = np.where(np.isfinite(sd), sd, 0.0)
    return combined


def forecast_panel(
    wide: pd.DataFrame,
    steps: int,
    config: EngineConfig,
    run: Runner | None = None,
    groups: Sequence[str] | None = None,
) -> PanelForecast:
    """Forecast `steps` weeks of every column of `wide` (rows: consecutive weeks, no gaps).

    The panel is aligned at its end: a column may start late (leading NaN; it is fitted on
    its own weeks only, a ragged panel) and a week missing inside a column is interpolated.
    The backtest windows are `steps` weeks long; their scores decide the combination. `run`
    runs the statsforecast calls elsewhere (the service's lanes); default: `config.backend`.
    `groups` labels each column (its category) for `config.group_weights`; without them the
    groups are the kinds of series (groups.py).
    """
    if steps < 1:
        raise ValueError("the season must have at least one week")
    wide = _fill_gaps(wide)
    n, count = wide.shape
    ids = [str(c) for c in wide.columns]
    lengths = series_lengths(wide)
    longest = int(lengths.max()) if count else n
    at = _origins(n, longest, config)
    intermittent = intermittent_series(wide, config)
    # Each series is fitted only by the members that can be chosen for it: the intermittent
    # models on the sparse series, the core members on the rest.
    rolled, _ = _group_forecasts(wide, lengths, intermittent, at.cutoffs, steps, config, run)
    names = _active_members(config, longest)
    for name in names:
        if name not in rolled.columns:
            rolled[name] = np.nan
    history = wide.to_numpy(dtype=float)
    all_actual = _actuals(history, at.cutoffs, steps)
    actual = all_actual[:, at.first :]
    # A series shorter than `min_history_weeks` has no backtest worth scoring.
    too_short = lengths < config.min_history_weeks
    member_point = _member_points(wide, rolled, names, at.origins, at.first, steps, too_short)
    mae = _backtest_mae(member_point, names, actual, at.first, at.windows)
    every = np.stack([member_point[name] for name in names], axis=1)  # (n, m, w, h)
    weighing = _weigh_members(
        mae, every, at, actual, history, lengths, intermittent, names, config, groups
    )
    point = _combined_point(every, weighing)
    member_sd = _member_spreads(rolled, names, ids, len(at.origins), steps)
    return PanelForecast(
        ids=ids,
        point=point,
        sd=_combined_sd(member_sd, names, weighing.weights, point, history),
        actual=all_actual,
        members=dict(member_point),
        backtest_mae={name: mae[:, j] for j, name in enumerate(names)},
        weights=weighing.weights,
        member_names=list(names),
        intermittent=intermittent,
        windows=at.calibration,
        combination_windows=at.windows,
        origins=at.origins,
        diagnostics=_diagnostics(at, lengths, names, weighing),
    )


def _diagnostics(
    at: _Origins, lengths: Any, names: list[MemberName], weighing: _Weighing
) -> dict[str, Any]:
    """What the run's combination rested on, for the forecast's diagnostics."""
    return {
        "history_weeks": at.history_weeks,
        "series_weeks": [int(lengths.min()), int(lengths.max())] if len(lengths) else [0, 0],
        "backtest_windows": at.windows,
        "calibration_windows": at.calibration,
        "backtest_step_weeks": at.step,
        "members": list(names),
        "combination": weighing.combination,
        "group_weights": {
            label: entry | {"weights": dict(zip(names, entry["weights"].tolist(), strict=True))}
            for label, entry in weighing.by_group.items()
        },
    }


def _naive_scale(history: FloatArray) -> FloatArray:
    """Each column's in-sample mean absolute one-week change (NaN weeks left out); 1 if none."""
    if len(history) < 2:
        return np.ones(history.shape[1])
    diffs = np.abs(np.diff(history, axis=0))
    seen = np.isfinite(diffs)
    total = np.where(seen, diffs, 0.0).sum(axis=0)
    scale = total / np.maximum(seen.sum(axis=0), 1)
    return np.where(seen.any(axis=0) & (scale > 0), scale, 1.0)


def _nan_std(history: FloatArray) -> FloatArray:
    """Each column's standard deviation over its finite weeks (0 with fewer than two)."""
    seen = np.isfinite(history)
    count = seen.sum(axis=0)
    if not len(history):
        return np.zeros(history.shape[1])
    mean = np.where(seen, history, 0.0).sum(axis=0) / np.maximum(count, 1)
    var = np.where(seen, (history - mean) ** 2, 0.0).sum(axis=0) / np.maximum(count, 1)
    return np.where(count > 1, np.sqrt(var), 0.0)
