"""Season forecasting: one reconciled store-level panel per run, then clusters and the order.

A run reads its inputs (`load_inputs`), then with no transaction open clusters the stores
(the first run; later runs keep its clusters) and forecasts every store x category history
of the season's categories as one panel with their cluster and category totals in the
process pool (hierarchy.py, `fit`), and at last writes in a short transaction
(`store_forecast`) per category the reconciled total (the `forecasts` rows) with each store's
and cluster's reconciled season forecast and interval in its diagnostics, which allocation and
the manufacturing plan read.

A re-forecast after week k appends the uploaded store actuals to the history (a store with no
row in an uploaded week sold nothing) and forecasts the remaining weeks. Categories with no
actuals at all keep a forecast of the whole season from their history, in a second panel.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import math
import pickle
from collections import OrderedDict
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import numpy as np
import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from planner_forecast import repository as repo
from planner_forecast.allocation import refuse_holdback_leaving_too_little
from planner_forecast.buy_plan import newsvendor_plan
from planner_forecast.clustering import ClusteringResult, cluster_stores
from planner_forecast.ensemble import EngineConfig, Runner
from planner_forecast.final import final_store_rows, final_summary
from planner_forecast.hierarchy import (
    HierarchyForecast,
    Reconciliation,
    forecast_hierarchy,
    node_summary,
)
from planner_forecast.manufacturing import (
    ManufacturingPlan,
    StoreDemand,
    manufacturing_from_stores,
    split_store_units,
)
from planner_forecast.metrics import FloatArray, wape
from planner_forecast.observability import report_lanes_soon
from planner_forecast.panel import bottom_panel, season_offset, week_starts
from planner_forecast.parallel import Lanes
from planner_forecast.settings import ForecastSettings
from planner_shared.db.models import Category, ManufacturingOrder
from planner_shared.events import (
    CategoryForecastSummary,
    ForecastCompletedPayload,
    ForecastRequested,
    ManufacturingLine,
    ManufacturingRecommendation,
)

Progress = Any  # async (message, fraction) -> None


def fit_panel(
    bottom: pd.DataFrame,
    clusters: dict[str, int],
    steps: int,
    season_weeks: int,
    config: EngineConfig,
    reconciliation: Reconciliation,
    run: Runner | None = None,
) -> HierarchyForecast:
    """A whole reconciled panel: in a worker process (top level, so one can run it), or here
    with its statsforecast calls on the lanes (`run`)."""
    return forecast_hierarchy(
        bottom,
        clusters,
        steps,
        config,
        reconciliation,
        season_weeks=season_weeks,
        run=run,
    )


class PanelCache:
    """Reconciled panels by the content of their inputs, with one fit per key in flight.

    Seasons planned from the same history, horizon, start and clusters are the same
    computation: the second waits for (or reuses) the first's result instead of fitting the
    same panel again. Bounded, least recently used first out.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._done: OrderedDict[str, HierarchyForecast] = OrderedDict()
        self._running: dict[str, asyncio.Future[HierarchyForecast]] = {}

    @staticmethod
    def key(*parts: Any) -> str:
        return hashlib.sha256(pickle.dumps(parts, protocol=5)).hexdigest()

    async def get(self, key: str, pool: Executor, *args: Any) -> tuple[HierarchyForecast, bool]:
        """(the panel, whether it was shared with an earlier or concurrent request)."""
        if key in self._done:
            self._done.move_to_end(key)
            return self._done[key], True
        if key in self._running:
            return await asyncio.shield(self._running[key]), True
        future: asyncio.Future[HierarchyForecast] = asyncio.ensure_future(_run(pool, args))
        if self._size:
            self._running[key] = future
        try:
            result = await asyncio.shield(future)
        finally:
            self._running.pop(key, None)
        if self._size:
            self._done[key] = result
            while len(self._done) > self._size:
                self._done.popitem(last=False)
        return result, False


async def _run(pool: Executor, args: tuple[Any, ...]) -> HierarchyForecast:
    if isinstance(pool, Lanes):
        # The panel's statsforecast calls go to every lane, split by series; what is left
        # (combination, reconciliation: array work of a fraction of a second) runs in a
        # thread here.
        result = await asyncio.to_thread(
            functools.partial(fit_panel, run=pool.statsforecast), *args
        )
        report_lanes_soon(pool)
        return result
    return await asyncio.get_running_loop().run_in_executor(pool, fit_panel, *args)


