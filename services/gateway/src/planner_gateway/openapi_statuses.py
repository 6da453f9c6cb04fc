"""The statuses an operation answers from the layers every request passes through, declared
in the OpenAPI document.

An endpoint declares what it refuses itself (404, 409, ...). Around it, the same answers come
from elsewhere for every operation alike: a missing or unknown key (401) or a role it lacks
(403), a body that cannot be read (400), too large (413, RequestGuard and the upload limits)
or not JSON (415), a parameter out of its range (422), and a dependency that does not answer
(503, planner_gateway.outage). The v1 adapter refuses a file by its name (400), an unknown id (404)
and a state that does not allow the step (409) on any of its paths. Declared here once, after
the document is built, so a client (and schemathesis's status code check) reads what it can
really get, in the error shape of its API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

METHODS = frozenset({"get", "post", "put", "patch", "delete"})
V1_PREFIX = "/api/v1/"

DESCRIPTIONS = {
    400: "A body that cannot be read, or (v1) a file that is not .csv",
    401: "Missing or unknown API key",
    403: "The key lacks the role this endpoint needs",
    404: "Unknown workflow or resource",
    409: "Not allowed in the workflow's current state",
    413: "Body larger than the configured limit",
    415: "A JSON endpoint sent another Content-Type",
    422: "Invalid input; `details` names each problem",
    503: "A dependency (PostgreSQL, Redis) is not answering; retry after `Retry-After`",
}


def _statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The statuses the layers around `operation` may answer."""
    if not path.startswith("/api/") or path in {"/api/health", "/api/v1/health"}:
        return set()
    statuses = {401, 403, 503}
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add(422)
    body = operation.get("requestBody", {}).get("content", {})
    if body:
        statuses |= {400, 413}  # 400: a body that cannot be read (not UTF-8, cut short)
        if "application/json" in body:
            statuses.add(415)
    if path.startswith(V1_PREFIX):
        statuses |= {400, 404, 409} if method != "get" else {404}
    return statuses


def _error(path: str, status: int) -> dict[str, Any]:
    schema = "V1Error" if path.startswith(V1_PREFIX) else "ErrorResponse"
    return {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def declare_edge_statuses(app: FastAPI) -> None:
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        for path, item in document.get("paths", {}).items():
            for method, operation in item.items():
                if method not in METHODS:
                    continue
                responses = operation.setdefault("responses", {})
                for status in sorted(_statuses(path, method, operation)):
                    responses.setdefault(str(status), _error(path, status))
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
