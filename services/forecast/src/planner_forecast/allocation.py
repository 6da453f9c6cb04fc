"""Initial allocation of an approved order to stores, and replenishment from the DC.

Rules:
- The DC holdback is `approved x holdback% / 100` rounded half up; the rest goes to stores.
- The store pool is split across clusters, then within each cluster across its stores, in
  proportion to historical demand, with a minimum display quantity per store. A store whose
  proportional share is below its minimum gets the minimum and the others share the rest in
  proportion (repeated until no share is below its minimum), so minimums are met without
  over-feeding large stores.
- Units are integers that add up exactly to the pool: floors of the exact (rational) quotas,
  then the leftover units one each to the largest remainders (ties: larger demand, then code).
- If the store pool cannot cover every store's minimum, `AllocationError` is raised with the
  shortfall; the holdback is never raided silently.
- Replenishment is posted by the stock ledger (planner_shared.stock.ledger): what each store
  sold since its last delivery (sell one, ship one), shared by the largest remainder when the
  DC holds less than asked.
- Lead time: a delivery shipped at the end of week w arrives for week w + `transit_weeks`
  (ceil(lead_time_days / 7), at least 1: up to 7 days it is in the store for the next week,
  8-14 days the week after). A store's request whose delivery would arrive after the last
  week of the season is not shipped (the units stay at the DC, where they can still serve
  the stores that can be reached): a store with a lead time of 9 days in a 12-week season is
  replenished last at the end of week 10. Lead times come from the workflow's upload
  (contract v1 `lead_times`), through the manufacturing plan; without one every store takes
  a week, as before.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

from pydantic import BaseModel, ConfigDict

from planner_shared.buy import split_total


class AllocationError(ValueError):
    """The quantity cannot be allocated under the rules (e.g. below the minimum displays)."""


def _exact(value: float) -> Fraction:
    if value < 0:
        raise AllocationError(f"demand must not be negative (got {value})")
    return Fraction(value)


def largest_remainder(total: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Integers proportional to `weights` that sum exactly to `total` (equal split if all 0):
    `planner_shared.buy.split_total`, with the allocation's own errors."""
    if total < 0:
        raise AllocationError(f"cannot allocate a negative quantity ({total})")
    if not weights and total:
        raise AllocationError(f"{total} units to allocate but nobody to allocate them to")
    for value in weights.values():
        _exact(value)
    return split_total(total, weights)


def split_with_minimums(
    total: int, demand: Mapping[str, float], minimums: Mapping[str, int]
) -> dict[str, int]:
    """Split `total` by demand share with a floor per key; see the module rules."""
    need = sum(minimums.get(key, 0) for key in demand)
    if total < need:
        raise AllocationError(
            f"{total} units cannot cover the minimum display quantities ({need} units "
            f"across {len(demand)} stores); short by {need - total}"
        )
    exact = {key: _exact(value) for key, value in demand.items()}
    if sum(exact.values(), Fraction(0)) == 0:
        exact = {key: Fraction(1) for key in exact}
    fixed: dict[str, int] = {}
    free = set(exact)
    while free:
        pool = total - sum(fixed.values())
        mass = sum((exact[key] for key in free), Fraction(0))
        below = [
            key
            for key in free
            if (pool * exact[key] / mass if mass else Fraction(0)) < minimums.get(key, 0)
        ]
        if not below:
            break
        for key in below:
            fixed[key] = minimums.get(key, 0)
            free.discard(key)
    pool = total - sum(fixed.values())
    if not free:
        # Only when the total equals the minimums exactly: nothing is left over.
        return fixed
    shares = largest_remainder(pool, {key: float(exact[key]) for key in sorted(free)})
    return {key: fixed.get(key, shares.get(key, 0)) for key in demand}


class CategoryAllocation(BaseModel):
    model_config = ConfigDict(frozen=True)

    category_code: str
    approved_quantity: int
    dc_holdback_percentage: float
    dc_holdback_units: int
    store_units: int
    by_store: dict[str, int]
    by_cluster: dict[int, int]


def holdback_units(approved_quantity: int, holdback_percentage: float) -> int:
    """Units kept at the DC: approved x pct / 100, rounded half up."""
    if not 0 <= holdback_percentage <= 100:
        raise AllocationError("dc holdback percentage must be between 0 and 100")
    exact = approved_quantity * Fraction(holdback_percentage) / 100
    return int(exact + Fraction(1, 2))


