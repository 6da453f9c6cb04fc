"""Loading validated rows on real PostgreSQL: the reference upserts (planner_shared) and the
weekly actuals (planner_gateway.actuals): referential checks, weekly replacement."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from planner_gateway.actuals import (
    ActualsLoad,
    IncompleteWeekError,
    UnknownWorkflowError,
    load_weekly_actuals,
)
from planner_shared.datasets.csv_formats import (
    CsvValidationError,
    HistoricalSaleRow,
    parse_categories,
    parse_historical_sales,
    parse_stores,
    parse_weekly_actuals,
)
from planner_shared.datasets.loader import load_categories, load_historical_sales, load_stores
from planner_shared.db.engine import transaction
from planner_shared.db.models import (
    ActualsUpload,
    Category,
    HistoricalSale,
    Store,
    WeeklyActual,
    Workflow,
)

Sessions = async_sessionmaker[AsyncSession]
SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample"

STORES = b"""store_code,name,region,size_sqft,weekly_traffic,format
S001,Boston Mall,Northeast,9000,12000,mall
S002,Austin Downtown,Southwest,6000,9000,high_street
"""
CATEGORIES = b"""category_code,name,unit_price,price_elasticity,stock_on_hand
OUTW,Outerwear,189.00,1.6,100
DRES,Dresses,79.00,1.2,50
"""
HISTORY = b"""store_code,category_code,week_start,units
S001,OUTW,2026-02-16,10
S001,OUTW,2026-02-23,12
S002,OUTW,2026-02-23,7
S002,DRES,2026-02-23,20
"""


def week_file(week: int, units: int = 5, start: str | None = None) -> bytes:
    header = "store_code,category_code,week_number,units_sold" + (",week_start" if start else "")
    lines = [
        f"{store},{category},{week},{units}" + (f",{start}" if start else "")
        for store in ("S001", "S002")
        for category in ("OUTW", "DRES")
    ]
    return "\n".join([header, *lines, ""]).encode()


async def counts(sessions: Sessions) -> dict[str, int]:
    async with sessions() as session:
        return {
            model.__tablename__: (
                await session.execute(select(func.count()).select_from(model))
            ).scalar_one()
            for model in (Store, Category, HistoricalSale, WeeklyActual, ActualsUpload)
        }


async def load_reference(sessions: Sessions) -> None:
    async with transaction(sessions) as session:
        await load_stores(session, parse_stores(STORES).rows)
        await load_categories(session, parse_categories(CATEGORIES).rows)
        await load_historical_sales(session, parse_historical_sales(HISTORY).rows)


async def new_workflow(sessions: Sessions, **fields: Any) -> UUID:
    defaults: dict[str, Any] = {
        "state": "in_season",
        "created_by": "planner@test",
        "parameters": {"season_start_date": "2026-03-02", "forecast_horizon_weeks": 12},
        "context": {},
    }
    workflow = Workflow(**(defaults | fields))
    async with transaction(sessions) as session:
        session.add(workflow)
    return workflow.id


async def upload(sessions: Sessions, workflow_id: UUID, data: bytes, **kwargs: Any) -> ActualsLoad:
    parsed = parse_weekly_actuals(data)
    async with transaction(sessions) as session:
        return await load_weekly_actuals(
            session,
            workflow_id=workflow_id,
            rows=parsed.rows,
            filename="week.csv",
            uploaded_by="planner@test",
            sha256=parsed.sha256,
            **kwargs,
        )


async def rejected(sessions: Sessions, call: Any) -> CsvValidationError:
    """Run `call(session)` in a transaction, expect the validation error, check nothing moved."""
    before = await counts(sessions)
    with pytest.raises(CsvValidationError) as caught:
        async with transaction(sessions) as session:
            await call(session)
    assert await counts(sessions) == before
    return caught.value


# ---------------------------------------------------------------------------- reference data
async def test_reference_data_loads_once_and_reloads_as_unchanged(sessionmaker: Sessions) -> None:
    async with transaction(sessionmaker) as session:
        stores = await load_stores(session, parse_stores(STORES).rows)
        categories = await load_categories(session, parse_categories(CATEGORIES).rows)
        history = await load_historical_sales(session, parse_historical_sales(HISTORY).rows)
    assert (stores.inserted, categories.inserted, history.inserted) == (2, 2, 4)
    first = await counts(sessionmaker)

    async with transaction(sessionmaker) as session:
        again = await load_historical_sales(session, parse_historical_sales(HISTORY).rows)
        stores_again = await load_stores(session, parse_stores(STORES).rows)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert stores_again.unchanged == 2
    assert await counts(sessionmaker) == first


async def test_a_changed_row_is_updated_in_place(sessionmaker: Sessions) -> None:
    await load_reference(sessionmaker)
    corrected = HISTORY.replace(b"S002,DRES,2026-02-23,20", b"S002,DRES,2026-02-23,25")
    renamed = STORES.replace(b"Boston Mall", b"Boston Back Bay")
    async with transaction(sessionmaker) as session:
        history = await load_historical_sales(session, parse_historical_sales(corrected).rows)
        stores = await load_stores(session, parse_stores(renamed).rows)
    assert (history.inserted, history.updated, history.unchanged) == (0, 1, 3)
    assert (stores.updated, stores.unchanged) == (1, 1)
    async with sessionmaker() as session:
        total = await session.scalar(select(func.sum(HistoricalSale.units)))
        name = await session.scalar(select(Store.name).where(Store.code == "S001"))
    assert (total, name) == (10 + 12 + 7 + 25, "Boston Back Bay")


async def test_unknown_codes_name_row_and_column_and_nothing_is_written(
    sessionmaker: Sessions,
) -> None:
    await load_reference(sessionmaker)
    data = HISTORY + b"S003,OUTW,2026-02-23,4\nS001,KNIT,2026-02-23,4\n"
    rows = parse_historical_sales(data.replace(b",10\n", b",11\n")).rows

    async def call(session: AsyncSession) -> None:
        await load_historical_sales(session, rows)

    error = await rejected(sessionmaker, call)
    assert [(e.row, e.column, e.value) for e in error.errors] == [
        (6, "store_code", "S003"),
        (7, "category_code", "KNIT"),
    ]
    assert error.errors[0].reason == "unknown store: load it with the stores first"
    async with sessionmaker() as session:
        assert await session.scalar(select(func.sum(HistoricalSale.units))) == 49  # not 50


async def test_rows_handed_over_directly_are_checked_for_duplicates(
    sessionmaker: Sessions,
) -> None:
    await load_reference(sessionmaker)
    row = parse_historical_sales(HISTORY).rows[0]
    twice = [row, HistoricalSaleRow(9, row.store_code, row.category_code, row.week_start, 1)]

    async def call(session: AsyncSession) -> None:
        await load_historical_sales(session, twice)

    error = await rejected(sessionmaker, call)
    assert (error.errors[0].row, error.errors[0].reason) == (
        9,
        "same store_code, category_code and week_start as row 2",
    )


# ---------------------------------------------------------------------------- weekly actuals
async def test_uploading_the_same_week_twice_does_not_double_count(
    sessionmaker: Sessions,
) -> None:
    await load_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker)

    first = await upload(sessionmaker, workflow_id, week_file(1, units=5))
    second = await upload(sessionmaker, workflow_id, week_file(1, units=5))

    assert (first.week_number, first.row_count, first.units_sold) == (1, 4, 20)
    assert (first.replaced_previous, first.replaced_rows) == (False, 0)
    assert (second.replaced_previous, second.replaced_rows, second.same_as_previous) == (
        True,
        4,
        True,
    )
    after = await counts(sessionmaker)
    assert (after["weekly_actuals"], after["actuals_uploads"]) == (4, 2)
    async with sessionmaker() as session:
        assert await session.scalar(select(func.sum(WeeklyActual.units_sold))) == 20
        owners = set((await session.scalars(select(WeeklyActual.upload_id))).all())
    assert owners == {second.upload_id}


async def test_a_corrected_week_replaces_the_earlier_one_and_leaves_other_weeks(
    sessionmaker: Sessions,
) -> None:
    await load_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker)
    other_workflow = await new_workflow(sessionmaker)
    await upload(sessionmaker, workflow_id, week_file(1, units=5))
    await upload(sessionmaker, workflow_id, week_file(2, units=6))
    await upload(sessionmaker, other_workflow, week_file(1, units=100))

    corrected = await upload(sessionmaker, workflow_id, week_file(1, units=7))

    assert corrected.replaced_previous
    assert not corrected.same_as_previous
    async with sessionmaker() as session:
        by_week = dict(
            (
                await session.execute(
                    select(WeeklyActual.week_number, func.sum(WeeklyActual.units_sold))
                    .where(WeeklyActual.workflow_id == workflow_id)
                    .group_by(WeeklyActual.week_number)
                )
            ).all()
        )
        other = await session.scalar(
            select(func.sum(WeeklyActual.units_sold)).where(
                WeeklyActual.workflow_id == other_workflow
            )
        )
    assert by_week == {1: 28, 2: 24}
    assert other == 400


@pytest.mark.parametrize(
    ("data", "kwargs", "expected"),
    [
        (
            week_file(1).replace(b"S002,DRES,1,5", b"S002,DRES,2,5"),
            {},
            (5, "week_number", "this upload is for week 1; upload one week at a time"),
        ),
        (
            week_file(3),
            {"week_number": 4},
            (2, "week_number", "this upload is for week 4; upload one week at a time"),
        ),
        (
            week_file(13),
            {},
            (2, "week_number", "week 13 is outside this 12-week season"),
        ),
        (
            week_file(2, start="2026-03-02"),
            {},
            (2, "week_start", "week 2 of this season starts on 2026-03-09"),
        ),
        (
            week_file(1).replace(b"S002,OUTW", b"S404,OUTW"),
            {},
            (4, "store_code", "unknown store: load it with the stores first"),
        ),
    ],
)
async def test_a_bad_upload_names_the_problem_and_stores_nothing(
    sessionmaker: Sessions, data: bytes, kwargs: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    await load_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker)
    await upload(sessionmaker, workflow_id, week_file(1, units=3))
    rows = parse_weekly_actuals(data).rows

    async def call(session: AsyncSession) -> None:
        await load_weekly_actuals(
            session,
            workflow_id=workflow_id,
            rows=rows,
            filename="bad.csv",
            uploaded_by="planner@test",
            **kwargs,
        )

    error = await rejected(sessionmaker, call)
    first = error.errors[0]
    assert (first.row, first.column, first.reason) == expected
    async with sessionmaker() as session:
        assert await session.scalar(select(func.sum(WeeklyActual.units_sold))) == 12


async def test_categories_outside_the_workflow_are_refused(sessionmaker: Sessions) -> None:
    await load_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, category_codes=["OUTW"])
    rows = parse_weekly_actuals(week_file(1)).rows

    async def call(session: AsyncSession) -> None:
        await load_weekly_actuals(
            session, workflow_id=workflow_id, rows=rows, filename="w.csv", uploaded_by="p"
        )

    error = await rejected(sessionmaker, call)
    assert [(e.row, e.column) for e in error.errors] == [(3, "category_code"), (5, "category_code")]
    assert error.errors[0].reason == "not planned in this workflow (its categories: OUTW)"


async def test_an_unknown_workflow(sessionmaker: Sessions) -> None:
    rows = parse_weekly_actuals(week_file(1)).rows
    with pytest.raises(UnknownWorkflowError):
        async with transaction(sessionmaker) as session:
            await load_weekly_actuals(
                session, workflow_id=uuid4(), rows=rows, filename="w.csv", uploaded_by="p"
            )
    assert (await counts(sessionmaker))["actuals_uploads"] == 0


# ---------------------------------------------------------------------------- complete weeks
def without(data: bytes, *lines: bytes) -> bytes:
    for line in lines:
        assert line + b"\n" in data
        data = data.replace(line + b"\n", b"")
    return data


async def test_a_week_leaving_out_a_store_or_category_is_refused(sessionmaker: Sessions) -> None:
    await load_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker)
    await upload(sessionmaker, workflow_id, week_file(1, units=3))
    rows = parse_weekly_actuals(
        without(week_file(1, units=9), b"S001,DRES,1,9", b"S002,DRES,1,9")
    ).rows

    async def call(session: AsyncSession) -> None:
        await load_weekly_actuals(
            session, workflow_id=workflow_id, rows=rows, filename="w.csv", uploaded_by="p"
        )

    error = await rejected(sessionmaker, call)
    assert isinstance(error, IncompleteWeekError)
    assert (error.code, error.week, error.expected) == ("incomplete_week", 1, 4)
    assert error.missing == [("S001", "DRES"), ("S002", "DRES")]
    assert str(error) == (
        "week 1 is incomplete: 2 of 4 store/category pairs of the season have no row: "
        "(S001, DRES), (S002, DRES); nothing was stored"
    )
    async with sessionmaker() as session:
        assert await session.scalar(select(func.sum(WeeklyActual.units_sold))) == 12


async def test_many_missing_pairs_are_counted_and_the_first_named(sessionmaker: Sessions) -> None:
    await load_reference(sessionmaker)
    async with transaction(sessionmaker) as session:
        more = "\n".join(f"S{n:03d},Store {n},North,100,100,mall" for n in range(3, 13))
        await load_stores(session, parse_stores(STORES + more.encode()).rows)
    workflow_id = await new_workflow(sessionmaker)
    rows = parse_weekly_actuals(week_file(1)).rows

    async def call(session: AsyncSession) -> None:
        await load_weekly_actuals(
            session, workflow_id=workflow_id, rows=rows, filename="w.csv", uploaded_by="p"
        )

    error = await rejected(sessionmaker, call)
    assert isinstance(error, IncompleteWeekError)
    assert (len(error.missing), error.expected, error.total) == (20, 24, 20)
    assert str(error).startswith(
        "week 1 is incomplete: 20 of 24 store/category pairs of the season have no row: "
        "(S003, DRES), (S003, OUTW), (S004, DRES), (S004, OUTW), (S005, DRES) and 15 more;"
    )


async def test_missing_as_zero_stores_the_pairs_left_out_as_zero(sessionmaker: Sessions) -> None:
    await load_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker)
    data = without(week_file(1, units=8), b"S002,OUTW,1,8", b"S002,DRES,1,8")

    load = await upload(sessionmaker, workflow_id, data, missing_as_zero=True)

    assert (load.row_count, load.units_sold, load.zero_filled) == (2, 16, 2)
    async with sessionmaker() as session:
        stored = (
            await session.execute(
                select(Store.code, Category.code, WeeklyActual.units_sold, WeeklyActual.upload_id)
                .join(Store, Store.id == WeeklyActual.store_id)
                .join(Category, Category.id == WeeklyActual.category_id)
            )
        ).all()
    assert sorted(stored) == [
        ("S001", "DRES", 8, load.upload_id),
        ("S001", "OUTW", 8, load.upload_id),
        ("S002", "DRES", 0, load.upload_id),
        ("S002", "OUTW", 0, load.upload_id),
    ]
    # Replaced whole by the next upload of the week, zeros included.
    again = await upload(sessionmaker, workflow_id, week_file(1, units=1))
    assert (again.replaced_rows, again.zero_filled) == (4, 0)


async def test_a_week_covers_the_workflows_categories(sessionmaker: Sessions) -> None:
    await load_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, category_codes=["OUTW"])
    outerwear = without(week_file(1), b"S001,DRES,1,5", b"S002,DRES,1,5")

    load = await upload(sessionmaker, workflow_id, outerwear)
    assert (load.row_count, load.zero_filled) == (2, 0)

    rows = parse_weekly_actuals(without(outerwear, b"S002,OUTW,1,5")).rows

    async def call(session: AsyncSession) -> None:
        await load_weekly_actuals(
            session, workflow_id=workflow_id, rows=rows, filename="w.csv", uploaded_by="p"
        )

    error = await rejected(sessionmaker, call)
    assert isinstance(error, IncompleteWeekError)
    assert (error.missing, error.expected) == ([("S002", "OUTW")], 2)


async def test_the_shipped_weeks_are_complete(sessionmaker: Sessions) -> None:
    async with transaction(sessionmaker) as session:
        await load_stores(session, parse_stores((SAMPLE / "stores.csv").read_bytes()).rows)
        await load_categories(
            session, parse_categories((SAMPLE / "categories.csv").read_bytes()).rows
        )
    workflow_id = await new_workflow(sessionmaker)
    weeks = sorted((SAMPLE / "weekly_actuals_by_week").glob("week_*.csv"))
    assert len(weeks) == 12
    for number, path in enumerate(weeks, start=1):
        load = await upload(sessionmaker, workflow_id, path.read_bytes())
        assert (load.week_number, load.row_count, load.zero_filled) == (number, 50 * 4, 0)
