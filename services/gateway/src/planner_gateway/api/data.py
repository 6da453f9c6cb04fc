"""CSV uploads: historical sales, and a season's weekly actuals.

A file is read and validated whole before anything is written, and written in the request's
one transaction: a rejected upload leaves the stored data exactly as it was. Errors name the
row (the spreadsheet's row number, the header being row 1), the column and the reason.

The size limit holds while the body arrives (`body_limit.BodyLimit`, installed by `create_app`
on `upload_paths()` with `body_limit_bytes()`): a larger body is refused before it is spooled.
The endpoints then check the file itself against `max_upload_bytes` exactly.

A weekly-actuals upload replaces any earlier upload of the same week (it never adds to it) and
stages `actuals.uploaded` in the outbox with the rows; the forecast service then runs the
variance check and reports it, and the orchestrator (agents service) decides whether the
season re-forecasts: past the threshold, or on a corrected week whose first figures started
one. The week must cover
every store and category of the season (422 `incomplete_week`) unless the planner sends
`missing_as_zero=true`; a week that skips an earlier one is refused after the load, which the
refusal rolls back with the rest of the transaction (409 `missing_weeks`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.routing import APIRoute

from planner_gateway.actuals import IncompleteWeekError
from planner_gateway.auth import Planner, SeasonWriter
from planner_gateway.deps import StateDep, UnitOfWork, WriteSession
from planner_gateway.errors import ApiError, ErrorDetail, responses
from planner_gateway.history_ingest import store_history
from planner_gateway.plausibility import refuse_implausible
from planner_gateway.schemas.data import FileRead, HistoricalSalesUploaded, WeeklyActualsUploaded
from planner_gateway.services import actuals
from planner_gateway.state import GatewayState
from planner_gateway.upload_rows import (
    HARD_CEILING,
    FileFacts,
    parse_in_pieces,
    prepare_history,
)
from planner_shared.datasets.csv_formats import (
    CsvKind,
    CsvTooLargeError,
    CsvValidationError,
    ErrorCollector,
    ParsedCsv,
)

router = APIRouter(prefix="/data", tags=["data"])

READ_CHUNK = 1024 * 1024
# What a multipart body carries besides the file: boundaries, part headers (with the file
# name) and the form fields. Generous: it only bounds how much is read before refusing.
MULTIPART_ALLOWANCE = 16 * 1024


def too_large(max_bytes: int) -> str:
    return (
        f"the file is larger than the {max_bytes:,}-byte upload limit; "
        "split it (weekly actuals go one week per file)"
    )


def body_limit_bytes(max_upload_bytes: int) -> int:
    return max_upload_bytes + MULTIPART_ALLOWANCE


def upload_paths(prefixes: Iterable[str]) -> set[str]:
    """Every path this router serves under the given mount prefixes: all of them are uploads."""
    return {
        f"{prefix}{route.path}"
        for prefix in prefixes
        for route in router.routes
        if isinstance(route, APIRoute)
    }


async def _read_limited(upload: UploadFile, max_bytes: int) -> bytes:
    """The file's bytes, refusing (413) as soon as it passes the limit rather than after."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(READ_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise ApiError(413, too_large(max_bytes))
        chunks.append(chunk)
    return b"".join(chunks)


def _filename(upload: UploadFile) -> str:
    """The file's name as stored: without control characters or anything not valid Unicode
    (PostgreSQL text refuses a NUL), at most 255 characters."""
    name = "".join(
        c for c in (upload.filename or "") if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF
    ).strip()
    return name[:255] or "upload.csv"


def _csv_error(exc: CsvValidationError) -> ApiError:
    details = [ErrorDetail.model_validate(e.as_detail()) for e in exc.errors]
    message = str(exc)
    if exc.omitted:
        message += f"; the first {len(exc.errors)} are listed"
    status_code = 413 if isinstance(exc, CsvTooLargeError) else 422
    return ApiError(status_code, message, code=exc.code, details=details)