@dataclass(frozen=True)
class _Group:
    """Categories forecast together: their panel, and where the season lies in it."""

    codes: list[str]
    bottom: pd.DataFrame
    steps: int
    season_weeks: int
    first_week: int
    weeks_elapsed: int | None


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 0.0


def _with_actuals(
    bottom: pd.DataFrame, actuals: pd.DataFrame, start: date, weeks_done: int
) -> pd.DataFrame:
    """History + season weeks 1..k of uploaded store actuals (missing store rows sold 0)."""
    last = bottom.index[-1]
    offset = season_offset(last, start)
    gap = pd.date_range(last + pd.Timedelta(weeks=1), periods=offset - 1 + weeks_done, freq="7D")
    season = pd.DataFrame(np.nan, index=gap, columns=bottom.columns)
    observed = season.index[offset - 1 :]
    season.loc[observed, :] = 0.0
    if not actuals.empty:
        keyed = actuals.assign(
            key=actuals["store_code"] + "|" + actuals["category_code"],
            week=observed[actuals["week_number"].to_numpy(dtype=int) - 1],
        )
        table = keyed.pivot_table(index="week", columns="key", values="units_sold", aggfunc="sum")
        table = table.reindex(columns=[c for c in table.columns if c in season.columns])
        season.loc[table.index, table.columns] = table.to_numpy(dtype=float)
    both = pd.concat([bottom, season])
    return both.interpolate(limit_area="inside")


async def _groups(
    session: AsyncSession,
    event: ForecastRequested,
    categories: list[Category],
) -> list[_Group]:
    request = event.payload
    params = request.parameters
    horizon = params.forecast_horizon_weeks
    assert event.workflow_id is not None
    # Only the history before the season: a past season is planned as a backtest would be.
    history = await repo.store_history(
        session, [c.id for c in categories], before=params.season_start_date
    )
    bottom = bottom_panel(history)
    if bottom.empty:
        first = await repo.first_history_week(session, [c.id for c in categories])
        if first is not None:
            raise repo.MissingDataError(repo.season_before_history(params.season_start_date, first))
        raise repo.MissingDataError(
            "no historical sales for the season's categories: run `make seed` or upload them"
        )
    offset = season_offset(bottom.index[-1], params.season_start_date)
    weeks_done = request.actuals_through_week
    codes = [c.code for c in categories]
    if not weeks_done:
        return [_Group(codes, bottom, offset - 1 + horizon, horizon, 1, None)]
    raw = await repo.actuals(session, event.workflow_id, weeks_done)
    store_code = {s.id: s.code for s in await repo.stores(session)}
    category_code = {c.id: c.code for c in categories}
    named = pd.DataFrame(
        {
            "store_code": [store_code.get(s, "") for s in raw["store_id"]],
            "category_code": [category_code.get(c, "") for c in raw["category_id"]],
            "week_number": raw["week_number"].astype(int),
            "units_sold": raw["units_sold"].astype(float),
        }
    )
    reported = sorted(set(named["category_code"]) & set(codes))
    unreported = [c for c in codes if c not in reported]
    remaining = horizon - weeks_done
    groups: list[_Group] = []
    if reported and remaining > 0:
        columns = [c for c in bottom.columns if c.split("|", 1)[1] in reported]
        extended = _with_actuals(
            bottom[columns],
            named[named["category_code"].isin(reported)],
            params.season_start_date,
            weeks_done,
        )
        groups.append(_Group(reported, extended, remaining, remaining, weeks_done + 1, weeks_done))
    if unreported:
        columns = [c for c in bottom.columns if c.split("|", 1)[1] in unreported]
        groups.append(
            _Group(unreported, bottom[columns], offset - 1 + horizon, horizon, 1, weeks_done)
        )
    if not groups:
        raise ValueError("every week of the season has actuals: nothing left to forecast")
    return groups


def weights_basis(diagnostics: dict[str, Any], category: str) -> str:
    """Which weights a category's forecast uses and why, in a planner's words."""
    used = diagnostics.get("group_weights", {}).get(category)
    if not used:
        return "one set of weights for every category, chosen on the whole season's backtest"
    own = float(used["own_share"])
    if own <= 0:
        return "the season's weights: too few of the category's series had a backtest"
    return (
        f"the category's own backtest ({used['series']} series) for {own:.0%} of the weights, "
        f"the whole season's for {1 - own:.0%} (fewer series, more of the season's)"
    )


