"""Write validated rows into the database: reference data by upsert, actuals by week.

Each function checks every row against what is stored (unknown store or category codes,
weeks outside the season, ...) before its first write, and raises the same
`CsvValidationError` as the file validation, naming row, column and reason; nothing is written
then. None of them commits: the caller owns the transaction (they may flush).

Idempotence: stores and categories are keyed by code, historical sales by (store, category,
week start); loading the same rows again changes nothing and the counts say so. Weekly
actuals replace the workflow's rows for that week, so uploading a week twice leaves one
week's worth; every upload is kept in `actuals_uploads` as the audit trail.

A week of actuals covers the whole season: every store times every category of the workflow
(its `category_codes`, else all categories). The variance check compares the week with the
forecast of all of them, so a partial file would read as a collapse in sales; it is refused
(`IncompleteWeekError`) unless the caller says the missing pairs sold nothing
(`missing_as_zero`), and then they are stored as 0 units.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Boolean, delete, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from planner_shared.datasets.csv_formats import (
    MAX_REPORTED_ERRORS,
    CategoryRow,
    CsvError,
    CsvValidationError,
    ErrorCollector,
    HistoricalSaleRow,
    StoreRow,
    WeeklyActualRow,
    check_unique,
)
from planner_shared.db.models import (
    ActualsUpload,
    Category,
    HistoricalSale,
    Store,
    WeeklyActual,
    Workflow,
)


class UnknownWorkflowError(LookupError):
    status_code = 404
    code = "not_found"


class IncompleteWeekError(CsvValidationError):
    """The rows leave out store/category pairs of the season; nothing was stored.

    `missing` lists every absent (store_code, category_code), sorted; `errors` the first ones.
    """

    code = "incomplete_week"
    NAMED = 5
    """How many missing pairs the message names."""

    def __init__(self, week: int, missing: Sequence[tuple[str, str]], expected: int) -> None:
        self.week = week
        self.missing = list(missing)
        self.expected = expected
        super().__init__(
            [
                CsvError(None, None, "no row for this store and category", f"{store},{category}")
                for store, category in self.missing[:MAX_REPORTED_ERRORS]
            ],
            total=len(self.missing),
        )
        named = ", ".join(f"({s}, {c})" for s, c in self.missing[: self.NAMED])
        more = (
            f" and {len(self.missing) - self.NAMED} more" if len(self.missing) > self.NAMED else ""
        )
        self.args = (
            f"week {week} is incomplete: {len(self.missing)} of {expected} store/category pairs "
            f"of the season have no row: {named}{more}; nothing was stored",
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


@dataclass(frozen=True)
class ActualsLoad:
    """One week of actuals stored for a workflow."""

    upload_id: UUID
    workflow_id: UUID
    week_number: int
    row_count: int
    units_sold: int
    replaced_previous: bool
    """An earlier upload of this week existed; its rows were replaced."""
    replaced_rows: int
    same_as_previous: bool
    """Same content (same sha256) as the latest earlier upload of this week."""
    zero_filled: int = 0
    """Store/category pairs absent from the rows, stored as 0 units (`missing_as_zero`)."""


async def _upsert(
    session: AsyncSession,
    model: type[Any],
    values: Sequence[Mapping[str, object]],
    key: Sequence[str],
    updated: Sequence[str],
) -> LoadCounts:
    """Insert or update by `key`, counting inserts and real changes (equal rows are left be).

    `xmax = 0` holds for a row this statement inserted; a conflicting row whose values are
    all equal fails the update's WHERE, is not touched and is not returned.
    """
    inserted = changed = 0
    table = model.__table__
    rows = insert(table)
    upsert = rows.on_conflict_do_update(
        index_elements=list(key),
        set_={name: rows.excluded[name] for name in updated},
        where=or_(*(table.c[name].is_distinct_from(rows.excluded[name]) for name in updated)),
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


def _require_unique(rows: Sequence[Any], key: Sequence[str]) -> None:
    errors = ErrorCollector()
    check_unique(rows, key, errors)
    errors.raise_if_any()


async def load_stores(session: AsyncSession, rows: Sequence[StoreRow]) -> LoadCounts:
    _require_unique(rows, ("store_code",))
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


async def load_categories(session: AsyncSession, rows: Sequence[CategoryRow]) -> LoadCounts:
    _require_unique(rows, ("category_code",))
    values = [
        {
            "id": uuid4(),
            "code": r.category_code,
            "name": r.name,
            "unit_price": r.unit_price,
            "price_elasticity": r.price_elasticity,
            "stock_on_hand": r.stock_on_hand,
        }
        for r in rows
    ]
    return await _upsert(
        session,
        Category,
        values,
        ("code",),
        ("name", "unit_price", "price_elasticity", "stock_on_hand"),
    )


async def _ids(
    session: AsyncSession, model: type[Store | Category], codes: set[str]
) -> dict[str, UUID]:
    found = await session.execute(select(model.code, model.id).where(model.code.in_(codes)))
    return dict(found.all())


async def _references(
    session: AsyncSession,
    rows: Sequence[HistoricalSaleRow | WeeklyActualRow],
    errors: ErrorCollector,
) -> tuple[dict[str, UUID], dict[str, UUID]]:
    """Store and category ids by code; an error per row naming an unknown code."""
    stores = await _ids(session, Store, {r.store_code for r in rows})
    categories = await _ids(session, Category, {r.category_code for r in rows})
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
    return stores, categories


async def load_historical_sales(
    session: AsyncSession, rows: Sequence[HistoricalSaleRow]
) -> LoadCounts:
    """Upsert weekly units per (store, category, week start): a re-load never double counts."""
    _require_unique(rows, ("store_code", "category_code", "week_start"))
    errors = ErrorCollector()
    stores, categories = await _references(session, rows, errors)
    errors.raise_if_any()
    values = [
        {
            "store_id": stores[r.store_code],
            "category_id": categories[r.category_code],
            "week_start": r.week_start,
            "units": r.units,
        }
        for r in rows
    ]
    return await _upsert(
        session, HistoricalSale, values, ("store_id", "category_id", "week_start"), ("units",)
    )


@dataclass(frozen=True)
class _Season:
    start: date | None
    weeks: int | None
    categories: frozenset[str] | None


def _season(workflow: Workflow) -> _Season:
    parameters = workflow.parameters or {}
    start = parameters.get("season_start_date")
    weeks = parameters.get("forecast_horizon_weeks")
    return _Season(
        start=date.fromisoformat(str(start)) if start else None,
        weeks=int(weeks) if weeks else None,
        categories=frozenset(workflow.category_codes) if workflow.category_codes else None,
    )


def _check_week(
    rows: Sequence[WeeklyActualRow],
    week_number: int | None,
    season: _Season,
    errors: ErrorCollector,
) -> int | None:
    """The one week the rows are for: `week_number`, or the week the rows all name."""
    week = week_number if week_number is not None else (rows[0].week_number if rows else None)
    if week is None:
        errors.add(None, None, "the upload has no rows")
        return None
    last = season.weeks or 52
    if not 1 <= week <= last:
        errors.add(
            None if week_number is not None else rows[0].row,
            "week_number",
            f"week {week} is outside this {last}-week season"
            if season.weeks
            else f"week {week} is not a week of a season (1-52)",
            str(week),
        )
    for r in rows:
        if r.week_number != week:
            errors.add(
                r.row,
                "week_number",
                f"this upload is for week {week}; upload one week at a time",
                str(r.week_number),
            )
        elif season.start is not None and r.week_start is not None:
            expected = season.start + timedelta(weeks=week - 1)
            if r.week_start != expected:
                errors.add(
                    r.row,
                    "week_start",
                    f"week {week} of this season starts on {expected.isoformat()}",
                    r.week_start.isoformat(),
                )
        if season.categories is not None and r.category_code not in season.categories:
            planned = ", ".join(sorted(season.categories))
            errors.add(
                r.row,
                "category_code",
                f"not planned in this workflow (its categories: {planned})",
                r.category_code,
            )
    return week


async def _missing_pairs(
    session: AsyncSession, rows: Sequence[WeeklyActualRow], season: _Season
) -> tuple[list[tuple[str, str]], int, dict[str, UUID], dict[str, UUID]]:
    """The season's (store, category) pairs without a row, sorted; how many pairs the season
    has; and the ids of every store and season category by code."""
    stores = dict((await session.execute(select(Store.code, Store.id))).all())
    in_season = select(Category.code, Category.id)
    if season.categories is not None:
        in_season = in_season.where(Category.code.in_(season.categories))
    categories = dict((await session.execute(in_season)).all())
    present = {(r.store_code, r.category_code) for r in rows}
    missing = [
        (store, category)
        for store in sorted(stores)
        for category in sorted(categories)
        if (store, category) not in present
    ]
    return missing, len(stores) * len(categories), stores, categories


async def load_weekly_actuals(
    session: AsyncSession,
    *,
    workflow_id: UUID,
    rows: Sequence[WeeklyActualRow],
    filename: str,
    uploaded_by: str,
    sha256: str | None = None,
    week_number: int | None = None,
    missing_as_zero: bool = False,
) -> ActualsLoad:
    """Store one week of actuals for a workflow, replacing any earlier upload of that week.

    Without `week_number` the rows must all name the same week. `sha256` is the uploaded
    file's digest (`ParsedCsv.sha256`); without it one is computed from the rows. The rows
    must cover every store and season category (`IncompleteWeekError` otherwise); with
    `missing_as_zero` the pairs they leave out are stored as 0 units instead.
    """
    workflow = await session.get(Workflow, workflow_id)
    if workflow is None:
        raise UnknownWorkflowError(f"workflow {workflow_id} not found")
    _require_unique(rows, ("store_code", "category_code", "week_number"))
    errors = ErrorCollector()
    season = _season(workflow)
    week = _check_week(rows, week_number, season, errors)
    await _references(session, rows, errors)
    errors.raise_if_any()
    assert week is not None
    missing, expected, stores, categories = await _missing_pairs(session, rows, season)
    if missing and not missing_as_zero:
        raise IncompleteWeekError(week, missing, expected)

    # Two uploads of the same week at once would both delete, then collide on insert:
    # serialise them on a lock that ends with the transaction.
    await session.execute(
        select(
            func.pg_advisory_xact_lock(func.hashtextextended(f"actuals:{workflow_id}:{week}", 0))
        )
    )
    previous = (
        await session.execute(
            select(ActualsUpload.sha256)
            .where(ActualsUpload.workflow_id == workflow_id, ActualsUpload.week_number == week)
            .order_by(ActualsUpload.uploaded_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    replaced = (
        await session.execute(
            delete(WeeklyActual)
            .where(WeeklyActual.workflow_id == workflow_id, WeeklyActual.week_number == week)
            .returning(WeeklyActual.id)
        )
    ).all()
    digest = sha256 or _digest(rows)
    upload_id = uuid4()
    await session.execute(
        insert(ActualsUpload).values(
            id=upload_id,
            workflow_id=workflow_id,
            week_number=week,
            filename=filename[:255],
            sha256=digest,
            row_count=len(rows),
            uploaded_by=uploaded_by[:100],
        )
    )
    values = [
        {
            "workflow_id": workflow_id,
            "store_id": stores[r.store_code],
            "category_id": categories[r.category_code],
            "week_number": week,
            "units_sold": r.units_sold,
            "upload_id": upload_id,
        }
        for r in rows
    ]
    values += [
        {
            "workflow_id": workflow_id,
            "store_id": stores[store],
            "category_id": categories[category],
            "week_number": week,
            "units_sold": 0,
            "upload_id": upload_id,
        }
        for store, category in missing
    ]
    await session.execute(insert(WeeklyActual), values)
    return ActualsLoad(
        upload_id=upload_id,
        workflow_id=workflow_id,
        week_number=week,
        row_count=len(rows),
        units_sold=sum(r.units_sold for r in rows),
        replaced_previous=previous is not None,
        replaced_rows=len(replaced),
        same_as_previous=previous == digest,
        zero_filled=len(missing),
    )


def _digest(rows: Sequence[WeeklyActualRow]) -> str:
    content = "\n".join(
        f"{r.store_code},{r.category_code},{r.week_number},{r.units_sold}"
        for r in sorted(rows, key=lambda r: (r.store_code, r.category_code))
    )
    return hashlib.sha256(content.encode()).hexdigest()