def _incomplete_week(exc: IncompleteWeekError) -> ApiError:
    details = [
        ErrorDetail.model_validate(
            {
                "message": "no row for this store and category",
                "store_code": store,
                "category_code": category,
            }
        )
        for store, category in exc.missing[: len(exc.errors)]
    ]
    message = (
        f"{exc}. Upload a row for every store and category of the season (units_sold 0 where "
        "nothing sold), or send missing_as_zero=true if the missing ones sold nothing"
    )
    return ApiError(422, message, code=exc.code, details=details)


async def _parse(
    kind: CsvKind, upload: UploadFile, state: GatewayState
) -> tuple[ParsedCsv[Any], ErrorCollector]:
    max_bytes = state.settings.max_upload_bytes
    data = await _read_limited(upload, max_bytes)
    try:
        # In a worker process: seconds of parsing must not stall every other request.
        pieced = await state.parses.run(parse_in_pieces, kind, data, max_bytes)
    except CsvValidationError as exc:
        raise _csv_error(exc) from None
    return await pieced.unpickled()


def _file_read(upload: UploadFile, parsed: ParsedCsv[Any] | FileFacts) -> FileRead:
    if isinstance(parsed, FileFacts):
        return FileRead(
            filename=_filename(upload),
            size_bytes=parsed.size_bytes,
            sha256=parsed.sha256,
            delimiter=parsed.delimiter,
            had_bom=parsed.had_bom,
            row_count=parsed.row_count,
        )
    return FileRead(
        filename=_filename(upload),
        size_bytes=parsed.size_bytes,
        sha256=parsed.sha256,
        delimiter=parsed.delimiter_name,
        had_bom=parsed.had_bom,
        row_count=len(parsed.rows),
    )


CsvFile = Annotated[
    UploadFile,
    File(description="CSV, comma/semicolon/tab separated, UTF-8 with or without BOM."),
]
AllowImplausible = Annotated[
    bool,
    Form(
        description="Store rows above the plausibility bound (20x the store's median week of "
        "the category in the history, at least 1,000 units) instead of refusing the file; "
        f"never past {HARD_CEILING:,} units in a row."
    ),
]


@router.post(
    "/historical-sales",
    response_model=HistoricalSalesUploaded,
    responses=responses(413, 503),
    summary="Upload weekly historical sales (store_code, category_code, week_start, units)",
)
async def upload_historical_sales(
    file: CsvFile,
    principal: Planner,
    session: WriteSession,
    state: StateDep,
    allow_implausible: AllowImplausible = False,
) -> HistoricalSalesUploaded:
    max_bytes = state.settings.max_upload_bytes
    data = await _read_limited(file, max_bytes)
    try:
        # Parsed and checked in a worker process; back come the rows as COPY text and the
        # few over the plausibility floor (history_ingest).
        batch = await state.parses.run(prepare_history, data, max_bytes)
    except CsvValidationError as exc:
        raise _csv_error(exc) from None
    await refuse_implausible(session, batch.over_floor, allow_implausible=allow_implausible)
    try:
        # Stored, and who overwrote which week recorded, in the request's one transaction.
        counts = await store_history(
            session,
            batch,
            changed_by=principal.name,
            # The audit's `source` holds 200 characters: a long file name is cut, not a 500.
            source=f"upload {_filename(file)[:100]} sha256 {batch.file.sha256}",
        )
    except CsvValidationError as exc:
        raise _csv_error(exc) from None
    return HistoricalSalesUploaded(
        file=_file_read(file, batch.file),
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
    )


