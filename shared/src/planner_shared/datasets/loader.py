"""Write validated reference rows into the database: stores, categories and sales history, by
upsert.

Each function checks every row against what is stored (unknown store or category codes, ...)
before its first write, and raises the same `CsvValidationError` as the file validation,
naming row, column and reason; nothing is written then. None of them commits: the caller owns
the transaction (they may flush).

Idempotence: stores and categories are keyed by code, historical sales by (store, category,
week start); loading the same rows again changes nothing and the counts say so. (The weekly
actuals, uploaded to the gateway only, are loaded by `planner_gateway.actuals`.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Boolean, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.datasets.csv_formats import (
    CategoryRow,
    ErrorCollector,
    HistoricalSaleRow,
    StoreRow,
    WeeklyActualRow,
    check_unique,
)
from planner_shared.db.models import (
    Category,
    HistoricalSale,
    Store,
)


@dataclass(frozen=True)
class LoadCounts:
    """What an upsert did: rows it received, inserted, changed, and found already stored."""

    received: int
    inserted: int
    updated: int

    @property
    def unchanged(self) -> int:
        return self.received - self.inserted - self.updated

    def __str__(self) -> str:
        return (
            f"{self.received} rows: {self.inserted} inserted, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )


async def _upsert(
    session: AsyncSession,
    model: type[Any],
    values: Sequence[Mapping[str, object]],
    key: Sequence[str],
    updated: Sequence[str],
    keep_when_null: Sequence[str] = (),
) -> LoadCounts:
    """Insert or update by `key`, counting inserts and real changes (equal rows are left be).

    Columns in `keep_when_null` keep their stored value when the file leaves them out.

    `xmax = 0` holds for a row this statement inserted; a conflicting row whose values are
    all equal fails the update's WHERE, is not touched and is not returned.
    """
    inserted = changed = 0
    table = model.__table__
    rows = insert(table)
    new = {
        name: func.coalesce(rows.excluded[name], table.c[name])
        if name in keep_when_null
        else rows.excluded[name]
        for name in updated
    }
    upsert = rows.on_conflict_do_update(
        index_elements=list(key),
        set_=new,
        where=or_(*(table.c[name].is_distinct_from(new[name]) for name in updated)),
    ).returning(literal_column("xmax = 0", Boolean))
    if values:
        # One statement, many parameter sets: SQLAlchemy batches them into multi-row
        # VALUES ("insertmanyvalues") and still returns a row per insert or change.
        for (was_inserted,) in (await session.execute(upsert, list(values))).all():
            if was_inserted:
                inserted += 1
            else:
                changed += 1
    return LoadCounts(received=len(values), inserted=inserted, updated=changed)


def require_unique(rows: Sequence[Any], key: Sequence[str]) -> None:
    errors = ErrorCollector()
    check_unique(rows, key, errors)
    errors.raise_if_any()


async def load_stores(session: AsyncSession, rows: Sequence[StoreRow]) -> LoadCounts:
    require_unique(rows, ("store_code",))
    values = [
        {
            "id": uuid4(),
            "code": r.store_code,
            "name": r.name,
            "region": r.region,
            "size_sqft": r.size_sqft,
            "weekly_traffic": r.weekly_traffic,
            "format": r.format,
        }
        for r in rows
    ]
    return await _upsert(
        session,
        Store,
        values,
        ("code",),
        ("name", "region", "size_sqft", "weekly_traffic", "format"),
    )


def check_category_money(rows: Sequence[CategoryRow]) -> None:
    """A unit costs less than its price, and clears at no more than its price."""
    errors = ErrorCollector()
    for r in rows:
        if r.unit_cost is not None and r.unit_cost >= r.unit_price:
            errors.add(
                r.row,
                "unit_cost",
                f"must be below the unit_price ({r.unit_price:.2f}): a unit sold at full "
                "price must earn a margin",
                f"{r.unit_cost:.2f}",
            )
        if r.salvage_value is not None and r.salvage_value >= r.unit_price:
            errors.add(
                r.row,
                "salvage_value",
                f"must be below the unit_price ({r.unit_price:.2f}): clearance sells below "
                "full price",
                f"{r.salvage_value:.2f}",
            )
    errors.raise_if_any()


async def load_categories(session: AsyncSession, rows: Sequence[CategoryRow]) -> LoadCounts:
    require_unique(rows, ("category_code",))
    check_category_money(rows)
    values = [
        {
            "id": uuid4(),
            "code": r.category_code,
            "name": r.name,
            "unit_price": r.unit_price,
            "price_elasticity": r.price_elasticity,
            "stock_on_hand": r.stock_on_hand,
            "unit_cost": r.unit_cost,
            "salvage_value": r.salvage_value,
            "demand_elasticity": r.demand_elasticity,
        }
        for r in rows
    ]
    return await _upsert(
        session,
        Category,
        values,
        ("code",),
        (
            "name",
            "unit_price",
            "price_elasticity",
            "stock_on_hand",
            "unit_cost",
            "salvage_value",
            "demand_elasticity",
        ),
        keep_when_null=("unit_cost", "salvage_value", "demand_elasticity"),
    )


async def _ids(
    session: AsyncSession, model: type[Store | Category], codes: set[str]
) -> dict[str, UUID]:
    found = await session.execute(select(model.code, model.id).where(model.code.in_(codes)))
    return dict(found.all())


def _codes(rows: Sequence[HistoricalSaleRow | WeeklyActualRow]) -> tuple[set[str], set[str]]:
    return {r.store_code for r in rows}, {r.category_code for r in rows}


def _unknown_codes(
    rows: Sequence[HistoricalSaleRow | WeeklyActualRow],
    stores: Mapping[str, UUID],
    categories: Mapping[str, UUID],
    errors: ErrorCollector,
) -> None:
    for r in rows:
        if r.store_code not in stores:
            errors.add(
                r.row,
                "store_code",
                "unknown store: load it with the stores first",
                r.store_code,
            )
        if r.category_code not in categories:
            errors.add(
                r.row,
                "category_code",
                "unknown category: load it with the categories first",
                r.category_code,
            )


async def check_references(
    session: AsyncSession,
    rows: Sequence[HistoricalSaleRow | WeeklyActualRow],
    errors: ErrorCollector,
) -> tuple[dict[str, UUID], dict[str, UUID]]:
    """Store and category ids by code; an error per row naming an unknown code.

    The passes over the rows run on a worker thread: a file of 10 MB is a third of a million
    rows, and a server's event loop must not stop for them (issue 22, point 2)."""
    store_codes, category_codes = await asyncio.to_thread(_codes, rows)
    stores = await _ids(session, Store, store_codes)
    categories = await _ids(session, Category, category_codes)
    if store_codes - stores.keys() or category_codes - categories.keys():
        await asyncio.to_thread(_unknown_codes, rows, stores, categories, errors)
    return stores, categories


def _history_values(
    rows: Sequence[HistoricalSaleRow], stores: Mapping[str, UUID], categories: Mapping[str, UUID]
) -> list[dict[str, object]]:
    return [
        {
            "store_id": stores[r.store_code],
            "category_id": categories[r.category_code],
            "week_start": r.week_start,
            "units": r.units,
            "unit_price": r.unit_price,
        }
        for r in rows
    ]


async def load_historical_sales(
    session: AsyncSession, rows: Sequence[HistoricalSaleRow]
) -> LoadCounts:
    """Upsert weekly units per (store, category, week start): a re-load never double counts."""
    await asyncio.to_thread(require_unique, rows, ("store_code", "category_code", "week_start"))
    errors = ErrorCollector()
    stores, categories = await check_references(session, rows, errors)
    errors.raise_if_any()
    values = await asyncio.to_thread(_history_values, rows, stores, categories)
    return await _upsert(
        session,
        HistoricalSale,
        values,
        ("store_id", "category_id", "week_start"),
        ("units", "unit_price"),
        # A file without prices leaves the prices a fuller upload gave.
        keep_when_null=("unit_price",),
    )
