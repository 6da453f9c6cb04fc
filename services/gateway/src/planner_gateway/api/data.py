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

from planner_gateway import SERVICE_NAME
from planner_gateway.actuals import IncompleteWeekError, load_weekly_actuals
from planner_gateway.audit import record_sales_upload, stored_sales
from planner_gateway.auth import Planner
from planner_gateway.deps import StateDep, UnitOfWork, WriteSession
from planner_gateway.errors import ApiError, ErrorDetail, one_of, responses, wrong_state
from planner_gateway.plausibility import Quantity, refuse_implausible
from planner_gateway.repository import get_workflow, weeks_with_actuals
from planner_gateway.schemas.data import FileRead, HistoricalSalesUploaded, WeeklyActualsUploaded
from planner_shared.datasets.csv_formats import (
    CsvKind,
    CsvTooLargeError,
    CsvValidationError,
    ParsedCsv,
    parse_csv,
)
from planner_shared.datasets.loader import load_historical_sales
from planner_shared.events import (
    ActualsUploaded,
    ActualsUploadedPayload,
)
from planner_shared.workflow import TERMINAL_STATES, WorkflowState

router = APIRouter(prefix="/data", tags=["data"])

# Weeks of actuals are accepted once the allocation is done and until the season closes.
ACCEPTS_ACTUALS = frozenset(
    {
        WorkflowState.IN_SEASON,
        WorkflowState.REFORECASTING,
        WorkflowState.AWAITING_MARKDOWN_APPROVAL,
    }
)
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


async def _parse(kind: CsvKind, upload: UploadFile, max_bytes: int) -> ParsedCsv[Any]:
    data = await _read_limited(upload, max_bytes)
    try:
        return parse_csv(kind, data, max_bytes=max_bytes)
    except CsvValidationError as exc:
        raise _csv_error(exc) from None


def _file_read(upload: UploadFile, parsed: ParsedCsv[Any]) -> FileRead:
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
        description="Store rows above the plausibility bound (10x the store's best week of "
        "the category in the history, at least 1,000 units) instead of refusing the file."
    ),
]


@router.post(
    "/historical-sales",
    response_model=HistoricalSalesUploaded,
    responses=responses(413),
    summary="Upload weekly historical sales (store_code, category_code, week_start, units)",
)
async def upload_historical_sales(
    file: CsvFile,
    principal: Planner,
    session: WriteSession,
    state: StateDep,
    allow_implausible: AllowImplausible = False,
) -> HistoricalSalesUploaded:
    parsed = await _parse(CsvKind.HISTORICAL_SALES, file, state.settings.max_upload_bytes)
    if not allow_implausible:
        await refuse_implausible(
            session,
            [Quantity(r.row, r.store_code, r.category_code, r.units, "units") for r in parsed.rows],
        )
    before = await stored_sales(session, parsed.rows)
    try:
        counts = await load_historical_sales(session, parsed.rows)
    except CsvValidationError as exc:
        raise _csv_error(exc) from None
    # Who overwrote which week, in the same transaction as the overwrite.
    record_sales_upload(
        session,
        parsed.rows,
        before,
        changed_by=principal.name,
        source=f"upload {_filename(file)} sha256 {parsed.sha256}",
    )
    return HistoricalSalesUploaded(
        file=_file_read(file, parsed),
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
    )


def _refuse_state(workflow_state: WorkflowState, workflow_id: UUID) -> None:
    if workflow_state in ACCEPTS_ACTUALS:
        return
    hint = (
        "the season is over"
        if workflow_state in TERMINAL_STATES
        else "actuals are accepted once the manufacturing order is approved and allocated"
    )
    needs = one_of([s.value for s in WorkflowState if s in ACCEPTS_ACTUALS])
    raise wrong_state(workflow_id, workflow_state.value, "an upload of weekly actuals", needs, hint)


def _refuse_gap(week: int, stored: list[int]) -> None:
    """Variance is over the weeks so far, so a week may not skip one before it."""
    missing = sorted(set(range(1, week)) - set(stored))
    if missing:
        listed = ", ".join(str(w) for w in missing)
        raise ApiError(
            409,
            f"week {week} cannot be uploaded before week {listed}: "
            "the variance check runs over every week so far",
            code="missing_weeks",
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

**Complete weeks only.** The file must have a row for every store and every category of the
season: the variance check compares the week with the forecast of all of them, so a missing
row would read as a drop in sales. An incomplete file is refused with 422 `incomplete_week`,
naming how many store/category pairs are missing and the first of them. For a week where some
stores really sold nothing (closed, say), send `missing_as_zero=true`: the missing pairs are
stored as 0 units and `zero_filled` in the answer says how many.

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
    responses=responses(404, 409, 413),
    summary="Upload one week of a season's actuals; runs the variance check",
    description=WEEKLY_ACTUALS_DESCRIPTION,
)
async def upload_weekly_actuals(
    file: CsvFile,
    principal: Planner,
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
    session = uow.session
    parsed = await _parse(CsvKind.WEEKLY_ACTUALS, file, state.settings.max_upload_bytes)
    if not allow_implausible:
        await refuse_implausible(
            session,
            [
                Quantity(r.row, r.store_code, r.category_code, r.units_sold, "units_sold")
                for r in parsed.rows
            ],
        )
    # Locked so a state change (or a second upload) cannot interleave with this one.
    workflow = await get_workflow(session, workflow_id, lock=True)
    _refuse_state(WorkflowState(workflow.state), workflow_id)
    try:
        load = await load_weekly_actuals(
            session,
            workflow_id=workflow_id,
            rows=parsed.rows,
            filename=_filename(file),
            uploaded_by=principal.name,
            sha256=parsed.sha256,
            week_number=week_number,
            missing_as_zero=missing_as_zero,
        )
    except IncompleteWeekError as exc:
        raise _incomplete_week(exc) from None
    except CsvValidationError as exc:
        raise _csv_error(exc) from None
    # Checked after the load (which knows the week); a refusal rolls the load back.
    _refuse_gap(load.week_number, await weeks_with_actuals(session, workflow_id))
    event = ActualsUploaded(
        workflow_id=workflow_id,
        producer=SERVICE_NAME,
        payload=ActualsUploadedPayload(
            upload_id=load.upload_id,
            week_number=load.week_number,
            row_count=load.row_count,
            replaced_previous=load.replaced_previous,
            same_as_previous=load.same_as_previous,
            uploaded_by=principal.name,
        ),
    )
    uow.emit(event)
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
        variance_url=f"/api/workflows/{workflow_id}/variance?week={load.week_number}",
        event_id=event.event_id,
        file=_file_read(file, parsed),
    )
