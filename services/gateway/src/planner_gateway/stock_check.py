"""An uploaded week against the stock ledger: sales never above what a store held.

A row selling more than the ledger says the store held in that week (opening stock plus
what arrived) is refused, every such row named, unless the row carries the store's own
count (`on_hand`, the stock at the end of the week): then the difference between the count
and the ledger (`on_hand + units_sold - held`, either sign) is recorded as an audited stock
adjustment of that week, so the ledger matches the store again (docs/stock.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.datasets.csv_formats import CsvValidationError, ErrorCollector, WeeklyActualRow
from planner_shared.db.models import StockAdjustment
from planner_shared.stock.season import NoStockYetError, load_season_stock

ON_HAND = "on_hand"


class SalesBeyondStockError(CsvValidationError):
    code = "sales_beyond_stock"


@dataclass(frozen=True)
class Adjustment:
    store_code: str
    category_code: str
    units: int
    held: int
    on_hand: int
    units_sold: int


async def check_week_stock(
    session: AsyncSession, workflow_id: UUID, week: int, rows: Sequence[WeeklyActualRow]
) -> list[Adjustment]:
    """The adjustments the rows' counts imply; `SalesBeyondStockError` naming every row that
    sells more than its store held without a count. Nothing to check before the allocation."""
    try:
        stock = await load_season_stock(session, workflow_id, replacing_week=week)
    except NoStockYetError:
        return []
    index = {code: i for i, code in enumerate(stock.stores)}
    held = {}
    for code in stock.categories:
        ledger = stock.ledger(code, weeks_in=week - 1)
        held[code] = ledger.opening[week - 1] + ledger.receipts[week - 1]
    errors = ErrorCollector()
    adjustments: list[Adjustment] = []
    for r in rows:
        if r.category_code not in held or r.store_code not in index:
            continue
        i = index[r.store_code]
        ledger_units = round(float(held[r.category_code][i]))
        if r.on_hand is not None:
            units = r.on_hand + r.units_sold - ledger_units
            if units:
                adjustments.append(
                    Adjustment(
                        r.store_code, r.category_code, units, ledger_units, r.on_hand, r.units_sold
                    )
                )
        elif r.units_sold > ledger_units:
            errors.add(
                r.row,
                "units_sold",
                f"store {r.store_code} held {ledger_units:,} units of {r.category_code} in week "
                f"{week} but this row sells {r.units_sold:,}: correct the file, or add an "
                "on_hand column with the store's count so the difference is recorded as a "
                "stock adjustment",
                str(r.units_sold),
            )
    if errors:
        raise SalesBeyondStockError(errors.errors, errors.total)
    return adjustments


async def record_adjustments(
    session: AsyncSession,
    *,
    workflow_id: UUID,
    week: int,
    upload_id: UUID,
    adjustments: Sequence[Adjustment],
    stores: dict[str, UUID],
    categories: dict[str, UUID],
    recorded_by: str,
) -> None:
    """Replace the week's count adjustments (an upload of the week again re-counts it)."""
    await session.execute(
        delete(StockAdjustment).where(
            StockAdjustment.workflow_id == workflow_id,
            StockAdjustment.week_number == week,
            StockAdjustment.source == ON_HAND,
        )
    )
    if not adjustments:
        return
    await session.execute(
        insert(StockAdjustment),
        [
            {
                "workflow_id": workflow_id,
                "store_id": stores[a.store_code],
                "category_id": categories[a.category_code],
                "week_number": week,
                "units": a.units,
                "reason": (
                    f"store count {a.on_hand:,} after selling {a.units_sold:,}; the ledger "
                    f"held {a.held:,}"
                ),
                "source": ON_HAND,
                "upload_id": upload_id,
                "recorded_by": recorded_by[:100],
            }
            for a in adjustments
        ],
    )
