"""The season's stock ledger: every store's and the DC's units, week by week (docs/stock.md).

Postings, in the order they happen within week w of a category:

1. opening stock = last week's closing stock (0 before week 1);
2. receipts: the initial allocation (week 1), replenishment shipped at the end of week
   w - transit, approved transfers arriving in w (less those leaving a donor store in w),
   and stock adjustments posted for w;
3. sales: the uploaded units in a week that is in, else the expected demand capped by what
   the store holds; lost sales are the demand the store could not serve;
4. closing stock = opening + receipts - sales;
5. at the end of week w the DC ships each store what it sold in the weeks the strategy covers
   (sell one, ship one), when the delivery still arrives within the season; if the DC holds
   less than asked, what it has is shared by the largest-remainder rule; then the DC
   releases the approved transfers it gives that week (stock/transfers.py).

Balances are derived from the postings and never stored; units are conserved by construction
and checked (`Ledger.conservation_gap`). An uploaded week whose sales exceed what a store held
does not make the stock negative: the excess is posted as an *unrecorded receipt* and named,
so it shows instead of hiding.

Arrays are float64, indexed [week, store] with week 0 the pre-season (the initial allocation
leaving the DC); the pure functions here know nothing of the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from planner_shared.parameters import ReplenishmentStrategy

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CategoryStockInputs:
    """What one category's ledger is built from; stores in a fixed order (`stores`)."""

    code: str
    stores: Sequence[str]
    horizon: int
    strategy: ReplenishmentStrategy
    initial: Array  # [stores] units in each store for week 1
    dc_opening: float  # units at the DC after the initial allocation left it
    transit: npt.NDArray[np.int64]  # [stores] weeks from shipping to arrival, >= 1
    actual_sales: Array  # [weeks_in, stores] uploaded units, weeks 1..weeks_in
    demand: Array  # [horizon, stores] expected demand of every week (used after weeks_in)
    adjustments: Array | None = None  # [horizon, stores] stock adjustments posted in week w
    transfers_in: Array | None = None  # [horizon, stores] transfer receipts arriving in week w
    transfers_out: Array | None = None  # [horizon, stores] units leaving a store in week w
    dc_releases: Array | None = None  # [horizon] transfers the DC gives at the end of week w

    @property
    def weeks_in(self) -> int:
        return int(self.actual_sales.shape[0])


@dataclass(frozen=True)
class CategoryLedger:
    """One category's postings and balances; rows are weeks 1..horizon (index w - 1)."""

    code: str
    stores: Sequence[str]
    weeks_in: int
    opening: Array
    receipts: Array  # initial + replenishment + transfers + adjustments + unrecorded
    replenishment_in: Array  # replenishment arriving this week
    sales: Array
    lost: Array
    closing: Array
    unrecorded: Array  # receipts posted because uploaded sales exceeded the stock
    shipped: Array  # [horizon, stores] shipped by the DC at the end of week w
    dc_opening: Array  # [horizon]
    dc_closing: Array  # [horizon]
    dc_shortfall: Array  # [horizon] units asked of the DC it could not ship
    initial: Array
    dc_start: float
    adjustments: Array
    transfers_in: Array
    transfers_out: Array
    demand: Array
    dc_released: Array  # [horizon] transfers the DC gave at the end of week w (as posted)

    @property
    def horizon(self) -> int:
        return int(self.sales.shape[0])

    @property
    def leftover(self) -> float:
        """Units left at the end of the season, in the stores and at the DC."""
        return float(self.closing[-1].sum() + self.dc_closing[-1])

    def conservation_gap(self) -> float:
        """Units put in less units accounted for; 0 for every ledger (up to float noise)."""
        put_in = (
            self.initial.sum()
            + self.dc_start
            + self.adjustments.sum()
            + self.unrecorded.sum()
            + self.transfers_in.sum()
            - self.transfers_out.sum()
            - self.dc_released.sum()
        )
        in_transit = self.shipped.sum() - self.replenishment_in.sum()
        return float(put_in - (self.sales.sum() + self.leftover + in_transit))

    def weeks_of_cover(self) -> Array:
        """Closing stock over the next week's expected demand (inf where no demand is expected;
        the last week's cover uses its own demand)."""
        ahead = np.vstack([self.demand[1:], self.demand[-1:]])
        with np.errstate(divide="ignore", invalid="ignore"):
            cover = np.where(ahead > 0, self.closing / np.where(ahead > 0, ahead, 1.0), np.inf)
        return np.asarray(cover, dtype=np.float64)


@dataclass(frozen=True)
class Ledger:
    categories: dict[str, CategoryLedger] = field(default_factory=dict)


def covers(strategy: ReplenishmentStrategy, week: int, horizon: int) -> list[int]:
    """The weeks whose sales a delivery at the end of `week` replaces (may be none)."""
    if week < 1 or week >= horizon or strategy is ReplenishmentStrategy.NONE:
        return []
    if strategy is ReplenishmentStrategy.WEEKLY:
        return [week]
    return [week - 1, week] if week % 2 == 0 else []