def _member_label(names: list[str], weights: np.ndarray) -> tuple[str, dict[str, float]]:
    used = {name: float(w) for name, w in zip(names, weights, strict=True)}
    active = [n for n, w in used.items() if w > 0]
    return ("ensemble" if len(active) > 1 else active[0] if active else "none"), used


@dataclass(frozen=True)
class ForecastInputs:
    """What a run reads before it fits: read in a short transaction, used after it closed."""

    categories: list[Category]
    # Run 1's clusters, kept by later runs (store code -> label); empty on the first run,
    # which clusters `store_features` first.
    labels: dict[str, int]
    store_features: tuple[pd.DataFrame, dict[str, UUID]] | None
    groups: list[_Group]
    previous: dict[UUID, float]
    actual_to_date: dict[str, float]


@dataclass(frozen=True)
class _CategoryResult:
    summary: CategoryForecastSummary
    forecast: dict[str, Any]  # repo.replace_forecast's arguments


@dataclass(frozen=True)
class ForecastFit:
    """A run's results, computed with no transaction open, to store in a short one."""

    clustering: ClusteringResult | None
    categories: list[_CategoryResult]


async def load_inputs(
    session: AsyncSession, event: ForecastRequested, settings: ForecastSettings
) -> ForecastInputs:
    request = event.payload
    assert event.workflow_id is not None
    categories = await repo.categories(session, request.category_codes)
    previous = (
        {
            f.category_id: f.season_total
            for f in await repo.forecasts_of_run(session, event.workflow_id)
        }
        if request.run_number > 1
        else {}
    )
    labels = await repo.cluster_labels(session, event.workflow_id) if request.run_number > 1 else {}
    features = (
        None
        if labels
        else await store_features(
            session, event.workflow_id, before=request.parameters.season_start_date
        )
    )
    return ForecastInputs(
        categories=categories,
        labels=labels,
        store_features=features,
        groups=await _groups(session, event, categories),
        previous=previous,
        actual_to_date=await _actual_to_date(session, event, categories),
    )


async def fit(
    event: ForecastRequested,
    inputs: ForecastInputs,
    pool: Executor,
    settings: ForecastSettings,
    progress: Progress,
    cache: PanelCache | None = None,
) -> ForecastFit:
    """Cluster (first run) and fit the panels; touches no database."""
    labels, clustering = inputs.labels, None
    if inputs.store_features is not None:
        clustering = cluster_stores(inputs.store_features[0], k=settings.cluster_k)
        labels = dict(clustering.labels)
        await progress(
            f"Clustered the stores into {clustering.k} groups: "
            + "; ".join(f"{c.name} ({c.size})" for c in clustering.clusters),
            None,
        )
    by_code = {c.code: c for c in inputs.categories}
    config = settings.engine_config()
    cache = cache or PanelCache(0)
    series = sum(g.bottom.shape[1] for g in inputs.groups)
    await progress(
        f"Forecasting {series} store series of {len(inputs.categories)} categories as one "
        f"panel, reconciled store -> cluster -> category ({settings.reconciliation})",
        0.0,
    )
    results: list[_CategoryResult] = []
    for done, group in enumerate(inputs.groups, start=1):
        args = (group.bottom, labels, group.steps, group.season_weeks, config)
        key = PanelCache.key(*args, settings.reconciliation)
        result, shared = await cache.get(key, pool, *args, settings.reconciliation)
        for code in group.codes:
            category = by_code[code]
            results.append(
                _category_result(
                    event,
                    category,
                    result,
                    group,
                    inputs.previous.get(category.id),
                    inputs.actual_to_date.get(code, 0.0),
                    shared,
                )
            )
            summary = results[-1].summary
            await progress(
                f"{category.name} ({code}): {summary.season_total:,.0f} units over the "
                f"season ({summary.method}, 80% interval {summary.lower_80:,.0f}-"
                f"{summary.upper_80:,.0f})",
                done / len(inputs.groups),
            )
    return ForecastFit(clustering=clustering, categories=results)


