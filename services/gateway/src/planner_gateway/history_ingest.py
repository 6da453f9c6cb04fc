"""A historical-sales file from upload to stored rows, without holding the event loop.

A 10 MB history file is a third of a million rows. Every pass over them, in Python, holds
the gateway's interpreter: on the event loop it freezes every request, and on a thread it
still slows each one (the loop waits for the lock at every socket read and write). So:

- in a worker process (parse_pool.ParsePool), `upload_rows.prepare_history` parses and validates the
  file and writes its rows as the text of a PostgreSQL COPY; what comes back is that text,
  the figures of the file and the rows over the plausibility floor, never the rows as
  Python objects;
- on the loop, `store_history` streams the text into a temporary table of the request's
  transaction and lets PostgreSQL do the rest in a few statements: the unknown store and
  category codes (the first `MAX_REPORTED_ERRORS` rows, and how many in all), the audit of
  the stored weeks the file changes, and the upsert with its counts.

The answers are those of the row-by-row loader (planner_shared.datasets.loader, still used
by the seed and the tests' fixtures): the same refusals, word for word, the same counts, the
same audit rows. Nothing is stored unless every check passes: the temporary table goes with
the transaction, and a refusal rolls the request's transaction back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from planner_gateway.upload_rows import HistoryBatch
from planner_shared.datasets.csv_formats import MAX_REPORTED_ERRORS, CsvError, CsvValidationError
from planner_shared.datasets.loader import LoadCounts
from planner_shared.db.models import ReferenceChange

TABLE = "upload_history"
COLUMNS = ("row", "store_code", "category_code", "week_start", "units", "unit_price")
COPY_CHUNK = 256 * 1024


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), COPY_CHUNK):
        yield bytes(view[start : start + COPY_CHUNK])


async def _load(connection: AsyncConnection, batch: HistoryBatch) -> None:
    await connection.execute(
        text(
            f"CREATE TEMPORARY TABLE {TABLE} (row integer NOT NULL, store_code text NOT NULL, "
            "category_code text NOT NULL, week_start date NOT NULL, units integer NOT NULL, "
            "unit_price numeric(10, 2)) ON COMMIT DROP"
        )
    )
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection  # asyncpg's, in the session's transaction
    await driver.copy_to_table(TABLE, source=_chunks(batch.copy_text), columns=COLUMNS)
    # Row counts for the planner: the joins below see a table of this size, not an empty one.
    await connection.execute(text(f"ANALYZE {TABLE}"))


UNKNOWN_CODES = text(
    f"""
    WITH unknown AS (
        SELECT u.row, 0 AS place, 'store_code' AS column_name, u.store_code AS value
        FROM {TABLE} u WHERE NOT EXISTS (SELECT 1 FROM stores s WHERE s.code = u.store_code)
        UNION ALL
        SELECT u.row, 1, 'category_code', u.category_code
        FROM {TABLE} u
        WHERE NOT EXISTS (SELECT 1 FROM categories c WHERE c.code = u.category_code)
    )
    SELECT row, column_name, value, count(*) OVER () AS total
    FROM unknown ORDER BY row, place LIMIT :listed
    """
)
REASONS = {
    "store_code": "unknown store: load it with the stores first",
    "category_code": "unknown category: load it with the categories first",
}
KNOWN = f"""
    FROM {TABLE} u
    JOIN stores s ON s.code = u.store_code
    JOIN categories c ON c.code = u.category_code
"""
SAME_WEEK = "h.store_id = s.id AND h.category_id = c.id AND h.week_start = u.week_start"
AUDIT_UPDATES = text(
    f"""
    INSERT INTO reference_changes (table_name, record_key, action, before, after,
                                   changed_by, source)
    SELECT 'historical_sales',
           jsonb_build_object('store_code', u.store_code, 'category_code', u.category_code,
                              'week_start', to_char(u.week_start, 'YYYY-MM-DD')),
           'update', jsonb_build_object('units', h.units), jsonb_build_object('units', u.units),
           :changed_by, :source
    {KNOWN}
    JOIN historical_sales h ON {SAME_WEEK}
    WHERE h.units <> u.units
    ORDER BY u.row
    """
)
NEW_WEEKS = text(
    f"""
    SELECT count(*), coalesce(sum(u.units), 0), min(u.week_start), max(u.week_start)
    {KNOWN}
    WHERE NOT EXISTS (SELECT 1 FROM historical_sales h WHERE {SAME_WEEK})
    """
)
UPSERT = text(
    f"""
    WITH upserted AS (
        INSERT INTO historical_sales AS h (store_id, category_id, week_start, units, unit_price)
        SELECT s.id, c.id, u.week_start, u.units, u.unit_price
        {KNOWN}
        WHERE true  -- else ON CONFLICT reads as the join's second ON
        ON CONFLICT (store_id, category_id, week_start) DO UPDATE
        SET units = excluded.units, unit_price = coalesce(excluded.unit_price, h.unit_price)
        WHERE h.units IS DISTINCT FROM excluded.units
           OR h.unit_price IS DISTINCT FROM coalesce(excluded.unit_price, h.unit_price)
        RETURNING xmax = 0 AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted
    """
)


async def _refuse_unknown_codes(connection: AsyncConnection) -> None:
    found = (await connection.execute(UNKNOWN_CODES, {"listed": MAX_REPORTED_ERRORS})).all()
    if found:
        errors = [CsvError(row, column, REASONS[column], value) for row, column, value, _ in found]
        raise CsvValidationError(errors, int(found[0].total))


async def _audit(
    session: AsyncSession, connection: AsyncConnection, *, changed_by: str, source: str
) -> None:
    """Who overwrote which week (a row per changed week, with the units before and after),
    and one row saying what the upload added. In the upload's own transaction: a refused
    upload records nothing, an accepted one cannot go unrecorded (read at
    `GET /api/ops/reference-changes`)."""
    await connection.execute(AUDIT_UPDATES, {"changed_by": changed_by, "source": source})
    rows, units, first, last = (await connection.execute(NEW_WEEKS)).one()
    if rows:
        session.add(
            ReferenceChange(
                table_name="historical_sales",
                record_key={"upload": source},
                action="insert",
                before=None,
                after={
                    "rows": rows,
                    "units": int(units),
                    "first_week": first.isoformat(),
                    "last_week": last.isoformat(),
                },
                changed_by=changed_by,
                source=source,
            )
        )


async def store_history(
    session: AsyncSession, batch: HistoryBatch, *, changed_by: str, source: str
) -> LoadCounts:
    """Upsert the batch's weeks per (store, category, week start) in the session's
    transaction, audited; `CsvValidationError` naming the rows of unknown codes, and nothing
    written, when a code is not loaded."""
    connection = await session.connection()
    await _load(connection, batch)
    await _refuse_unknown_codes(connection)
    await _audit(session, connection, changed_by=changed_by, source=source)
    inserted, updated = (await connection.execute(UPSERT)).one()
    return LoadCounts(received=batch.file.row_count, inserted=inserted, updated=updated)