def share_out(total: float, requests: Array) -> Array:
    """Whole units proportional to `requests` summing to `total` (< sum of requests): floors
    of the exact quotas, then one unit each to the largest remainders (ties: the larger
    request, then the earlier store)."""
    asked = float(requests.sum())
    if asked <= 0 or total <= 0:
        return np.zeros_like(requests)
    quotas = requests * (total / asked)
    units = np.floor(quotas + 1e-9)
    left = round(float(total - units.sum()))
    if left > 0:
        order = np.lexsort((np.arange(len(requests)), -requests, -(quotas - units)))
        units[order[:left]] += 1
    return units


def build_category(inputs: CategoryStockInputs) -> CategoryLedger:
    """Post one category's season (see the module rules)."""
    horizon, n = inputs.horizon, len(inputs.stores)
    k = min(inputs.weeks_in, horizon)
    zeros = np.zeros((horizon, n))
    # A copy: a negative adjustment larger than the stock is posted only as far as it goes.
    adjustments = (inputs.adjustments if inputs.adjustments is not None else zeros).copy()
    transfers_in = inputs.transfers_in if inputs.transfers_in is not None else zeros
    transfers_out = inputs.transfers_out if inputs.transfers_out is not None else zeros
    demand = np.maximum(np.asarray(inputs.demand, dtype=np.float64), 0.0)
    opening, receipts, sales, lost, closing, unrecorded, arriving, shipped = (
        np.zeros((horizon, n)) for _ in range(8)
    )
    dc_open, dc_close, dc_short = np.zeros(horizon), np.zeros(horizon), np.zeros(horizon)
    releases = inputs.dc_releases if inputs.dc_releases is not None else np.zeros(horizon)
    released = np.zeros(horizon)
    transit = np.maximum(inputs.transit.astype(np.int64), 1)
    lags = [(int(lag), transit == lag) for lag in np.unique(transit)]
    dc = float(inputs.dc_opening)
    stock = np.zeros(n)
    for w in range(horizon):
        opening[w] = stock
        received = transfers_in[w] + arriving[w] - transfers_out[w]
        if w == 0:
            received = received + inputs.initial
        adjustments[w] = np.maximum(adjustments[w], -np.maximum(stock + received, 0.0))
        available = stock + received + adjustments[w]
        if w < k:
            sold = np.asarray(inputs.actual_sales[w], dtype=np.float64)
            excess = np.maximum(sold - available, 0.0)
            unrecorded[w] = excess
            available = available + excess
            lost[w] = 0.0
        else:
            sold = np.minimum(demand[w], np.maximum(available, 0.0))
            lost[w] = demand[w] - sold
        receipts[w] = available - stock
        sales[w] = sold
        stock = available - sold
        closing[w] = stock
        dc_open[w] = dc
        week = w + 1
        weeks = covers(inputs.strategy, week, horizon)
        if weeks:
            asked = np.floor(sales[[c - 1 for c in weeks]].sum(axis=0) + 0.5)
            asked[week + transit > horizon] = 0.0
            sent = asked if asked.sum() <= dc else share_out(dc, asked)
            dc_short[w] = asked.sum() - sent.sum()
            dc -= float(sent.sum())
            shipped[w] = sent
            for lag, mask in lags:
                if w + lag < horizon:
                    arriving[w + lag, mask] += sent[mask]
        # A release approved on a plan the DC no longer matches gives what the DC holds.
        released[w] = min(float(releases[w]), max(dc, 0.0))
        dc -= released[w]
        dc_close[w] = dc
    _estimate_lost(sales[:k], closing[:k], demand[:k], lost[:k])
    return CategoryLedger(
        code=inputs.code,
        stores=list(inputs.stores),
        weeks_in=k,
        opening=opening,
        receipts=receipts,
        replenishment_in=arriving,
        sales=sales,
        lost=lost,
        closing=closing,
        unrecorded=unrecorded,
        shipped=shipped,
        dc_opening=dc_open,
        dc_closing=dc_close,
        dc_shortfall=dc_short,
        initial=np.asarray(inputs.initial, dtype=np.float64),
        dc_start=float(inputs.dc_opening),
        adjustments=adjustments,
        transfers_in=transfers_in,
        transfers_out=transfers_out,
        demand=demand,
        dc_released=released,
    )


def _estimate_lost(sales: Array, closing: Array, demand: Array, lost: Array) -> None:
    """Lost sales of weeks that are in, written into `lost`: a store that sold out (closed the
    week with nothing) had the demand of its forecast times the week's ratio of sales to
    forecast in the category's stores that did not sell out; the part above what it sold was
    lost. With every store sold out the ratio is the largest one seen (a lower bound)."""
    for w in range(sales.shape[0]):
        # A forecast below a millionth of a unit is no forecast: nothing to scale.
        forecast = demand[w] > 1e-6
        out = (closing[w] < 0.5) & (sales[w] > 0) & forecast
        if not out.any():
            continue
        free = ~out & forecast
        if free.any() and demand[w][free].sum() > 0:
            ratio = float(sales[w][free].sum() / demand[w][free].sum())
        else:
            ratio = float(np.max(sales[w][out] / demand[w][out]))
        lost[w] = np.where(out, np.maximum(demand[w] * ratio - sales[w], 0.0), 0.0)


def build(inputs: Sequence[CategoryStockInputs]) -> Ledger:
    return Ledger({i.code: build_category(i) for i in inputs})