async def store_forecast(
    session: AsyncSession,
    event: ForecastRequested,
    inputs: ForecastInputs,
    fitted: ForecastFit,
    settings: ForecastSettings,
) -> ForecastCompletedPayload:
    """Write a fitted run (clusters, forecasts, the order's plan); the run's event payload."""
    request = event.payload
    assert event.workflow_id is not None
    clusters_k = 0
    if fitted.clustering is not None and inputs.store_features is not None:
        await store_clusters(
            session, event.workflow_id, fitted.clustering, inputs.store_features[1]
        )
        clusters_k = fitted.clustering.k
    for result in fitted.categories:
        await repo.replace_forecast(session, **result.forecast)
    summaries = sorted((r.summary for r in fitted.categories), key=lambda s: s.category_code)
    recommendation = None
    if request.run_number == 1:
        recommendation = await plan_manufacturing(
            session,
            event.workflow_id,
            inputs.categories,
            summaries,
            settings,
            season_start=request.parameters.season_start_date,
            horizon_weeks=request.parameters.forecast_horizon_weeks,
        )
        refuse_holdback_leaving_too_little(
            {line.category_code: line.quantity for line in recommendation.lines},
            request.parameters.dc_holdback_percentage,
            len(await repo.stores(session)),
            settings.min_display_units,
        )
    previous_total = sum(inputs.previous.values()) if inputs.previous else None
    return ForecastCompletedPayload(
        run_number=request.run_number,
        reason=request.reason,
        season_total=sum(s.season_total for s in summaries),
        previous_season_total=previous_total,
        categories=summaries,
        cluster_count=clusters_k,
        manufacturing=recommendation,
    )


async def _actual_to_date(
    session: AsyncSession, event: ForecastRequested, categories: list[Category]
) -> dict[str, float]:
    weeks_done = event.payload.actuals_through_week
    if not weeks_done or event.workflow_id is None:
        return {}
    raw = await repo.actuals(session, event.workflow_id, weeks_done)
    totals = raw.groupby("category_id")["units_sold"].sum()
    return {c.code: float(totals.get(c.id, 0.0)) for c in categories}


def _total_members(
    result: HierarchyForecast, total: int, group: _Group
) -> tuple[str, dict[str, float], dict[str, float], FloatArray]:
    """The combination of a category's total: its method label, member weights, each
    member's backtest WAPE, and the baseline (seasonal naive) forecast of its season."""
    base = result.base
    # The members fitted on the category's total: the intermittent ones forecast only sparse
    # series, and a member without a forecast has neither a weight nor a backtest to show.
    fitted = [
        j
        for j, name in enumerate(base.member_names)
        if np.isfinite(base.members[name][total]).any()
    ]
    names = [base.member_names[j] for j in fitted]
    method, weights = _member_label(names, base.weights[total][fitted])
    known = base.actual[total, : base.windows]
    backtest = {
        name: _finite(
            wape(known.reshape(-1), base.members[name][total, : base.windows].reshape(-1))
        )
        for name in names
        if base.windows
    }
    baseline_source = base.members.get("seasonal_naive", base.members.get("naive"))
    skip = group.steps - group.season_weeks
    baseline = (
        baseline_source[total, -1, skip:]
        if baseline_source is not None
        else np.full(group.season_weeks, float(result.point[total].mean()))
    )
    return method, weights, backtest, baseline


def _season_weeks(
    result: HierarchyForecast, total: int, group: _Group, season_start: date, baseline: FloatArray
) -> list[dict[str, Any]]:
    """The category's forecast week by week from the group's first week, with intervals."""
    starts = week_starts(
        season_start + pd.Timedelta(weeks=group.first_week - 1).to_pytimedelta(),
        group.season_weeks,
    )
    return [
        {
            "week_number": group.first_week + i,
            "week_start": starts[i],
            "point": float(result.point[total, i]),
            "lower_80": float(result.lower_80[total, i]),
            "upper_80": float(result.upper_80[total, i]),
            "lower_95": float(result.lower_95[total, i]),
            "upper_95": float(result.upper_95[total, i]),
            "baseline": float(max(baseline[i], 0.0)),
        }
        for i in range(group.season_weeks)
    ]


def _no_actuals_reason(code: str, group: _Group, reported: bool) -> str | None:
    """Why a re-forecast forecast the whole season from history: no actuals for the category."""
    if not group.weeks_elapsed or reported:
        return None
    span = "week 1" if group.weeks_elapsed == 1 else f"weeks 1-{group.weeks_elapsed}"
    return (
        f"no_actuals: no {code} actuals uploaded for {span}; forecast from its history "
        "alone for the whole season, as in the initial run"
    )