def refuse_holdback_leaving_too_little(
    quantities: Mapping[str, int], holdback_percentage: float, stores: int, min_display: int
) -> None:
    """`AllocationError` when the DC holdback would leave a category's proposed order short of
    the stores' minimum display: found when the order is proposed, so the planner learns it
    before anyone approves an order that could not be allocated (a 99.9999% holdback leaves
    the stores nothing of any order a season makes)."""
    need = stores * min_display
    for code, quantity in sorted(quantities.items()):
        pool = quantity - holdback_units(quantity, holdback_percentage)
        if quantity >= need > pool:
            raise AllocationError(
                f"the {holdback_percentage:g}% DC holdback leaves the stores {pool} of the "
                f"{quantity} units proposed for {code}, short of the minimum display of {need} "
                f"({min_display} in each of {stores} stores): lower the DC holdback"
            )


def allocate_category(
    category_code: str,
    approved_quantity: int,
    holdback_percentage: float,
    store_demand: Mapping[str, float],
    min_display: int | Mapping[str, int],
    clusters: Mapping[str, int] | None = None,
) -> CategoryAllocation:
    """Allocate one category's approved order to the stores (see the module rules).

    `store_demand` is each store's historical demand for the category; `clusters` maps store
    code to cluster label (stores without one share cluster -1).
    """
    if approved_quantity < 0:
        raise AllocationError("approved quantity must not be negative")
    dc_units = holdback_units(approved_quantity, holdback_percentage)
    pool = approved_quantity - dc_units
    minimums = (
        {store: int(min_display) for store in store_demand}
        if isinstance(min_display, int)
        else {store: int(min_display.get(store, 0)) for store in store_demand}
    )
    if any(value < 0 for value in minimums.values()):
        raise AllocationError("minimum display quantities must not be negative")
    need = sum(minimums.values())
    if pool < need:
        raise AllocationError(
            f"category {category_code}: {pool} units for stores after the "
            f"{holdback_percentage:g}% DC holdback cannot cover the minimum display "
            f"quantities ({need} units across {len(minimums)} stores); short by {need - pool}"
        )
    labels = {store: (clusters or {}).get(store, -1) for store in store_demand}
    members: dict[int, list[str]] = {}
    for store in sorted(store_demand):
        members.setdefault(labels[store], []).append(store)
    cluster_units = split_with_minimums(
        pool,
        {str(label): sum(store_demand[s] for s in stores) for label, stores in members.items()},
        {str(label): sum(minimums[s] for s in stores) for label, stores in members.items()},
    )
    by_store: dict[str, int] = {}
    for label, stores in members.items():
        by_store.update(
            split_with_minimums(
                cluster_units[str(label)],
                {store: store_demand[store] for store in stores},
                {store: minimums[store] for store in stores},
            )
        )
    return CategoryAllocation(
        category_code=category_code,
        approved_quantity=approved_quantity,
        dc_holdback_percentage=holdback_percentage,
        dc_holdback_units=dc_units,
        store_units=pool,
        by_store={store: by_store[store] for store in sorted(by_store)},
        by_cluster={label: cluster_units[str(label)] for label in sorted(members)},
    )


def allocate_season(
    approved: Mapping[str, int],
    holdback_percentage: float,
    demand: Mapping[str, Mapping[str, float]],
    min_display: int | Mapping[str, int],
    clusters: Mapping[str, int] | None = None,
) -> dict[str, CategoryAllocation]:
    """Allocate every category: `approved` and `demand` are keyed by category code.

    `min_display` is one quantity for every store and category, or one per category.
    """
    missing = set(approved) - set(demand)
    if missing:
        raise AllocationError(f"no store demand for categories {sorted(missing)}")
    return {
        category: allocate_category(
            category,
            quantity,
            holdback_percentage,
            demand[category],
            min_display if isinstance(min_display, int) else min_display.get(category, 0),
            clusters,
        )
        for category, quantity in sorted(approved.items())
    }


# ----------------------------------------------------------------------------- replenishment
def transit_weeks(lead_time_days: int | None) -> int:
    """Weeks from shipping (end of week w) to arrival (week w + transit); see the rules."""
    if lead_time_days is None:
        return 1
    if lead_time_days < 0:
        raise AllocationError(f"lead time must not be negative (got {lead_time_days})")
    return max(1, math.ceil(lead_time_days / 7))


def last_shipping_week(horizon_weeks: int, transit: int) -> int:
    """The last week at whose end a delivery still arrives within the season (0: none)."""
    return max(horizon_weeks - transit, 0)
