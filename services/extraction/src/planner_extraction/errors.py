"""The one error extraction raises: what went wrong, whether trying again may help."""

from __future__ import annotations

from typing import Literal

ErrorKind = Literal[
    "timeout", "connection", "rate_limited", "api_error", "refusal", "malformed", "not_configured"
]

_HTTP_STATUS: dict[ErrorKind, int] = {
    "timeout": 504,
    "connection": 503,
    "rate_limited": 503,
    "api_error": 502,
    "refusal": 422,
    "malformed": 502,
    "not_configured": 500,
}


class ExtractionError(Exception):
    """The LLM could not give a usable reading of the brief.

    `reason` is written for the planner or operator who sees it in `extraction.failed`;
    `retryable` says whether the same request may succeed later (a timeout, an overloaded
    API), as opposed to one that will fail the same way (a refusal, a rejected key).
    """

    def __init__(self, kind: ErrorKind, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.kind: ErrorKind = kind
        self.reason = reason
        self.retryable = retryable

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS[self.kind]

    def __repr__(self) -> str:
        return f"ExtractionError({self.kind!r}, {self.reason!r}, retryable={self.retryable})"