def _revision(
    group: _Group, actual_to_date: float | None, before: float | None, season_total: float
) -> dict[str, Any]:
    """A re-forecast's change against the run before (nothing on the initial run)."""
    if group.weeks_elapsed is None:
        return {}
    return {
        "weeks_elapsed": group.weeks_elapsed,
        "actual_to_date": actual_to_date,
        "previous_season_total": before,
        "change_pct": (season_total - before) / before if before else None,
    }


def _model_diagnostics(result: HierarchyForecast, shared: bool) -> dict[str, Any]:
    """How the category's forecast was made: the panel's combination and the hierarchy's."""
    return {
        **result.base.diagnostics,
        "engine": "statsforecast panel + hierarchicalforecast",
        "reconciliation": result.reconciliation,
        "calibration": result.calibration,
        "backtest_coverage": result.backtest_coverage,
        "shared_with_identical_request": shared,
    }


def _node_summaries(result: HierarchyForecast, code: str) -> dict[str, dict[str, Any]]:
    """The season totals and intervals of the category's stores and clusters."""
    return {
        "stores": {
            result.nodes[i].store or "": node_summary(result, i)
            for i in result.index("store", code)
        },
        "clusters": {
            str(result.nodes[i].cluster): node_summary(result, i)
            for i in result.index("cluster", code)
        },
    }


def _category_result(
    event: ForecastRequested,
    category: Category,
    result: HierarchyForecast,
    group: _Group,
    before: float | None,
    actual_to_date: float,
    shared: bool,
) -> _CategoryResult:
    request = event.payload
    assert event.workflow_id is not None
    code = category.code
    [total] = result.index("total", code)
    method, weights, backtest, baseline = _total_members(result, total, group)
    reported = group.first_week > 1
    offset = actual_to_date if reported else 0.0
    season_total = offset + float(result.season_total[total])
    fallback_reason = _no_actuals_reason(code, group, reported)
    forecast = {
        "workflow_id": event.workflow_id,
        "run_number": request.run_number,
        "category_id": category.id,
        "reason": request.reason,
        "season_total": season_total,
        "method": method,
        "diagnostics": {
            "weights": weights,
            "weights_basis": weights_basis(result.base.diagnostics, code),
            "backtest_wape": backtest,
            "fallback_reason": fallback_reason,
            "baseline_total": float(np.clip(baseline, 0.0, None).sum()),
            **_revision(group, actual_to_date if reported else None, before, season_total),
            "model": _model_diagnostics(result, shared),
            **_node_summaries(result, code),
        },
        "weeks": _season_weeks(
            result, total, group, request.parameters.season_start_date, baseline
        ),
    }
    summary = CategoryForecastSummary(
        category_code=code,
        season_total=season_total,
        lower_80=offset + float(result.season_lower_80[total]),
        upper_80=offset + float(result.season_upper_80[total]),
        lower_95=offset + float(result.season_lower_95[total]),
        upper_95=offset + float(result.season_upper_95[total]),
        method=method,
        weights=weights,
        backtest_wape=backtest,
        fallback_reason=fallback_reason,
    )
    return _CategoryResult(summary=summary, forecast=forecast)