WEEKLY_ACTUALS_DESCRIPTION = """\
One week of a season's sales, one file per week. Columns (header names in any case; comma,
semicolon or tab separated; UTF-8 with or without BOM):

| column | |
|---|---|
| `store_code` | a loaded store |
| `category_code` | a category of the season (the workflow's categories) |
| `week_number` | 1 to the season's length, the same on every row |
| `units_sold` | a whole number >= 0 |
| `week_start` | optional; if given, the Monday the week starts on |
| `on_hand` | optional; the store's own count at the end of the week |

**Sales within stock.** A row may not sell more than its store held that week on the stock
ledger (opening stock plus what arrived): such rows are refused with 422
`sales_beyond_stock`, each named. Correct the file, or give the store's count in `on_hand`:
the difference from the ledger is then recorded as an audited stock adjustment
(`stock_adjustments` in the answer; `GET /api/workflows/{id}/stock`).

**Complete weeks only.** The file must have a row for every store and every category of the
season: the variance check compares the week with the forecast of all of them, so a missing
row would read as a drop in sales. An incomplete file is refused with 422 `incomplete_week`,
naming how many store/category pairs are missing and the first of them. For a week where some
stores really sold nothing (closed, say), send `missing_as_zero=true`: the missing pairs are
stored as 0 units and `zero_filled` in the answer says how many.

A file with errors is refused whole with one 422 `invalid_csv` naming every problem at once,
each with its row and column: unreadable values, repeated rows, unknown stores and categories,
rows of another week (a header problem alone, since it makes every row doubtful).

Uploading a week again **replaces** its earlier upload (`replaced_previous`), never adds to it;
earlier weeks may be corrected at any time, but a week may not skip one: week 3 before week 2
is refused with 409 `missing_weeks`. Accepted while the season runs (`in_season`,
`reforecasting`, `awaiting_markdown_approval`); 409 otherwise.

**202** means the week is stored and `actuals.uploaded` is queued: the forecast service runs
the variance check next (a `variance.checked` progress message on the WebSocket, then the
result at `variance_url`); past the threshold, the orchestrator starts a re-forecast. A
corrected week whose first figures started a re-forecast is re-forecast again on the
corrected figures (decided by the orchestrator from this upload's event). A refused
file (422 `invalid_csv` naming row, column and reason; `incomplete_week`; 409; 413) stores
nothing.
"""


@router.post(
    "/weekly-actuals",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WeeklyActualsUploaded,
    responses=responses(404, 409, 413, 503),
    summary="Upload one week of a season's actuals; runs the variance check",
    description=WEEKLY_ACTUALS_DESCRIPTION,
)
async def upload_weekly_actuals(
    file: CsvFile,
    principal: SeasonWriter,
    uow: UnitOfWork,
    state: StateDep,
    workflow_id: Annotated[UUID, Form(description="The season the actuals belong to.")],
    week_number: Annotated[
        int | None,
        Form(ge=1, le=52, description="The week; taken from the rows when omitted."),
    ] = None,
    missing_as_zero: Annotated[
        bool,
        Form(
            description="Store the store/category pairs the file leaves out as 0 units "
            "(stores closed that week) instead of refusing the file as incomplete."
        ),
    ] = False,
    allow_implausible: AllowImplausible = False,
) -> WeeklyActualsUploaded:
    # The rows' problems wait for the season's checks, so one answer lists every kind.
    parsed, problems = await _parse(CsvKind.WEEKLY_ACTUALS, file, state)
    try:
        uploaded = await actuals.upload_week(
            uow,
            workflow_id=workflow_id,
            rows=parsed.rows,
            filename=_filename(file),
            principal=principal,
            sha256=parsed.sha256,
            week_number=week_number,
            missing_as_zero=missing_as_zero,
            allow_implausible=allow_implausible,
            errors=problems,
        )
    except IncompleteWeekError as exc:
        raise _incomplete_week(exc) from None
    except CsvValidationError as exc:
        raise _csv_error(exc) from None
    load = uploaded.load
    return WeeklyActualsUploaded(
        upload_id=load.upload_id,
        workflow_id=workflow_id,
        week_number=load.week_number,
        row_count=load.row_count,
        units_sold=load.units_sold,
        replaced_previous=load.replaced_previous,
        replaced_rows=load.replaced_rows,
        same_as_previous=load.same_as_previous,
        zero_filled=load.zero_filled,
        stock_adjustments=load.stock_adjustments,
        adjusted_units=load.adjusted_units,
        variance_url=f"/api/workflows/{workflow_id}/variance?week={load.week_number}",
        event_id=uploaded.event.event_id,
        file=_file_read(file, parsed),
    )
