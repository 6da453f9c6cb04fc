"""Structured JSON logging with the workflow_id and event_id of the message being handled.

The ids live in context variables so every line logged while a message is handled carries
them, whichever module logs it.

No secret reaches a log line: every line (uvicorn's access and WebSocket lines included, which
carry the request's URL) is passed through `redact`, which masks the value of a query
parameter named like a credential (`?token=`, `api_key=`, ...) and of a `Bearer` header.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

_workflow_id: ContextVar[str | None] = ContextVar("workflow_id", default=None)
_event_id: ContextVar[str | None] = ContextVar("event_id", default=None)

# One service per process: a plain global, so lines from any task or thread carry it.
_SERVICE_NAME: list[str | None] = [None]

REDACTED = "[redacted]"
# A credential in a query string (`?token=...&`), in a form body or as a header value; the
# value ends at the next separator, quote, backslash (a JSON-escaped quote) or space.
_SECRET_PARAMETER = re.compile(
    r"(?i)(?<![A-Za-z0-9_])("
    r"token|access_token|api_key|apikey|api-key|key|password|secret|session|csrf_token"
    r")(=|%3D)[^&;\s\"'\\]+"
)
_BEARER = re.compile(r"(?i)\b(bearer)(\s+|%20|\+)[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    """`text` with every credential it carries replaced by `[redacted]`."""
    text = _SECRET_PARAMETER.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", text)
    return _BEARER.sub(lambda m: f"{m[1]} {REDACTED}", text)


_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


@contextmanager
def log_context(*, workflow_id: object = None, event_id: object = None) -> Iterator[None]:
    tokens = (
        _workflow_id.set(str(workflow_id) if workflow_id else None),
        _event_id.set(str(event_id) if event_id else None),
    )
    try:
        yield
    finally:
        _workflow_id.reset(tokens[0])
        _event_id.reset(tokens[1])


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "service": _SERVICE_NAME[0],
            "workflow_id": _workflow_id.get(),
            "event_id": _event_id.get(),
        }
        line.update(
            {k: v for k, v in record.__dict__.items() if k not in _RESERVED and k not in line}
        )
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return redact(json.dumps(line, default=str))


class _ContextTextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = redact(super().format(record))
        ids = [f"{k}={v.get()}" for k, v in (("wf", _workflow_id), ("ev", _event_id)) if v.get()]
        return f"{text} [{' '.join(ids)}]" if ids else text


def configure_logging(service: str, *, level: str = "INFO", json_lines: bool = True) -> None:
    _SERVICE_NAME[0] = service
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else _ContextTextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # FastStream logs every message at INFO; our consumer logs what matters itself.
    logging.getLogger("faststream").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