async def store_features(
    session: AsyncSession, workflow_id: UUID | None = None, before: date | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    stores = await repo.stores(session)
    demand = await repo.store_demand(session, before=before)
    level = demand.groupby("store_id")["mean_weekly_units"].sum()
    # Store attributes uploaded for the workflow (contract v1 `store_profiles`) replace the
    # stored size and region, and their segment is one more feature of the clustering.
    profiles = await repo.uploaded_store_profiles(session, workflow_id) if workflow_id else {}
    columns: dict[str, list[Any]] = {
        "sales_level": [float(level.get(s.id, 0.0)) for s in stores],
        "size_sqft": [p.size_sqft if (p := profiles.get(s.id)) else s.size_sqft for s in stores],
        "weekly_traffic": [s.weekly_traffic for s in stores],
        "region": [p.region if (p := profiles.get(s.id)) else s.region for s in stores],
        "format": [s.format for s in stores],
    }
    if profiles:
        columns["segment"] = [p.segment if (p := profiles.get(s.id)) else "" for s in stores]
    frame = pd.DataFrame(columns, index=[s.code for s in stores])
    return frame, {s.code: s.id for s in stores}


async def store_clusters(
    session: AsyncSession,
    workflow_id: UUID,
    result: ClusteringResult,
    ids: dict[str, UUID],
) -> None:
    await repo.replace_clusters(
        session,
        workflow_id,
        [
            {
                "label": c.label,
                "name": c.name,
                "profile": c.model_dump(mode="json"),
                "silhouette": result.silhouette,
            }
            for c in result.clusters
        ],
        {ids[code]: label for code, label in result.labels.items()},
    )


@dataclass(frozen=True)
class _UploadedReference:
    """The workflow's uploaded reference data an order uses (manufacturing.py)."""

    dc_stock: dict[UUID, int]  # category id -> free DC stock
    safety: dict[str, float]  # store code -> safety stock units, all categories
    lead_days: dict[str, int]  # store code -> days from the DC


async def _uploaded_reference(session: AsyncSession, workflow_id: UUID) -> _UploadedReference:
    code_of_store = {s.id: s.code for s in await repo.stores(session)}
    return _UploadedReference(
        dc_stock=await repo.uploaded_dc_stock(session, workflow_id),
        safety={
            code_of_store[s]: float(u)
            for s, u in (await repo.uploaded_safety_stock(session, workflow_id)).items()
        },
        lead_days={
            code_of_store[s]: d
            for s, d in (await repo.uploaded_lead_times(session, workflow_id)).items()
        },
    )


def _store_demand(
    rows: dict[str, dict[str, Any]], safety: dict[str, float], lead_days: dict[str, int]
) -> list[StoreDemand]:
    """A category's stores' final forecasts, with their uploaded safety stock and lead time."""
    return [
        StoreDemand(
            store_code=store,
            season_total=float(row["season_total"]),
            lower_95=float(row["lower_95"]),
            upper_95=float(row["upper_95"]),
            safety_stock_units=safety.get(store),
            lead_time_days=lead_days.get(store),
        )
        for store, row in sorted(rows.items())
    ]


def _order(workflow_id: UUID, category: Category, plan: ManufacturingPlan) -> ManufacturingOrder:
    return ManufacturingOrder(
        workflow_id=workflow_id,
        category_id=category.id,
        forecast_units=plan.forecast_units,
        safety_stock_pct=plan.safety_stock_pct,
        stock_on_hand=plan.stock_on_hand,
        recommended_quantity=plan.quantity,
        reasoning=plan.reasoning,
    )


async def plan_manufacturing(
    session: AsyncSession,
    workflow_id: UUID,
    categories: list[Category],
    summaries: list[CategoryForecastSummary],
    settings: ForecastSettings,
    season_start: date | None = None,
    horizon_weeks: int | None = None,
) -> ManufacturingRecommendation:
    """Each category's order from its stores' reconciled forecasts and intervals, with the
    workflow's uploaded reference data (manufacturing.py): free DC stock, safety stock per
    store, lead times."""
    by_code = {c.code: c for c in categories}
    stored = {
        f.category_id: f for f in await repo.forecasts_of_run(session, workflow_id, run_number=1)
    }
    # Free DC stock uploaded for the workflow (contract v1 `dc_inventory`) is the stock on
    # hand of the categories it names; the others keep the catalogue's.
    uploaded = await _uploaded_reference(session, workflow_id)
    store_rows, overrides = await final_store_rows(
        session,
        workflow_id,
        {s.category_code: stored[by_code[s.category_code].id] for s in summaries},
    )
    safety_by_category = split_store_units(
        uploaded.safety,
        {
            code: {store: float(row["season_total"]) for store, row in rows.items()}
            for code, rows in store_rows.items()
        },
    )
    lines: list[ManufacturingLine] = []
    orders: list[ManufacturingOrder] = []
    for summary in summaries:
        code, category = summary.category_code, by_code[summary.category_code]
        plan = manufacturing_from_stores(
            code,
            _store_demand(store_rows[code], safety_by_category[code], uploaded.lead_days),
            uploaded.dc_stock.get(category.id, category.stock_on_hand),
            service_level=settings.service_level,
            category_interval_95=(summary.lower_95, summary.upper_95),
            season_start=season_start,
            horizon_weeks=horizon_weeks,
        )
        plan.reasoning.update(overrides.get(code, {}))
        final = final_summary(summary, store_rows[code], overrides.get(code))
        plan, line = newsvendor_plan(plan, final, category)
        lines.append(line)
        orders.append(_order(workflow_id, category, plan))
    await repo.replace_manufacturing_orders(session, workflow_id, orders)
    return ManufacturingRecommendation(
        total_quantity=sum(line.quantity for line in lines), lines=lines
    )
