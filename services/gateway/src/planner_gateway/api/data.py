"""CSV uploads: historical sales, and a season's weekly actuals.

A file is read and validated whole before anything is written, and written in the request's
one transaction: a rejected upload leaves the stored data exactly as it was. Errors name the
row (the spreadsheet's row number, the header being row 1), the column and the reason.

The size limit holds while the body arrives (`body_limit.BodyLimit`, installed by `create_app`
on `upload_paths()` with `body_limit_bytes()`): a larger body is refused before it is spooled.
The endpoints then check the file itself against `max_upload_bytes` exactly.

A weekly-actuals upload replaces any earlier upload of the same week (it never adds to it) and
stages `actuals.uploaded` in the outbox with the rows; the forecast service then runs the
variance check and, past the threshold, requests the re-forecast by itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, Form, Request, UploadFile, status
from fastapi.routing import APIRoute

from planner_gateway import SERVICE_NAME
from planner_gateway.auth import Planner
from planner_gateway.deps import StateDep, WriteSession
from planner_gateway.errors import ApiError, ErrorDetail, responses
from planner_gateway.queries import get_workflow, weeks_with_actuals
from planner_gateway.schemas.data import FileRead, HistoricalSalesUploaded, WeeklyActualsUploaded
from planner_shared.bus.outbox import add_to_outbox
from planner_shared.datasets.csv_formats import (
    CsvKind,
    CsvTooLargeError,
    CsvValidationError,
    ParsedCsv,
    WeeklyActualRow,
    parse_csv,
)
from planner_shared.datasets.loader import load_historical_sales, load_weekly_actuals
from planner_shared.events import ActualsUploaded, ActualsUploadedPayload
from planner_shared.workflow import WorkflowState

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


def _csv_error(exc: CsvValidationError) -> ApiError:
    details = [ErrorDetail.model_validate(e.as_detail()) for e in exc.errors]
    message = str(exc)
    if exc.omitted:
        message += f"; the first {len(exc.errors)} are listed"
    status_code = 413 if isinstance(exc, CsvTooLargeError) else 422
    return ApiError(status_code, message, code=exc.code, details=details)


async def _parse(kind: CsvKind, upload: UploadFile, max_bytes: int) -> ParsedCsv[Any]:
    data = await _read_limited(upload, max_bytes)
    try:
        return parse_csv(kind, data, max_bytes=max_bytes)
    except CsvValidationError as exc:
        raise _csv_error(exc) from None


def _file_read(upload: UploadFile, parsed: ParsedCsv[Any]) -> FileRead:
    return FileRead(
        filename=upload.filename or "upload.csv",
        size_bytes=parsed.size_bytes,
        sha256=parsed.sha256,
        delimiter=parsed.delimiter_name,
        had_bom=parsed.had_bom,
        row_count=len(parsed.rows),
    )


CsvFile = Annotated[
    UploadFile,
    File(description="CSV, comma/semicolon/tab/pipe separated, UTF-8 with or without BOM."),
]


@router.post(
    "/historical-sales",
    response_model=HistoricalSalesUploaded,
    responses=responses(413),
    summary="Upload weekly historical sales (store_code, category_code, week_start, units)",
)
async def upload_historical_sales(
    file: CsvFile, _: Planner, session: WriteSession, state: StateDep
) -> HistoricalSalesUploaded:
    parsed = await _parse(CsvKind.HISTORICAL_SALES, file, state.settings.max_upload_bytes)
    try:
        counts = await load_historical_sales(session, parsed.rows)
    except CsvValidationError as exc:
        raise _csv_error(exc) from None
    return HistoricalSalesUploaded(
        file=_file_read(file, parsed),
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
    )


def _refuse_state(workflow_state: WorkflowState, workflow_id: UUID) -> None:
    if workflow_state in ACCEPTS_ACTUALS:
        return
    if workflow_state in {WorkflowState.COMPLETED, WorkflowState.CANCELLED, WorkflowState.FAILED}:
        why = f"the season is {workflow_state.value}"
    else:
        why = (
            f"the season has not started (the workflow is {workflow_state.value}); "
            "actuals are accepted once the manufacturing order is approved and allocated"
        )
    raise ApiError(409, f"workflow {workflow_id} accepts no weekly actuals: {why}")


def _week_of(
    rows: Sequence[WeeklyActualRow], week_number: int | None, parameters: dict[str, Any]
) -> int | None:
    """The week the upload is for, or None when the loader will refuse the file anyway (rows
    naming different weeks, a week outside the season): it names each bad row then."""
    week = week_number if week_number is not None else (rows[0].week_number if rows else None)
    horizon = int(parameters.get("forecast_horizon_weeks") or 52)
    if week is None or not 1 <= week <= horizon or any(r.week_number != week for r in rows):
        return None
    return week


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


@router.post(
    "/weekly-actuals",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WeeklyActualsUploaded,
    responses=responses(404, 409, 413),
    summary="Upload one week of a season's actuals; runs the variance check",
)
async def upload_weekly_actuals(
    request: Request,
    file: CsvFile,
    principal: Planner,
    session: WriteSession,
    state: StateDep,
    workflow_id: Annotated[UUID, Form(description="The season the actuals belong to.")],
    week_number: Annotated[
        int | None,
        Form(ge=1, le=52, description="The week; taken from the rows when omitted."),
    ] = None,
) -> WeeklyActualsUploaded:
    parsed = await _parse(CsvKind.WEEKLY_ACTUALS, file, state.settings.max_upload_bytes)
    # Locked so a state change (or a second upload) cannot interleave with this one.
    workflow = await get_workflow(session, workflow_id, lock=True)
    _refuse_state(WorkflowState(workflow.state), workflow_id)
    week = _week_of(parsed.rows, week_number, workflow.parameters or {})
    if week is not None:
        # Before the load: a refused week must not have replaced anything, even briefly.
        _refuse_gap(week, await weeks_with_actuals(session, workflow_id))
    try:
        load = await load_weekly_actuals(
            session,
            workflow_id=workflow_id,
            rows=parsed.rows,
            filename=file.filename or "upload.csv",
            uploaded_by=principal.name,
            sha256=parsed.sha256,
            week_number=week_number,
        )
    except CsvValidationError as exc:
        raise _csv_error(exc) from None
    event = ActualsUploaded(
        workflow_id=workflow_id,
        producer=SERVICE_NAME,
        payload=ActualsUploadedPayload(
            upload_id=load.upload_id,
            week_number=load.week_number,
            row_count=load.row_count,
            replaced_previous=load.replaced_previous,
            uploaded_by=principal.name,
        ),
    )
    add_to_outbox(session, request.app.state.runtime.settings, [event])
    return WeeklyActualsUploaded(
        upload_id=load.upload_id,
        workflow_id=workflow_id,
        week_number=load.week_number,
        row_count=load.row_count,
        units_sold=load.units_sold,
        replaced_previous=load.replaced_previous,
        replaced_rows=load.replaced_rows,
        same_as_previous=load.same_as_previous,
        variance_url=f"/api/workflows/{workflow_id}/variance?week={load.week_number}",
        event_id=event.event_id,
        file=_file_read(file, parsed),
    )
