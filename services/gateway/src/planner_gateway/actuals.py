"""One week of actuals into the database: the actuals rules of an upload.

Every row is checked against what is stored (unknown store or category codes, weeks outside
the season, ...) before the first write, and a breach raises the same `CsvValidationError` as
the file validation, naming row, column and reason; nothing is written then. Nothing here
commits: the caller owns the transaction (it may flush).

Sales are checked against the stock ledger (stock_check.py): a row selling more than its
store held is refused, unless it carries the store's count (`on_hand`), which records the
difference as a stock adjustment.

Weekly actuals replace the workflow's rows for that week, so uploading a week twice leaves one
week's worth; every upload is kept in `actuals_uploads` as the audit trail.

A week of actuals covers the whole season: every store times every category of the workflow
(its `category_codes`, else all categories). The variance check compares the week with the
forecast of all of them, so a partial file would read as a collapse in sales; it is refused
(`IncompleteWeekError`) unless the caller says the missing pairs sold nothing
(`missing_as_zero`), and then they are stored as 0 units.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID, uuid4

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from planner_gateway.stock_check import check_week_stock, record_adjustments
from planner_shared.datasets.csv_formats import (
    MAX_REPORTED_ERRORS,
    CsvError,
    CsvValidationError,
    ErrorCollector,
    WeeklyActualRow,
)
from planner_shared.datasets.loader import check_references, require_unique
from planner_shared.db.models import (
    ActualsUpload,
    Category,
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
    stock_adjustments: int = 0
    """Rows whose store count (`on_hand`) differed from the ledger: adjustments recorded."""
    adjusted_units: int = 0


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
        if not errors:  # no row passed the file's checks: those errors say why
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


async def _replace_week(
    session: AsyncSession,
    workflow_id: UUID,
    week: int,
    upload_id: UUID,
    digest: str,
    filename: str,
    row_count: int,
    uploaded_by: str,
) -> tuple[str | None, int]:
    """Delete the week's earlier rows and record this upload: the earlier upload's digest
    (None if none) and how many rows went."""
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
    await session.execute(
        insert(ActualsUpload).values(
            id=upload_id,
            workflow_id=workflow_id,
            week_number=week,
            filename=filename[:255],
            sha256=digest,
            row_count=row_count,
            uploaded_by=uploaded_by[:100],
        )
    )
    return previous, len(replaced)


def _week_values(
    workflow_id: UUID,
    week: int,
    upload_id: UUID,
    rows: Sequence[WeeklyActualRow],
    missing: Sequence[tuple[str, str]],
    stores: dict[str, UUID],
    categories: dict[str, UUID],
) -> list[dict[str, object]]:
    """The rows to insert: the file's, then 0 units for each pair it left out."""
    sold = [(r.store_code, r.category_code, r.units_sold) for r in rows]
    sold += [(store, category, 0) for store, category in missing]
    return [
        {
            "workflow_id": workflow_id,
            "store_id": stores[store],
            "category_id": categories[category],
            "week_number": week,
            "units_sold": units,
            "upload_id": upload_id,
        }
        for store, category, units in sold
    ]


async def _checked_week(
    session: AsyncSession,
    workflow: Workflow,
    rows: Sequence[WeeklyActualRow],
    week_number: int | None,
    missing_as_zero: bool,
    errors: ErrorCollector,
) -> tuple[int, list[tuple[str, str]], dict[str, UUID], dict[str, UUID]]:
    """The week, the pairs left out, and the ids by code; every problem of the file raised
    at once (`CsvValidationError`), then an incomplete week (`IncompleteWeekError`)."""
    season = _season(workflow)
    week = _check_week(rows, week_number, season, errors)
    await check_references(session, rows, errors)
    errors.raise_if_any()
    assert week is not None
    missing, expected, stores, categories = await _missing_pairs(session, rows, season)
    if missing and not missing_as_zero:
        raise IncompleteWeekError(week, missing, expected)
    return week, missing, stores, categories


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
    errors: ErrorCollector | None = None,
) -> ActualsLoad:
    """Store one week of actuals for a workflow, replacing any earlier upload of that week.

    Without `week_number` the rows must all name the same week. `sha256` is the uploaded
    file's digest (`ParsedCsv.sha256`); without it one is computed from the rows. The rows
    must cover every store and season category (`IncompleteWeekError` otherwise); with
    `missing_as_zero` the pairs they leave out are stored as 0 units instead. `errors` holds
    problems already found in the file (`parse_csv(row_errors=...)`): the rules here add to
    them and one `CsvValidationError` names every kind at once.
    """
    workflow = await session.get(Workflow, workflow_id)
    if workflow is None:
        raise UnknownWorkflowError(f"workflow {workflow_id} not found")
    if errors is None:
        require_unique(rows, ("store_code", "category_code", "week_number"))
        errors = ErrorCollector()
    week, missing, stores, categories = await _checked_week(
        session, workflow, rows, week_number, missing_as_zero, errors
    )
    adjustments = await check_week_stock(session, workflow_id, week, rows)

    upload_id = uuid4()
    digest = sha256 or _digest(rows)
    previous, replaced = await _replace_week(
        session, workflow_id, week, upload_id, digest, filename, len(rows), uploaded_by
    )
    values = _week_values(workflow_id, week, upload_id, rows, missing, stores, categories)
    await session.execute(insert(WeeklyActual), values)
    await record_adjustments(
        session,
        workflow_id=workflow_id,
        week=week,
        upload_id=upload_id,
        adjustments=adjustments,
        stores=stores,
        categories=categories,
        recorded_by=uploaded_by,
    )
    return ActualsLoad(
        upload_id=upload_id,
        workflow_id=workflow_id,
        week_number=week,
        row_count=len(rows),
        units_sold=sum(r.units_sold for r in rows),
        replaced_previous=previous is not None,
        replaced_rows=replaced,
        same_as_previous=previous == digest,
        zero_filled=len(missing),
        stock_adjustments=len(adjustments),
        adjusted_units=sum(a.units for a in adjustments),
    )


def _digest(rows: Sequence[WeeklyActualRow]) -> str:
    content = "\n".join(
        f"{r.store_code},{r.category_code},{r.week_number},{r.units_sold}"
        for r in sorted(rows, key=lambda r: (r.store_code, r.category_code))
    )
    return hashlib.sha256(content.encode()).hexdigest()
