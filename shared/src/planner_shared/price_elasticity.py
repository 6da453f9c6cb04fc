"""The demand's price elasticity of each category, estimated from the history's own prices
(docs/markdown.md, "The demand's price elasticity").

Not the markdown rule's parameter (markdown points per point of sell-through gap,
`categories.price_elasticity`): this is % demand per % price, negative (-2: 1 % off the
price sells 2 % more), the figure the stock ledger lifts demand with.

Per category, a log-log regression of weekly units on the selling price,

    log units[s, w] = elasticity x log price[s, w] + store[s] + week[w] + noise,

where the week effects take the season, the holidays and the chain's weekly shocks, and the
store effects each store's size; the elasticity is then measured only by stores that sold at
another price than the others in the same week (promotions and clearance in part of the
chain). Its 95 % interval is cluster-robust by store (a store's weeks are not independent).

Where the history's prices never moved (fewer than `MIN_PRICE_CHANGES` store-weeks off the
category's usual price), the category takes a prior, and says so in `source`:
the catalogue's `demand_elasticity` when one was uploaded, else the estimate pooled over the
categories whose prices did move, else none.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

HISTORY = "history"
CATALOGUE = "catalogue"
POOLED = "pooled estimate"
NONE = "none"
# Store-weeks off the category's usual price below which the history says too little.
MIN_PRICE_CHANGES = 30
_Z95 = 1.959964
_MAX_SWEEPS = 200
_TOLERANCE = 1e-10

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SaleAtPrice:
    """One store-week of history: units sold at the week's selling price."""

    category_code: str
    store: str
    week: object  # any hashable week key (a Monday's date)
    units: float
    price: float


@dataclass(frozen=True)
class ElasticityEstimate:
    category_code: str
    elasticity: float | None
    lower: float | None
    upper: float | None
    source: str
    observations: int = 0
    price_changes: int = 0

    def describe(self) -> str:
        if self.elasticity is None:
            return f"{self.category_code}: no price elasticity (no price changes, no prior)"
        if self.source == HISTORY:
            return (
                f"{self.category_code}: {self.elasticity:.2f} (95 % CI {self.lower:.2f} to "
                f"{self.upper:.2f}) from {self.price_changes:,} store-weeks off the usual price"
            )
        return f"{self.category_code}: {self.elasticity:.2f} ({self.source}: prices never moved)"


@dataclass(frozen=True)
class Fit:
    slope: float
    standard_error: float
    observations: int


def _demean(values: Floats, groups: list[Ints], counts: list[Floats]) -> Floats:
    """`values` less every group's mean, swept until no group mean is left (alternating
    projections: exact for any panel, balanced or not)."""
    out = values.copy()
    for _ in range(_MAX_SWEEPS):
        shift = 0.0
        for index, count in zip(groups, counts, strict=True):
            means = np.bincount(index, weights=out) / count
            out -= means[index]
            shift = max(shift, float(np.abs(means).max(initial=0.0)))
        if shift < _TOLERANCE:
            break
    return out


def fit_log_log(units: Floats, prices: Floats, effects: list[Ints], cluster: Ints) -> Fit | None:
    """Slope of log units on log price net of the fixed `effects`, with a cluster-robust
    standard error; None when the prices do not move net of the effects."""
    keep = (units > 0) & (prices > 0)
    groups = [np.unique(e[keep], return_inverse=True)[1].astype(np.int64) for e in effects]
    counts = [np.bincount(g).astype(np.float64) for g in groups]
    y = _demean(np.log(units[keep]), groups, counts)
    x = _demean(np.log(prices[keep]), groups, counts)
    sxx = float(x @ x)
    if sxx < 1e-9:
        return None
    slope = float(x @ y) / sxx
    residual = y - slope * x
    clusters = np.unique(cluster[keep], return_inverse=True)[1]
    scores = np.bincount(clusters, weights=x * residual)
    g = len(scores)
    variance = float(scores @ scores) / sxx**2 * (g / max(g - 1, 1))
    return Fit(slope, math.sqrt(variance), int(keep.sum()))


def _codes(values: list[object]) -> Ints:
    return np.unique(np.array([str(v) for v in values]), return_inverse=True)[1].astype(np.int64)


def _fit(rows: list[SaleAtPrice], by_category: bool) -> Fit | None:
    stores = _codes([(r.category_code, r.store) if by_category else r.store for r in rows])
    weeks = _codes([(r.category_code, r.week) for r in rows])
    units = np.array([r.units for r in rows], dtype=np.float64)
    prices = np.array([r.price for r in rows], dtype=np.float64)
    store_ids = _codes([r.store for r in rows])
    return fit_log_log(units, prices, [stores, weeks], store_ids)


def _price_changes(rows: list[SaleAtPrice]) -> int:
    usual = Counter(r.price for r in rows).most_common(1)
    return sum(1 for r in rows if r.price != usual[0][0]) if usual else 0


def _from_fit(code: str, fit: Fit, source: str, changes: int) -> ElasticityEstimate:
    half = _Z95 * fit.standard_error
    return ElasticityEstimate(
        code,
        round(fit.slope, 4),
        round(fit.slope - half, 4),
        round(fit.slope + half, 4),
        source,
        fit.observations,
        changes,
    )


def estimate_elasticities(
    sales: Iterable[SaleAtPrice], catalogue: Mapping[str, float | None]
) -> dict[str, ElasticityEstimate]:
    """Every category of `catalogue` (code -> its uploaded demand elasticity, or None): its
    own estimate where its prices moved, else its prior (the module docstring)."""
    rows: dict[str, list[SaleAtPrice]] = {code: [] for code in catalogue}
    for sale in sales:
        if sale.category_code in rows:
            rows[sale.category_code].append(sale)
    found: dict[str, ElasticityEstimate] = {}
    moved: list[SaleAtPrice] = []
    for code, own in rows.items():
        changes = _price_changes(own)
        fit = _fit(own, by_category=False) if changes >= MIN_PRICE_CHANGES else None
        if fit is not None:
            found[code] = _from_fit(code, fit, HISTORY, changes)
            moved += own
    pooled = _fit(moved, by_category=True) if moved else None
    for code in rows:
        if code in found:
            continue
        uploaded = catalogue[code]
        if uploaded is not None:
            found[code] = ElasticityEstimate(code, uploaded, None, None, CATALOGUE)
        elif pooled is not None:
            found[code] = _from_fit(code, pooled, POOLED, 0)
        else:
            found[code] = ElasticityEstimate(code, None, None, None, NONE)
    return found
