"""Stock alerts from the ledger's forward plan (docs/stock.md, "Alerts").

- `store_stockout`: stores of a category projected to run out of stock before a delivery
  shipped now could reach them (within their lead time): their lost sales cannot be avoided
  by the DC any more, only by moving stock between stores.
- `dc_stockout`: the DC is projected to run empty before the season's last shipping week:
  later requests of the stores go unserved.
- `sales_beyond_stock`: uploaded sales above what a store held, and how they were recorded.

Each alert names the week, the units and what to do, in a planner's words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from planner_shared.stock.ledger import CategoryLedger

AlertKind = Literal["store_stockout", "dc_stockout", "sales_beyond_stock", "stock_adjusted"]


@dataclass(frozen=True)
class StockAlert:
    kind: AlertKind
    category_code: str
    week_number: int
    units: int
    stores: tuple[str, ...]
    message: str
    action: str


# A projection whose unmet demand is below one unit is float noise, not a stock-out.
_UNIT = 0.5


def store_stockouts(ledger: CategoryLedger, transit: np.ndarray) -> StockAlert | None:
    """Stores projected to lose sales within their lead time of the weeks that are in."""
    first = ledger.weeks_in
    horizon = ledger.horizon
    weeks = np.arange(horizon)[:, None]
    window = (weeks >= first) & (weeks < first + transit[None, :])
    short = np.where(window, ledger.lost, 0.0)
    stores = np.flatnonzero(short.sum(axis=0) >= _UNIT)
    if stores.size == 0:
        return None
    units = round(float(short[:, stores].sum()))
    week = int(np.flatnonzero(short[:, stores].sum(axis=1) >= _UNIT)[0]) + 1
    names = tuple(ledger.stores[int(i)] for i in stores)
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return StockAlert(
        kind="store_stockout",
        category_code=ledger.code,
        week_number=week,
        units=units,
        stores=names,
        message=(
            f"{ledger.code}: {len(names)} store{'s' if len(names) != 1 else ''} ({shown}) "
            f"projected to run out from week {week}, within their lead time: {units:,} units "
            "of demand unmet"
        ),
        action=(
            "move stock from stores with weeks of cover to spare, or ship from the DC now "
            "where the lead time still allows"
        ),
    )


def dc_stockout(ledger: CategoryLedger, last_shipping_week: int) -> StockAlert | None:
    """The DC projected to run empty before `last_shipping_week` with requests unserved."""
    ahead = range(ledger.weeks_in, min(last_shipping_week, ledger.horizon))
    short = [w for w in ahead if ledger.dc_shortfall[w] >= _UNIT]
    if not short:
        return None
    week = short[0] + 1
    units = round(float(ledger.dc_shortfall[list(short)].sum()))
    return StockAlert(
        kind="dc_stockout",
        category_code=ledger.code,
        week_number=week,
        units=units,
        stores=(),
        message=(
            f"{ledger.code}: the DC is projected to run empty in week {week}, before the last "
            f"shipping week ({last_shipping_week}); {units:,} units the stores ask for "
            "cannot be shipped"
        ),
        action=(
            "keep more at the DC (a larger holdback), order more, or move stock between stores"
        ),
    )


def sales_beyond_stock(ledger: CategoryLedger) -> Iterable[StockAlert]:
    """Uploaded weeks whose sales exceeded what a store held (stored before the check)."""
    for w in range(ledger.weeks_in):
        over = np.flatnonzero(ledger.unrecorded[w] >= _UNIT)
        if over.size == 0:
            continue
        units = round(float(ledger.unrecorded[w, over].sum()))
        names = tuple(ledger.stores[int(i)] for i in over)
        yield StockAlert(
            kind="sales_beyond_stock",
            category_code=ledger.code,
            week_number=w + 1,
            units=units,
            stores=names,
            message=(
                f"{ledger.code} week {w + 1}: {len(names)} store(s) sold {units:,} units more "
                "than the ledger says they held"
            ),
            action="upload the week again with an on_hand column (the stores' counts)",
        )


def adjustments(ledger: CategoryLedger) -> Iterable[StockAlert]:
    """Weeks with stock adjustments posted from the stores' counts."""
    for w in range(ledger.horizon):
        changed = np.flatnonzero(np.abs(ledger.adjustments[w]) >= _UNIT)
        if changed.size == 0:
            continue
        net = round(float(ledger.adjustments[w, changed].sum()))
        names = tuple(ledger.stores[int(i)] for i in changed)
        yield StockAlert(
            kind="stock_adjusted",
            category_code=ledger.code,
            week_number=w + 1,
            units=net,
            stores=names,
            message=(
                f"{ledger.code} week {w + 1}: stock adjusted by {net:+,} units in "
                f"{len(names)} store(s) from their counts"
            ),
            action="check the stores' receiving if adjustments recur",
        )


def alerts(ledger: CategoryLedger, transit: np.ndarray) -> list[StockAlert]:
    """Every alert of one category's point ledger."""
    last_ship = max(ledger.horizon - int(transit.min(initial=1)), 0)
    found = [store_stockouts(ledger, transit), dc_stockout(ledger, last_ship)]
    return [
        *(a for a in found if a is not None),
        *sales_beyond_stock(ledger),
        *adjustments(ledger),
    ]
