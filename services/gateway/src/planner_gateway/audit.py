"""The record of changes to reference data (`reference_changes`): who changed what, when.

Historical sales feed every forecast, so an upload that overwrites weeks already stored is
recorded row by row (the values before and after, the key's name, the file's SHA-256); new
weeks are recorded once per upload (how many, which weeks). Written in the upload's own
transaction: a refused upload records nothing, an accepted one cannot go unrecorded.
Read at `GET /api/ops/reference-changes` (operator).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.datasets.csv_formats import HistoricalSaleRow
from planner_shared.db.models import Category, HistoricalSale, ReferenceChange, Store

SalesKey = tuple[str, str, date]


def _keys(rows: Sequence[HistoricalSaleRow]) -> tuple[set[str], set[str], set[date]]:
    return (
        {r.store_code for r in rows},
        {r.category_code for r in rows},
        {r.week_start for r in rows},
    )


async def stored_sales(
    session: AsyncSession, rows: Sequence[HistoricalSaleRow]
) -> dict[SalesKey, int]:
    """The units stored now for the (store, category, week) of each row, where there are."""
    if not rows:
        return {}
    # Passes over every row of a large file: on a worker thread (issue 22, point 2).
    stores, categories, weeks = await asyncio.to_thread(_keys, rows)
    result = await session.execute(
        select(Store.code, Category.code, HistoricalSale.week_start, HistoricalSale.units)
        .join(Store, Store.id == HistoricalSale.store_id)
        .join(Category, Category.id == HistoricalSale.category_id)
        .where(
            Store.code.in_(stores),
            Category.code.in_(categories),
            HistoricalSale.week_start.in_(weeks),
        )
    )
    return {(s, c, w): int(units) for s, c, w, units in result}


def _sort_out(
    rows: Sequence[HistoricalSaleRow], before: dict[SalesKey, int]
) -> tuple[list[HistoricalSaleRow], dict[str, Any] | None]:
    """The rows that change a stored week, and a summary of the new weeks (None if none)."""
    changed: list[HistoricalSaleRow] = []
    inserted: list[HistoricalSaleRow] = []
    for row in rows:
        stored = before.get((row.store_code, row.category_code, row.week_start))
        if stored is None:
            inserted.append(row)
        elif stored != row.units:
            changed.append(row)
    if not inserted:
        return changed, None
    weeks = sorted({r.week_start for r in inserted})
    return changed, {
        "rows": len(inserted),
        "units": sum(r.units for r in inserted),
        "first_week": weeks[0].isoformat(),
        "last_week": weeks[-1].isoformat(),
    }


async def record_sales_upload(
    session: AsyncSession,
    rows: Sequence[HistoricalSaleRow],
    before: dict[SalesKey, int],
    *,
    changed_by: str,
    source: str,
) -> int:
    """Add the audit rows of one historical-sales upload; returns how many were changed."""
    # A pass over every row of a large file: on a worker thread (issue 22, point 2).
    changed, summary = await asyncio.to_thread(_sort_out, rows, before)
    for row in changed:
        session.add(
            ReferenceChange(
                table_name="historical_sales",
                record_key={
                    "store_code": row.store_code,
                    "category_code": row.category_code,
                    "week_start": row.week_start.isoformat(),
                },
                action="update",
                before={"units": before[(row.store_code, row.category_code, row.week_start)]},
                after={"units": row.units},
                changed_by=changed_by,
                source=source,
            )
        )
    if summary is not None:
        session.add(
            ReferenceChange(
                table_name="historical_sales",
                record_key={"upload": source},
                action="insert",
                before=None,
                after=summary,
                changed_by=changed_by,
                source=source,
            )
        )
    return len(changed)
