"""Forecast overrides: the one place the final forecast is made (docs/overrides.md).

The forecast service's rows (`forecasts`, `forecast_weeks`) stay the statistical forecast;
a planner's adjustments live in `forecast_overrides` beside them. Every consumer of demand
(the buy, the allocation through it, the stock ledger, the markdown projection, the charts)
goes through `adjust` here, so they all see the same final forecast:

    final = the statistical store x week demand, adjusted by each active override in the
            order they were made

- `percent`: each chosen week of the scope's stores is multiplied by 1 + percent / 100;
- `units`: the units are added to each chosen week, spread over the scope's stores by their
  share of that week's statistical demand (equal shares where it is all zero);
- the 80 % band moves with the point: scaled by the same factor, or shifted by the same
  units; nothing goes below zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.db.models import (
    Category,
    ForecastOverride,
    Store,
    StoreCluster,
    StoreClusterMember,
)

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Override:
    """An active override, its scope resolved to codes."""

    id: UUID
    category: str | None  # a category code; None: every category of its stores
    stores: frozenset[str] | None  # the cluster's or the store's codes; None: every store
    weeks: tuple[int, ...]
    percent: float | None
    units: float | None

    def touches(self, code: str) -> bool:
        return self.category is None or self.category == code


def _mask(stores: Sequence[str], scope: frozenset[str] | None) -> npt.NDArray[np.bool_]:
    if scope is None:
        return np.ones(len(stores), dtype=bool)
    return np.array([s in scope for s in stores], dtype=bool)


def adjust(
    code: str,
    stores: Sequence[str],
    overrides: Iterable[Override],
    point: Array,
    *bands: Array,
) -> tuple[Array, ...]:
    """The final `point` (and `bands`) of category `code`: arrays [weeks, stores], row 0 the
    season's week 1. Returns new arrays (point first); the inputs are left as they were."""
    out = [np.array(point, dtype=float, copy=True)] + [np.array(b, dtype=float) for b in bands]
    horizon = out[0].shape[0]
    for override in overrides:
        if not override.touches(code):
            continue
        mask = _mask(stores, override.stores)
        if not mask.any():
            continue
        for week in override.weeks:
            if not 1 <= week <= horizon:
                continue
            row = week - 1
            if override.percent is not None:
                factor = max(1.0 + override.percent / 100.0, 0.0)
                for values in out:
                    values[row, mask] *= factor
                continue
            base = np.clip(out[0][row, mask], 0.0, None)
            total = base.sum()
            share = base / total if total > 0 else np.full(mask.sum(), 1.0 / mask.sum())
            delta = float(override.units or 0.0) * share
            for values in out:
                values[row, mask] += delta
    return tuple(np.clip(values, 0.0, None) for values in out)


def store_shares(diagnostics: Mapping[str, object], stores: Sequence[str]) -> Array:
    """Each store's share of a run's reconciled season forecast (equal when none): how the
    category's weekly forecast is split across stores, by the ledger and here alike."""
    raw = diagnostics.get("stores")
    rows: Mapping[str, object] = raw if isinstance(raw, Mapping) else {}

    def season_total(store: str) -> float:
        row = rows.get(store)
        value = row.get("season_total") if isinstance(row, Mapping) else None
        return max(float(value), 0.0) if isinstance(value, int | float) else 0.0

    values = np.array([season_total(s) for s in stores], dtype=float)
    total = values.sum()
    return values / total if total > 0 else np.full(len(stores), 1.0 / max(len(stores), 1))


def final_weeks(
    code: str,
    weeks: Mapping[int, float],
    shares: Array,
    stores: Sequence[str],
    overrides: Sequence[Override],
) -> dict[int, float]:
    """A category's final weekly total from its statistical one ({week: units})."""
    if not weeks:
        return {}
    horizon = max(weeks)
    demand = np.zeros((horizon, len(stores)))
    for week, units in weeks.items():
        demand[week - 1] = max(units, 0.0) * shares
    (final,) = adjust(code, stores, overrides, demand)
    return {week: float(final[week - 1].sum()) for week in weeks}


def store_factors(
    code: str,
    weeks: Mapping[int, float],
    shares: Array,
    stores: Sequence[str],
    overrides: Sequence[Override],
) -> dict[str, tuple[float, float]]:
    """Per store, (its final season forecast over its statistical one, the units added where
    it had none): how the buy scales each store's season forecast and interval."""
    if not weeks:
        return dict.fromkeys(stores, (1.0, 0.0))
    horizon = max(weeks)
    demand = np.zeros((horizon, len(stores)))
    for week, units in weeks.items():
        demand[week - 1] = max(units, 0.0) * shares
    (final,) = adjust(code, stores, overrides, demand)
    before, after = demand.sum(axis=0), final.sum(axis=0)
    return {
        store: (float(a / b), 0.0) if b > 0 else (1.0, float(a))
        for store, b, a in zip(stores, before, after, strict=True)
    }


async def load_active(
    session: AsyncSession, workflow_id: UUID, *, only: Iterable[UUID] | None = None
) -> list[Override]:
    """The season's active overrides (not withdrawn), oldest first, their scope resolved;
    `only`: those ids, withdrawn or not (the overrides a decided order was sized with)."""
    query = select(ForecastOverride).where(ForecastOverride.workflow_id == workflow_id)
    if only is None:
        query = query.where(ForecastOverride.withdrawn_at.is_(None))
    else:
        query = query.where(ForecastOverride.id.in_(list(only)))
    rows = list(await session.scalars(query.order_by(ForecastOverride.created_at)))
    if not rows:
        return []
    codes = {c.id: c.code for c in await session.scalars(select(Category))}
    store_codes = {s.id: s.code for s in await session.scalars(select(Store))}
    members = await session.execute(
        select(StoreCluster.label, StoreClusterMember.store_id)
        .join(StoreClusterMember, StoreClusterMember.cluster_id == StoreCluster.id)
        .where(StoreCluster.workflow_id == workflow_id)
    )
    in_cluster: dict[int, set[str]] = {}
    for label, store_id in members:
        in_cluster.setdefault(int(label), set()).add(store_codes[store_id])
    return [_resolved(row, codes, store_codes, in_cluster) for row in rows]


def _resolved(
    row: ForecastOverride,
    codes: Mapping[UUID, str],
    store_codes: Mapping[UUID, str],
    in_cluster: Mapping[int, set[str]],
) -> Override:
    stores: frozenset[str] | None = None
    if row.scope == "cluster" and row.cluster_label is not None:
        stores = frozenset(in_cluster.get(row.cluster_label, set()))
    elif row.scope == "store" and row.store_id is not None:
        stores = frozenset({store_codes[row.store_id]})
    return Override(
        id=row.id,
        category=codes[row.category_id] if row.category_id is not None else None,
        stores=stores,
        weeks=tuple(int(w) for w in row.weeks),
        percent=row.percent,
        units=row.units,
    )
