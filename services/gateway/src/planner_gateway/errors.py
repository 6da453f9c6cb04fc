"""One JSON error shape for every failure the API reports.

    {"error": {"code": "not_found", "message": "workflow ... not found", "details": [...]}}

`ApiError` carries its HTTP status; one handler renders it, and the handlers for FastAPI's
HTTPException and request validation errors render theirs in the same shape, so a client
needs one error parser.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    """One precise problem: a field of the body, or a row and column of an uploaded file."""

    model_config = ConfigDict(extra="allow")

    message: str
    field: str | None = Field(default=None, description="Dotted path of the offending input.")
    row: int | None = Field(
        default=None, description="Row of an uploaded file as a spreadsheet counts (header = 1)."
    )
    column: str | None = Field(default=None, description="Column of an uploaded file.")
    value: str | None = Field(default=None, description="The offending value, as received.")


class ErrorBody(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["workflow 6f1c... not found"])
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    """The shape of every error answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "invalid_csv",
                        "message": "the file has 1 problem; nothing was stored",
                        "details": [
                            {
                                "row": 3,
                                "column": "units_sold",
                                "message": "must be a whole number >= 0",
                                "value": "-4",
                            }
                        ],
                    }
                }
            ]
        }
    )

    error: ErrorBody


MAX_LISTED_PROBLEMS = 20
"""Problems of a request listed in `details` at most; the message gives the total."""

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


def code_for(status_code: int) -> str:
    return _CODES.get(status_code, "error")


class ApiError(Exception):
    """A domain error that knows its HTTP status."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        code: str | None = None,
        details: Sequence[ErrorDetail] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code or code_for(status_code)
        self.message = message
        self.details = list(details)
        self.headers = headers


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found")


def one_of(names: Sequence[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return " or ".join(filter(None, (", ".join(names[:-1]), names[-1]))) if names else ""


def wrong_state(workflow_id: object, state: str, what: str, needs: str, hint: str = "") -> ApiError:
    """409 for a request the workflow's state does not allow, worded the same everywhere:
    "workflow <id> is <state>; <what> needs <needs>[; <hint>]"."""
    return ApiError(
        409,
        f"workflow {workflow_id} is {state}; {what} needs {needs}" + (f"; {hint}" if hint else ""),
    )


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: Sequence[ErrorDetail] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=list(details)))
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True), status_code=status_code, headers=headers
    )


def _validation_details(errors: Sequence[Any]) -> list[ErrorDetail]:
    details = []
    for error in errors:
        # The first element of loc says where ("body", "query", ...); the rest is the path.
        location = [str(part) for part in error.get("loc", ())]
        details.append(
            ErrorDetail(
                field=".".join(location[1:]) or (location[0] if location else None),
                message=str(error.get("msg", "invalid")),
                value=None if "input" not in error else _short(error["input"]),
                location=location[0] if location else None,
            )
        )
    return details


def _short(value: Any) -> str | None:
    if isinstance(value, dict | list) or value is None:
        return None
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "..."


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return error_response(
        exc.status_code,
        code_for(exc.status_code),
        str(exc.detail),
        headers=dict(exc.headers) if exc.headers else None,
    )


def _not_json(request: Request, errors: Sequence[Any]) -> ApiError | None:
    """415 when a JSON endpoint got a body of another type: FastAPI parses only JSON bodies
    as JSON and hands anything else over as raw bytes, which then fail validation."""
    if not any(
        e.get("loc", ())[:1] == ("body",) and isinstance(e.get("input"), bytes) for e in errors
    ):
        return None
    sent = request.headers.get("content-type")
    got = f"got {sent.split(';')[0].strip()}" if sent else "got no Content-Type"
    return ApiError(
        415,
        f"this endpoint takes a JSON body: send it with Content-Type: application/json ({got})",
    )


def _bad_json(errors: Sequence[Any]) -> ApiError | None:
    """A body that is not JSON at all: FastAPI reports the character offset as the location."""
    for error in errors:
        if error.get("type") != "json_invalid":
            continue
        location = error.get("loc", ())
        where = f" at character {location[1]}" if len(location) > 1 else ""
        reason = (error.get("ctx") or {}).get("error") or error.get("msg", "not valid JSON")
        message = f"invalid JSON{where}: {reason}"
        return ApiError(
            422,
            message,
            code="invalid_json",
            details=[ErrorDetail.model_validate({"message": message, "location": "body"})],
        )
    return None


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if (refusal := _not_json(request, errors) or _bad_json(errors)) is not None:
        return await _api_error(request, refusal)
    # A body of a million unknown keys must not get an answer larger than itself.
    details = _validation_details(errors[:MAX_LISTED_PROBLEMS])
    noun = "problem" if len(errors) == 1 else "problems"
    message = f"the request has {len(errors)} {noun}"
    if len(errors) > MAX_LISTED_PROBLEMS:
        message += f"; the first {MAX_LISTED_PROBLEMS} are listed"
    return error_response(422, "validation_error", message, details)


RETRY_AFTER_SECONDS = 5


def outage_of(exc: BaseException) -> str | None:
    """'database' or 'redis' when `exc` (or what caused it) is that dependency not answering,
    else None. A refused or dropped connection, a timeout waiting for one, a server shutting
    down: the request was fine and may be sent again once the dependency is back."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        module = type(current).__module__
        if module.startswith("redis") and isinstance(
            current, redis_errors.ConnectionError | redis_errors.TimeoutError
        ):
            return "redis"
        if isinstance(current, sa_exc.DBAPIError) and (
            current.connection_invalidated
            or isinstance(current, sa_exc.OperationalError | sa_exc.InterfaceError)
        ):
            return "database"
        if isinstance(current, sa_exc.TimeoutError):  # the pool had no connection to give
            return "database"
        if module.startswith("asyncpg") and (
            "Connection" in type(current).__name__
            or "CannotConnectNow" in type(current).__name__
            or "AdminShutdown" in type(current).__name__
        ):
            return "database"
        if isinstance(current, ConnectionError | TimeoutError | OSError) and not isinstance(
            current, FileNotFoundError | PermissionError
        ):
            # A bare socket error reaches here without a wrapper saying whose it was.
            return "a dependency"
        if isinstance(current, BaseExceptionGroup):
            stack.extend(current.exceptions)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                stack.append(linked)
    return None


def unavailable(what: str) -> JSONResponse:
    name = {"database": "PostgreSQL", "redis": "Redis"}.get(what, what)
    return error_response(
        503,
        "service_unavailable",
        f"{name} is not answering right now; retry in {RETRY_AFTER_SECONDS} seconds (a "
        "command with the same Idempotency-Key, so that it takes effect once)",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    if (what := outage_of(exc)) is not None:
        log.warning(
            "%s unavailable on %s %s: %s: %s",
            what,
            request.method,
            request.url.path,
            type(exc).__name__,
            exc,
        )
        return unavailable(what)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal error; the incident was logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        401: "Missing or unknown API key",
        403: "The key lacks the role this endpoint needs",
        422: "Invalid input; `details` names each problem",
        429: "Too many wrong keys from this address (`too_many_failed_sign_ins`): every key "
        "it sends is refused until `Retry-After` seconds have passed",
    }.items()
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses an endpoint can answer, all in the one shape."""
    descriptions = {
        404: "Unknown workflow or resource",
        409: "Not allowed in the workflow's current state",
        413: "Upload larger than the configured limit",
        502: "The answering service failed",
        503: "A dependency is unavailable",
        504: "No answer over the bus within the timeout",
    }
    extra = {s: {"model": ErrorResponse, "description": descriptions[s]} for s in statuses}
    return ERROR_RESPONSES | extra
